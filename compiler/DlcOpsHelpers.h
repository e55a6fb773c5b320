//===- DlcOpsHelpers.h - Shared by the dlc op definitions -------*- C++ -*-===//
//
// Small helpers of DlcOps.cpp and DlcDataMovementOps.cpp (type inference and
// verifiers); not part of the dialect's interface.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DLCOPSHELPERS_H
#define DLC_COMPILER_DLCOPSHELPERS_H

#include "mlir/IR/BuiltinTypes.h"

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

} // namespace dlc

#endif // DLC_COMPILER_DLCOPSHELPERS_H
