// RUN: dlc-opt %s -dlc-graph-pipeline -dlc-loop-pipeline | FileCheck %s --check-prefix=LOOPS
// RUN: dlc-opt %s -dlc-graph-pipeline -dlc-loop-pipeline -dlc-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// The whole lowering: results become caller-provided buffers (out-params),
// copies are loops (no call into MLIR's runner library), and the entry takes
// one bare pointer per input and output.

// LOOPS-LABEL: func.func @model(%arg0: memref<2x3xf32>, %arg1: memref<2x3xf32>)
// LOOPS: scf.for
// LOOPS-NOT: memref.copy
// LOOPS: return
// LLVM: llvm.func @model(%arg0: !llvm.ptr, %arg1: !llvm.ptr)
// LLVM: llvm.call @model_kernel0(
// LLVM: llvm.return
// The kernel: x + b, then relu, stored to the output.
// LLVM: llvm.func @model_kernel0(
// LLVM: llvm.load
// LLVM: llvm.load
// LLVM: %[[SUM:.*]] = llvm.fadd
// LLVM: %[[RELU:.*]] = llvm.intr.maximum(%[[SUM]],
// LLVM: llvm.store %[[RELU]]
// LLVM-NOT: memrefCopy
func.func @model(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %b = dlc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = dlc.add %x, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = dlc.relu %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
