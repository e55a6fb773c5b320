//===- SpatialImporters.cpp - Resize, Pad, ConvTranspose, LRN -------------===//
//
// Resampling and padding are separable: along each axis, every output
// position reads a few input positions known at compile time, so each axis
// becomes dlc.gather ops with constant index tables (and, for linear and
// cubic modes, a weighted sum with constant weights). ConvTranspose is a
// convolution over the input with zeros inserted between elements and the
// kernel flipped and transposed.
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "frontends/onnx/NodeImporter.h"

#include <cmath>

using namespace mlir;

namespace dlc {
namespace {

/// x gathered along `axis` at constant `indices`.
Value gatherAxis(NodeImporter &n, Value x, int64_t axis,
                 ArrayRef<int64_t> indices) {
  std::vector<double> data(indices.begin(), indices.end());
  Value table =
      n.constantOf(RankedTensorType::get({static_cast<int64_t>(indices.size())},
                                         n.builder.getI64Type()),
                   data);
  return n.build<GatherOp>({x, table},
                           n.attr("axis", n.builder.getI64IntegerAttr(axis)));
}

/// A constant of x's element type shaped to broadcast along `axis`.
Value alongAxis(NodeImporter &n, Value x, int64_t axis,
                ArrayRef<double> values) {
  auto type = cast<RankedTensorType>(x.getType());
  ShapeVec shape(type.getRank(), 1);
  shape[axis] = values.size();
  return n.constantOf(RankedTensorType::get(shape, type.getElementType()),
                      values);
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

struct ResizeMode {
  std::string mode = "nearest";
  std::string coordinates = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  bool antialias = false; // opset 18: linear and cubic filters widened
  double extrapolation = 0.0;
};

double cubicWeight(double distance, double a) {
  double d = std::fabs(distance);
  if (d <= 1)
    return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2)
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

/// Resamples `x` along `axis` from its size to `outSize`; roiStart/roiEnd
/// are the tf_crop_and_resize region (normalized).
Value resizeAxis(NodeImporter &n, Value x, int64_t axis, int64_t outSize,
                 double scale, const ResizeMode &m, double roiStart,
                 double roiEnd) {
  int64_t inSize = cast<RankedTensorType>(x.getType()).getDimSize(axis);
  auto original = [&](int64_t o) -> double {
    const std::string &c = m.coordinates;
    // As ONNX's reference: the output length is inSize * scale, unrounded.
    double outLength = inSize * scale;
    if (c == "half_pixel")
      return (o + 0.5) / scale - 0.5;
    if (c == "half_pixel_symmetric") { // opset 19
      double adjustment = outSize / outLength;
      double offset = inSize / 2.0 * (1 - adjustment);
      return offset + (o + 0.5) / scale - 0.5;
    }
    if (c == "tf_half_pixel_for_nn")
      return (o + 0.5) / scale;
    if (c == "pytorch_half_pixel")
      return outLength > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    if (c == "align_corners")
      return outLength == 1 ? 0.0 : o * double(inSize - 1) / (outLength - 1);
    if (c == "tf_crop_and_resize")
      return outLength > 1
                 ? roiStart * (inSize - 1) +
                       o * (roiEnd - roiStart) * (inSize - 1) / (outLength - 1)
                 : 0.5 * (roiStart + roiEnd) * (inSize - 1);
    return o / scale; // asymmetric
  };
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i, 0, inSize - 1);
  };
  // Taps: for each output position, input indices and their weights.
  // Antialiased downsampling (opset 18) stretches the linear or cubic
  // filter by 1 / scale over as many taps, weights normalized, taken as
  // ONNX's reference does: x = base + ratio with ratio in (0, 1], taps at
  // base + first .. base + first + taps - 1.
  int taps = m.mode == "nearest" ? 1 : m.mode == "linear" ? 2 : 4;
  bool widened = m.antialias && m.mode != "nearest" && scale < 1;
  int64_t widenedFirst = 0;
  if (widened) {
    double reach = m.mode == "linear" ? 1.0 : 2.0;
    double first = std::floor(-reach / scale) + 1;
    if (first < -512) {
      (void)n.fail("antialiasing a downsampling by " + std::to_string(scale) +
                   " takes over 1024 taps");
      return nullptr;
    }
    widenedFirst = static_cast<int64_t>(first);
    taps = static_cast<int>(2 - 2 * widenedFirst);
  }
  std::vector<std::vector<int64_t>> index(taps, std::vector<int64_t>(outSize));
  std::vector<std::vector<double>> weight(taps, std::vector<double>(outSize));
  std::vector<double> outside(outSize, 0.0); // tf_crop_and_resize
  bool identity = inSize == outSize;
  for (int64_t o = 0; o < outSize; ++o) {
    double xo = original(o);
    if (m.coordinates == "tf_crop_and_resize" && (xo < 0 || xo > inSize - 1))
      outside[o] = 1;
    double base = std::floor(xo), ratio = xo - base;
    if (m.mode == "nearest") {
      int64_t pick;
      if (xo == base)
        pick = base;
      else if (m.nearest == "floor")
        pick = base;
      else if (m.nearest == "ceil")
        pick = base + 1;
      else if (m.nearest == "round_prefer_ceil")
        pick = ratio >= 0.5 ? base + 1 : base;
      else
        pick = ratio > 0.5 ? base + 1 : base;
      index[0][o] = clampIndex(pick);
      weight[0][o] = 1;
      identity &= index[0][o] == o;
      continue;
    }
    if (widened && ratio == 0) { // the tap left of an exact position
      ratio = 1;
      base -= 1;
    }
    int64_t first = widened ? base + widenedFirst : taps == 2 ? base : base - 1;
    double sum = 0, filterSum = 0;
    for (int t = 0; t < taps; ++t) {
      int64_t at = first + t;
      double w;
      if (widened) {
        double distance = (widenedFirst + t - ratio) * scale;
        w = m.mode == "linear" ? std::max(0.0, 1 - std::fabs(distance))
                               : cubicWeight(distance, m.cubicA);
        filterSum += w;
      } else {
        w = taps == 2 ? (t == 0 ? 1 - ratio : ratio)
                      : cubicWeight(xo - at, m.cubicA);
      }
      index[t][o] = clampIndex(at);
      weight[t][o] = w;
    }
    for (int t = 0; t < taps; ++t) {
      if (widened && filterSum != 0)
        weight[t][o] /= filterSum;
      int64_t at = first + t;
      if (m.excludeOutside && (at < 0 || at >= inSize))
        weight[t][o] = 0;
      sum += weight[t][o];
    }
    if (m.excludeOutside && sum != 0)
      for (int t = 0; t < taps; ++t)
        weight[t][o] /= sum;
    identity &= !widened && ratio == 0 && index[taps == 2 ? 0 : 1][o] == o;
  }
  Value result;
  if (identity && m.coordinates != "tf_crop_and_resize")
    return x;
  if (taps == 1) {
    result = gatherAxis(n, x, axis, index[0]);
  } else {
    for (int t = 0; t < taps; ++t) {
      Value term = n.build<MulOp>(
          {gatherAxis(n, x, axis, index[t]), alongAxis(n, x, axis, weight[t])});
      result = result ? n.build<AddOp>({result, term}) : term;
    }
  }
  if (llvm::is_contained(outside, 1.0)) {
    auto type = cast<RankedTensorType>(x.getType());
    ShapeVec shape(type.getRank(), 1);
    shape[axis] = outSize;
    Value mask = n.constantOf(
        RankedTensorType::get(shape, n.builder.getI1Type()), outside);
    result = n.build<SelectOp>(
        {mask, n.scalarLike(result, m.extrapolation), result});
  }
  return result;
}

/// resizeAxis with the scale, and tf_crop_and_resize's roi, known only at
/// run time (f64 scalars): the same coordinate transform and taps, their
/// indices and weights computed by the compiled code, in double precision
/// as ONNX's reference computes them. Not with antialiasing (its tap count
/// depends on the scale).
Value resizeAxisAtRunTime(NodeImporter &n, Value x, int64_t axis,
                          int64_t outSize, Value scale, const ResizeMode &m,
                          Value roiStart, Value roiEnd) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t inSize = type.getDimSize(axis);
  Type f64 = n.builder.getF64Type(), i64 = n.builder.getI64Type();
  auto number = [&](double v) {
    return n.constantOf(RankedTensorType::get({}, f64), {v});
  };
  auto add = [&](Value a, Value b) { return n.build<AddOp>({a, b}); };
  auto sub = [&](Value a, Value b) { return n.build<SubOp>({a, b}); };
  auto mul = [&](Value a, Value b) { return n.build<MulOp>({a, b}); };
  auto div = [&](Value a, Value b) { return n.build<DivOp>({a, b}); };
  auto select = [&](Value c, Value a, Value b) {
    return n.build<SelectOp>({c, a, b});
  };
  std::vector<double> positions(outSize);
  for (int64_t o = 0; o < outSize; ++o)
    positions[o] = double(o);
  Value o = n.constantOf(RankedTensorType::get({outSize}, f64), positions);
  Value in = number(double(inSize));
  Value outLength = mul(in, scale); // unrounded, as the reference's
  Value half = number(0.5), one = number(1.0), zero = number(0.0);
  Value centred = sub(div(add(o, half), scale), half);
  const std::string &c = m.coordinates;
  Value xo;
  if (c == "half_pixel") {
    xo = centred;
  } else if (c == "half_pixel_symmetric") {
    Value adjustment = div(number(double(outSize)), outLength);
    Value offset = mul(number(inSize / 2.0), sub(one, adjustment));
    xo = add(offset, centred);
  } else if (c == "tf_half_pixel_for_nn") {
    xo = div(add(o, half), scale);
  } else if (c == "pytorch_half_pixel") {
    xo = select(n.build<GreaterOp>({outLength, one}), centred, zero);
  } else if (c == "align_corners") {
    Value last = sub(outLength, one);
    xo = select(n.build<EqualOp>({outLength, one}), zero,
                div(mul(o, number(double(inSize - 1))), last));
  } else if (c == "tf_crop_and_resize") {
    Value span = number(double(inSize - 1));
    Value stretched =
        add(mul(roiStart, span),
            div(mul(mul(o, sub(roiEnd, roiStart)), span), sub(outLength, one)));
    Value middle = mul(mul(half, add(roiStart, roiEnd)), span);
    xo = select(n.build<GreaterOp>({outLength, one}), stretched, middle);
  } else {
    xo = div(o, scale); // asymmetric
  }
  Value base = n.build<FloorOp>({xo});
  Value ratio = sub(xo, base);
  Value lastIndex = number(double(inSize - 1));
  auto indexOf = [&](Value at) { // clamped, as i64; NaN (from a NaN roi) 0
    Value clamped = n.build<MaxOp>({n.build<MinOp>({at, lastIndex}), zero});
    return n.cast(select(n.build<EqualOp>({at, at}), clamped, zero), i64);
  };
  auto gather = [&](Value index) {
    return n.build<GatherOp>({x, index},
                             n.attr("axis", n.builder.getI64IntegerAttr(axis)));
  };
  ShapeVec weightShape(type.getRank(), 1);
  weightShape[axis] = outSize;
  auto weightAlongAxis = [&](Value w) {
    return n.cast(n.reshape(w, weightShape), type.getElementType());
  };
  Value result;
  if (m.mode == "nearest") {
    Value up = add(base, one);
    Value pick = base;
    if (m.nearest == "ceil")
      pick = select(n.build<EqualOp>({ratio, zero}), base, up);
    else if (m.nearest == "round_prefer_ceil")
      pick = select(n.build<GreaterEqualOp>({ratio, half}), up, base);
    else if (m.nearest != "floor") // round_prefer_floor
      pick = select(n.build<GreaterOp>({ratio, half}), up, base);
    result = gather(indexOf(pick));
  } else {
    // Taps at first + t with their weights: linear (1 - r, r) from base,
    // cubic from base - 1 at distances 1 + r, r, 1 - r, 2 - r.
    int taps = m.mode == "linear" ? 2 : 4;
    Value first = taps == 2 ? base : sub(base, one);
    std::vector<Value> weights, ats;
    double a = m.cubicA;
    auto near = [&](Value d) { // |d| <= 1
      return add(mul(mul(sub(mul(number(a + 2), d), number(a + 3)), d), d),
                 one);
    };
    auto far = [&](Value d) { // 1 < |d| < 2
      return sub(
          mul(add(mul(sub(mul(number(a), d), number(5 * a)), d), number(8 * a)),
              d),
          number(4 * a));
    };
    for (int t = 0; t < taps; ++t) {
      ats.push_back(add(first, number(double(t))));
      if (taps == 2)
        weights.push_back(t == 0 ? sub(one, ratio) : ratio);
      else if (t == 0)
        weights.push_back(far(add(one, ratio)));
      else if (t == 1)
        weights.push_back(near(ratio));
      else if (t == 2)
        weights.push_back(near(sub(one, ratio)));
      else
        weights.push_back(far(sub(number(2.0), ratio)));
    }
    if (m.excludeOutside) {
      Value sum;
      for (int t = 0; t < taps; ++t) {
        Value inside =
            n.build<AndOp>({n.build<GreaterEqualOp>({ats[t], zero}),
                            n.build<LessEqualOp>({ats[t], lastIndex})});
        weights[t] = select(inside, weights[t], zero);
        sum = sum ? add(sum, weights[t]) : weights[t];
      }
      Value nonzero = n.build<NotEqualOp>({sum, zero});
      for (int t = 0; t < taps; ++t)
        weights[t] = select(nonzero, div(weights[t], sum), weights[t]);
    }
    for (int t = 0; t < taps; ++t) {
      Value term = mul(gather(indexOf(ats[t])), weightAlongAxis(weights[t]));
      result = result ? add(result, term) : term;
    }
  }
  if (c == "tf_crop_and_resize") {
    Value outside = n.build<OrOp>(
        {n.build<LessOp>({xo, zero}), n.build<GreaterOp>({xo, lastIndex})});
    result = select(n.reshape(outside, weightShape),
                    n.scalarLike(result, m.extrapolation), result);
  }
  return result;
}

/// Reads a float list input (scales, roi), empty when absent or empty.
FailureOr<std::vector<double>> floatList(NodeImporter &n, size_t i,
                                         const char *what) {
  // An input without elements has one value whatever the run gives.
  if (!n.hasInput(i) ||
      (n.inputType(i).hasStaticShape() && n.inputType(i).getNumElements() == 0))
    return std::vector<double>();
  auto dense = dyn_cast_or_null<DenseElementsAttr>(n.constantInput(i));
  if (!dense || !isa<FloatType>(dense.getElementType()))
    return n.failNotConstant(i, what);
  std::vector<double> values;
  for (const APFloat &v : dense.getValues<APFloat>())
    values.push_back(v.convertToDouble());
  return values;
}

/// Each resized axis gets index and weight tables of its new size.
constexpr int64_t kMaxResizedAxis = int64_t(1) << 24;

/// Resize with its scales (input `scalesInput`, 0 when constant) or
/// tf_crop_and_resize's roi given at run time. Run-time scales give the
/// shape the model declares, which the library checks before each run
/// (floor(dim * scale) along each axis); each listed axis is then
/// resampled with its transform computed at run time. `scales`, `sizes`
/// and `roi` hold what is constant, over every dim.
LogicalResult importResizeAtRunTime(NodeImporter &n, const ResizeMode &m,
                                    ArrayRef<int64_t> axes,
                                    ArrayRef<double> scales,
                                    std::vector<int64_t> sizes,
                                    ArrayRef<double> roi, size_t scalesInput,
                                    bool runtimeRoi) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t count = axes.size();
  size_t failing = scalesInput ? scalesInput : 1;
  const char *what = scalesInput ? "scales" : "roi";
  auto fail = [&] { return n.failNotConstant(failing, what); };
  auto element = n.inputType(0).getElementType();
  // Antialiasing's tap count depends on the scale; a weighted sum needs
  // floats.
  if ((m.antialias && m.mode != "nearest") ||
      (m.mode != "nearest" && !isa<FloatType>(element)))
    return fail();
  if (!sizes.empty() && n.opset >= 18 &&
      n.attrString("keep_aspect_ratio_policy", "stretch") != "stretch")
    return fail();
  if (runtimeRoi && n.inputType(1).getNumElements() != 2 * count)
    return n.fail("roi must have two values per axis");
  if (scalesInput) {
    auto declared = n.declaredOutputShape(0);
    if (!sizes.empty())
      return n.fail("only one of scales and sizes may be given");
    if (!declared || int64_t(declared->size()) != rank ||
        n.inputType(scalesInput).getNumElements() != count)
      return fail();
    for (int64_t d = 0; d < rank; ++d) {
      bool listed = llvm::is_contained(axes, d);
      if ((*declared)[d] < 1 || (*declared)[d] > kMaxResizedAxis ||
          (!listed && (*declared)[d] != shape[d]))
        return fail();
    }
    using Part = NodeImporter::CheckPart;
    if (!n.checkAtRunTime(
            scalesInput, "resize", *declared, shape, 0,
            {Part{-1, std::vector<int64_t>(axes.begin(), axes.end())}}))
      return fail();
    sizes = *declared;
  } else if (sizes.empty()) {
    if (int64_t(scales.size()) != rank)
      return n.fail("scales must have one value per dimension");
    for (int64_t d = 0; d < rank; ++d) {
      double size = std::floor(shape[d] * scales[d]);
      if (!(scales[d] > 0) || !(size >= 1) ||
          size > static_cast<double>(kMaxResizedAxis))
        return n.fail("the scale of axis " + std::to_string(d) +
                      " gives no valid size");
      sizes.push_back(static_cast<int64_t>(size));
    }
  } else if (int64_t(sizes.size()) != rank ||
             llvm::any_of(sizes, [](int64_t size) {
               return size < 1 || size > kMaxResizedAxis;
             })) {
    return n.fail("sizes must give one positive size per dimension");
  }
  Type f64 = n.builder.getF64Type();
  auto number = [&](double v) {
    return n.constantOf(RankedTensorType::get({}, f64), {v});
  };
  auto entry = [&](Value list, int64_t k) {
    return n.reshape(n.sliceAxis(list, 0, k, 1), {});
  };
  Value scaleList = scalesInput
                        ? n.cast(n.reshape(n.input(scalesInput), {count}), f64)
                        : Value();
  Value roiList =
      runtimeRoi ? n.cast(n.reshape(n.input(1), {2 * count}), f64) : Value();
  Value y = n.input(0);
  for (int64_t k = 0; k < count && y; ++k) {
    int64_t d = axes[k];
    // With constant sizes (no scales), the scale is output / input.
    Value scale = scaleList         ? entry(scaleList, k)
                  : !scales.empty() ? number(scales[d])
                                    : number(double(sizes[d]) / shape[d]);
    Value start = roiList       ? entry(roiList, k)
                  : roi.empty() ? number(0.0)
                                : number(roi[d]);
    Value end = roiList       ? entry(roiList, k + count)
                : roi.empty() ? number(1.0)
                              : number(roi[d + rank]);
    y = resizeAxisAtRunTime(n, y, d, sizes[d], scale, m, start, end);
  }
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importResize(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  ResizeMode m;
  m.mode = n.attrString("mode", "nearest");
  if (m.mode != "nearest" && m.mode != "linear" && m.mode != "cubic")
    return n.fail("unknown mode '" + m.mode + "'");
  std::vector<double> scales, roi;
  std::vector<int64_t> sizes;
  bool upsample = n.opset < 11 || n.node.op_type() == "Upsample";
  // Scales, or tf_crop_and_resize's roi, given at run time.
  auto atRunTime = [&](size_t i) {
    return n.hasInput(i) && n.inputType(i).getNumElements() != 0 &&
           !n.constantInput(i);
  };
  size_t scalesInput = upsample ? 1 : 2;
  bool runtimeScales = atRunTime(scalesInput);
  bool runtimeRoi = !upsample && atRunTime(1) &&
                    n.attrString("coordinate_transformation_mode",
                                 "half_pixel") == "tf_crop_and_resize";
  if (upsample) {
    m.coordinates = "asymmetric";
    m.nearest = "floor";
    if (m.mode == "linear" || m.mode == "bilinear")
      m.mode = "linear";
    auto given = runtimeScales
                     ? FailureOr<std::vector<double>>(std::vector<double>())
                     : floatList(n, 1, "scales");
    if (failed(given))
      return failure();
    scales = *given;
  } else {
    m.coordinates =
        n.attrString("coordinate_transformation_mode", "half_pixel");
    m.nearest = n.attrString("nearest_mode", "round_prefer_floor");
    m.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
    m.excludeOutside = n.attrInt("exclude_outside", 0);
    m.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
    static const char *const kCoordinateModes[] = {
        "half_pixel",        "half_pixel_symmetric", "pytorch_half_pixel",
        "align_corners",     "asymmetric",           "tf_half_pixel_for_nn",
        "tf_crop_and_resize"};
    if (!llvm::is_contained(kCoordinateModes, m.coordinates))
      return n.fail("unknown coordinate_transformation_mode '" + m.coordinates +
                    "'");
    m.antialias = n.attrInt("antialias", 0) != 0;
    // roi matters to tf_crop_and_resize alone.
    auto none = FailureOr<std::vector<double>>(std::vector<double>());
    auto roiValues = m.coordinates == "tf_crop_and_resize" && !runtimeRoi
                         ? floatList(n, 1, "roi")
                         : none;
    auto scaleValues = runtimeScales ? none : floatList(n, 2, "scales");
    if (failed(roiValues) || failed(scaleValues))
      return failure();
    roi = *roiValues;
    scales = *scaleValues;
    if (n.hasInput(3)) {
      auto given = n.constantInts(3);
      if (!given) {
        // Given at run time: the declared output's dims along the axes
        // (sizes set the scales to output / input, so nothing else changes).
        auto declared = n.declaredOutputShape(0);
        std::vector<int64_t> axesGiven = n.attrInts("axes", {});
        if (!declared || int64_t(declared->size()) != rank ||
            (n.opset >= 18 &&
             n.attrString("keep_aspect_ratio_policy", "stretch") != "stretch"))
          return n.failNotConstant(3, "sizes");
        given.emplace();
        if (axesGiven.empty())
          given = *declared;
        for (int64_t axis : axesGiven) {
          if (axis < -rank || axis >= rank)
            return n.failNotConstant(3, "sizes");
          given->push_back((*declared)[axis < 0 ? axis + rank : axis]);
        }
        if (n.inputType(3).getNumElements() != int64_t(given->size()) ||
            !n.checkAtRunTime(3, "equal", *given))
          return n.failNotConstant(3, "sizes");
      }
      sizes = *given;
    }
  }
  // axes (opset 18): scales, sizes and roi name only these dimensions.
  std::vector<int64_t> axes = n.attrInts("axes", {});
  bool allAxes = axes.empty();
  if (allAxes)
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  for (int64_t &axis : axes) {
    auto normalized = normalizedAxis(n, axis, rank);
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  int64_t count = static_cast<int64_t>(axes.size());
  if (!allAxes) {
    if (!scales.empty() && static_cast<int64_t>(scales.size()) != count)
      return n.fail("scales must have one value per axis");
    if (!sizes.empty() && static_cast<int64_t>(sizes.size()) != count)
      return n.fail("sizes must have one value per axis");
    if (!roi.empty() && static_cast<int64_t>(roi.size()) != 2 * count)
      return n.fail("roi must have two values per axis");
    std::vector<double> fullScales(rank, 1.0), fullRoi;
    std::vector<int64_t> fullSizes(shape.begin(), shape.end());
    if (!roi.empty()) {
      fullRoi.assign(rank, 0.0);
      fullRoi.resize(2 * rank, 1.0);
    }
    for (int64_t i = 0; i < count; ++i) {
      if (!scales.empty())
        fullScales[axes[i]] = scales[i];
      if (!sizes.empty())
        fullSizes[axes[i]] = sizes[i];
      if (!roi.empty()) {
        fullRoi[axes[i]] = roi[i];
        fullRoi[axes[i] + rank] = roi[i + count];
      }
    }
    if (!scales.empty())
      scales = fullScales;
    if (!sizes.empty())
      sizes = fullSizes;
    roi = fullRoi;
  }
  if (runtimeScales || runtimeRoi)
    return importResizeAtRunTime(n, m, axes, scales, sizes, roi,
                                 runtimeScales ? scalesInput : 0, runtimeRoi);
  if (sizes.empty()) {
    if (static_cast<int64_t>(scales.size()) != rank)
      return n.fail("scales must have one value per dimension");
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0) || !std::isfinite(scales[d]))
        return n.fail("the scale of axis " + std::to_string(d) +
                      " must be positive and finite");
      double size = std::floor(shape[d] * scales[d]);
      // Checked before the conversion: a huge scale has no int64.
      if (size > static_cast<double>(kMaxResizedAxis))
        return n.fail("scales make axis " + std::to_string(d) + " " +
                      std::to_string(size) + " long; dlc resizes an axis " +
                      "to at most 2^24");
      sizes.push_back(static_cast<int64_t>(size));
    }
  } else {
    if (static_cast<int64_t>(sizes.size()) != rank)
      return n.fail("sizes must have one value per dimension");
    scales.clear();
    for (int64_t d = 0; d < rank; ++d) {
      if (sizes[d] < 1)
        return n.fail("output size must be positive");
      if (sizes[d] > kMaxResizedAxis)
        return n.fail("axis " + std::to_string(d) + " would be resized to " +
                      std::to_string(sizes[d]) + "; dlc resizes an axis to " +
                      "at most 2^24");
      scales.push_back(double(sizes[d]) / double(shape[d]));
    }
    // keep_aspect_ratio_policy (opset 18): one scale for the named axes,
    // the smallest (not_larger) or largest (not_smaller); sizes rounded
    // half up.
    std::string policy =
        n.opset >= 18 ? n.attrString("keep_aspect_ratio_policy", "stretch")
                      : "stretch";
    if (policy != "stretch") {
      if (policy != "not_larger" && policy != "not_smaller")
        return n.fail("unknown keep_aspect_ratio_policy '" + policy + "'");
      double common = scales[axes[0]];
      for (int64_t axis : axes)
        common = policy == "not_larger" ? std::min(common, scales[axis])
                                        : std::max(common, scales[axis]);
      for (int64_t axis : axes) {
        scales[axis] = common;
        sizes[axis] = static_cast<int64_t>(common * shape[axis] + 0.5);
      }
    }
  }
  if (m.coordinates == "tf_crop_and_resize" &&
      static_cast<int64_t>(roi.size()) != 2 * rank)
    return n.fail("tf_crop_and_resize needs roi with 2 values per dimension");
  Value y = n.input(0);
  for (int64_t d = 0; d < rank && y; ++d) {
    if (sizes[d] < 1)
      return n.fail("output size must be positive");
    double start = roi.empty() ? 0 : roi[d],
           end = roi.empty() ? 1 : roi[d + rank];
    y = resizeAxis(n, y, d, sizes[d], scales[d], m, start, end);
  }
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

/// CenterCropPad (opset 18): each listed axis cropped or zero-padded to its
/// size about the centre (the odd element goes after), as a slice or a
/// concat with zeros.
LogicalResult importCenterCropPad(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  std::vector<int64_t> axes = n.attrInts("axes", {});
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  auto sizes = n.constantInts(1);
  if (!sizes) {
    // Given at run time: the sizes the declared output has along the axes,
    // which the library checks the input holds.
    auto declared = n.declaredOutputShape(0);
    std::vector<int64_t> wanted;
    for (int64_t axis : axes)
      if (declared && int64_t(declared->size()) == rank && axis >= -rank &&
          axis < rank)
        wanted.push_back((*declared)[axis < 0 ? axis + rank : axis]);
    if (wanted.size() == axes.size() &&
        n.inputType(1).getNumElements() == int64_t(axes.size()) &&
        n.checkAtRunTime(1, "equal", wanted))
      sizes = wanted;
    else
      return n.failNotConstant(1, "shape");
  }
  if (axes.size() != sizes->size())
    return n.fail("shape must give one size per axis");
  Value y = n.input(0);
  for (size_t i = 0; i < axes.size() && y; ++i) {
    auto axis = normalizedAxis(n, axes[i], rank);
    if (failed(axis))
      return failure();
    auto type = cast<RankedTensorType>(y.getType());
    int64_t have = type.getDimSize(*axis), want = (*sizes)[i];
    if (want < 1)
      return n.fail("sizes must be positive");
    if (want < have) {
      y = n.sliceAxis(y, *axis, (have - want) / 2, want);
    } else if (want > have) {
      int64_t before = (want - have) / 2, after = want - have - before;
      SmallVector<Value> parts;
      auto zeros = [&](int64_t count) {
        SmallVector<int64_t> shape(type.getShape());
        shape[*axis] = count;
        return n.constantOf(RankedTensorType::get(shape, type.getElementType()),
                            std::vector<double>(product(shape), 0.0));
      };
      if (before)
        parts.push_back(zeros(before));
      parts.push_back(y);
      parts.push_back(zeros(after));
      y = n.build<ConcatOp>(parts,
                            n.attr("axis", n.builder.getI64IntegerAttr(*axis)));
    }
  }
  n.setOutput(0, y);
  return success();
}

/// Pad with the pads given at run time (every axis, no axes input): the
/// output has the shape the model declares, which the library checks the
/// pads give; each axis gathers at (position - pads before), the index
/// computed at run time and brought into range as the mode says.
LogicalResult importRuntimePad(NodeImporter &n, const std::string &mode,
                               double value, Value runtimeValue) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  auto declared = n.declaredOutputShape(0);
  constexpr int64_t kMaxPaddedAxis = int64_t(1) << 24; // index tables
  if (!declared || int64_t(declared->size()) != rank ||
      llvm::any_of(*declared,
                   [&](int64_t size) { return size > kMaxPaddedAxis; }) ||
      n.inputType(1).getNumElements() != 2 * rank ||
      (mode != "constant" && llvm::is_contained(shape, 0)) ||
      !n.checkAtRunTime(1, "pad", *declared, shape))
    return n.failNotConstant(1, "pads");
  auto i64 = n.builder.getI64Type();
  auto scalar = [&](int64_t v) {
    return n.constantOf(RankedTensorType::get({}, i64), {double(v)});
  };
  Value pads = n.reshape(n.cast(n.input(1), i64), {2 * rank});
  Value y = n.input(0);
  Value inside; // constant mode: where the output reads the input
  for (int64_t axis = 0; axis < rank && y; ++axis) {
    int64_t size = shape[axis], outSize = (*declared)[axis];
    std::vector<double> positions(outSize);
    for (int64_t o = 0; o < outSize; ++o)
      positions[o] = double(o);
    Value at = n.build<SubOp>(
        {n.constantOf(RankedTensorType::get({outSize}, i64), positions),
         n.reshape(n.sliceAxis(pads, 0, axis, 1), {})});
    Value index;
    if (mode == "wrap") {
      index = n.build<ModOp>({at, scalar(size)});
    } else if (mode == "reflect") {
      int64_t period = 2 * (size - 1);
      if (period == 0) {
        index = n.build<MulOp>({at, scalar(0)});
      } else {
        Value r = n.build<ModOp>({at, scalar(period)});
        index = n.build<SelectOp>({n.build<GreaterEqualOp>({r, scalar(size)}),
                                   n.build<SubOp>({scalar(period), r}), r});
      }
    } else { // edge, or constant (masked below)
      index = n.build<MaxOp>(
          {n.build<MinOp>({at, scalar(std::max<int64_t>(size - 1, 0))}),
           scalar(0)});
    }
    y = n.build<GatherOp>({y, index},
                          n.attr("axis", n.builder.getI64IntegerAttr(axis)));
    if (mode == "constant") {
      ShapeVec maskShape(rank, 1);
      maskShape[axis] = outSize;
      Value within =
          n.reshape(n.build<AndOp>({n.build<GreaterEqualOp>({at, scalar(0)}),
                                    n.build<LessOp>({at, scalar(size)})}),
                    maskShape);
      inside = inside ? n.build<AndOp>({inside, within}) : within;
    }
  }
  if (inside && y)
    y = n.build<SelectOp>(
        {inside, y, runtimeValue ? runtimeValue : n.scalarLike(y, value)});
  n.setOutput(0, y);
  return success();
}

LogicalResult importPad(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  std::vector<int64_t> pads;
  double value = 0;
  Value runtimeValue; // constant_value given as a run-time scalar
  if (n.opset < 11) {
    pads = n.attrInts("pads", {});
    value = n.attrFloat("value", 0.0f);
  } else {
    if (n.hasInput(2)) {
      if (auto scalar = constantScalar(n, 2))
        value = *scalar;
      else if (n.inputType(2).getNumElements() == 1)
        runtimeValue = n.reshape(n.input(2), {});
      else
        return n.fail("constant_value must be a scalar");
    }
    std::string mode = n.attrString("mode", "constant");
    if (!n.constantInts(1) && !(n.opset >= 18 && n.hasInput(3)) &&
        (mode == "constant" || mode == "reflect" || mode == "edge" ||
         mode == "wrap"))
      return importRuntimePad(n, mode, value, runtimeValue);
    auto given = n.requireInts(1, "pads");
    if (!given)
      return failure();
    pads = *given;
  }
  std::vector<int64_t> axes;
  if (n.opset >= 18 && n.hasInput(3)) {
    auto given = n.requireInts(3, "axes");
    if (!given)
      return failure();
    axes = *given;
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  int64_t count = axes.size();
  if (static_cast<int64_t>(pads.size()) != 2 * count)
    return n.fail("pads must have two values per padded axis");
  std::string mode = n.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return n.fail("unknown mode '" + mode + "'");
  Value y = n.input(0);
  for (int64_t i = 0; i < count && y; ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return n.fail("axis out of range");
    int64_t before = pads[i], after = pads[i + count];
    if (before == 0 && after == 0)
      continue;
    int64_t size = shape[axis];
    // Each padded axis gets index tables of its new size: bounded.
    constexpr int64_t kMaxPaddedAxis = int64_t(1) << 24;
    __int128 wide = static_cast<__int128>(size) + before + after;
    if (wide > kMaxPaddedAxis)
      return n.fail("pads make axis " + std::to_string(axis) + " longer than " +
                    "2^24, the most dlc pads");
    int64_t outSize = static_cast<int64_t>(wide);
    if (outSize < 0 || (size == 0 && mode != "constant"))
      return n.fail("pads leave nothing to read");
    std::vector<int64_t> index(outSize);
    std::vector<double> padded(outSize, 0.0);
    for (int64_t o = 0; o < outSize; ++o) {
      int64_t at = o - before;
      if (at < 0 || at >= size) {
        padded[o] = 1;
        if (mode == "edge")
          at = std::clamp<int64_t>(at, 0, size - 1);
        else if (mode == "wrap")
          at = ((at % size) + size) % size;
        else if (mode == "reflect") {
          int64_t period = 2 * (size - 1);
          at = period == 0 ? 0 : ((at % period) + period) % period;
          if (at >= size)
            at = period - at;
        } else {
          at = std::clamp<int64_t>(at, 0, std::max<int64_t>(size - 1, 0));
        }
      }
      index[o] = at;
    }
    y = gatherAxis(n, y, axis, index);
    if (mode == "constant") {
      ShapeVec maskShape(rank, 1);
      maskShape[axis] = outSize;
      Value mask = n.constantOf(
          RankedTensorType::get(maskShape, n.builder.getI1Type()), padded);
      y = n.build<SelectOp>(
          {mask, runtimeValue ? runtimeValue : n.scalarLike(y, value), y});
    }
  }
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

Value convTranspose(NodeImporter &n, Value x, Value w, int64_t group,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                    ArrayRef<int64_t> pads, ArrayRef<int64_t> outputPadding);

LogicalResult importConvTranspose(NodeImporter &n) {
  Value x = n.input(0), w = n.input(1);
  auto xType = n.inputType(0), wType = n.inputType(1);
  int64_t rank = xType.getRank(), spatial = rank - 2;
  if (rank < 3 || wType.getRank() != rank)
    return n.fail("X and W must have the same rank, 3 or more");
  int64_t group = n.attrInt("group", 1);
  int64_t inChannels = xType.getDimSize(1);
  if (group < 1 || wType.getDimSize(0) != inChannels || inChannels % group != 0)
    return n.fail("W must be [C, M/group, k...] for X with C channels");
  int64_t outPerGroup = wType.getDimSize(1);
  auto kernel = wType.getShape().drop_front(2);
  auto strides = n.attrInts("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = n.attrInts("dilations", std::vector<int64_t>(spatial, 1));
  auto outputPadding =
      n.attrInts("output_padding", std::vector<int64_t>(spatial, 0));
  auto pads = n.attrInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(outputPadding.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return n.fail("strides, dilations, pads or output_padding do not match "
                  "the kernel rank");
  // Bounded so that the sizes below stay far from overflow.
  constexpr int64_t kLimit = int64_t(1) << 30;
  auto within = [](ArrayRef<int64_t> values, int64_t low, int64_t high) {
    return llvm::all_of(values,
                        [&](int64_t v) { return v >= low && v <= high; });
  };
  if (!within(strides, 1, kLimit) || !within(dilations, 1, kLimit) ||
      !within(outputPadding, 0, kLimit) || !within(pads, 0, kLimit) ||
      !within(kernel, 1, kLimit))
    return n.fail("strides and dilations must be from 1 to 2^30, pads and "
                  "output_padding from 0 to 2^30, and W's kernel not empty");
  // Total padding from output_shape or auto_pad, as ONNX defines it.
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  auto outputShape = n.attrInts("output_shape", {});
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = xType.getDimSize(i + 2);
    __int128 wide = static_cast<__int128>(strides[i]) * (in - 1) +
                    outputPadding[i] +
                    static_cast<__int128>(kernel[i] - 1) * dilations[i] + 1;
    if (in < 1)
      return n.fail("X has an empty spatial axis");
    if (wide > kMaxTensorBytes)
      return n.fail("the output would have more than 2^48 elements along "
                    "spatial axis " +
                    std::to_string(i));
    int64_t full = static_cast<int64_t>(wide);
    int64_t target = -1;
    if (!outputShape.empty()) {
      if (static_cast<int64_t>(outputShape.size()) < spatial)
        return n.fail("output_shape gives fewer sizes than spatial axes");
      target = outputShape[outputShape.size() - spatial + i];
      if (target > kMaxTensorBytes)
        return n.fail("output_shape holds a size over 2^48");
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      target = in * strides[i];
    else if (autoPad == "VALID")
      target = full;
    if (target < 0)
      continue;
    // Negative when output_shape asks for more: extra zeros at the end.
    int64_t total = full - target;
    int64_t small = total / 2, large = total - small;
    bool upper = autoPad != "SAME_LOWER";
    pads[i] = upper ? small : large;
    pads[i + spatial] = upper ? large : small;
  }
  Value y =
      convTranspose(n, x, w, group, strides, dilations, pads, outputPadding);
  if (!y)
    return failure();
  if (n.hasInput(2)) {
    ShapeVec biasShape = {group * outPerGroup};
    biasShape.append(spatial, 1);
    y = n.build<AddOp>({y, n.reshape(n.input(2), biasShape)});
  }
  n.setOutput(0, y);
  return success();
}

/// The transposed convolution of x [N, C, ...] by w [C, M/group, k...]
/// (no bias): zeros spread between x's elements by the strides, then a
/// convolution by the flipped kernel; null after failing.
Value convTranspose(NodeImporter &n, Value x, Value w, int64_t group,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                    ArrayRef<int64_t> pads, ArrayRef<int64_t> outputPadding) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = xType.getRank(), spatial = rank - 2;
  int64_t inChannels = xType.getDimSize(1);
  int64_t outPerGroup = wType.getDimSize(1);
  auto kernel = wType.getShape().drop_front(2);
  // Zeros between input elements: [.., L] -> [.., L, s] -> [.., L*s], cut to
  // (L - 1) * s + 1.
  Value dilated = x;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t s = strides[i];
    if (s == 1)
      continue;
    int64_t axis = i + 2;
    if (!dilated)
      return nullptr;
    auto shape = cast<RankedTensorType>(dilated.getType()).getShape();
    ShapeVec withLane(shape.begin(), shape.begin() + axis + 1);
    withLane.push_back(1);
    withLane.append(shape.begin() + axis + 1, shape.end());
    Value lane = n.reshape(dilated, withLane);
    ShapeVec zerosShape(withLane);
    zerosShape[axis + 1] = s - 1;
    if (!checkedNumElements(zerosShape)) {
      (void)n.fail("the input spread by the strides would hold more than "
                   "2^48 elements");
      return nullptr;
    }
    auto zerosType = RankedTensorType::get(zerosShape, xType.getElementType());
    Value zeros = n.constant(DenseElementsAttr::get(
        zerosType, n.builder.getZeroAttr(xType.getElementType())));
    Value spread = n.build<ConcatOp>(
        {lane, zeros}, n.attr("axis", n.builder.getI64IntegerAttr(axis + 1)));
    ShapeVec merged(shape.begin(), shape.end());
    merged[axis] = shape[axis] * s;
    Value flat = n.reshape(spread, merged);
    std::vector<int64_t> starts(shape.size(), 0),
        ends(merged.begin(), merged.end()), steps(shape.size(), 1);
    ends[axis] = (shape[axis] - 1) * s + 1;
    auto &b = n.builder;
    dilated = n.build<SliceOp>(
        flat, {n.attr("starts", b.getDenseI64ArrayAttr(starts)),
               n.attr("ends", b.getDenseI64ArrayAttr(ends)),
               n.attr("steps", b.getDenseI64ArrayAttr(steps))});
  }
  // Kernel: [C, M/g, k...] -> [g, C/g, M/g, k...] -> [g, M/g, C/g, k...]
  // -> [M, C/g, k...], flipped along every spatial axis.
  ShapeVec grouped = {group, inChannels / group, outPerGroup};
  grouped.append(kernel.begin(), kernel.end());
  SmallVector<int64_t> perm = {0, 2, 1};
  for (int64_t i = 0; i < spatial; ++i)
    perm.push_back(3 + i);
  Value kernelT = n.build<TransposeOp>(
      n.reshape(w, grouped),
      n.attr("perm", n.builder.getDenseI64ArrayAttr(perm)));
  ShapeVec convShape = {group * outPerGroup, inChannels / group};
  convShape.append(kernel.begin(), kernel.end());
  Value flipped = n.reshape(kernelT, convShape);
  for (int64_t i = 0; i < spatial; ++i) {
    std::vector<int64_t> reversed(kernel[i]);
    for (int64_t k = 0; k < kernel[i]; ++k)
      reversed[k] = kernel[i] - 1 - k;
    flipped = gatherAxis(n, flipped, i + 2, reversed);
  }
  // Conv pads: the kernel's reach minus ONNX's pads, output_padding at the
  // end. A negative pad (more cropping than the reach) is cut by a slice.
  std::vector<int64_t> convPads(2 * spatial), crop(2 * spatial, 0);
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t reach = (kernel[i] - 1) * dilations[i];
    convPads[i] = reach - pads[i];
    convPads[i + spatial] = reach - pads[i + spatial] + outputPadding[i];
    for (int64_t side : {i, i + spatial})
      if (convPads[side] < 0) {
        crop[side] = -convPads[side];
        convPads[side] = 0;
      }
  }
  auto &b = n.builder;
  Value y = n.build<ConvOp>(
      {dilated, flipped},
      {n.attr("strides",
              b.getDenseI64ArrayAttr(std::vector<int64_t>(spatial, 1))),
       n.attr("dilations", b.getDenseI64ArrayAttr(dilations)),
       n.attr("pads", b.getDenseI64ArrayAttr(convPads)),
       n.attr("group", b.getI64IntegerAttr(group))});
  if (!y)
    return nullptr;
  if (llvm::any_of(crop, [](int64_t c) { return c != 0; })) {
    auto shape = cast<RankedTensorType>(y.getType()).getShape();
    std::vector<int64_t> starts(rank, 0), ends(shape.begin(), shape.end()),
        steps(rank, 1);
    for (int64_t i = 0; i < spatial; ++i) {
      starts[i + 2] = crop[i];
      ends[i + 2] = shape[i + 2] - crop[i + spatial];
    }
    y = n.build<SliceOp>(y, {n.attr("starts", b.getDenseI64ArrayAttr(starts)),
                             n.attr("ends", b.getDenseI64ArrayAttr(ends)),
                             n.attr("steps", b.getDenseI64ArrayAttr(steps))});
  }
  return y;
}

//===----------------------------------------------------------------------===//
// Col2Im
//===----------------------------------------------------------------------===//

/// Col2Im (opset 18): the columns [N, C*K, L] (K = the block's size, L its
/// positions) summed back into an image [N, C, image...]. That is a
/// transposed convolution of the columns, shaped [N, C*K, blocks...], with
/// C groups of K channels, each channel's kernel one 1 at its offset.
LogicalResult importCol2Im(NodeImporter &n) {
  auto image = n.constantInts(1), block = n.constantInts(2);
  if (!image)
    return n.failNotConstant(1, "image_shape");
  if (!block)
    return n.failNotConstant(2, "block_shape");
  auto xType = n.inputType(0);
  int64_t spatial = static_cast<int64_t>(image->size());
  if (xType.getRank() != 3 || spatial < 1 ||
      static_cast<int64_t>(block->size()) != spatial)
    return n.fail("input must be [N, C*K, L] and image_shape, block_shape of "
                  "one length");
  auto strides = n.attrInts("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = n.attrInts("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = n.attrInts("pads", std::vector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return n.fail("strides, dilations or pads do not match image_shape");
  int64_t blockSize = 1, positions = 1;
  ShapeVec blocks;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t reach = dilations[i] * ((*block)[i] - 1) + 1;
    int64_t extent = (*image)[i] + pads[i] + pads[i + spatial];
    if ((*block)[i] < 1 || strides[i] < 1 || dilations[i] < 1 ||
        (*image)[i] < 1 || extent < reach)
      return n.fail("the block does not fit the padded image");
    blocks.push_back((extent - reach) / strides[i] + 1);
    blockSize *= (*block)[i];
    positions *= blocks.back();
  }
  int64_t channelsTimesBlock = xType.getDimSize(1);
  if (channelsTimesBlock % blockSize != 0 || xType.getDimSize(2) != positions)
    return n.fail("input must have C*K channels and one column per block "
                  "position");
  if (channelsTimesBlock * blockSize > (int64_t(1) << 24))
    return n.fail("the block's kernel would hold over 2^24 weights");
  int64_t channels = channelsTimesBlock / blockSize;
  ShapeVec columnsShape = {xType.getDimSize(0), channelsTimesBlock};
  columnsShape.append(blocks.begin(), blocks.end());
  Value columns = n.reshape(n.input(0), columnsShape);
  // w [C*K, 1, block...]: channel c*K + k has a 1 at offset k.
  ShapeVec wShape = {channelsTimesBlock, 1};
  wShape.append(block->begin(), block->end());
  std::vector<double> ones(channelsTimesBlock * blockSize, 0.0);
  for (int64_t channel = 0; channel < channelsTimesBlock; ++channel)
    ones[channel * blockSize + channel % blockSize] = 1.0;
  Value w =
      n.constantOf(RankedTensorType::get(wShape, xType.getElementType()), ones);
  std::vector<int64_t> outputPadding(spatial, 0);
  for (int64_t i = 0; i < spatial; ++i) { // positions past the last block
    int64_t covered =
        (blocks[i] - 1) * strides[i] + dilations[i] * ((*block)[i] - 1) + 1;
    outputPadding[i] = (*image)[i] + pads[i] + pads[i + spatial] - covered;
  }
  Value y = convTranspose(n, columns, w, channels, strides, dilations, pads,
                          outputPadding);
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// LRN
//===----------------------------------------------------------------------===//

/// x / (bias + alpha / size * sum of squares over the channel window)^beta;
/// the window sum is `size` channel-shifted gathers masked at the ends.
LogicalResult importLRN(NodeImporter &n) {
  Value x = n.input(0);
  auto shape = n.inputType(0).getShape();
  if (shape.size() < 3)
    return n.fail("input must have rank 3 or more");
  int64_t size = n.attrInt("size", 0);
  if (size < 1)
    return n.fail("size must be positive");
  int64_t channels = shape[1];
  // A window reaching C channels both ways sums every channel, as any wider
  // one does: the loop below runs over at most 2C+1 offsets (alpha is still
  // divided by the declared size).
  int64_t window = channels >= 0 ? std::min(size, 2 * channels + 1) : size;
  Value squares = n.build<MulOp>({x, x});
  int64_t low = (window - 1) / 2, high = window - 1 - low;
  Value sum;
  for (int64_t offset = -low; offset <= high; ++offset) {
    std::vector<int64_t> index(channels);
    std::vector<double> inside(channels);
    for (int64_t c = 0; c < channels; ++c) {
      int64_t at = c + offset;
      inside[c] = at >= 0 && at < channels;
      index[c] = std::clamp<int64_t>(at, 0, channels - 1);
    }
    Value term = n.build<MulOp>(
        {gatherAxis(n, squares, 1, index), alongAxis(n, x, 1, inside)});
    sum = sum ? n.build<AddOp>({sum, term}) : term;
  }
  double alpha = n.attrFloat("alpha", 1e-4f), beta = n.attrFloat("beta", 0.75f);
  double bias = n.attrFloat("bias", 1.0f);
  Value base =
      n.build<AddOp>({n.scalarLike(x, bias),
                      n.build<MulOp>({sum, n.scalarLike(x, alpha / size)})});
  n.setOutput(
      0, n.build<DivOp>({x, n.build<PowOp>({base, n.scalarLike(x, beta)})}));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> spatialOpImporters() {
  static const OpImporterEntry table[] = {
      {"Col2Im", 18, 3, importCol2Im},
      {"ConvTranspose", 1, 2, importConvTranspose},
      {"CenterCropPad", 18, 2, importCenterCropPad},
      {"LRN", 1, 1, importLRN},
      {"Pad", 2, 1, importPad},
      {"Resize", 10, 1, importResize},
      {"Upsample", 9, 2, importResize},
  };
  return table;
}

} // namespace dlc
