//===- FoldConstants.cpp - Evaluate constant subgraphs at compile time ----===//
//
// Replaces ops whose operands are all constants by their value, computed by
// the reference evaluator in compiler/ConstantEvaluator.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/ConstantEvaluator.h"
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

namespace dlc {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

struct FoldConstantsPass : dlc::impl::FoldConstantsBase<FoldConstantsPass> {
  using FoldConstantsBase::FoldConstantsBase;

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<DlcDialect>(op->getDialect()) && op->getNumResults() == 1 &&
          op->getNumOperands() > 0 && !isa<ConstantOp, FusedOp>(op))
        candidates.push_back(op);
    });
    // Program order: a folded result feeds the folding of its users.
    for (Operation *op : candidates) {
      DenseElementsAttr value = evaluateConstantOp(op, maxElements);
      if (!value)
        continue;
      OpBuilder builder(op);
      auto constant = builder.create<ConstantOp>(op->getLoc(), value);
      op->getResult(0).replaceAllUsesWith(constant.getResult());
      op->erase();
    }
  }
};

} // namespace
