//===- ApproximateMath.cpp - Vectorizable exp, log, tanh and erf ----------===//
//
// libm's expf/erff are opaque calls: a loop that makes one per element stays
// scalar. MLIR's polynomial approximations are plain arith ops that LLVM's
// loop vectorizer can widen. Only the functions whose approximations keep
// a few-ulp error over their whole range are replaced; the others stay
// exact.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace dlc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

bool isF32OrVectorOfF32(Type type) {
  if (auto vector = dyn_cast<VectorType>(type))
    type = vector.getElementType();
  return type.isF32();
}

struct ApproximateMathPass
    : dlc::impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> targets;
    getOperation().walk([&](Operation *op) {
      if (isa<math::ExpOp, math::ExpM1Op, math::LogOp, math::Log1pOp,
              math::Log2Op, math::TanhOp, math::ErfOp>(op) &&
          isF32OrVectorOfF32(op->getResult(0).getType()))
        targets.push_back(op);
    });
    if (targets.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    GreedyRewriteConfig config;
    // Only the chosen ops, and what their approximations introduce (erf's
    // uses exp): sin, cos or atan elsewhere keep their libm calls.
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(targets, std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace
