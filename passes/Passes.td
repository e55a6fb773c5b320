//===- Passes.td - dlc passes ------------------------------*- tablegen -*-===//
#ifndef DLC_PASSES_TD
#define DLC_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertDlcToLinalg : Pass<"convert-dlc-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower dlc graph ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every dlc op becomes linalg on tensors: elementwise and broadcasting ops
    become linalg.generic with broadcasting indexing maps, matmul and
    convolution become generic contractions, pooling and reductions become
    generic reductions, reshape becomes tensor.collapse_shape/expand_shape,
    concat becomes tensor.insert_slice. A dlc op that cannot be lowered is an
    error at its location.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::tensor::TensorDialect",
  ];
}

#endif // DLC_PASSES_TD
