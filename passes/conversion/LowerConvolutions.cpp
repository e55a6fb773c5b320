//===- LowerConvolutions.cpp - conv and the blocked layout ----------------===//
//
// Lowers dlc.conv and the blocked-layout ops (to_blocked, from_blocked,
// conv_blocked, depthwise_conv_blocked); the blocked-conv micro-kernel is
// ConvMicrokernel.cpp. Part of the convert-dlc-to-linalg pass.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <algorithm>
#include <limits>
#include <type_traits>

using namespace mlir;
using namespace dlc;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// The contraction shared by dlc.conv, dlc.conv_blocked and
/// dlc.depthwise_conv_blocked: acc += x * w over loops of `iterators` into a
/// zero-filled result. Without padding x comes through `inputExprs`; with
/// padding the body reads it with `readInput` (zero outside the input).
/// `integer8` (the integer convs): x zero-extended from i8 or sign-extended
/// from i16, and w sign-extended, to the result's i32.
Value buildConvolution(
    OpBuilder &b, Location loc, RankedTensorType resultType, Value input,
    Value filter, ArrayRef<IteratorType> iterators,
    ArrayRef<AffineExpr> inputExprs, ArrayRef<AffineExpr> filterExprs,
    ArrayRef<AffineExpr> outputExprs, bool padded,
    function_ref<Value(OpBuilder &, Location, Value)> readInput,
    bool integer8 = false) {
  int64_t numLoops = iterators.size();
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps = {
      AffineMap::get(numLoops, 0, filterExprs, context),
      AffineMap::get(numLoops, 0, outputExprs, context)};
  SmallVector<Value> inputs = {filter};
  if (!padded) {
    maps.insert(maps.begin(), AffineMap::get(numLoops, 0, inputExprs, context));
    inputs.insert(inputs.begin(), input);
  }
  Value zero = scalarConstant(b, loc, resultType.getElementType(), 0.0);
  Value init = filledTensor(b, loc, resultType, zero);
  Type inputElement = cast<RankedTensorType>(input.getType()).getElementType();
  Value padValue = integer8 ? scalarConstant(b, loc, inputElement, 0.0) : zero;
  // i8 inputs are unsigned bytes, i16 ones signed words.
  bool unsignedInput = inputElement.isInteger(8);
  return b
      .create<linalg::GenericOp>(
          loc, resultType, inputs, init, maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value w = args[args.size() - 2], acc = args.back();
            Value x = padded ? readInput(nested, nestedLoc, padValue) : args[0];
            if (integer8) {
              Type i32 = nested.getI32Type();
              x = unsignedInput
                      ? nested.create<arith::ExtUIOp>(nestedLoc, i32, x)
                            .getResult()
                      : nested.create<arith::ExtSIOp>(nestedLoc, i32, x)
                            .getResult();
              w = nested.create<arith::ExtSIOp>(nestedLoc, i32, w);
            }
            Value product = mulScalars(nested, nestedLoc, x, w);
            nested.create<linalg::YieldOp>(
                nestedLoc, addScalars(nested, nestedLoc, acc, product));
          })
      .getResult(0);
}

} // namespace

Value dlc::padInput(OpBuilder &b, Location loc, Value input,
                    ArrayRef<int64_t> pads) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank(), spatialRank = rank - 2;
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 0; i < spatialRank; ++i)
    shape[2 + i] += pads[i] + pads[spatialRank + i];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return b
      .create<linalg::GenericOp>(
          loc, paddedType, ValueRange{},
          b.create<tensor::EmptyOp>(loc, shape, type.getElementType())
              .getResult(),
          ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)},
          SmallVector<IteratorType>(rank, IteratorType::parallel),
          [&](OpBuilder &nb, Location nestedLoc, ValueRange) {
            auto at = [&](int64_t d) -> Value {
              return nb.create<linalg::IndexOp>(nestedLoc, d);
            };
            SmallVector<Value> positions;
            for (int64_t i = 0; i < spatialRank; ++i)
              positions.push_back(at(2 + i));
            Value zero =
                scalarConstant(nb, nestedLoc, type.getElementType(), 0.0);
            nb.create<linalg::YieldOp>(
                nestedLoc,
                readPaddedInput(nb, nestedLoc, input, at(0), at(1), positions,
                                pads.take_front(spatialRank), zero));
          })
      .getResult(0);
}

namespace {

/// The group of a conv: dlc.conv_integer has none.
int64_t groupOf(ConvOp op) { return op.getGroup(); }
int64_t groupOf(ConvIntegerOp) { return 1; }

/// dlc.conv and dlc.conv_integer as one generic.
template <typename OpTy> struct ConvLowering : OpConversionPattern<OpTy> {
  ConvLowering(MLIRContext *context, ConvKernelTarget target)
      : OpConversionPattern<OpTy>(context), target(target) {}
  ConvKernelTarget target;
  static constexpr bool integer8 = std::is_same_v<OpTy, ConvIntegerOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elementType = resultType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    auto filterType = cast<RankedTensorType>(adaptor.getFilter().getType());
    int64_t spatialRank = resultType.getRank() - 2;
    ArrayRef<int64_t> pads = op.getPads();
    Value input = adaptor.getInput();
    bool padded = anyNonZero(pads);
    if (padded && target.paddedInputCopy) {
      input = padInput(rewriter, loc, input, pads);
      padded = false;
    }
    // Loops: n, f, o_1..o_k (parallel), c, k_1..k_k (reduction).
    MLIRContext *context = rewriter.getContext();
    int64_t numLoops = 2 + spatialRank + 1 + spatialRank;
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
    AffineExpr n = dim(0), f = dim(1), c = dim(2 + spatialRank);
    int64_t group = groupOf(op);
    int64_t filtersPerGroup = filterType.getDimSize(0) / group;
    int64_t channelsPerGroup = filterType.getDimSize(1);
    AffineExpr inputChannel =
        group == 1 ? c : f.floorDiv(filtersPerGroup) * channelsPerGroup + c;
    SmallVector<AffineExpr> inputExprs = {n, inputChannel};
    SmallVector<AffineExpr> filterExprs = {f, c};
    SmallVector<AffineExpr> outputExprs = {n, f};
    for (int64_t i = 0; i < spatialRank; ++i) {
      AffineExpr out = dim(2 + i), window = dim(3 + spatialRank + i);
      inputExprs.push_back(out * op.getStrides()[i] +
                           window * op.getDilations()[i]);
      filterExprs.push_back(window);
      outputExprs.push_back(out);
    }
    auto readInput = [&](OpBuilder &b, Location nestedLoc,
                         Value zero) -> Value {
      Value batch = b.create<linalg::IndexOp>(nestedLoc, 0);
      Value channel = b.create<linalg::IndexOp>(nestedLoc, 2 + spatialRank);
      if (group != 1) { // (f / filtersPerGroup) * channelsPerGroup + c
        Value filterIndex = b.create<linalg::IndexOp>(nestedLoc, 1);
        Value groupIndex = b.create<arith::DivUIOp>(
            nestedLoc, filterIndex,
            b.create<arith::ConstantIndexOp>(nestedLoc, filtersPerGroup));
        channel = b.create<arith::AddIOp>(
            nestedLoc,
            b.create<arith::MulIOp>(
                nestedLoc, groupIndex,
                b.create<arith::ConstantIndexOp>(nestedLoc, channelsPerGroup)),
            channel);
      }
      SmallVector<Value> positions;
      for (int64_t i = 0; i < spatialRank; ++i)
        positions.push_back(
            windowPosition(b, nestedLoc, 2 + i, 3 + spatialRank + i,
                           op.getStrides()[i], op.getDilations()[i]));
      return readPaddedInput(b, nestedLoc, input, batch, channel, positions,
                             pads.take_front(spatialRank), zero);
    };
    SmallVector<IteratorType> iterators(2 + spatialRank,
                                        IteratorType::parallel);
    iterators.append(numLoops - iterators.size(), IteratorType::reduction);
    Value result = buildConvolution(
        rewriter, loc, resultType, input, adaptor.getFilter(), iterators,
        inputExprs, filterExprs, outputExprs, padded, readInput, integer8);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Blocked channel layout
//===----------------------------------------------------------------------===//

/// dlc.to_blocked / dlc.from_blocked: one generic each, the block index
/// computed from the channel index (c = cb * b + ci).
template <typename OpTy, bool toBlocked>
struct BlockLayoutLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    auto blockedType =
        toBlocked ? resultType
                  : cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t block = blockedType.getShape().back();
    MLIRContext *context = rewriter.getContext();
    int64_t loops = resultType.getRank();
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
    SmallVector<AffineExpr> inputExprs = {dim(0)};
    if (toBlocked) { // (n, cb, d.., ci) -> (n, cb * b + ci, d..)
      inputExprs.push_back(dim(1) * block + dim(loops - 1));
      for (int64_t d = 2; d < loops - 1; ++d)
        inputExprs.push_back(dim(d));
    } else { // (n, c, d..) -> (n, c / b, d.., c % b)
      inputExprs.push_back(dim(1).floorDiv(block));
      for (int64_t d = 2; d < loops; ++d)
        inputExprs.push_back(dim(d));
      inputExprs.push_back(dim(1) % block);
    }
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, inputExprs, context),
        rewriter.getMultiDimIdentityMap(loops)};
    Value init = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), resultType.getShape(), resultType.getElementType());
    auto generic = rewriter.create<linalg::GenericOp>(
        op.getLoc(), resultType, adaptor.getInput(), init, maps,
        SmallVector<IteratorType>(loops, IteratorType::parallel),
        [](OpBuilder &b, Location loc, ValueRange args) {
          b.create<linalg::YieldOp>(loc, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// A blocked conv (plain or depthwise): the micro-kernel when enabled and
/// it supports the op, else `Derived::lowerToLoops`, the generic lowering.
template <typename OpTy, typename Derived>
struct MicrokernelFirst : OpConversionPattern<OpTy> {
  MicrokernelFirst(MLIRContext *context, ConvKernelTarget kernel)
      : OpConversionPattern<OpTy>(context), kernel(kernel) {}
  ConvKernelTarget kernel;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (kernel.enabled)
      if (Value result = buildBlockedConvKernel(
              rewriter, op.getLoc(), op, adaptor.getInput(),
              adaptor.getFilter(), nullptr, kernel)) {
        rewriter.replaceOp(op, result);
        return success();
      }
    return static_cast<const Derived *>(this)->lowerToLoops(op, adaptor,
                                                            rewriter);
  }
};

/// Loops (n, cb, o_1..o_k | k_1..k_k | ci): the channel lane stays the
/// innermost loop, under the window, so that LLVM vectorizes it over the
/// contiguous channels of a block.
struct BlockedDepthwiseConvLowering
    : MicrokernelFirst<BlockedDepthwiseConvOp, BlockedDepthwiseConvLowering> {
  using MicrokernelFirst::MicrokernelFirst;

  LogicalResult lowerToLoops(BlockedDepthwiseConvOp op,
                             typename BlockedDepthwiseConvOp::Adaptor adaptor,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    if (!isFloatOrInt(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t spatialRank = resultType.getRank() - 3;
    ArrayRef<int64_t> pads = op.getPads();
    bool padded = anyNonZero(pads);
    Value input = adaptor.getInput();
    MLIRContext *context = rewriter.getContext();
    int64_t window = 2 + spatialRank, lane = window + spatialRank;
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
    SmallVector<AffineExpr> inputExprs = {dim(0), dim(1)};
    SmallVector<AffineExpr> filterExprs = {dim(1)};
    SmallVector<AffineExpr> outputExprs = {dim(0), dim(1)};
    for (int64_t i = 0; i < spatialRank; ++i) {
      inputExprs.push_back(dim(2 + i) * op.getStrides()[i] +
                           dim(window + i) * op.getDilations()[i]);
      filterExprs.push_back(dim(window + i));
      outputExprs.push_back(dim(2 + i));
    }
    inputExprs.push_back(dim(lane));
    filterExprs.push_back(dim(lane));
    outputExprs.push_back(dim(lane));
    SmallVector<IteratorType> iterators(window, IteratorType::parallel);
    iterators.append(spatialRank, IteratorType::reduction);
    iterators.push_back(IteratorType::parallel); // the channel lane
    auto readInput = [&](OpBuilder &b, Location nestedLoc,
                         Value zero) -> Value {
      SmallVector<Value> positions;
      for (int64_t i = 0; i < spatialRank; ++i)
        positions.push_back(windowPosition(b, nestedLoc, 2 + i, window + i,
                                           op.getStrides()[i],
                                           op.getDilations()[i]));
      return readPaddedInput(b, nestedLoc, input,
                             b.create<linalg::IndexOp>(nestedLoc, 0),
                             b.create<linalg::IndexOp>(nestedLoc, 1), positions,
                             pads.take_front(spatialRank), zero,
                             b.create<linalg::IndexOp>(nestedLoc, lane));
    };
    Value result = buildConvolution(
        rewriter, loc, resultType, input, adaptor.getFilter(), iterators,
        inputExprs, filterExprs, outputExprs, padded, readInput);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// dlc.conv_blocked: loops n, fo, o_1..o_k, fi (parallel); co, k_1..k_k,
/// ci (reduction). dlc.conv_integer_blocked splits ci into cg, cl (input
/// lane cg * g + cl, g = 4 for bytes, 2 for words) and reads its filter's
/// last dim bo * g as [bo, g] (filter [fo, co, k.., cg, fi, cl]): every
/// loop is then one dim of an
/// operand, which the input is not with padding.
template <typename OpTy>
struct BlockedConvLowering : MicrokernelFirst<OpTy, BlockedConvLowering<OpTy>> {
  using MicrokernelFirst<OpTy, BlockedConvLowering<OpTy>>::MicrokernelFirst;
  static constexpr bool integer8 = std::is_same_v<OpTy, BlockedConvIntegerOp>;

  LogicalResult lowerToLoops(OpTy op, typename OpTy::Adaptor adaptor,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    if (!isFloatOrInt(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t spatialRank = resultType.getRank() - 3;
    ArrayRef<int64_t> pads = op.getPads();
    bool padded = anyNonZero(pads);
    Value input = adaptor.getInput();
    MLIRContext *context = rewriter.getContext();
    int64_t fi = 2 + spatialRank, co = fi + 1, ci = co + 1 + spatialRank;
    int64_t cl = ci + 1; // integer8: ci is the group cg, cl its lane
    int64_t numLoops = integer8 ? cl + 1 : ci + 1;
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
    SmallVector<AffineExpr> inputExprs = {dim(0), dim(co)};
    SmallVector<AffineExpr> filterExprs = {dim(1), dim(co)};
    SmallVector<AffineExpr> outputExprs = {dim(0), dim(1)};
    for (int64_t i = 0; i < spatialRank; ++i) {
      AffineExpr out = dim(2 + i), window = dim(co + 1 + i);
      inputExprs.push_back(out * op.getStrides()[i] +
                           window * op.getDilations()[i]);
      filterExprs.push_back(window);
      outputExprs.push_back(out);
    }
    Value filter = adaptor.getFilter();
    // The integer conv's channels per 32-bit group: 4 bytes or 2 words.
    int64_t channelGroup =
        32 / cast<RankedTensorType>(input.getType()).getElementTypeBitWidth();
    if (integer8) {
      inputExprs.push_back(dim(ci) * channelGroup + dim(cl));
      filterExprs.append({dim(ci), dim(fi), dim(cl)});
      auto filterType = cast<RankedTensorType>(filter.getType());
      SmallVector<int64_t> expandedShape(filterType.getShape());
      expandedShape.back() /= channelGroup;
      expandedShape.push_back(channelGroup);
      SmallVector<ReassociationIndices> reassociation;
      for (int64_t d = 0; d + 1 < filterType.getRank(); ++d)
        reassociation.push_back({d});
      reassociation.push_back({filterType.getRank() - 1, filterType.getRank()});
      filter = rewriter.create<tensor::ExpandShapeOp>(
          loc,
          RankedTensorType::get(expandedShape, filterType.getElementType()),
          filter, reassociation);
    } else {
      inputExprs.push_back(dim(ci));
      filterExprs.append({dim(ci), dim(fi)});
    }
    outputExprs.push_back(dim(fi));
    auto readInput = [&](OpBuilder &b, Location nestedLoc,
                         Value zero) -> Value {
      SmallVector<Value> positions;
      for (int64_t i = 0; i < spatialRank; ++i)
        positions.push_back(windowPosition(b, nestedLoc, 2 + i, co + 1 + i,
                                           op.getStrides()[i],
                                           op.getDilations()[i]));
      Value lane = b.create<linalg::IndexOp>(nestedLoc, ci);
      if (integer8)
        lane = b.create<arith::AddIOp>(
            nestedLoc,
            b.create<arith::MulIOp>(
                nestedLoc, lane,
                b.create<arith::ConstantIndexOp>(nestedLoc, channelGroup)),
            b.create<linalg::IndexOp>(nestedLoc, cl));
      return readPaddedInput(
          b, nestedLoc, input, b.create<linalg::IndexOp>(nestedLoc, 0),
          b.create<linalg::IndexOp>(nestedLoc, co), positions,
          pads.take_front(spatialRank), zero, lane);
    };
    SmallVector<IteratorType> iterators(co, IteratorType::parallel);
    iterators.append(numLoops - co, IteratorType::reduction);
    Value result = buildConvolution(rewriter, loc, resultType, input, filter,
                                    iterators, inputExprs, filterExprs,
                                    outputExprs, padded, readInput, integer8);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void dlc::populateConvolutionLoweringPatterns(RewritePatternSet &patterns,
                                              ConvKernelTarget convKernel) {
  patterns.add<BlockedConvLowering<BlockedConvOp>,
               BlockedConvLowering<BlockedConvIntegerOp>,
               BlockedDepthwiseConvLowering>(patterns.getContext(), convKernel);
  patterns.add<ConvLowering<ConvOp>, ConvLowering<ConvIntegerOp>>(
      patterns.getContext(), convKernel);
  patterns.add<BlockLayoutLowering<ToBlockedOp, true>,
               BlockLayoutLowering<FromBlockedOp, false>>(
      patterns.getContext());
}
