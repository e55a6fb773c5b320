//===- ElementTypes.h - dlc's dtypes and their MLIR types -------*- C++ -*-===//
//
// The element types a model's inputs and outputs can have, read from the
// runtime's table (runtime/include/dlc/dtypes.def), so that the importer,
// the driver's model signature, the command line and the runtime's ABI
// agree on one numbering (ONNX's TensorProto.DataType) and one spelling.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DIALECT_ELEMENTTYPES_H
#define DLC_COMPILER_DIALECT_ELEMENTTYPES_H

#include "mlir/IR/Types.h"

#include <cstdint>

namespace dlc {

/// One row of dtypes.def.
struct DtypeInfo {
  int32_t value;     // ONNX's TensorProto.DataType, the ABI's dlc_dtype
  const char *name;  // "float32", ...
  const char *cType; // the C type an element travels in: "float", ...
};

/// The row of a dtype value, or null if dlc has none.
const DtypeInfo *lookupDtype(int32_t value);

/// The row whose MLIR element type is `type`, or null (e.g. complex, index,
/// an integer of another width).
const DtypeInfo *lookupDtype(mlir::Type type);

/// The MLIR element type of a dtype value, or null. Unsigned integers keep
/// their signedness (the graph needs it for comparisons, divisions and
/// casts); bool is i1; the narrow float types are MLIR's or the dialect's.
mlir::Type elementTypeOfDtype(int32_t value, mlir::MLIRContext &context);

} // namespace dlc

#endif // DLC_COMPILER_DIALECT_ELEMENTTYPES_H
