//===- GpuMapKernels.cpp - One gpu.launch per kernel ----------------------===//
//
// Bufferized linalg -> gpu.launch. A fused group (its fill, its anchor and
// the in-place elementwise ops after it) becomes one kernel: contractions
// (matmuls, convolutions as implicit GEMMs) get a shared-memory tiled kernel,
// other linalg ops one thread per output element with the reduction in a
// register. Nothing that touches a buffer stays on the host, whose buffers
// are device memory on this target.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

#include <limits>

namespace dlc {
#define GEN_PASS_DEF_GPUMAPKERNELS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// A kernel to build: an optional fill of the anchor's output, the anchor,
/// and in-place elementwise ops applied to its output.
struct KernelGroup {
  linalg::FillOp fill;
  linalg::LinalgOp anchor;
  SmallVector<linalg::GenericOp> epilogue;
};

/// Ops that may sit between the members of a group: they touch no buffer.
static bool isMetadata(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp>(op) || isMemoryEffectFree(op);
}

/// The next op after `op` that is not metadata, or null.
static Operation *nextKernelOp(Operation *op) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode())
    if (!isMetadata(next))
      return next;
  return nullptr;
}

static bool hasStaticRanges(linalg::LinalgOp op) {
  return llvm::none_of(op.getStaticLoopRanges(), ShapedType::isDynamic) &&
         llvm::all_of(op->getOperands(), [](Value v) {
           auto type = dyn_cast<MemRefType>(v.getType());
           return !type || type.hasStaticShape();
         });
}

/// Whether each output of `op` is indexed by exactly its parallel loops (in
/// some order), so that one thread per output element covers them all.
static bool outputsIndexedByParallelLoops(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() == 0 ||
      !hasStaticRanges(op))
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned parallel = llvm::count(iterators, utils::IteratorType::parallel);
  AffineMap first = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (map != first || !map.isProjectedPermutation() ||
        map.getNumResults() != parallel)
      return false;
    for (AffineExpr result : map.getResults())
      if (iterators[cast<AffineDimExpr>(result).getPosition()] !=
          utils::IteratorType::parallel)
        return false;
  }
  return true;
}

/// Whether `generic` can run after `anchor` on each of its output elements:
/// elementwise, updating the anchor's only output in place.
static bool isEpilogueOf(linalg::GenericOp generic, linalg::LinalgOp anchor) {
  if (anchor.getNumDpsInits() != 1 || generic.getNumDpsInits() != 1 ||
      !generic.hasPureBufferSemantics() || !hasStaticRanges(generic))
    return false;
  Value output = anchor.getDpsInitOperand(0)->get();
  if (generic.getDpsInitOperand(0)->get() != output ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity())
    return false;
  // Another thread's element would be read.
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get() == output)
      return false;
  return llvm::none_of(generic.getBody()->getOperations(), [](Operation &op) {
    return isa<linalg::IndexOp>(op) || !isMemoryEffectFree(&op);
  });
}

//===----------------------------------------------------------------------===//
// Kernel bodies
//===----------------------------------------------------------------------===//

/// The indices `map` gives at loop indices `ivs` (a plain dim is the iv
/// itself; other expressions an affine.apply).
static SmallVector<Value> indicesThrough(OpBuilder &b, Location loc,
                                         AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr result : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(result))
      indices.push_back(ivs[dim.getPosition()]);
    else
      indices.push_back(b.create<affine::AffineApplyOp>(
          loc, AffineMap::get(map.getNumDims(), 0, result), ivs));
  }
  return indices;
}

/// Emits the payload of `op` at loop indices `ivs` (one per loop), with its
/// output block arguments bound to `outputs`; returns the yielded values.
static SmallVector<Value> emitPayload(OpBuilder &b, Location loc,
                                      linalg::LinalgOp op, ValueRange ivs,
                                      ValueRange outputs) {
  Block *body = op.getBlock();
  IRMapping mapping;
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(input);
    if (!isa<MemRefType>(input->get().getType())) {
      mapping.map(arg, input->get());
      continue;
    }
    if (!op.payloadUsesValueFromOperand(input))
      continue;
    SmallVector<Value> indices =
        indicesThrough(b, loc, op.getMatchingIndexingMap(input), ivs);
    mapping.map(arg, b.create<memref::LoadOp>(loc, input->get(), indices));
  }
  for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), outputs))
    mapping.map(op.getMatchingBlockArgument(&init), value);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  SmallVector<Value> results;
  for (Value yielded : body->getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(yielded));
  return results;
}

/// Applies the group's epilogue to `value`, the anchor's output at
/// `coordinates`, and stores the result there.
static void emitEpilogueAndStore(OpBuilder &b, Location loc, KernelGroup &group,
                                 Value value, ValueRange coordinates) {
  for (linalg::GenericOp generic : group.epilogue)
    value = emitPayload(b, loc, generic, coordinates, value).front();
  b.create<memref::StoreOp>(
      loc, value, group.anchor.getDpsInitOperand(0)->get(), coordinates);
}

static Value constantIndex(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

/// Sets ivs[d] for the loop dims `dims` (outermost first) from `linear`, a
/// row-major index over their `ranges` (the last dim fastest).
static void delinearize(OpBuilder &b, Location loc, Value linear,
                        ArrayRef<unsigned> dims, ArrayRef<int64_t> ranges,
                        MutableArrayRef<Value> ivs) {
  for (auto [i, dim] : llvm::enumerate(llvm::reverse(dims))) {
    if (i + 1 == dims.size()) { // the outermost takes what is left
      ivs[dim] = linear;
      break;
    }
    Value extent = constantIndex(b, loc, ranges[dim]);
    ivs[dim] = b.create<arith::RemUIOp>(loc, linear, extent);
    linear = b.create<arith::DivUIOp>(loc, linear, extent);
  }
}

/// A launch of grid x block threads (x, y, z each), with `shared` buffers in
/// workgroup memory; the builder is left at the start of its body.
static gpu::LaunchOp createLaunch(OpBuilder &b, Location loc,
                                  ArrayRef<int64_t> grid,
                                  ArrayRef<int64_t> block,
                                  TypeRange shared = {}) {
  auto launch = b.create<gpu::LaunchOp>(
      loc, constantIndex(b, loc, grid[0]), constantIndex(b, loc, grid[1]),
      constantIndex(b, loc, grid[2]), constantIndex(b, loc, block[0]),
      constantIndex(b, loc, block[1]), constantIndex(b, loc, block[2]),
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      ValueRange{}, shared);
  b.setInsertionPointToStart(&launch.getBody().front());
  b.create<gpu::TerminatorOp>(loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

/// The launch's linear thread index over a 1-D grid of `threads`-thread
/// blocks. When the grid holds more threads than `total`, the builder moves
/// into a guard that the extra threads skip.
static Value linearThreadIndex(OpBuilder &b, Location loc, gpu::LaunchOp launch,
                               int64_t threads, int64_t total) {
  Value linear = b.create<arith::AddIOp>(
      loc,
      b.create<arith::MulIOp>(loc, launch.getBlockIds().x,
                              constantIndex(b, loc, threads)),
      launch.getThreadIds().x);
  int64_t blocks = (total + threads - 1) / threads;
  if (blocks * threads != total) {
    Value inside = b.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::ult, linear, constantIndex(b, loc, total));
    auto guard = b.create<scf::IfOp>(loc, inside, /*withElse=*/false);
    b.setInsertionPointToStart(&guard.getThenRegion().front());
  }
  return linear;
}

/// The op that folds each element into the accumulator of a reduction
/// whose payload yields combiner(acc, f(inputs)), with acc used nowhere
/// else: a sum, a max or a min, whose partial results over pieces of the
/// reduction combine by the same op. Null for any other payload.
static Operation *reductionCombiner(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return nullptr;
  BlockArgument acc = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  if (!acc.getType().isF32() || !acc.hasOneUse())
    return nullptr;
  Operation *combiner = *acc.getUsers().begin();
  if (!isa<arith::AddFOp, arith::MaximumFOp, arith::MinimumFOp,
           arith::MaxNumFOp, arith::MinNumFOp>(combiner) ||
      combiner->getBlock() != op.getBlock() ||
      op.getBlock()->getTerminator()->getOperand(0) != combiner->getResult(0))
    return nullptr;
  return combiner;
}

/// The value a combiner starts from: combining with it changes nothing.
static Value combinerIdentity(OpBuilder &b, Location loc, Operation *combiner) {
  float identity = isa<arith::AddFOp>(combiner) ? -0.0f
                   : isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner)
                       ? -std::numeric_limits<float>::infinity()
                       : std::numeric_limits<float>::infinity();
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(identity));
}

/// Fewest iterations of the reduction a split of a one-thread-per-output
/// kernel runs, and the threads that fill the GPU (two 256-thread blocks
/// per multiprocessor).
constexpr int64_t kMinReductionPerSplit = 32, kThreadsPerSM = 512;

/// One thread per output element of the anchor; its reduction loops run in
/// the thread with the accumulators in registers. When the outputs are too
/// few to fill the GPU's `smCount` multiprocessors and the reduction is a
/// sum, max or min over enough elements (a GEMV such as a classifier with
/// batch 1, a row reduction of layer norm), its outermost reduction loop is
/// split across the grid's y: each thread stores a partial result, and a
/// second kernel combines them with the start value, applies the epilogue
/// and stores.
static void buildElementwiseKernel(OpBuilder &b, KernelGroup &group,
                                   int64_t blockSize, int64_t smCount) {
  linalg::LinalgOp anchor = group.anchor;
  Location loc = anchor.getLoc();
  SmallVector<int64_t> ranges = anchor.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = anchor.getIteratorTypesArray();
  AffineMap outputMap = anchor.getMatchingIndexingMap(
      anchor.getDpsInitOperand(0)); // loop dims in output order
  int64_t total = 1;
  for (AffineExpr result : outputMap.getResults())
    total *= ranges[cast<AffineDimExpr>(result).getPosition()];
  if (total == 0)
    return;
  int64_t threads = std::min(total, blockSize);
  int64_t blocks = (total + threads - 1) / threads;
  // Split the outermost reduction loop?
  int64_t splits = 1, perSplit = 0;
  int64_t splitDim = -1, reductionSize = 1;
  for (unsigned dim = 0; dim < ranges.size(); ++dim) {
    if (iterators[dim] != utils::IteratorType::reduction)
      continue;
    if (splitDim < 0)
      splitDim = dim;
    reductionSize *= ranges[dim];
  }
  Operation *combiner = reductionCombiner(anchor);
  if (combiner && smCount > 0 && total < smCount * kThreadsPerSM) {
    splits = std::min({(smCount * kThreadsPerSM + total - 1) / total,
                       reductionSize / kMinReductionPerSplit, ranges[splitDim],
                       int64_t(65535)});
    if (splits >= 2) {
      perSplit = (ranges[splitDim] + splits - 1) / splits;
      splits = (ranges[splitDim] + perSplit - 1) / perSplit; // none empty
    }
  }
  bool split = splits >= 2;
  Value partials;
  if (split)
    partials = b.create<memref::AllocOp>(
        loc, MemRefType::get({splits, total}, b.getF32Type()));
  OpBuilder::InsertionGuard hostGuard(b);
  gpu::LaunchOp launch =
      createLaunch(b, loc, {blocks, split ? splits : 1, 1}, {threads, 1, 1});
  Value linear = linearThreadIndex(b, loc, launch, threads, total);
  // Output coordinates, the last one fastest (stores are coalesced).
  SmallVector<unsigned> outputDims;
  for (AffineExpr result : outputMap.getResults())
    outputDims.push_back(cast<AffineDimExpr>(result).getPosition());
  SmallVector<Value> ivs(ranges.size());
  delinearize(b, loc, linear, outputDims, ranges, ivs);
  SmallVector<Value> coordinates;
  for (unsigned dim : outputDims)
    coordinates.push_back(ivs[dim]);
  // Initial values: the fill's, else what the outputs hold (when read);
  // a split's partial starts from the combiner's identity.
  SmallVector<Value> initial;
  for (OpOperand &init : anchor.getDpsInitsMutable()) {
    if (split) {
      initial.push_back(combinerIdentity(b, loc, combiner));
      continue;
    }
    Type element = getElementTypeOrSelf(init.get().getType());
    if (group.fill)
      initial.push_back(group.fill.getInputs()[0]);
    else if (anchor.payloadUsesValueFromOperand(&init))
      initial.push_back(b.create<memref::LoadOp>(loc, init.get(), coordinates));
    else
      initial.push_back( // never read
          b.create<arith::ConstantOp>(loc, element, b.getZeroAttr(element)));
  }
  // The reduction loops, outermost first.
  SmallVector<Value> results;
  std::function<void(unsigned, ValueRange)> reduce = [&](unsigned dim,
                                                         ValueRange acc) {
    while (dim < ranges.size() &&
           iterators[dim] != utils::IteratorType::reduction)
      ++dim;
    if (dim == ranges.size()) {
      results = emitPayload(b, loc, anchor, ivs, acc);
      return;
    }
    Value lower = constantIndex(b, loc, 0);
    Value upper = constantIndex(b, loc, ranges[dim]);
    if (split && int64_t(dim) == splitDim) {
      lower = b.create<arith::MulIOp>(loc, launch.getBlockIds().y,
                                      constantIndex(b, loc, perSplit));
      upper = b.create<arith::MinUIOp>(
          loc,
          b.create<arith::AddIOp>(loc, lower, constantIndex(b, loc, perSplit)),
          upper);
    }
    auto loop =
        b.create<scf::ForOp>(loc, lower, upper, constantIndex(b, loc, 1), acc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    ivs[dim] = loop.getInductionVar();
    reduce(dim + 1, loop.getRegionIterArgs());
    b.create<scf::YieldOp>(loc, results);
    results = loop.getResults();
  };
  reduce(0, initial);
  if (split) {
    b.create<memref::StoreOp>(loc, results.front(), partials,
                              ValueRange{launch.getBlockIds().y, linear});
    // The second kernel: combine the partials, then as without a split.
    b.setInsertionPointAfter(launch);
    gpu::LaunchOp combine =
        createLaunch(b, loc, {blocks, 1, 1}, {threads, 1, 1});
    linear = linearThreadIndex(b, loc, combine, threads, total);
    delinearize(b, loc, linear, outputDims, ranges, ivs);
    coordinates.clear();
    for (unsigned dim : outputDims)
      coordinates.push_back(ivs[dim]);
    OpOperand &init = *anchor.getDpsInitOperand(0);
    Value start =
        group.fill ? group.fill.getInputs()[0]
        : anchor.payloadUsesValueFromOperand(&init)
            ? b.create<memref::LoadOp>(loc, init.get(), coordinates).getResult()
            : combinerIdentity(b, loc, combiner);
    auto combineLoop = b.create<scf::ForOp>(
        loc, constantIndex(b, loc, 0), constantIndex(b, loc, splits),
        constantIndex(b, loc, 1), ValueRange{start});
    {
      OpBuilder::InsertionGuard loopGuard(b);
      b.setInsertionPointToStart(combineLoop.getBody());
      Value partial = b.create<memref::LoadOp>(
          loc, partials, ValueRange{combineLoop.getInductionVar(), linear});
      // The payload's combiner(acc, x) (or (x, acc)) on (running, partial).
      Value running = combineLoop.getRegionIterArgs()[0];
      bool accFirst =
          combiner->getOperand(0) == anchor.getMatchingBlockArgument(&init);
      IRMapping mapping;
      mapping.map(combiner->getOperand(0), accFirst ? running : partial);
      mapping.map(combiner->getOperand(1), accFirst ? partial : running);
      b.create<scf::YieldOp>(loc, b.clone(*combiner, mapping)->getResults());
    }
    Value value = combineLoop.getResult(0);
    if (group.epilogue.empty())
      b.create<memref::StoreOp>(loc, value, init.get(), coordinates);
    else
      emitEpilogueAndStore(b, loc, group, value, coordinates);
    b.setInsertionPointAfter(combine);
    b.create<memref::DeallocOp>(loc, partials);
    return;
  }
  if (group.epilogue.empty()) {
    for (auto [init, value] : llvm::zip(anchor.getDpsInits(), results))
      b.create<memref::StoreOp>(loc, value, init, coordinates);
    return;
  }
  emitEpilogueAndStore(b, loc, group, results.front(), coordinates);
}

/// A contraction C[b, m, n] (+)= sum_k A[b, m, k] * B[b, k, n] read through
/// the linalg op's indexing maps: loop dims used by both inputs are batch
/// dims, by A only M dims, by B only N dims; reductions are K dims. A matmul
/// is one, and so is a convolution (an implicit GEMM: M = output pixels,
/// N = filters, K = channels x window).
struct Contraction {
  Value lhs, rhs, out;
  AffineMap lhsMap, rhsMap, outMap;
  SmallVector<int64_t> ranges;
  SmallVector<unsigned> batchDims, mDims, nDims, kDims;
  int64_t batch = 1, m = 1, n = 1, k = 1;
};

/// Smallest M, N and K the tiled kernel takes; below them most of its 64 x 64
/// tile would be idle and one thread per output does better.
constexpr int64_t kMinTiledM = 32, kMinTiledN = 32, kMinTiledK = 16;

static std::optional<Contraction> matchContraction(linalg::LinalgOp op) {
  if (!outputsIndexedByParallelLoops(op) || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return std::nullopt;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.getElementType().isF32())
      return std::nullopt;
  }
  // The payload must be acc + a * b.
  Block *body = op.getBlock();
  if (body->getOperations().size() != 3)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(body->front());
  auto add = dyn_cast<arith::AddFOp>(*std::next(body->begin()));
  Value a = body->getArgument(0), b = body->getArgument(1),
        acc = body->getArgument(2);
  if (!mul || !add ||
      !((mul.getLhs() == a && mul.getRhs() == b) ||
        (mul.getLhs() == b && mul.getRhs() == a)) ||
      !((add.getLhs() == acc && add.getRhs() == mul) ||
        (add.getLhs() == mul && add.getRhs() == acc)) ||
      body->getTerminator()->getOperand(0) != add.getResult())
    return std::nullopt;
  Contraction c;
  c.lhs = op.getDpsInputOperand(0)->get();
  c.rhs = op.getDpsInputOperand(1)->get();
  c.out = op.getDpsInitOperand(0)->get();
  c.lhsMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  c.rhsMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  c.outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  c.ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (unsigned dim = 0; dim < c.ranges.size(); ++dim) {
    if (iterators[dim] == utils::IteratorType::reduction) {
      c.kDims.push_back(dim);
      c.k *= c.ranges[dim];
      continue;
    }
    bool inLhs = c.lhsMap.isFunctionOfDim(dim);
    bool inRhs = c.rhsMap.isFunctionOfDim(dim);
    if (inLhs && inRhs) {
      c.batchDims.push_back(dim);
      c.batch *= c.ranges[dim];
    } else if (inRhs) {
      c.nDims.push_back(dim);
      c.n *= c.ranges[dim];
    } else { // in A only, or in neither (a broadcast along it)
      c.mDims.push_back(dim);
      c.m *= c.ranges[dim];
    }
  }
  if (c.m < kMinTiledM || c.n < kMinTiledN || c.k < kMinTiledK ||
      c.batch > 65535) // the grid's z limit
    return std::nullopt;
  return c;
}

/// Tiles of the shared-memory kernel: a 16 x 16 thread block computes an
/// M x N tile of C, each thread (M / 16) x (N / 16) outputs spaced 16 apart
/// (so that neighbouring threads touch neighbouring columns), over K in
/// steps of 16.
constexpr int64_t kTileK = 16, kThreads = 16;
struct TileShape {
  int64_t m, n;
  int64_t perThreadM() const { return m / kThreads; }
  int64_t perThreadN() const { return n / kThreads; }
  int64_t count(const Contraction &ct) const {
    return ((ct.m + m - 1) / m) * ((ct.n + n - 1) / n) * ct.batch;
  }
};
/// 64 x 64 (4 x 4 a thread) by default. 128 x 128 (8 x 8 a thread: twice
/// the multiply-adds per value read from shared memory, about 130
/// registers) for contractions with enough such tiles to give each
/// multiprocessor two blocks, as a large GEMM has (4096^3: 1024 tiles).
constexpr TileShape kSmallTile = {64, 64}, kLargeTile = {128, 128};

/// The tile for `ct` on a GPU of `smCount` multiprocessors (0: unknown, the
/// small tile).
static TileShape chooseTileShape(const Contraction &ct, int64_t smCount) {
  if (smCount > 0 && ct.m >= kLargeTile.m && ct.n >= kLargeTile.n &&
      kLargeTile.count(ct) >= 2 * smCount)
    return kLargeTile;
  return kSmallTile;
}

/// How a contraction's K is split across thread blocks (split-K): `splits`
/// ranges of `kPerSplit` (a multiple of kTileK; the last may be shorter).
struct KSplit {
  int64_t splits = 1, kPerSplit = 0;
};

/// Fewest K steps (of kTileK) a split runs: below, the partial sums' extra
/// traffic outweighs the blocks gained. Most splits: bounds the partials.
constexpr int64_t kMinStepsPerSplit = 8, kMaxSplits = 32;

/// Split-K for a contraction whose output tiles leave the GPU idle (a batch
/// 1 layer with few output pixels, e.g. ResNet-50's 7 x 7 convolutions: 8
/// tiles for 132 SMs): enough splits to give each of `smCount`
/// multiprocessors two blocks (a 256-thread block of this kernel takes
/// about half an SM's registers), if K is long enough. smCount 0: none.
static KSplit chooseKSplit(const Contraction &ct, TileShape tile,
                           int64_t smCount) {
  KSplit split;
  split.kPerSplit = ct.k;
  int64_t tiles = tile.count(ct);
  int64_t target = 2 * smCount;
  int64_t steps = (ct.k + kTileK - 1) / kTileK;
  if (smCount <= 0 || tiles >= target)
    return split;
  int64_t splits =
      std::min({(target + tiles - 1) / tiles, steps / kMinStepsPerSplit,
                kMaxSplits, 65535 / ct.batch}); // the grid's z limit
  if (splits < 2)
    return split;
  int64_t stepsPerSplit = (steps + splits - 1) / splits;
  split.kPerSplit = stepsPerSplit * kTileK;
  split.splits = (steps + stepsPerSplit - 1) / stepsPerSplit; // none empty
  return split;
}

/// The second kernel of a split-K contraction: one thread per output element
/// (n fastest) adds up the partials over the splits, then the start value
/// (the fill's, else the output's) and the epilogue, and stores.
static void buildSplitKReduction(OpBuilder &b, KernelGroup &group,
                                 const Contraction &ct, Value partials,
                                 int64_t splits) {
  Location loc = group.anchor.getLoc();
  auto c = [&](int64_t value) { return constantIndex(b, loc, value); };
  int64_t total = ct.batch * ct.m * ct.n;
  int64_t threads = std::min<int64_t>(total, 256);
  int64_t blocks = (total + threads - 1) / threads;
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch = createLaunch(b, loc, {blocks, 1, 1}, {threads, 1, 1});
  Value linear = linearThreadIndex(b, loc, launch, threads, total);
  Value n = b.create<arith::RemUIOp>(loc, linear, c(ct.n));
  Value rest = b.create<arith::DivUIOp>(loc, linear, c(ct.n));
  Value m = b.create<arith::RemUIOp>(loc, rest, c(ct.m));
  Value batchIndex = b.create<arith::DivUIOp>(loc, rest, c(ct.m));
  Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0));
  auto sumLoop =
      b.create<scf::ForOp>(loc, c(0), c(splits), c(1), ValueRange{zero});
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(sumLoop.getBody());
    Value partial = b.create<memref::LoadOp>(
        loc, partials, ValueRange{sumLoop.getInductionVar(), batchIndex, m, n});
    b.create<scf::YieldOp>(
        loc,
        b.create<arith::AddFOp>(loc, sumLoop.getRegionIterArgs()[0], partial)
            .getResult());
  }
  SmallVector<Value> ivs(ct.ranges.size());
  delinearize(b, loc, batchIndex, ct.batchDims, ct.ranges, ivs);
  delinearize(b, loc, m, ct.mDims, ct.ranges, ivs);
  delinearize(b, loc, n, ct.nDims, ct.ranges, ivs);
  for (Value &iv : ivs)
    if (!iv)
      iv = c(0);
  SmallVector<Value> coordinates = indicesThrough(b, loc, ct.outMap, ivs);
  Value start =
      group.fill
          ? group.fill.getInputs()[0]
          : b.create<memref::LoadOp>(loc, ct.out, coordinates).getResult();
  Value value = b.create<arith::AddFOp>(loc, start, sumLoop.getResult(0));
  emitEpilogueAndStore(b, loc, group, value, coordinates);
}

/// The contraction with A and B tiles staged through shared memory, the
/// fill folded into the start value and the epilogue applied before the
/// store.
static void buildTiledContractionKernel(OpBuilder &b, KernelGroup &group,
                                        const Contraction &ct, TileShape tile,
                                        KSplit split) {
  const int64_t perM = tile.perThreadM(), perN = tile.perThreadN();
  Location loc = group.anchor.getLoc();
  Type f32 = b.getF32Type();
  // With split-K each block sums one range of K into partials[split][batch]
  // [m][n]; a second kernel adds them up, applies the start value and the
  // epilogue, and stores.
  bool splitK = split.splits > 1;
  Value partials;
  if (splitK)
    partials = b.create<memref::AllocOp>(
        loc, MemRefType::get({split.splits, ct.batch, ct.m, ct.n}, f32));
  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  // A tile transposed ([k][m], one column of padding against bank
  // conflicts on the transposing store), B tile as is ([k][n]).
  auto lhsTileType = MemRefType::get({kTileK, tile.m + 1}, f32,
                                     MemRefLayoutAttrInterface{}, workgroup);
  auto rhsTileType = MemRefType::get({kTileK, tile.n}, f32,
                                     MemRefLayoutAttrInterface{}, workgroup);
  OpBuilder::InsertionGuard hostGuard(b);
  gpu::LaunchOp launch =
      createLaunch(b, loc,
                   {(ct.n + tile.n - 1) / tile.n, (ct.m + tile.m - 1) / tile.m,
                    ct.batch * split.splits},
                   {kThreads, kThreads, 1}, {lhsTileType, rhsTileType});
  Value lhsTile = launch.getWorkgroupAttributions()[0];
  Value rhsTile = launch.getWorkgroupAttributions()[1];
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  auto c = [&](int64_t value) { return constantIndex(b, loc, value); };
  auto add = [&](Value x, Value y) {
    return b.create<arith::AddIOp>(loc, x, y).getResult();
  };
  auto mul = [&](Value x, int64_t y) {
    return b.create<arith::MulIOp>(loc, x, c(y)).getResult();
  };
  auto lessThan = [&](Value x, int64_t bound) {
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, x, c(bound))
        .getResult();
  };
  auto both = [&](Value x, Value y) -> Value {
    if (!x || !y)
      return x ? x : y;
    return b.create<arith::AndIOp>(loc, x, y);
  };
  // Loop indices from the linear batch, m, n and k indices (dims a linear
  // index does not cover stay 0; the operand reading them does not use it).
  // The grid's z: split x batch + the linear batch index.
  Value batchIndex = launch.getBlockIds().z, splitIndex;
  if (splitK) {
    splitIndex = b.create<arith::DivUIOp>(loc, batchIndex, c(ct.batch));
    batchIndex = b.create<arith::RemUIOp>(loc, batchIndex, c(ct.batch));
  }
  SmallVector<Value> batchIvs(ct.ranges.size());
  delinearize(b, loc, batchIndex, ct.batchDims, ct.ranges, batchIvs);
  auto loopIvs =
      [&](std::initializer_list<std::pair<Value, ArrayRef<unsigned>>> parts) {
        SmallVector<Value> ivs = batchIvs;
        for (auto [linear, dims] : parts)
          delinearize(b, loc, linear, dims, ct.ranges, ivs);
        for (Value &iv : ivs)
          if (!iv)
            iv = c(0);
        return ivs;
      };
  // Loads operand[(i, k)] through its map, or 0 where `inside` is false.
  auto loadOrZero = [&](Value operand, AffineMap map, Value inside,
                        function_ref<SmallVector<Value>()> ivs) -> Value {
    if (!inside)
      return b.create<memref::LoadOp>(loc, operand,
                                      indicesThrough(b, loc, map, ivs()));
    auto branch = b.create<scf::IfOp>(loc, TypeRange{f32}, inside,
                                      /*addThenBlock=*/true,
                                      /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&branch.getThenRegion().front());
    b.create<scf::YieldOp>(
        loc, b.create<memref::LoadOp>(loc, operand,
                                      indicesThrough(b, loc, map, ivs()))
                 .getResult());
    b.setInsertionPointToStart(&branch.getElseRegion().front());
    b.create<scf::YieldOp>(
        loc,
        b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0)).getResult());
    return branch.getResult(0);
  };

  Value rowBase = mul(launch.getBlockIds().y, tile.m);
  Value colBase = mul(launch.getBlockIds().x, tile.n);
  Value linearThread = add(mul(ty, kThreads), tx);
  Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0.0));
  SmallVector<Value> initial(perM * perN, zero);
  Value kBegin = c(0), kEnd = c(ct.k);
  if (splitK) {
    kBegin = mul(splitIndex, split.kPerSplit);
    kEnd =
        b.create<arith::MinUIOp>(loc, add(kBegin, c(split.kPerSplit)), c(ct.k));
  }
  // This thread's elements of the staged tiles, (row, col) each: of A's
  // [m][k] tile (stored transposed), then of B's [k][n] tile. Consecutive
  // threads take consecutive cols.
  constexpr int64_t blockThreads = kThreads * kThreads;
  const int64_t lhsCount = tile.m * kTileK / blockThreads;
  const int64_t rhsCount = tile.n * kTileK / blockThreads;
  SmallVector<std::pair<Value, Value>> positions;
  for (int64_t r = 0; r < lhsCount + rhsCount; ++r) {
    int64_t cols = r < lhsCount ? kTileK : tile.n;
    Value element =
        add(linearThread, c((r < lhsCount ? r : r - lhsCount) * blockThreads));
    positions.push_back({b.create<arith::DivUIOp>(loc, element, c(cols)),
                         b.create<arith::RemUIOp>(loc, element, c(cols))});
  }
  // Reads this thread's elements of the tiles at K offset `kBase` (0 past
  // the operands' ends).
  auto loadTiles = [&](Value kBase) {
    SmallVector<Value> values;
    for (int64_t r = 0; r < lhsCount + rhsCount; ++r) {
      bool isLhs = r < lhsCount;
      auto [row, col] = positions[r];
      Value globalRow = add(isLhs ? rowBase : kBase, row);
      Value globalCol = add(isLhs ? kBase : colBase, col);
      int64_t rowBound = isLhs ? ct.m : ct.k, rowTile = isLhs ? tile.m : kTileK;
      int64_t colBound = isLhs ? ct.k : ct.n, colTile = isLhs ? kTileK : tile.n;
      values.push_back(loadOrZero(
          isLhs ? ct.lhs : ct.rhs, isLhs ? ct.lhsMap : ct.rhsMap,
          both(rowBound % rowTile ? lessThan(globalRow, rowBound) : Value(),
               colBound % colTile ? lessThan(globalCol, colBound) : Value()),
          [&] {
            return loopIvs({{globalRow, isLhs ? ct.mDims : ct.kDims},
                            {globalCol, isLhs ? ct.kDims : ct.nDims}});
          }));
    }
    return values;
  };
  auto storeTiles = [&](ValueRange values) {
    for (int64_t r = 0; r < lhsCount + rhsCount; ++r) {
      auto [row, col] = positions[r];
      if (r < lhsCount)
        b.create<memref::StoreOp>(loc, values[r], lhsTile,
                                  ValueRange{col, row});
      else
        b.create<memref::StoreOp>(loc, values[r], rhsTile,
                                  ValueRange{row, col});
    }
  };
  // The large tile runs one block per multiprocessor (its registers), so
  // no other block's work hides the global reads: it reads the next tiles
  // into registers before computing on the staged ones, and stores them
  // after. The small tile's several blocks per multiprocessor overlap
  // instead.
  bool prefetch = tile.perThreadM() * tile.perThreadN() > 16;
  if (prefetch) {
    storeTiles(loadTiles(kBegin));
    b.create<gpu::BarrierOp>(loc);
  }
  auto kLoop = b.create<scf::ForOp>(loc, kBegin, kEnd, c(kTileK), initial);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value kBase = kLoop.getInductionVar();
    SmallVector<Value> next;
    if (prefetch) {
      Value nextBase = add(kBase, c(kTileK));
      auto hasNext = b.create<scf::IfOp>(
          loc, SmallVector<Type>(lhsCount + rhsCount, f32),
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, nextBase,
                                  kEnd),
          /*addThenBlock=*/true, /*addElseBlock=*/true);
      OpBuilder::InsertionGuard ifGuard(b);
      b.setInsertionPointToStart(&hasNext.getThenRegion().front());
      b.create<scf::YieldOp>(loc, loadTiles(nextBase));
      b.setInsertionPointToStart(&hasNext.getElseRegion().front());
      b.create<scf::YieldOp>(loc,
                             SmallVector<Value>(lhsCount + rhsCount, zero));
      next = hasNext.getResults();
    } else {
      storeTiles(loadTiles(kBase));
      b.create<gpu::BarrierOp>(loc);
    }
    auto inner = b.create<scf::ForOp>(loc, c(0), c(kTileK), c(1),
                                      kLoop.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard innerGuard(b);
      b.setInsertionPointToStart(inner.getBody());
      Value kk = inner.getInductionVar();
      SmallVector<Value> aValues, bValues, sums;
      for (int64_t i = 0; i < perM; ++i)
        aValues.push_back(b.create<memref::LoadOp>(
            loc, lhsTile, ValueRange{kk, add(ty, c(i * kThreads))}));
      for (int64_t j = 0; j < perN; ++j)
        bValues.push_back(b.create<memref::LoadOp>(
            loc, rhsTile, ValueRange{kk, add(tx, c(j * kThreads))}));
      for (int64_t i = 0; i < perM; ++i)
        for (int64_t j = 0; j < perN; ++j)
          sums.push_back(
              b.create<math::FmaOp>(loc, aValues[i], bValues[j],
                                    inner.getRegionIterArgs()[i * perN + j]));
      b.create<scf::YieldOp>(loc, sums);
    }
    // The next tile may be stored only when all threads have read this one.
    b.create<gpu::BarrierOp>(loc);
    if (prefetch) {
      storeTiles(next);
      b.create<gpu::BarrierOp>(loc);
    }
    b.create<scf::YieldOp>(loc, inner.getResults());
  }
  for (int64_t i = 0; i < perM; ++i) {
    for (int64_t j = 0; j < perN; ++j) {
      OpBuilder::InsertionGuard guard(b);
      Value m = add(rowBase, add(ty, c(i * kThreads)));
      Value n = add(colBase, add(tx, c(j * kThreads)));
      if (Value inside = both(ct.m % tile.m ? lessThan(m, ct.m) : Value(),
                              ct.n % tile.n ? lessThan(n, ct.n) : Value())) {
        auto guardIf = b.create<scf::IfOp>(loc, inside, /*withElse=*/false);
        b.setInsertionPointToStart(&guardIf.getThenRegion().front());
      }
      Value sum = kLoop.getResult(i * perN + j);
      if (splitK) {
        b.create<memref::StoreOp>(loc, sum, partials,
                                  ValueRange{splitIndex, batchIndex, m, n});
        continue;
      }
      SmallVector<Value> coordinates = indicesThrough(
          b, loc, ct.outMap, loopIvs({{m, ct.mDims}, {n, ct.nDims}}));
      Value start =
          group.fill
              ? group.fill.getInputs()[0]
              : b.create<memref::LoadOp>(loc, ct.out, coordinates).getResult();
      Value value = b.create<arith::AddFOp>(loc, start, sum);
      emitEpilogueAndStore(b, loc, group, value, coordinates);
    }
  }
  if (splitK) {
    b.setInsertionPointAfter(launch);
    buildSplitKReduction(b, group, ct, partials, split.splits);
    b.create<memref::DeallocOp>(loc, partials);
  }
}

/// Runs `op` (anything touching memory) in a one-thread kernel.
static void wrapInSingleThreadKernel(OpBuilder &b, Operation *op) {
  b.setInsertionPoint(op);
  createLaunch(b, op->getLoc(), {1, 1, 1}, {1, 1, 1});
  op->moveBefore(b.getInsertionBlock()->getTerminator());
}

/// Kernels take bare pointers, so a memref with a strided layout (a
/// subview, a transposed view) that a kernel uses is rebuilt inside it from
/// its identity-layout source.
static LogicalResult rebuildStridedViews(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  bool changed = true;
  while (changed) {
    changed = false;
    SetVector<Value> captured;
    getUsedValuesDefinedAbove(body, captured);
    for (Value value : captured) {
      auto type = dyn_cast<MemRefType>(value.getType());
      if (!type || type.getLayout().isIdentity())
        continue;
      Operation *view = value.getDefiningOp();
      if (!view || !isa<ViewLikeOpInterface>(view) || !isMemoryEffectFree(view))
        return launch.emitError("a kernel uses a strided memref (")
               << type << ") that is not a view of a contiguous buffer";
      OpBuilder b(&body.front(), body.front().begin());
      Operation *copy = b.clone(*view);
      replaceAllUsesInRegionWith(value, copy->getResult(0), body);
      changed = true;
      break;
    }
  }
  return success();
}

struct GpuMapKernels : dlc::impl::GpuMapKernelsBase<GpuMapKernels> {
  using GpuMapKernelsBase::GpuMapKernelsBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    SmallVector<Operation *> ops;
    for (Operation &op : function.getBody().front())
      ops.push_back(&op);
    DenseSet<Operation *> taken;
    OpBuilder b(&getContext());
    for (Operation *op : ops) {
      if (taken.count(op) || isMetadata(op) ||
          isa<memref::DeallocOp, func::ReturnOp, gpu::LaunchOp>(op))
        continue;
      KernelGroup group;
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      if (auto fill = dyn_cast<linalg::FillOp>(op)) {
        auto next = dyn_cast_or_null<linalg::LinalgOp>(nextKernelOp(op));
        if (next && next.getNumReductionLoops() > 0 &&
            next.getNumDpsInits() == 1 &&
            next.getDpsInitOperand(0)->get() == fill.getOutputs()[0] &&
            fill.hasPureBufferSemantics() &&
            llvm::none_of(next.getDpsInputOperands(), [&](OpOperand *input) {
              return input->get() == fill.getOutputs()[0];
            })) {
          group.fill = fill;
          linalgOp = next;
        }
      }
      std::optional<Contraction> contraction;
      if (linalgOp && tiledContractions)
        contraction = matchContraction(linalgOp);
      if (!linalgOp ||
          (!contraction && !outputsIndexedByParallelLoops(linalgOp))) {
        wrapInSingleThreadKernel(b, op);
        continue;
      }
      group.anchor = linalgOp;
      Operation *last = linalgOp;
      while (auto next =
                 dyn_cast_or_null<linalg::GenericOp>(nextKernelOp(last))) {
        if (!isEpilogueOf(next, linalgOp))
          break;
        group.epilogue.push_back(next);
        last = next;
      }
      // After the last member: everything the members use is defined.
      b.setInsertionPointAfter(last);
      if (contraction) {
        TileShape tile = chooseTileShape(*contraction, smCount);
        buildTiledContractionKernel(b, group, *contraction, tile,
                                    chooseKSplit(*contraction, tile, smCount));
      } else
        buildElementwiseKernel(b, group, blockSize, smCount);
      taken.insert(linalgOp);
      for (Operation *member : group.epilogue)
        taken.insert(member);
      if (group.fill)
        group.fill->erase();
      linalgOp->erase();
      for (linalg::GenericOp member : group.epilogue)
        member->erase();
    }
    WalkResult result = function.walk([](gpu::LaunchOp launch) {
      return failed(rebuildStridedViews(launch)) ? WalkResult::interrupt()
                                                 : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
