//===- ConvMicrokernel.cpp - The blocked-convolution micro-kernel ---------===//
//
// dlc.conv_blocked, dlc.depthwise_conv_blocked and dlc.conv_integer_blocked
// as loops over output tiles, each a register tile of output pixels x
// channel blocks accumulated in vectors. The integer conv steps through the
// input channels 4 bytes (or 2 i16 words) at a time: those of a pixel,
// broadcast as one 32-bit word, against as many of each filter lane (see
// Int8ConvDot). Part of
// convert-dlc-to-linalg (its conv-microkernel option) and of the lowering of
// fused groups whose anchor is a blocked conv.
//
// The steps, in the order they build the kernel: choose the register tile
// (chooseConvTile), pad the input when that pays, loop over the output rows
// (over n, then (oh, channel-block group) pairs in the order that reads
// fewer bytes: rowsOuterPays; or, when a group's filters exceed L1, over
// (group, rows) items chunked along the input channels: emitChunkedGroup),
// split each row into tiles (emitRow), and for each tile accumulate
// (accumulate, checked or not at the border) and store through the epilogue
// (emitTile).
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace dlc;

namespace {

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

/// How the integer conv's dot step runs: acc[l] += sum over t < g of
/// x[t] * w[l][t], g values of 32 bits: g = 4 bytes (x unsigned, w signed)
/// or g = 2 words (both signed). vpdpbusd does the bytes' step in one
/// instruction, vpmaddwd the words' with an add; neither saturates (the
/// words hold values within [-255, 255]). Elsewhere (other targets, or a
/// block of other lanes than the instructions have) the values are widened
/// to i32, multiplied and summed in groups of g: exact, and slow, so
/// dlc-quantized-conv makes integer convs only where one of them applies.
struct Int8ConvDot {
  int64_t group = 4;
  const char *intrinsic = nullptr; // null: widened
  bool fused = false;              // the intrinsic adds the accumulator

  static Int8ConvDot forTarget(StringRef int8Dot, int64_t lanes, bool words) {
    bool vnni = int8Dot == "avx512-vnni" || int8Dot == "avx-vnni";
    if (words)
      return {2,
              lanes == 8 && (vnni || int8Dot == "avx2")
                  ? "llvm.x86.avx2.pmadd.wd"
                  : nullptr,
              false};
    if (int8Dot == "avx512-vnni" && lanes == 16)
      return {4, "llvm.x86.avx512.vpdpbusd.512", true};
    if (vnni && lanes == 8)
      return {4, "llvm.x86.avx512.vpdpbusd.256", true};
    return {4, nullptr, false};
  }

  /// acc + dot(x, w): acc and the broadcast word x are vector<lanes x i32>,
  /// w is vector<lanes x i32> holding g values per lane.
  Value build(OpBuilder &b, Location loc, Value acc, Value x, Value w) const {
    auto accType = cast<VectorType>(acc.getType());
    int64_t lanes = accType.getDimSize(0);
    if (intrinsic && fused)
      return b
          .create<LLVM::CallIntrinsicOp>(loc, accType, intrinsic,
                                         ValueRange{acc, x, w})
          .getResult(0);
    auto valuesType =
        VectorType::get({lanes * group}, b.getIntegerType(32 / group));
    Value xs = b.create<vector::BitCastOp>(loc, valuesType, x);
    Value ws = b.create<vector::BitCastOp>(loc, valuesType, w);
    if (intrinsic)
      return b.create<arith::AddIOp>(
          loc, acc,
          b.create<LLVM::CallIntrinsicOp>(loc, accType, intrinsic,
                                          ValueRange{xs, ws})
              .getResult(0));
    auto wideType = VectorType::get({lanes * group}, b.getI32Type());
    xs = group == 4 ? b.create<arith::ExtUIOp>(loc, wideType, xs).getResult()
                    : b.create<arith::ExtSIOp>(loc, wideType, xs).getResult();
    ws = b.create<arith::ExtSIOp>(loc, wideType, ws);
    Value products = b.create<arith::MulIOp>(loc, xs, ws);
    // Lane l sums products g l .. g l + g - 1: g strided shuffles.
    Value sum = acc;
    for (int64_t t = 0; t < group; ++t) {
      SmallVector<int64_t> positions;
      for (int64_t l = 0; l < lanes; ++l)
        positions.push_back(group * l + t);
      sum = b.create<arith::AddIOp>(
          loc, sum,
          b.create<vector::ShuffleOp>(loc, products, products, positions));
    }
    return sum;
  }
};

/// One blocked conv's micro-kernel: its shapes, then the steps that build
/// it. A depthwise conv multiplies lane by lane (input block = output
/// block); a full conv broadcasts each input channel against a block of
/// filters.
class BlockedConvKernel {
public:
  BlockedConvKernel(Location loc, Operation *op, Value input, Value filter,
                    const ConvEpilogue &epilogue, Type storedType,
                    StringRef int8Dot)
      : loc(loc), op(op), input(input), filter(filter), epilogue(epilogue),
        storedType(storedType), int8Dot(int8Dot),
        depthwise(isa<BlockedDepthwiseConvOp>(op)),
        integer(isa<BlockedConvIntegerOp>(op)) {}

  /// Reads the shapes; false when the kernel does not apply (not 5-d f32,
  /// or i32 for the integer conv, with static shapes).
  bool analyze();
  /// Builds the kernel at `b` for a target with `vectorRegisters`.
  Value build(OpBuilder &b, int64_t vectorRegisters);

private:
  void choosePadding();
  bool columnsInside(int64_t ow0, int64_t count) const;
  bool rowsOuterPays(int64_t groups) const;
  Value itemLoop(OpBuilder &b, int64_t count, Value init,
                 function_ref<Value(OpBuilder &, Value, Value, Value)> body);
  Value forEachTile(OpBuilder &b, Value result,
                    function_ref<Value(OpBuilder &, Value, int64_t,
                                       std::optional<int64_t>, Value)>
                        tile);
  Value emitRow(OpBuilder &b, Value n, Value fo, Value oh, Value result);
  Value emitTile(OpBuilder &b, Value n, Value fo, Value oh, Value ow0,
                 int64_t count, std::optional<int64_t> edgeOw0, Value result);
  Value isInteriorTile(OpBuilder &b, Value ih0, Value ow0, int64_t count);
  SmallVector<Value> accumulate(OpBuilder &b, Value n, Value fo, Value ih0,
                                Value ow0, int64_t count, bool checked,
                                Value coBegin = {}, Value coEnd = {},
                                ValueRange initial = {},
                                std::optional<int64_t> edgeOw0 = {});
  int64_t chunkBlocksFor(bool rowsOuter) const;
  Value emitChunkedGroup(OpBuilder &b, Value n, Value fo, Value ohBegin,
                         Value ohEnd, Value result);
  Value emitPartialTile(OpBuilder &b, Value n, Value fo, Value oh, Value ow0,
                        int64_t count, std::optional<int64_t> edgeOw0,
                        Value coBegin, Value coEnd, Value firstChunk,
                        Value result);
  SmallVector<Value> accumulateDepthwise(OpBuilder &b, Value n, Value block,
                                         Value ih0, Value ow0, int64_t count,
                                         bool checked);
  SmallVector<Value> accumulateIntegerLanes(OpBuilder &b, Value n, Value fo,
                                            Value co, Value kh, Value kw,
                                            Value ih, ArrayRef<Value> columns,
                                            ArrayRef<Value> columnOk,
                                            ArrayRef<bool> live, bool checked,
                                            ValueRange initial);
  std::pair<Value, Value> inputRow(OpBuilder &b, Value ih0, Value kh,
                                   bool checked);
  std::pair<Value, Value> inputColumn(OpBuilder &b, Value ow0, int64_t i,
                                      Value kw, Value rowOk, bool checked);

  // Constants are made where they are used (LLVM hoists them).
  Value index(OpBuilder &b, int64_t value) {
    return b.create<arith::ConstantIndexOp>(loc, value);
  }
  Value cmp(OpBuilder &b, arith::CmpIPredicate predicate, Value lhs,
            Value rhs) {
    return b.create<arith::CmpIOp>(loc, predicate, lhs, rhs);
  }
  /// x * scale + offset.
  Value affine(OpBuilder &b, Value x, int64_t scale, int64_t offset) {
    Value scaled = b.create<arith::MulIOp>(
        loc, x, b.create<arith::ConstantIndexOp>(loc, scale));
    return b.create<arith::AddIOp>(
        loc, scaled, b.create<arith::ConstantIndexOp>(loc, offset));
  }

  Location loc;
  Operation *op;
  Value input, filter;
  const ConvEpilogue &epilogue;
  Type storedType; // the result's elements: the epilogue's, else the op's
  StringRef int8Dot;
  bool depthwise, integer;
  Int8ConvDot dot;
  // Shapes: output (batches, blocks, outH, outW, lanes), input (inBlocks,
  // inH, inW, inLanes), kernel window.
  SmallVector<int64_t> out;
  int64_t batches = 0, blocks = 0, outH = 0, outW = 0, lanes = 0;
  int64_t inBlocks = 0, inH = 0, inW = 0, inLanes = 0;
  int64_t kernelH = 0, kernelW = 0;
  SmallVector<int64_t> strides, dilations, pads;
  int64_t work = 0; // multiply-adds
  // How windows that cross the padding read its zeros. `clipped` (full
  // convs): their products are left out, each row's kernel rows clipped to
  // the input at run time and the tiles at a row's ends built with their
  // columns known; the full tiles [interiorBegin, interiorEnd) between read
  // no padding. `checkedBorder` (depthwise convs, or rows with many edge
  // tiles): tiles that cross the border select zero for every read outside.
  bool clipped = false, checkedBorder = false;
  int64_t interiorBegin = 0, interiorEnd = 0;
  // The register tile: `pixels` outputs along ow x `group` channel blocks.
  int64_t pixels = 1, group = 1;
  // Input blocks per chunk of the chunked path (0: not chunked).
  int64_t chunkBlocks = 0;
  VectorType vectorType;
  Value zero, one, zeroF, zeroVector;
};

bool BlockedConvKernel::analyze() {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto inputType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  Type element = resultType.getElementType();
  if (resultType.getRank() != 5 ||
      !(integer ? element.isInteger(32) : element.isF32()) ||
      !resultType.hasStaticShape() || !inputType.hasStaticShape())
    return false;
  if (!storedType)
    storedType = element;
  out.assign(resultType.getShape().begin(), resultType.getShape().end());
  ArrayRef<int64_t> in = inputType.getShape(), w = filterType.getShape();
  batches = out[0], blocks = out[1], outH = out[2], outW = out[3],
  lanes = out[4];
  inBlocks = in[1], inH = in[2], inW = in[3], inLanes = in[4];
  kernelH = depthwise ? w[1] : w[2], kernelW = depthwise ? w[2] : w[3];
  auto attribute = [&](StringRef name) {
    return cast<DenseI64ArrayAttr>(op->getAttr(name)).asArrayRef();
  };
  strides.assign(attribute("strides").begin(), attribute("strides").end());
  dilations.assign(attribute("dilations").begin(),
                   attribute("dilations").end());
  pads.assign(attribute("pads").begin(), attribute("pads").end());
  work = resultType.getNumElements() * kernelH * kernelW *
         (depthwise ? 1 : inBlocks * inLanes);
  return true;
}

/// Whether the (row, group) pairs run rows-outer: it must read fewer
/// bytes than groups-outer, where what is reused stays in cache only when
/// it fits in kReuseBytes (about half of an L2): rows-outer reads the input
/// once and the filter once if it fits, else once per row; groups-outer
/// reads the filter once and the input once if it fits, else once per
/// group. A pass over the input reads only the pixels the windows touch (a
/// quarter of them for a strided 1x1 conv).
bool BlockedConvKernel::rowsOuterPays(int64_t groups) const {
  constexpr int64_t kReuseBytes = 1 << 20;
  auto inputType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  int64_t elementBytes =
      std::max<int64_t>(inputType.getElementTypeBitWidth() / 8, 1);
  int64_t inChannels = depthwise ? lanes : inBlocks * inLanes;
  int64_t passBytes =
      std::min(inputType.getNumElements(),
               batches * outH * outW * kernelH * kernelW * inChannels) *
      elementBytes;
  int64_t filterBytes =
      filterType.getNumElements() *
      std::max<int64_t>(filterType.getElementTypeBitWidth() / 8, 1);
  int64_t rowsOuter =
      passBytes + (filterBytes <= kReuseBytes ? 1 : outH) * filterBytes;
  int64_t groupsOuter =
      filterBytes + (passBytes <= kReuseBytes ? 1 : groups) * passBytes;
  return rowsOuter < groupsOuter;
}

/// Whether the windows of `count` pixels from ow0 lie inside the input's
/// columns.
bool BlockedConvKernel::columnsInside(int64_t ow0, int64_t count) const {
  return ow0 * strides[1] - pads[1] >= 0 &&
         (ow0 + count - 1) * strides[1] - pads[1] +
                 (kernelW - 1) * dilations[1] <
             inW;
}

/// How a conv with padding reads it, once the tile is chosen: no copy of
/// the input is made. A full conv clips (see `clipped`); a depthwise conv,
/// with one FMA per read, checks its border tiles' reads instead, as does a
/// conv whose rows would have more than kMaxEdgeTiles edge tiles (each is
/// built apart).
void BlockedConvKernel::choosePadding() {
  constexpr int64_t kMaxEdgeTiles = 8;
  int64_t fullTiles = outW / pixels;
  interiorBegin = 0;
  interiorEnd = fullTiles;
  if (!anyNonZero(pads))
    return;
  int64_t begin = 0;
  while (begin < fullTiles && !columnsInside(begin * pixels, pixels))
    ++begin;
  int64_t end = begin;
  while (end < fullTiles && columnsInside(end * pixels, pixels))
    ++end;
  int64_t edgeTiles = fullTiles - (end - begin) + (outW % pixels ? 1 : 0);
  if (depthwise || edgeTiles > kMaxEdgeTiles) {
    checkedBorder = true;
    return;
  }
  clipped = true;
  interiorBegin = begin;
  interiorEnd = end;
}

Value BlockedConvKernel::build(OpBuilder &b, int64_t vectorRegisters) {
  ConvTile choice = chooseConvTile(outW, blocks, depthwise, vectorRegisters);
  pixels = choice.pixels;
  group = choice.blocks;
  choosePadding();
  Type accElement = integer ? Type(b.getI32Type()) : Type(b.getF32Type());
  vectorType = VectorType::get({lanes}, accElement);
  dot =
      Int8ConvDot::forTarget(int8Dot, lanes,
                             integer && cast<RankedTensorType>(input.getType())
                                            .getElementType()
                                            .isInteger(16));
  zero = index(b, 0);
  one = index(b, 1);
  zeroF = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0f));
  zeroVector = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(vectorType, b.getZeroAttr(accElement)));

  // One loop per batch over (output row, channel-block group) pairs,
  // carrying the result tensor; threads share it, each taking contiguous
  // pairs. The pairs run rows-outer (each input row read once, every group
  // of filters reused from cache row after row) unless the filter is the
  // larger stream (late layers: few pixels, large filters), then
  // groups-outer (each group's filters read once, the input reused).
  int64_t groups = blocks / group;
  bool rowsOuter = rowsOuterPays(groups);
  int64_t inner = rowsOuter ? groups : outH;
  Value init = b.create<tensor::EmptyOp>(loc, out, storedType);
  chunkBlocks = chunkBlocksFor(rowsOuter);
  if (chunkBlocks) {
    // Threads share (group, block of rows) pairs, groups-outer: blocks of
    // at least 256 output pixels (each item reads its group's filters
    // once), split further until there are 16 items to share (a small
    // late layer has few groups).
    constexpr int64_t kMinItems = 16;
    int64_t rowsPerItem =
        std::min<int64_t>(outH, std::max<int64_t>(1, (256 + outW - 1) / outW));
    int64_t rowItems = (outH + rowsPerItem - 1) / rowsPerItem;
    if (groups * rowItems < kMinItems) {
      rowItems = std::min<int64_t>(outH, (kMinItems + groups - 1) / groups);
      rowsPerItem = (outH + rowItems - 1) / rowItems;
      rowItems = (outH + rowsPerItem - 1) / rowsPerItem;
    }
    return itemLoop(
        b, groups * rowItems, init,
        [&](OpBuilder &nb, Value n, Value item, Value result) {
          Value fo = nb.create<arith::MulIOp>(
              loc, nb.create<arith::DivUIOp>(loc, item, index(nb, rowItems)),
              index(nb, group));
          Value ohBegin = nb.create<arith::MulIOp>(
              loc, nb.create<arith::RemUIOp>(loc, item, index(nb, rowItems)),
              index(nb, rowsPerItem));
          Value ohEnd = nb.create<arith::MinSIOp>(
              loc,
              nb.create<arith::AddIOp>(loc, ohBegin, index(nb, rowsPerItem)),
              index(nb, outH));
          return emitChunkedGroup(nb, n, fo, ohBegin, ohEnd, result);
        });
  }
  return itemLoop(
      b, groups * outH, init,
      [&](OpBuilder &nb, Value n, Value item, Value result) {
        Value outer = nb.create<arith::DivUIOp>(loc, item, index(nb, inner));
        Value within = nb.create<arith::RemUIOp>(loc, item, index(nb, inner));
        Value fo = nb.create<arith::MulIOp>(loc, rowsOuter ? within : outer,
                                            index(nb, group));
        return emitRow(nb, n, fo, rowsOuter ? outer : within, result);
      });
}

/// For each batch index, one loop over `count` items carrying the result
/// tensor from `init`, shared by the threads when the conv is large enough;
/// `body` builds an item (batch n, item index) and returns the result.
Value BlockedConvKernel::itemLoop(
    OpBuilder &b, int64_t count, Value init,
    function_ref<Value(OpBuilder &, Value, Value, Value)> body) {
  scf::LoopNest nest =
      scf::buildLoopNest(b, loc, ValueRange{zero, zero},
                         ValueRange{index(b, batches), index(b, count)},
                         ValueRange{one, one}, ValueRange{init},
                         [&](OpBuilder &nb, Location, ValueRange ivs,
                             ValueRange results) -> scf::ValueVector {
                           return {body(nb, ivs[0], ivs[1], results[0])};
                         });
  if (work >= kParallelMinWork)
    nest.loops[1]->setAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
                           b.getUnitAttr());
  return nest.results[0];
}

/// Input blocks per chunk when a groups-outer f32 conv runs chunked: its
/// group's filters (all input channels) do not fit in L1, so every tile
/// would stream them from L2 again. Chunked, the filters of `chunk` input
/// blocks (at most kChunkBytes, or one block) serve every tile of the group's
/// rows before the next chunk's are read, the partial sums kept in the result.
/// 0 when the conv runs unchunked.
int64_t BlockedConvKernel::chunkBlocksFor(bool rowsOuter) const {
  // Of L1's 32 KB (AVX2's Haswell and Zen) or 48 KB (recent AVX-512
  // cores), room is left for the input and the partial sums.
  const int64_t kChunkBytes = (lanes >= 16 ? 32 : 16) * 1024;
  if (rowsOuter || integer || depthwise || !storedType.isF32())
    return 0;
  int64_t blockBytes = group * kernelH * kernelW * inLanes * lanes * 4;
  int64_t chunk = std::max<int64_t>(1, kChunkBytes / blockBytes);
  return chunk < inBlocks ? chunk : 0;
}

/// Output rows [ohBegin, ohEnd) of the `group` blocks from fo, chunk by
/// chunk of input blocks: each chunk adds to every tile's partial sums
/// (zero before the first), then the epilogue runs over the rows.
Value BlockedConvKernel::emitChunkedGroup(OpBuilder &b, Value n, Value fo,
                                          Value ohBegin, Value ohEnd,
                                          Value result) {
  int64_t chunks = (inBlocks + chunkBlocks - 1) / chunkBlocks;
  auto chunkLoop =
      b.create<scf::ForOp>(loc, zero, index(b, chunks), one, result);
  {
    OpBuilder cb = OpBuilder::atBlockBegin(chunkLoop.getBody());
    Value chunk = chunkLoop.getInductionVar();
    Value coBegin =
        cb.create<arith::MulIOp>(loc, chunk, index(cb, chunkBlocks));
    Value coEnd = cb.create<arith::MinSIOp>(
        loc, cb.create<arith::AddIOp>(loc, coBegin, index(cb, chunkBlocks)),
        index(cb, inBlocks));
    Value firstChunk = cmp(cb, arith::CmpIPredicate::eq, chunk, zero);
    auto rowLoop = cb.create<scf::ForOp>(loc, ohBegin, ohEnd, one,
                                         chunkLoop.getRegionIterArgs()[0]);
    OpBuilder rb = OpBuilder::atBlockBegin(rowLoop.getBody());
    Value oh = rowLoop.getInductionVar();
    Value row = forEachTile(rb, rowLoop.getRegionIterArgs()[0],
                            [&](OpBuilder &tb, Value ow0, int64_t count,
                                std::optional<int64_t> edgeOw0, Value partial) {
                              return emitPartialTile(tb, n, fo, oh, ow0, count,
                                                     edgeOw0, coBegin, coEnd,
                                                     firstChunk, partial);
                            });
    rb.create<scf::YieldOp>(loc, row);
    cb.create<scf::YieldOp>(loc, rowLoop.getResult(0));
  }
  result = chunkLoop.getResult(0);
  if (!epilogue)
    return result;
  // The epilogue, a vector at a time, over the sums.
  auto rowLoop = b.create<scf::ForOp>(loc, ohBegin, ohEnd, one, result);
  OpBuilder rb = OpBuilder::atBlockBegin(rowLoop.getBody());
  auto owLoop = rb.create<scf::ForOp>(loc, zero, index(rb, outW), one,
                                      rowLoop.getRegionIterArgs()[0]);
  OpBuilder pb = OpBuilder::atBlockBegin(owLoop.getBody());
  Value oh = rowLoop.getInductionVar(), ow = owLoop.getInductionVar();
  Value updated = owLoop.getRegionIterArgs()[0];
  for (int64_t j = 0; j < group; ++j) {
    Value block = pb.create<arith::AddIOp>(loc, fo, index(pb, j));
    SmallVector<Value> at = {n, block, oh, ow, zero};
    Value sum = pb.create<vector::TransferReadOp>(loc, vectorType, updated, at,
                                                  zeroF, ArrayRef<bool>{true});
    Value value = epilogue(pb, loc, sum, ValueRange{n, block, oh, ow});
    updated = pb.create<vector::TransferWriteOp>(loc, value, updated, at,
                                                 ArrayRef<bool>{true})
                  .getResult();
  }
  pb.create<scf::YieldOp>(loc, updated);
  rb.create<scf::YieldOp>(loc, owLoop.getResult(0));
  return rowLoop.getResult(0);
}

/// One tile's sums over input blocks [coBegin, coEnd), added to its partial
/// sums in `result` (to zero in the first chunk) and stored back.
Value BlockedConvKernel::emitPartialTile(OpBuilder &b, Value n, Value fo,
                                         Value oh, Value ow0, int64_t count,
                                         std::optional<int64_t> edgeOw0,
                                         Value coBegin, Value coEnd,
                                         Value firstChunk, Value result) {
  SmallVector<Type> accTypes(count * group, vectorType);
  auto position = [&](OpBuilder &pb, int64_t i, int64_t j) {
    return SmallVector<Value>{
        n, pb.create<arith::AddIOp>(loc, fo, index(pb, j)), oh,
        pb.create<arith::AddIOp>(loc, ow0, index(pb, i)), zero};
  };
  auto initial = b.create<scf::IfOp>(loc, accTypes, firstChunk,
                                     /*withElseRegion=*/true);
  {
    OpBuilder tb = initial.getThenBodyBuilder();
    tb.create<scf::YieldOp>(loc, SmallVector<Value>(count * group, zeroVector));
    OpBuilder eb = initial.getElseBodyBuilder();
    SmallVector<Value> sums;
    for (int64_t i = 0; i < count; ++i)
      for (int64_t j = 0; j < group; ++j)
        sums.push_back(eb.create<vector::TransferReadOp>(
            loc, vectorType, result, position(eb, i, j), zeroF,
            ArrayRef<bool>{true}));
    eb.create<scf::YieldOp>(loc, sums);
  }
  Value ih0 = affine(b, oh, strides[0], -pads[0]);
  SmallVector<Value> accumulated;
  if (checkedBorder) {
    Value interior = isInteriorTile(b, ih0, ow0, count);
    auto ifOp = b.create<scf::IfOp>(loc, accTypes, interior,
                                    /*withElseRegion=*/true);
    OpBuilder thenBuilder = ifOp.getThenBodyBuilder();
    thenBuilder.create<scf::YieldOp>(
        loc, accumulate(thenBuilder, n, fo, ih0, ow0, count, false, coBegin,
                        coEnd, initial.getResults()));
    OpBuilder elseBuilder = ifOp.getElseBodyBuilder();
    elseBuilder.create<scf::YieldOp>(
        loc, accumulate(elseBuilder, n, fo, ih0, ow0, count, true, coBegin,
                        coEnd, initial.getResults()));
    accumulated.assign(ifOp.getResults().begin(), ifOp.getResults().end());
  } else {
    accumulated = accumulate(b, n, fo, ih0, ow0, count, false, coBegin, coEnd,
                             initial.getResults(), edgeOw0);
  }
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < group; ++j)
      result = b.create<vector::TransferWriteOp>(
                    loc, accumulated[i * group + j], result, position(b, i, j),
                    ArrayRef<bool>{true})
                   .getResult();
  return result;
}

/// The tiles of one output row, left to right: full tiles of `pixels`
/// along ow, then a narrower last tile when `pixels` does not divide the
/// row. `tile` builds one from ow0 with `count` pixels; `edgeOw0` is ow0
/// when the tile's windows cross the padding of a clipped conv (then built
/// apart, with its columns known); the interior full tiles run in a loop.
Value BlockedConvKernel::forEachTile(
    OpBuilder &b, Value result,
    function_ref<Value(OpBuilder &, Value, int64_t, std::optional<int64_t>,
                       Value)>
        tile) {
  int64_t fullTiles = outW / pixels, lastTile = outW % pixels;
  auto edgeTile = [&](int64_t ow0, int64_t count) {
    result = tile(b, index(b, ow0), count, ow0, result);
  };
  for (int64_t t = 0; t < interiorBegin; ++t)
    edgeTile(t * pixels, pixels);
  if (interiorEnd > interiorBegin) {
    auto owLoop = b.create<scf::ForOp>(loc, index(b, interiorBegin * pixels),
                                       index(b, interiorEnd * pixels),
                                       index(b, pixels), result);
    OpBuilder tb = OpBuilder::atBlockBegin(owLoop.getBody());
    tb.create<scf::YieldOp>(loc,
                            tile(tb, owLoop.getInductionVar(), pixels,
                                 std::nullopt, owLoop.getRegionIterArgs()[0]));
    result = owLoop.getResult(0);
  }
  for (int64_t t = interiorEnd; t < fullTiles; ++t)
    edgeTile(t * pixels, pixels);
  if (lastTile > 0) {
    if (clipped && !columnsInside(fullTiles * pixels, lastTile))
      edgeTile(fullTiles * pixels, lastTile);
    else
      result =
          tile(b, index(b, fullTiles * pixels), lastTile, std::nullopt, result);
  }
  return result;
}

/// One output row of the `group` blocks from fo.
Value BlockedConvKernel::emitRow(OpBuilder &b, Value n, Value fo, Value oh,
                                 Value result) {
  return forEachTile(b, result,
                     [&](OpBuilder &tb, Value ow0, int64_t count,
                         std::optional<int64_t> edgeOw0, Value partial) {
                       return emitTile(tb, n, fo, oh, ow0, count, edgeOw0,
                                       partial);
                     });
}

/// One tile of `count` pixels from ow0: accumulate (without checks where
/// the tile's windows lie inside the input), apply the epilogue, store into
/// `result`; returns the updated result.
Value BlockedConvKernel::emitTile(OpBuilder &b, Value n, Value fo, Value oh,
                                  Value ow0, int64_t count,
                                  std::optional<int64_t> edgeOw0,
                                  Value result) {
  Value ih0 = affine(b, oh, strides[0], -pads[0]);
  SmallVector<Value> accumulated;
  if (checkedBorder) {
    Value interior = isInteriorTile(b, ih0, ow0, count);
    SmallVector<Type> accTypes(count * group, vectorType);
    auto ifOp = b.create<scf::IfOp>(loc, accTypes, interior,
                                    /*withElseRegion=*/true);
    OpBuilder thenBuilder = ifOp.getThenBodyBuilder();
    thenBuilder.create<scf::YieldOp>(
        loc, accumulate(thenBuilder, n, fo, ih0, ow0, count, false));
    OpBuilder elseBuilder = ifOp.getElseBodyBuilder();
    elseBuilder.create<scf::YieldOp>(
        loc, accumulate(elseBuilder, n, fo, ih0, ow0, count, true));
    accumulated.assign(ifOp.getResults().begin(), ifOp.getResults().end());
  } else {
    accumulated =
        accumulate(b, n, fo, ih0, ow0, count, false, {}, {}, {}, edgeOw0);
  }
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < group; ++j) {
      Value ow = b.create<arith::AddIOp>(loc, ow0, index(b, i));
      Value block = b.create<arith::AddIOp>(loc, fo, index(b, j));
      Value value = accumulated[i * group + j];
      if (epilogue)
        value = epilogue(b, loc, value, ValueRange{n, block, oh, ow});
      result = b.create<vector::TransferWriteOp>(
                    loc, value, result, ValueRange{n, block, oh, ow, zero},
                    ArrayRef<bool>{true})
                   .getResult();
    }
  return result;
}

/// Whether every window of the tile lies inside the input (no checks
/// needed).
Value BlockedConvKernel::isInteriorTile(OpBuilder &b, Value ih0, Value ow0,
                                        int64_t count) {
  Value iwFirst = affine(b, ow0, strides[1], -pads[1]);
  Value iwLast =
      affine(b, ow0, strides[1],
             (count - 1) * strides[1] - pads[1] + (kernelW - 1) * dilations[1]);
  Value ihLast =
      b.create<arith::AddIOp>(loc, ih0, index(b, (kernelH - 1) * dilations[0]));
  return b.create<arith::AndIOp>(
      loc,
      b.create<arith::AndIOp>(
          loc, cmp(b, arith::CmpIPredicate::sge, ih0, zero),
          cmp(b, arith::CmpIPredicate::slt, ihLast, index(b, inH))),
      b.create<arith::AndIOp>(
          loc, cmp(b, arith::CmpIPredicate::sge, iwFirst, zero),
          cmp(b, arith::CmpIPredicate::slt, iwLast, index(b, inW))));
}

/// The accumulation over (co, kh, kw, ci) for a tile of `count` pixels x
/// `group` blocks; `checked` reads zero outside the input (border tiles).
/// A clipped conv runs only the kernel rows inside the input; an edge tile
/// (`edgeOw0`: its first pixel) runs each kernel column for the pixels whose
/// window column lies inside, the padding's products left out.
SmallVector<Value>
BlockedConvKernel::accumulate(OpBuilder &b, Value n, Value fo, Value ih0,
                              Value ow0, int64_t count, bool checked,
                              Value coBegin, Value coEnd, ValueRange initial,
                              std::optional<int64_t> edgeOw0) {
  if (depthwise)
    return accumulateDepthwise(b, n, fo, ih0, ow0, count, checked);
  SmallVector<Value> start(initial.begin(), initial.end());
  if (start.empty())
    start.assign(count * group, zeroVector);
  // Kernel rows kh with ih0 + kh * dilation inside [0, inH).
  Value khBegin = zero, khEnd = index(b, kernelH);
  if (clipped && (pads[0] > 0 || pads[2] > 0)) {
    // Division truncates toward zero: the ceiling for x <= 0.
    auto ceilDiv = [&](Value x) -> Value {
      int64_t d = dilations[0];
      if (d == 1)
        return x;
      Value up =
          b.create<arith::DivSIOp>(loc, affine(b, x, 1, d - 1), index(b, d));
      Value down = b.create<arith::DivSIOp>(loc, x, index(b, d));
      return b.create<arith::SelectOp>(
          loc, cmp(b, arith::CmpIPredicate::sgt, x, zero), up, down);
    };
    khBegin = b.create<arith::MaxSIOp>(
        loc, zero, ceilDiv(b.create<arith::SubIOp>(loc, zero, ih0)));
    khEnd = b.create<arith::MinSIOp>(
        loc, khEnd, ceilDiv(b.create<arith::SubIOp>(loc, index(b, inH), ih0)));
  }
  auto coLoop =
      b.create<scf::ForOp>(loc, coBegin ? coBegin : zero,
                           coEnd ? coEnd : index(b, inBlocks), one, start);
  OpBuilder cb = OpBuilder::atBlockBegin(coLoop.getBody());
  Value co = coLoop.getInductionVar();
  auto khLoop = cb.create<scf::ForOp>(loc, khBegin, khEnd, one,
                                      coLoop.getRegionIterArgs());
  OpBuilder hb = OpBuilder::atBlockBegin(khLoop.getBody());
  Value kh = khLoop.getInductionVar();
  auto [ih, rowOk] = inputRow(hb, ih0, kh, checked);
  // One kernel column's products for the `live` pixels (all when empty).
  auto columnStep = [&](OpBuilder &wb, Value kw, ArrayRef<bool> live,
                        ValueRange sums) -> SmallVector<Value> {
    // Input columns of the tile's pixels for this kw.
    SmallVector<Value> columns, columnOk;
    for (int64_t i = 0; i < count; ++i) {
      auto [iw, ok] = inputColumn(wb, ow0, i, kw, rowOk, checked);
      columns.push_back(iw);
      columnOk.push_back(ok);
    }
    if (integer)
      return accumulateIntegerLanes(wb, n, fo, co, kh, kw, ih, columns,
                                    columnOk, live, checked, sums);
    auto ciLoop =
        wb.create<scf::ForOp>(loc, zero, index(wb, inLanes), one, sums);
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
      if (!live.empty() && !live[i])
        continue;
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
    return SmallVector<Value>(ciLoop.getResults());
  };
  if (edgeOw0) {
    SmallVector<Value> sums(khLoop.getRegionIterArgs());
    for (int64_t kw = 0; kw < kernelW; ++kw) {
      SmallVector<bool> live;
      for (int64_t i = 0; i < count; ++i) {
        int64_t iw = (*edgeOw0 + i) * strides[1] - pads[1] + kw * dilations[1];
        live.push_back(iw >= 0 && iw < inW);
      }
      if (llvm::is_contained(live, true))
        sums = columnStep(hb, index(hb, kw), live, sums);
    }
    hb.create<scf::YieldOp>(loc, sums);
  } else {
    auto kwLoop = hb.create<scf::ForOp>(loc, zero, index(hb, kernelW), one,
                                        khLoop.getRegionIterArgs());
    OpBuilder wb = OpBuilder::atBlockBegin(kwLoop.getBody());
    wb.create<scf::YieldOp>(loc, columnStep(wb, kwLoop.getInductionVar(), {},
                                            kwLoop.getRegionIterArgs()));
    hb.create<scf::YieldOp>(loc, kwLoop.getResults());
  }
  cb.create<scf::YieldOp>(loc, khLoop.getResults());
  return SmallVector<Value>(coLoop.getResults());
}

/// The integer conv's steps over one pixel's input lanes, g at a time: per
/// step the group's filter words for each block and, per pixel, its g
/// values broadcast as one 32-bit word (the `live` pixels, all when empty;
/// 0 outside the input when `checked`).
SmallVector<Value> BlockedConvKernel::accumulateIntegerLanes(
    OpBuilder &b, Value n, Value fo, Value co, Value kh, Value kw, Value ih,
    ArrayRef<Value> columns, ArrayRef<Value> columnOk, ArrayRef<bool> live,
    bool checked, ValueRange initial) {
  Type element = cast<RankedTensorType>(input.getType()).getElementType();
  Type i32 = b.getI32Type();
  int64_t g = dot.group;
  auto cgLoop =
      b.create<scf::ForOp>(loc, zero, index(b, inLanes / g), one, initial);
  OpBuilder ib = OpBuilder::atBlockBegin(cgLoop.getBody());
  Value cg = cgLoop.getInductionVar();
  Value zeroValue =
      ib.create<arith::ConstantOp>(loc, ib.getIntegerAttr(element, 0));
  Value zeroWord = ib.create<arith::ConstantOp>(loc, ib.getIntegerAttr(i32, 0));
  SmallVector<Value> weights;
  for (int64_t j = 0; j < group; ++j) {
    Value block = ib.create<arith::AddIOp>(loc, fo, index(ib, j));
    Value values = ib.create<vector::TransferReadOp>(
        loc, VectorType::get({lanes * g}, element), filter,
        ValueRange{block, co, kh, kw, cg, zero}, zeroValue,
        ArrayRef<bool>{true});
    weights.push_back(ib.create<vector::BitCastOp>(loc, vectorType, values));
  }
  Value ci = ib.create<arith::MulIOp>(loc, cg, index(ib, g));
  SmallVector<Value> next(cgLoop.getRegionIterArgs());
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!live.empty() && !live[i])
      continue;
    Value values = ib.create<vector::TransferReadOp>(
        loc, VectorType::get({g}, element), input,
        ValueRange{n, co, ih, columns[i], ci}, zeroValue, ArrayRef<bool>{true});
    Value word = ib.create<vector::ExtractOp>(
        loc,
        ib.create<vector::BitCastOp>(loc, VectorType::get({1}, i32), values),
        ArrayRef<int64_t>{0});
    if (checked)
      word = ib.create<arith::SelectOp>(loc, columnOk[i], word, zeroWord);
    Value broadcast = ib.create<vector::BroadcastOp>(loc, vectorType, word);
    for (int64_t j = 0; j < group; ++j)
      next[i * group + j] =
          dot.build(ib, loc, next[i * group + j], broadcast, weights[j]);
  }
  ib.create<scf::YieldOp>(loc, next);
  return SmallVector<Value>(cgLoop.getResults());
}

/// Depthwise: the accumulation over (kh, kw) for a tile of `count` pixels,
/// one vector FMA of input and filter lanes per pixel; `checked` reads zero
/// outside the input (border tiles).
SmallVector<Value> BlockedConvKernel::accumulateDepthwise(OpBuilder &b, Value n,
                                                          Value block,
                                                          Value ih0, Value ow0,
                                                          int64_t count,
                                                          bool checked) {
  SmallVector<Value> initial(count, zeroVector);
  auto khLoop =
      b.create<scf::ForOp>(loc, zero, index(b, kernelH), one, initial);
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
}

/// The input row of kernel row kh for output rows from ih0, and (checked)
/// whether it lies inside the input; outside, row 0 is read instead.
std::pair<Value, Value> BlockedConvKernel::inputRow(OpBuilder &b, Value ih0,
                                                    Value kh, bool checked) {
  Value ih = b.create<arith::AddIOp>(loc, ih0, affine(b, kh, dilations[0], 0));
  if (!checked)
    return {ih, Value()};
  Value ok = b.create<arith::AndIOp>(
      loc, cmp(b, arith::CmpIPredicate::sge, ih, zero),
      cmp(b, arith::CmpIPredicate::slt, ih, index(b, inH)));
  return {b.create<arith::SelectOp>(loc, ok, ih, zero), ok};
}

/// The same for the input column of pixel `i` of the tile at ow0.
std::pair<Value, Value> BlockedConvKernel::inputColumn(OpBuilder &b, Value ow0,
                                                       int64_t i, Value kw,
                                                       Value rowOk,
                                                       bool checked) {
  Value ow = b.create<arith::AddIOp>(loc, ow0, index(b, i));
  Value iw = b.create<arith::AddIOp>(loc, affine(b, ow, strides[1], -pads[1]),
                                     affine(b, kw, dilations[1], 0));
  if (!checked)
    return {iw, Value()};
  Value ok = b.create<arith::AndIOp>(
      loc, rowOk,
      b.create<arith::AndIOp>(
          loc, cmp(b, arith::CmpIPredicate::sge, iw, zero),
          cmp(b, arith::CmpIPredicate::slt, iw, index(b, inW))));
  return {b.create<arith::SelectOp>(loc, ok, iw, zero), ok};
}

} // namespace

Value dlc::buildBlockedConvKernel(OpBuilder &b, Location loc, Operation *op,
                                  Value input, Value filter,
                                  const ConvEpilogue &epilogue,
                                  const ConvKernelTarget &target,
                                  Type storedType) {
  BlockedConvKernel kernel(loc, op, input, filter, epilogue, storedType,
                           target.int8Dot);
  int64_t vectorRegisters = target.vectorRegisters;
  if (!kernel.analyze())
    return {};
  return kernel.build(b, vectorRegisters);
}
