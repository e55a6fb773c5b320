// RUN: dlc-opt %s -dlc-gpu-host-memory | FileCheck %s
// Host code of a CUDA module: heap buffers become device buffers and the
// address of a constant global (a weight) its device copy's. Mutable
// globals and kernels (in gpu.module) are left alone.

// CHECK-LABEL: llvm.func @compute
// CHECK: %[[BUFFER:.*]] = llvm.call @__dlc_gpu_alloc(%{{.*}}) : (i64) -> !llvm.ptr
// CHECK: %[[HOST:.*]] = llvm.mlir.addressof @weights : !llvm.ptr
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(48 : i64) : i64
// CHECK: %[[DEVICE:.*]] = llvm.call @__dlc_gpu_constant(%[[HOST]], %[[BYTES]])
// CHECK: llvm.getelementptr %[[DEVICE]][1]
// CHECK: %[[STATE:.*]] = llvm.mlir.addressof @state : !llvm.ptr
// CHECK-NOT: __dlc_gpu_constant
// CHECK: llvm.load %[[STATE]]
// CHECK: llvm.call @__dlc_gpu_free(%[[BUFFER]])
// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.call @malloc
module attributes {gpu.container_module} {
  llvm.mlir.global private constant @weights(dense<1.0> : tensor<3x4xf32>) : !llvm.array<3 x array<4 x f32>>
  llvm.mlir.global private @state(0 : i64) : i64
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @free(!llvm.ptr)
  llvm.func @compute(%n: i64) {
    %buffer = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
    %w = llvm.mlir.addressof @weights : !llvm.ptr
    %row = llvm.getelementptr %w[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<4 x f32>
    %s = llvm.mlir.addressof @state : !llvm.ptr
    %v = llvm.load %s : !llvm.ptr -> i64
    llvm.call @free(%buffer) : (!llvm.ptr) -> ()
    llvm.return
  }
  gpu.module @kernels {
    llvm.func @malloc(i64) -> !llvm.ptr
    llvm.func @k(%n: i64) {
      %p = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
      llvm.return
    }
  }
}
