//===- DlcOpsHelpers.h - Shared by the dlc op definitions -------*- C++ -*-===//
//
// Small helpers of DlcOps.cpp and DlcDataMovementOps.cpp (type inference and
// verifiers); not part of the dialect's interface.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DIALECT_DLCOPSHELPERS_H
#define DLC_COMPILER_DIALECT_DLCOPSHELPERS_H

#include "compiler/dialect/DlcDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include <string>

namespace dlc {

inline mlir::RankedTensorType rankedOrNull(mlir::Type type) {
  return mlir::dyn_cast_or_null<mlir::RankedTensorType>(type);
}

inline bool isDynamic(int64_t dim) { return mlir::ShapedType::isDynamic(dim); }

/// "[2,?,3]".
inline std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "," : "") + (isDynamic(dim) ? "?" : std::to_string(dim));
  return text + "]";
}

/// An axis attribute (negative counts from the end) in [0, rank), or a
/// failure reported at `loc`.
inline mlir::FailureOr<int64_t> inferAxis(std::optional<mlir::Location> loc,
                                          uint64_t rawAxis, int64_t rank) {
  int64_t axis = normalizeAxis(rawAxis, rank);
  if (axis < 0)
    return mlir::emitOptionalError(loc, "axis ", static_cast<int64_t>(rawAxis),
                                   " is out of range for rank ", rank);
  return axis;
}

} // namespace dlc

#endif // DLC_COMPILER_DIALECT_DLCOPSHELPERS_H
