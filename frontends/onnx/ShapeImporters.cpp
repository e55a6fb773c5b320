//===- ShapeImporters.cpp - Shape-computing and data-movement ops ---------===//
//
// Ops whose output shape comes from a value (Shape, ConstantOfShape, Range,
// Expand, Tile, Split, OneHot...) need that value at compile time: from an
// initializer, a Constant, a shape computation the importer folds, or a
// graph input bound with --bind-input. Rearrangements (DepthToSpace, Trilu,
// ...) are written with reshape, transpose, slice, concat and select.
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "frontends/onnx/NodeImporter.h"

#include "mlir/Dialect/Traits.h"

#include <cmath>

using namespace mlir;

namespace dlc {
namespace {

Value i64Constant(NodeImporter &n, ArrayRef<int64_t> shape,
                  ArrayRef<int64_t> values) {
  std::vector<double> data(values.begin(), values.end());
  return n.constantOf(RankedTensorType::get(shape, n.builder.getI64Type()),
                      data);
}

/// A scalar input known at compile time, or failure after saying so.
FailureOr<double> requireScalar(NodeImporter &n, size_t i, const char *what) {
  if (auto value = constantScalar(n, i))
    return *value;
  return n.failNotConstant(i, what);
}

/// A scalar input that sets dim `dim` of output 0 (a window's size,
/// OneHot's depth): known at compile time, or a graph input given at run
/// time that the library checks against the size the model declares.
FailureOr<double> sizeScalar(NodeImporter &n, size_t i, const char *what,
                             int64_t dim) {
  if (auto value = constantScalar(n, i))
    return *value;
  auto declared = n.declaredOutputShape(0);
  if (declared && dim < static_cast<int64_t>(declared->size()) &&
      n.inputType(i).getNumElements() == 1 &&
      n.checkAtRunTime(i, "equal", {(*declared)[dim]}))
    return double((*declared)[dim]);
  return n.failNotConstant(i, what);
}

LogicalResult importShape(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  auto clampIndex = [&](int64_t index) {
    return std::clamp<int64_t>(index < 0 ? index + rank : index, 0, rank);
  };
  int64_t start = clampIndex(n.attrInt("start", 0));
  int64_t end = clampIndex(n.attrInt("end", rank));
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(shape[d]);
  n.setOutput(0, i64Constant(n, {static_cast<int64_t>(dims.size())}, dims));
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  n.setOutput(0, i64Constant(n, {}, {n.inputType(0).getNumElements()}));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  auto shape = n.constantInts(0);
  if (!shape) { // given at run time: the shape the model declares, checked
    shape = n.declaredOutputShape(0);
    if (!shape || !n.hasInput(0) ||
        n.inputType(0).getNumElements() != int64_t(shape->size()) ||
        !n.checkAtRunTime(0, "equal", *shape))
      return n.failNotConstant(0, "the shape");
  }
  if (!checkedNumElements(*shape))
    return n.fail("the shape " + shapeText(*shape) +
                  " has a negative dimension or more than 2^48 elements");
  // A splat: nothing is materialised however large the shape.
  auto &b = n.builder;
  Attribute value = b.getF32FloatAttr(0);
  if (const onnx::AttributeProto *attr = n.findAttr("value")) {
    std::string error;
    ElementsAttr tensor =
        convertTensor(attr->t(), attr->t().raw_data(), *b.getContext(), error);
    if (!tensor)
      return n.fail(error);
    auto dense = dyn_cast<DenseElementsAttr>(tensor);
    if (!dense || dense.getNumElements() != 1)
      return n.fail("value must hold one element");
    value = *dense.getValues<Attribute>().begin();
  }
  auto elementType = cast<TypedAttr>(value).getType();
  auto type = RankedTensorType::get(*shape, elementType);
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, value)));
  return success();
}

/// Range with its inputs given at run time: start + i * delta over the
/// length the model declares, which the library checks the inputs give.
LogicalResult importRuntimeRange(NodeImporter &n) {
  auto declared = n.declaredOutputShape(0);
  Type element = n.inputType(0).getElementType();
  bool scalars = true;
  for (size_t i = 0; i < 3; ++i)
    scalars &= n.inputType(i).getNumElements() == 1;
  size_t runtimeInput = 0;
  while (runtimeInput < 2 && constantScalar(n, runtimeInput))
    ++runtimeInput;
  using Part = NodeImporter::CheckPart;
  // Its positions are a table: bounded, as a compile-time Range is.
  constexpr int64_t kMaxRange = int64_t(1) << 24;
  if (!declared || declared->size() != 1 || (*declared)[0] > kMaxRange ||
      !scalars ||
      !n.checkAtRunTime(runtimeInput, "range", *declared, {},
                        isa<FloatType>(element),
                        {Part{0, {}}, Part{1, {}}, Part{2, {}}}))
    return n.failNotConstant(runtimeInput, "start, limit and delta");
  int64_t count = (*declared)[0];
  std::vector<double> positions(count);
  for (int64_t i = 0; i < count; ++i)
    positions[i] = double(i);
  Value steps =
      n.constantOf(RankedTensorType::get({count}, element), positions);
  n.setOutput(
      0, n.build<AddOp>({n.reshape(n.input(0), {}),
                         n.build<MulOp>({steps, n.reshape(n.input(2), {})})}));
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  if (!constantScalar(n, 0) || !constantScalar(n, 1) || !constantScalar(n, 2))
    return importRuntimeRange(n);
  auto start = requireScalar(n, 0, "start");
  auto limit = requireScalar(n, 1, "limit");
  auto delta = requireScalar(n, 2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0)
    return n.fail("delta must not be zero");
  // Range becomes a constant: bounded, as constant folding is.
  double steps = std::ceil((*limit - *start) / *delta);
  constexpr int64_t kMaxRange = int64_t(1) << 24;
  if (!(steps <= static_cast<double>(kMaxRange)))
    return n.fail("the range has " + std::to_string(steps) +
                  " elements; dlc computes Range at compile time, up to "
                  "2^24 elements");
  int64_t count = std::max<int64_t>(static_cast<int64_t>(steps), 0);
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = *start + i * *delta;
  n.setOutput(0, n.constantOf(RankedTensorType::get(
                                  {count}, n.inputType(0).getElementType()),
                              values));
  return success();
}

/// `x` broadcast to `shape` (the numpy broadcast of both).
FailureOr<Value> broadcastTo(NodeImporter &n, Value x,
                             ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> result;
  if (!OpTrait::util::getBroadcastedShape(type.getShape(), shape, result))
    return n.fail("the input does not broadcast to the requested shape");
  if (ArrayRef<int64_t>(result) == type.getShape())
    return x;
  // select(true, x, x) over a splat condition of the result shape.
  auto conditionType = RankedTensorType::get(result, n.builder.getI1Type());
  Value always = n.constant(DenseElementsAttr::get(conditionType, true));
  return n.build<SelectOp>({always, x, x});
}

LogicalResult importExpand(NodeImporter &n) {
  auto shape = n.constantInts(1);
  if (!shape) { // given at run time: the shape the model declares, checked
    shape = n.declaredOutputShape(0);
    if (!shape ||
        !n.checkAtRunTime(1, "expand", *shape, n.inputType(0).getShape()))
      return n.failNotConstant(1, "the shape");
  }
  auto result = broadcastTo(n, n.input(0), *shape);
  if (failed(result))
    return failure();
  n.setOutput(0, *result);
  return success();
}

LogicalResult importTile(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  auto repeats = n.constantInts(1);
  if (!repeats) { // given at run time: what the declared shape implies
    auto declared = n.declaredOutputShape(0);
    auto in = n.inputType(0).getShape();
    if (declared && static_cast<int64_t>(declared->size()) == rank) {
      repeats.emplace();
      for (int64_t d = 0; d < rank && repeats; ++d) {
        if (in[d] == 0 || (*declared)[d] % in[d] != 0)
          repeats.reset();
        else
          repeats->push_back((*declared)[d] / in[d]);
      }
    }
    if (!repeats || !n.checkAtRunTime(1, "tile", *declared, in))
      return n.failNotConstant(1, "repeats");
  }
  if (static_cast<int64_t>(repeats->size()) != rank)
    return n.fail("repeats must have one value per input dimension");
  // Per repeated dim d: [.., D, ..] -> [.., 1, D, ..] broadcast to
  // [.., r, D, ..] -> [.., r*D, ..]; the same size of IR for any r.
  Value y = n.input(0);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t r = (*repeats)[d];
    if (r < 0)
      return n.fail("repeats must not be negative");
    if (r == 1)
      continue;
    if (!y)
      return failure();
    auto shape = cast<RankedTensorType>(y.getType()).getShape();
    ShapeVec lane(shape.begin(), shape.end());
    lane.insert(lane.begin() + d, 1);
    ShapeVec spread(lane);
    spread[d] = r;
    if (!checkedNumElements(spread))
      return n.fail("the result would hold more than 2^48 elements");
    auto broadcast = broadcastTo(n, n.reshape(y, lane), spread);
    if (failed(broadcast))
      return failure();
    ShapeVec merged(shape.begin(), shape.end());
    merged[d] = r * shape[d];
    y = n.reshape(*broadcast, merged);
  }
  n.setOutput(0, y);
  return success();
}

LogicalResult importSplit(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  auto axis = normalizedAxis(n, n.attrInt("axis", 0), shape.size());
  if (failed(axis))
    return failure();
  int64_t size = shape[*axis];
  int64_t parts = static_cast<int64_t>(n.numOutputs());
  std::vector<int64_t> sizes;
  if (n.opset >= 13 && n.hasInput(1)) {
    if (auto given = n.constantInts(1)) {
      sizes = *given;
    } else { // given at run time: the sizes the declared outputs have
      for (size_t i = 0; i < n.numOutputs(); ++i) {
        auto declared = n.declaredOutputShape(i);
        if (!declared || declared->size() != shape.size())
          return n.failNotConstant(1, "split");
        sizes.push_back((*declared)[*axis]);
      }
      if (n.inputType(1).getNumElements() != int64_t(sizes.size()) ||
          !n.checkAtRunTime(1, "equal", sizes))
        return n.failNotConstant(1, "split");
    }
  } else if (n.opset < 13) {
    sizes = n.attrInts("split", {});
  }
  if (sizes.empty()) {
    if (n.opset >= 18)
      parts = n.attrInt("num_outputs", parts);
    int64_t chunk = (size + parts - 1) / std::max<int64_t>(parts, 1);
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::clamp<int64_t>(size - i * chunk, 0, chunk));
  }
  if (sizes.size() != n.numOutputs())
    return n.fail("split gives " + std::to_string(sizes.size()) +
                  " sizes for " + std::to_string(n.numOutputs()) + " outputs");
  int64_t offset = 0;
  for (auto [i, part] : llvm::enumerate(sizes)) {
    if (part < 0 || offset + part > size)
      return n.fail("split sizes exceed the dimension");
    n.setOutput(i, n.sliceAxis(n.input(0), *axis, offset, part));
    offset += part;
  }
  if (offset != size)
    return n.fail("split sizes do not add up to the dimension");
  return success();
}

LogicalResult importTrilu(NodeImporter &n) {
  auto type = n.inputType(0);
  if (type.getRank() < 2)
    return n.fail("input must have rank 2 or more");
  bool upper = n.attrInt("upper", 1);
  int64_t rows = type.getDimSize(type.getRank() - 2);
  int64_t cols = type.getDimSize(type.getRank() - 1);
  Value x = n.input(0);
  int64_t k = 0;
  if (n.hasInput(1) && !n.constantInts(1)) {
    // k given at run time: keep where (j - i) >= k (upper) or <= k.
    if (n.inputType(1).getNumElements() != 1)
      return n.fail("k must hold one value");
    if (rows * cols > (int64_t(1) << 24))
      return n.fail("a matrix of more than 2^24 elements: dlc builds Trilu's "
                    "table up to that size");
    std::vector<double> offsets(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        offsets[i * cols + j] = double(j - i);
    auto i64 = n.builder.getI64Type();
    Value diagonal =
        n.constantOf(RankedTensorType::get({rows, cols}, i64), offsets);
    Value given = n.reshape(n.cast(n.input(1), i64), {});
    Value mask = upper ? n.build<GreaterEqualOp>({diagonal, given})
                       : n.build<LessEqualOp>({diagonal, given});
    n.setOutput(0, n.build<SelectOp>({mask, x, n.scalarLike(x, 0)}));
    return success();
  }
  if (n.hasInput(1)) {
    auto given = n.requireInts(1, "k");
    if (!given)
      return failure();
    if (given->size() != 1)
      return n.fail("k must hold one value");
    k = (*given)[0];
  }
  std::vector<double> keep(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      keep[i * cols + j] = upper ? j - i >= k : j - i <= k;
  Value mask = n.constantOf(
      RankedTensorType::get({rows, cols}, n.builder.getI1Type()), keep);
  n.setOutput(0, n.build<SelectOp>({mask, x, n.scalarLike(x, 0)}));
  return success();
}

LogicalResult importDepthToSpace(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t b = n.attrInt("blocksize", 0);
  // Bounded first: b * b must not overflow.
  if (shape.size() != 4 || b < 1 || b > (int64_t(1) << 24) ||
      shape[1] % (b * b) != 0)
    return n.fail("needs a 4-d input whose channels divide by blocksize^2");
  int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  std::string mode = n.attrString("mode", "DCR");
  Value y;
  if (mode == "DCR")
    y = n.transpose(n.reshape(n.input(0), {N, b, b, C / (b * b), H, W}),
                    {0, 3, 4, 1, 5, 2});
  else if (mode == "CRD")
    y = n.transpose(n.reshape(n.input(0), {N, C / (b * b), b, b, H, W}),
                    {0, 1, 4, 2, 5, 3});
  else
    return n.fail("unknown mode '" + mode + "'");
  n.setOutput(0, n.reshape(y, {N, C / (b * b), H * b, W * b}));
  return success();
}

LogicalResult importSpaceToDepth(NodeImporter &n) {
  auto shape = n.inputType(0).getShape();
  int64_t b = n.attrInt("blocksize", 0);
  if (shape.size() != 4 || b < 1 || shape[2] % b != 0 || shape[3] % b != 0)
    return n.fail("needs a 4-d input whose height and width divide by "
                  "blocksize");
  int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  // The inverse of DepthToSpace: blocks go before the channels (DCR, the
  // default) or after them (CRD, opset 28).
  std::string mode = n.attrString("mode", "DCR");
  SmallVector<int64_t> order;
  if (mode == "DCR")
    order = {0, 3, 5, 1, 2, 4};
  else if (mode == "CRD")
    order = {0, 1, 3, 5, 2, 4};
  else
    return n.fail("unknown mode '" + mode + "'");
  Value y =
      n.transpose(n.reshape(n.input(0), {N, C, H / b, b, W / b, b}), order);
  n.setOutput(0, n.reshape(y, {N, C * b * b, H / b, W / b}));
  return success();
}

/// values[1] where the index equals the position along `axis`, else
/// values[0]; negative indices count from depth.
LogicalResult importOneHot(NodeImporter &n) {
  int64_t oneHotAxis = n.attrInt("axis", -1);
  if (oneHotAxis < 0)
    oneHotAxis += n.inputType(0).getRank() + 1;
  auto depthValue = sizeScalar(n, 1, "depth", oneHotAxis);
  if (failed(depthValue))
    return failure();
  // The positions along the new axis are a table of depth entries:
  // bounded, and checked before the conversion (a huge double has no int64).
  constexpr double kMaxDepth = double(int64_t(1) << 24);
  if (!(*depthValue >= 1))
    return n.fail("depth must be positive");
  if (*depthValue > kMaxDepth)
    return n.fail("depth " + std::to_string(*depthValue) +
                  " is over 2^24, the most dlc supports");
  int64_t depth = static_cast<int64_t>(*depthValue);
  auto indicesType = n.inputType(0);
  int64_t rank = indicesType.getRank() + 1;
  auto axis = normalizedAxis(n, n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  auto valuesType = n.inputType(2);
  if (valuesType.getNumElements() != 2)
    return n.fail("values must hold [off, on]");
  // Float indices are truncated to integers, as ONNX specifies.
  Value index = n.cast(n.input(0), n.builder.getI64Type());
  Value negative = n.build<LessOp>({index, n.scalarLike(index, 0)});
  index = n.build<SelectOp>(
      {negative, n.build<AddOp>({index, n.scalarLike(index, depth)}), index});
  ShapeVec unsqueezed(indicesType.getShape());
  unsqueezed.insert(unsqueezed.begin() + *axis, 1);
  index = n.reshape(index, unsqueezed);
  ShapeVec iotaShape(rank, 1);
  iotaShape[*axis] = depth;
  std::vector<int64_t> iota(depth);
  for (int64_t i = 0; i < depth; ++i)
    iota[i] = i;
  Value hit = n.build<EqualOp>({index, i64Constant(n, iotaShape, iota)});
  Value values = n.reshape(n.input(2), {2});
  Value off = n.reshape(n.sliceAxis(values, 0, 0, 1), {});
  Value on = n.reshape(n.sliceAxis(values, 0, 1, 1), {});
  n.setOutput(0, n.build<SelectOp>({hit, on, off}));
  return success();
}

LogicalResult importEyeLike(NodeImporter &n) {
  auto type = n.inputType(0);
  if (type.getRank() != 2)
    return n.fail("input must be a matrix");
  Type elementType = type.getElementType();
  if (n.hasAttr("dtype")) {
    elementType =
        convertElementType(n.attrInt("dtype", 0), *n.builder.getContext());
    if (!elementType)
      return n.fail("unsupported dtype");
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  constexpr int64_t kMaxTable = int64_t(1) << 24;
  // Past +-2^24 no position matches anyway; clamped, i + k cannot overflow.
  int64_t k = std::clamp<int64_t>(n.attrInt("k", 0), -kMaxTable, kMaxTable);
  if (rows > kMaxTable || cols > kMaxTable)
    return n.fail("a " + std::to_string(rows) + "x" + std::to_string(cols) +
                  " matrix: dlc builds EyeLike up to 2^24 rows and columns");
  if (rows * cols > kMaxTable) {
    // Too large for a table: ones where column == row + k, computed by
    // comparing two position vectors.
    std::vector<int64_t> rowPositions(rows), colPositions(cols);
    for (int64_t i = 0; i < rows; ++i)
      rowPositions[i] = k + i;
    for (int64_t j = 0; j < cols; ++j)
      colPositions[j] = j;
    Value diagonal =
        n.build<EqualOp>({i64Constant(n, {rows, 1}, rowPositions),
                          i64Constant(n, {1, cols}, colPositions)});
    n.setOutput(0, n.cast(diagonal, elementType));
    return success();
  }
  std::vector<double> values(rows * cols, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    if (i + k >= 0 && i + k < cols)
      values[i * cols + i + k] = 1;
  n.setOutput(0, n.constantOf(RankedTensorType::get({rows, cols}, elementType),
                              values));
  return success();
}

/// Hann, Hamming and Blackman windows of a compile-time size:
/// a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N), N = size (periodic) or
/// size - 1 (symmetric).
template <int kind> LogicalResult importWindow(NodeImporter &n) {
  auto size = sizeScalar(n, 0, "size", 0);
  if (failed(size))
    return failure();
  // Computed at compile time: bounded, and checked before the conversion.
  if (!(*size >= 0))
    return n.fail("size must not be negative");
  if (*size > double(int64_t(1) << 24))
    return n.fail("size " + std::to_string(*size) +
                  " is over 2^24, the most dlc computes");
  int64_t count = static_cast<int64_t>(*size);
  Type elementType = convertElementType(n.attrInt("output_datatype", 1),
                                        *n.builder.getContext());
  if (!elementType)
    return n.fail("unsupported output_datatype");
  double a0 = kind == 0 ? 0.5 : kind == 1 ? 25.0 / 46.0 : 0.42;
  double a1 = kind == 0 ? 0.5 : kind == 1 ? 1.0 - 25.0 / 46.0 : 0.5;
  double a2 = kind == 2 ? 0.08 : 0.0;
  double period = n.attrInt("periodic", 1) ? count : count - 1;
  std::vector<double> values(count);
  for (int64_t k = 0; k < count; ++k) {
    double angle = 2 * M_PI * k / period;
    values[k] = a0 - a1 * std::cos(angle) + a2 * std::cos(2 * angle);
  }
  n.setOutput(
      0, n.constantOf(RankedTensorType::get({count}, elementType), values));
  return success();
}

LogicalResult importGatherElements(NodeImporter &n) {
  n.setOutput(
      0, n.build<GatherElementsOp>({n.input(0), n.input(1)},
                                   n.attr("axis", n.builder.getI64IntegerAttr(
                                                      n.attrInt("axis", 0)))));
  return success();
}

/// NonZero's output shape depends on the input's values: it is computed at
/// compile time when the input is known, and refused otherwise.
/// Where each selected position of `mask` ([size], i1) goes when the
/// selected ones are packed to the front: its rank among them, and `size`
/// (a slot past the end) for the others; and how many are selected.
std::pair<Value, Value> packedSlots(NodeImporter &n, Value mask, int64_t size) {
  auto &b = n.builder;
  auto i64 = b.getI64Type();
  Value ones = n.cast(mask, i64);
  Value count =
      n.build<ReduceSumOp>(ones, {n.attr("axes", b.getDenseI64ArrayAttr({0})),
                                  n.attr("keepdims", b.getBoolAttr(false))});
  Value rank =
      n.build<CumSumOp>(ones, {n.attr("axis", b.getI64IntegerAttr(0)),
                               n.attr("exclusive", b.getBoolAttr(true)),
                               n.attr("reverse", b.getBoolAttr(false))});
  Value past = n.constantOf(RankedTensorType::get({}, i64), {double(size)});
  return {n.build<SelectOp>({mask, rank, past}), count};
}

/// `values` ([rows, size]) scattered along dim 1 to `slots` ([size]) of a
/// zero [rows, size + 1] table, the last column (where unselected values
/// go) cut off.
Value packAlongColumns(NodeImporter &n, Value values, Value slots, int64_t rows,
                       int64_t size) {
  Type element = cast<RankedTensorType>(values.getType()).getElementType();
  auto tableType = RankedTensorType::get({rows, size + 1}, element);
  Value table = n.constant(
      DenseElementsAttr::get(tableType, n.builder.getZeroAttr(element)));
  auto indices = broadcastTo(n, n.reshape(slots, {1, size}), {rows, size});
  if (failed(indices))
    return nullptr;
  Value packed = n.build<ScatterElementsOp>(
      {table, *indices, values},
      {n.attr("axis", n.builder.getI64IntegerAttr(1)),
       n.attr("reduction", n.builder.getStringAttr("none"))});
  return n.sliceAxis(packed, 1, 0, size);
}

/// NonZero of a run-time input: the coordinates of every element, packed
/// so that the non-zero ones come first, and their count; the library
/// allocates the output at [rank, count].
LogicalResult importRuntimeNonZero(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t rank = type.getRank(), size = type.getNumElements();
  constexpr int64_t kMaxElements = int64_t(1) << 24;
  auto fail = [&] {
    return n.failNotConstant(0, "the output shape depends on the input's "
                                "values, so the input");
  };
  if (rank == 0 || size == 0 || size > kMaxElements / rank ||
      !n.runtimeValueChecks)
    return fail();
  Value flat = n.reshape(n.input(0), {size});
  Value mask = type.getElementType().isInteger(1)
                   ? flat
                   : n.build<NotEqualOp>({flat, n.scalarLike(flat, 0)});
  auto [slots, count] = packedSlots(n, mask, size);
  std::vector<double> coordinates(rank * size);
  auto shape = type.getShape();
  for (int64_t j = 0; j < size; ++j) {
    int64_t rest = j;
    for (int64_t d = rank - 1; d >= 0; --d) {
      coordinates[d * size + j] = double(rest % shape[d]);
      rest /= shape[d];
    }
  }
  Value table = n.constantOf(
      RankedTensorType::get({rank, size}, n.builder.getI64Type()), coordinates);
  Value packed = packAlongColumns(n, table, slots, rank, size);
  if (!packed || !n.setBoundedOutput(0, packed, count, 1))
    return fail();
  return success();
}

/// Unique without an axis, of run-time data: the elements sorted (stably,
/// smallest first), each run of equal values a group; the first of each
/// run packed to the front gives the unique values and where each first
/// occurs, a scatter-add of ones per group the counts, and each element's
/// group the inverse indices. With sorted=0 the groups are put in the order
/// of their first occurrence. The library allocates the outputs at the
/// number of groups (inverse_indices has the input's size).
/// The stable order that sorts the rows of `rows` ([count, length])
/// lexicographically, as numpy's unique along an axis does: row i's place
/// is the number of rows less than it, plus the equal ones before it. Each
/// pair of rows is compared at once ([count, count, length] tables); a
/// single column sorts with TopK.
Value lexicographicOrder(NodeImporter &n, Value rows, int64_t count,
                         int64_t length) {
  auto &b = n.builder;
  auto i64 = b.getI64Type();
  auto axisAttr = [&](int64_t axis) {
    return n.attr("axis", b.getI64IntegerAttr(axis));
  };
  if (length == 1)
    return n.build<TopKOp>(n.reshape(rows, {count}),
                           {axisAttr(0),
                            n.attr("k", b.getI64IntegerAttr(count)),
                            n.attr("largest", b.getBoolAttr(false))});
  Value left = n.reshape(rows, {count, 1, length});  // row i
  Value right = n.reshape(rows, {1, count, length}); // row j
  Value differs = n.cast(n.build<NotEqualOp>({left, right}), i64);
  // Same before k: no difference at an earlier column.
  Value earlier = n.build<CumSumOp>(
      differs, {axisAttr(2), n.attr("exclusive", b.getBoolAttr(true)),
                n.attr("reverse", b.getBoolAttr(false))});
  Value zero = n.constantOf(RankedTensorType::get({}, i64), {0.0});
  Value decides = n.build<AndOp>(
      {n.build<LessOp>({right, left}), n.build<EqualOp>({earlier, zero})});
  auto anyAlong = [&](Value v, int64_t axis) { // i1 -> i64 0/1
    return n.build<ReduceMaxOp>(n.cast(v, i64),
                                {n.attr("axes", b.getDenseI64ArrayAttr({axis})),
                                 n.attr("keepdims", b.getBoolAttr(false))});
  };
  Value rightLess = anyAlong(decides, 2); // [i, j]: row j < row i
  Value same =
      n.build<SubOp>({n.constantOf(RankedTensorType::get({}, i64), {1.0}),
                      anyAlong(differs, 2)});
  std::vector<double> before(count * count);
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < count; ++j)
      before[i * count + j] = j < i;
  Value earlierEqual = n.build<MulOp>(
      {same, n.constantOf(RankedTensorType::get({count, count}, i64), before)});
  Value place =
      n.build<ReduceSumOp>(n.build<AddOp>({rightLess, earlierEqual}),
                           {n.attr("axes", b.getDenseI64ArrayAttr({1})),
                            n.attr("keepdims", b.getBoolAttr(false))});
  // order[place[i]] = i
  std::vector<double> positions(count);
  for (int64_t k = 0; k < count; ++k)
    positions[k] = double(k);
  Value rowIndex = n.constantOf(RankedTensorType::get({count}, i64), positions);
  Value zeros = n.constantOf(RankedTensorType::get({count}, i64),
                             std::vector<double>(count, 0.0));
  return n.build<ScatterElementsOp>(
      {zeros, place, rowIndex},
      {axisAttr(0), n.attr("reduction", b.getStringAttr("none"))});
}

/// Unique of run-time data, of the flattened input or along an axis (its
/// slices as the elements, compared whole): the rows sorted stably, the
/// first of each run of equal ones packed to the front; all four outputs at
/// their largest, the first, second and fourth allocated by the library at
/// the count.
LogicalResult importUnique(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t size = type.getNumElements(), rank = type.getRank();
  constexpr int64_t kMaxElements = int64_t(1) << 20;
  std::optional<int64_t> axis;
  if (n.hasAttr("axis")) {
    auto normalized = normalizedAxis(n, n.attrInt("axis", 0), rank);
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  if (size == 0 || size > kMaxElements)
    return n.fail("Unique of " + std::to_string(size) +
                  " elements is not supported (1 to 2^20)");
  // Rows: the slices along the axis ([count, length]), or every element.
  int64_t count = axis ? type.getDimSize(*axis) : size;
  int64_t length = size / count;
  if (length > 1 && count * count > kMaxElements / length)
    return n.fail("Unique along an axis compares every pair of its " +
                  std::to_string(count) + " slices of " +
                  std::to_string(length) +
                  " elements; dlc does so up to 2^20 compared elements");
  if (!n.runtimeValueChecks)
    return n.fail("Unique's outputs depend on the data, which this target "
                  "does not support yet");
  auto &b = n.builder;
  auto i64 = b.getI64Type();
  auto vectorOf = [&](Type element, ArrayRef<double> values) {
    return n.constantOf(
        RankedTensorType::get({int64_t(values.size())}, element), values);
  };
  auto axis0 = n.attr("axis", b.getI64IntegerAttr(0));
  // The axis moved to the front, the rest flattened.
  std::vector<int64_t> permutation;
  Value x = n.input(0);
  ShapeVec movedShape;
  if (axis) {
    permutation.push_back(*axis);
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis)
        permutation.push_back(d);
    for (int64_t d : permutation)
      movedShape.push_back(type.getDimSize(d));
    if (*axis != 0)
      x = n.transpose(x, permutation);
  }
  Value rows = n.reshape(x, {count, length});
  Value order = lexicographicOrder(n, rows, count, length);
  Value sorted = n.build<GatherOp>({rows, order}, axis0);
  // first[i]: sorted row i starts a run (i == 0, or it differs from the
  // one before it).
  Value first = n.constant(
      DenseElementsAttr::get(RankedTensorType::get({1}, b.getI1Type()), true));
  if (count > 1) {
    Value differs = n.build<NotEqualOp>({n.sliceAxis(sorted, 0, 1, count - 1),
                                         n.sliceAxis(sorted, 0, 0, count - 1)});
    Value anyDiffers = n.build<ReduceMaxOp>(
        n.cast(differs, i64), {n.attr("axes", b.getDenseI64ArrayAttr({1})),
                               n.attr("keepdims", b.getBoolAttr(false))});
    first = n.build<ConcatOp>(
        {first, n.build<NotEqualOp>(
                    {anyDiffers,
                     n.constantOf(RankedTensorType::get({}, i64), {0.0})})},
        axis0);
  }
  auto [slots, uniqueCount] = packedSlots(n, first, count);
  Value ones = n.cast(first, i64);
  Value group = n.build<SubOp>(
      {n.build<CumSumOp>(ones,
                         {axis0, n.attr("exclusive", b.getBoolAttr(false)),
                          n.attr("reverse", b.getBoolAttr(false))}),
       n.constantOf(RankedTensorType::get({}, i64), {1.0})});
  auto pack = [&](Value values) {
    return n.reshape(
        packAlongColumns(n, n.reshape(values, {1, count}), slots, 1, count),
        {count});
  };
  // The rows packed: their columns scattered as a [length, count] table.
  Value uniqueRows = n.transpose(
      packAlongColumns(n, n.transpose(sorted, {1, 0}), slots, length, count),
      {1, 0});
  Value firstIndex = pack(order);
  Value zeros = vectorOf(i64, std::vector<double>(count, 0.0));
  Value counts = n.build<ScatterElementsOp>(
      {zeros, group, vectorOf(i64, std::vector<double>(count, 1.0))},
      {axis0, n.attr("reduction", b.getStringAttr("add"))});
  Value inverse = n.build<ScatterElementsOp>(
      {zeros, order, group},
      {axis0, n.attr("reduction", b.getStringAttr("none"))});
  if (!n.attrInt("sorted", 1)) {
    // Groups by first occurrence: the unused slots (past the count) sort
    // last, at `count`.
    std::vector<double> positions(count);
    for (int64_t k = 0; k < count; ++k)
      positions[k] = double(k);
    Value used = n.build<LessOp>({vectorOf(i64, positions), uniqueCount});
    Value key = n.build<SelectOp>(
        {used, firstIndex,
         n.constantOf(RankedTensorType::get({}, i64), {double(count)})});
    Value byFirst =
        n.build<TopKOp>(key, {axis0, n.attr("k", b.getI64IntegerAttr(count)),
                              n.attr("largest", b.getBoolAttr(false))});
    uniqueRows = n.build<GatherOp>({uniqueRows, byFirst}, axis0);
    firstIndex = n.build<GatherElementsOp>({firstIndex, byFirst}, axis0);
    counts = n.build<GatherElementsOp>({counts, byFirst}, axis0);
    // The new place of each sorted group.
    Value place = n.build<ScatterElementsOp>(
        {zeros, byFirst, vectorOf(i64, positions)},
        {axis0, n.attr("reduction", b.getStringAttr("none"))});
    inverse = n.build<GatherElementsOp>({place, inverse}, axis0);
  }
  // Back to the input's layout, the unique slices along the axis.
  Value unique;
  if (!axis) {
    unique = n.reshape(uniqueRows, {count});
  } else {
    unique = n.reshape(uniqueRows, movedShape);
    if (*axis != 0) {
      std::vector<int64_t> back(rank);
      for (int64_t k = 0; k < rank; ++k)
        back[permutation[k]] = k;
      unique = n.transpose(unique, back);
    }
  }
  Value results[] = {unique, firstIndex, inverse, counts};
  for (size_t i = 0; i < 4; ++i) {
    if (!n.wantsOutput(i))
      continue;
    if (i == 2)
      n.setOutput(i, inverse);
    else if (!n.setBoundedOutput(i, results[i], uniqueCount,
                                 i == 0 && axis ? *axis : 0))
      return failure();
  }
  return success();
}

/// NonMaxSuppression: the selected (batch, class, box) rows, computed by
/// the compiled code at their largest count (every box of every class, or
/// max_output_boxes_per_class of each when it is a constant) and packed
/// first, with their count; the library allocates the output at that
/// count.
LogicalResult importNonMaxSuppression(NodeImporter &n) {
  auto boxesType = n.inputType(0), scoresType = n.inputType(1);
  if (boxesType.getRank() != 3 || boxesType.getDimSize(2) != 4 ||
      scoresType.getRank() != 3 ||
      scoresType.getDimSize(0) != boxesType.getDimSize(0) ||
      scoresType.getDimSize(2) != boxesType.getDimSize(1))
    return n.fail("boxes must be [batches, boxes, 4] and scores [batches, "
                  "classes, boxes]");
  Type floatType = boxesType.getElementType();
  if (!isa<FloatType>(floatType) || scoresType.getElementType() != floatType)
    return n.fail("boxes and scores must be floats of one type");
  int64_t batches = boxesType.getDimSize(0), count = boxesType.getDimSize(1),
          classes = scoresType.getDimSize(1);
  constexpr int64_t kMaxRows = int64_t(1) << 24;
  if (count > 0 && batches * classes > kMaxRows / count)
    return n.fail("NonMaxSuppression over " + std::to_string(batches) + " x " +
                  std::to_string(classes) + " x " + std::to_string(count) +
                  " boxes is not supported (up to 2^24)");
  if (!n.runtimeValueChecks)
    return n.fail("NonMaxSuppression's output depends on the data, which "
                  "this target does not support yet");
  auto &b = n.builder;
  auto i64 = b.getI64Type();
  // The scalar inputs; absent or empty: ONNX's defaults (no box, IoU 0,
  // no score threshold).
  auto given = [&](size_t i) {
    return n.hasInput(i) && n.inputType(i).getNumElements() != 0;
  };
  auto scalarOf = [&](size_t i, Type element, double fallback) -> Value {
    if (!given(i))
      return n.constantOf(RankedTensorType::get({}, element), {fallback});
    if (n.inputType(i).getNumElements() != 1)
      return nullptr;
    return n.reshape(n.cast(n.input(i), element), {});
  };
  Value maxPerClass = scalarOf(2, i64, 0);
  Value iouThreshold = scalarOf(3, floatType, 0);
  Value scoreThreshold = scalarOf(4, floatType, 0);
  if (!maxPerClass || !iouThreshold || !scoreThreshold)
    return n.fail("max_output_boxes_per_class, iou_threshold and "
                  "score_threshold must hold one value each");
  int64_t bound = count;
  if (!given(2))
    bound = 0;
  else if (auto constant = n.constantInts(2))
    bound = std::clamp<int64_t>((*constant)[0], 0, count);
  Value selected = n.build<NonMaxSuppressionOp>(
      {n.input(0), n.input(1), maxPerClass, iouThreshold, scoreThreshold},
      {n.attr("center_point_box",
              b.getBoolAttr(n.attrInt("center_point_box", 0) != 0)),
       n.attr("has_score_threshold", b.getBoolAttr(given(4))),
       n.attr("per_class_bound", b.getI64IntegerAttr(bound))});
  if (!selected)
    return failure();
  Value selectedCount = selected.getDefiningOp()->getResult(1);
  if (!n.setBoundedOutput(0, selected, selectedCount, 0))
    return failure();
  return success();
}

LogicalResult importNonZero(NodeImporter &n) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(n.constantInput(0));
  if (!dense)
    return importRuntimeNonZero(n);
  auto shape = dense.getType().getShape();
  int64_t rank = shape.size();
  std::vector<int64_t> positions; // flat indices of the non-zero elements
  int64_t flat = 0;
  if (isa<FloatType>(dense.getElementType())) {
    for (const APFloat &v : dense.getValues<APFloat>()) {
      if (!v.isZero())
        positions.push_back(flat);
      ++flat;
    }
  } else {
    for (const APInt &v : dense.getValues<APInt>()) {
      if (!v.isZero())
        positions.push_back(flat);
      ++flat;
    }
  }
  int64_t count = positions.size();
  std::vector<double> coordinates(rank * count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = positions[i];
    for (int64_t d = rank - 1; d >= 0; --d) {
      coordinates[d * count + i] = rest % shape[d];
      rest /= shape[d];
    }
  }
  n.setOutput(0, n.constantOf(RankedTensorType::get({rank, count},
                                                    n.builder.getI64Type()),
                              coordinates));
  return success();
}

/// Compress: the slices along `axis` (or the elements of the flattened
/// input) whose condition is true. The output's shape depends on the
/// condition, which must be known at compile time: a gather of the chosen
/// positions.
LogicalResult importCompress(NodeImporter &n) {
  auto condition = n.constantInts(1);
  Value x = n.input(0);
  auto shape = n.inputType(0).getShape();
  int64_t axis = 0;
  if (n.hasAttr("axis")) {
    auto normalized = normalizedAxis(n, n.attrInt("axis", 0), shape.size());
    if (failed(normalized))
      return failure();
    axis = *normalized;
  } else {
    x = n.reshape(x, {product(shape)});
  }
  int64_t size = cast<RankedTensorType>(x.getType()).getDimSize(axis);
  if (!condition) {
    // Given at run time: the positions along the axis, the selected ones
    // packed to the front, gathered; the library allocates the output at
    // the selected count.
    auto fail = [&] {
      return n.failNotConstant(1, "Compress's output shape depends on its "
                                  "condition, so the condition");
    };
    int64_t given = n.inputType(1).getNumElements();
    constexpr int64_t kMaxPositions = int64_t(1) << 24;
    if (given > size)
      return n.fail("the condition has more elements than the input along "
                    "the axis");
    if (size == 0 || size > kMaxPositions || !n.runtimeValueChecks ||
        !n.inputType(1).getElementType().isInteger(1))
      return fail();
    Value mask = n.reshape(n.input(1), {given});
    if (given < size) // positions past the condition are dropped
      mask = n.build<ConcatOp>(
          {mask,
           n.constant(DenseElementsAttr::get(
               RankedTensorType::get({size - given}, n.builder.getI1Type()),
               false))},
          n.attr("axis", n.builder.getI64IntegerAttr(0)));
    auto [slots, count] = packedSlots(n, mask, size);
    std::vector<double> positions(size);
    for (int64_t i = 0; i < size; ++i)
      positions[i] = double(i);
    Value picks = packAlongColumns(
        n,
        n.constantOf(RankedTensorType::get({1, size}, n.builder.getI64Type()),
                     positions),
        slots, 1, size);
    if (!picks)
      return failure();
    Value gathered =
        n.build<GatherOp>({x, n.reshape(picks, {size})},
                          n.attr("axis", n.builder.getI64IntegerAttr(axis)));
    if (!gathered || !n.setBoundedOutput(0, gathered, count, axis))
      return fail();
    return success();
  }
  if (static_cast<int64_t>(condition->size()) > size)
    return n.fail("the condition has more elements than the input along "
                  "the axis");
  std::vector<double> positions;
  for (size_t i = 0; i < condition->size(); ++i)
    if ((*condition)[i])
      positions.push_back(i);
  if (positions.empty())
    return n.fail("the condition selects nothing: empty tensors are not "
                  "supported");
  Value indices = n.constantOf(
      RankedTensorType::get({static_cast<int64_t>(positions.size())},
                            n.builder.getI64Type()),
      positions);
  n.setOutput(
      0, n.build<GatherOp>({x, indices},
                           n.attr("axis", n.builder.getI64IntegerAttr(axis))));
  return success();
}

LogicalResult importGatherND(NodeImporter &n) {
  n.setOutput(0, n.build<GatherNDOp>(
                     {n.input(0), n.input(1)},
                     n.attr("batch_dims", n.builder.getI64IntegerAttr(
                                              n.attrInt("batch_dims", 0)))));
  return success();
}

/// The reduction attribute of ScatterElements/ScatterND (opset 16+), or
/// "none".
NamedAttribute scatterReduction(NodeImporter &n) {
  return n.attr("reduction",
                n.builder.getStringAttr(n.attrString("reduction", "none")));
}

/// ScatterElements, and Scatter (its opset 9 name).
LogicalResult importScatterElements(NodeImporter &n) {
  n.setOutput(
      0, n.build<ScatterElementsOp>(
             {n.input(0), n.input(1), n.input(2)},
             {n.attr("axis", n.builder.getI64IntegerAttr(n.attrInt("axis", 0))),
              scatterReduction(n)}));
  return success();
}

LogicalResult importScatterND(NodeImporter &n) {
  n.setOutput(0, n.build<ScatterNDOp>({n.input(0), n.input(1), n.input(2)},
                                      scatterReduction(n)));
  return success();
}

/// A gather along the time axis: position t of sequence b reads
/// lens[b] - 1 - t while t < lens[b], else t itself.
LogicalResult importReverseSequence(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  int64_t batchAxis = n.attrInt("batch_axis", 1);
  int64_t timeAxis = n.attrInt("time_axis", 0);
  if (rank < 2 || !llvm::is_contained({0, 1}, batchAxis) ||
      !llvm::is_contained({0, 1}, timeAxis) || batchAxis == timeAxis)
    return n.fail("batch_axis and time_axis must be 0 and 1 (in some order) "
                  "of an input of rank 2 or more");
  int64_t steps = type.getDimSize(timeAxis);
  SmallVector<int64_t> timeShape(rank, 1), batchShape(rank, 1);
  timeShape[timeAxis] = steps;
  batchShape[batchAxis] = type.getDimSize(batchAxis);
  std::vector<double> iota(steps);
  for (int64_t t = 0; t < steps; ++t)
    iota[t] = t;
  Type i64 = n.builder.getI64Type();
  Value time = n.constantOf(RankedTensorType::get(timeShape, i64), iota);
  Value lens = n.reshape(n.cast(n.input(1), i64), batchShape);
  if (!lens)
    return failure();
  Value reversed =
      n.build<SubOp>({n.build<SubOp>({lens, n.scalarLike(lens, 1.0)}), time});
  Value index =
      n.build<SelectOp>({n.build<LessOp>({time, lens}), reversed, time});
  if (!index)
    return failure();
  auto full = broadcastTo(n, index, type.getShape());
  if (failed(full))
    return failure();
  n.setOutput(0, n.build<GatherElementsOp>(
                     {n.input(0), *full},
                     n.attr("axis", n.builder.getI64IntegerAttr(timeAxis))));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> shapeOpImporters() {
  static const OpImporterEntry table[] = {
      {"BlackmanWindow", 17, 1, importWindow<2>},
      {"ConstantOfShape", 9, 1, importConstantOfShape},
      {"Compress", 9, 2, importCompress},
      {"DepthToSpace", 11, 1, importDepthToSpace},
      {"Expand", 8, 2, importExpand},
      {"EyeLike", 9, 1, importEyeLike},
      {"GatherElements", 11, 2, importGatherElements},
      {"GatherND", 11, 2, importGatherND},
      {"HammingWindow", 17, 1, importWindow<1>},
      {"HannWindow", 17, 1, importWindow<0>},
      {"NonMaxSuppression", 10, 2, importNonMaxSuppression},
      {"NonZero", 9, 1, importNonZero},
      {"Unique", 11, 1, importUnique},
      {"OneHot", 11, 3, importOneHot},
      {"Range", 11, 3, importRange},
      {"ReverseSequence", 10, 2, importReverseSequence},
      {"Scatter", 9, 3, importScatterElements},
      {"ScatterElements", 11, 3, importScatterElements},
      {"ScatterND", 11, 3, importScatterND},
      {"Shape", 1, 1, importShape},
      {"Size", 1, 1, importSize},
      {"SpaceToDepth", 1, 1, importSpaceToDepth},
      {"Split", 2, 1, importSplit},
      {"Tile", 6, 2, importTile},
      {"Trilu", 14, 1, importTrilu},
  };
  return table;
}

} // namespace dlc
