//===- TileFusedGroups.cpp - One loop nest per kernel ---------------------===//
//
// After convert-dlc-to-linalg, a kernel is a short chain of linalg ops: an
// init fill, the anchor's contraction or window reduction, maybe a finishing
// step (a mean's division), and a fused group's epilogue writing in place.
// This pass tiles the last op of each chain over its outer parallel loops and
// fuses the rest of the chain into the tile loop (scf.for, upstream
// tile-and-fuse), so the kernel is one loop nest whose epilogue works on a
// tile still in cache.
//
// A large op of a kernel of its own (an elementwise group, a transpose) is
// tiled the same way, so that its tile loop can run on several threads.
//
// The anchor of a chain that dlc-matmul-microkernel will take (a large f32
// matmul) is left whole; its epilogue is tiled on its own after it.
//
// A chain is found through locations: the ops one dlc op lowers into carry
// its location, and a group's epilogue (marked `dlc.fusion_root`) reaches its
// anchor through its init operand.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <limits>

namespace dlc {
#define GEN_PASS_DEF_TILEFUSEDGROUPS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

bool isFusionRoot(Operation *op) {
  return op->hasAttr(dlc::DlcDialect::FusionRootAttrHelper::getNameStr());
}

/// Per tiled kernel: producers fused into the tile loop (fills and
/// destinations aside), and of those, ones with several users, which fusion
/// recomputes.
constexpr int kMaxFusedProducers = 32;
constexpr int kMaxRecomputedProducers = 4;

/// Whether `producer` belongs to the kernel whose ops so far carry
/// `locations`: a fill, the op whose result a kernel op updates in place (a
/// group's anchor, a mean's sum), or an op at one of those locations.
bool inKernel(Operation *producer, ArrayRef<Location> locations,
              bool isDestination) {
  if (!isa<linalg::LinalgOp>(producer))
    return false;
  if (isa<linalg::FillOp>(producer) || isDestination)
    return true;
  // A result used elsewhere too would be computed twice; within one op's
  // lowering (a softmax's row max, read by two passes) that is cheaper than
  // a trip through memory.
  if (!llvm::is_contained(locations, producer->getLoc()))
    return false;
  return llvm::all_of(producer->getUsers(), [&](Operation *user) {
    return user->getLoc() == producer->getLoc();
  });
}

/// Whether `op` has a producer it would fuse with.
bool hasKernelProducer(linalg::LinalgOp op) {
  for (OpOperand &operand : op->getOpOperands()) {
    Operation *producer = operand.get().getDefiningOp();
    if (!producer)
      continue;
    if (inKernel(producer, op->getLoc(), op.isDpsInit(&operand)))
      return true;
  }
  return false;
}

/// Whether `op`'s result goes on to another op of the same kernel (then it
/// is fused into that one, not tiled on its own): an op at its location, or
/// a group epilogue that updates it in place.
bool feedsKernelConsumer(Operation *op) {
  for (OpOperand &use : op->getUses()) {
    auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
    if (user && (user->getLoc() == op->getLoc() ||
                 (isFusionRoot(user) && user.isDpsInit(&use))))
      return true;
  }
  return false;
}

struct TileFusedGroupsPass
    : dlc::impl::TileFusedGroupsBase<TileFusedGroupsPass> {
  using TileFusedGroupsBase::TileFusedGroupsBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> roots;
    for (Block &block : getOperation().getBody())
      for (Operation &op : block)
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
          if (linalgOp.hasPureTensorSemantics() && !feedsKernelConsumer(&op) &&
              (hasKernelProducer(linalgOp) ||
               iterations(linalgOp) >= dlc::kParallelMinWork) &&
              !dlc::fitsMatmulMicrokernel(linalgOp, minMacs()))
            roots.push_back(linalgOp);
    for (linalg::LinalgOp root : roots)
      if (failed(tileAndFuse(root, /*fuseProducers=*/!leftToMicrokernel(root))))
        return signalPassFailure();
  }

  int64_t minMacs() const {
    return microkernel ? dlc::kMicrokernelMinMacs
                       : std::numeric_limits<int64_t>::max();
  }

  /// Whether `root` is the epilogue of a matmul left whole to the
  /// micro-kernel: then the epilogue is tiled on its own, after it.
  bool leftToMicrokernel(linalg::LinalgOp root) const {
    for (OpOperand &init : root.getDpsInitsMutable())
      if (dlc::fitsMatmulMicrokernel(init.get().getDefiningOp(), minMacs()))
        return true;
    return false;
  }

  static int64_t iterations(linalg::LinalgOp op) {
    int64_t count = 1;
    for (int64_t extent : op.getStaticLoopRanges())
      count *= std::max<int64_t>(extent, 1);
    return count;
  }

  LogicalResult tileAndFuse(linalg::LinalgOp root, bool fuseProducers) {
    // Tile size 1 on every parallel loop of extent > 1 but the innermost
    // such loop; when that leaves none (a [1, N] result), on the innermost.
    // Reduction loops stay whole. A loop of extent 1 is never made, so
    // canonicalization cannot split the nest apart again.
    SmallVector<utils::IteratorType> iterators = root.getIteratorTypesArray();
    SmallVector<int64_t> extents = root.getStaticLoopRanges();
    SmallVector<int64_t> candidates;
    for (auto [i, iterator] : llvm::enumerate(iterators))
      if (iterator == utils::IteratorType::parallel && extents[i] > 1)
        candidates.push_back(i);
    if (candidates.empty())
      return success(); // nothing to loop over: the chain stays as it is
    if (candidates.size() > 1)
      candidates.pop_back();
    OpBuilder builder(root);
    SmallVector<OpFoldResult> tileSizes;
    for (size_t i = 0; i < iterators.size(); ++i)
      tileSizes.push_back(
          builder.getIndexAttr(llvm::is_contained(candidates, i) ? 1 : 0));

    SmallVector<Location> locations = {root->getLoc()};
    scf::SCFTileAndFuseOptions options;
    options.tilingOptions.setTileSizes(tileSizes);
    // An importer's composite (GridSample, Det, ...) lowers to many linalg
    // ops at one location, sharing values: fusing every producer with
    // several users recomputes it per user, and nested diamonds multiply
    // that exponentially. A kernel recomputes a few such producers (a
    // softmax's row max) and takes a bounded number in all; past that, a
    // producer stays a kernel of its own, read through memory.
    int recomputed = 0, taken = 0;
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination) {
          Operation *op = producer.getOwner();
          // A contraction the micro-kernel takes stays whole, whatever
          // consumes it.
          bool fuse = fuseProducers && inKernel(op, locations, isDestination) &&
                      !dlc::fitsMatmulMicrokernel(op, minMacs());
          if (fuse && !isDestination && !isa<linalg::FillOp>(op)) {
            bool shared = !producer.hasOneUse();
            if (taken >= kMaxFusedProducers ||
                (shared && recomputed >= kMaxRecomputedProducers))
              fuse = false;
            else
              recomputed += shared, ++taken;
          }
          if (fuse && !llvm::is_contained(locations, op->getLoc()))
            locations.push_back(op->getLoc());
          return std::make_tuple(fuse, false);
        });
    IRRewriter rewriter(&getContext());
    rewriter.setInsertionPoint(root);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(root.getOperation()), options);
    if (failed(result))
      return root->emitError("could not tile this kernel into one loop nest");
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    // Tiles write disjoint parts of the result: the outer loop can run on
    // several threads (dlc-parallelize-loops).
    // The work of the kernel: its anchor's iterations (reductions included),
    // or the root's when it has no anchor.
    int64_t work = iterations(root);
    for (OpOperand &init : root.getDpsInitsMutable())
      if (auto anchor = init.get().getDefiningOp<linalg::LinalgOp>();
          anchor && fuseProducers)
        work = std::max(work, iterations(anchor));
    if (!result->loops.empty() && work >= dlc::kParallelMinWork)
      result->loops.front()->setAttr(
          dlc::DlcDialect::ParallelAttrHelper::getNameStr(),
          rewriter.getUnitAttr());
    return success();
  }
};

} // namespace
