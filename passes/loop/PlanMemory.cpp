//===- PlanMemory.cpp - One arena for all intermediate buffers ------------===//
//
// Static memory planning on bufferized code. Buffers live from their alloc to
// the last top-level op that touches them, directly or through a value that
// may alias them (a view, or a memref a loop or branch returns); two
// buffers whose lifetimes do not overlap may share bytes. Offsets are chosen
// greedily, largest buffer first, at the lowest aligned offset free of every
// placed buffer that is alive at the same time (as TFLite's and TVM's
// planners do). Each alloc then becomes a memref.view into one arena.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/DenseSet.h"

namespace dlc {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0; // top-level op indices, inclusive
  int64_t offset = -1;
};

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// The buffer's size in bytes, when it is static with an identity layout.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * std::max<int64_t>(bits / 8, 1);
}

/// The top-level op of `block` that holds `op`.
Operation *topLevel(Operation *op, Block &block) {
  while (op && op->getBlock() != &block)
    op = op->getParentOp();
  return op;
}

/// Calls `visit` on every user of `value` and of each value that may alias
/// it: the results of views, and every memref result of a user or of an op
/// around a user (a loop or branch that yields the buffer returns it).
/// Ops the planner does not model are thereby taken as aliasing, which only
/// lengthens lifetimes. Stops and returns false when `visit` does.
bool forEachAliasUser(Value value, llvm::function_ref<bool(Operation *)> visit,
                      DenseSet<Value> &seen) {
  if (!seen.insert(value).second)
    return true;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (!visit(user))
      return false;
    for (Operation *op = user; op; op = op->getParentOp()) {
      if (isa<func::FuncOp>(op))
        break;
      for (Value result : op->getResults())
        if (isa<BaseMemRefType>(result.getType()) &&
            !forEachAliasUser(result, visit, seen))
          return false;
    }
  }
  return true;
}

/// Extends `buffer`'s lifetime over every user of `value` and of what may
/// alias it. Returns false when the buffer escapes (returned, passed to a
/// call, deallocated, or used outside the block).
bool coverUses(Value value, Block &block,
               const DenseMap<Operation *, int64_t> &index, Buffer &buffer) {
  DenseSet<Value> seen;
  return forEachAliasUser(
      value,
      [&](Operation *user) {
        if (isa<func::ReturnOp, func::CallOp, memref::DeallocOp>(user))
          return false;
        Operation *top = topLevel(user, block);
        if (!top)
          return false;
        buffer.last = std::max(buffer.last, index.lookup(top));
        return true;
      },
      seen);
}

/// The users of `value` and of what may alias it.
void collectUsers(Value value, SmallVectorImpl<Operation *> &users) {
  DenseSet<Value> seen;
  forEachAliasUser(
      value,
      [&](Operation *user) {
        users.push_back(user);
        return true;
      },
      seen);
}

struct PlanMemoryPass : dlc::impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal() || function.getBody().getBlocks().size() != 1)
      return;
    Block &block = function.getBody().front();
    forwardResults(block);

    DenseMap<Operation *, int64_t> index;
    for (auto [i, op] : llvm::enumerate(block))
      index[&op] = i;
    std::vector<Buffer> buffers;
    for (Operation &op : block) {
      auto alloc = dyn_cast<memref::AllocOp>(&op);
      if (!alloc)
        continue;
      std::optional<int64_t> bytes = staticBytes(alloc.getType());
      if (!bytes)
        continue;
      Buffer buffer{alloc, *bytes, index[&op], index[&op], -1};
      if (coverUses(alloc.getResult(), block, index, buffer))
        buffers.push_back(buffer);
    }

    int64_t naive = 0, arena = place(buffers, naive);
    Builder builder(&getContext());
    function->setAttr(dlc::DlcDialect::ArenaBytesAttrHelper::getNameStr(),
                      builder.getI64IntegerAttr(arena));
    function->setAttr(dlc::DlcDialect::NaiveBytesAttrHelper::getNameStr(),
                      builder.getI64IntegerAttr(naive));
    if (buffers.empty())
      return;

    OpBuilder b(&block, block.begin());
    Location loc = function.getLoc();
    auto arenaType = MemRefType::get({arena}, b.getI8Type());
    Value arenaBuffer = b.create<memref::AllocOp>(
        loc, arenaType, b.getI64IntegerAttr(alignment));
    for (Buffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Value offset = b.create<arith::ConstantIndexOp>(buffer.alloc.getLoc(),
                                                      buffer.offset);
      Value view = b.create<memref::ViewOp>(buffer.alloc.getLoc(),
                                            buffer.alloc.getType(), arenaBuffer,
                                            offset, ValueRange{});
      buffer.alloc.getResult().replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
  }

  /// Assigns offsets; returns the arena size and sets `naive` to the sum of
  /// the buffers' aligned sizes.
  int64_t place(std::vector<Buffer> &buffers, int64_t &naive) {
    std::vector<Buffer *> order;
    for (Buffer &buffer : buffers) {
      naive += alignTo(buffer.bytes, alignment);
      order.push_back(&buffer);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t arena = 0;
    std::vector<Buffer *> placed;
    for (Buffer *buffer : order) {
      // Byte ranges taken by placed buffers alive at the same time.
      std::vector<std::pair<int64_t, int64_t>> taken;
      for (Buffer *other : placed)
        if (other->first <= buffer->last && buffer->first <= other->last)
          taken.push_back({other->offset, other->offset + other->bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [begin, end] : taken) {
        if (offset + buffer->bytes <= begin)
          break;
        offset = std::max(offset, alignTo(end, alignment));
      }
      buffer->offset = offset;
      arena = std::max(arena, alignTo(offset + buffer->bytes, alignment));
      placed.push_back(buffer);
    }
    return arena;
  }

  /// A buffer whose only remaining job is to be copied into a result
  /// (out-param) is replaced by that result: the kernel writes the output
  /// directly and the copy disappears.
  void forwardResults(Block &block) {
    SmallVector<Operation *> copies;
    for (Operation &op : block)
      if (isa<linalg::CopyOp, memref::CopyOp>(op))
        copies.push_back(&op);
    for (Operation *copy : copies) {
      Value source = copy->getOperand(0), target = copy->getOperand(1);
      auto argument = dyn_cast<BlockArgument>(target);
      auto alloc = source.getDefiningOp<memref::AllocOp>();
      if (!argument || argument.getOwner() != &block || !alloc ||
          alloc->getBlock() != &block || source.getType() != target.getType())
        continue;
      // The output must be written by this copy only, and the buffer must
      // not be used after it.
      if (!argument.hasOneUse() || !alloc->isBeforeInBlock(copy))
        continue;
      SmallVector<Operation *> users;
      collectUsers(source, users);
      bool usedAfter = llvm::any_of(users, [&](Operation *user) {
        Operation *top = topLevel(user, block);
        return top != copy && (!top || copy->isBeforeInBlock(top));
      });
      bool escapes = llvm::any_of(users, [](Operation *user) {
        return isa<func::ReturnOp, func::CallOp>(user);
      });
      if (usedAfter || escapes)
        continue;
      copy->erase();
      source.replaceAllUsesWith(target);
      alloc.erase();
    }
  }
};

} // namespace
