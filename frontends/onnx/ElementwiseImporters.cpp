//===- ElementwiseImporters.cpp - Math, logic, comparisons, casts ---------===//
//
// Elementwise ONNX ops: each maps onto one dlc op or a short composition of
// them (activations such as Elu or HardSwish are written with select,
// comparisons and arithmetic, as their ONNX function bodies are).
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

#include <cmath>

using namespace mlir;

namespace dlc {
namespace {

Type elementTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

template <typename OpTy> LogicalResult importFloatUnary(NodeImporter &n) {
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("input must be a float tensor");
  n.setOutput(0, n.build<OpTy>(n.input(0)));
  return success();
}

template <typename OpTy> LogicalResult importSameTypeBinary(NodeImporter &n) {
  if (failed(requireSameElementType(n, n.input(0), n.input(1))))
    return failure();
  n.setOutput(0, n.build<OpTy>({n.input(0), n.input(1)}));
  return success();
}

template <typename OpTy> LogicalResult importLogical(NodeImporter &n) {
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (!n.inputType(i).getElementType().isInteger(1))
      return n.fail("inputs must be bool tensors");
  if (n.numInputs() == 1)
    n.setOutput(0, n.build<OpTy>(n.input(0)));
  else
    n.setOutput(0, n.build<OpTy>({n.input(0), n.input(1)}));
  return success();
}

/// BitwiseAnd/Or/Xor/Not (opset 18) on integers of any width and sign.
template <typename OpTy> LogicalResult importBitwise(NodeImporter &n) {
  Type elementType = n.inputType(0).getElementType();
  if (!isa<IntegerType>(elementType) || elementType.isInteger(1))
    return n.fail("inputs must be integer tensors");
  if (n.numInputs() == 2) {
    if (failed(requireSameElementType(n, n.input(0), n.input(1))))
      return failure();
    n.setOutput(0, n.build<OpTy>({n.input(0), n.input(1)}));
    return success();
  }
  // Not: x xor all ones.
  auto scalarType = RankedTensorType::get({}, elementType);
  Value allOnes = n.constant(DenseElementsAttr::get(
      scalarType, APInt::getAllOnes(elementType.getIntOrFloatBitWidth())));
  n.setOutput(0, n.build<XorOp>({n.input(0), allOnes}));
  return success();
}

LogicalResult importSign(NodeImporter &n) {
  n.setOutput(0, n.build<SignOp>(n.input(0)));
  return success();
}

LogicalResult importWhere(NodeImporter &n) {
  if (!n.inputType(0).getElementType().isInteger(1))
    return n.fail("condition must be a bool tensor");
  if (failed(requireSameElementType(n, n.input(1), n.input(2))))
    return failure();
  n.setOutput(0, n.build<SelectOp>({n.input(0), n.input(1), n.input(2)}));
  return success();
}

/// x cast to `type`; a float8 result overflows to infinity or NaN when
/// the node's saturate (opset 19) is 0; a float8e8m0 one rounds as its
/// round_mode (opset 24) says.
Value castNode(NodeImporter &n, Value x, Type type) {
  Value result = n.cast(x, type);
  auto castOp = result ? result.getDefiningOp<CastOp>() : CastOp();
  if (!castOp)
    return result;
  if (!n.attrInt("saturate", 1))
    castOp->setAttr(kNoSaturateAttr, n.builder.getUnitAttr());
  if (isa<Float8E8M0Type>(type)) {
    std::string mode = n.attrString("round_mode", "up");
    if (mode != "up" && mode != "down" && mode != "nearest") {
      (void)n.fail("round_mode must be up, down or nearest, not '" + mode +
                   "'");
      return nullptr;
    }
    castOp->setAttr(kRoundModeAttr, n.builder.getStringAttr(mode));
  }
  return result;
}

LogicalResult importCast(NodeImporter &n) {
  int64_t to = n.attrInt("to", 0);
  Type type = convertElementType(to, *n.builder.getContext());
  if (!type)
    return n.fail("casting to " + elementTypeName(to) + " is not supported");
  n.setOutput(0, castNode(n, n.input(0), type));
  return success();
}

LogicalResult importCastLike(NodeImporter &n) {
  n.setOutput(0, castNode(n, n.input(0), n.inputType(1).getElementType()));
  return success();
}

/// BitCast (opset 26): the bits reinterpreted, types of one width. A bool
/// is a byte holding 0 or 1, so from and to bool it is a cast.
LogicalResult importBitCast(NodeImporter &n) {
  int64_t to = n.attrInt("to", 0);
  Type from = n.inputType(0).getElementType();
  Type type = convertElementType(to, *n.builder.getContext());
  if (!type)
    return n.fail("casting to " + elementTypeName(to) + " is not supported");
  if (isNarrowElementType(from) || isNarrowElementType(type))
    return n.fail("bfloat16, float8, 4- and 2-bit types are not supported");
  auto storageBits = [](Type t) {
    return t.isInteger(1) ? 8u : t.getIntOrFloatBitWidth();
  };
  if (storageBits(from) != storageBits(type))
    return n.fail("the input and the output types differ in width");
  if (from == type) {
    n.setOutput(0, n.input(0));
  } else if (from.isInteger(1) || type.isInteger(1)) {
    n.setOutput(0, n.cast(n.input(0), type));
  } else {
    Value x = n.input(0);
    n.setOutput(
        0, n.builder.create<BitcastOp>(n.loc, n.inputType(0).clone(type), x));
  }
  return success();
}

LogicalResult importBitShift(NodeImporter &n) {
  if (failed(requireSameElementType(n, n.input(0), n.input(1))))
    return failure();
  std::string direction = n.attrString("direction", "");
  Value x = n.input(0), y = n.input(1);
  // dlc.shift_right is logical, and a shift by a negative amount or by the
  // width or more gives 0: ONNX's meaning for unsigned types and for a left
  // shift. A signed type (opset 28) shifts right arithmetically:
  // ~(~x >> y) for a negative x, so an out-of-range shift gives -1 there.
  bool isSigned = n.inputType(0).getElementType().isSignlessInteger();
  if (direction == "LEFT") {
    n.setOutput(0, n.build<ShiftLeftOp>({x, y}));
  } else if (direction == "RIGHT" && !isSigned) {
    n.setOutput(0, n.build<ShiftRightOp>({x, y}));
  } else if (direction == "RIGHT") {
    Value allOnes = n.scalarLike(x, -1); // ~v is -1 - v
    Value negativeShifted = n.build<SubOp>(
        {allOnes, n.build<ShiftRightOp>({n.build<SubOp>({allOnes, x}), y})});
    Value negative = n.build<LessOp>({x, n.scalarLike(x, 0)});
    n.setOutput(0, n.build<SelectOp>({negative, negativeShifted,
                                      n.build<ShiftRightOp>({x, y})}));
  } else {
    return n.fail("direction must be LEFT or RIGHT, not '" + direction + "'");
  }
  return success();
}

LogicalResult importMod(NodeImporter &n) {
  if (failed(requireSameElementType(n, n.input(0), n.input(1))))
    return failure();
  bool fmod = n.attrInt("fmod", 0);
  Value a = n.input(0), b = n.input(1);
  if (!fmod && isa<FloatType>(n.inputType(0).getElementType())) {
    // Floored, the sign of the divisor (opset 28 defines it for floats):
    // C's fmod, moved by one divisor where the signs differ.
    Value r = n.build<FModOp>({a, b});
    Value zero = n.scalarLike(a, 0);
    Value signsDiffer = n.build<NotEqualOp>(
        {n.build<LessOp>({r, zero}), n.build<LessOp>({b, zero})});
    Value fix = n.build<AndOp>({n.build<NotEqualOp>({r, zero}), signsDiffer});
    n.setOutput(0, n.build<SelectOp>({fix, n.build<AddOp>({r, b}), r}));
    return success();
  }
  n.setOutput(0, fmod ? n.build<FModOp>({a, b}) : n.build<ModOp>({a, b}));
  return success();
}

/// Pow with mixed types: the exponent is converted to a float base's type;
/// an integer base is raised in the exponent's float type and converted back.
LogicalResult importPow(NodeImporter &n) {
  Value base = n.input(0), exponent = n.input(1);
  if (n.opset < 7 && n.attrInt("broadcast", 0) && n.hasAttr("axis"))
    return n.fail("broadcasting from an axis (before opset 7) is not "
                  "supported");
  Type baseType = elementTypeOf(base), exponentType = elementTypeOf(exponent);
  if (baseType == exponentType || isa<FloatType>(baseType)) {
    n.setOutput(0, n.build<PowOp>({base, n.cast(exponent, baseType)}));
    return success();
  }
  Type computeType =
      isa<FloatType>(exponentType) ? exponentType : n.builder.getF64Type();
  Value power = n.build<PowOp>(
      {n.cast(base, computeType), n.cast(exponent, computeType)});
  n.setOutput(0, n.cast(power, baseType));
  return success();
}

LogicalResult importIsNaN(NodeImporter &n) {
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("input must be a float tensor");
  n.setOutput(0, n.build<NotEqualOp>({n.input(0), n.input(0)}));
  return success();
}

LogicalResult importIsInf(NodeImporter &n) {
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("input must be a float tensor");
  Value x = n.input(0);
  bool positive = n.attrInt("detect_positive", 1);
  bool negative = n.attrInt("detect_negative", 1);
  Value isPositive = n.build<EqualOp>({x, n.scalarLike(x, INFINITY)});
  Value isNegative = n.build<EqualOp>({x, n.scalarLike(x, -INFINITY)});
  if (positive && negative)
    n.setOutput(0, n.build<OrOp>({isPositive, isNegative}));
  else if (positive)
    n.setOutput(0, isPositive);
  else if (negative)
    n.setOutput(0, isNegative);
  else
    n.setOutput(0, n.build<AndOp>({isPositive, isNegative})); // all false
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

/// exp(x) - 1 scaled by alpha where x < 0, else x.
Value eluOf(NodeImporter &n, Value x, double alpha) {
  Value expm1 = n.build<SubOp>({n.build<ExpOp>(x), n.scalarLike(x, 1.0)});
  Value negative = n.build<LessOp>({x, n.scalarLike(x, 0.0)});
  return n.build<SelectOp>(
      {negative, n.build<MulOp>({expm1, n.scalarLike(x, alpha)}), x});
}

LogicalResult importElu(NodeImporter &n) {
  n.setOutput(0, eluOf(n, n.input(0), n.attrFloat("alpha", 1.0f)));
  return success();
}

LogicalResult importSelu(NodeImporter &n) {
  Value x = n.input(0);
  double alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
  double gamma = n.attrFloat("gamma", 1.05070102214813232421875f);
  n.setOutput(0, n.build<MulOp>({eluOf(n, x, alpha), n.scalarLike(x, gamma)}));
  return success();
}

LogicalResult importCelu(NodeImporter &n) {
  // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  Value x = n.input(0);
  double alpha = n.attrFloat("alpha", 1.0f);
  Value zero = n.scalarLike(x, 0.0);
  Value scaled = n.build<DivOp>({x, n.scalarLike(x, alpha)});
  Value expm1 = n.build<SubOp>({n.build<ExpOp>(scaled), n.scalarLike(x, 1.0)});
  Value negativePart =
      n.build<MinOp>({zero, n.build<MulOp>({expm1, n.scalarLike(x, alpha)})});
  n.setOutput(0, n.build<AddOp>({n.build<MaxOp>({zero, x}), negativePart}));
  return success();
}

Value hardSigmoidOf(NodeImporter &n, Value x, double alpha, double beta) {
  Value linear = n.build<AddOp>(
      {n.build<MulOp>({x, n.scalarLike(x, alpha)}), n.scalarLike(x, beta)});
  return n.build<MinOp>(
      {n.build<MaxOp>({linear, n.scalarLike(x, 0.0)}), n.scalarLike(x, 1.0)});
}

LogicalResult importHardSigmoid(NodeImporter &n) {
  n.setOutput(0, hardSigmoidOf(n, n.input(0), n.attrFloat("alpha", 0.2f),
                               n.attrFloat("beta", 0.5f)));
  return success();
}

LogicalResult importHardSwish(NodeImporter &n) {
  Value x = n.input(0);
  n.setOutput(0, n.build<MulOp>({x, hardSigmoidOf(n, x, 1.0 / 6, 0.5)}));
  return success();
}

LogicalResult importThresholdedRelu(NodeImporter &n) {
  Value x = n.input(0);
  Value above =
      n.build<GreaterOp>({x, n.scalarLike(x, n.attrFloat("alpha", 1.0f))});
  n.setOutput(0, n.build<SelectOp>({above, x, n.scalarLike(x, 0.0)}));
  return success();
}

LogicalResult importShrink(NodeImporter &n) {
  Value x = n.input(0);
  double lambd = n.attrFloat("lambd", 0.5f), bias = n.attrFloat("bias", 0.0f);
  Value below = n.build<LessOp>({x, n.scalarLike(x, -lambd)});
  Value above = n.build<GreaterOp>({x, n.scalarLike(x, lambd)});
  Value inner = n.build<SelectOp>(
      {above, n.build<SubOp>({x, n.scalarLike(x, bias)}), n.scalarLike(x, 0)});
  n.setOutput(0,
              n.build<SelectOp>(
                  {below, n.build<AddOp>({x, n.scalarLike(x, bias)}), inner}));
  return success();
}

LogicalResult importPRelu(NodeImporter &n) {
  Value x = n.input(0), slope = n.input(1);
  if (failed(requireSameElementType(n, x, slope)))
    return failure();
  // Before opset 7 a per-channel slope [C] applies along dim 1.
  auto xShape = n.inputType(0).getShape();
  auto slopeShape = n.inputType(1).getShape();
  if (n.opset < 7 && slopeShape.size() == 1 && xShape.size() > 2 &&
      slopeShape[0] > 1 && slopeShape[0] == xShape[1]) {
    ShapeVec channels = {slopeShape[0]};
    channels.append(xShape.size() - 2, 1);
    slope = n.reshape(slope, channels);
  }
  Value negative = n.build<LessOp>({x, n.scalarLike(x, 0.0)});
  n.setOutput(0, n.build<SelectOp>({negative, n.build<MulOp>({x, slope}), x}));
  return success();
}

LogicalResult importSoftplus(NodeImporter &n) {
  Value x = n.input(0);
  n.setOutput(0, n.build<LogOp>(
                     n.build<AddOp>({n.build<ExpOp>(x), n.scalarLike(x, 1)})));
  return success();
}

LogicalResult importSoftsign(NodeImporter &n) {
  Value x = n.input(0);
  n.setOutput(0, n.build<DivOp>({x, n.build<AddOp>({n.build<AbsOp>(x),
                                                    n.scalarLike(x, 1)})}));
  return success();
}

/// Gelu (opset 20): x * Phi(x), with the exact normal CDF through erf, or
/// with approximate="tanh" the tanh form torch's GELU(approximate="tanh")
/// exports.
LogicalResult importGelu(NodeImporter &n) {
  Value x = n.input(0);
  std::string approximate = n.attrString("approximate", "none");
  Value phi;
  if (approximate == "none") {
    Value scaled = n.build<MulOp>({x, n.scalarLike(x, M_SQRT1_2)});
    phi = n.build<AddOp>({n.build<ErfOp>(scaled), n.scalarLike(x, 1.0)});
  } else if (approximate == "tanh") {
    Value cube = n.build<MulOp>({n.build<MulOp>({x, x}), x});
    Value inner =
        n.build<AddOp>({x, n.build<MulOp>({cube, n.scalarLike(x, 0.044715)})});
    Value scaled =
        n.build<MulOp>({inner, n.scalarLike(x, std::sqrt(2.0 / M_PI))});
    phi = n.build<AddOp>({n.build<TanhOp>(scaled), n.scalarLike(x, 1.0)});
  } else {
    return n.fail("Gelu: unknown approximate='" + approximate +
                  "' (none or tanh)");
  }
  n.setOutput(0,
              n.build<MulOp>({n.build<MulOp>({x, phi}), n.scalarLike(x, 0.5)}));
  return success();
}

/// Swish (opset 24): x * sigmoid(alpha * x).
LogicalResult importSwish(NodeImporter &n) {
  Value x = n.input(0);
  Value scaled =
      n.build<MulOp>({x, n.scalarLike(x, n.attrFloat("alpha", 1.0f))});
  n.setOutput(0, n.build<MulOp>({x, n.build<SigmoidOp>(scaled)}));
  return success();
}

/// SwiGLU (opset 28): a * sigmoid(alpha * a) * b, a and b of one shape.
LogicalResult importSwiGLU(NodeImporter &n) {
  Value a = n.input(0), b = n.input(1);
  if (n.inputType(0) != n.inputType(1))
    return n.fail("A and B must have one shape and element type");
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("A and B must be floating-point tensors");
  Value scaled =
      n.build<MulOp>({a, n.scalarLike(a, n.attrFloat("alpha", 1.0f))});
  n.setOutput(
      0, n.build<MulOp>({n.build<MulOp>({a, n.build<SigmoidOp>(scaled)}), b}));
  return success();
}

/// Mish (opset 18): x * tanh(softplus(x)).
LogicalResult importMish(NodeImporter &n) {
  Value x = n.input(0);
  Value softplus =
      n.build<LogOp>(n.build<AddOp>({n.build<ExpOp>(x), n.scalarLike(x, 1)}));
  n.setOutput(0, n.build<MulOp>({x, n.build<TanhOp>(softplus)}));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> elementwiseOpImporters() {
  static const OpImporterEntry table[] = {
      {"Acos", 7, 1, importFloatUnary<AcosOp>},
      {"Acosh", 9, 1, importFloatUnary<AcoshOp>},
      {"And", 7, 2, importLogical<AndOp>},
      {"Asin", 7, 1, importFloatUnary<AsinOp>},
      {"Asinh", 9, 1, importFloatUnary<AsinhOp>},
      {"Atan", 7, 1, importFloatUnary<AtanOp>},
      {"Atanh", 9, 1, importFloatUnary<AtanhOp>},
      {"BitCast", 26, 1, importBitCast},
      {"BitShift", 11, 2, importBitShift},
      {"BitwiseAnd", 18, 2, importBitwise<AndOp>},
      {"BitwiseNot", 18, 1, importBitwise<XorOp>},
      {"BitwiseOr", 18, 2, importBitwise<OrOp>},
      {"BitwiseXor", 18, 2, importBitwise<XorOp>},
      {"Cast", 6, 1, importCast},
      {"CastLike", 15, 2, importCastLike},
      {"Ceil", 6, 1, importFloatUnary<CeilOp>},
      {"Celu", 12, 1, importCelu},
      {"Cos", 7, 1, importFloatUnary<CosOp>},
      {"Cosh", 9, 1, importFloatUnary<CoshOp>},
      {"Elu", 6, 1, importElu},
      {"Equal", 7, 2, importSameTypeBinary<EqualOp>},
      {"Floor", 6, 1, importFloatUnary<FloorOp>},
      {"Gelu", 20, 1, importGelu},
      {"Greater", 7, 2, importSameTypeBinary<GreaterOp>},
      {"GreaterOrEqual", 12, 2, importSameTypeBinary<GreaterEqualOp>},
      {"HardSigmoid", 6, 1, importHardSigmoid},
      {"HardSwish", 14, 1, importHardSwish},
      {"IsInf", 10, 1, importIsInf},
      {"IsNaN", 9, 1, importIsNaN},
      {"Less", 7, 2, importSameTypeBinary<LessOp>},
      {"LessOrEqual", 12, 2, importSameTypeBinary<LessEqualOp>},
      {"Mish", 18, 1, importMish},
      {"Mod", 10, 2, importMod},
      {"Not", 1, 1, importLogical<NotOp>},
      {"Or", 7, 2, importLogical<OrOp>},
      {"Pow", 1, 2, importPow},
      {"PRelu", 6, 2, importPRelu},
      {"Round", 11, 1, importFloatUnary<RoundOp>},
      {"Selu", 6, 1, importSelu},
      {"Shrink", 9, 1, importShrink},
      {"Sign", 9, 1, importSign},
      {"Sin", 7, 1, importFloatUnary<SinOp>},
      {"Sinh", 9, 1, importFloatUnary<SinhOp>},
      {"Softplus", 1, 1, importSoftplus},
      {"Softsign", 1, 1, importSoftsign},
      {"SwiGLU", 28, 2, importSwiGLU},
      {"Swish", 24, 1, importSwish},
      {"Tan", 7, 1, importFloatUnary<TanOp>},
      {"ThresholdedRelu", 10, 1, importThresholdedRelu},
      {"Where", 9, 3, importWhere},
      {"Xor", 7, 2, importLogical<XorOp>},
  };
  return table;
}

} // namespace dlc
