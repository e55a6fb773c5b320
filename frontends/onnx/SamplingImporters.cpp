//===- SamplingImporters.cpp - GridSample, RoiAlign, AffineGrid -----------===//
//
// GridSample reads X at positions the grid gives at run time, so unlike
// Resize its taps are computed, not tabled: per spatial axis, the grid's
// coordinate is denormalized, moved inside by the padding mode, and split
// into K taps (1 nearest, 2 linear, 4 cubic) with weights; every one of the
// K^r combinations of taps is a dlc.gather_elements of X flattened over its
// spatial dims, weighted and summed. Follows the ONNX reference
// implementation, except for cubic taps near the border, where the
// reference differs from PyTorch and onnxruntime and dlc follows them.
// RoiAlign samples each region's bins on a fixed grid the same way,
// bilinearly, and averages or takes the largest weighted corner
// (onnxruntime's max mode, which the ONNX reference follows).
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "frontends/onnx/NodeImporter.h"

using namespace mlir;
using namespace dlc;

namespace {

/// One tap along one axis: the flat-index contribution (int64, already
/// times the axis stride), its weight (null for 1), and whether it lies
/// inside X (null when the padding mode keeps it inside).
struct Tap {
  Value index, weight, inside;
};

/// `x` reflected by the near border until inside [low, high], where it is
/// outside (the reference's _gs_reflect).
Value reflect(NodeImporter &n, Value x, double low, double high) {
  double range = high - low;
  Value lowV = n.scalarLike(x, low), highV = n.scalarLike(x, high);
  Value rangeV = n.scalarLike(x, range), two = n.scalarLike(x, 2.0);
  Value zero = n.scalarLike(x, 0.0);
  // Distance past the border, the whole ranges in it, and what remains.
  auto fold = [&](Value distance, Value evenStart, Value oddStart,
                  bool evenAdds) {
    Value turns = n.build<FloorOp>(n.build<DivOp>({distance, rangeV}));
    Value rest = n.build<SubOp>({distance, n.build<MulOp>({turns, rangeV})});
    Value even = n.build<EqualOp>({n.build<FModOp>({turns, two}), zero});
    Value fromEven = evenAdds ? n.build<AddOp>({evenStart, rest})
                              : n.build<SubOp>({evenStart, rest});
    Value fromOdd = evenAdds ? n.build<SubOp>({oddStart, rest})
                             : n.build<AddOp>({oddStart, rest});
    return n.build<SelectOp>({even, fromEven, fromOdd});
  };
  Value below = n.build<LessOp>({x, lowV});
  Value above = n.build<GreaterOp>({x, highV});
  Value fromBelow = fold(n.build<SubOp>({lowV, x}), lowV, highV, true);
  Value fromAbove = fold(n.build<SubOp>({x, highV}), highV, lowV, false);
  return n.build<SelectOp>(
      {below, fromBelow, n.build<SelectOp>({above, fromAbove, x})});
}

/// Keys' cubic convolution weights (alpha -0.75) at offset t in [0, 1).
std::vector<Value> cubicWeights(NodeImporter &n, Value t) {
  constexpr double a = -0.75;
  auto s = [&](double v) { return n.scalarLike(t, v); };
  auto outer = [&](Value d) { // for |d| in [1, 2]
    Value p = n.build<SubOp>({n.build<MulOp>({s(a), d}), s(5 * a)});
    p = n.build<AddOp>({n.build<MulOp>({p, d}), s(8 * a)});
    return n.build<SubOp>({n.build<MulOp>({p, d}), s(4 * a)});
  };
  auto inner = [&](Value d) { // for |d| in [0, 1]
    Value p = n.build<SubOp>({n.build<MulOp>({s(a + 2), d}), s(a + 3)});
    return n.build<AddOp>(
        {n.build<MulOp>({n.build<MulOp>({p, d}), d}), s(1.0)});
  };
  Value oneMinus = n.build<SubOp>({s(1.0), t});
  return {outer(n.build<AddOp>({t, s(1.0)})), inner(t), inner(oneMinus),
          outer(n.build<SubOp>({s(2.0), t}))};
}

LogicalResult importGridSample(NodeImporter &n) {
  Value x = n.input(0);
  auto xType = n.inputType(0), gridType = n.inputType(1);
  Type elementType = xType.getElementType();
  if (!isa<FloatType>(elementType))
    return n.fail("X must be a floating-point tensor");
  if (!isa<FloatType>(gridType.getElementType()))
    return n.fail("grid must be a floating-point tensor");
  int64_t rank = xType.getRank(), spatial = rank - 2;
  if (spatial < 1)
    return n.fail("X must have rank 3 or more");
  if (gridType.getRank() != rank ||
      gridType.getDimSize(0) != xType.getDimSize(0) ||
      gridType.getShape().back() != spatial)
    return n.fail("grid must be [N, D1, ..., Dr, r] for X of rank r + 2");
  std::string mode =
      n.attrString("mode", n.opset >= 20 ? "linear" : "bilinear");
  int taps;
  if (mode == "nearest")
    taps = 1;
  else if (mode == "linear" || mode == "bilinear")
    taps = 2;
  else if (mode == "cubic" || mode == "bicubic")
    taps = 4;
  else
    return n.fail("mode '" + mode + "' is not supported");
  std::string padding = n.attrString("padding_mode", "zeros");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return n.fail("padding_mode '" + padding + "' is not supported");
  bool alignCorners = n.attrInt("align_corners", 0) != 0;

  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  ArrayRef<int64_t> sizes = xType.getShape().drop_front(2);
  ArrayRef<int64_t> outSizes = gridType.getShape().slice(1, spatial);
  int64_t points = product(outSizes), pixels = product(sizes);
  if (points == 0 || pixels == 0 || batch == 0 || channels == 0)
    return n.fail("empty tensors are not supported");
  Value grid =
      n.cast(n.reshape(n.input(1), {batch, points, spatial}), elementType);
  auto i64 = n.builder.getI64Type();

  // Per axis, its taps.
  std::vector<std::vector<Tap>> axisTaps(spatial);
  int64_t stride = pixels;
  for (int64_t axis = 0; axis < spatial; ++axis) {
    int64_t size = sizes[axis];
    stride /= size;
    // The grid's last dim lists coordinates innermost axis first.
    Value coord = n.reshape(n.sliceAxis(grid, 2, spatial - 1 - axis, 1),
                            {batch, 1, points});
    auto s = [&](double v) { return n.scalarLike(coord, v); };
    Value pos = alignCorners
                    ? n.build<MulOp>({n.build<AddOp>({coord, s(1.0)}),
                                      s(0.5 * double(size - 1))})
                    : n.build<DivOp>(
                          {n.build<SubOp>(
                               {n.build<MulOp>({n.build<AddOp>({coord, s(1.0)}),
                                                s(double(size))}),
                                s(1.0)}),
                           s(2.0)});
    if (taps == 1)
      pos = n.build<RoundOp>(pos); // halves to even, as PyTorch
    double low = alignCorners ? 0.0 : -0.5;
    double high = alignCorners ? double(size - 1) : double(size) - 0.5;
    // The reference moves a coordinate outside [low, high] inside before
    // taking taps; for nearest and linear taps that gives what padding the
    // taps alone gives, for cubic taps it does not. Cubic follows PyTorch's
    // grid_sample (which models are exported from) and onnxruntime: the
    // coordinate stays, only the taps are padded.
    if (padding != "zeros" && taps != 4) {
      Value outside = n.build<OrOp>(
          {n.build<LessOp>({pos, s(low)}), n.build<GreaterOp>({pos, s(high)})});
      Value moved =
          padding == "border"
              ? n.build<ClipOp>(
                    pos, {n.attr("min", n.builder.getF64FloatAttr(0.0)),
                          n.attr("max",
                                 n.builder.getF64FloatAttr(double(size - 1)))})
              : reflect(n, pos, low, high);
      pos = n.build<SelectOp>({outside, moved, pos});
    }
    // The taps' integer positions and weights.
    std::vector<Value> positions, weights;
    if (taps == 1) {
      // The reference truncates toward zero.
      positions.push_back(
          n.build<SelectOp>({n.build<LessOp>({pos, s(0.0)}),
                             n.build<CeilOp>(pos), n.build<FloorOp>(pos)}));
      weights.push_back(nullptr);
    } else {
      Value first = n.build<FloorOp>(pos);
      Value t = n.build<SubOp>({pos, first});
      if (taps == 2) {
        positions = {first, n.build<AddOp>({first, s(1.0)})};
        weights = {n.build<SubOp>({s(1.0), t}), t};
      } else {
        for (int k = -1; k <= 2; ++k)
          positions.push_back(n.build<AddOp>({first, s(k)}));
        weights = cubicWeights(n, t);
      }
    }
    for (size_t k = 0; k < positions.size(); ++k) {
      Value p = positions[k];
      Value inside;
      if (padding == "zeros")
        inside = n.build<AndOp>({n.build<GreaterEqualOp>({p, s(0.0)}),
                                 n.build<LessOp>({p, s(double(size))})});
      else if (padding == "reflection")
        p = reflect(n, p, low, high);
      // Kept inside for the gather (a tap outside reads 0 instead).
      p = n.build<ClipOp>(
          p, {n.attr("min", n.builder.getF64FloatAttr(0.0)),
              n.attr("max", n.builder.getF64FloatAttr(double(size - 1)))});
      Value index = n.cast(p, i64);
      if (stride != 1)
        index = n.build<MulOp>({index, n.scalarLike(index, double(stride))});
      axisTaps[axis].push_back({index, weights[k], inside});
    }
  }

  // Every combination of taps: gather, weight, sum.
  Value flat = n.reshape(x, {batch, channels, pixels});
  Value channelZeros =
      n.constantOf(RankedTensorType::get({1, channels, 1}, i64),
                   std::vector<double>(channels, 0.0));
  Value sum;
  int64_t combinations = 1;
  for (int64_t axis = 0; axis < spatial; ++axis)
    combinations *= taps;
  for (int64_t combo = 0; combo < combinations; ++combo) {
    Value index, weight, inside;
    int64_t rest = combo;
    for (int64_t axis = spatial - 1; axis >= 0; --axis) {
      const Tap &tap = axisTaps[axis][rest % taps];
      rest /= taps;
      index = index ? n.build<AddOp>({index, tap.index}) : tap.index;
      if (tap.weight)
        weight = weight ? n.build<MulOp>({weight, tap.weight}) : tap.weight;
      if (tap.inside)
        inside = inside ? n.build<AndOp>({inside, tap.inside}) : tap.inside;
    }
    Value picked = n.build<GatherElementsOp>(
        {flat, n.build<AddOp>({index, channelZeros})},
        n.attr("axis", n.builder.getI64IntegerAttr(2)));
    if (inside)
      picked = n.build<SelectOp>({inside, picked, n.scalarLike(picked, 0.0)});
    if (weight)
      picked = n.build<MulOp>({picked, weight});
    sum = sum ? n.build<AddOp>({sum, picked}) : picked;
  }
  SmallVector<int64_t> outShape = {batch, channels};
  outShape.append(outSizes.begin(), outSizes.end());
  n.setOutput(0, n.reshape(sum, outShape));
  return success();
}

/// One axis of RoiAlign's sampling: for `coords` [R, P] (P sample
/// positions) along an axis of `size`, the low and high pixel, the weight of
/// the high one, and whether the sample lies inside [-1, size].
struct AxisSamples {
  Value low, high, highWeight, inside;
};

AxisSamples roiAxisSamples(NodeImporter &n, Value coords, int64_t size) {
  auto s = [&](double v) { return n.scalarLike(coords, v); };
  Value inside = n.build<NotOp>(
      n.build<OrOp>({n.build<LessOp>({coords, s(-1.0)}),
                     n.build<GreaterOp>({coords, s(double(size))})}));
  Value at = n.build<MaxOp>({coords, s(0.0)});
  Value low = n.build<FloorOp>(at);
  Value last = s(double(size - 1));
  Value atEnd = n.build<GreaterEqualOp>({low, last});
  low = n.build<SelectOp>({atEnd, last, low});
  at = n.build<SelectOp>({atEnd, last, at});
  Value high = n.build<SelectOp>({atEnd, last, n.build<AddOp>({low, s(1.0)})});
  return {low, high, n.build<SubOp>({at, low}), inside};
}

LogicalResult importRoiAlign(NodeImporter &n) {
  auto xType = n.inputType(0);
  Type elementType = xType.getElementType();
  if (xType.getRank() != 4 || !isa<FloatType>(elementType))
    return n.fail("X must be a floating-point [N, C, H, W] tensor");
  auto roisType = n.inputType(1);
  if (roisType.getRank() != 2 || roisType.getDimSize(1) != 4)
    return n.fail("rois must be [num_rois, 4]");
  int64_t rois = roisType.getDimSize(0);
  if (n.inputType(2).getShape() != ArrayRef<int64_t>{rois})
    return n.fail("batch_indices must be [num_rois]");
  int64_t pooledH = n.attrInt("output_height", 1);
  int64_t pooledW = n.attrInt("output_width", 1);
  int64_t grid = n.attrInt("sampling_ratio", 0);
  if (grid <= 0)
    return n.fail("sampling_ratio must be positive: the adaptive grid (0) "
                  "depends on each region's size at run time");
  if (pooledH < 1 || pooledW < 1)
    return n.fail("output_height and output_width must be positive");
  std::string mode = n.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return n.fail("mode must be 'avg' or 'max'");
  std::string transform =
      n.attrString("coordinate_transformation_mode",
                   n.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (transform != "half_pixel" && transform != "output_half_pixel")
    return n.fail("unknown coordinate_transformation_mode '" + transform + "'");
  bool halfPixel = transform == "half_pixel";
  double scale = n.attrFloat("spatial_scale", 1.0f);
  if (rois == 0)
    return n.fail("empty rois are not supported");
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1),
          height = xType.getDimSize(2), width = xType.getDimSize(3);

  Value boxes = n.cast(n.input(1), elementType);
  auto corner = [&](int64_t i) {
    Value v = n.sliceAxis(boxes, 1, i, 1); // [R, 1]
    return n.build<SubOp>({n.build<MulOp>({v, n.scalarLike(v, scale)}),
                           n.scalarLike(v, halfPixel ? 0.5 : 0.0)});
  };
  // Sample positions along one axis: start + bin * (p + (i + 0.5) / grid).
  auto positions = [&](Value start, Value end, int64_t pooled) {
    Value extent = n.build<SubOp>({end, start});
    if (!halfPixel) // malformed regions become 1 x 1
      extent = n.build<MaxOp>({extent, n.scalarLike(extent, 1.0)});
    Value bin = n.build<DivOp>({extent, n.scalarLike(extent, double(pooled))});
    std::vector<double> offsets;
    for (int64_t p = 0; p < pooled; ++p)
      for (int64_t i = 0; i < grid; ++i)
        offsets.push_back(double(p) + (double(i) + 0.5) / double(grid));
    Value table = n.constantOf(
        RankedTensorType::get({1, pooled * grid}, elementType), offsets);
    return n.build<AddOp>({start, n.build<MulOp>({bin, table})});
  };
  int64_t samplesH = pooledH * grid, samplesW = pooledW * grid;
  AxisSamples ys = roiAxisSamples(
      n,
      n.reshape(positions(corner(1), corner(3), pooledH), {rois, samplesH, 1}),
      height);
  AxisSamples xs = roiAxisSamples(
      n,
      n.reshape(positions(corner(0), corner(2), pooledW), {rois, 1, samplesW}),
      width);
  Value inside = n.build<AndOp>({ys.inside, xs.inside}); // [R, SH, SW]

  // Each region's image, flattened: [R, C, H * W].
  Value images = n.build<GatherOp>(
      {n.reshape(n.input(0), {batch, channels, height * width}), n.input(2)},
      n.attr("axis", n.builder.getI64IntegerAttr(0)));
  auto i64 = n.builder.getI64Type();
  Value channelZeros =
      n.constantOf(RankedTensorType::get({1, channels, 1}, i64),
                   std::vector<double>(channels, 0.0));
  auto one = [&](Value v) { return n.scalarLike(v, 1.0); };
  Value weighted;
  for (int corner = 0; corner < 4; ++corner) {
    Value y = corner < 2 ? ys.low : ys.high, x = corner % 2 ? xs.high : xs.low;
    Value wy = corner < 2 ? n.build<SubOp>({one(ys.highWeight), ys.highWeight})
                          : ys.highWeight;
    Value wx = corner % 2 ? xs.highWeight
                          : n.build<SubOp>({one(xs.highWeight), xs.highWeight});
    Value weight = n.build<SelectOp>(
        {inside, n.build<MulOp>({wy, wx}), n.scalarLike(wy, 0.0)});
    Value index =
        n.cast(n.build<AddOp>(
                   {n.build<MulOp>({y, n.scalarLike(y, double(width))}), x}),
               i64); // [R, SH, SW]
    index = n.reshape(index, {rois, 1, samplesH * samplesW});
    Value values = n.build<GatherElementsOp>(
        {images, n.build<AddOp>({index, channelZeros})},
        n.attr("axis", n.builder.getI64IntegerAttr(2)));
    Value term = n.build<MulOp>(
        {values, n.reshape(weight, {rois, 1, samplesH * samplesW})});
    weighted = !weighted       ? term
               : mode == "avg" ? n.build<AddOp>({weighted, term})
                               : n.build<MaxOp>({weighted, term});
  }
  Value bins =
      n.reshape(weighted, {rois, channels, pooledH, grid, pooledW, grid});
  auto axes = n.attr("axes", n.builder.getDenseI64ArrayAttr({3, 5}));
  auto noKeep = n.attr("keepdims", n.builder.getBoolAttr(false));
  Value pooled = mode == "avg" ? n.build<ReduceMeanOp>(bins, {axes, noKeep})
                               : n.build<ReduceMaxOp>(bins, {axes, noKeep});
  n.setOutput(0, pooled);
  return success();
}

/// AffineGrid (opset 20): the sampling grid of an affine transform, the
/// base grid's homogeneous coordinates (x, y[, z], 1) times theta^T.
LogicalResult importAffineGrid(NodeImporter &n) {
  auto thetaType = n.inputType(0);
  Type elementType = thetaType.getElementType();
  if (!isa<FloatType>(elementType))
    return n.fail("theta must be a floating-point tensor");
  auto size = n.constantInts(1);
  if (!size) {
    // Given at run time: N and the spatial sizes from the declared output
    // ([N, H, W, 2] or [N, D, H, W, 3]), which the library checks the input
    // holds; C does not change the grid, so any C is taken.
    auto declared = n.declaredOutputShape(0);
    int64_t count = n.inputType(1).getNumElements();
    if (declared && int64_t(declared->size()) == count &&
        (count == 4 || count == 5) && declared->back() == count - 2) {
      std::vector<int64_t> wanted = {(*declared)[0], -1};
      wanted.insert(wanted.end(), declared->begin() + 1, declared->end() - 1);
      if (n.checkAtRunTime(1, "equal", wanted, {}, /*flags=*/4))
        size = wanted;
    }
    if (!size)
      return n.failNotConstant(1, "AffineGrid's size");
  }
  if (size->size() != 4 && size->size() != 5)
    return n.fail("size must be (N, C, H, W) or (N, C, D, H, W)");
  int64_t dims = size->size() - 2, batch = (*size)[0];
  if (thetaType.getShape() != ArrayRef<int64_t>{batch, dims, dims + 1})
    return n.fail("theta must be [N, " + std::to_string(dims) + ", " +
                  std::to_string(dims + 1) + "]");
  ArrayRef<int64_t> sizes = ArrayRef<int64_t>(*size).drop_front(2);
  if (llvm::any_of(sizes, [](int64_t s) { return s < 1; }))
    return n.fail("the spatial sizes must be positive");
  bool alignCorners = n.attrInt("align_corners", 0) != 0;
  auto coordinate = [&](int64_t i, int64_t extent) {
    if (alignCorners)
      return extent == 1 ? -1.0 : -1.0 + 2.0 * double(i) / double(extent - 1);
    return -1.0 + (2.0 * double(i) + 1.0) / double(extent);
  };
  // The base grid is a table built at compile time: bounded.
  std::optional<int64_t> pointCount = checkedNumElements(sizes);
  if (!pointCount || *pointCount > (int64_t(1) << 24))
    return n.fail("the grid " + shapeText(sizes) +
                  " has more than 2^24 points, the most dlc builds");
  int64_t points = *pointCount;
  std::vector<double> base;
  SmallVector<int64_t> at(dims);
  for (int64_t p = 0; p < points; ++p) {
    for (int64_t d = dims - 1, rest = p; d >= 0; --d) {
      at[d] = rest % sizes[d];
      rest /= sizes[d];
    }
    // Innermost axis first: x (width), y (height), z (depth).
    for (int64_t d = dims - 1; d >= 0; --d)
      base.push_back(coordinate(at[d], sizes[d]));
    base.push_back(1.0);
  }
  Value grid = n.build<MatMulOp>(
      {n.constantOf(RankedTensorType::get({points, dims + 1}, elementType),
                    base),
       n.transpose(n.input(0), {0, 2, 1})});
  ShapeVec shape = {batch};
  shape.append(sizes.begin(), sizes.end());
  shape.push_back(dims);
  n.setOutput(0, n.reshape(grid, shape));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> dlc::samplingOpImporters() {
  static const OpImporterEntry table[] = {
      {"AffineGrid", 20, 2, importAffineGrid},
      {"GridSample", 16, 2, importGridSample},
      {"RoiAlign", 10, 3, importRoiAlign},
  };
  return table;
}
