//===- DlcDialect.h - The dlc graph dialect ---------------------*- C++ -*-===//
#ifndef DLC_COMPILER_DLCDIALECT_H
#define DLC_COMPILER_DLCDIALECT_H

#include "compiler/PatternKind.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "compiler/DlcDialect.h.inc"
#include "compiler/DlcInterfaces.h.inc"

#define GET_OP_CLASSES
#include "compiler/DlcOps.h.inc"

namespace dlc {
/// A unit attribute on dlc.div and dlc.mod: their integer operands are
/// unsigned (set by dlc-signless-integers for 64-bit ones, which it cannot
/// widen).
constexpr const char kUnsignedAttr[] = "unsigned";

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

#endif // DLC_COMPILER_DLCDIALECT_H
