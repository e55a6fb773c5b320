//===- ExpandNarrowTypes.cpp - bf16, float8, int4, int2 to storage types --===//
//
// arith and LLVM compute in none of ONNX's narrow element types (bf16, the
// four float8 types, int4/uint4, int2/uint2, and the dlc dialect's
// f4E2M1 and f8E8M0, which MLIR 19 lacks). This pass gives every value of
// such a type an integer storage type and spells out what the type means:
//
//   storage: bf16 -> i16 and float8/float4 -> i8 hold the bits; a 4- or
//       2-bit integer -> i8 holds its value (sign- or zero-extended);
//   cast from a narrow float: its bits decoded to f32 (bf16: shifted into
//       the high half; float8, float4: a table of every code's value), then
//       an ordinary cast;
//   cast to a narrow float: from f32, rounded to nearest even on the bits;
//       float8 saturates at its largest finite value, or with `no_saturate`
//       overflows to infinity (float8e5m2) or NaN, as ONNX's Cast; float4
//       always saturates (NaN becomes 0); f8E8M0 keeps the f32's exponent,
//       rounded as the cast's `round_mode` says (ONNX's bit rules);
//   cast to a narrow integer: through i32, wrapped to its width (what
//       ONNX's reference does for out-of-range values);
//   data movement (transpose, reshape, gathers, slice, concat, select):
//       retyped, the bits move unchanged;
//   any other op on narrow floats: computed in f32, its operands decoded and
//       its narrow results rounded; a chain of such ops (data movement
//       between them included) passes f32 values along and rounds once
//       where a value leaves it (a cast, a result), as ONNX's reference
//       computes a bf16 function op; on narrow integers: an error at the op;
//   the signature: storage types (the library's ABI keeps the narrow dtype,
//       read before this pass). A narrow integer crosses the boundary in
//       the low bits of its byte, the rest zero, as numpy's ml_dtypes
//       stores it: arguments are sign- or zero-extended from those bits,
//       results masked to them.
//
// Runs first among the graph passes so that no fold or fusion meets a type
// it does not model.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/PatternKind.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace dlc {
#define GEN_PASS_DEF_EXPANDNARROWTYPES
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The integer type holding a narrow element type's bits or value.
Type storageType(Type narrow) {
  MLIRContext *context = narrow.getContext();
  if (isa<FloatType>(narrow))
    return IntegerType::get(context, narrow.getIntOrFloatBitWidth());
  return IntegerType::get(context, 8);
}

/// The layout of a small float type's bits and its special values.
struct SmallFloatFormat {
  int bits; // sign + exponent + mantissa
  int mantissaBits;
  int bias;
  int maxCode;          // the largest finite magnitude's code
  int nanCode;          // a NaN's code (float4, which has none: 0)
  int infCode;          // infinity's code, or -1 when the type has none
  bool noNegZero;       // FNUZ: 0x80 is NaN, -0 is 0
  bool alwaysSaturates; // float4: ONNX's saturate is for float8 only
};

SmallFloatFormat smallFloatFormat(Type type) {
  if (type.isFloat8E4M3FN())
    return {8, 3, 7, 0x7E, 0x7F, -1, false, false};
  if (type.isFloat8E4M3FNUZ())
    return {8, 3, 8, 0x7F, 0x80, -1, true, false};
  if (type.isFloat8E5M2())
    return {8, 2, 15, 0x7B, 0x7F, 0x7C, false, false};
  if (isa<Float4E2M1Type>(type))
    return {4, 1, 1, 0x7, 0x0, -1, false, true};
  return {8, 2, 16, 0x7F, 0x80, -1, true, false}; // E5M2FNUZ
}

/// The f32 value of each code of a small float type (exact).
SmallVector<float> decodeTable(Type type) {
  SmallVector<float> table;
  if (isa<Float4E2M1Type>(type)) {
    static const float kMagnitudes[] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (unsigned code = 0; code < 16; ++code)
      table.push_back(code & 8 ? -kMagnitudes[code & 7] : kMagnitudes[code]);
    return table;
  }
  if (isa<Float8E8M0Type>(type)) {
    for (unsigned code = 0; code < 256; ++code)
      table.push_back(code == 255 ? std::nanf("")
                                  : std::ldexp(1.0f, int(code) - 127));
    return table;
  }
  const llvm::fltSemantics &semantics =
      cast<FloatType>(type).getFloatSemantics();
  for (unsigned code = 0; code < 256; ++code) {
    APFloat value(semantics, APInt(8, code));
    bool lost;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    table.push_back(value.convertToFloat());
  }
  return table;
}

class Expander {
public:
  explicit Expander(func::FuncOp function)
      : function(function), b(function.getContext()) {}

  LogicalResult run();

private:
  func::FuncOp function;
  OpBuilder b;
  Location loc = UnknownLoc::get(b.getContext());
  /// Storage values -> the narrow element type they hold.
  DenseMap<Value, Type> narrowOf;
  /// Narrow float results computed in f32 -> that f32 value, which the next
  /// op computed in f32 takes instead of decoding the rounded value.
  DenseMap<Value, Value> wideOf;

  RankedTensorType like(Value x, Type element) {
    return cast<RankedTensorType>(x.getType()).clone(element);
  }
  Value intScalar(unsigned width, int64_t value) {
    auto type = RankedTensorType::get({}, b.getIntegerType(width));
    return b.create<ConstantOp>(
        loc, DenseElementsAttr::get(type, APInt(width, value, true)));
  }
  Value f32Scalar(float value) {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, value));
  }
  Value castTo(Value x, Type element) {
    if (cast<RankedTensorType>(x.getType()).getElementType() == element)
      return x;
    return b.create<CastOp>(loc, like(x, element), x);
  }
  Value bitcastTo(Value x, Type element) {
    return b.create<BitcastOp>(loc, like(x, element), x);
  }
  Value select(Value condition, Value lhs, Value rhs) {
    return b.create<SelectOp>(loc, condition, lhs, rhs);
  }

  Value decodeToF32(Value storage, Type narrow);
  Value decode(Value storage, Type narrow, Type to);
  Value encode(Value x, Type narrow, bool saturate, StringRef roundMode = "up");
  Value encodeBF16(Value x);
  Value encodeFloat8(Value x, Type narrow, bool saturate);
  Value encodeE8M0(Value x, StringRef roundMode, bool saturate);
  Value fromBoundary(Value x, Type narrow);
  Value toBoundary(Value x, Type narrow);

  LogicalResult expandCast(CastOp op);
  LogicalResult expandOp(Operation *op);
};

Value Expander::decodeToF32(Value storage, Type narrow) {
  Type i32 = b.getI32Type();
  if (isa<IntegerType>(narrow)) // the value itself
    return castTo(storage, b.getF32Type());
  if (narrow.isBF16()) { // the high half of an f32
    Value bits =
        b.create<AndOp>(loc, castTo(storage, i32), intScalar(32, 0xFFFF));
    bits = b.create<ShiftLeftOp>(loc, bits, intScalar(32, 16));
    return bitcastTo(bits, b.getF32Type());
  }
  // float8, float4: a table of every code's value (exact in f32).
  SmallVector<float> table = decodeTable(narrow);
  int64_t codes = static_cast<int64_t>(table.size());
  Value tableValue = b.create<ConstantOp>(
      loc,
      DenseElementsAttr::get(RankedTensorType::get({codes}, b.getF32Type()),
                             ArrayRef<float>(table)));
  Value index =
      b.create<AndOp>(loc, castTo(storage, i32), intScalar(32, codes - 1));
  return b.create<GatherOp>(loc, like(storage, b.getF32Type()), tableValue,
                            index, b.getI64IntegerAttr(0));
}

Value Expander::decode(Value storage, Type narrow, Type to) {
  if (isa<IntegerType>(narrow) && isa<IntegerType>(to))
    return castTo(storage, to); // i8 holds the value
  return castTo(decodeToF32(storage, narrow), to);
}

Value Expander::encodeBF16(Value x) {
  // Round to nearest even on the bits: add 0x7FFF plus the kept part's
  // lowest bit, keep the high half. Overflow rounds to infinity, as IEEE.
  Value bits = bitcastTo(x, b.getI32Type());
  Value lowestKept =
      b.create<AndOp>(loc, b.create<ShiftRightOp>(loc, bits, intScalar(32, 16)),
                      intScalar(32, 1));
  Value rounded = b.create<AddOp>(
      loc, b.create<AddOp>(loc, bits, intScalar(32, 0x7FFF)), lowestKept);
  rounded = b.create<ShiftRightOp>(loc, rounded, intScalar(32, 16));
  Value isNaN = b.create<NotEqualOp>(loc, x, x);
  Value result = select(isNaN, intScalar(32, 0x7FC0), rounded);
  return castTo(result, b.getIntegerType(16));
}

Value Expander::encodeE8M0(Value x, StringRef roundMode, bool saturate) {
  // As ONNX defines it: the f32's exponent field, rounded up ("up": any
  // mantissa bit; "nearest": the guard bit with a round, sticky or nonzero
  // exponent bit), never past 0xFE when saturating; infinity and NaN are
  // 0xFF. The sign is dropped.
  Value bits = bitcastTo(x, b.getI32Type());
  Value exponent =
      b.create<AndOp>(loc, b.create<ShiftRightOp>(loc, bits, intScalar(32, 23)),
                      intScalar(32, 0xFF));
  auto nonZero = [&](int64_t mask) {
    return b.create<NotEqualOp>(
        loc, b.create<AndOp>(loc, bits, intScalar(32, mask)), intScalar(32, 0));
  };
  Value roundUp;
  if (roundMode == "nearest") {
    Value rest =
        b.create<OrOp>(loc, nonZero(0x3FFFFF),
                       b.create<GreaterOp>(loc, exponent, intScalar(32, 0)));
    roundUp = b.create<AndOp>(loc, nonZero(0x400000), rest);
  } else if (roundMode != "down") {
    roundUp = nonZero(0x7FFFFF);
  }
  Value code = exponent;
  if (roundUp) {
    if (saturate)
      roundUp = b.create<AndOp>(
          loc, roundUp,
          b.create<NotEqualOp>(loc, exponent, intScalar(32, 0xFE)));
    code = b.create<AddOp>(loc, exponent, castTo(roundUp, b.getI32Type()));
  }
  Value special = b.create<EqualOp>(loc, exponent, intScalar(32, 0xFF));
  code = select(special, intScalar(32, 0xFF), code);
  return castTo(code, b.getIntegerType(8));
}

Value Expander::encodeFloat8(Value x, Type narrow, bool saturate) {
  SmallFloatFormat format = smallFloatFormat(narrow);
  saturate |= format.alwaysSaturates;
  const int shift = 23 - format.mantissaBits;
  Value bits = bitcastTo(x, b.getI32Type());
  Value sign = b.create<ShiftRightOp>(loc, bits, intScalar(32, 31));
  Value magnitudeBits = b.create<AndOp>(loc, bits, intScalar(32, 0x7FFFFFFF));
  Value magnitude = bitcastTo(magnitudeBits, b.getF32Type());

  // Normal results: round the f32's bits to nearest even at the float8's
  // mantissa width, then rebias the exponent.
  Value lowestKept = b.create<AndOp>(
      loc, b.create<ShiftRightOp>(loc, magnitudeBits, intScalar(32, shift)),
      intScalar(32, 1));
  Value rounded =
      b.create<AddOp>(loc,
                      b.create<AddOp>(loc, magnitudeBits,
                                      intScalar(32, (1 << (shift - 1)) - 1)),
                      lowestKept);
  Value normal = b.create<SubOp>(
      loc, b.create<ShiftRightOp>(loc, rounded, intScalar(32, shift)),
      intScalar(32, (127 - format.bias) << format.mantissaBits));
  // Below the smallest normal: the mantissa is the magnitude in units of
  // the smallest subnormal (exact scaling by a power of two), rounded to
  // nearest even; 2^mantissaBits units is the smallest normal's code.
  float smallestNormal = std::ldexp(1.0f, 1 - format.bias);
  float perUnit = std::ldexp(1.0f, format.bias - 1 + format.mantissaBits);
  Value subnormal =
      castTo(b.create<RoundOp>(
                 loc, b.create<MulOp>(loc, magnitude, f32Scalar(perUnit))),
             b.getI32Type());
  Value code =
      select(b.create<LessOp>(loc, magnitude, f32Scalar(smallestNormal)),
             subnormal, normal);
  // Past the largest finite value (infinity included).
  int overflowCode = saturate              ? format.maxCode
                     : format.infCode >= 0 ? format.infCode
                                           : format.nanCode;
  code = select(b.create<GreaterOp>(loc, code, intScalar(32, format.maxCode)),
                intScalar(32, overflowCode), code);
  Value signed_ = b.create<OrOp>(
      loc, code,
      b.create<ShiftLeftOp>(loc, sign, intScalar(32, format.bits - 1)));
  if (format.noNegZero) // -0 is 0; 0x80 is NaN
    signed_ =
        select(b.create<EqualOp>(loc, code, intScalar(32, 0)), code, signed_);
  Value isNaN = b.create<NotEqualOp>(loc, x, x);
  Value result = select(isNaN, intScalar(32, format.nanCode), signed_);
  return castTo(result, b.getIntegerType(8));
}

Value Expander::encode(Value x, Type narrow, bool saturate,
                       StringRef roundMode) {
  if (auto integer = dyn_cast<IntegerType>(narrow)) {
    // Wrapped to the width, as a C cast to the narrow type would.
    unsigned width = integer.getWidth();
    Value wide = castTo(x, b.getI32Type());
    Value low = b.create<AndOp>(loc, wide, intScalar(32, (1 << width) - 1));
    if (integer.isSigned()) {
      Value signBit = intScalar(32, 1 << (width - 1));
      low = b.create<SubOp>(loc, b.create<XorOp>(loc, low, signBit), signBit);
    }
    return castTo(low, b.getIntegerType(8));
  }
  Value f32 = castTo(x, b.getF32Type());
  if (narrow.isBF16())
    return encodeBF16(f32);
  if (isa<Float8E8M0Type>(narrow))
    return encodeE8M0(f32, roundMode, saturate);
  return encodeFloat8(f32, narrow, saturate);
}

Value Expander::fromBoundary(Value x, Type narrow) {
  if (isa<Float4E2M1Type>(narrow)) // its bits in the low four
    return b.create<AndOp>(loc, x, intScalar(8, 0xF));
  auto integer = dyn_cast<IntegerType>(narrow);
  if (!integer)
    return x;
  unsigned width = integer.getWidth();
  Value low = b.create<AndOp>(loc, x, intScalar(8, (1 << width) - 1));
  if (!integer.isSigned())
    return low;
  Value signBit = intScalar(8, 1 << (width - 1));
  return b.create<SubOp>(loc, b.create<XorOp>(loc, low, signBit), signBit);
}

Value Expander::toBoundary(Value x, Type narrow) {
  auto integer = dyn_cast<IntegerType>(narrow);
  if (!integer)
    return x;
  return b.create<AndOp>(loc, x, intScalar(8, (1 << integer.getWidth()) - 1));
}

LogicalResult Expander::expandCast(CastOp op) {
  Value input = op.getInput();
  auto from = narrowOf.find(input);
  Type to = op.getType().getElementType();
  bool toNarrow = isNarrowElementType(to);
  b.setInsertionPoint(op);
  loc = op.getLoc();
  Value result;
  if (from != narrowOf.end() && !toNarrow) {
    result = decode(input, from->second, to);
    if (result == input) // int4 -> int8: a value of its own, not narrow
      result = b.create<CastOp>(loc, input.getType(), input);
  } else {
    Value source = input;
    if (from != narrowOf.end()) // narrow to narrow: through f32 or i32
      source = decode(input, from->second,
                      isa<IntegerType>(from->second) && isa<IntegerType>(to)
                          ? Type(b.getI32Type())
                          : Type(b.getF32Type()));
    auto roundMode = op->getAttrOfType<StringAttr>(kRoundModeAttr);
    result = encode(source, to, !op->hasAttr(kNoSaturateAttr),
                    roundMode ? roundMode.getValue() : "up");
    narrowOf[result] = to;
  }
  op.getResult().replaceAllUsesWith(result);
  op.erase();
  return success();
}

/// Ops that only move elements: their bits pass unchanged.
bool movesData(Operation *op) {
  if (isa<SelectOp>(op))
    return true;
  auto kind = dyn_cast<PatternKindInterface>(op);
  return kind && kind.getPatternKind() == PatternKind::Injective;
}

LogicalResult Expander::expandOp(Operation *op) {
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    Type narrow = dense ? dense.getElementType() : Type();
    if (!narrow || !isNarrowElementType(narrow))
      return success();
    Type storage = storageType(narrow);
    DenseElementsAttr stored;
    if (isa<FloatType>(narrow)) {
      stored = dense.bitcast(storage);
    } else {
      bool isSigned = narrow.isSignedInteger();
      stored = dense.mapValues(storage, [&](const APInt &value) {
        return isSigned ? value.sext(8) : value.zext(8);
      });
    }
    b.setInsertionPoint(op);
    Value replacement = b.create<ConstantOp>(op->getLoc(), stored);
    narrowOf[replacement] = narrow;
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
    return success();
  }
  if (auto castOp = dyn_cast<CastOp>(op))
    if (narrowOf.count(castOp.getInput()) ||
        isNarrowElementType(castOp.getType().getElementType()))
      return expandCast(castOp);

  auto narrowResult = [](Value result) -> Type {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    return type && isNarrowElementType(type.getElementType())
               ? type.getElementType()
               : Type();
  };
  bool touchesNarrow = llvm::any_of(op->getOperands(), [&](Value operand) {
    return narrowOf.count(operand) != 0;
  });
  touchesNarrow |= llvm::any_of(op->getResults(), [&](Value result) {
    return static_cast<bool>(narrowResult(result));
  });
  if (!touchesNarrow || isa<func::ReturnOp>(op))
    return success();

  // Data movement keeps the bits, unless an operand was computed in f32:
  // then it moves the f32 values, the chain going on.
  bool movesWide = llvm::any_of(op->getOperands(), [&](Value operand) {
    return wideOf.count(operand) != 0;
  });
  if (movesData(op) && !movesWide) {
    for (Value result : op->getResults())
      if (Type narrow = narrowResult(result)) {
        result.setType(like(result, storageType(narrow)));
        narrowOf[result] = narrow;
      }
    return success();
  }

  // Computed in f32: narrow float operands decoded, narrow results rounded.
  auto isNarrowInt = [](Type type) { return type && isa<IntegerType>(type); };
  for (Value operand : op->getOperands()) {
    auto found = narrowOf.find(operand);
    if (found != narrowOf.end() && isNarrowInt(found->second))
      return op->emitError() << "does not take " << found->second
                             << " values (ONNX allows 4- and 2-bit integers "
                                "only in casts, quantization and data "
                                "movement)";
  }
  for (Value result : op->getResults())
    if (isNarrowInt(narrowResult(result)))
      return op->emitError()
             << "cannot produce " << narrowResult(result) << " values";
  b.setInsertionPoint(op);
  loc = op->getLoc();
  for (OpOperand &operand : op->getOpOperands()) {
    auto found = narrowOf.find(operand.get());
    if (found == narrowOf.end())
      continue;
    auto wide = wideOf.find(operand.get());
    operand.set(wide != wideOf.end()
                    ? wide->second
                    : decodeToF32(operand.get(), found->second));
  }
  b.setInsertionPointAfter(op);
  for (Value result : op->getResults()) {
    Type narrow = narrowResult(result);
    if (!narrow)
      continue;
    result.setType(like(result, b.getF32Type()));
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : result.getUses())
      uses.push_back(&use);
    Value encoded = encode(result, narrow, /*saturate=*/true);
    for (OpOperand *use : uses)
      use->set(encoded);
    narrowOf[encoded] = narrow;
    wideOf[encoded] = result;
  }
  return success();
}

LogicalResult Expander::run() {
  Block &entry = function.getBody().front();
  b.setInsertionPointToStart(&entry);
  for (BlockArgument argument : entry.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type || !isNarrowElementType(type.getElementType()))
      continue;
    Type narrow = type.getElementType();
    argument.setType(type.clone(storageType(narrow)));
    loc = argument.getLoc();
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : argument.getUses())
      uses.push_back(&use);
    Value value = fromBoundary(argument, narrow);
    for (OpOperand *use : uses)
      use->set(value);
    narrowOf[value] = narrow;
  }
  // Ops created here come before the op being expanded or right after it:
  // walking a snapshot visits each original op once.
  SmallVector<Operation *> ops;
  for (Operation &op : entry)
    ops.push_back(&op);
  for (Operation *op : ops)
    if (failed(expandOp(op)))
      return failure();

  auto terminator = cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(terminator);
  for (OpOperand &operand : terminator->getOpOperands()) {
    auto found = narrowOf.find(operand.get());
    if (found != narrowOf.end())
      operand.set(toBoundary(operand.get(), found->second));
  }
  function.setFunctionType(b.getFunctionType(entry.getArgumentTypes(),
                                             terminator->getOperandTypes()));
  return success();
}

struct ExpandNarrowTypes
    : public dlc::impl::ExpandNarrowTypesBase<ExpandNarrowTypes> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    if (failed(Expander(function).run()))
      signalPassFailure();
  }
};

} // namespace
