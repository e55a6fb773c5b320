//===- DlcDataMovementOps.cpp - Transpose, reshape, gathers, slices -------===//
//
// Type inference, verifiers and folders of the data-movement ops; the op
// classes themselves are defined in DlcOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/DlcOpsHelpers.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace dlc;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType)
    return emitOptionalError(loc, "input must be a ranked tensor");
  ArrayRef<int64_t> perm = adaptor.getPerm();
  int64_t rank = inputType.getRank();
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries for rank ", rank);
  SmallVector<int64_t> shape;
  for (int64_t dim : perm) {
    if (dim < 0 || dim >= rank || seen[dim])
      return emitOptionalError(loc, "perm is not a permutation of 0..",
                               rank - 1);
    seen[dim] = true;
    shape.push_back(inputType.getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult
GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  auto indicesType = rankedOrNull(adaptor.getIndices().getType());
  if (!inputType || !indicesType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (!isa<IntegerType>(indicesType.getElementType()))
    return emitOptionalError(loc, "indices must be integers");
  if (inputType.getRank() != indicesType.getRank())
    return emitOptionalError(loc, "indices must have the input's rank ",
                             inputType.getRank());
  if (failed(inferAxis(loc, adaptor.getAxis(), inputType.getRank())))
    return failure();
  inferred.push_back(RankedTensorType::get(indicesType.getShape(),
                                           inputType.getElementType()));
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  auto indicesType = rankedOrNull(adaptor.getIndices().getType());
  if (!inputType || !indicesType || indicesType.getRank() < 1 ||
      !indicesType.hasStaticShape())
    return emitOptionalError(loc, "operands must be ranked tensors, indices "
                                  "static with rank 1 or more");
  if (!isa<IntegerType>(indicesType.getElementType()))
    return emitOptionalError(loc, "indices must be integers");
  int64_t batchDims = adaptor.getBatchDims();
  int64_t k = indicesType.getShape().back();
  if (batchDims < 0 || batchDims >= indicesType.getRank() ||
      batchDims + k > inputType.getRank())
    return emitOptionalError(loc, "batch_dims ", batchDims, " and ", k,
                             " coordinates do not fit input rank ",
                             inputType.getRank());
  SmallVector<int64_t> shape(indicesType.getShape().drop_back());
  for (int64_t d = batchDims + k; d < inputType.getRank(); ++d)
    shape.push_back(inputType.getDimSize(d));
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

namespace {
struct ScatterTypes {
  RankedTensorType data, indices, updates;
};
} // namespace

/// Checks shared by the scatters: ranked operands, a known reduction,
/// integer indices and updates of the data's element type. The result is
/// the data's type.
static FailureOr<ScatterTypes> inferScatter(std::optional<Location> loc,
                                            Value data, Value indices,
                                            Value updates, StringRef reduction,
                                            SmallVectorImpl<Type> &inferred) {
  ScatterTypes types{rankedOrNull(data.getType()),
                     rankedOrNull(indices.getType()),
                     rankedOrNull(updates.getType())};
  if (!types.data || !types.indices || !types.updates)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (!isa<IntegerType>(types.indices.getElementType()))
    return emitOptionalError(loc, "indices must be integers");
  if (types.updates.getElementType() != types.data.getElementType())
    return emitOptionalError(loc, "updates must have the data's element type");
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return emitOptionalError(loc, "unknown reduction '", reduction,
                             "' (none, add, mul, max or min)");
  inferred.push_back(types.data);
  return types;
}

LogicalResult
ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor adaptor,
                                    SmallVectorImpl<Type> &inferred) {
  auto types =
      inferScatter(loc, adaptor.getData(), adaptor.getIndices(),
                   adaptor.getUpdates(), adaptor.getReduction(), inferred);
  if (failed(types))
    return failure();
  if (types->indices.getShape() != types->updates.getShape() ||
      types->indices.getRank() != types->data.getRank())
    return emitOptionalError(
        loc, "indices ", shapeString(types->indices.getShape()),
        " and updates ", shapeString(types->updates.getShape()),
        " must have one shape of the data's rank ", types->data.getRank());
  return inferAxis(loc, adaptor.getAxis(), types->data.getRank());
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto types =
      inferScatter(loc, adaptor.getData(), adaptor.getIndices(),
                   adaptor.getUpdates(), adaptor.getReduction(), inferred);
  if (failed(types))
    return failure();
  RankedTensorType dataType = types->data, indicesType = types->indices,
                   updatesType = types->updates;
  if (indicesType.getRank() < 1 || isDynamic(indicesType.getShape().back()) ||
      indicesType.getShape().back() > dataType.getRank())
    return emitOptionalError(loc,
                             "the last dim of indices must be static and "
                             "at most the data's rank ",
                             dataType.getRank());
  int64_t k = indicesType.getShape().back();
  SmallVector<int64_t> expected(indicesType.getShape().drop_back());
  llvm::append_range(expected, dataType.getShape().drop_front(k));
  if (updatesType.getShape() != ArrayRef<int64_t>(expected))
    return emitOptionalError(loc, "updates have shape ",
                             shapeString(updatesType.getShape()), "; expected ",
                             shapeString(expected));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType || inputType.getRank() < 1)
    return emitOptionalError(loc, "input must be a ranked tensor of rank 1 "
                                  "or more");
  auto axisOr = inferAxis(loc, adaptor.getAxis(), inputType.getRank());
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  int64_t k = static_cast<int64_t>(adaptor.getK()),
          size = inputType.getDimSize(axis);
  if (k < 0 || (!isDynamic(size) && k > size))
    return emitOptionalError(loc, "k = ", k, " is out of range for ", size,
                             " elements along axis ", axis);
  SmallVector<int64_t> shape(inputType.getShape());
  shape[axis] = k;
  inferred.push_back(
      RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}

LogicalResult NonMaxSuppressionOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  auto boxes = rankedOrNull(adaptor.getBoxes().getType());
  auto scores = rankedOrNull(adaptor.getScores().getType());
  if (!boxes || !scores || boxes.getRank() != 3 || scores.getRank() != 3 ||
      boxes.getDimSize(2) != 4 || !isa<FloatType>(boxes.getElementType()) ||
      boxes.getElementType() != scores.getElementType())
    return emitOptionalError(loc, "boxes must be [batches, boxes, 4] and "
                                  "scores [batches, classes, boxes], of one "
                                  "float type");
  int64_t batches = boxes.getDimSize(0), count = boxes.getDimSize(1);
  if (scores.getDimSize(0) != batches || scores.getDimSize(2) != count)
    return emitOptionalError(loc, "boxes and scores disagree on the batches "
                                  "or the boxes");
  for (Value scalar : {adaptor.getMaxPerClass(), adaptor.getIouThreshold(),
                       adaptor.getScoreThreshold()}) {
    auto type = rankedOrNull(scalar.getType());
    if (!type || type.getRank() != 0)
      return emitOptionalError(loc, "the limits must be scalar tensors");
  }
  int64_t bound = adaptor.getPerClassBound();
  if (bound < 0 || bound > count)
    return emitOptionalError(loc, "per_class_bound must be from 0 to ", count);
  int64_t rows = batches * scores.getDimSize(1) * bound;
  inferred.push_back(
      RankedTensorType::get({rows, 3}, IntegerType::get(context, 64)));
  inferred.push_back(RankedTensorType::get({}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto inputType = getInput().getType();
  auto resultType = getType();
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError("changes the element type");
  if (resultType.getNumDynamicDims() > 1)
    return emitOpError("may leave at most one result dimension dynamic");
  if (!inputType.hasStaticShape() || !resultType.hasStaticShape())
    return success(); // checked again once shape inference made it static
  if (inputType.getNumElements() != resultType.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeString(inputType.getShape()) << " ("
           << inputType.getNumElements() << " elements) to "
           << shapeString(resultType.getShape()) << " ("
           << resultType.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (!getType().hasStaticShape())
    return {};
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x)
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  auto indicesType = rankedOrNull(adaptor.getIndices().getType());
  if (!inputType || !indicesType || inputType.getRank() < 1)
    return emitOptionalError(loc, "operands must be ranked, input rank >= 1");
  if (!isa<IntegerType>(indicesType.getElementType()))
    return emitOptionalError(loc, "indices must be integers");
  auto axis = inferAxis(loc, adaptor.getAxis(), inputType.getRank());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> input = inputType.getShape();
  SmallVector<int64_t> shape(input.take_front(*axis));
  llvm::append_range(shape, indicesType.getShape());
  llvm::append_range(shape, input.drop_front(*axis + 1));
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType)
    return emitOptionalError(loc, "input must be a ranked tensor");
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return emitOptionalError(loc, "expected ", rank, " starts, ends and steps");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = inputType.getDimSize(d);
    if (steps[d] < 1 || starts[d] < 0 || (!isDynamic(size) && starts[d] > size))
      return emitOptionalError(loc, "dim ", d, ": start ", starts[d],
                               " or step ", steps[d], " is out of range");
    if (isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t end = std::min(ends[d], size);
    shape.push_back(
        end <= starts[d] ? 0 : (end - starts[d] + steps[d] - 1) / steps[d]);
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "needs at least one input");
  auto firstType = rankedOrNull(adaptor.getInputs().front().getType());
  if (!firstType)
    return emitOptionalError(loc, "inputs must be ranked tensors");
  int64_t rank = firstType.getRank();
  auto axisOr = inferAxis(loc, adaptor.getAxis(), rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  SmallVector<int64_t> shape(firstType.getShape());
  shape[axis] = 0;
  for (Value input : adaptor.getInputs()) {
    auto type = rankedOrNull(input.getType());
    if (!type || type.getRank() != rank ||
        type.getElementType() != firstType.getElementType())
      return emitOptionalError(loc, "inputs must share rank and element type");
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      if (isDynamic(shape[d]))
        shape[d] = type.getDimSize(d);
      else if (!isDynamic(type.getDimSize(d)) && type.getDimSize(d) != shape[d])
        return emitOptionalError(
            loc, "input shapes ", shapeString(firstType.getShape()), " and ",
            shapeString(type.getShape()), " differ outside axis ", axis);
    }
    if (isDynamic(shape[axis]) || isDynamic(type.getDimSize(axis)))
      shape[axis] = ShapedType::kDynamic;
    else
      shape[axis] += type.getDimSize(axis);
  }
  inferred.push_back(RankedTensorType::get(shape, firstType.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  auto isIdentity = [](ArrayRef<int64_t> order) {
    for (auto [i, dim] : llvm::enumerate(order))
      if (dim != static_cast<int64_t>(i))
        return false;
    return true;
  };
  if (isIdentity(perm))
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q), or x when identity.
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t dim : perm)
      composed.push_back(producer.getPerm()[dim]);
    if (isIdentity(composed) && producer.getInput().getType() == getType())
      return producer.getInput();
    getInputMutable().assign(producer.getInput());
    setPerm(composed);
    return getResult();
  }
  return {};
}
