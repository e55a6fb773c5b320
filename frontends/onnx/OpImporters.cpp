//===- OpImporters.cpp - One importer per ONNX op -------------------------===//
//
// Each importer maps one ONNX node onto dlc ops, opset-aware, decomposing
// composite ops (Gemm, BatchNormalization, Flatten, ...) into canonical ones.
// The table at the end lists them with the oldest opset each understands.
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "frontends/onnx/NodeImporter.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;

namespace dlc {
namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult importUnary(NodeImporter &n) {
  n.setOutput(0, n.build<OpTy>(n.input(0)));
  return success();
}

template <typename OpTy> LogicalResult importBinary(NodeImporter &n) {
  if (failed(requireSameElementType(n, n.input(0), n.input(1))))
    return failure();
  Value rhs = n.input(1);
  // Before opset 7, broadcast=1 aligns B with A's dims from `axis` on
  // (trailing dims by default, which numpy broadcasting already does).
  if (n.opset < 7 && n.attrInt("broadcast", 0) && n.hasAttr("axis")) {
    int64_t rank = n.inputType(0).getRank();
    auto shape = n.inputType(1).getShape();
    int64_t axis = n.attrInt("axis", 0);
    if (axis < 0)
      axis += rank;
    int64_t trailing = rank - axis - static_cast<int64_t>(shape.size());
    if (axis < 0 || trailing < 0)
      return n.fail("axis " + std::to_string(n.attrInt("axis", 0)) +
                    " does not place B inside A");
    ShapeVec aligned(shape.begin(), shape.end());
    aligned.append(trailing, 1);
    rhs = n.reshape(rhs, aligned);
  }
  n.setOutput(0, n.build<OpTy>({n.input(0), rhs}));
  return success();
}

/// Max, Min, Sum, Mean: any number of inputs, folded left (before opset 8
/// they had to have one shape, which broadcasting accepts too).
template <typename OpTy> LogicalResult importVariadic(NodeImporter &n) {
  if (n.numInputs() == 0 || !n.hasInput(0))
    return n.fail("needs at least one input");
  Value result = n.input(0);
  for (size_t i = 1; i < n.numInputs(); ++i) {
    if (failed(requireSameElementType(n, result, n.input(i))))
      return failure();
    result = n.build<OpTy>({result, n.input(i)});
  }
  n.setOutput(0, result);
  return success();
}

LogicalResult importMean(NodeImporter &n) {
  if (failed(importVariadic<AddOp>(n)))
    return failure();
  Value sum = n.results()[0];
  n.setOutput(0, n.build<DivOp>({sum, n.scalarLike(sum, n.numInputs())}));
  return success();
}

LogicalResult importLeakyRelu(NodeImporter &n) {
  // max(x, alpha * x) for alpha <= 1; min(...) otherwise.
  Value x = n.input(0);
  float alpha = n.attrFloat("alpha", 0.01f);
  Value scaled = n.build<MulOp>({x, n.scalarLike(x, alpha)});
  n.setOutput(0, alpha <= 1 ? n.build<MaxOp>({x, scaled})
                            : n.build<MinOp>({x, scaled}));
  return success();
}

LogicalResult importClip(NodeImporter &n) {
  Value x = n.input(0);
  if (n.opset < 11) {
    n.setOutput(0, n.build<ClipOp>(
                       x, {n.attr("min", n.builder.getF64FloatAttr(
                                             n.attrFloat("min", -INFINITY))),
                           n.attr("max", n.builder.getF64FloatAttr(
                                             n.attrFloat("max", INFINITY)))}));
    return success();
  }
  // From opset 11 the bounds are optional scalar inputs: max(x, min) then
  // min(., max), which also covers bounds known only at run time.
  Value result = x;
  if (n.hasInput(1))
    result = n.build<MaxOp>({result, n.input(1)});
  if (n.hasInput(2))
    result = n.build<MinOp>({result, n.input(2)});
  n.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult importMatMul(NodeImporter &n) {
  Value lhs = n.input(0), rhs = n.input(1);
  if (failed(requireSameElementType(n, lhs, rhs)))
    return failure();
  auto lhsShape = n.inputType(0).getShape(),
       rhsShape = n.inputType(1).getShape();
  if (lhsShape.empty() || rhsShape.empty())
    return n.fail("inputs must have rank 1 or more");
  // numpy semantics for 1-d operands: promote, multiply, drop the added dim.
  bool lhsVector = lhsShape.size() == 1, rhsVector = rhsShape.size() == 1;
  if (lhsVector)
    lhs = n.reshape(lhs, {1, lhsShape[0]});
  if (rhsVector)
    rhs = n.reshape(rhs, {rhsShape[0], 1});
  Value product = n.build<MatMulOp>({lhs, rhs});
  if (!product)
    return failure();
  if (lhsVector || rhsVector) {
    auto shape = cast<RankedTensorType>(product.getType()).getShape();
    ShapeVec squeezed(shape.drop_back(2));
    if (!lhsVector)
      squeezed.push_back(shape[shape.size() - 2]);
    if (!rhsVector)
      squeezed.push_back(shape.back());
    product = n.reshape(product, squeezed);
  }
  n.setOutput(0, product);
  return success();
}

LogicalResult importGemm(NodeImporter &n) {
  Value a = n.input(0), b = n.input(1);
  if (n.inputType(0).getRank() != 2 || n.inputType(1).getRank() != 2)
    return n.fail("A and B must be matrices");
  if (n.attrInt("transA", 0))
    a = n.build<TransposeOp>(
        a, n.attr("perm", n.builder.getDenseI64ArrayAttr({1, 0})));
  if (n.attrInt("transB", 0))
    b = n.build<TransposeOp>(
        b, n.attr("perm", n.builder.getDenseI64ArrayAttr({1, 0})));
  Value y = n.build<MatMulOp>({a, b});
  float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  if (alpha != 1.0f)
    y = n.build<MulOp>({y, n.scalarLike(y, alpha)});
  if (n.hasInput(2) && beta != 0.0f) {
    Value c = n.input(2);
    if (beta != 1.0f)
      c = n.build<MulOp>({c, n.scalarLike(c, beta)});
    y = n.build<AddOp>({y, c});
  }
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult importConv(NodeImporter &n) {
  Value x = n.input(0), w = n.input(1);
  auto xType = n.inputType(0), wType = n.inputType(1);
  if (xType.getRank() < 3 || wType.getRank() != xType.getRank())
    return n.fail("X and W must have the same rank, 3 or more");
  auto window = readWindow(n, xType.getShape(), wType.getShape().drop_front(2));
  if (failed(window))
    return failure();
  auto &b = n.builder;
  Value y = n.build<ConvOp>(
      {x, w}, {n.attr("strides", b.getDenseI64ArrayAttr(window->strides)),
               n.attr("dilations", b.getDenseI64ArrayAttr(window->dilations)),
               n.attr("pads", b.getDenseI64ArrayAttr(window->pads)),
               n.attr("group", b.getI64IntegerAttr(n.attrInt("group", 1)))});
  if (!y)
    return failure();
  if (n.hasInput(2)) {
    // Bias [F] broadcast over [N, F, spatial...].
    ShapeVec biasShape = {wType.getDimSize(0)};
    biasShape.append(xType.getRank() - 2, 1);
    if (n.inputType(2).getNumElements() != wType.getDimSize(0))
      return n.fail("B must have one value per output channel");
    y = n.build<AddOp>({y, n.reshape(n.input(2), biasShape)});
  }
  n.setOutput(0, y);
  return success();
}

template <typename PoolOp> LogicalResult importPool(NodeImporter &n) {
  auto xType = n.inputType(0);
  auto kernel = n.attrInts("kernel_shape", {});
  if (kernel.empty() ||
      xType.getRank() != static_cast<int64_t>(kernel.size()) + 2)
    return n.fail("kernel_shape must give one size per spatial dimension");
  auto window = readWindow(n, xType.getShape(), kernel);
  if (failed(window))
    return failure();
  auto &b = n.builder;
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("kernel_shape", b.getDenseI64ArrayAttr(kernel)),
      b.getNamedAttr("strides", b.getDenseI64ArrayAttr(window->strides)),
      b.getNamedAttr("dilations", b.getDenseI64ArrayAttr(window->dilations)),
      b.getNamedAttr("pads", b.getDenseI64ArrayAttr(window->pads)),
      b.getNamedAttr("ceil_mode", b.getBoolAttr(n.attrInt("ceil_mode", 0)))};
  if constexpr (std::is_same_v<PoolOp, AvgPoolOp>)
    attrs.push_back(b.getNamedAttr(
        "count_include_pad", b.getBoolAttr(n.attrInt("count_include_pad", 0))));
  n.setOutput(0, n.build<PoolOp>(n.input(0), attrs));
  return success();
}

/// MaxPool's Indices output: each window's elements gathered through a
/// constant table, the first maximum's position picked by arg_max, and its
/// index over the whole tensor (row-major, or column-major over the spatial
/// dims with storage_order=1) read from a second table. `pooled` is Y.
static Value maxPoolIndices(NodeImporter &n, Value pooled,
                            ArrayRef<int64_t> kernel, const Window &window) {
  auto xType = n.inputType(0);
  auto yType = cast<RankedTensorType>(pooled.getType());
  if (!isa<FloatType>(xType.getElementType())) {
    (void)n.fail("the Indices output needs a floating-point X");
    return nullptr;
  }
  size_t rank = kernel.size();
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  ArrayRef<int64_t> inSizes = xType.getShape().drop_front(2);
  ArrayRef<int64_t> outSizes = yType.getShape().drop_front(2);
  int64_t pixels = product(inSizes), points = product(outSizes),
          taps = product(kernel);
  bool columnMajor = n.attrInt("storage_order", 0) != 0;
  std::vector<double> gatherTable(points * taps), storeTable(points * taps),
      valid(points * taps);
  SmallVector<int64_t> out(rank), tap(rank), at(rank);
  for (int64_t p = 0; p < points; ++p) {
    auto unflatten = [](int64_t flat, ArrayRef<int64_t> sizes,
                        SmallVectorImpl<int64_t> &coords) {
      for (int64_t i = sizes.size() - 1; i >= 0; --i) {
        coords[i] = flat % sizes[i];
        flat /= sizes[i];
      }
    };
    unflatten(p, outSizes, out);
    for (int64_t k = 0; k < taps; ++k) {
      unflatten(k, kernel, tap);
      bool inside = true;
      for (size_t i = 0; i < rank; ++i) {
        at[i] = out[i] * window.strides[i] - window.pads[i] +
                tap[i] * window.dilations[i];
        inside &= at[i] >= 0 && at[i] < inSizes[i];
      }
      int64_t rowMajor = 0, colMajor = 0;
      for (size_t i = 0; i < rank; ++i)
        rowMajor = rowMajor * inSizes[i] + at[i];
      for (int64_t i = rank - 1; i >= 0; --i)
        colMajor = colMajor * inSizes[i] + at[i];
      gatherTable[p * taps + k] = inside ? rowMajor : 0;
      storeTable[p * taps + k] =
          inside ? (columnMajor ? colMajor : rowMajor) : 0;
      valid[p * taps + k] = inside;
    }
  }
  auto i64 = n.builder.getI64Type();
  Value flat = n.reshape(n.input(0), {batch, channels, pixels});
  Value gathered = n.build<GatherOp>(
      {flat,
       n.constantOf(RankedTensorType::get({points * taps}, i64), gatherTable)},
      n.attr("axis", n.builder.getI64IntegerAttr(2)));
  Value windows = n.reshape(gathered, {batch, channels, points, taps});
  Value inside = n.constantOf(
      RankedTensorType::get({points, taps}, n.builder.getI1Type()), valid);
  windows = n.build<SelectOp>(
      {inside, windows,
       n.scalarLike(windows, -std::numeric_limits<double>::infinity())});
  Value first = n.build<ArgMaxOp>(
      windows, {n.attr("axis", n.builder.getI64IntegerAttr(3)),
                n.attr("keepdims", n.builder.getBoolAttr(true)),
                n.attr("select_last_index", n.builder.getBoolAttr(false))});
  Value stores = n.build<AddOp>(
      {n.constantOf(RankedTensorType::get({1, 1, points, taps}, i64),
                    storeTable),
       n.constantOf(RankedTensorType::get({batch, channels, 1, 1}, i64),
                    std::vector<double>(batch * channels, 0.0))});
  Value index = n.build<GatherElementsOp>(
      {stores, first}, n.attr("axis", n.builder.getI64IntegerAttr(3)));
  // Plus the offset of the (batch, channel) plane.
  std::vector<double> planes(batch * channels);
  for (int64_t plane = 0; plane < batch * channels; ++plane)
    planes[plane] = double(plane * pixels);
  index = n.build<AddOp>(
      {index, n.constantOf(RankedTensorType::get({batch, channels, 1, 1}, i64),
                           planes)});
  return n.reshape(index, yType.getShape());
}

LogicalResult importMaxPool(NodeImporter &n) {
  if (failed(importPool<MaxPoolOp>(n)))
    return failure();
  if (!n.wantsOutput(1))
    return success();
  Value pooled = n.results()[0];
  if (!pooled)
    return failure();
  auto kernel = n.attrInts("kernel_shape", {});
  auto window = readWindow(n, n.inputType(0).getShape(), kernel);
  if (failed(window))
    return failure();
  n.setOutput(1, maxPoolIndices(n, pooled, kernel, *window));
  return success();
}

/// MaxUnpool: X scattered to the flat positions its indices give in the
/// unpooled shape, zeros elsewhere; a larger output_shape pads with zeros
/// at the end of each dim, as the ONNX reference does.
LogicalResult importMaxUnpool(NodeImporter &n) {
  auto xType = n.inputType(0);
  auto kernel = n.attrInts("kernel_shape", {});
  size_t rank = kernel.size();
  if (kernel.empty() || xType.getRank() != static_cast<int64_t>(rank) + 2)
    return n.fail("kernel_shape must give one size per spatial dimension");
  if (n.inputType(1).getShape() != xType.getShape() ||
      !n.inputType(1).getElementType().isInteger(64))
    return n.fail("I must be int64 indices of X's shape");
  auto strides = n.attrInts("strides", std::vector<int64_t>(rank, 1));
  auto pads = n.attrInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (strides.size() != rank || pads.size() != 2 * rank)
    return n.fail("strides or pads do not match the kernel rank");
  // Bounded as the window ops' verifiers bound them: the sizes below stay
  // far from overflow.
  constexpr int64_t kLimit = int64_t(1) << 30;
  auto within = [](ArrayRef<int64_t> values, int64_t low) {
    return llvm::all_of(values,
                        [&](int64_t v) { return v >= low && v <= kLimit; });
  };
  if (!within(kernel, 1) || !within(strides, 1) || !within(pads, 0))
    return n.fail("kernel_shape and strides must be from 1 to 2^30, pads "
                  "from 0 to 2^30");
  ShapeVec unpooled(xType.getShape().take_front(2));
  for (size_t i = 0; i < rank; ++i)
    unpooled.push_back((xType.getDimSize(i + 2) - 1) * strides[i] -
                       (pads[i] + pads[rank + i]) + kernel[i]);
  if (llvm::any_of(unpooled, [](int64_t d) { return d < 1; }))
    return n.fail("the unpooled shape is empty");
  if (!checkedNumElements(unpooled))
    return n.fail("the unpooled shape " + shapeText(unpooled) +
                  " holds more than 2^48 elements");
  int64_t total = product(unpooled), count = xType.getNumElements();
  auto flatType = RankedTensorType::get({total}, xType.getElementType());
  Value zeros = n.constant(DenseElementsAttr::get(
      flatType, n.builder.getZeroAttr(xType.getElementType())));
  Value y = n.build<ScatterElementsOp>(
      {zeros, n.reshape(n.input(1), {count}), n.reshape(n.input(0), {count})},
      {n.attr("axis", n.builder.getI64IntegerAttr(0)),
       n.attr("reduction", n.builder.getStringAttr("none"))});
  y = n.reshape(y, unpooled);
  if (n.hasInput(2)) {
    auto shape = n.constantInts(2);
    if (!shape) { // given at run time: the shape the model declares
      shape = n.declaredOutputShape(0);
      if (!shape || n.inputType(2).getNumElements() != int64_t(shape->size()) ||
          !n.checkAtRunTime(2, "equal", *shape))
        return n.failNotConstant(2, "MaxUnpool's output_shape");
    }
    if (shape->size() != unpooled.size())
      return n.fail("output_shape must have X's rank");
    for (size_t d = 0; d < unpooled.size(); ++d) {
      int64_t extra = (*shape)[d] - unpooled[d];
      if (extra < 0)
        return n.fail("output_shape is smaller than the unpooled shape");
      if (extra == 0)
        continue;
      if (!y) // the scatter failed and said why
        return failure();
      ShapeVec padShape(cast<RankedTensorType>(y.getType()).getShape());
      padShape[d] = extra;
      Value padding = n.constant(DenseElementsAttr::get(
          RankedTensorType::get(padShape, xType.getElementType()),
          n.builder.getZeroAttr(xType.getElementType())));
      y = n.build<ConcatOp>({y, padding},
                            n.attr("axis", n.builder.getI64IntegerAttr(d)));
    }
  }
  n.setOutput(0, y);
  return success();
}

/// |x|^p, and its p-th root; p = 1 and 2 without pow.
static Value powerOfAbs(NodeImporter &n, Value x, int64_t p) {
  Value magnitude = n.build<AbsOp>(x);
  if (p == 1)
    return magnitude;
  if (p == 2)
    return n.build<MulOp>({x, x});
  return n.build<PowOp>({magnitude, n.scalarLike(x, double(p))});
}
static Value rootOf(NodeImporter &n, Value x, int64_t p) {
  if (p == 1)
    return x;
  if (p == 2)
    return n.build<SqrtOp>(x);
  return n.build<PowOp>({x, n.scalarLike(x, 1.0 / double(p))});
}

/// LpPool: (sum of |x|^p over the window)^(1/p), the sum being an average
/// pool that counts the zero padding, times the window's size.
LogicalResult importLpPool(NodeImporter &n) {
  auto kernel = n.attrInts("kernel_shape", {});
  int64_t p = n.attrInt("p", 2);
  if (p < 1)
    return n.fail("p must be 1 or more");
  if (n.attrInt("ceil_mode", 0))
    return n.fail("ceil_mode=1 is not supported");
  auto xType = n.inputType(0);
  if (kernel.empty() ||
      xType.getRank() != static_cast<int64_t>(kernel.size()) + 2)
    return n.fail("kernel_shape must give one size per spatial dimension");
  auto window = readWindow(n, xType.getShape(), kernel);
  if (failed(window))
    return failure();
  auto &b = n.builder;
  Value x = n.input(0);
  Value mean = n.build<AvgPoolOp>(
      powerOfAbs(n, x, p),
      {b.getNamedAttr("kernel_shape", b.getDenseI64ArrayAttr(kernel)),
       b.getNamedAttr("strides", b.getDenseI64ArrayAttr(window->strides)),
       b.getNamedAttr("dilations", b.getDenseI64ArrayAttr(window->dilations)),
       b.getNamedAttr("pads", b.getDenseI64ArrayAttr(window->pads)),
       b.getNamedAttr("ceil_mode", b.getBoolAttr(false)),
       b.getNamedAttr("count_include_pad", b.getBoolAttr(true))});
  Value sum = n.build<MulOp>({mean, n.scalarLike(x, double(product(kernel)))});
  n.setOutput(0, rootOf(n, sum, p));
  return success();
}

/// LpNormalization: x / (sum of |x|^p along the axis)^(1/p), p = 1 or 2;
/// 0 where the norm is 0.
LogicalResult importLpNormalization(NodeImporter &n) {
  Value x = n.input(0);
  int64_t p = n.attrInt("p", 2);
  if (p != 1 && p != 2)
    return n.fail("p must be 1 or 2");
  auto axis =
      normalizedAxis(n, n.attrInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  Value sum = n.build<ReduceSumOp>(
      powerOfAbs(n, x, p),
      {n.attr("axes", n.builder.getDenseI64ArrayAttr({*axis})),
       n.attr("keepdims", n.builder.getBoolAttr(true))});
  // A zero norm gives 0, as ONNX's reference (not 0/0).
  Value norm = rootOf(n, sum, p);
  Value zero = n.scalarLike(x, 0);
  n.setOutput(0, n.build<SelectOp>({n.build<EqualOp>({norm, zero}), zero,
                                    n.build<DivOp>({x, norm})}));
  return success();
}

template <typename ReduceOp> LogicalResult importGlobalPool(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.fail("input must have rank 3 or more");
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  n.setOutput(
      0, n.build<ReduceOp>(
             n.input(0), {n.attr("axes", n.builder.getDenseI64ArrayAttr(axes)),
                          n.attr("keepdims", n.builder.getBoolAttr(true))}));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization, reductions, softmax
//===----------------------------------------------------------------------===//

/// Opset 14's training mode: X normalized by its own per-channel mean and
/// (biased) variance; outputs 1 and 2 are the running statistics updated with
/// `momentum`, as the ONNX reference computes them.
LogicalResult importBatchNormTraining(NodeImporter &n) {
  Value x = n.input(0);
  auto xType = n.inputType(0);
  int64_t rank = xType.getRank();
  if (rank < 2)
    return n.fail("X must have rank 2 or more");
  if (!isa<FloatType>(xType.getElementType()))
    return n.fail("X must be a floating-point tensor");
  int64_t channels = xType.getDimSize(1);
  for (size_t i = 1; i <= 4; ++i)
    if (n.inputType(i).getShape() != ArrayRef<int64_t>{channels} ||
        n.inputType(i).getElementType() != xType.getElementType())
      return n.fail("scale, bias, mean and var must be [C] tensors of X's "
                    "element type in training mode");
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  float momentum = n.attrFloat("momentum", 0.9f);
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  auto reduceAttrs = {n.attr("axes", n.builder.getDenseI64ArrayAttr(axes)),
                      n.attr("keepdims", n.builder.getBoolAttr(true))};
  Value mean = n.build<ReduceMeanOp>(x, reduceAttrs);
  Value centered = n.build<SubOp>({x, mean});
  Value var =
      n.build<ReduceMeanOp>(n.build<MulOp>({centered, centered}), reduceAttrs);
  ShapeVec paramShape = {channels};
  paramShape.append(rank - 2, 1);
  Value scale = n.reshape(n.input(1), paramShape);
  Value bias = n.reshape(n.input(2), paramShape);
  Value normalized = n.build<DivOp>(
      {centered,
       n.build<SqrtOp>(n.build<AddOp>({var, n.scalarLike(var, epsilon)}))});
  n.setOutput(0, n.build<AddOp>({n.build<MulOp>({normalized, scale}), bias}));
  // running = input * momentum + batch statistic * (1 - momentum)
  auto running = [&](size_t input, Value batch) {
    return n.build<AddOp>(
        {n.build<MulOp>({n.input(input), n.scalarLike(batch, momentum)}),
         n.build<MulOp>({n.reshape(batch, {channels}),
                         n.scalarLike(batch, 1.0 - double(momentum))})});
  };
  if (n.wantsOutput(1))
    n.setOutput(1, running(3, mean));
  if (n.wantsOutput(2))
    n.setOutput(2, running(4, var));
  return success();
}

LogicalResult importBatchNorm(NodeImporter &n) {
  if (n.opset >= 14 && n.attrInt("training_mode", 0) != 0)
    return importBatchNormTraining(n);
  if (n.attrInt("training_mode", 0) != 0 ||
      (n.opset < 7 && n.attrInt("is_test", 0) == 0))
    return n.fail("training mode is not supported (inference only)");
  if (n.attrInt("spatial", 1) != 1)
    return n.fail("spatial=0 is not supported");
  for (size_t i = 1; i < n.numOutputs(); ++i)
    if (n.wantsOutput(i))
      return n.fail("the running statistics outputs are training-only");
  Value x = n.input(0);
  auto xType = n.inputType(0);
  if (xType.getRank() < 2)
    return n.fail("X must have rank 2 or more");
  float epsilon = n.attrFloat("epsilon", 1e-5f);
  int64_t channels = xType.getDimSize(1);
  ShapeVec paramShape = {channels};
  paramShape.append(xType.getRank() - 2, 1);
  for (size_t i = 1; i <= 4; ++i)
    if (n.inputType(i).getNumElements() != channels)
      return n.fail(
          "scale, bias, mean and var must have one value per channel");
  // y = x * s + t with s = scale / sqrt(var + eps), t = bias - mean * s.
  auto asFloats = [&](size_t i) -> std::optional<std::vector<float>> {
    auto dense = dyn_cast_or_null<DenseFPElementsAttr>(n.constantInput(i));
    if (!dense || !dense.getElementType().isF32())
      return std::nullopt;
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  };
  auto scale = asFloats(1), bias = asFloats(2), mean = asFloats(3),
       var = asFloats(4);
  Value s, t;
  if (scale && bias && mean && var) {
    std::vector<float> sv(channels), tv(channels);
    for (int64_t c = 0; c < channels; ++c) {
      sv[c] = (*scale)[c] / std::sqrt((*var)[c] + epsilon);
      tv[c] = (*bias)[c] - (*mean)[c] * sv[c];
    }
    auto type = RankedTensorType::get(paramShape, xType.getElementType());
    s = n.constant(DenseElementsAttr::get(type, llvm::ArrayRef(sv)));
    t = n.constant(DenseElementsAttr::get(type, llvm::ArrayRef(tv)));
  } else {
    auto param = [&](size_t i) { return n.reshape(n.input(i), paramShape); };
    Value stddev =
        n.build<SqrtOp>(n.build<AddOp>({param(4), n.scalarLike(x, epsilon)}));
    s = n.build<DivOp>({param(1), stddev});
    t = n.build<SubOp>({param(2), n.build<MulOp>({param(3), s})});
  }
  n.setOutput(0, n.build<AddOp>({n.build<MulOp>({x, s}), t}));
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

LogicalResult importFlatten(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size(), axis = n.attrInt("axis", 1);
  if (axis < -rank || axis > rank)
    return n.fail("axis " + std::to_string(axis) + " is out of range");
  if (axis < 0)
    axis += rank;
  n.setOutput(0, n.reshape(n.input(0), {product(shape.take_front(axis)),
                                        product(shape.drop_front(axis))}));
  return success();
}

LogicalResult importReshape(NodeImporter &n) {
  auto inputShape = n.inputType(0).getShape();
  bool allowZero = n.attrInt("allowzero", 0);
  auto requested = n.constantInts(1);
  if (!requested) {
    // Given at run time: compiled for the shape the model declares, which
    // the library checks the values give.
    auto declared = n.declaredOutputShape(0);
    if (!declared || product(*declared) != product(inputShape) ||
        n.inputType(1).getNumElements() != int64_t(declared->size()) ||
        !n.checkAtRunTime(1, "reshape", *declared, inputShape, allowZero))
      return n.failNotConstant(1, "the target shape");
    n.setOutput(0, n.reshape(n.input(0), *declared));
    return success();
  }
  ShapeVec shape;
  int64_t inferred = -1;
  for (auto [i, dim] : llvm::enumerate(*requested)) {
    if (dim == 0 && !allowZero) {
      if (i >= inputShape.size())
        return n.fail("0 in the shape copies a dimension the input lacks");
      dim = inputShape[i];
    }
    if (dim == -1) {
      if (inferred >= 0)
        return n.fail("the shape has more than one -1");
      inferred = i;
      shape.push_back(1);
      continue;
    }
    if (dim < 0)
      return n.fail("the shape has a negative dimension");
    shape.push_back(dim);
  }
  // Checked, not multiplied: a dim of INT64_MAX beside -1 overflowed.
  std::optional<int64_t> known = checkedNumElements(shape);
  if (!known)
    return n.fail("the shape " + shapeText(*requested) +
                  " holds more than 2^48 elements");
  int64_t total = product(inputShape);
  if (inferred >= 0) {
    if (*known == 0 || total % *known != 0)
      return n.fail("cannot infer the -1 dimension");
    shape[inferred] = total / *known;
  }
  if (product(shape) != total)
    return n.fail("cannot reshape " + std::to_string(total) +
                  " elements to the requested shape");
  n.setOutput(0, n.reshape(n.input(0), shape));
  return success();
}

LogicalResult importTranspose(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  std::vector<int64_t> reversed(rank);
  for (int64_t d = 0; d < rank; ++d)
    reversed[d] = rank - 1 - d;
  auto perm = n.attrInts("perm", reversed);
  Value y = n.build<TransposeOp>(
      n.input(0), n.attr("perm", n.builder.getDenseI64ArrayAttr(perm)));
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      inputs.push_back(n.input(i));
  n.setOutput(
      0, n.build<ConcatOp>(inputs, n.attr("axis", n.builder.getI64IntegerAttr(
                                                      n.attrInt("axis", 0)))));
  return success();
}

LogicalResult importGather(NodeImporter &n) {
  // Constant indices out of range are an invalid model (onnxruntime refuses
  // them too); at run time dlc clamps.
  auto dataShape = n.inputType(0).getShape();
  int64_t axis = n.attrInt("axis", 0);
  int64_t rank = static_cast<int64_t>(dataShape.size());
  if (axis < -rank || axis >= rank)
    return n.fail("axis " + std::to_string(axis) + " is out of range for " +
                  "rank " + std::to_string(rank));
  int64_t size = dataShape[axis < 0 ? axis + rank : axis];
  if (auto indices = n.constantInts(1); indices && size >= 0)
    for (int64_t index : *indices)
      if (index < -size || index >= size)
        return n.fail("index " + std::to_string(index) +
                      " is out of range for axis " + std::to_string(axis) +
                      " of size " + std::to_string(size));
  n.setOutput(0, n.build<GatherOp>({n.input(0), n.input(1)},
                                   n.attr("axis", n.builder.getI64IntegerAttr(
                                                      n.attrInt("axis", 0)))));
  return success();
}

/// Slice: starts/ends/axes/steps as attributes (opset 1) or constant inputs
/// (opset 10), normalized to one in-range start, end and positive step per
/// dimension.
/// Slice with starts, ends, axes or steps given at run time: the output has
/// the shape the model declares, which the library checks the values give.
/// Each sliced dim gathers at start + i * step, both read at run time (with
/// run-time axes, every dim picks its entry, or start 0 and step 1).
LogicalResult importRuntimeSlice(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  auto declared = n.declaredOutputShape(0);
  int64_t m = n.inputType(1).getNumElements();
  bool sameLengths = n.hasInput(2);
  for (size_t i = 1; i <= 4 && sameLengths; ++i)
    sameLengths = !n.hasInput(i) || n.inputType(i).getNumElements() == m;
  // Names the first input given at run time, as a compile-time Slice does
  // (the one to bind next).
  auto fail = [&] {
    size_t i = 1;
    while (i < 4 && (!n.hasInput(i) || n.constantInts(i)))
      ++i;
    return n.failNotConstant(i, "starts, ends, axes and steps");
  };
  constexpr int64_t kMaxAxis = int64_t(1) << 24; // index tables
  if (!declared || int64_t(declared->size()) != rank || m > rank ||
      !sameLengths ||
      llvm::any_of(*declared, [&](int64_t size) { return size > kMaxAxis; }))
    return fail();
  std::vector<int64_t> defaultAxes, ones(m, 1);
  for (int64_t k = 0; k < m; ++k)
    defaultAxes.push_back(k);
  using Part = NodeImporter::CheckPart;
  std::vector<Part> parts = {{1, {}},
                             {2, {}},
                             n.hasInput(3) ? Part{3, {}}
                                           : Part{-1, defaultAxes},
                             n.hasInput(4) ? Part{4, {}} : Part{-1, ones}};
  if (!n.checkAtRunTime(1, "slice", *declared, shape, 0, parts))
    return fail();
  Value y = n.input(0);
  if (product(*declared) == 0) { // nothing to read: the shape alone
    for (int64_t d = 0; d < rank; ++d)
      if ((*declared)[d] != shape[d])
        y = n.sliceAxis(y, d, 0, (*declared)[d]);
    n.setOutput(0, y);
    return success();
  }
  auto i64 = n.builder.getI64Type();
  auto scalar = [&](int64_t v) {
    return n.constantOf(RankedTensorType::get({}, i64), {double(v)});
  };
  auto vector = [&](size_t i, const std::vector<int64_t> &fallback) {
    if (!n.hasInput(i))
      return n.constantOf(
          RankedTensorType::get({m}, i64),
          std::vector<double>(fallback.begin(), fallback.end()));
    return n.reshape(n.cast(n.input(i), i64), {m});
  };
  auto sum = [&](Value v) {
    return n.build<ReduceSumOp>(
        v, {n.attr("axes", n.builder.getDenseI64ArrayAttr({0})),
            n.attr("keepdims", n.builder.getBoolAttr(false))});
  };
  Value starts = vector(1, {}), steps = vector(4, ones);
  auto constantAxes =
      n.hasInput(3) ? n.constantInts(3) : std::optional(defaultAxes);
  Value axes;
  if (!constantAxes) {
    axes = vector(3, {});
    axes = n.build<SelectOp>({n.build<LessOp>({axes, scalar(0)}),
                              n.build<AddOp>({axes, scalar(rank)}), axes});
  }
  for (int64_t d = 0; d < rank && y; ++d) {
    Value start, step;
    if (constantAxes) {
      int64_t entry = -1;
      for (int64_t k = 0; k < m; ++k)
        if ((*constantAxes)[k] == d || (*constantAxes)[k] + rank == d)
          entry = k;
      if (entry < 0)
        continue; // not sliced
      start = n.reshape(n.sliceAxis(starts, 0, entry, 1), {});
      step = n.reshape(n.sliceAxis(steps, 0, entry, 1), {});
    } else {
      Value picks = n.cast(n.build<EqualOp>({axes, scalar(d)}), i64);
      start = sum(n.build<MulOp>({picks, starts}));
      step = n.build<AddOp>({sum(n.build<MulOp>({picks, steps})),
                             n.build<SubOp>({scalar(1), sum(picks)})});
    }
    int64_t size = shape[d], outSize = (*declared)[d];
    // A negative start counts from the end; a non-empty result starts
    // inside the dim.
    start = n.build<SelectOp>({n.build<LessOp>({start, scalar(0)}),
                               n.build<AddOp>({start, scalar(size)}), start});
    start =
        n.build<MaxOp>({n.build<MinOp>({start, scalar(size - 1)}), scalar(0)});
    std::vector<double> positions(outSize);
    for (int64_t o = 0; o < outSize; ++o)
      positions[o] = double(o);
    Value index = n.build<AddOp>(
        {start,
         n.build<MulOp>(
             {n.constantOf(RankedTensorType::get({outSize}, i64), positions),
              step})});
    y = n.build<GatherOp>({y, index},
                          n.attr("axis", n.builder.getI64IntegerAttr(d)));
  }
  n.setOutput(0, y);
  return success();
}

LogicalResult importSlice(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.opset >= 10 && n.hasInput(1) && n.hasInput(2)) {
    bool runtime = false;
    for (size_t i = 1; i <= 4; ++i)
      runtime |= n.hasInput(i) && !n.constantInts(i);
    if (runtime)
      return importRuntimeSlice(n);
  }
  if (n.opset >= 10) {
    auto input = [&](size_t i, std::vector<int64_t> &values) -> LogicalResult {
      if (!n.hasInput(i))
        return success();
      auto constant = n.requireInts(i, "starts, ends, axes and steps");
      if (!constant)
        return failure();
      values = *constant;
      return success();
    };
    if (failed(input(1, starts)) || failed(input(2, ends)) ||
        failed(input(3, axes)) || failed(input(4, steps)))
      return failure();
  } else {
    starts = n.attrInts("starts", {});
    ends = n.attrInts("ends", {});
    axes = n.attrInts("axes", {});
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return n.fail("starts, ends, axes and steps differ in length");
  std::vector<int64_t> allStarts(rank, 0), allEnds(shape.begin(), shape.end()),
      allSteps(rank, 1);
  std::vector<bool> seen(rank, false);
  // Axes walked backwards: their indices, read with a gather after the slice.
  std::vector<std::pair<int64_t, std::vector<int64_t>>> reversed;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || seen[axis])
      return n.fail("axis " + std::to_string(axes[i]) +
                    " is out of range or repeated");
    seen[axis] = true;
    if (steps[i] == 0)
      return n.fail("steps must not be zero");
    int64_t size = shape[axis];
    if (steps[i] < 0) {
      // start clamps to [0, size - 1] and end to [-1, size - 1].
      auto clampBackward = [&](int64_t value) {
        if (value < 0)
          value += size;
        return std::clamp<int64_t>(value, -1, size - 1);
      };
      std::vector<int64_t> picked;
      for (int64_t at = clampBackward(starts[i]), end = clampBackward(ends[i]);
           at > end; at += steps[i])
        picked.push_back(at);
      if (picked.empty())
        return n.fail("a slice with no elements is not supported");
      reversed.emplace_back(axis, std::move(picked));
      continue;
    }
    auto clampIndex = [&](int64_t value) {
      if (value < 0)
        value += size;
      return std::clamp<int64_t>(value, 0, size);
    };
    allStarts[axis] = clampIndex(starts[i]);
    allEnds[axis] = clampIndex(ends[i]);
    allSteps[axis] = steps[i];
  }
  auto array = [&](const std::vector<int64_t> &values) {
    return n.builder.getDenseI64ArrayAttr(values);
  };
  Value y = n.build<SliceOp>(n.input(0), {n.attr("starts", array(allStarts)),
                                          n.attr("ends", array(allEnds)),
                                          n.attr("steps", array(allSteps))});
  for (auto &[axis, picked] : reversed) {
    std::vector<double> indices(picked.begin(), picked.end());
    Value table = n.constantOf(
        RankedTensorType::get({static_cast<int64_t>(picked.size())},
                              n.builder.getI64Type()),
        indices);
    y = n.build<GatherOp>({y, table},
                          n.attr("axis", n.builder.getI64IntegerAttr(axis)));
  }
  n.setOutput(0, y);
  return success();
}

LogicalResult importSqueezeOrUnsqueeze(NodeImporter &n, bool squeeze) {
  auto shape = n.inputType(0).getShape();
  std::vector<int64_t> axes;
  if (n.opset >= 13) {
    if (n.hasInput(1)) {
      auto constant = n.constantInts(1);
      if (!constant) {
        // Given at run time: the declared shape, which the library checks
        // the axes give; the data only changes shape.
        auto declared = n.declaredOutputShape(0);
        if (!declared ||
            product(*declared) != n.inputType(0).getNumElements() ||
            !n.checkAtRunTime(1, squeeze ? "squeeze" : "unsqueeze", *declared,
                              shape))
          return n.failNotConstant(1, "axes");
        n.setOutput(0, n.reshape(n.input(0), *declared));
        return success();
      }
      axes = *constant;
    }
  } else {
    axes = n.attrInts("axes", {});
  }
  int64_t outRank = shape.size() + (squeeze ? 0 : axes.size());
  SmallVector<bool> marked(squeeze ? shape.size() : outRank, false);
  for (int64_t axis : axes) {
    int64_t rank = marked.size();
    if (axis < -rank || axis >= rank)
      return n.fail("axis " + std::to_string(axis) + " is out of range");
    marked[axis < 0 ? axis + rank : axis] = true;
  }
  ShapeVec result;
  if (squeeze) {
    for (auto [d, dim] : llvm::enumerate(shape)) {
      bool drop = axes.empty() ? dim == 1 : marked[d];
      if (drop && dim != 1)
        return n.fail("cannot squeeze dimension " + std::to_string(d) +
                      " of size " + std::to_string(dim));
      if (!drop)
        result.push_back(dim);
    }
  } else {
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      result.push_back(marked[d] ? 1 : shape[next++]);
  }
  n.setOutput(0, n.reshape(n.input(0), result));
  return success();
}

LogicalResult importSqueeze(NodeImporter &n) {
  return importSqueezeOrUnsqueeze(n, true);
}
LogicalResult importUnsqueeze(NodeImporter &n) {
  return importSqueezeOrUnsqueeze(n, false);
}

LogicalResult importIdentity(NodeImporter &n) {
  n.setOutput(0, n.input(0));
  return success();
}

LogicalResult importDropout(NodeImporter &n) {
  // Inference: the identity; the mask, when asked for, is all true. Training
  // mode drops at random, which only ratio 0 makes deterministic.
  if (n.opset >= 12 && n.hasInput(2)) {
    std::optional<double> ratio = n.hasInput(1) ? constantScalar(n, 1) : 0.5;
    auto training = n.constantInts(2);
    // A ratio or mode given at run time: the library checks that the run
    // is deterministic (a ratio of exactly 0, or no training; flags: the
    // values supported, floats compared exactly).
    auto ratioZeroAtRunTime = [&] {
      return n.inputType(1).getNumElements() == 1 &&
             n.checkAtRunTime(1, "equal", {0}, {}, 1 | 2);
    };
    if (!training) {
      if (ratio == 0.0)
        ; // deterministic either way
      else if (!ratio && !ratioZeroAtRunTime())
        return n.failNotConstant(1, "Dropout's ratio in training mode");
      else if (ratio && !(n.inputType(2).getNumElements() == 1 &&
                          n.checkAtRunTime(2, "equal", {0}, {}, 1)))
        return n.failNotConstant(2, "training_mode");
      training = std::vector<int64_t>{0};
      ratio = 0.0;
    }
    bool isTraining = !training->empty() && (*training)[0];
    if (isTraining && !ratio && !ratioZeroAtRunTime())
      return n.failNotConstant(1, "Dropout's ratio in training mode");
    if (isTraining && !ratio)
      ratio = 0.0;
    if (isTraining && ratio != 0.0)
      return n.fail("training_mode=true with a ratio other than 0 drops at "
                    "random and is not supported (inference only)");
  }
  n.setOutput(0, n.input(0));
  if (n.wantsOutput(1)) {
    auto type =
        RankedTensorType::get(n.inputType(0).getShape(), n.builder.getI1Type());
    n.setOutput(1, n.constant(DenseElementsAttr::get(type, true)));
  }
  return success();
}

LogicalResult importConstant(NodeImporter &n) {
  auto &b = n.builder;
  ElementsAttr value;
  if (const onnx::AttributeProto *attr = n.findAttr("value")) {
    if (attr->t().data_location() == onnx::TensorProto::EXTERNAL)
      return n.fail("a Constant with external data is not supported");
    std::string error;
    value =
        convertTensor(attr->t(), attr->t().raw_data(), *b.getContext(), error);
    if (!value)
      return n.fail(error);
  } else if (const onnx::AttributeProto *attr = n.findAttr("value_float")) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   attr->f());
  } else if (const onnx::AttributeProto *attr = n.findAttr("value_floats")) {
    std::vector<float> v(attr->floats().begin(), attr->floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getF32Type()),
        llvm::ArrayRef(v));
  } else if (const onnx::AttributeProto *attr = n.findAttr("value_int")) {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   attr->i());
  } else if (const onnx::AttributeProto *attr = n.findAttr("value_ints")) {
    std::vector<int64_t> v(attr->ints().begin(), attr->ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getI64Type()),
        llvm::ArrayRef(v));
  } else {
    return n.fail("only tensor, float and int values are supported");
  }
  n.setOutput(0, n.constant(value));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> coreOpImporters() {
  static const OpImporterEntry table[] = {
      {"Abs", 6, 1, importUnary<AbsOp>},
      {"Add", 6, 2, importBinary<AddOp>},
      {"AveragePool", 1, 1, importPool<AvgPoolOp>},
      {"BatchNormalization", 6, 5, importBatchNorm},
      {"Clip", 6, 1, importClip},
      {"Concat", 4, 1, importConcat},
      {"Constant", 1, 0, importConstant},
      {"Conv", 1, 2, importConv},
      {"Div", 6, 2, importBinary<DivOp>},
      {"Dropout", 7, 1, importDropout},
      {"Erf", 9, 1, importUnary<ErfOp>},
      {"Exp", 6, 1, importUnary<ExpOp>},
      {"Flatten", 1, 1, importFlatten},
      {"Gather", 1, 2, importGather},
      {"Gemm", 6, 2, importGemm},
      {"GlobalAveragePool", 1, 1, importGlobalPool<ReduceMeanOp>},
      {"GlobalMaxPool", 1, 1, importGlobalPool<ReduceMaxOp>},
      {"Identity", 1, 1, importIdentity},
      {"LeakyRelu", 6, 1, importLeakyRelu},
      {"Log", 6, 1, importUnary<LogOp>},
      {"MatMul", 1, 2, importMatMul},
      {"Max", 6, 1, importVariadic<MaxOp>},
      {"LpNormalization", 1, 1, importLpNormalization},
      {"LpPool", 11, 1, importLpPool},
      {"MaxPool", 1, 1, importMaxPool},
      {"MaxUnpool", 9, 2, importMaxUnpool},
      {"Mean", 6, 1, importMean},
      {"Min", 6, 1, importVariadic<MinOp>},
      {"Mul", 6, 2, importBinary<MulOp>},
      {"Neg", 6, 1, importUnary<NegOp>},
      {"Reciprocal", 6, 1, importUnary<ReciprocalOp>},
      {"Relu", 6, 1, importUnary<ReluOp>},
      {"Reshape", 5, 2, importReshape},
      {"Sigmoid", 6, 1, importUnary<SigmoidOp>},
      {"Slice", 1, 1, importSlice},
      {"Sqrt", 6, 1, importUnary<SqrtOp>},
      {"Squeeze", 1, 1, importSqueeze},
      {"Sub", 6, 2, importBinary<SubOp>},
      {"Sum", 6, 1, importVariadic<AddOp>},
      {"Tanh", 6, 1, importUnary<TanhOp>},
      {"Transpose", 1, 1, importTranspose},
      {"Unsqueeze", 1, 1, importUnsqueeze},
  };
  return table;
}

llvm::ArrayRef<OpImporterEntry> opImporters() {
  static const std::vector<OpImporterEntry> all = [] {
    std::vector<OpImporterEntry> entries;
    for (auto part :
         {coreOpImporters(), elementwiseOpImporters(), reductionOpImporters(),
          shapeOpImporters(), spatialOpImporters(), recurrentOpImporters(),
          quantizationOpImporters(), attentionOpImporters(),
          samplingOpImporters(), signalOpImporters(), trainingOpImporters(),
          controlFlowOpImporters()})
      entries.insert(entries.end(), part.begin(), part.end());
    llvm::sort(entries, [](const OpImporterEntry &a, const OpImporterEntry &b) {
      return StringRef(a.opType) < StringRef(b.opType);
    });
    return entries;
  }();
  return all;
}

} // namespace dlc
