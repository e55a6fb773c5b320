//===- DlcOps.cpp - dlc ops: shape inference, verifiers, folders ----------===//
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/DlcOpsHelpers.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dlc;

#include "compiler/dialect/DlcDialect.cpp.inc"
#include "compiler/dialect/DlcInterfaces.cpp.inc"

void DlcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "compiler/dialect/DlcOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "compiler/dialect/DlcTypes.cpp.inc"
      >();
}

Operation *DlcDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A declared result type agrees with the inferred one when the element types
/// are equal and every dimension that both know is the same: a dynamic
/// dimension is refined later by dlc-shape-inference.
static bool compatibleTypes(TypeRange declared, TypeRange inferred) {
  if (declared.size() != inferred.size())
    return false;
  for (auto [lhs, rhs] : llvm::zip(declared, inferred)) {
    auto lhsType = dyn_cast<RankedTensorType>(lhs);
    auto rhsType = dyn_cast<RankedTensorType>(rhs);
    if (!lhsType || !rhsType ||
        lhsType.getElementType() != rhsType.getElementType() ||
        failed(verifyCompatibleShape(lhsType, rhsType)))
      return false;
  }
  return true;
}

#define DLC_COMPATIBLE_RETURN_TYPES(OP)                                        \
  bool OP::isCompatibleReturnTypes(TypeRange declared, TypeRange inferred) {   \
    return compatibleTypes(declared, inferred);                                \
  }
DLC_COMPATIBLE_RETURN_TYPES(SelectOp)
DLC_COMPATIBLE_RETURN_TYPES(ReduceProdOp)
DLC_COMPATIBLE_RETURN_TYPES(ArgMaxOp)
DLC_COMPATIBLE_RETURN_TYPES(ArgMinOp)
DLC_COMPATIBLE_RETURN_TYPES(GatherElementsOp)
DLC_COMPATIBLE_RETURN_TYPES(GatherNDOp)
DLC_COMPATIBLE_RETURN_TYPES(ScatterElementsOp)
DLC_COMPATIBLE_RETURN_TYPES(ScatterNDOp)
DLC_COMPATIBLE_RETURN_TYPES(TopKOp)
DLC_COMPATIBLE_RETURN_TYPES(NonMaxSuppressionOp)
DLC_COMPATIBLE_RETURN_TYPES(MatMulOp)
DLC_COMPATIBLE_RETURN_TYPES(MatMulIntegerOp)
DLC_COMPATIBLE_RETURN_TYPES(ConvOp)
DLC_COMPATIBLE_RETURN_TYPES(ConvIntegerOp)
DLC_COMPATIBLE_RETURN_TYPES(BlockedConvIntegerOp)
DLC_COMPATIBLE_RETURN_TYPES(MaxPoolOp)
DLC_COMPATIBLE_RETURN_TYPES(AvgPoolOp)
DLC_COMPATIBLE_RETURN_TYPES(ReduceSumOp)
DLC_COMPATIBLE_RETURN_TYPES(ReduceMeanOp)
DLC_COMPATIBLE_RETURN_TYPES(ReduceMaxOp)
DLC_COMPATIBLE_RETURN_TYPES(ReduceMinOp)
DLC_COMPATIBLE_RETURN_TYPES(TransposeOp)
DLC_COMPATIBLE_RETURN_TYPES(ConcatOp)
DLC_COMPATIBLE_RETURN_TYPES(GatherOp)
DLC_COMPATIBLE_RETURN_TYPES(SliceOp)
DLC_COMPATIBLE_RETURN_TYPES(ToBlockedOp)
DLC_COMPATIBLE_RETURN_TYPES(FromBlockedOp)
DLC_COMPATIBLE_RETURN_TYPES(BlockedConvOp)
DLC_COMPATIBLE_RETURN_TYPES(BlockedDepthwiseConvOp)
#undef DLC_COMPATIBLE_RETURN_TYPES

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from result type " << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

/// The numpy-broadcast result type of `operands`, with `elementType` or, when
/// null, the last operand's element type.
static LogicalResult inferBroadcast(std::optional<Location> loc,
                                    ValueRange operands, Type elementType,
                                    SmallVectorImpl<Type> &inferred) {
  SmallVector<int64_t> shape;
  for (auto [i, operand] : llvm::enumerate(operands)) {
    auto type = rankedOrNull(operand.getType());
    if (!type)
      return emitOptionalError(loc, "operands must be ranked tensors");
    SmallVector<int64_t> joined;
    if (i != 0 &&
        !OpTrait::util::getBroadcastedShape(shape, type.getShape(), joined))
      return emitOptionalError(loc, "operand shapes ", shapeString(shape),
                               " and ", shapeString(type.getShape()),
                               " do not broadcast");
    shape = i == 0 ? SmallVector<int64_t>(type.getShape()) : joined;
    if (i + 1 == operands.size() && !elementType)
      elementType = type.getElementType();
  }
  inferred.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

// The binary and comparison ops' inferReturnTypes and
// isCompatibleReturnTypes: their ODS classes (Dlc_BroadcastInference).

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto condition = rankedOrNull(adaptor.getCondition().getType());
  auto lhs = rankedOrNull(adaptor.getLhs().getType());
  auto rhs = rankedOrNull(adaptor.getRhs().getType());
  if (!condition || !lhs || !rhs)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (!condition.getElementType().isInteger(1))
    return emitOptionalError(loc, "condition must be a tensor of i1");
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "both choices must have one element type");
  return inferBroadcast(
      loc, {adaptor.getCondition(), adaptor.getLhs(), adaptor.getRhs()},
      nullptr, inferred);
}

LogicalResult CastOp::verify() {
  if (failed(verifyCompatibleShape(getInput().getType(), getType())))
    return emitOpError("changes the shape");
  auto castable = [](Type type) {
    return type.isIntOrFloat() || isa<Float4E2M1Type, Float8E8M0Type>(type);
  };
  if (!castable(getInput().getType().getElementType()) ||
      !castable(getType().getElementType()))
    return emitOpError("casts only between integer and float types");
  return success();
}

LogicalResult BitcastOp::verify() {
  if (failed(verifyCompatibleShape(getInput().getType(), getType())))
    return emitOpError("changes the shape");
  Type from = getInput().getType().getElementType();
  Type to = getType().getElementType();
  if (!from.isIntOrFloat() || !to.isIntOrFloat() ||
      from.getIntOrFloatBitWidth() != to.getIntOrFloatBitWidth())
    return emitOpError("needs element types of one bit width");
  return success();
}

/// True when `value` is a constant splat equal to `expected`.
static bool isSplatOf(Attribute value, double expected) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(value);
  if (!splat)
    return false;
  Type elementType = splat.getElementType();
  if (isa<FloatType>(elementType))
    return splat.getSplatValue<APFloat>().convertToDouble() == expected;
  if (isa<IntegerType>(elementType))
    return splat.getSplatValue<APInt>().getSExtValue() == expected;
  return false;
}

// x + 0 -> x and x * 1 -> x, when the constant does not broadcast x.
OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), 0.0))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), 0.0))
    return getRhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (getLhs().getType() == getType() && isSplatOf(adaptor.getRhs(), 1.0))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(adaptor.getLhs(), 1.0))
    return getRhs();
  return {};
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto lhsType = rankedOrNull(adaptor.getLhs().getType());
  auto rhsType = rankedOrNull(adaptor.getRhs().getType());
  if (!lhsType || !rhsType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (lhsType.getRank() < 2 || rhsType.getRank() < 2)
    return emitOptionalError(loc, "operands must have rank 2 or more, got ",
                             shapeString(lhsType.getShape()), " and ",
                             shapeString(rhsType.getShape()));
  ArrayRef<int64_t> lhs = lhsType.getShape(), rhs = rhsType.getShape();
  int64_t m = lhs[lhs.size() - 2], k = lhs.back();
  int64_t rhsK = rhs[rhs.size() - 2], n = rhs.back();
  if (k != rhsK && !isDynamic(k) && !isDynamic(rhsK))
    return emitOptionalError(loc, "contraction dimensions differ: ",
                             shapeString(lhs), " x ", shapeString(rhs));
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(lhs.drop_back(2), rhs.drop_back(2),
                                          batch))
    return emitOptionalError(loc, "batch dimensions do not broadcast: ",
                             shapeString(lhs), " x ", shapeString(rhs));
  batch.push_back(m);
  batch.push_back(n);
  inferred.push_back(RankedTensorType::get(batch, lhsType.getElementType()));
  return success();
}

LogicalResult
MatMulIntegerOp::inferReturnTypes(MLIRContext *context,
                                  std::optional<Location> loc, Adaptor adaptor,
                                  SmallVectorImpl<Type> &inferred) {
  auto lhsType = rankedOrNull(adaptor.getLhs().getType());
  auto rhsType = rankedOrNull(adaptor.getRhs().getType());
  if (!lhsType || !rhsType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
    return emitOptionalError(loc, "operands must be matrices, got ",
                             shapeString(lhsType.getShape()), " and ",
                             shapeString(rhsType.getShape()));
  if (!lhsType.getElementType().isInteger(8) ||
      !rhsType.getElementType().isInteger(8))
    return emitOptionalError(loc, "operands must be 8-bit integers");
  ArrayRef<int64_t> lhs = lhsType.getShape(), rhs = rhsType.getShape();
  if (lhs[1] != rhs[0] && !isDynamic(lhs[1]) && !isDynamic(rhs[0]))
    return emitOptionalError(loc, "contraction dimensions differ: ",
                             shapeString(lhs), " x ", shapeString(rhs));
  inferred.push_back(
      RankedTensorType::get({lhs[0], rhs[1]}, IntegerType::get(context, 32)));
  return success();
}

namespace {
/// [..., M, K] x [K, N] -> reshape([P * M, K] x [K, N]): one matrix product
/// (which the packed micro-kernel handles) instead of P batched ones.
struct FlattenMatMulBatch : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhsType = op.getLhs().getType();
    auto rhsType = op.getRhs().getType();
    auto resultType = op.getType();
    if (lhsType.getRank() <= 2 || rhsType.getRank() != 2 ||
        !lhsType.hasStaticShape() || !resultType.hasStaticShape())
      return failure();
    int64_t k = lhsType.getShape().back();
    auto flatType = RankedTensorType::get({lhsType.getNumElements() / k, k},
                                          lhsType.getElementType());
    Value flat = rewriter.create<ReshapeOp>(op.getLoc(), flatType, op.getLhs());
    Value product = rewriter.create<MatMulOp>(op.getLoc(), flat, op.getRhs());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, resultType, product);
    return success();
  }
};
} // namespace

void MatMulOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                           MLIRContext *context) {
  patterns.add<FlattenMatMulBatch>(context);
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// Output size of a sliding window along one spatial dimension.
static int64_t windowOutputSize(int64_t input, int64_t kernel, int64_t stride,
                                int64_t dilation, int64_t padBegin,
                                int64_t padEnd, bool ceilMode) {
  if (isDynamic(input) || isDynamic(kernel))
    return ShapedType::kDynamic;
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t room = input + padBegin + padEnd - span;
  if (room < 0)
    return 0;
  int64_t out = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1;
  // A window may not start inside the end padding only.
  if (ceilMode && (out - 1) * stride >= input + padBegin)
    --out;
  return out;
}

/// Appends the output size of each spatial dim of a window op.
static void appendWindowOutputs(SmallVectorImpl<int64_t> &shape,
                                ArrayRef<int64_t> input,
                                ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> dilations,
                                ArrayRef<int64_t> pads, bool ceilMode) {
  size_t spatialRank = kernel.size();
  for (size_t i = 0; i < spatialRank; ++i)
    shape.push_back(windowOutputSize(input[i], kernel[i], strides[i],
                                     dilations[i], pads[i],
                                     pads[i + spatialRank], ceilMode));
}

/// Checks the window attributes of a conv or pool over `spatialRank` dims.
static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      size_t spatialRank,
                                      ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> dilations,
                                      ArrayRef<int64_t> pads) {
  if (strides.size() != spatialRank || dilations.size() != spatialRank ||
      pads.size() != 2 * spatialRank)
    return emitOptionalError(loc, "expected ", spatialRank, " strides, ",
                             spatialRank, " dilations and ", 2 * spatialRank,
                             " pads, got ", strides.size(), ", ",
                             dilations.size(), " and ", pads.size());
  // Bounded so that window arithmetic ((kernel - 1) * dilation + pads) stays
  // far from overflow.
  constexpr int64_t kLimit = int64_t(1) << 30;
  for (size_t i = 0; i < spatialRank; ++i) {
    if (strides[i] < 1 || dilations[i] < 1)
      return emitOptionalError(loc, "strides and dilations must be >= 1");
    if (pads[i] < 0 || pads[i + spatialRank] < 0)
      return emitOptionalError(loc, "pads must be >= 0");
    if (strides[i] > kLimit || dilations[i] > kLimit || pads[i] > kLimit ||
        pads[i + spatialRank] > kLimit)
      return emitOptionalError(loc, "strides, dilations and pads must be at "
                                    "most 2^30");
  }
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  auto filterType = rankedOrNull(adaptor.getFilter().getType());
  if (!inputType || !filterType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  ArrayRef<int64_t> input = inputType.getShape(),
                    filter = filterType.getShape();
  if (input.size() < 3 || input.size() != filter.size())
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter),
                             " must have the same rank, 3 or more");
  size_t spatialRank = input.size() - 2;
  ArrayRef<int64_t> strides = adaptor.getStrides(),
                    dilations = adaptor.getDilations(),
                    pads = adaptor.getPads();
  if (failed(checkWindowAttrs(loc, spatialRank, strides, dilations, pads)))
    return failure();
  for (int64_t size : filter.drop_front(2))
    if (size == 0)
      return emitOptionalError(loc, "filter ", shapeString(filter),
                               " has an empty window");
  int64_t group = adaptor.getGroup();
  bool channelsKnown =
      !isDynamic(input[1]) && !isDynamic(filter[1]) && !isDynamic(filter[0]);
  if (group < 1 || (channelsKnown &&
                    (input[1] != filter[1] * group || filter[0] % group != 0)))
    return emitOptionalError(loc, "input ", shapeString(input), ", filter ",
                             shapeString(filter), " and group ", group,
                             " do not agree on channels");
  SmallVector<int64_t> shape = {input[0], filter[0]};
  appendWindowOutputs(shape, input.slice(2, spatialRank),
                      filter.slice(2, spatialRank), strides, dilations, pads,
                      /*ceilMode=*/false);
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

/// The operands of an integer conv: ranked tensors, the input of i8 or i16
/// and the filter of i8 (`blocked`: of the input's type).
template <typename Adaptor>
static LogicalResult
integerConvOperands(std::optional<Location> loc, Adaptor adaptor, bool blocked,
                    RankedTensorType &inputType, RankedTensorType &filterType) {
  inputType = rankedOrNull(adaptor.getInput().getType());
  filterType = rankedOrNull(adaptor.getFilter().getType());
  if (!inputType || !filterType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  Type input = inputType.getElementType(), filter = filterType.getElementType();
  if (!(input.isInteger(8) || input.isInteger(16)) ||
      !(blocked ? filter == input : filter.isInteger(8)))
    return emitOptionalError(
        loc, blocked ? "operands must be both i8 or both i16"
                     : "the input must be i8 or i16 and the filter i8");
  return success();
}

/// [N, F, O..(, lanes)] of i32 sums: the window outputs of an integer conv.
template <typename Adaptor>
static void inferIntegerConvResult(MLIRContext *context, Adaptor adaptor,
                                   ArrayRef<int64_t> input,
                                   ArrayRef<int64_t> filter, size_t spatialRank,
                                   std::optional<int64_t> lanes,
                                   SmallVectorImpl<Type> &inferred) {
  SmallVector<int64_t> shape = {input[0], filter[0]};
  appendWindowOutputs(shape, input.slice(2, spatialRank),
                      filter.slice(2, spatialRank), adaptor.getStrides(),
                      adaptor.getDilations(), adaptor.getPads(),
                      /*ceilMode=*/false);
  if (lanes)
    shape.push_back(*lanes);
  inferred.push_back(
      RankedTensorType::get(shape, IntegerType::get(context, 32)));
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType, filterType;
  if (failed(integerConvOperands(loc, adaptor, /*blocked=*/false, inputType,
                                 filterType)))
    return failure();
  ArrayRef<int64_t> input = inputType.getShape(),
                    filter = filterType.getShape();
  if (input.size() < 3 || input.size() != filter.size())
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter),
                             " must have the same rank, 3 or more");
  size_t spatialRank = input.size() - 2;
  if (failed(checkWindowAttrs(loc, spatialRank, adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads())))
    return failure();
  for (int64_t size : filter.drop_front(2))
    if (size == 0)
      return emitOptionalError(loc, "filter ", shapeString(filter),
                               " has an empty window");
  if (input[1] != filter[1] && !isDynamic(input[1]) && !isDynamic(filter[1]))
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter), " do not agree on channels");
  inferIntegerConvResult(context, adaptor, input, filter, spatialRank,
                         std::nullopt, inferred);
  return success();
}

template <typename Adaptor>
static LogicalResult inferPool(std::optional<Location> loc, Adaptor adaptor,
                               SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  int64_t minRank = adaptor.getBlocked() ? 4 : 3;
  if (!inputType || inputType.getRank() < minRank)
    return emitOptionalError(loc, "input must be a ranked tensor of rank ",
                             minRank, " or more");
  ArrayRef<int64_t> input = inputType.getShape();
  size_t spatialRank = input.size() - (adaptor.getBlocked() ? 3 : 2);
  ArrayRef<int64_t> kernel = adaptor.getKernelShape();
  if (kernel.size() != spatialRank)
    return emitOptionalError(loc, "expected ", spatialRank,
                             " kernel dimensions, got ", kernel.size());
  for (int64_t size : kernel)
    if (size < 1 || size > (int64_t(1) << 30))
      return emitOptionalError(loc, "kernel_shape ", shapeString(kernel),
                               " must hold sizes from 1 to 2^30");
  if (failed(checkWindowAttrs(loc, spatialRank, adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads())))
    return failure();
  SmallVector<int64_t> shape = {input[0], input[1]};
  appendWindowOutputs(shape, input.slice(2, spatialRank), kernel,
                      adaptor.getStrides(), adaptor.getDilations(),
                      adaptor.getPads(), adaptor.getCeilMode());
  if (adaptor.getBlocked())
    shape.push_back(input.back());
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferPool(loc, adaptor, inferred);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferPool(loc, adaptor, inferred);
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferReduce(std::optional<Location> loc, Adaptor adaptor,
                                 SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType)
    return emitOptionalError(loc, "input must be a ranked tensor");
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : adaptor.getAxes()) {
    int64_t normalized = normalizeAxis(axis, rank);
    if (normalized < 0)
      return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                               rank);
    reduced[normalized] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(inputType.getDimSize(i));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

#define DLC_REDUCE_INFER(OP)                                                   \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferReduce(loc, adaptor, inferred);                                \
  }
DLC_REDUCE_INFER(ReduceSumOp)
DLC_REDUCE_INFER(ReduceMeanOp)
DLC_REDUCE_INFER(ReduceMaxOp)
DLC_REDUCE_INFER(ReduceMinOp)
DLC_REDUCE_INFER(ReduceProdOp)
#undef DLC_REDUCE_INFER

template <typename Adaptor>
static LogicalResult
inferArgReduce(MLIRContext *context, std::optional<Location> loc,
               Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType)
    return emitOptionalError(loc, "input must be a ranked tensor");
  int64_t rank = inputType.getRank();
  auto axisOr = inferAxis(loc, adaptor.getAxis(), rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis)
      shape.push_back(inputType.getDimSize(d));
    else if (adaptor.getKeepdims())
      shape.push_back(1);
  }
  inferred.push_back(
      RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferArgReduce(context, loc, adaptor, inferred);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  return inferArgReduce(context, loc, adaptor, inferred);
}

LogicalResult CumSumOp::verify() {
  int64_t rank = getType().getRank();
  if (normalizeAxis(getAxis(), rank) < 0)
    return emitOpError("axis ") << static_cast<int64_t>(getAxis())
                                << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  if (normalizeAxis(getAxis(), rank) < 0)
    return emitOpError("axis ") << static_cast<int64_t>(getAxis())
                                << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// Blocked channel layout
//===----------------------------------------------------------------------===//

LogicalResult ToBlockedOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  int64_t block = adaptor.getBlock();
  if (!inputType || inputType.getRank() < 3)
    return emitOptionalError(loc, "input must have rank 3 or more");
  int64_t channels = inputType.getDimSize(1);
  if (block < 1 || (!isDynamic(channels) && channels % block != 0))
    return emitOptionalError(loc, "block ", block, " does not divide ",
                             channels, " channels");
  SmallVector<int64_t> shape(inputType.getShape());
  shape[1] = isDynamic(channels) ? channels : channels / block;
  shape.push_back(block);
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult FromBlockedOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  if (!inputType || inputType.getRank() < 4)
    return emitOptionalError(loc, "input must have rank 4 or more");
  SmallVector<int64_t> shape(inputType.getShape().drop_back());
  int64_t block = inputType.getShape().back();
  shape[1] = isDynamic(shape[1]) || isDynamic(block) ? ShapedType::kDynamic
                                                     : shape[1] * block;
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

OpFoldResult FromBlockedOp::fold(FoldAdaptor) {
  // from_blocked(to_blocked(x)) -> x
  if (auto producer = getInput().getDefiningOp<ToBlockedOp>())
    if (producer.getInput().getType() == getType())
      return producer.getInput();
  return {};
}

/// The result of a blocked conv: input [N, C/bi, D.., bi] with filter
/// [F/bo, C/bi, K.., bi, bo], or of a depthwise one: filter [C/b, K.., b].
template <typename Adaptor>
static LogicalResult inferBlockedConv(std::optional<Location> loc,
                                      Adaptor adaptor, bool depthwise,
                                      SmallVectorImpl<Type> &inferred) {
  auto inputType = rankedOrNull(adaptor.getInput().getType());
  auto filterType = rankedOrNull(adaptor.getFilter().getType());
  if (!inputType || !filterType)
    return emitOptionalError(loc, "operands must be ranked tensors");
  ArrayRef<int64_t> input = inputType.getShape(),
                    filter = filterType.getShape();
  size_t filterRank = depthwise ? input.size() - 1 : input.size() + 1;
  if (input.size() < 4 || filter.size() != filterRank)
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter), " are not a blocked ",
                             depthwise ? "depthwise conv's" : "conv's",
                             " shapes");
  size_t spatialRank = input.size() - 3;
  ArrayRef<int64_t> strides = adaptor.getStrides(),
                    dilations = adaptor.getDilations(),
                    pads = adaptor.getPads();
  if (failed(checkWindowAttrs(loc, spatialRank, strides, dilations, pads)))
    return failure();
  // Input blocks and lanes: filter dims 0 and last (depthwise), or 1 and
  // the one before last.
  int64_t inBlocks = depthwise ? filter[0] : filter[1];
  int64_t inLanes = depthwise ? filter.back() : filter[filter.size() - 2];
  if (input[1] != inBlocks || input.back() != inLanes)
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter),
                             " do not agree on channel blocks");
  SmallVector<int64_t> shape = {input[0], depthwise ? input[1] : filter[0]};
  appendWindowOutputs(shape, input.slice(2, spatialRank),
                      filter.slice(depthwise ? 1 : 2, spatialRank), strides,
                      dilations, pads, /*ceilMode=*/false);
  shape.push_back(filter.back());
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult BlockedConvOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  return inferBlockedConv(loc, adaptor, /*depthwise=*/false, inferred);
}

LogicalResult BlockedDepthwiseConvOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferBlockedConv(loc, adaptor, /*depthwise=*/true, inferred);
}

LogicalResult BlockedConvIntegerOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  RankedTensorType inputType, filterType;
  if (failed(integerConvOperands(loc, adaptor, /*blocked=*/true, inputType,
                                 filterType)))
    return failure();
  ArrayRef<int64_t> input = inputType.getShape(),
                    filter = filterType.getShape();
  // The channels of one 32-bit group: 4 bytes or 2 words.
  int64_t group = 32 / inputType.getElementTypeBitWidth();
  if (input.size() < 4 || filter.size() != input.size() + 1 ||
      filter.back() % group != 0 || input[1] != filter[1] ||
      input.back() != group * filter[filter.size() - 2])
    return emitOptionalError(loc, "input ", shapeString(input), " and filter ",
                             shapeString(filter),
                             " are not a blocked integer conv's shapes");
  size_t spatialRank = input.size() - 3;
  if (failed(checkWindowAttrs(loc, spatialRank, adaptor.getStrides(),
                              adaptor.getDilations(), adaptor.getPads())))
    return failure();
  inferIntegerConvResult(context, adaptor, input, filter, spatialRank,
                         filter.back() / group, inferred);
  return success();
}

//===----------------------------------------------------------------------===//
// FusedOp
//===----------------------------------------------------------------------===//

void FusedOp::build(OpBuilder &builder, OperationState &state, Type resultType,
                    ValueRange inputs) {
  state.addOperands(inputs);
  state.addTypes(resultType);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

LogicalResult FusedOp::verify() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError("has ") << getInputs().size() << " inputs but "
                               << block.getNumArguments() << " block arguments";
  // Types agree where both are known; shape inference makes them equal.
  for (auto [input, argument] : llvm::zip(getInputs(), block.getArguments()))
    if (!compatibleTypes(input.getType(), argument.getType()))
      return emitOpError("block argument type ")
             << argument.getType() << " differs from input type "
             << input.getType();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError("must end with dlc.yield");
  if (!compatibleTypes(yield.getValue().getType(), getType()))
    return emitOpError("yields ")
           << yield.getValue().getType() << " but returns " << getType();
  return success();
}

Operation *FusedOp::getRoot() {
  auto yield = cast<YieldOp>(getBody().front().getTerminator());
  return yield.getValue().getDefiningOp();
}

Operation *FusedOp::getAnchor() {
  for (Operation &member : getBody().front().without_terminator()) {
    auto kindOp = dyn_cast<PatternKindInterface>(&member);
    if (!kindOp)
      continue;
    PatternKind kind = kindOp.getPatternKind();
    if (kind == PatternKind::OutEWiseFusable || kind == PatternKind::Reduction)
      return &member;
  }
  return nullptr;
}

#define GET_OP_CLASSES
#include "compiler/dialect/DlcOps.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "compiler/dialect/DlcTypes.cpp.inc"
