// RUN: dlc-opt %s -split-input-file -dlc-instrument-kernels | FileCheck %s
// Each kernel of a public function (a top-level loop nest, linalg op, copy
// or call) gets a mark with its index before it, the count before the
// return; the labels name each kernel's ONNX nodes, else its op. Private
// functions (outlined kernels) and ops that are not kernels are left alone.

// CHECK: func.func private @__dlc_profile_mark(i32)
// CHECK-LABEL: func.func @model
// CHECK-SAME: dlc.kernel_labels = ["Conv_0, Relu_1", "linalg.copy", "func.call"]
// CHECK: %[[C0:.*]] = arith.constant 0 : i32
// CHECK-NEXT: call @__dlc_profile_mark(%[[C0]]) : (i32) -> ()
// CHECK-NEXT: scf.for
// CHECK: memref.store
// CHECK: arith.addf
// CHECK-NOT: __dlc_profile_mark
// CHECK: %[[C1:.*]] = arith.constant 1 : i32
// CHECK-NEXT: call @__dlc_profile_mark(%[[C1]]) : (i32) -> ()
// CHECK-NEXT: linalg.copy
// CHECK: %[[C2:.*]] = arith.constant 2 : i32
// CHECK-NEXT: call @__dlc_profile_mark(%[[C2]]) : (i32) -> ()
// CHECK-NEXT: call @model_kernel0
// CHECK: %[[C3:.*]] = arith.constant 3 : i32
// CHECK-NEXT: call @__dlc_profile_mark(%[[C3]]) : (i32) -> ()
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @model_kernel0
// CHECK-NOT: __dlc_profile_mark
// CHECK: return
// A parallel loop's body, public for the glue's launcher, runs inside a
// kernel of the entry: no marks.
// CHECK-LABEL: func.func @model_par0
// CHECK-NOT: __dlc_profile_mark
// CHECK: return
func.func @model(%x: memref<4xf32>, %y: memref<4xf32>, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %f, %x[%i] : memref<4xf32>
  } loc(fused["Conv_0", "Relu_1"])
  %g = arith.addf %f, %f : f32
  linalg.copy ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
  call @model_kernel0(%y, %g) : (memref<4xf32>, f32) -> ()
  return
}
func.func private @model_kernel0(%y: memref<4xf32>, %g: f32) {
  %c0 = arith.constant 0 : index
  scf.for %i = %c0 to %c0 step %c0 {
    memref.store %g, %y[%i] : memref<4xf32>
  }
  return
}
func.func @model_par0(%y: memref<4xf32>, %g: f32, %begin: index, %end: index) attributes {dlc.parallel_loop = array<i64: 1, 0>} {
  %c1 = arith.constant 1 : index
  scf.for %i = %begin to %end step %c1 {
    memref.store %g, %y[%i] : memref<4xf32>
  }
  return
}

// -----

// Instrumented already (the mark is declared): nothing changes.
// CHECK-LABEL: func.func @twice
// CHECK-NOT: dlc.kernel_labels
// CHECK: call @__dlc_profile_mark
// CHECK-NOT: call @__dlc_profile_mark
// CHECK: return
func.func private @__dlc_profile_mark(i32)
func.func @twice(%x: memref<4xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : i32
  call @__dlc_profile_mark(%c0) : (i32) -> ()
  linalg.copy ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
  return
}
