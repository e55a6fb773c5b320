//===- QuantizationImporters.cpp - Linear quantization ops ----------------===//
//
// ONNX's linear quantization, as compositions of dlc ops:
//   QuantizeLinear       y = saturate(round_even(x / scale) + zero_point)
//   DequantizeLinear     y = (x - zero_point) * scale
//   DynamicQuantizeLinear  the uint8 scale and zero point of x's range, then
//                        QuantizeLinear
//   MatMulInteger, ConvInteger  products of (x - zero_point) in int32
//   QLinearMatMul, QLinearConv  the int32 product, scaled by
//                        x_scale * w_scale / y_scale and quantized
// Scales and zero points are per tensor (one element) or per axis (a 1-d
// tensor along the axis they apply to).
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

#include <cmath>

using namespace mlir;

namespace dlc {
namespace {

/// `value` (one element, or a 1-d tensor of shape[axis] elements) shaped to
/// broadcast along `axis` of a rank-`rank` tensor; null after failing.
Value alongAxis(NodeImporter &n, Value value, int64_t axis, int64_t rank,
                const char *what) {
  if (!value)
    return nullptr;
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getNumElements() == 1)
    return n.reshape(value, {});
  if (type.getRank() != 1 || axis < 0 || axis >= rank) {
    (void)n.fail(std::string(what) +
                 " must have one element or be a 1-d tensor along the axis");
    return nullptr;
  }
  ShapeVec shape(rank, 1);
  shape[axis] = type.getDimSize(0);
  return n.reshape(value, shape);
}

/// Input `i` as `elementType` shaped along `axis`, or `fallback` when the
/// optional input is absent.
Value optionalAlongAxis(NodeImporter &n, size_t i, Type elementType,
                        int64_t axis, int64_t rank, const char *what,
                        double fallback) {
  if (!n.hasInput(i))
    return n.constantOf(RankedTensorType::get({}, elementType), {fallback});
  return alongAxis(n, n.cast(n.input(i), elementType), axis, rank, what);
}

/// The saturation range of a quantized integer type (8-, 16-, 4- or 2-bit),
/// or nullopt.
std::optional<std::pair<double, double>> quantizedRange(Type type) {
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  unsigned width = integer.getWidth();
  if (width != 2 && width != 4 && width != 8 && width != 16)
    return std::nullopt;
  if (integer.isUnsigned())
    return std::make_pair(0.0, std::ldexp(1.0, width) - 1);
  if (width < 8 && !integer.isSigned()) // int4/int2 are si4/si2
    return std::nullopt;
  return std::make_pair(-std::ldexp(1.0, width - 1),
                        std::ldexp(1.0, width - 1) - 1);
}

bool isFloat8(Type type) {
  return type.isFloat8E4M3FN() || type.isFloat8E4M3FNUZ() ||
         type.isFloat8E5M2() || type.isFloat8E5M2FNUZ();
}

Value clip(NodeImporter &n, Value x, std::pair<double, double> range) {
  return n.build<ClipOp>(
      x, {n.attr("min", n.builder.getF64FloatAttr(range.first)),
          n.attr("max", n.builder.getF64FloatAttr(range.second))});
}

/// saturate(round_even(scaled) + zeroPoint) as `type` (f32 operands).
Value quantize(NodeImporter &n, Value scaled, Value zeroPoint, Type type) {
  Value shifted = n.build<AddOp>({n.build<RoundOp>(scaled), zeroPoint});
  return n.cast(clip(n, shifted, *quantizedRange(type)), type);
}

/// The quantized type: input `i`'s (a zero point), else the output_dtype
/// attribute's (opset 21), else uint8; null after failing.
Type quantizedTypeOf(NodeImporter &n, size_t i) {
  Type type = n.builder.getIntegerType(8, /*isSigned=*/false);
  if (n.hasInput(i)) {
    type = n.inputType(i).getElementType();
  } else if (int64_t dtype = n.attrInt("output_dtype", 0)) {
    type = convertElementType(dtype, *n.builder.getContext());
    if (!type) {
      (void)n.fail("quantizing to " + elementTypeName(dtype) +
                   " is not supported");
      return nullptr;
    }
  }
  if (!quantizedRange(type) && !isFloat8(type) && !isa<Float4E2M1Type>(type)) {
    (void)n.fail("only 8-, 16-, 4- and 2-bit integer, float8 and float4 "
                 "quantized values are supported");
    return nullptr;
  }
  return type;
}

/// Input 1 (a scale) and input 2 (a zero point, 0 when absent) as f32,
/// shaped to broadcast along the scale's axis (the attribute, read only
/// when the scale has more than one element).
LogicalResult scaleAndZeroPoint(NodeImporter &n, Value &scale, Value &zeroPoint,
                                const char *scaleName,
                                const char *zeroPointName) {
  int64_t rank = n.inputType(0).getRank(), axis = -1;
  if (n.inputType(1).getNumElements() != 1) {
    auto normalized = normalizedAxis(n, n.attrInt("axis", 1), rank);
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  Type f32 = n.builder.getF32Type();
  scale = alongAxis(n, n.cast(n.input(1), f32), axis, rank, scaleName);
  zeroPoint = optionalAlongAxis(n, 2, f32, axis, rank, zeroPointName, 0.0);
  return success(scale && zeroPoint);
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  Type type = quantizedTypeOf(n, 2);
  Value scale, zeroPoint;
  if (!type ||
      failed(scaleAndZeroPoint(n, scale, zeroPoint, "y_scale", "y_zero_point")))
    return failure();
  Value x = n.cast(n.input(0), n.builder.getF32Type());
  Value scaled = n.build<DivOp>({x, scale});
  if (isFloat8(type) || isa<Float4E2M1Type>(type)) {
    // No rounding step: one cast. float8's zero point must be 0 (ONNX's
    // reference ignores it); float4's is added, as the reference does.
    if (isa<Float4E2M1Type>(type))
      scaled = n.build<AddOp>({scaled, zeroPoint});
    Value y = n.cast(scaled, type);
    if (auto castOp = y ? y.getDefiningOp<CastOp>() : CastOp())
      if (!n.attrInt("saturate", 1))
        castOp->setAttr(kNoSaturateAttr, n.builder.getUnitAttr());
    n.setOutput(0, y);
    return success();
  }
  n.setOutput(0, quantize(n, scaled, zeroPoint, type));
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  Value scale, zeroPoint;
  if (failed(scaleAndZeroPoint(n, scale, zeroPoint, "x_scale", "x_zero_point")))
    return failure();
  // The result has the scale's type, or output_dtype's (opset 23).
  Type resultType = n.inputType(1).getElementType();
  if (int64_t dtype = n.attrInt("output_dtype", 0))
    resultType = convertElementType(dtype, *n.builder.getContext());
  if (!resultType || !isa<FloatType>(resultType))
    return n.fail("the output type must be a float type");
  Value x = n.cast(n.input(0), n.builder.getF32Type());
  n.setOutput(0, n.cast(n.build<MulOp>({n.build<SubOp>({x, zeroPoint}), scale}),
                        resultType));
  return success();
}

/// uint8 over [min(x, 0), max(x, 0)]: scale = range / 255, zero point =
/// saturate(round(-min / scale)).
LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.fail("the input must be float32");
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    axes.push_back(d);
  auto reduceAll = [&](auto tag) {
    using ReduceOp = decltype(tag);
    return n.build<ReduceOp>(
        x, {n.attr("axes", n.builder.getDenseI64ArrayAttr(axes)),
            n.attr("keepdims", n.builder.getBoolAttr(false))});
  };
  Value zero = n.scalarLike(x, 0.0);
  Value low = n.build<MinOp>({reduceAll(ReduceMinOp()), zero});
  Value high = n.build<MaxOp>({reduceAll(ReduceMaxOp()), zero});
  Value scale =
      n.build<DivOp>({n.build<SubOp>({high, low}), n.scalarLike(x, 255.0)});
  Type u8 = n.builder.getIntegerType(8, /*isSigned=*/false);
  Value zeroPoint =
      clip(n, n.build<RoundOp>(n.build<DivOp>({n.build<NegOp>(low), scale})),
           {0.0, 255.0});
  n.setOutput(0, quantize(n, n.build<DivOp>({x, scale}), zeroPoint, u8));
  n.setOutput(1, scale);
  n.setOutput(2, n.cast(zeroPoint, u8));
  return success();
}

/// Input `i` minus its zero point (input `zeroPointInput`, shaped along
/// `axis`), in int32.
Value centered(NodeImporter &n, size_t i, size_t zeroPointInput, int64_t axis,
               const char *what) {
  Type i32 = n.builder.getIntegerType(32);
  int64_t rank = n.inputType(i).getRank();
  Value zeroPoint =
      optionalAlongAxis(n, zeroPointInput, i32, axis, rank, what, 0.0);
  return n.build<SubOp>({n.cast(n.input(i), i32), zeroPoint});
}

/// lhs [..., M, K] x rhs [..., K, N] of int32 values within +-255 (8-bit
/// values minus 8-bit zero points), exactly, through f32 matmuls (which
/// have dlc's fast kernels; int32 ones have none): a product is at most
/// 255 * 255 and a sum of 256 of them stays below 2^24, so f32 holds every
/// partial sum of a chunk of up to 256 along K exactly, in any order. Each
/// chunk is its own matmul (with its own micro-kernel call); their results
/// are added in int32, an epilogue that fuses into them. Null when K has
/// no divisor that makes 2 to 32 chunks.
Value exactMatMulThroughF32(NodeImporter &n, Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape())
    return nullptr;
  int64_t k = lhsType.getShape().back();
  int64_t chunks = (k + 255) / 256;
  while (chunks <= 32 && k % chunks != 0)
    ++chunks;
  if (chunks > 32)
    return nullptr;
  int64_t chunk = k / chunks;
  Type f32 = n.builder.getF32Type(), i32 = n.builder.getIntegerType(32);
  Value a = n.cast(lhs, f32), b = n.cast(rhs, f32);
  int64_t aAxis = lhsType.getRank() - 1, bAxis = rhsType.getRank() - 2;
  Value sum;
  for (int64_t c = 0; c < chunks; ++c) {
    Value aPart = chunks == 1 ? a : n.sliceAxis(a, aAxis, c * chunk, chunk);
    Value bPart = chunks == 1 ? b : n.sliceAxis(b, bAxis, c * chunk, chunk);
    if (!aPart || !bPart)
      return nullptr;
    Value part = n.cast(n.build<MatMulOp>({aPart, bPart}), i32);
    sum = sum ? n.build<AddOp>({sum, part}) : part;
  }
  return sum;
}

/// Whether optional input `i` is absent or a constant of zeros.
bool absentOrZero(NodeImporter &n, size_t i) {
  if (!n.hasInput(i))
    return true;
  ElementsAttr values = n.constantInput(i);
  if (!values || !n.inputType(i).getElementType().isIntOrIndex())
    return false;
  return llvm::all_of(values.getValues<APInt>(),
                      [](const APInt &value) { return value.isZero(); });
}

/// (a - a_zero_point) x b in int32 through dlc.matmul_integer (the 8-bit
/// micro-kernel), when a [..., M, K] and b [K, N] are 8-bit, static, and b
/// has no zero point (or a zero one, as symmetric weights do): a's zero
/// point, per tensor or per row, is then one correction by the rows,
/// za * colsum(b), exact in int32's modular arithmetic like the product
/// itself. Null when the operands do not fit.
Value byteMatMul(NodeImporter &n, size_t a, size_t aZero, size_t b,
                 size_t bZero) {
  auto aType = n.inputType(a), bType = n.inputType(b);
  if (bType.getRank() != 2 || !aType.hasStaticShape() ||
      !bType.hasStaticShape() || !aType.getElementType().isInteger(8) ||
      !bType.getElementType().isInteger(8) || !absentOrZero(n, bZero) ||
      (n.hasInput(aZero) && !n.inputType(aZero).getElementType().isInteger(8)))
    return nullptr;
  ArrayRef<int64_t> aShape = aType.getShape();
  int64_t k = aShape.back(), columns = bType.getDimSize(1);
  if (k == 0 || aType.getNumElements() == 0 || columns == 0)
    return nullptr;
  auto &builder = n.builder;
  SmallVector<NamedAttribute> signs;
  if (aType.getElementType().isUnsignedInteger())
    signs.push_back(n.attr("lhs_unsigned", builder.getUnitAttr()));
  if (bType.getElementType().isUnsignedInteger())
    signs.push_back(n.attr("rhs_unsigned", builder.getUnitAttr()));
  Value rows = n.reshape(n.input(a), {aType.getNumElements() / k, k});
  Value product = n.build<MatMulIntegerOp>({rows, n.input(b)}, signs);
  ShapeVec resultShape(aShape.begin(), aShape.end());
  resultShape.back() = columns;
  if (absentOrZero(n, aZero))
    return n.reshape(product, resultShape);
  Type i32 = builder.getIntegerType(32);
  int64_t rank = aType.getRank();
  Value zeroPoint =
      optionalAlongAxis(n, aZero, i32, rank - 2, rank, "a_zero_point", 0.0);
  Value columnSums =
      n.build<ReduceSumOp>({n.cast(n.input(b), i32)},
                           {n.attr("axes", builder.getDenseI64ArrayAttr({0})),
                            n.attr("keepdims", builder.getBoolAttr(true))});
  if (!zeroPoint || !columnSums)
    return nullptr;
  Value correction = n.build<MulOp>({zeroPoint, columnSums});
  // One zero point: the correction is one row, subtracted from the rows'
  // product before the reshape, so that it is the product's epilogue.
  if (n.inputType(aZero).getNumElements() == 1)
    return n.reshape(n.build<SubOp>({product, correction}), resultShape);
  return n.build<SubOp>({n.reshape(product, resultShape), correction});
}

/// The int32 product (a - a_zero_point) x (b - b_zero_point); a's zero point
/// may be per row, b's per column.
Value integerMatMul(NodeImporter &n, size_t a, size_t aZero, size_t b,
                    size_t bZero) {
  int64_t aRank = n.inputType(a).getRank(), bRank = n.inputType(b).getRank();
  if (aRank < 2 || bRank < 2) {
    (void)n.fail("inputs of rank 1 are not supported");
    return nullptr;
  }
  if (Value product = byteMatMul(n, a, aZero, b, bZero))
    return product;
  Value lhs = centered(n, a, aZero, aRank - 2, "a_zero_point");
  Value rhs = centered(n, b, bZero, bRank - 1, "b_zero_point");
  auto isByte = [&](size_t i) {
    return n.inputType(i).getElementType().isInteger(8);
  };
  auto zeroPointIsByte = [&](size_t i) {
    return !n.hasInput(i) || n.inputType(i).getElementType().isInteger(8);
  };
  if (lhs && rhs && isByte(a) && isByte(b) && zeroPointIsByte(aZero) &&
      zeroPointIsByte(bZero))
    if (Value exact = exactMatMulThroughF32(n, lhs, rhs))
      return exact;
  return n.build<MatMulOp>({lhs, rhs});
}

/// The int32 convolution of (x - x_zero_point) by (w - w_zero_point), the
/// filter's zero point per output channel; zero padding after centering
/// pads x with its zero point.
Value integerConv(NodeImporter &n, size_t x, size_t xZero, size_t w,
                  size_t wZero) {
  auto xType = n.inputType(x), wType = n.inputType(w);
  if (xType.getRank() < 3 || wType.getRank() != xType.getRank()) {
    (void)n.fail("X and W must have the same rank, 3 or more");
    return nullptr;
  }
  auto window = readWindow(n, xType.getShape(), wType.getShape().drop_front(2));
  if (failed(window))
    return nullptr;
  auto &b = n.builder;
  int64_t group = n.attrInt("group", 1);
  SmallVector<NamedAttribute> attributes = {
      n.attr("strides", b.getDenseI64ArrayAttr(window->strides)),
      n.attr("dilations", b.getDenseI64ArrayAttr(window->dilations)),
      n.attr("pads", b.getDenseI64ArrayAttr(window->pads)),
      n.attr("group", b.getI64IntegerAttr(group))};
  Value input = centered(n, x, xZero, 1, "x_zero_point");
  Value filter = centered(n, w, wZero, 0, "w_zero_point");
  if (!input || !filter)
    return nullptr;
  // In f32 when exact (see exactMatMulThroughF32): each output sums
  // C/group * window products of at most 255 * 255, which f32 holds exactly
  // up to 258 of them; beyond, ungrouped convs split the input channels
  // into chunks that each stay within that, summed in int32.
  auto isByte = [&](size_t i) {
    return n.inputType(i).getElementType().isInteger(8) &&
           (!n.hasInput(i == x ? xZero : wZero) ||
            n.inputType(i == x ? xZero : wZero).getElementType().isInteger(8));
  };
  auto filterShape = wType.getShape();
  if (isByte(x) && isByte(w) && xType.hasStaticShape() &&
      wType.hasStaticShape()) {
    int64_t window = 1;
    for (int64_t dim : filterShape.drop_front(2))
      window *= dim;
    int64_t channels = filterShape[1], chunks = 1;
    while (chunks <= 64 &&
           (channels % chunks != 0 || (channels / chunks) * window > 258))
      ++chunks;
    if (chunks <= 64 && (chunks == 1 || group == 1)) {
      Type f32 = b.getF32Type(), i32 = b.getIntegerType(32);
      Value inputF = n.cast(input, f32), filterF = n.cast(filter, f32);
      int64_t chunk = channels / chunks;
      Value sum;
      for (int64_t c = 0; c < chunks; ++c) {
        Value inputPart =
            chunks == 1 ? inputF : n.sliceAxis(inputF, 1, c * chunk, chunk);
        Value filterPart =
            chunks == 1 ? filterF : n.sliceAxis(filterF, 1, c * chunk, chunk);
        Value part =
            n.cast(n.build<ConvOp>({inputPart, filterPart}, attributes), i32);
        sum = sum ? n.build<AddOp>({sum, part}) : part;
      }
      return sum;
    }
  }
  return n.build<ConvOp>({input, filter}, attributes);
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  n.setOutput(0, integerMatMul(n, 0, 2, 1, 3));
  return success();
}

LogicalResult importConvInteger(NodeImporter &n) {
  n.setOutput(0, integerConv(n, 0, 2, 1, 3));
  return success();
}

/// Requantizes an int32 accumulator: round(acc * x_scale * w_scale /
/// y_scale) + y_zero_point, saturated. `wAxis` is the result axis w_scale
/// runs along (columns of a matmul, channels of a conv).
Value requantize(NodeImporter &n, Value acc, size_t xScale, size_t wScale,
                 int64_t xAxis, int64_t wAxis, size_t yScale, size_t yZero) {
  if (!acc)
    return nullptr;
  Type type = quantizedTypeOf(n, yZero);
  if (!type)
    return nullptr;
  Type f32 = n.builder.getF32Type();
  int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
  Value multiplier = n.build<DivOp>(
      {n.build<MulOp>(
           {alongAxis(n, n.cast(n.input(xScale), f32), xAxis, rank, "x_scale"),
            alongAxis(n, n.cast(n.input(wScale), f32), wAxis, rank,
                      "w_scale")}),
       alongAxis(n, n.cast(n.input(yScale), f32), -1, rank, "y_scale")});
  Value zeroPoint =
      alongAxis(n, n.cast(n.input(yZero), f32), -1, rank, "y_zero_point");
  return quantize(n, n.build<MulOp>({n.cast(acc, f32), multiplier}), zeroPoint,
                  type);
}

/// QLinearMatMul(a, a_scale, a_zero_point, b, b_scale, b_zero_point,
/// y_scale, y_zero_point).
LogicalResult importQLinearMatMul(NodeImporter &n) {
  Value acc = integerMatMul(n, 0, 2, 3, 5);
  int64_t rank = acc ? cast<RankedTensorType>(acc.getType()).getRank() : 2;
  n.setOutput(0, requantize(n, acc, 1, 4, rank - 2, rank - 1, 6, 7));
  return success();
}

/// QLinearConv(x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale,
/// y_zero_point, B): B is int32 per output channel, added to the
/// accumulator.
LogicalResult importQLinearConv(NodeImporter &n) {
  Value acc = integerConv(n, 0, 2, 3, 5);
  if (acc && n.hasInput(8)) {
    int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
    acc = n.build<AddOp>(
        {acc, alongAxis(n, n.cast(n.input(8), n.builder.getIntegerType(32)), 1,
                        rank, "B")});
  }
  n.setOutput(0, requantize(n, acc, 1, 4, -1, 1, 6, 7));
  return success();
}

/// com.microsoft.QGemm(A, a_scale, a_zero_point, B, b_scale, b_zero_point,
/// C, y_scale, y_zero_point), what onnxruntime's quantizer writes for Gemm
/// in its QOperator format: the int32 product of the centered A' and B'
/// (transA, transB), plus C (int32, at scale alpha * a_scale * b_scale),
/// times alpha * a_scale * b_scale (b_scale per column or one); quantized
/// with y_scale and y_zero_point when given, else fp32.
LogicalResult importQGemm(NodeImporter &n) {
  if (n.inputType(0).getRank() != 2 || n.inputType(3).getRank() != 2)
    return n.fail("A and B must be 2-d");
  bool transA = n.attrInt("transA", 0), transB = n.attrInt("transB", 0);
  Value a = centered(n, 0, 2, -1, "a_zero_point");
  Value b = centered(n, 3, 5, transB ? 0 : 1, "b_zero_point");
  if (!a || !b)
    return failure();
  if (transA)
    a = n.transpose(a, {1, 0});
  if (transB)
    b = n.transpose(b, {1, 0});
  Value acc;
  if (n.inputType(0).getElementType().isInteger(8) &&
      n.inputType(3).getElementType().isInteger(8))
    acc = exactMatMulThroughF32(n, a, b);
  if (!acc)
    acc = n.build<MatMulOp>({a, b});
  if (n.hasInput(6))
    acc =
        n.build<AddOp>({acc, n.cast(n.input(6), n.builder.getIntegerType(32))});
  Type f32 = n.builder.getF32Type();
  float alpha = n.attrFloat("alpha", 1.0f);
  Value scale =
      n.build<MulOp>({alongAxis(n, n.cast(n.input(1), f32), -1, 2, "a_scale"),
                      alongAxis(n, n.cast(n.input(4), f32), 1, 2, "b_scale")});
  if (alpha != 1.0f)
    scale = n.build<MulOp>({scale, n.scalarLike(scale, alpha)});
  Value y = n.build<MulOp>({n.cast(acc, f32), scale});
  if (!n.hasInput(7)) {
    n.setOutput(0, y);
    return success();
  }
  Type type = quantizedTypeOf(n, 8);
  if (!type)
    return failure();
  Value yScale = alongAxis(n, n.cast(n.input(7), f32), -1, 2, "y_scale");
  Value yZero = optionalAlongAxis(n, 8, f32, -1, 2, "y_zero_point", 0.0);
  n.setOutput(0, quantize(n, n.build<DivOp>({y, yScale}), yZero, type));
  return success();
}

/// (input `i` - zero point `zero`) * scale `scale`, per tensor, in f32.
Value dequantizedInput(NodeImporter &n, size_t i, size_t scale, size_t zero,
                       const char *scaleName, const char *zeroName) {
  Type f32 = n.builder.getF32Type();
  Value zeroPoint = optionalAlongAxis(n, zero, f32, -1, 0, zeroName, 0.0);
  Value scaleValue =
      alongAxis(n, n.cast(n.input(scale), f32), -1, 0, scaleName);
  if (!zeroPoint || !scaleValue)
    return nullptr;
  return n.build<MulOp>(
      {n.build<SubOp>({n.cast(n.input(i), f32), zeroPoint}), scaleValue});
}

/// `value` quantized with scale input `scale` and zero point input `zero`
/// (of the output's type; uint8 when absent).
LogicalResult setQuantizedOutput(NodeImporter &n, Value value, size_t scale,
                                 size_t zero) {
  Type type = quantizedTypeOf(n, zero);
  Type f32 = n.builder.getF32Type();
  Value scaleValue =
      alongAxis(n, n.cast(n.input(scale), f32), -1, 0, "y_scale");
  Value zeroPoint = optionalAlongAxis(n, zero, f32, -1, 0, "y_zero_point", 0.0);
  if (!type || !value || !scaleValue || !zeroPoint)
    return failure();
  n.setOutput(
      0, quantize(n, n.build<DivOp>({value, scaleValue}), zeroPoint, type));
  return success();
}

/// com.microsoft.QLinearAdd / QLinearMul(A, A_scale, A_zero_point, B,
/// B_scale, B_zero_point, C_scale, C_zero_point): the dequantized operands
/// added (multiplied) with numpy broadcasting, quantized.
template <typename BinaryOp>
LogicalResult importQLinearBinary(NodeImporter &n) {
  Value a = dequantizedInput(n, 0, 1, 2, "A_scale", "A_zero_point");
  Value b = dequantizedInput(n, 3, 4, 5, "B_scale", "B_zero_point");
  if (!a || !b)
    return failure();
  return setQuantizedOutput(n, n.build<BinaryOp>({a, b}), 6, 7);
}

/// com.microsoft.QLinearGlobalAveragePool(X, x_scale, x_zero_point,
/// y_scale, y_zero_point): the spatial mean of the dequantized input
/// (channels first, or last with channels_last = 1), quantized.
LogicalResult importQLinearGlobalAveragePool(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.fail("input must have rank 3 or more");
  bool channelsLast = n.attrInt("channels_last", 0);
  SmallVector<int64_t> axes;
  for (int64_t d = channelsLast ? 1 : 2; d < (channelsLast ? rank - 1 : rank);
       ++d)
    axes.push_back(d);
  Value x = dequantizedInput(n, 0, 1, 2, "x_scale", "x_zero_point");
  if (!x)
    return failure();
  Value mean = n.build<ReduceMeanOp>(
      x, {n.attr("axes", n.builder.getDenseI64ArrayAttr(axes)),
          n.attr("keepdims", n.builder.getBoolAttr(true))});
  return setQuantizedOutput(n, mean, 3, 4);
}

/// com.microsoft.QLinearSoftmax(X, X_scale, x_zero_point, y_scale,
/// y_zero_point), what onnxruntime's QOperator format writes for Softmax:
/// the softmax of the dequantized input, quantized. Attribute `opset` gives
/// the Softmax semantics: along `axis` from 13, before on the input
/// flattened to 2-d at `axis`.
LogicalResult importQLinearSoftmax(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  int64_t semantics = n.attrInt("opset", 13);
  auto axis =
      normalizedAxis(n, n.attrInt("axis", semantics >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  Value x = dequantizedInput(n, 0, 1, 2, "X_scale", "x_zero_point");
  if (!x)
    return failure();
  auto softmax = [&](Value input, int64_t along) {
    return n.build<SoftmaxOp>(
        input, n.attr("axis", n.builder.getI64IntegerAttr(along)));
  };
  Value y;
  if (semantics >= 13) {
    y = softmax(x, *axis);
  } else {
    ArrayRef<int64_t> shape = type.getShape();
    Value flat = n.reshape(x, {product(shape.take_front(*axis)),
                               product(shape.drop_front(*axis))});
    y = n.reshape(softmax(flat, 1), shape);
  }
  return setQuantizedOutput(n, y, 3, 4);
}

} // namespace

llvm::ArrayRef<OpImporterEntry> quantizationOpImporters() {
  static const OpImporterEntry table[] = {
      {"ConvInteger", 10, 2, importConvInteger},
      {"DequantizeLinear", 10, 2, importDequantizeLinear},
      {"DynamicQuantizeLinear", 11, 1, importDynamicQuantizeLinear},
      {"MatMulInteger", 10, 2, importMatMulInteger},
      {"QGemm", 1, 6, importQGemm, "com.microsoft"},
      {"QLinearAdd", 1, 7, importQLinearBinary<AddOp>, "com.microsoft"},
      {"QLinearConv", 10, 8, importQLinearConv},
      {"QLinearGlobalAveragePool", 1, 4, importQLinearGlobalAveragePool,
       "com.microsoft"},
      {"QLinearMatMul", 10, 8, importQLinearMatMul},
      {"QLinearMul", 1, 7, importQLinearBinary<MulOp>, "com.microsoft"},
      {"QLinearSoftmax", 1, 4, importQLinearSoftmax, "com.microsoft"},
      {"QuantizeLinear", 10, 2, importQuantizeLinear},
  };
  return table;
}

} // namespace dlc
