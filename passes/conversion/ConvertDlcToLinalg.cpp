//===- ConvertDlcToLinalg.cpp - dlc graph ops to linalg on tensors --------===//
//
// The pass, the shared lowering helpers, and the lowering of elementwise and
// data-movement ops. Matrix products, convolution, pooling, reductions and
// softmax are in LowerStructuredOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>

namespace dlc {
#define GEN_PASS_DEF_CONVERTDLCTOLINALG
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

AffineMap dlc::broadcastMap(RankedTensorType operandType,
                            RankedTensorType resultType) {
  MLIRContext *context = resultType.getContext();
  int64_t offset = resultType.getRank() - operandType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < operandType.getRank(); ++d) {
    bool broadcast = operandType.getDimSize(d) == 1 &&
                     resultType.getDimSize(d + offset) != 1;
    exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                              : getAffineDimExpr(d + offset, context));
  }
  return AffineMap::get(resultType.getRank(), 0, exprs, context);
}

Value dlc::buildElementwise(OpBuilder &b, Location loc,
                            RankedTensorType resultType, ValueRange inputs,
                            const ScalarBodyBuilder &body) {
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(cast<RankedTensorType>(input.getType()), resultType));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  Value init = b.create<tensor::EmptyOp>(loc, resultType.getShape(),
                                         resultType.getElementType());
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        nested.create<linalg::YieldOp>(nestedLoc, result);
      });
  return generic.getResult(0);
}

Value dlc::buildInPlaceElementwise(OpBuilder &b, Location loc, Value dest,
                                   ValueRange inputs,
                                   const ScalarBodyBuilder &body) {
  auto resultType = cast<RankedTensorType>(dest.getType());
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(cast<RankedTensorType>(input.getType()), resultType));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, inputs, dest, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        nested.create<linalg::YieldOp>(nestedLoc,
                                       body(nested, nestedLoc, args));
      });
  return generic.getResult(0);
}

Value dlc::addScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(getElementTypeOrSelf(x.getType())))
    return b.create<arith::AddFOp>(loc, x, y);
  return b.create<arith::AddIOp>(loc, x, y);
}

Value dlc::mulScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(getElementTypeOrSelf(x.getType())))
    return b.create<arith::MulFOp>(loc, x, y);
  return b.create<arith::MulIOp>(loc, x, y);
}

bool dlc::isFloatOrInt(Type type) {
  return isa<FloatType>(type) || isa<IntegerType>(type);
}

bool dlc::anyNonZero(ArrayRef<int64_t> values) {
  return llvm::any_of(values, [](int64_t v) { return v != 0; });
}

Value dlc::readPaddedInput(OpBuilder &b, Location loc, Value input, Value batch,
                           Value channel, ArrayRef<Value> positions,
                           ArrayRef<int64_t> padBegin, Value padValue,
                           Value channelInBlock) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<Value> indices = {batch, channel};
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value inside;
  for (auto [i, position] : llvm::enumerate(positions)) {
    Value at = b.create<arith::SubIOp>(
        loc, position, b.create<arith::ConstantIndexOp>(loc, padBegin[i]));
    Value size = b.create<arith::ConstantIndexOp>(loc, type.getDimSize(i + 2));
    Value low =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, at, zero);
    Value high =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, at, size);
    Value ok = b.create<arith::AndIOp>(loc, low, high);
    inside = inside ? b.create<arith::AndIOp>(loc, inside, ok).getResult() : ok;
    indices.push_back(b.create<arith::SelectOp>(loc, ok, at, zero));
  }
  if (channelInBlock) // the blocked layout's innermost dim
    indices.push_back(channelInBlock);
  Value element = b.create<tensor::ExtractOp>(loc, input, indices);
  return b.create<arith::SelectOp>(loc, inside, element, padValue);
}

Value dlc::clampedIndex(OpBuilder &b, Location loc, Value index, int64_t size) {
  index = b.create<arith::IndexCastOp>(loc, b.getIndexType(), index);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value negative =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, index, zero);
  index = b.create<arith::SelectOp>(
      loc, negative,
      b.create<arith::AddIOp>(loc, index,
                              b.create<arith::ConstantIndexOp>(loc, size)),
      index);
  index = b.create<arith::MaxSIOp>(loc, index, zero);
  return b.create<arith::MinSIOp>(
      loc, index,
      b.create<arith::ConstantIndexOp>(loc, std::max<int64_t>(size - 1, 0)));
}

Value dlc::windowPosition(OpBuilder &b, Location loc, int64_t outDim,
                          int64_t windowDim, int64_t stride, int64_t dilation) {
  Value out = b.create<linalg::IndexOp>(loc, outDim);
  Value window = b.create<linalg::IndexOp>(loc, windowDim);
  Value scaledOut = b.create<arith::MulIOp>(
      loc, out, b.create<arith::ConstantIndexOp>(loc, stride));
  Value scaledWindow = b.create<arith::MulIOp>(
      loc, window, b.create<arith::ConstantIndexOp>(loc, dilation));
  return b.create<arith::AddIOp>(loc, scaledOut, scaledWindow);
}

Value dlc::scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  Type elementType = getElementTypeOrSelf(type);
  // Integers saturate to their type's range (an infinite clip bound).
  TypedAttr element =
      isa<FloatType>(elementType)
          ? TypedAttr(b.getFloatAttr(elementType, value))
          : TypedAttr(b.getIntegerAttr(
                elementType,
                saturatedInteger(value, elementType.getIntOrFloatBitWidth(),
                                 elementType.isUnsignedInteger() ||
                                     elementType.isInteger(1))));
  if (auto vectorType = dyn_cast<VectorType>(type)) // a splat for vector code
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(vectorType, element));
  return b.create<arith::ConstantOp>(loc, element);
}

Value dlc::lowestValue(OpBuilder &b, Location loc, Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                  /*Negative=*/true)));
  unsigned width = type.getIntOrFloatBitWidth();
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, APInt::getSignedMinValue(width)));
}

Value dlc::highestValue(OpBuilder &b, Location loc, Type type) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(floatType,
                            APFloat::getInf(floatType.getFloatSemantics())));
  unsigned width = type.getIntOrFloatBitWidth();
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, APInt::getSignedMaxValue(width)));
}

Value dlc::filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                        Value value) {
  Value empty =
      b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
}

Value dlc::reshapeTensor(OpBuilder &b, Location loc, Value value,
                         RankedTensorType type) {
  auto sourceType = cast<RankedTensorType>(value.getType());
  if (sourceType == type)
    return value;
  // Collapse to 1-d (or 0-d), then expand: always valid for static shapes.
  Value flat = value;
  if (sourceType.getRank() > 1 || type.getRank() == 0) {
    SmallVector<ReassociationIndices> all;
    if (type.getRank() != 0 || sourceType.getRank() != 0) {
      ReassociationIndices group;
      for (int64_t d = 0; d < sourceType.getRank(); ++d)
        group.push_back(d);
      if (type.getRank() != 0)
        all.push_back(group);
    }
    SmallVector<int64_t> flatShape;
    if (type.getRank() != 0)
      flatShape.push_back(sourceType.getNumElements());
    auto flatType =
        RankedTensorType::get(flatShape, sourceType.getElementType());
    flat = b.create<tensor::CollapseShapeOp>(loc, flatType, value, all);
  }
  auto flatType = cast<RankedTensorType>(flat.getType());
  if (flatType == type)
    return flat;
  SmallVector<ReassociationIndices> expand;
  if (flatType.getRank() == 1) {
    ReassociationIndices group;
    for (int64_t d = 0; d < type.getRank(); ++d)
      group.push_back(d);
    expand.push_back(group);
  }
  return b.create<tensor::ExpandShapeOp>(loc, type, flat, expand);
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

namespace {

/// Float scalars or vectors (epilogues also run on vectors).
bool isFloat(Type type) { return isa<FloatType>(getElementTypeOrSelf(type)); }

Value lowerRelu(OpBuilder &b, Location loc, Value x, ReluOp) {
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  if (isFloat(x.getType()))
    return b.create<arith::MaximumFOp>(loc, x, zero);
  return b.create<arith::MaxSIOp>(loc, x, zero);
}

Value lowerSigmoid(OpBuilder &b, Location loc, Value x, SigmoidOp) {
  Value one = scalarConstant(b, loc, x.getType(), 1.0);
  Value negated = b.create<arith::NegFOp>(loc, x);
  Value exp = b.create<math::ExpOp>(loc, negated);
  return b.create<arith::DivFOp>(loc, one,
                                 b.create<arith::AddFOp>(loc, one, exp));
}

Value lowerTanh(OpBuilder &b, Location loc, Value x, TanhOp) {
  return b.create<math::TanhOp>(loc, x);
}
Value lowerExp(OpBuilder &b, Location loc, Value x, ExpOp) {
  return b.create<math::ExpOp>(loc, x);
}
Value lowerLog(OpBuilder &b, Location loc, Value x, LogOp) {
  return b.create<math::LogOp>(loc, x);
}
Value lowerSqrt(OpBuilder &b, Location loc, Value x, SqrtOp) {
  return b.create<math::SqrtOp>(loc, x);
}
Value lowerErf(OpBuilder &b, Location loc, Value x, ErfOp) {
  return b.create<math::ErfOp>(loc, x);
}
Value lowerNeg(OpBuilder &b, Location loc, Value x, NegOp) {
  if (isFloat(x.getType()))
    return b.create<arith::NegFOp>(loc, x);
  return b.create<arith::SubIOp>(loc, scalarConstant(b, loc, x.getType(), 0),
                                 x);
}
Value lowerAbs(OpBuilder &b, Location loc, Value x, AbsOp) {
  if (isFloat(x.getType()))
    return b.create<math::AbsFOp>(loc, x);
  return b.create<math::AbsIOp>(loc, x);
}
Value lowerReciprocal(OpBuilder &b, Location loc, Value x, ReciprocalOp) {
  return b.create<arith::DivFOp>(loc, scalarConstant(b, loc, x.getType(), 1.0),
                                 x);
}
Value lowerClip(OpBuilder &b, Location loc, Value x, ClipOp op) {
  // An infinite bound clips nothing (and has no integer value).
  Type type = x.getType();
  double low = op.getMin().convertToDouble();
  double high = op.getMax().convertToDouble();
  Value result = x;
  if (!std::isinf(low)) {
    Value bound = scalarConstant(b, loc, type, low);
    result = isFloat(type)
                 ? b.create<arith::MaximumFOp>(loc, result, bound).getResult()
                 : b.create<arith::MaxSIOp>(loc, result, bound).getResult();
  }
  if (!std::isinf(high)) {
    Value bound = scalarConstant(b, loc, type, high);
    result = isFloat(type)
                 ? b.create<arith::MinimumFOp>(loc, result, bound).getResult()
                 : b.create<arith::MinSIOp>(loc, result, bound).getResult();
  }
  return result;
}

Value lowerSign(OpBuilder &b, Location loc, Value x, SignOp) {
  Type type = x.getType();
  Value zero = scalarConstant(b, loc, type, 0.0);
  Value one = scalarConstant(b, loc, type, 1.0);
  Value minusOne = scalarConstant(b, loc, type, -1.0);
  Value positive, negative;
  if (isFloat(type)) {
    positive = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
    negative = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
  } else {
    positive = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, zero);
    negative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, zero);
  }
  // Zero (and NaN) map to themselves.
  return b.create<arith::SelectOp>(
      loc, positive, one,
      b.create<arith::SelectOp>(loc, negative, minusOne, x));
}

Value lowerNot(OpBuilder &b, Location loc, Value x, NotOp) {
  return b.create<arith::XOrIOp>(loc, x,
                                 scalarConstant(b, loc, x.getType(), 1));
}

/// `type` with `element` in place of its element type (scalars or vectors).
Type withElementType(Type type, Type element) {
  if (auto vectorType = dyn_cast<VectorType>(type))
    return vectorType.clone(element);
  return element;
}

Value lowerCast(OpBuilder &b, Location loc, Value x, CastOp op) {
  Type from = getElementTypeOrSelf(x.getType());
  Type to = op.getType().getElementType();
  Type resultType = withElementType(x.getType(), to);
  if (from == to)
    return x;
  if (to.isInteger(1)) { // x != 0
    Value zero = scalarConstant(b, loc, x.getType(), 0.0);
    if (isa<FloatType>(from))
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x, zero);
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, x, zero);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return fromWidth < toWidth
               ? b.create<arith::ExtFOp>(loc, resultType, x).getResult()
               : b.create<arith::TruncFOp>(loc, resultType, x).getResult();
  if (isa<FloatType>(to)) // bools are 0 or 1, other integers signed
    return from.isInteger(1)
               ? b.create<arith::UIToFPOp>(loc, resultType, x).getResult()
               : b.create<arith::SIToFPOp>(loc, resultType, x).getResult();
  if (isa<FloatType>(from))
    return b.create<arith::FPToSIOp>(loc, resultType, x);
  if (fromWidth < toWidth)
    return from.isInteger(1)
               ? b.create<arith::ExtUIOp>(loc, resultType, x).getResult()
               : b.create<arith::ExtSIOp>(loc, resultType, x).getResult();
  return b.create<arith::TruncIOp>(loc, resultType, x);
}

/// Remainder of a / b with the sign of `b` (floored: ONNX Mod with fmod=0)
/// or of `a` (truncated: fmod=1).
Value lowerRemainder(OpBuilder &b, Location loc, Value x, Value y,
                     bool floored) {
  bool isF = isFloat(x.getType());
  Value r = isF ? b.create<arith::RemFOp>(loc, x, y).getResult()
                : b.create<arith::RemSIOp>(loc, x, y).getResult();
  if (!floored)
    return r;
  Value zero = scalarConstant(b, loc, x.getType(), 0.0);
  Value nonZero, signsDiffer;
  if (isF) {
    nonZero = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, r, zero);
    signsDiffer = b.create<arith::XOrIOp>(
        loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, r, zero),
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, y, zero));
  } else {
    nonZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, r, zero);
    signsDiffer = b.create<arith::XOrIOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, r, zero),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, y, zero));
  }
  Value fix = b.create<arith::AndIOp>(loc, nonZero, signsDiffer);
  Value shifted = isF ? b.create<arith::AddFOp>(loc, r, y).getResult()
                      : b.create<arith::AddIOp>(loc, r, y).getResult();
  return b.create<arith::SelectOp>(loc, fix, shifted, r);
}

Value lowerCompare(OpBuilder &b, Location loc, Operation *op, Value x,
                   Value y) {
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  auto [floatPredicate, intPredicate] =
      llvm::TypeSwitch<Operation *, std::pair<FP, IP>>(op)
          .Case([](EqualOp) { return std::pair(FP::OEQ, IP::eq); })
          .Case([](NotEqualOp) { return std::pair(FP::UNE, IP::ne); })
          .Case([](LessOp) { return std::pair(FP::OLT, IP::slt); })
          .Case([](LessEqualOp) { return std::pair(FP::OLE, IP::sle); })
          .Case([](GreaterOp) { return std::pair(FP::OGT, IP::sgt); })
          .Case([](GreaterEqualOp) { return std::pair(FP::OGE, IP::sge); })
          .Default([](Operation *) { return std::pair(FP::OEQ, IP::eq); });
  if (isFloat(x.getType()))
    return b.create<arith::CmpFOp>(loc, floatPredicate, x, y);
  return b.create<arith::CmpIOp>(loc, intPredicate, x, y);
}

} // namespace

bool dlc::supportsScalarOp(Operation *op) {
  auto kindOp = dyn_cast<PatternKindInterface>(op);
  if (!kindOp || op->getNumResults() != 1 ||
      (kindOp.getPatternKind() != PatternKind::Elementwise &&
       kindOp.getPatternKind() != PatternKind::Broadcast))
    return false;
  Type type =
      cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
  Type inputType = getElementTypeOrSelf(op->getOperand(0).getType());
  if (isa<BitcastOp>(op))
    return isFloatOrInt(inputType) && isFloatOrInt(type) &&
           inputType.getIntOrFloatBitWidth() == type.getIntOrFloatBitWidth();
  if (isa<CastOp, EqualOp, NotEqualOp, LessOp, LessEqualOp, GreaterOp,
          GreaterEqualOp>(op))
    return isFloatOrInt(inputType) && isFloatOrInt(type);
  if (isa<SelectOp>(op))
    return isFloatOrInt(type);
  if (isa<NotOp>(op))
    return type.isInteger(1);
  if (isa<AndOp, OrOp, XorOp>(op)) // logical on i1, bitwise on wider ints
    return isa<IntegerType>(type);
  if (isa<ShiftLeftOp, ShiftRightOp>(op))
    return isa<IntegerType>(type) && !type.isInteger(1);
  if (isFloat(type))
    return true;
  if (!isa<IntegerType>(type))
    return false;
  return isa<ReluOp, NegOp, AbsOp, ClipOp, AddOp, SubOp, MulOp, DivOp, MaxOp,
             MinOp, PowOp, SignOp, ModOp, FModOp>(op);
}

/// x << y or logical x >> y; arith leaves shifts by the width or more
/// undefined, ONNX's BitShift gives 0 (all bits shifted out).
Value lowerShift(OpBuilder &b, Location loc, Value x, Value y, bool left) {
  Value shifted = left ? b.create<arith::ShLIOp>(loc, x, y).getResult()
                       : b.create<arith::ShRUIOp>(loc, x, y).getResult();
  unsigned width = x.getType().getIntOrFloatBitWidth();
  Value inRange = b.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::ult, y,
      b.create<arith::ConstantIntOp>(loc, width, x.getType()));
  return b.create<arith::SelectOp>(
      loc, inRange, shifted,
      b.create<arith::ConstantIntOp>(loc, 0, x.getType()));
}

/// The f32 value of a splat constant, looking through a dlc.fused group's
/// block arguments to the group's inputs.
static std::optional<float> splatF32(Value value) {
  if (auto argument = dyn_cast<BlockArgument>(value))
    if (auto group =
            dyn_cast_or_null<FusedOp>(argument.getOwner()->getParentOp()))
      value = group.getInputs()[argument.getArgNumber()];
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) || !dense.isSplat() ||
      !dense.getElementType().isF32())
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToFloat();
}

/// The divisor of `op` when its quotient can be computed by
/// divideForRounding: an f32 quotient that is only rounded, by a constant
/// that is normal, has a normal reciprocal and a significand that is not
/// all ones (where the rounded reciprocal misses Markstein's bound).
static std::optional<float> roundedQuotientDivisor(DivOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.getElementType().isF32() ||
      !llvm::all_of(op->getUsers(),
                    [](Operation *user) { return isa<RoundOp>(user); }))
    return std::nullopt;
  std::optional<float> divisor = splatF32(op.getRhs());
  if (!divisor)
    return std::nullopt;
  float c = *divisor, r = 1.0f / c;
  uint32_t bits;
  std::memcpy(&bits, &c, sizeof(bits));
  if (std::fpclassify(c) != FP_NORMAL || std::fpclassify(r) != FP_NORMAL ||
      (bits & 0x7fffff) == 0x7fffff)
    return std::nullopt;
  return c;
}

/// Set by the pass (with fused-multiply-add) on the dlc.div ops that
/// divideForRounding lowers: their divisor.
static constexpr llvm::StringLiteral kDivideForRoundingAttr =
    "dlc.divide_for_rounding";

/// x / c for a quotient that is only rounded to an integer (quantization's
/// round(x / scale)), without a division: with r = 1/c correctly rounded,
/// q0 = x * r is within an ulp of x / c, the remainder x - q0 * c is exact
/// in one FMA, and q0 + remainder * r (a second FMA) is the correctly
/// rounded quotient wherever it and the remainder are normal (Markstein). A
/// vector division costs 5-10 times the three steps. Where |q0| >= 2^100
/// (or q0 is inf or NaN) q0 is kept. Either way round() gives what it gives
/// on x / c: tiny quotients round to zero, huge ones are integers beyond
/// every grid. One difference is left: a zero quotient may be +0 where the
/// division gives -0 (x = -0), which no grid value can tell apart. Empty
/// unless the pass marked `op`.
static Value divideForRounding(OpBuilder &b, Location loc, DivOp op, Value x) {
  auto marked = op->getAttrOfType<FloatAttr>(kDivideForRoundingAttr);
  if (!marked || !getElementTypeOrSelf(x.getType()).isF32())
    return {};
  float c = marked.getValueAsDouble(), r = 1.0f / c;
  auto constant = [&](float value) -> Value {
    if (auto vector = dyn_cast<VectorType>(x.getType()))
      return b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(vector, b.getF32FloatAttr(value)));
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(value));
  };
  Value q0 = b.create<arith::MulFOp>(loc, x, constant(r));
  Value remainder = b.create<math::FmaOp>(loc, b.create<arith::NegFOp>(loc, q0),
                                          constant(c), x);
  Value q1 = b.create<math::FmaOp>(loc, remainder, constant(r), q0);
  Value inRange = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT,
                                          b.create<math::AbsFOp>(loc, q0),
                                          constant(0x1p100f));
  return b.create<arith::SelectOp>(loc, inRange, q1, q0);
}

Value dlc::buildScalarOp(OpBuilder &b, Location loc, Operation *op,
                         ValueRange args) {
  bool isInt = isa<IntegerType>(getElementTypeOrSelf(args[0].getType()));
  auto binary = [&](auto floatOp, auto intOp) -> Value {
    using FloatOp = decltype(floatOp);
    using IntOp = decltype(intOp);
    if (isInt)
      return b.create<IntOp>(loc, args[0], args[1]);
    return b.create<FloatOp>(loc, args[0], args[1]);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](ReluOp o) { return lowerRelu(b, loc, args[0], o); })
      .Case([&](SigmoidOp o) { return lowerSigmoid(b, loc, args[0], o); })
      .Case([&](TanhOp o) { return lowerTanh(b, loc, args[0], o); })
      .Case([&](ExpOp o) { return lowerExp(b, loc, args[0], o); })
      .Case([&](LogOp o) { return lowerLog(b, loc, args[0], o); })
      .Case([&](SqrtOp o) { return lowerSqrt(b, loc, args[0], o); })
      .Case([&](ErfOp o) { return lowerErf(b, loc, args[0], o); })
      .Case([&](NegOp o) { return lowerNeg(b, loc, args[0], o); })
      .Case([&](AbsOp o) { return lowerAbs(b, loc, args[0], o); })
      .Case([&](ReciprocalOp o) { return lowerReciprocal(b, loc, args[0], o); })
      .Case([&](ClipOp o) { return lowerClip(b, loc, args[0], o); })
      .Case([&](AddOp) { return binary(arith::AddFOp(), arith::AddIOp()); })
      .Case([&](SubOp) { return binary(arith::SubFOp(), arith::SubIOp()); })
      .Case([&](MulOp) { return binary(arith::MulFOp(), arith::MulIOp()); })
      .Case([&](DivOp o) {
        if (isInt && op->hasAttr(kUnsignedAttr))
          return b.create<arith::DivUIOp>(loc, args[0], args[1]).getResult();
        if (Value quotient = divideForRounding(b, loc, o, args[0]))
          return quotient;
        return binary(arith::DivFOp(), arith::DivSIOp());
      })
      .Case(
          [&](MaxOp) { return binary(arith::MaximumFOp(), arith::MaxSIOp()); })
      .Case(
          [&](MinOp) { return binary(arith::MinimumFOp(), arith::MinSIOp()); })
      .Case([&](PowOp) { return binary(math::PowFOp(), math::IPowIOp()); })
      .Case([&](SinOp) { return b.create<math::SinOp>(loc, args[0]); })
      .Case([&](CosOp) { return b.create<math::CosOp>(loc, args[0]); })
      .Case([&](TanOp) { return b.create<math::TanOp>(loc, args[0]); })
      .Case([&](AsinOp) { return b.create<math::AsinOp>(loc, args[0]); })
      .Case([&](AcosOp) { return b.create<math::AcosOp>(loc, args[0]); })
      .Case([&](AtanOp) { return b.create<math::AtanOp>(loc, args[0]); })
      .Case([&](SinhOp) { return b.create<math::SinhOp>(loc, args[0]); })
      .Case([&](CoshOp) { return b.create<math::CoshOp>(loc, args[0]); })
      .Case([&](AsinhOp) { return b.create<math::AsinhOp>(loc, args[0]); })
      .Case([&](AcoshOp) { return b.create<math::AcoshOp>(loc, args[0]); })
      .Case([&](AtanhOp) { return b.create<math::AtanhOp>(loc, args[0]); })
      .Case([&](CeilOp) { return b.create<math::CeilOp>(loc, args[0]); })
      .Case([&](FloorOp) { return b.create<math::FloorOp>(loc, args[0]); })
      .Case([&](RoundOp) { return b.create<math::RoundEvenOp>(loc, args[0]); })
      .Case([&](SignOp o) { return lowerSign(b, loc, args[0], o); })
      .Case([&](NotOp o) { return lowerNot(b, loc, args[0], o); })
      .Case([&](CastOp o) { return lowerCast(b, loc, args[0], o); })
      .Case([&](BitcastOp o) {
        Type to =
            withElementType(args[0].getType(), o.getType().getElementType());
        return b.create<arith::BitcastOp>(loc, to, args[0]).getResult();
      })
      .Case([&](ModOp) {
        // Unsigned: the remainder has no sign to fix.
        if (isInt && op->hasAttr(kUnsignedAttr))
          return b.create<arith::RemUIOp>(loc, args[0], args[1]).getResult();
        return lowerRemainder(b, loc, args[0], args[1], true);
      })
      .Case([&](FModOp) {
        return lowerRemainder(b, loc, args[0], args[1], false);
      })
      .Case(
          [&](AndOp) { return b.create<arith::AndIOp>(loc, args[0], args[1]); })
      .Case([&](OrOp) { return b.create<arith::OrIOp>(loc, args[0], args[1]); })
      .Case(
          [&](XorOp) { return b.create<arith::XOrIOp>(loc, args[0], args[1]); })
      .Case<ShiftLeftOp, ShiftRightOp>([&](Operation *shift) {
        return lowerShift(b, loc, args[0], args[1], isa<ShiftLeftOp>(shift));
      })
      .Case<EqualOp, NotEqualOp, LessOp, LessEqualOp, GreaterOp,
            GreaterEqualOp>([&](Operation *compare) {
        return lowerCompare(b, loc, compare, args[0], args[1]);
      })
      .Case([&](SelectOp) {
        return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
      })
      .Default([](Operation *) { return Value(); });
}

namespace {

/// Lowers any elementwise or broadcasting op to one linalg.generic.
struct ElementwiseLowering : ConversionPattern {
  ElementwiseLowering(MLIRContext *context)
      : ConversionPattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!supportsScalarOp(op))
      return rewriter.notifyMatchFailure(op, "not a supported elementwise op");
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Value result =
        buildElementwise(rewriter, op->getLoc(), resultType, operands,
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return buildScalarOp(b, loc, op, args);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement and constants
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "value is not a typed attribute");
    // A large splat (ConstantOfShape) is filled at run time: as a global it
    // would take its whole size in the library.
    auto splat = dyn_cast<SplatElementsAttr>(value);
    constexpr int64_t kFillAbove = 4096; // elements
    if (splat && splat.getNumElements() > kFillAbove) {
      auto type = cast<RankedTensorType>(splat.getType());
      Value scalar = rewriter.create<arith::ConstantOp>(
          op.getLoc(), splat.getSplatValue<TypedAttr>());
      Value empty = rewriter.create<tensor::EmptyOp>(
          op.getLoc(), type.getShape(), type.getElementType());
      rewriter.replaceOpWithNewOp<linalg::FillOp>(op, scalar, empty);
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    Value init = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), resultType.getShape(), resultType.getElementType());
    auto transpose = rewriter.create<linalg::TransposeOp>(
        op.getLoc(), adaptor.getInput(), init, op.getPerm());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(),
                                         adaptor.getInput(), op.getType()));
    return success();
  }
};

/// One generic over the result: the index along `axis` comes from `indices`
/// (negative counts from the end, out of range is clamped), the data is read
/// with tensor.extract.
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto indicesType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t axis = normalizeAxis(op.getAxis(), inputType.getRank());
    int64_t indexRank = indicesType.getRank();
    int64_t loops = resultType.getRank();
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < indexRank; ++d)
      indexExprs.push_back(getAffineDimExpr(axis + d, context));
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, indexExprs, context),
        rewriter.getMultiDimIdentityMap(loops)};
    Value init = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), resultType.getShape(), resultType.getElementType());
    Value input = adaptor.getInput();
    int64_t size = inputType.getDimSize(axis);
    auto generic = rewriter.create<linalg::GenericOp>(
        op.getLoc(), resultType, adaptor.getIndices(), init, maps,
        SmallVector<utils::IteratorType>(loops, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value index = clampedIndex(b, loc, args[0], size);
          SmallVector<Value> indices;
          for (int64_t d = 0; d < axis; ++d)
            indices.push_back(b.create<linalg::IndexOp>(loc, d));
          indices.push_back(index);
          for (int64_t d = axis + 1; d < inputType.getRank(); ++d)
            indices.push_back(
                b.create<linalg::IndexOp>(loc, d - 1 + indexRank));
          b.create<linalg::YieldOp>(
              loc,
              b.create<tensor::ExtractOp>(loc, input, indices).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [start, size, step] :
         llvm::zip(op.getStarts(), resultType.getShape(), op.getSteps())) {
      offsets.push_back(rewriter.getIndexAttr(start));
      sizes.push_back(rewriter.getIndexAttr(size));
      strides.push_back(rewriter.getIndexAttr(step));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, resultType, adaptor.getInput(), offsets, sizes, strides);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    int64_t rank = resultType.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    Value result = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), resultType.getShape(), resultType.getElementType());
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides(rank, rewriter.getIndexAttr(1));
      for (int64_t dim : inputType.getShape())
        sizes.push_back(rewriter.getIndexAttr(dim));
      result = rewriter.create<tensor::InsertSliceOp>(
          op.getLoc(), input, result, offsets, sizes, strides);
      offset += inputType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void dlc::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ElementwiseLowering>(context);
  patterns.add<ConstantLowering, TransposeLowering, ReshapeLowering,
               ConcatLowering, GatherLowering, SliceLowering>(context);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct ConvertDlcToLinalgPass
    : dlc::impl::ConvertDlcToLinalgBase<ConvertDlcToLinalgPass> {
  using ConvertDlcToLinalgBase::ConvertDlcToLinalgBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<DlcDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect, scf::SCFDialect,
                           vector::VectorDialect>();
    // The integer conv micro-kernel's vpdpbusd (llvm.call_intrinsic).
    target.addLegalOp<LLVM::CallIntrinsicOp>();
    // Quotients by constants that are only rounded, marked with their
    // divisor before the conversion rewrites the constants.
    if (fusedMultiplyAdd)
      getOperation().walk([&](DivOp op) {
        if (std::optional<float> divisor = roundedQuotientDivisor(op))
          op->setAttr(kDivideForRoundingAttr,
                      FloatAttr::get(Float32Type::get(context), *divisor));
      });
    RewritePatternSet patterns(context);
    populateElementwiseLoweringPatterns(patterns);
    populateStructuredLoweringPatterns(patterns);
    populateIndexingLoweringPatterns(patterns);
    ConvKernelTarget convKernel{convMicrokernel, vectorRegisters,
                                paddedInputCopy, int8Dot};
    populateConvolutionLoweringPatterns(patterns, convKernel);
    populateFusedLoweringPatterns(patterns, convKernel);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
