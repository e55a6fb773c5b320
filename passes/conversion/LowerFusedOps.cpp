//===- LowerFusedOps.cpp - dlc.fused groups to linalg on tensors ----------===//
//
// Part of the convert-dlc-to-linalg pass. A group lowers to its anchor (the
// conv, matmul, pool or reduction, lowered by its own pattern) followed by one
// linalg.generic that computes every elementwise member per element and writes
// into the anchor's result (no intermediate tensor). That generic is marked
// `dlc.fusion_root`; dlc-tile-fused-groups then makes the pair one loop nest.
// A group of elementwise ops only becomes that one generic.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace dlc;

namespace {

/// Computes the elementwise `members` in order on scalars or vectors, their
/// operands looked up in `valueOf` (which gets their results); returns the
/// value of `yielded`.
Value evaluateMembers(OpBuilder &b, ArrayRef<Operation *> members,
                      IRMapping &valueOf, Value yielded) {
  for (Operation *member : members) {
    SmallVector<Value> operands;
    for (Value operand : member->getOperands())
      operands.push_back(valueOf.lookup(operand));
    valueOf.map(member->getResult(0),
                buildScalarOp(b, member->getLoc(), member, operands));
  }
  return valueOf.lookup(yielded);
}

struct FusedLowering : OpConversionPattern<FusedOp> {
  FusedLowering(MLIRContext *context, ConvKernelTarget convKernel)
      : OpConversionPattern(context), convKernel(convKernel) {}
  ConvKernelTarget convKernel;

  LogicalResult
  matchAndRewrite(FusedOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    IRMapping outside; // block arguments -> the group's inputs
    for (auto [argument, input] :
         llvm::zip(body.getArguments(), adaptor.getInputs()))
      outside.map(argument, input);

    Operation *anchor = op.getAnchor();
    auto rootType = op.getType();
    SmallVector<Operation *> epilogue;
    // Members of one shape compose per element; their element types may
    // change along the chain (casts) where the result is written by the
    // group itself: a group without anchor, or a blocked conv's
    // micro-kernel. Other anchors' results are updated in place.
    auto sameShape = [&](Value value) {
      return cast<RankedTensorType>(value.getType()).getShape() ==
             rootType.getShape();
    };
    bool composable = !anchor || sameShape(anchor->getResult(0));
    bool sameTypes = !anchor || anchor->getResult(0).getType() == rootType;
    for (Operation &member : body.without_terminator()) {
      if (&member == anchor)
        continue;
      composable &= supportsScalarOp(&member) && sameShape(member.getResult(0));
      sameTypes &= member.getResult(0).getType() == rootType;
      epilogue.push_back(&member);
    }
    bool convKernelAnchor =
        convKernel.enabled &&
        isa_and_nonnull<BlockedConvOp, BlockedDepthwiseConvOp,
                        BlockedConvIntegerOp>(anchor);
    if (anchor && !sameTypes && !convKernelAnchor)
      composable = false;

    if (!composable) {
      // Injective groups (and anything else): lower member by member.
      for (Operation &member : body.without_terminator())
        rewriter.clone(member, outside);
      auto yield = cast<YieldOp>(body.getTerminator());
      rewriter.replaceOp(op, outside.lookup(yield.getValue()));
      return success();
    }

    Location loc = op.getLoc();
    // The epilogue reads the group's inputs that its members use.
    llvm::SetVector<Value> arguments;
    for (Operation *member : epilogue)
      for (Value operand : member->getOperands())
        if (isa<BlockArgument>(operand))
          arguments.insert(operand);
    Value yielded = cast<YieldOp>(body.getTerminator()).getValue();

    // A blocked (or depthwise blocked) conv runs its micro-kernel with the
    // epilogue applied to the accumulator vectors before they are stored.
    if (convKernelAnchor) {
      auto epilogueFn = [&](OpBuilder &b, Location at, Value acc,
                            ValueRange indices) -> Value {
        int64_t lanes = cast<VectorType>(acc.getType()).getDimSize(0);
        IRMapping valueOf;
        valueOf.map(anchor->getResult(0), acc);
        for (Value argument : arguments) {
          Value input = outside.lookup(argument);
          auto type = cast<RankedTensorType>(input.getType());
          auto vectorType = VectorType::get({lanes}, type.getElementType());
          int64_t offset = rootType.getRank() - type.getRank();
          SmallVector<Value> where;
          for (int64_t d = 0; d < type.getRank(); ++d) {
            bool lanesDim = d + offset == rootType.getRank() - 1;
            where.push_back(type.getDimSize(d) == 1 || lanesDim
                                ? b.create<arith::ConstantIndexOp>(at, 0)
                                : indices[d + offset]);
          }
          Value value;
          if (type.getRank() > 0 && type.getShape().back() == lanes &&
              offset + type.getRank() == rootType.getRank())
            value = b.create<vector::TransferReadOp>(
                at, vectorType, input, where,
                b.create<arith::ConstantOp>(
                    at, b.getZeroAttr(type.getElementType())),
                ArrayRef<bool>{true});
          else
            value = b.create<vector::BroadcastOp>(
                at, vectorType, b.create<tensor::ExtractOp>(at, input, where));
          valueOf.map(argument, value);
        }
        return evaluateMembers(b, epilogue, valueOf, yielded);
      };
      Operation *conv = anchor;
      if (Value result = buildBlockedConvKernel(
              rewriter, conv->getLoc(), conv,
              outside.lookup(conv->getOperand(0)),
              outside.lookup(conv->getOperand(1)), epilogueFn, convKernel,
              rootType.getElementType())) {
        rewriter.replaceOp(op, result);
        return success();
      }
      if (!sameTypes) { // the in-place epilogue below needs one type
        for (Operation &member : body.without_terminator())
          rewriter.clone(member, outside);
        auto yield = cast<YieldOp>(body.getTerminator());
        rewriter.replaceOp(op, outside.lookup(yield.getValue()));
        return success();
      }
    }

    Value dest;
    if (anchor)
      dest = rewriter.clone(*anchor, outside)->getResult(0);
    else
      dest = rewriter.create<tensor::EmptyOp>(loc, rootType.getShape(),
                                              rootType.getElementType());
    if (epilogue.empty()) {
      rewriter.replaceOp(op, dest);
      return success();
    }

    SmallVector<Value> inputs;
    for (Value argument : arguments)
      inputs.push_back(outside.lookup(argument));

    Value result = buildInPlaceElementwise(
        rewriter, loc, dest, inputs,
        [&](OpBuilder &b, Location nestedLoc, ValueRange scalars) -> Value {
          IRMapping scalarOf; // group values -> their scalar in the body
          for (auto [argument, scalar] : llvm::zip(arguments, scalars))
            scalarOf.map(argument, scalar);
          if (anchor)
            scalarOf.map(anchor->getResult(0), scalars.back());
          return evaluateMembers(b, epilogue, scalarOf, yielded);
        });
    result.getDefiningOp()->setAttr(
        dlc::DlcDialect::FusionRootAttrHelper::getNameStr(),
        rewriter.getUnitAttr());
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void dlc::populateFusedLoweringPatterns(RewritePatternSet &patterns,
                                        ConvKernelTarget convKernel) {
  patterns.add<FusedLowering>(patterns.getContext(), convKernel);
}
