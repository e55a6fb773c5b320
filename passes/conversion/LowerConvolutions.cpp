//===- LowerConvolutions.cpp - conv, blocked layout, conv micro-kernel ----===//
//
// Lowers dlc.conv, the blocked-layout ops (to_blocked, from_blocked,
// conv_blocked, depthwise_conv_blocked) and builds the blocked-conv
// micro-kernel. Part of the convert-dlc-to-linalg pass.
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
Value buildConvolution(
    OpBuilder &b, Location loc, RankedTensorType resultType, Value input,
    Value filter, ArrayRef<IteratorType> iterators,
    ArrayRef<AffineExpr> inputExprs, ArrayRef<AffineExpr> filterExprs,
    ArrayRef<AffineExpr> outputExprs, bool padded,
    function_ref<Value(OpBuilder &, Location, Value)> readInput) {
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
  return b
      .create<linalg::GenericOp>(
          loc, resultType, inputs, init, maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value w = args[args.size() - 2], acc = args.back();
            Value x = padded ? readInput(nested, nestedLoc, zero) : args[0];
            Value product = mulScalars(nested, nestedLoc, x, w);
            nested.create<linalg::YieldOp>(
                nestedLoc, addScalars(nested, nestedLoc, acc, product));
          })
      .getResult(0);
}

/// `input` (N, C, spatial..., or N, C/c, H, W, c when `blocked`) with
/// `pads` (begins, then ends) of zeros around its spatial dims: one loop nest
/// that writes each value once.
static Value padInput(OpBuilder &b, Location loc, Value input,
                      ArrayRef<int64_t> pads, bool blocked = false) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank(), spatialRank = rank - 2 - blocked;
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
                                pads.take_front(spatialRank), zero,
                                blocked ? at(rank - 1) : Value()));
          })
      .getResult(0);
}

struct ConvLowering : OpConversionPattern<ConvOp> {
  ConvLowering(MLIRContext *context, ConvKernelTarget target)
      : OpConversionPattern(context), target(target) {}
  ConvKernelTarget target;

  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
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
    int64_t group = op.getGroup();
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
        inputExprs, filterExprs, outputExprs, padded, readInput);
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
              adaptor.getFilter(), nullptr, kernel.vectorRegisters)) {
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

struct BlockedConvLowering
    : MicrokernelFirst<BlockedConvOp, BlockedConvLowering> {
  using MicrokernelFirst::MicrokernelFirst;

  LogicalResult lowerToLoops(BlockedConvOp op,
                             typename BlockedConvOp::Adaptor adaptor,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elementType = resultType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t spatialRank = resultType.getRank() - 3;
    ArrayRef<int64_t> pads = op.getPads();
    bool padded = anyNonZero(pads);
    Value input = adaptor.getInput();
    // Loops: n, fo, o_1..o_k, fi (parallel); co, k_1..k_k, ci (reduction).
    MLIRContext *context = rewriter.getContext();
    int64_t fi = 2 + spatialRank, co = fi + 1, ci = co + 1 + spatialRank;
    int64_t numLoops = ci + 1;
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
    inputExprs.push_back(dim(ci));
    filterExprs.append({dim(ci), dim(fi)});
    outputExprs.push_back(dim(fi));
    auto readInput = [&](OpBuilder &b, Location nestedLoc,
                         Value zero) -> Value {
      SmallVector<Value> positions;
      for (int64_t i = 0; i < spatialRank; ++i)
        positions.push_back(windowPosition(b, nestedLoc, 2 + i, co + 1 + i,
                                           op.getStrides()[i],
                                           op.getDilations()[i]));
      return readPaddedInput(b, nestedLoc, input,
                             b.create<linalg::IndexOp>(nestedLoc, 0),
                             b.create<linalg::IndexOp>(nestedLoc, co),
                             positions, pads.take_front(spatialRank), zero,
                             b.create<linalg::IndexOp>(nestedLoc, ci));
    };
    SmallVector<IteratorType> iterators(co, IteratorType::parallel);
    iterators.append(numLoops - co, IteratorType::reduction);
    Value result = buildConvolution(
        rewriter, loc, resultType, input, adaptor.getFilter(), iterators,
        inputExprs, filterExprs, outputExprs, padded, readInput);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Blocked convolution micro-kernel
//===----------------------------------------------------------------------===//

/// The register tile of a blocked conv: `pixels` outputs along ow (the
/// last tile of a row may be narrower) x `blocks` channel blocks.
struct ConvTile {
  int64_t pixels, blocks;
};

/// The tile with the fewest estimated cycles per output row. Per input
/// channel (per kernel position for depthwise) a tile of p pixels x c blocks
/// does p * c FMAs (two a cycle) and p + c loads (two a cycle), and takes at
/// least an FMA's latency (5 cycles: each accumulator waits for its previous
/// FMA). It must fit in `registers`: p * c accumulators, c weight vectors
/// and one broadcast (depthwise: p accumulators, the weights and one input),
/// with at most 3/4 of the registers as accumulators (24 of AVX-512's 32,
/// the most the earlier fixed tile used; 12 of AVX2's 16). Of equally fast
/// tiles, one that divides the row wins (one tile shape per row), then the
/// one with more accumulators (fewer loads per FMA).
ConvTile chooseConvTile(int64_t outW, int64_t channelBlocks, bool depthwise,
                        int64_t registers) {
  auto cycles = [](int64_t p, int64_t c) {
    return std::max({0.5 * p * c, 0.5 * (p + c), 5.0});
  };
  ConvTile best{1, 1};
  double bestCost = std::numeric_limits<double>::infinity();
  for (int64_t c : {1, 2, 4}) {
    if ((depthwise && c > 1) || channelBlocks % c != 0)
      continue;
    int64_t maxPixels = depthwise ? registers - 2 : (registers - c - 1) / c;
    maxPixels = std::min<int64_t>({maxPixels, registers * 3 / 4 / c, outW});
    for (int64_t p = 1; p <= maxPixels; ++p) {
      double row =
          (outW / p) * cycles(p, c) + (outW % p ? cycles(outW % p, c) : 0.0);
      double cost = row * static_cast<double>(channelBlocks / c);
      bool divides = outW % p == 0, bestDivides = outW % best.pixels == 0;
      bool tie = cost < bestCost + 1e-9;
      if (cost < bestCost - 1e-9 || (tie && divides && !bestDivides) ||
          (tie && divides == bestDivides &&
           p * c > best.pixels * best.blocks)) {
        best = {p, c};
        bestCost = cost;
      }
    }
  }
  return best;
}

} // namespace

Value dlc::buildBlockedConvKernel(OpBuilder &b, Location loc, Operation *op,
                                  Value input, Value filter,
                                  const ConvEpilogue &epilogue,
                                  int64_t vectorRegisters) {
  // A depthwise conv multiplies lane by lane (input block = output block);
  // a full conv broadcasts each input channel against a block of filters.
  bool depthwise = isa<BlockedDepthwiseConvOp>(op);
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto inputType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  if (resultType.getRank() != 5 || !resultType.getElementType().isF32() ||
      !resultType.hasStaticShape() || !inputType.hasStaticShape())
    return {};
  ArrayRef<int64_t> out = resultType.getShape(), in = inputType.getShape(),
                    w = filterType.getShape();
  int64_t batches = out[0], blocks = out[1], outH = out[2], outW = out[3],
          lanes = out[4];
  int64_t inBlocks = in[1], inH = in[2], inW = in[3], inLanes = in[4];
  int64_t kernelH = depthwise ? w[1] : w[2], kernelW = depthwise ? w[2] : w[3];
  auto attribute = [&](StringRef name) {
    return cast<DenseI64ArrayAttr>(op->getAttr(name)).asArrayRef();
  };
  ArrayRef<int64_t> strides = attribute("strides"),
                    dilations = attribute("dilations");
  SmallVector<int64_t> pads(attribute("pads"));
  // A conv with padding reads one zero-padded copy of its input when it
  // does at least 64 multiply-adds per copied value (every full conv; not a
  // depthwise one, whose 9 per value would not pay for the copy): then no
  // tile needs bounds checks. At 14 x 14 and 7 x 7 outputs every tile
  // touches the border, so the checked tile would be the only one run.
  int64_t work = resultType.getNumElements() * kernelH * kernelW *
                 (depthwise ? 1 : inBlocks * inLanes);
  if (anyNonZero(pads) && work >= 64 * inputType.getNumElements()) {
    input = padInput(b, loc, input, pads, /*blocked=*/true);
    inH = cast<RankedTensorType>(input.getType()).getDimSize(2);
    inW = cast<RankedTensorType>(input.getType()).getDimSize(3);
    pads.assign(pads.size(), 0);
  }
  bool padded = anyNonZero(pads);
  // Register tile: `pixels` outputs along ow x `group` channel blocks; a row
  // whose width `pixels` does not divide ends with a narrower tile.
  ConvTile choice = chooseConvTile(outW, blocks, depthwise, vectorRegisters);
  int64_t pixels = choice.pixels, group = choice.blocks;
  auto vectorType = VectorType::get({lanes}, b.getF32Type());

  // Constants are made where they are used (LLVM hoists them).
  auto index = [&](OpBuilder &at, int64_t v) -> Value {
    return at.create<arith::ConstantIndexOp>(loc, v);
  };
  Value zero = index(b, 0), one = index(b, 1);
  Value zeroF = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
  Value zeroVector = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  auto cmp = [&](OpBuilder &nb, arith::CmpIPredicate predicate, Value lhs,
                 Value rhs) -> Value {
    return nb.create<arith::CmpIOp>(loc, predicate, lhs, rhs);
  };
  auto affine = [&](OpBuilder &nb, Value x, int64_t scale,
                    int64_t offset) -> Value {
    Value scaled = nb.create<arith::MulIOp>(
        loc, x, nb.create<arith::ConstantIndexOp>(loc, scale));
    return nb.create<arith::AddIOp>(
        loc, scaled, nb.create<arith::ConstantIndexOp>(loc, offset));
  };

  // The input row of kernel row kh for output rows from ih0, and (checked)
  // whether it lies inside the input; outside, row 0 is read instead.
  auto inputRow = [&](OpBuilder &nb, Value ih0, Value kh,
                      bool checked) -> std::pair<Value, Value> {
    Value ih =
        nb.create<arith::AddIOp>(loc, ih0, affine(nb, kh, dilations[0], 0));
    if (!checked)
      return {ih, Value()};
    Value ok = nb.create<arith::AndIOp>(
        loc, cmp(nb, arith::CmpIPredicate::sge, ih, zero),
        cmp(nb, arith::CmpIPredicate::slt, ih, index(nb, inH)));
    return {nb.create<arith::SelectOp>(loc, ok, ih, zero), ok};
  };
  // The same for the input column of pixel `i` of the tile at ow0.
  auto inputColumn = [&](OpBuilder &nb, Value ow0, int64_t i, Value kw,
                         Value rowOk, bool checked) -> std::pair<Value, Value> {
    Value ow = nb.create<arith::AddIOp>(loc, ow0, index(nb, i));
    Value iw =
        nb.create<arith::AddIOp>(loc, affine(nb, ow, strides[1], -pads[1]),
                                 affine(nb, kw, dilations[1], 0));
    if (!checked)
      return {iw, Value()};
    Value ok = nb.create<arith::AndIOp>(
        loc, rowOk,
        nb.create<arith::AndIOp>(
            loc, cmp(nb, arith::CmpIPredicate::sge, iw, zero),
            cmp(nb, arith::CmpIPredicate::slt, iw, index(nb, inW))));
    return {nb.create<arith::SelectOp>(loc, ok, iw, zero), ok};
  };

  // Depthwise: the accumulation over (kh, kw) for a tile of `count` pixels,
  // one vector FMA of input and filter lanes per pixel; `checked` reads zero
  // outside the input (border tiles).
  auto accumulateDepthwise = [&](OpBuilder &nb, Value n, Value block, Value ih0,
                                 Value ow0, int64_t count,
                                 bool checked) -> SmallVector<Value> {
    SmallVector<Value> initial(count, zeroVector);
    auto khLoop =
        nb.create<scf::ForOp>(loc, zero, index(nb, kernelH), one, initial);
    OpBuilder hb = OpBuilder::atBlockBegin(khLoop.getBody());
    Value kh = khLoop.getInductionVar();
    auto [ih, rowOk] = inputRow(hb, ih0, kh, checked);
    auto kwLoop = hb.create<scf::ForOp>(loc, zero, index(hb, kernelW), one,
                                        khLoop.getRegionIterArgs());
    OpBuilder wb = OpBuilder::atBlockBegin(kwLoop.getBody());
    Value kw = kwLoop.getInductionVar();
    Value weights = wb.create<vector::TransferReadOp>(
        loc, vectorType, filter, ValueRange{block, kh, kw, zero}, zeroF,
        ArrayRef<bool>{true});
    SmallVector<Value> next(kwLoop.getRegionIterArgs());
    for (int64_t i = 0; i < count; ++i) {
      auto [iw, ok] = inputColumn(wb, ow0, i, kw, rowOk, checked);
      Value x = wb.create<vector::TransferReadOp>(
          loc, vectorType, input, ValueRange{n, block, ih, iw, zero}, zeroF,
          ArrayRef<bool>{true});
      if (checked)
        x = wb.create<arith::SelectOp>(loc, ok, x, zeroVector);
      next[i] = wb.create<vector::FMAOp>(loc, x, weights, next[i]);
    }
    wb.create<scf::YieldOp>(loc, next);
    hb.create<scf::YieldOp>(loc, kwLoop.getResults());
    return SmallVector<Value>(khLoop.getResults());
  };

  // The accumulation over (co, kh, kw, ci) for a tile of `count` pixels x
  // `group` blocks; `checked` reads zero outside the input (border tiles).
  auto accumulate = [&](OpBuilder &nb, Value n, Value fo, Value ih0, Value ow0,
                        int64_t count, bool checked) -> SmallVector<Value> {
    if (depthwise)
      return accumulateDepthwise(nb, n, fo, ih0, ow0, count, checked);
    SmallVector<Value> initial(count * group, zeroVector);
    auto coLoop =
        nb.create<scf::ForOp>(loc, zero, index(nb, inBlocks), one, initial);
    OpBuilder cb = OpBuilder::atBlockBegin(coLoop.getBody());
    Value co = coLoop.getInductionVar();
    auto khLoop = cb.create<scf::ForOp>(loc, zero, index(cb, kernelH), one,
                                        coLoop.getRegionIterArgs());
    OpBuilder hb = OpBuilder::atBlockBegin(khLoop.getBody());
    Value kh = khLoop.getInductionVar();
    auto [ih, rowOk] = inputRow(hb, ih0, kh, checked);
    auto kwLoop = hb.create<scf::ForOp>(loc, zero, index(hb, kernelW), one,
                                        khLoop.getRegionIterArgs());
    OpBuilder wb = OpBuilder::atBlockBegin(kwLoop.getBody());
    Value kw = kwLoop.getInductionVar();
    // Input columns of the tile's pixels for this kw.
    SmallVector<Value> columns, columnOk;
    for (int64_t i = 0; i < count; ++i) {
      auto [iw, ok] = inputColumn(wb, ow0, i, kw, rowOk, checked);
      columns.push_back(iw);
      columnOk.push_back(ok);
    }
    auto ciLoop = wb.create<scf::ForOp>(loc, zero, index(wb, inLanes), one,
                                        kwLoop.getRegionIterArgs());
    OpBuilder ib = OpBuilder::atBlockBegin(ciLoop.getBody());
    Value ci = ciLoop.getInductionVar();
    SmallVector<Value> weights;
    for (int64_t j = 0; j < group; ++j) {
      Value block = ib.create<arith::AddIOp>(loc, fo, index(ib, j));
      weights.push_back(ib.create<vector::TransferReadOp>(
          loc, vectorType, filter, ValueRange{block, co, kh, kw, ci, zero},
          zeroF, ArrayRef<bool>{true}));
    }
    SmallVector<Value> next(ciLoop.getRegionIterArgs());
    for (int64_t i = 0; i < count; ++i) {
      Value x = ib.create<tensor::ExtractOp>(
          loc, input, ValueRange{n, co, ih, columns[i], ci});
      if (checked)
        x = ib.create<arith::SelectOp>(loc, columnOk[i], x, zeroF);
      Value broadcast = ib.create<vector::BroadcastOp>(loc, vectorType, x);
      for (int64_t j = 0; j < group; ++j)
        next[i * group + j] = ib.create<vector::FMAOp>(
            loc, broadcast, weights[j], next[i * group + j]);
    }
    ib.create<scf::YieldOp>(loc, next);
    wb.create<scf::YieldOp>(loc, ciLoop.getResults());
    hb.create<scf::YieldOp>(loc, kwLoop.getResults());
    cb.create<scf::YieldOp>(loc, khLoop.getResults());
    return SmallVector<Value>(coLoop.getResults());
  };

  // One tile of `count` pixels from ow0: accumulate, apply the epilogue,
  // store into `result`; returns the updated result.
  auto emitTile = [&](OpBuilder &tb, Value n, Value fo, Value oh, Value ow0,
                      int64_t count, Value result) -> Value {
    Value ih0 = affine(tb, oh, strides[0], -pads[0]);
    SmallVector<Value> accumulated;
    if (padded) {
      // Interior tiles read only inside the input: no checks.
      Value iwFirst = affine(tb, ow0, strides[1], -pads[1]);
      Value iwLast = affine(tb, ow0, strides[1],
                            (count - 1) * strides[1] - pads[1] +
                                (kernelW - 1) * dilations[1]);
      Value ihLast = tb.create<arith::AddIOp>(
          loc, ih0, index(tb, (kernelH - 1) * dilations[0]));
      Value interior = tb.create<arith::AndIOp>(
          loc,
          tb.create<arith::AndIOp>(
              loc, cmp(tb, arith::CmpIPredicate::sge, ih0, zero),
              cmp(tb, arith::CmpIPredicate::slt, ihLast, index(tb, inH))),
          tb.create<arith::AndIOp>(
              loc, cmp(tb, arith::CmpIPredicate::sge, iwFirst, zero),
              cmp(tb, arith::CmpIPredicate::slt, iwLast, index(tb, inW))));
      SmallVector<Type> accTypes(count * group, vectorType);
      auto ifOp = tb.create<scf::IfOp>(loc, accTypes, interior,
                                       /*withElseRegion=*/true);
      OpBuilder thenBuilder = ifOp.getThenBodyBuilder();
      thenBuilder.create<scf::YieldOp>(
          loc, accumulate(thenBuilder, n, fo, ih0, ow0, count, false));
      OpBuilder elseBuilder = ifOp.getElseBodyBuilder();
      elseBuilder.create<scf::YieldOp>(
          loc, accumulate(elseBuilder, n, fo, ih0, ow0, count, true));
      accumulated.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    } else {
      // Without padding every window lies inside the input.
      accumulated = accumulate(tb, n, fo, ih0, ow0, count, false);
    }
    for (int64_t i = 0; i < count; ++i)
      for (int64_t j = 0; j < group; ++j) {
        Value ow = tb.create<arith::AddIOp>(loc, ow0, index(tb, i));
        Value block = tb.create<arith::AddIOp>(loc, fo, index(tb, j));
        Value value = accumulated[i * group + j];
        if (epilogue)
          value = epilogue(tb, loc, value, ValueRange{n, block, oh, ow});
        result = tb.create<vector::TransferWriteOp>(
                       loc, value, result, ValueRange{n, block, oh, ow, zero},
                       ArrayRef<bool>{true})
                     .getResult();
      }
    return result;
  };

  // Loops over the output tiles, carrying the result tensor.
  Value init = b.create<tensor::EmptyOp>(loc, out, b.getF32Type());
  auto nLoop = b.create<scf::ForOp>(loc, zero, index(b, batches), one, init);
  OpBuilder b1 = OpBuilder::atBlockBegin(nLoop.getBody());
  auto foLoop =
      b1.create<scf::ForOp>(loc, zero, index(b1, blocks), index(b1, group),
                            nLoop.getRegionIterArgs());
  OpBuilder b2 = OpBuilder::atBlockBegin(foLoop.getBody());
  auto ohLoop = b2.create<scf::ForOp>(loc, zero, index(b2, outH), one,
                                      foLoop.getRegionIterArgs());
  OpBuilder b3 = OpBuilder::atBlockBegin(ohLoop.getBody());
  int64_t fullTiles = outW / pixels, lastTile = outW % pixels;
  auto owLoop =
      b3.create<scf::ForOp>(loc, zero, index(b3, fullTiles * pixels),
                            index(b3, pixels), ohLoop.getRegionIterArgs());
  OpBuilder b4 = OpBuilder::atBlockBegin(owLoop.getBody());
  // Threads share the channel-block groups, or the rows when there is one
  // group: either way each writes its own part of the result.
  if (work >= kParallelMinWork)
    (blocks / group >= 2 ? foLoop.getOperation() : ohLoop.getOperation())
        ->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                  b.getUnitAttr());
  Value n = nLoop.getInductionVar(), fo = foLoop.getInductionVar(),
        oh = ohLoop.getInductionVar();
  b4.create<scf::YieldOp>(loc, emitTile(b4, n, fo, oh, owLoop.getInductionVar(),
                                        pixels, owLoop.getRegionIterArgs()[0]));
  Value row = owLoop.getResult(0);
  if (lastTile > 0)
    row = emitTile(b3, n, fo, oh, index(b3, fullTiles * pixels), lastTile, row);
  b3.create<scf::YieldOp>(loc, row);
  b2.create<scf::YieldOp>(loc, ohLoop.getResults());
  b1.create<scf::YieldOp>(loc, foLoop.getResults());
  return nLoop.getResult(0);
}

void dlc::populateConvolutionLoweringPatterns(RewritePatternSet &patterns,
                                              ConvKernelTarget convKernel) {
  patterns.add<BlockedConvLowering, BlockedDepthwiseConvLowering>(
      patterns.getContext(), convKernel);
  patterns.add<ConvLowering>(patterns.getContext(), convKernel);
  patterns.add<BlockLayoutLowering<ToBlockedOp, true>,
               BlockLayoutLowering<FromBlockedOp, false>>(
      patterns.getContext());
}
