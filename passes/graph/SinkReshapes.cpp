//===- SinkReshapes.cpp - Elementwise ops above row-regrouping reshapes ---===//
//
// The importer computes an ONNX MatMul of a [B, S, K] activation as a 2-d
// dlc.matmul between reshapes: [B*S, K] x [K, N] -> [B*S, N] -> [B, S, N].
// The bias add, the activation (GELU) and the residual add that follow run on
// the 3-d value, so the reshape stands between the matmul and them and they
// cannot join its fusion group: each is a kernel of its own that reads and
// writes the whole activation.
//
// A reshape that keeps the last dim only regroups rows, and an elementwise op
// computes the same per element before it as after it, provided its other
// operands broadcast along the last dim alone (or have the reshaped shape:
// they are reshaped too, a view). So
//
//   e(reshape(x), c)  ->  reshape(e(x, c'))
//
// for reshapes of a matmul's result, or of a value this pass already moved
// the reshape below; applied until no reshape of that kind feeds an
// elementwise op. FuseOps then puts the ops in the matmul's group.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace dlc {
#define GEN_PASS_DEF_SINKRESHAPES
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

bool isElementwise(Operation *op) {
  auto kind = dyn_cast<PatternKindInterface>(op);
  return kind && op->getNumResults() == 1 &&
         (kind.getPatternKind() == PatternKind::Elementwise ||
          kind.getPatternKind() == PatternKind::Broadcast);
}

/// A static reshape to more dims that keeps the last dim, of a matmul's
/// result or of an elementwise op's (one this pass moved).
ReshapeOp rowRegrouping(Value value) {
  auto reshape = value.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return {};
  auto from = dyn_cast<RankedTensorType>(reshape.getOperand().getType());
  auto to = dyn_cast<RankedTensorType>(reshape.getType());
  // Toward more dims only ([B*S, N] -> [B, S, N]): ops then only ever move
  // to the lower rank, and the reshapes this pass adds to the other
  // operands (toward fewer dims) are never sunk in turn.
  if (!from || !to || !from.hasStaticShape() || !to.hasStaticShape() ||
      from.getRank() == 0 || from.getRank() >= to.getRank() ||
      from.getShape().back() != to.getShape().back())
    return {};
  Operation *source = reshape.getOperand().getDefiningOp();
  if (!source || !(isa<MatMulOp>(source) || isElementwise(source)))
    return {};
  return reshape;
}

/// Moves the reshape feeding `op` below it; false when it does not apply.
bool sink(Operation *op) {
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape())
    return false;
  ReshapeOp reshape;
  for (Value operand : op->getOperands())
    if ((reshape = rowRegrouping(operand)))
      break;
  if (!reshape || reshape.getType().getShape() != resultType.getShape())
    return false;
  auto rowsType = cast<RankedTensorType>(reshape.getOperand().getType());
  int64_t last = resultType.getShape().back();
  OpBuilder b(op);
  SmallVector<Value> operands;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type || !type.hasStaticShape())
      return false;
    auto other = operand.getDefiningOp<ReshapeOp>();
    if (other && other.getOperand().getType() == rowsType &&
        other.getType().getShape() == resultType.getShape()) {
      operands.push_back(other.getOperand()); // the same regrouping
      continue;
    }
    if (type.getShape() == resultType.getShape()) {
      operands.push_back(b.create<ReshapeOp>(
          op->getLoc(),
          RankedTensorType::get(rowsType.getShape(), type.getElementType()),
          operand));
      continue;
    }
    // Broadcast along the last dim only: [], [.., 1, n] with n = last or 1.
    ArrayRef<int64_t> shape = type.getShape();
    bool lastOnly =
        llvm::all_of(shape.drop_back(std::min<size_t>(1, shape.size())),
                     [](int64_t d) { return d == 1; }) &&
        (shape.empty() || shape.back() == last || shape.back() == 1);
    if (!lastOnly)
      return false;
    if (type.getRank() > 1)
      operand = b.create<ReshapeOp>(
          op->getLoc(),
          RankedTensorType::get({shape.back()}, type.getElementType()),
          operand);
    operands.push_back(operand);
  }
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(operands);
  state.addAttributes(op->getAttrs());
  state.addTypes(
      RankedTensorType::get(rowsType.getShape(), resultType.getElementType()));
  Operation *rows = b.create(state);
  Value back =
      b.create<ReshapeOp>(op->getLoc(), resultType, rows->getResult(0));
  op->getResult(0).replaceAllUsesWith(back);
  op->erase();
  return true;
}

struct SinkReshapesPass : dlc::impl::SinkReshapesBase<SinkReshapesPass> {
  void runOnOperation() override {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> candidates;
      getOperation().walk([&](Operation *op) {
        if (isElementwise(op) && op->getParentOp() == getOperation())
          candidates.push_back(op);
      });
      for (Operation *op : candidates)
        changed |= sink(op);
    }
    // Reshapes left without users.
    getOperation().walk([](ReshapeOp reshape) {
      if (reshape->use_empty())
        reshape->erase();
    });
  }
};

} // namespace
