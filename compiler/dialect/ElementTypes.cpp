//===- ElementTypes.cpp - dlc's dtypes and their MLIR types ---------------===//
#include "compiler/dialect/ElementTypes.h"
#include "compiler/dialect/DlcDialect.h"

#include "dlc/runtime.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace {
const dlc::DtypeInfo kDtypes[] = {
#define DLC_DTYPE(id, value, name, c_type) {value, name, #c_type},
#include "dlc/dtypes.def"
#undef DLC_DTYPE
};
} // namespace

const dlc::DtypeInfo *dlc::lookupDtype(int32_t value) {
  for (const DtypeInfo &row : kDtypes)
    if (row.value == value)
      return &row;
  return nullptr;
}

const dlc::DtypeInfo *dlc::lookupDtype(Type type) {
  if (!type)
    return nullptr;
  // The graph's wide signed integers are signless; a signed one (from MLIR
  // text) means the same. 4- and 2-bit ones keep their sign in the graph.
  if (auto integer = dyn_cast<IntegerType>(type);
      integer && integer.isSigned() && integer.getWidth() != 4 &&
      integer.getWidth() != 2)
    type = IntegerType::get(type.getContext(), integer.getWidth());
  for (const DtypeInfo &row : kDtypes)
    if (elementTypeOfDtype(row.value, *type.getContext()) == type)
      return &row;
  return nullptr;
}

Type dlc::elementTypeOfDtype(int32_t value, MLIRContext &context) {
  if (!lookupDtype(value)) // also keeps the cast below within the enum
    return nullptr;
  Builder b(&context);
  // Every row of dtypes.def has a case: -Wswitch names a row left out.
  switch (static_cast<dlc_dtype>(value)) {
  case DLC_FLOAT32:
    return b.getF32Type();
  case DLC_FLOAT64:
    return b.getF64Type();
  case DLC_FLOAT16:
    return b.getF16Type();
  case DLC_INT8:
    return b.getIntegerType(8);
  case DLC_INT16:
    return b.getIntegerType(16);
  case DLC_INT32:
    return b.getIntegerType(32);
  case DLC_INT64:
    return b.getIntegerType(64);
  case DLC_BOOL:
    return b.getIntegerType(1);
  case DLC_UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case DLC_UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case DLC_UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case DLC_UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case DLC_BFLOAT16:
    return b.getBF16Type();
  case DLC_FLOAT8E4M3FN:
    return b.getFloat8E4M3FNType();
  case DLC_FLOAT8E4M3FNUZ:
    return b.getFloat8E4M3FNUZType();
  case DLC_FLOAT8E5M2:
    return b.getFloat8E5M2Type();
  case DLC_FLOAT8E5M2FNUZ:
    return b.getFloat8E5M2FNUZType();
  case DLC_UINT4:
    return b.getIntegerType(4, /*isSigned=*/false);
  case DLC_INT4:
    return b.getIntegerType(4, /*isSigned=*/true);
  case DLC_UINT2:
    return b.getIntegerType(2, /*isSigned=*/false);
  case DLC_INT2:
    return b.getIntegerType(2, /*isSigned=*/true);
  case DLC_FLOAT4E2M1: // no MLIR type in LLVM 19: the dialect's
    return dlc::Float4E2M1Type::get(&context);
  case DLC_FLOAT8E8M0:
    return dlc::Float8E8M0Type::get(&context);
  case DLC_DTYPE_INVALID:
    break;
  }
  return nullptr;
}
