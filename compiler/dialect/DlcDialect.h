//===- DlcDialect.h - The dlc graph dialect ---------------------*- C++ -*-===//
#ifndef DLC_COMPILER_DIALECT_DLCDIALECT_H
#define DLC_COMPILER_DIALECT_DLCDIALECT_H

#include "compiler/dialect/PatternKind.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace dlc {
// The generated helpers of the dialect's discardable attributes name each
// attribute's type by its ODS def, unqualified.
using ::mlir::ArrayAttr;
using ::mlir::DenseI64ArrayAttr;
using ::mlir::UnitAttr;
using I64Attr = ::mlir::IntegerAttr;
using StrAttr = ::mlir::StringAttr;
} // namespace dlc

namespace mlir::OpTrait::dlc {
/// Ops that compute the same bits on integers read as signed or unsigned
/// (ODS: Dlc_SignAgnostic).
template <typename ConcreteType>
class SignAgnostic : public TraitBase<ConcreteType, SignAgnostic> {};
} // namespace mlir::OpTrait::dlc

#include "compiler/dialect/DlcDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "compiler/dialect/DlcInterfaces.h.inc"
#include "compiler/dialect/DlcTypes.h.inc"

#define GET_OP_CLASSES
#include "compiler/dialect/DlcOps.h.inc"

namespace dlc {
/// A unit attribute on dlc.div and dlc.mod: their integer operands are
/// unsigned (set by dlc-signless-integers for 64-bit ones, which it cannot
/// widen).
constexpr const char kUnsignedAttr[] = "unsigned";

/// A unit attribute on dlc.cast to a float8 type: an overflow gives
/// infinity or NaN instead of the largest finite value (ONNX saturate=0).
constexpr const char kNoSaturateAttr[] = "no_saturate";

/// A string attribute on dlc.cast to f8E8M0: "up" (the default), "down" or
/// "nearest", ONNX's round_mode.
constexpr const char kRoundModeAttr[] = "round_mode";

/// Element types that arith and LLVM do not compute in (bf16, the float8
/// types, 4- and 2-bit integers): dlc-expand-narrow-types gives them storage
/// types before any other graph pass.
inline bool isNarrowElementType(mlir::Type type) {
  if (auto integer = mlir::dyn_cast<mlir::IntegerType>(type))
    return integer.getWidth() > 1 && integer.getWidth() < 8;
  return type.isBF16() || type.isFloat8E4M3FN() || type.isFloat8E4M3FNUZ() ||
         type.isFloat8E5M2() || type.isFloat8E5M2FNUZ() ||
         mlir::isa<Float4E2M1Type, Float8E8M0Type>(type);
}

/// `axis` (possibly negative, as ONNX allows) as an index in [0, rank); -1
/// when out of range. Takes the raw attribute value: I64Attr getters return
/// uint64_t, which this reinterprets as signed.
inline int64_t normalizeAxis(uint64_t rawAxis, int64_t rank) {
  int64_t axis = static_cast<int64_t>(rawAxis);
  if (axis < -rank || axis >= rank)
    return -1;
  return axis < 0 ? axis + rank : axis;
}
} // namespace dlc

#endif // DLC_COMPILER_DIALECT_DLCDIALECT_H
