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

/// The int32 product (a - a_zero_point) x (b - b_zero_point); a's zero point
/// may be per row, b's per column.
Value integerMatMul(NodeImporter &n, size_t a, size_t aZero, size_t b,
                    size_t bZero) {
  int64_t aRank = n.inputType(a).getRank(), bRank = n.inputType(b).getRank();
  if (aRank < 2 || bRank < 2) {
    (void)n.fail("inputs of rank 1 are not supported");
    return nullptr;
  }
  Value lhs = centered(n, a, aZero, aRank - 2, "a_zero_point");
  Value rhs = centered(n, b, bZero, bRank - 1, "b_zero_point");
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
  return n.build<ConvOp>(
      {centered(n, x, xZero, 1, "x_zero_point"),
       centered(n, w, wZero, 0, "w_zero_point")},
      {n.attr("strides", b.getDenseI64ArrayAttr(window->strides)),
       n.attr("dilations", b.getDenseI64ArrayAttr(window->dilations)),
       n.attr("pads", b.getDenseI64ArrayAttr(window->pads)),
       n.attr("group", b.getI64IntegerAttr(n.attrInt("group", 1)))});
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
  Value acc = n.build<MatMulOp>({a, b});
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

} // namespace

llvm::ArrayRef<OpImporterEntry> quantizationOpImporters() {
  static const OpImporterEntry table[] = {
      {"ConvInteger", 10, 2, importConvInteger},
      {"DequantizeLinear", 10, 2, importDequantizeLinear},
      {"DynamicQuantizeLinear", 11, 1, importDynamicQuantizeLinear},
      {"MatMulInteger", 10, 2, importMatMulInteger},
      {"QGemm", 1, 6, importQGemm, "com.microsoft"},
      {"QLinearConv", 10, 8, importQLinearConv},
      {"QLinearMatMul", 10, 8, importQLinearMatMul},
      {"QuantizeLinear", 10, 2, importQuantizeLinear},
  };
  return table;
}

} // namespace dlc
