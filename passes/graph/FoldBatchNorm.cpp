//===- FoldBatchNorm.cpp - Fold per-channel scale/shift into weights ------===//
//
// Inference BatchNorm arrives as x * s + t (the importer computes s and t).
// After a conv or matmul with constant weights, the scale moves into the
// weights and the shifts collapse into one bias add, as TVM's FoldScaleAxis:
//
//   conv(x, W) [+ b] * s + t  ->  conv(x, W * s) + (b * s + t)
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"

namespace dlc {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The output-channel axis of an anchor's result: 1 for conv (NC...), the
/// last for matmul. Null when `op` is not a conv/matmul with constant weights.
std::optional<int64_t> channelAxis(Operation *op) {
  DenseElementsAttr weights;
  if (auto conv = dyn_cast_or_null<ConvOp>(op)) {
    if (matchPattern(conv.getFilter(), m_Constant(&weights)))
      return 1;
  } else if (auto matmul = dyn_cast_or_null<MatMulOp>(op)) {
    if (matmul.getRhs().getType().getRank() == 2 &&
        matchPattern(matmul.getRhs(), m_Constant(&weights)))
      return matmul.getType().getRank() - 1;
  }
  return std::nullopt;
}

/// The values of constant `value` per channel of `target` along `axis`, when
/// it broadcasts to `target` and varies along no other axis.
std::optional<std::vector<double>>
perChannel(Value value, RankedTensorType target, int64_t axis) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) ||
      !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  auto type = cast<RankedTensorType>(dense.getType());
  int64_t offset = target.getRank() - type.getRank();
  if (offset < 0)
    return std::nullopt;
  int64_t varying = 1;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (type.getDimSize(d) == 1)
      continue;
    if (d + offset != axis || type.getDimSize(d) != target.getDimSize(axis))
      return std::nullopt;
    varying = type.getDimSize(d);
  }
  int64_t channels = target.getDimSize(axis);
  std::vector<double> values;
  for (APFloat element : dense.getValues<APFloat>())
    values.push_back(element.convertToDouble());
  if (varying == 1)
    values.assign(channels, values.front());
  return values;
}

/// A float constant of `type` from `values`.
Value makeConstant(OpBuilder &builder, Location loc, RankedTensorType type,
                   ArrayRef<double> values) {
  auto floatType = cast<FloatType>(type.getElementType());
  SmallVector<APFloat> elements;
  for (double value : values) {
    APFloat element(value);
    bool lost;
    element.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &lost);
    elements.push_back(element);
  }
  return builder.create<ConstantOp>(loc, DenseElementsAttr::get(type, elements))
      .getResult();
}

/// A bias constant for an anchor result of `type` along `axis`:
/// [F, 1, .., 1] for conv, [N] for matmul.
Value makeBias(OpBuilder &builder, Location loc, RankedTensorType type,
               int64_t axis, ArrayRef<double> values) {
  SmallVector<int64_t> shape = {type.getDimSize(axis)};
  shape.append(type.getRank() - axis - 1, 1);
  return makeConstant(builder, loc,
                      RankedTensorType::get(shape, type.getElementType()),
                      values);
}

/// A copy of anchor `op` whose weights are scaled per output channel.
Operation *cloneWithScaledWeights(OpBuilder &builder, Operation *op,
                                  ArrayRef<double> scale) {
  Value weights = op->getOperand(1); // the filter, or the right operand
  DenseElementsAttr dense;
  (void)matchPattern(weights, m_Constant(&dense));
  auto type = cast<RankedTensorType>(dense.getType());
  std::vector<double> values;
  for (APFloat element : dense.getValues<APFloat>())
    values.push_back(element.convertToDouble());
  int64_t channels = scale.size();
  if (isa<ConvOp>(op)) {
    // Filter [F, C/g, K...]: output channel f is the outermost dim.
    int64_t perChannelCount = type.getNumElements() / channels;
    for (size_t i = 0; i < values.size(); ++i)
      values[i] *= scale[i / perChannelCount];
  } else {
    // Right operand [K, N]: output channel n is the column.
    for (size_t i = 0; i < values.size(); ++i)
      values[i] *= scale[i % channels];
  }
  Value scaled = makeConstant(builder, weights.getLoc(), type, values);
  Operation *clone = builder.clone(*op);
  clone->setOperand(1, scaled);
  return clone;
}

/// The operand of a binary op that is not `value` (or null).
Value otherOperand(Operation *binary, Value value) {
  if (binary->getOperand(0) == value)
    return binary->getOperand(1);
  if (binary->getOperand(1) == value)
    return binary->getOperand(0);
  return {};
}

/// An add of a single-use anchor result and a per-channel constant:
/// returns the anchor and the bias values.
std::optional<std::pair<Operation *, std::vector<double>>>
matchBiasedAnchor(Value value) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return std::nullopt;
  for (Value candidate : add->getOperands()) {
    Operation *anchor = candidate.getDefiningOp();
    std::optional<int64_t> axis = channelAxis(anchor);
    if (!axis || !candidate.hasOneUse() || candidate.getType() != add.getType())
      continue;
    auto bias = perChannel(otherOperand(add, candidate), add.getType(), *axis);
    if (bias)
      return std::make_pair(anchor, *bias);
  }
  return std::nullopt;
}

/// anchor [+ b] * s  ->  anchor(W * s) [+ b * s]
bool foldScale(MulOp mul) {
  for (Value operand : mul->getOperands()) {
    if (!operand.hasOneUse() || operand.getType() != mul.getType())
      continue;
    Value scaleValue = otherOperand(mul, operand);
    Operation *anchor = operand.getDefiningOp();
    std::vector<double> bias;
    bool hasBias = false;
    if (!channelAxis(anchor)) {
      auto biased = matchBiasedAnchor(operand);
      if (!biased)
        continue;
      anchor = biased->first;
      bias = biased->second;
      hasBias = true;
    }
    int64_t axis = *channelAxis(anchor);
    auto anchorType = cast<RankedTensorType>(anchor->getResult(0).getType());
    auto scale = perChannel(scaleValue, anchorType, axis);
    if (!scale)
      continue;
    OpBuilder builder(mul);
    Operation *scaled = cloneWithScaledWeights(builder, anchor, *scale);
    Value result = scaled->getResult(0);
    Operation *biasAdd = hasBias ? operand.getDefiningOp() : nullptr;
    if (hasBias) {
      for (size_t c = 0; c < bias.size(); ++c)
        bias[c] *= (*scale)[c];
      Value biasValue =
          makeBias(builder, biasAdd->getLoc(), anchorType, axis, bias);
      result = builder.create<AddOp>(biasAdd->getLoc(), result, biasValue)
                   .getResult();
    }
    mul.getResult().replaceAllUsesWith(result);
    mul->erase();
    if (biasAdd)
      biasAdd->erase();
    anchor->erase();
    return true;
  }
  return false;
}

/// (anchor + b1) + b2  ->  anchor + (b1 + b2)
bool foldShift(AddOp add) {
  for (Value operand : add->getOperands()) {
    if (operand.getType() != add.getType())
      continue;
    auto biased = matchBiasedAnchor(operand);
    if (!biased)
      continue;
    Operation *anchor = biased->first;
    int64_t axis = *channelAxis(anchor);
    auto anchorType = cast<RankedTensorType>(anchor->getResult(0).getType());
    auto shift = perChannel(otherOperand(add, operand), anchorType, axis);
    if (!shift)
      continue;
    std::vector<double> bias = biased->second;
    for (size_t c = 0; c < bias.size(); ++c)
      bias[c] += (*shift)[c];
    Operation *inner = operand.getDefiningOp();
    OpBuilder builder(add);
    Value biasValue = makeBias(builder, add.getLoc(), anchorType, axis, bias);
    Value result =
        builder.create<AddOp>(add.getLoc(), anchor->getResult(0), biasValue)
            .getResult();
    add.getResult().replaceAllUsesWith(result);
    add->erase();
    inner->erase();
    return true;
  }
  return false;
}

struct FoldBatchNormPass : dlc::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> ops;
      getOperation().walk([&](Operation *op) {
        if (isa<MulOp, AddOp>(op))
          ops.push_back(op);
      });
      for (Operation *op : ops) {
        if (auto mul = dyn_cast<MulOp>(op))
          changed = foldScale(mul);
        else
          changed = foldShift(cast<AddOp>(op));
        if (changed)
          break; // the walk's list may hold erased ops now
      }
    }
  }
};

} // namespace
