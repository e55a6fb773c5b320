//===- DlcBuild.h - Building dlc ops from untrusted input -------*- C++ -*-===//
#ifndef DLC_COMPILER_DIALECT_DLCBUILD_H
#define DLC_COMPILER_DIALECT_DLCBUILD_H

#include "mlir/IR/Builders.h"

namespace dlc {

/// Creates op `name` with the result types the op infers (ops without
/// InferTypeOpInterface get one result of their first operand's type) and
/// returns its first result (an op's other results are taken from the
/// defining op). Returns null when an
/// operand is null or the inference fails; the failure is reported at `loc`.
/// ODS's inferring builders would abort the process instead, which frontends
/// fed with user models must never do.
mlir::Value buildInferredOp(mlir::OpBuilder &builder, mlir::Location loc,
                            llvm::StringRef name, mlir::ValueRange operands,
                            llvm::ArrayRef<mlir::NamedAttribute> attrs = {});

} // namespace dlc

#endif // DLC_COMPILER_DIALECT_DLCBUILD_H
