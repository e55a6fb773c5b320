//===- GpuEmulate.cpp - Run gpu.launch kernels as loops on the CPU --------===//
//
// For checking the GPU mapping where there is no GPU: each gpu.launch
// becomes loops over its blocks and threads, run one after another, and its
// workgroup buffers stack buffers. A kernel's barriers must be at the top
// level of its body or of loops there (the shape of the tiled matmul, with
// its prefetching prologue): the body and those loops' bodies are split at
// the barriers, each piece runs for every thread of the block in turn, and
// values that live across a barrier (the loops' iter_args, per-thread
// results) are kept in per-thread arrays.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/MapVector.h"

namespace dlc {
#define GEN_PASS_DEF_GPUEMULATE
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

struct Emulator {
  gpu::LaunchOp launch;
  OpBuilder &b;
  Location loc;
  int64_t grid[3], block[3];
  IRMapping blockLevel;            // block ids, sizes, shared buffers
  Operation *blockLoops = nullptr; // the outermost loop over blocks

  Value constant(int64_t value) {
    return b.create<arith::ConstantIndexOp>(loc, value);
  }

  /// Runs `fill(mapping)` for every thread of the block (x fastest), with
  /// the thread ids mapped; `linear` gets the thread's linear index.
  void forEachThread(function_ref<void(IRMapping &, Value linear)> fill) {
    Value zero = constant(0), one = constant(1);
    auto z = b.create<scf::ForOp>(loc, zero, constant(block[2]), one);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(z.getBody());
    auto y = b.create<scf::ForOp>(loc, zero, constant(block[1]), one);
    b.setInsertionPointToStart(y.getBody());
    auto x = b.create<scf::ForOp>(loc, zero, constant(block[0]), one);
    b.setInsertionPointToStart(x.getBody());
    IRMapping mapping = blockLevel;
    gpu::KernelDim3 ids = launch.getThreadIds();
    mapping.map(ids.x, x.getInductionVar());
    mapping.map(ids.y, y.getInductionVar());
    mapping.map(ids.z, z.getInductionVar());
    Value linear = b.create<arith::AddIOp>(
        loc,
        b.create<arith::MulIOp>(
            loc,
            b.create<arith::AddIOp>(loc,
                                    b.create<arith::MulIOp>(loc,
                                                            z.getInductionVar(),
                                                            constant(block[1])),
                                    y.getInductionVar()),
            constant(block[0])),
        x.getInductionVar());
    fill(mapping, linear);
  }

  /// A per-thread array for values of `type`, allocated before the block
  /// loops (a stack allocation in a loop would grow the stack each time).
  Value privateArray(Type type) {
    int64_t threads = block[0] * block[1] * block[2];
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(blockLoops);
    return b.create<memref::AllocaOp>(loc, MemRefType::get({threads}, type));
  }

  LogicalResult emulate(Block &body) {
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    auto hasBarrier = [](Operation *op) {
      return op->walk([](gpu::BarrierOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
    };
    if (llvm::none_of(ops, hasBarrier)) {
      forEachThread([&](IRMapping &mapping, Value) {
        for (Operation *op : ops)
          b.clone(*op, mapping);
      });
      return success();
    }
    // Pure top-level ops that read nothing computed in the body but by
    // such ops (indices, constants, bounds) are recomputed for each thread
    // at the start of every piece: the prologue.
    SmallVector<Operation *> prologueOps;
    DenseSet<Operation *> inPrologue;
    for (Operation *op : ops) {
      // What it reads: its operands and what its regions use from above.
      SetVector<Value> read(op->operand_begin(), op->operand_end());
      for (Region &region : op->getRegions())
        getUsedValuesDefinedAbove(region, read);
      bool recomputable =
          !hasBarrier(op) && isMemoryEffectFree(op) &&
          llvm::all_of(read, [&](Value value) {
            Operation *def = value.getDefiningOp();
            // (The body's arguments are the ids and sizes.)
            return !def || def->getBlock() != &body || inPrologue.count(def);
          });
      if (recomputable) {
        prologueOps.push_back(op);
        inPrologue.insert(op);
      }
    }
    auto prologue = [&](IRMapping &mapping) {
      for (Operation *op : prologueOps)
        b.clone(*op, mapping);
    };
    IRMapping uniform = blockLevel; // for loop bounds: at block level
    gpu::KernelDim3 threadIds = launch.getThreadIds();
    for (Value id : {threadIds.x, threadIds.y, threadIds.z})
      uniform.map(id, constant(0)); // unused by the bounds
    prologue(uniform);

    // The rest runs in pieces, split at barriers: the top level at its
    // barriers, and each loop with barriers at its top level (the tiled
    // matmul's K loop) at the barriers of its body, every iteration. Each
    // piece runs for every thread of the block in turn; values that cross
    // pieces go through per-thread arrays, as do the loops' iter_args.
    struct Piece {
      SmallVector<Operation *> ops;
      scf::ForOp loop; // the loop whose body holds this piece, if any
    };
    SmallVector<Piece> pieces(1);
    SmallVector<std::pair<scf::ForOp, size_t>> loops; // and first piece
    for (Operation *op : ops) {
      if (inPrologue.count(op))
        continue;
      if (isa<gpu::BarrierOp>(op)) {
        pieces.emplace_back();
        continue;
      }
      if (!hasBarrier(op)) {
        pieces.back().ops.push_back(op);
        continue;
      }
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop)
        return launch.emitError("cannot emulate this kernel: a barrier is "
                                "nested in an op other than a loop");
      for (Value bound :
           {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()}) {
        Operation *def = bound.getDefiningOp();
        if (def && def->getBlock() == &body && !inPrologue.count(def))
          return launch.emitError("cannot emulate this kernel: the bounds "
                                  "of its barrier loop depend on memory");
      }
      loops.push_back({loop, pieces.size()});
      pieces.push_back({{}, loop});
      for (Operation &inner : *loop.getBody()) {
        if (isa<gpu::BarrierOp>(inner)) {
          pieces.push_back({{}, loop});
          continue;
        }
        if (hasBarrier(&inner))
          return launch.emitError("cannot emulate this kernel: a barrier is "
                                  "nested in its loop's body");
        pieces.back().ops.push_back(&inner);
      }
      pieces.emplace_back();
    }
    DenseMap<Value, size_t> pieceOf;
    for (auto [index, piece] : llvm::enumerate(pieces))
      for (Operation *op : piece.ops)
        for (Value result : op->getResults())
          pieceOf[result] = index;
    llvm::MapVector<Value, Value> spilled; // value -> its per-thread array
    for (auto [pieceIndex, piece] : llvm::enumerate(pieces))
      for (Operation *op : piece.ops)
        // (A lambda may not capture a structured binding before C++20.)
        op->walk([&, index = pieceIndex](Operation *inner) {
          for (Value operand : inner->getOperands()) {
            auto it = pieceOf.find(operand);
            if (it != pieceOf.end() && it->second != index &&
                !spilled.count(operand))
              spilled[operand] = Value();
          }
        });
    // A loop's start values are read as its first piece starts.
    for (auto [loop, first] : loops)
      for (Value init : loop.getInitArgs())
        if (pieceOf.count(init) && !spilled.count(init))
          spilled[init] = Value();
    // Each loop's iter_args, then its results, in per-thread arrays; the
    // loop's results count as defined by its first piece.
    DenseMap<Operation *, SmallVector<Value>> carried;
    for (auto [loop, first] : loops) {
      for (Value init : loop.getInitArgs())
        carried[loop].push_back(privateArray(init.getType()));
      for (Value result : loop.getResults())
        pieceOf[result] = first;
    }
    for (auto &[value, array] : spilled)
      array = privateArray(value.getType());

    // Maps what a piece reads from other pieces and from loop results.
    auto readOthers = [&](IRMapping &mapping, Value thread, size_t index) {
      for (auto &[value, array] : spilled)
        if (pieceOf[value] < index)
          mapping.map(value, b.create<memref::LoadOp>(loc, array, thread));
      for (auto [loop, first] : loops)
        if (first < index && loop != pieces[index].loop)
          for (auto [result, array] :
               llvm::zip(loop.getResults(), carried[loop]))
            mapping.map(result, b.create<memref::LoadOp>(loc, array, thread));
    };
    auto runPiece = [&](size_t index, scf::ForOp emulated) {
      Piece &piece = pieces[index];
      forEachThread([&](IRMapping &mapping, Value thread) {
        prologue(mapping);
        readOthers(mapping, thread, index);
        if (piece.loop) {
          mapping.map(piece.loop.getInductionVar(), emulated.getInductionVar());
          for (auto [arg, array] :
               llvm::zip(piece.loop.getRegionIterArgs(), carried[piece.loop]))
            mapping.map(arg, b.create<memref::LoadOp>(loc, array, thread));
        }
        for (Operation *op : piece.ops) {
          if (auto yield = dyn_cast<scf::YieldOp>(op)) {
            for (auto [value, array] :
                 llvm::zip(yield.getOperands(), carried[piece.loop]))
              b.create<memref::StoreOp>(loc, mapping.lookupOrDefault(value),
                                        array, thread);
            continue;
          }
          Operation *copy = b.clone(*op, mapping);
          for (auto [result, copied] :
               llvm::zip(op->getResults(), copy->getResults()))
            if (spilled.count(result))
              b.create<memref::StoreOp>(loc, copied, spilled[result], thread);
        }
      });
    };
    for (size_t index = 0; index < pieces.size();) {
      scf::ForOp loop = pieces[index].loop;
      if (!loop) {
        if (!pieces[index].ops.empty())
          runPiece(index, nullptr);
        ++index;
        continue;
      }
      forEachThread([&](IRMapping &mapping, Value thread) {
        prologue(mapping);
        readOthers(mapping, thread, index);
        for (auto [init, array] : llvm::zip(loop.getInitArgs(), carried[loop]))
          b.create<memref::StoreOp>(loc, mapping.lookupOrDefault(init), array,
                                    thread);
      });
      auto emulated = b.create<scf::ForOp>(
          loc, uniform.lookupOrDefault(loop.getLowerBound()),
          uniform.lookupOrDefault(loop.getUpperBound()),
          uniform.lookupOrDefault(loop.getStep()));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(emulated.getBody());
      for (; index < pieces.size() && pieces[index].loop == loop; ++index)
        runPiece(index, emulated);
    }
    return success();
  }
};

static std::optional<int64_t> constantOf(Value value) {
  if (auto constant = value.getDefiningOp<arith::ConstantIndexOp>())
    return constant.value();
  return std::nullopt;
}

struct GpuEmulate : dlc::impl::GpuEmulateBase<GpuEmulate> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches) {
      OpBuilder b(launch);
      Location loc = launch.getLoc();
      Emulator emulator{launch, b, loc, {}, {}, {}, nullptr};
      gpu::KernelDim3 gridSizes = launch.getGridSizeOperandValues();
      gpu::KernelDim3 blockSizes = launch.getBlockSizeOperandValues();
      Value sizes[6] = {gridSizes.x,  gridSizes.y,  gridSizes.z,
                        blockSizes.x, blockSizes.y, blockSizes.z};
      for (int i = 0; i < 6; ++i) {
        std::optional<int64_t> size = constantOf(sizes[i]);
        if (!size) {
          launch.emitError("cannot emulate a launch of a dynamic size");
          return signalPassFailure();
        }
        (i < 3 ? emulator.grid[i] : emulator.block[i - 3]) = *size;
      }
      IRMapping &mapping = emulator.blockLevel;
      gpu::KernelDim3 gridArgs = launch.getGridSize();
      gpu::KernelDim3 blockArgs = launch.getBlockSize();
      Value args[6] = {gridArgs.x,  gridArgs.y,  gridArgs.z,
                       blockArgs.x, blockArgs.y, blockArgs.z};
      for (int i = 0; i < 6; ++i)
        mapping.map(args[i], sizes[i]);
      for (BlockArgument shared : launch.getWorkgroupAttributions()) {
        auto type = cast<MemRefType>(shared.getType());
        mapping.map(shared, b.create<memref::AllocaOp>(
                                loc, MemRefType::get(type.getShape(),
                                                     type.getElementType())));
      }
      Value zero = emulator.constant(0), one = emulator.constant(1);
      gpu::KernelDim3 ids = launch.getBlockIds();
      Value blockIds[3] = {ids.x, ids.y, ids.z};
      for (int i = 2; i >= 0; --i) {
        auto loop = b.create<scf::ForOp>(
            loc, zero, emulator.constant(emulator.grid[i]), one);
        b.setInsertionPointToStart(loop.getBody());
        mapping.map(blockIds[i], loop.getInductionVar());
        if (!emulator.blockLoops)
          emulator.blockLoops = loop;
      }
      if (failed(emulator.emulate(launch.getBody().front())))
        return signalPassFailure();
      launch.erase();
    }
  }
};

} // namespace
