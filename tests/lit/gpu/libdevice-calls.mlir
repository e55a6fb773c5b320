// RUN: dlc-opt %s -pass-pipeline='builtin.module(gpu.module(dlc-gpu-libdevice-calls))' | FileCheck %s
// In kernels, the math ops convert-gpu-to-nvvm has no pattern for become
// libdevice calls (f32: __nv_<op>f, f64: __nv_<op>); the others, and host
// code, are left alone.

// CHECK-LABEL: gpu.module @kernels
// CHECK-DAG: func.func private @__nv_sinhf(f32) -> f32
// CHECK-DAG: func.func private @__nv_acos(f64) -> f64
// CHECK: gpu.func @k
// CHECK: func.call @__nv_sinhf(%{{.*}}) : (f32) -> f32
// CHECK: func.call @__nv_acos(%{{.*}}) : (f64) -> f64
// CHECK: func.call @__nv_sinhf(
// CHECK: math.exp
// CHECK-LABEL: func.func @host
// CHECK: math.sinh
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%x: f32, %y: f64, %out: memref<2xf32>, %out64: memref<f64>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %a = math.sinh %x : f32
      %b = math.acos %y : f64
      %c = math.sinh %a : f32
      %d = math.exp %c : f32
      memref.store %d, %out[%c0] : memref<2xf32>
      memref.store %b, %out64[] : memref<f64>
      gpu.return
    }
  }
  func.func @host(%x: f32) -> f32 {
    %a = math.sinh %x : f32
    return %a : f32
  }
}
