// RUN: dlc-opt %s -split-input-file -dlc-merge-identical-kernels | FileCheck %s
// Equivalent kernel functions are merged: parallel-loop bodies first (their
// _launch declarations with them), then outlined kernels, which then call
// the same launcher. Functions that differ in a constant, a type or an
// argument attribute, and functions of neither kind, stay.

// CHECK-LABEL: func @model
// CHECK-NEXT: call @model_kernel0(%arg0, %arg1)
// CHECK-NEXT: call @model_kernel0(%arg1, %arg0)
// CHECK-NEXT: call @model_kernel2(%arg0, %arg1)
// CHECK-NEXT: call @model_kernel3(%arg0, %arg1)
// CHECK-NEXT: call @helper
// CHECK-NEXT: call @helper_copy
// CHECK-NEXT: return
// CHECK: func private @model_kernel0(
// CHECK: call @model_par0_launch
// CHECK-NOT: func private @model_kernel1(
// CHECK: func private @model_kernel2(
// CHECK: func private @model_kernel3(
// CHECK: func @model_par0(
// CHECK-NOT: func @model_par1(
// CHECK: func private @model_par0_launch
// CHECK-NOT: func private @model_par1_launch
// CHECK: func private @helper(
// CHECK: func private @helper_copy(
func.func @model(%a: memref<4xf32>, %b: memref<4xf32>) {
  call @model_kernel0(%a, %b) : (memref<4xf32>, memref<4xf32>) -> ()
  call @model_kernel1(%b, %a) : (memref<4xf32>, memref<4xf32>) -> ()
  call @model_kernel2(%a, %b) : (memref<4xf32>, memref<4xf32>) -> ()
  call @model_kernel3(%a, %b) : (memref<4xf32>, memref<4xf32>) -> ()
  call @helper(%a) : (memref<4xf32>) -> ()
  call @helper_copy(%a) : (memref<4xf32>) -> ()
  return
}
// Calls the first launcher.
func.func private @model_kernel0(%x: memref<4xf32> {llvm.noalias}, %y: memref<4xf32> {llvm.noalias}) attributes {dlc.kernel, passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  call @model_par0_launch(%x, %y, %c0, %c4, %c1) : (memref<4xf32>, memref<4xf32>, index, index, index) -> ()
  return
}
// Calls the second launcher, whose body equals the first's.
func.func private @model_kernel1(%x: memref<4xf32> {llvm.noalias}, %y: memref<4xf32> {llvm.noalias}) attributes {dlc.kernel, passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  call @model_par1_launch(%x, %y, %c0, %c4, %c1) : (memref<4xf32>, memref<4xf32>, index, index, index) -> ()
  return
}
// Another bound: a different kernel.
func.func private @model_kernel2(%x: memref<4xf32> {llvm.noalias}, %y: memref<4xf32> {llvm.noalias}) attributes {dlc.kernel, passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  call @model_par0_launch(%x, %y, %c0, %c3, %c1) : (memref<4xf32>, memref<4xf32>, index, index, index) -> ()
  return
}
// Its arguments may alias: not the same function.
func.func private @model_kernel3(%x: memref<4xf32>, %y: memref<4xf32>) attributes {dlc.kernel, passthrough = ["noinline"]} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  call @model_par0_launch(%x, %y, %c0, %c4, %c1) : (memref<4xf32>, memref<4xf32>, index, index, index) -> ()
  return
}
func.func @model_par0(%x: memref<4xf32> {llvm.noalias}, %y: memref<4xf32> {llvm.noalias}, %begin: index, %end: index) attributes {dlc.parallel_loop = array<i64: 2, 0>} {
  %c1 = arith.constant 1 : index
  scf.for %i = %begin to %end step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    memref.store %v, %y[%i] : memref<4xf32>
  }
  return
}
func.func private @model_par0_launch(memref<4xf32>, memref<4xf32>, index, index, index)
func.func @model_par1(%x: memref<4xf32> {llvm.noalias}, %y: memref<4xf32> {llvm.noalias}, %begin: index, %end: index) attributes {dlc.parallel_loop = array<i64: 2, 0>} {
  %c1 = arith.constant 1 : index
  scf.for %i = %begin to %end step %c1 {
    %v = memref.load %x[%i] : memref<4xf32>
    memref.store %v, %y[%i] : memref<4xf32>
  }
  return
}
func.func private @model_par1_launch(memref<4xf32>, memref<4xf32>, index, index, index)
// Neither kind: left alone even when equal.
func.func private @helper(%x: memref<4xf32>) {
  return
}
func.func private @helper_copy(%x: memref<4xf32>) {
  return
}
