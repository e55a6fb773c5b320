// RUN: dlc-opt %s -dlc-gpu-merge-modules | FileCheck %s
// Every outlined kernel moves into the first gpu.module (one PTX module per
// model); a moved kernel takes its old module's name and the launches
// follow it. A function the outlining cloned into several modules is kept
// once. Host code is left alone.

// CHECK: gpu.module @f_kernel {
// CHECK: gpu.func @f_kernel(
// CHECK: func.func private @helper
// CHECK: gpu.func @f_kernel_0(
// CHECK-NOT: func.func private @helper
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK: func.func @f
// CHECK: gpu.launch_func @f_kernel::@f_kernel
// CHECK: gpu.launch_func @f_kernel::@f_kernel_0
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel(%x: memref<4xf32>) kernel {
      %v = func.call @helper() : () -> i32
      gpu.return
    }
    func.func private @helper() -> i32 {
      %c = arith.constant 1 : i32
      return %c : i32
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%x: memref<4xf32>) kernel {
      %v = func.call @helper() : () -> i32
      gpu.return
    }
    func.func private @helper() -> i32 {
      %c = arith.constant 1 : i32
      return %c : i32
    }
  }
  func.func @f(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
}
