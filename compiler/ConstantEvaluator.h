//===- ConstantEvaluator.h - Evaluate dlc ops on constants ------*- C++ -*-===//
#ifndef DLC_COMPILER_CONSTANTEVALUATOR_H
#define DLC_COMPILER_CONSTANTEVALUATOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"

namespace dlc {

/// The value of `op`'s one result when every operand is a dense constant and
/// the evaluator knows the op; null otherwise, or when the result has more
/// than `maxElements` elements. Used by dlc-fold-constants and by importers
/// that need shape-valued subgraphs (Shape -> Gather -> Concat ...) at import.
mlir::DenseElementsAttr evaluateConstantOp(mlir::Operation *op,
                                           int64_t maxElements);

} // namespace dlc

#endif // DLC_COMPILER_CONSTANTEVALUATOR_H
