//===- FuseOps.cpp - Group ops into kernels by op-pattern kind ------------===//
//
// TVM's FuseOps rules, read from PatternKindInterface only. Groups grow
// along single-use edges in program order, so each group has one output (its
// root) and every other member's result is used only inside the group: on the
// DAGs here, the root post-dominates the group as TVM requires.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace dlc {
#define GEN_PASS_DEF_FUSEOPS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

struct Group {
  SmallVector<Operation *> members;            // program order
  Operation *root = nullptr;                   // the member whose result leaves
  PatternKind kind = PatternKind::Elementwise; // the maximum of the members'
  bool closed = false;         // a reduction or an opaque op: nothing joins
  Operation *anchor = nullptr; // the conv, matmul or pool that leads it
};

/// Whether elementwise ops that change the element type (casts) may join:
/// the group's result is then written by the group itself, which a group of
/// elementwise ops and a blocked conv's micro-kernel do; other anchors
/// compute their epilogue in place, in their own type.
bool mayChangeType(const Group &group) {
  return group.kind <= PatternKind::Broadcast ||
         isa_and_nonnull<BlockedConvOp, BlockedDepthwiseConvOp,
                         BlockedConvIntegerOp>(group.anchor);
}

PatternKind kindOf(Operation *op) {
  return cast<PatternKindInterface>(op).getPatternKind();
}

bool isFusable(Operation *op) {
  return isa<PatternKindInterface>(op) && !isa<ConstantOp, FusedOp>(op) &&
         op->getNumResults() == 1;
}

/// Whether an op of `kind` may join `group` through its root.
bool mayJoin(const Group &group, PatternKind kind) {
  if (group.closed)
    return false;
  switch (kind) {
  case PatternKind::Elementwise:
  case PatternKind::Broadcast:
    // Into elementwise chains and after a conv/matmul/pool.
    return group.kind <= PatternKind::Broadcast ||
           group.kind == PatternKind::OutEWiseFusable;
  case PatternKind::Injective:
    return group.kind == PatternKind::Injective;
  default:
    return false; // reductions, anchors and opaque ops start a group
  }
}

struct FuseOpsPass : dlc::impl::FuseOpsBase<FuseOpsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    for (Block &block : function.getBody())
      fuseBlock(block);
  }

  void fuseBlock(Block &block) {
    std::vector<Group> groups;
    DenseMap<Operation *, size_t> groupOf;
    for (Operation &op : block) {
      if (!isFusable(&op))
        continue;
      PatternKind kind = kindOf(&op);
      auto resultType = op.getResult(0).getType();
      std::optional<size_t> joined;
      for (Value operand : op.getOperands()) {
        Operation *producer = operand.getDefiningOp();
        auto it = producer ? groupOf.find(producer) : groupOf.end();
        if (it == groupOf.end())
          continue;
        Group &group = groups[it->second];
        // Only through the root, when this op is its only user (so the group
        // has one output); elementwise ops must also keep its shape (so the
        // group has one iteration space).
        auto operandType = dyn_cast<RankedTensorType>(operand.getType());
        auto rankedResult = dyn_cast<RankedTensorType>(resultType);
        bool keepsShape =
            kind == PatternKind::Injective || operand.getType() == resultType ||
            (kind == PatternKind::Elementwise && mayChangeType(group) &&
             operandType && rankedResult &&
             operandType.getShape() == rankedResult.getShape());
        if (group.root != producer || !operand.hasOneUse() || !keepsShape ||
            !mayJoin(group, kind))
          continue;
        joined = it->second;
        break;
      }
      if (!joined) {
        groups.emplace_back();
        joined = groups.size() - 1;
        groups.back().kind = kind;
        if (kind == PatternKind::OutEWiseFusable)
          groups.back().anchor = &op;
      }
      Group &group = groups[*joined];
      group.members.push_back(&op);
      group.root = &op;
      group.kind = std::max(group.kind, kind);
      group.closed =
          kind == PatternKind::Reduction || kind == PatternKind::Opaque;
      groupOf[&op] = *joined;
    }
    absorbProducerChains(groups, groupOf);
    for (Group &group : groups)
      if (group.members.size() > 1)
        outline(group);
  }

  /// A chain of elementwise ops that only feeds one elementwise member of a
  /// group writing its own result (see mayChangeType) through an operand
  /// other than its root, such as a residual's dequantization from bytes,
  /// joins that group: it is computed per element where it is read instead of
  /// being stored in f32 and read back. The chain must have the group's
  /// shape (one iteration space).
  void absorbProducerChains(std::vector<Group> &groups,
                            DenseMap<Operation *, size_t> &groupOf) {
    for (size_t index = 0; index < groups.size(); ++index) {
      if (groups[index].members.size() < 2 || groups[index].closed ||
          !mayChangeType(groups[index]))
        continue;
      auto rootType = dyn_cast<RankedTensorType>(
          groups[index].root->getResult(0).getType());
      if (!rootType)
        continue;
      SmallVector<Operation *> members(groups[index].members);
      for (Operation *member : members) {
        // The anchor reads whole tensors: its operands stay materialized.
        if (kindOf(member) > PatternKind::Broadcast)
          continue;
        for (Value operand : member->getOperands()) {
          Operation *producer = operand.getDefiningOp();
          auto it = producer ? groupOf.find(producer) : groupOf.end();
          if (it == groupOf.end() || it->second == index ||
              !operand.hasOneUse())
            continue;
          Group &chain = groups[it->second];
          bool fits =
              chain.root == producer && chain.kind <= PatternKind::Broadcast &&
              !chain.closed && llvm::all_of(chain.members, [&](Operation *op) {
                auto type =
                    dyn_cast<RankedTensorType>(op->getResult(0).getType());
                return type && type.getShape() == rootType.getShape();
              });
          if (!fits)
            continue;
          // Its members read only values defined before them, so they may
          // come first in the group.
          Group &group = groups[index];
          group.members.insert(group.members.begin(), chain.members.begin(),
                               chain.members.end());
          for (Operation *op : chain.members)
            groupOf[op] = index;
          chain.members.clear();
        }
      }
    }
  }

  /// Moves a group's members into a dlc.fused placed where its root was.
  void outline(Group &group) {
    llvm::SmallPtrSet<Operation *, 8> members(group.members.begin(),
                                              group.members.end());
    llvm::SetVector<Value> inputs;
    for (Operation *member : group.members)
      for (Value operand : member->getOperands())
        if (!members.contains(operand.getDefiningOp()))
          inputs.insert(operand);

    Operation *root = group.root;
    OpBuilder builder(root);
    SmallVector<Location> locations;
    for (Operation *member : group.members)
      locations.push_back(member->getLoc());
    auto fused = builder.create<FusedOp>(builder.getFusedLoc(locations),
                                         root->getResult(0).getType(),
                                         inputs.getArrayRef());
    Block &body = fused.getBody().front();
    IRMapping mapping;
    for (auto [input, argument] : llvm::zip(inputs, body.getArguments()))
      mapping.map(input, argument);
    builder.setInsertionPointToStart(&body);
    for (Operation *member : group.members)
      builder.clone(*member, mapping);
    builder.create<YieldOp>(root->getLoc(), mapping.lookup(root->getResult(0)));
    root->getResult(0).replaceAllUsesWith(fused.getResult());
    for (Operation *member : llvm::reverse(group.members))
      member->erase();
  }
};

} // namespace
