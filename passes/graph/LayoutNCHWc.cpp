//===- LayoutNCHWc.cpp - Blocked channel layout for convolution chains ----===//
//
// Convolutions move to the layout [N, C/b, H, W, b] (TVM's NCHW[x]c), where
// b channels of one pixel are contiguous: one vector register for b = 16
// floats on AVX-512. Weights are packed at compile time. The ops between
// convolutions (elementwise, per-channel broadcasts, residual adds, pooling,
// spatial reductions) follow in the blocked layout, so layout changes happen
// only at the edges of each chain: where a plain value enters (to_blocked)
// and where a blocked value meets an op that needs channels first
// (from_blocked).
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcBuild.h"
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace dlc {
#define GEN_PASS_DEF_LAYOUTNCHWC
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The values of an f32 constant, splat or not.
std::vector<float> floatsOf(DenseElementsAttr dense) {
  if (dense.isSplat())
    return std::vector<float>(dense.getNumElements(),
                              dense.getSplatValue<float>());
  auto values = dense.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

struct LayoutNCHWcPass : dlc::impl::LayoutNCHWcBase<LayoutNCHWcPass> {
  using LayoutNCHWcBase::LayoutNCHWcBase;

  /// Plain value -> the same value in the blocked layout.
  DenseMap<Value, Value> blockedOf;
  /// Ops replaced by blocked versions, in program order.
  SmallVector<Operation *> replaced;

  /// The channel block for `channels`: `block` when it divides them, else
  /// the largest divisor below it (3 for an RGB input).
  int64_t blockFor(int64_t channels) const {
    for (int64_t b = std::min<int64_t>(block, channels); b > 1; --b)
      if (channels % b == 0)
        return b;
    return 1;
  }

  /// The block of an integer conv's channels: one the kernel's dot
  /// products have lanes for (the full block, or 8: vpdpbusd and vpmaddwd
  /// on ymm) before any other divisor, which would take the widened dot
  /// (24 channels: 3 blocks of 8 rather than 2 of 12).
  int64_t integerBlockFor(int64_t channels) const {
    if (channels % block == 0)
      return block;
    if (block > 8 && channels % 8 == 0)
      return 8;
    return blockFor(channels);
  }

  static int64_t blockOf(Value blocked) {
    return cast<RankedTensorType>(blocked.getType()).getShape().back();
  }

  /// `value` in the blocked layout with block `b`, converting it before
  /// `user` when it is not blocked that way yet.
  Value toBlocked(Value value, int64_t b, Operation *user) {
    auto it = blockedOf.find(value);
    if (it != blockedOf.end() && blockOf(it->second) == b)
      return it->second;
    OpBuilder builder(user);
    Value plain = value;
    if (it != blockedOf.end())
      plain = builder.create<FromBlockedOp>(user->getLoc(), it->second);
    Value blocked = buildInferredOp(
        builder, user->getLoc(), ToBlockedOp::getOperationName(), plain,
        {builder.getNamedAttr("block", builder.getI64IntegerAttr(b))});
    if (blocked && it == blockedOf.end())
      blockedOf[value] = blocked; // later users share the conversion
    return blocked;
  }

  /// A per-channel (or scalar) constant operand of a binary op on a result of
  /// `plainType`, repacked for the blocked layout; null when it is not one.
  Value repackConstant(Value value, RankedTensorType plainType, int64_t b,
                       OpBuilder &builder) {
    DenseElementsAttr dense;
    if (!matchPattern(value, m_Constant(&dense)) ||
        !(dense.getElementType().isF32() ||
          dense.getElementType().isInteger(32)))
      return {};
    auto type = cast<RankedTensorType>(dense.getType());
    if (llvm::all_of(type.getShape(), [](int64_t d) { return d == 1; }))
      return value; // a scalar broadcasts in any layout
    int64_t offset = plainType.getRank() - type.getRank();
    int64_t channels = plainType.getDimSize(1);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      bool isChannel = d + offset == 1;
      if (type.getDimSize(d) != 1 &&
          !(isChannel && type.getDimSize(d) == channels))
        return {};
    }
    if (offset > 1)
      return {};
    // [.., C, 1, ..] -> [1, C/b, 1, .., b]
    SmallVector<int64_t> shape(plainType.getRank() + 1, 1);
    shape[1] = channels / b;
    shape.back() = b;
    // Channel c sits at (c / b) * b + c % b = c: the order stays.
    SmallVector<Attribute> packed;
    auto elements = dense.getValues<Attribute>();
    for (int64_t c = 0; c < channels; ++c)
      packed.push_back(dense.isSplat() ? elements[0] : elements[c]);
    auto packedType = RankedTensorType::get(shape, dense.getElementType());
    return builder.create<ConstantOp>(
        value.getLoc(), DenseElementsAttr::get(packedType, packed));
  }

  /// [F, C, K..] -> [F/bo, C/bi, K.., bi, bo]
  Value packFilter(DenseElementsAttr filter, int64_t bi, int64_t bo,
                   OpBuilder &builder, Location loc) {
    auto type = cast<RankedTensorType>(filter.getType());
    ArrayRef<int64_t> shape = type.getShape();
    int64_t f = shape[0], c = shape[1], window = 1;
    for (int64_t k : shape.drop_front(2))
      window *= k;
    SmallVector<int64_t> packedShape = {f / bo, c / bi};
    packedShape.append(shape.begin() + 2, shape.end());
    packedShape.append({bi, bo});
    std::vector<float> source = floatsOf(filter);
    std::vector<float> packed(source.size());
    for (int64_t fo = 0; fo < f; ++fo)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t k = 0; k < window; ++k) {
          int64_t to =
              ((((fo / bo) * (c / bi) + ci / bi) * window + k) * bi + ci % bi) *
                  bo +
              fo % bo;
          packed[to] = source[(fo * c + ci) * window + k];
        }
    auto packedType = RankedTensorType::get(packedShape, builder.getF32Type());
    return builder.create<ConstantOp>(
        loc, DenseElementsAttr::get(packedType, ArrayRef(packed)));
  }

  /// A depthwise conv (one filter per channel) keeps a chain in the blocked
  /// layout: channel c's kernel goes to [c / b, K.., c % b].
  void convertDepthwise(ConvOp conv, DenseElementsAttr filter) {
    auto inputType = conv.getInput().getType();
    int64_t channels = inputType.getDimSize(1);
    auto it = blockedOf.find(conv.getInput());
    // Follow the block the input already has; otherwise pick one.
    int64_t b =
        it != blockedOf.end() ? blockOf(it->second) : blockFor(channels);
    if (b == 1 || channels % b != 0)
      return;
    auto type = cast<RankedTensorType>(filter.getType());
    int64_t window = type.getNumElements() / channels;
    std::vector<float> source = floatsOf(filter);
    std::vector<float> packed(source.size());
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t k = 0; k < window; ++k)
        packed[((c / b) * window + k) * b + c % b] = source[c * window + k];
    SmallVector<int64_t> packedShape = {channels / b};
    packedShape.append(type.getShape().begin() + 2, type.getShape().end());
    packedShape.push_back(b);
    Value input = toBlocked(conv.getInput(), b, conv);
    OpBuilder builder(conv);
    Value packedFilter = builder.create<ConstantOp>(
        conv.getFilter().getLoc(),
        DenseElementsAttr::get(
            RankedTensorType::get(packedShape, builder.getF32Type()),
            ArrayRef(packed)));
    replaceConv(conv, BlockedDepthwiseConvOp::getOperationName(), input,
                packedFilter);
  }

  /// An integer conv: input blocks of a multiple of g channels, the filter
  /// [F, C, K..] packed to [F/bo, C/bi, K.., bi/g, bo * g]: for each group
  /// of g input channels, the g values of each output lane side by side
  /// (one 32-bit lane of vpdpbusd, g = 4 bytes, or of vpmaddwd, g = 2 i16
  /// words for an i16 input: the filter widens to the input's type).
  void convertConvInteger(ConvIntegerOp conv) {
    DenseElementsAttr filter;
    auto inputType = conv.getInput().getType();
    if (!inputType.hasStaticShape() ||
        !matchPattern(conv.getFilter(), m_Constant(&filter)))
      return;
    bool words = inputType.getElementType().isInteger(16);
    int64_t g = words ? 2 : 4;
    int64_t c = inputType.getDimSize(1), f = conv.getType().getDimSize(1);
    int64_t bi = integerBlockFor(c), bo = integerBlockFor(f);
    // The input block must be the one its producer chain has, if any.
    auto it = blockedOf.find(conv.getInput());
    if (it != blockedOf.end())
      bi = blockOf(it->second);
    if (bo == 1 || bi % g != 0 || c % bi != 0)
      return;
    auto type = cast<RankedTensorType>(filter.getType());
    int64_t window = type.getNumElements() / (f * c);
    auto source = filter.getValues<int8_t>();
    std::vector<int16_t> packed(type.getNumElements());
    for (int64_t fo = 0; fo < f; ++fo)
      for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t k = 0; k < window; ++k) {
          int64_t to =
              ((((fo / bo) * (c / bi) + ci / bi) * window + k) * (bi / g) +
               (ci % bi) / g) *
                  (bo * g) +
              (fo % bo) * g + ci % g;
          packed[to] = source[(fo * c + ci) * window + k];
        }
    SmallVector<int64_t> packedShape = {f / bo, c / bi};
    packedShape.append(type.getShape().begin() + 2, type.getShape().end());
    packedShape.append({bi / g, bo * g});
    Value input = toBlocked(conv.getInput(), bi, conv);
    if (!input)
      return signalPassFailure();
    OpBuilder builder(conv);
    DenseElementsAttr packedValues;
    if (words) {
      packedValues = DenseElementsAttr::get(
          RankedTensorType::get(packedShape, builder.getI16Type()),
          ArrayRef(packed));
    } else {
      std::vector<int8_t> bytes(packed.begin(), packed.end());
      packedValues = DenseElementsAttr::get(
          RankedTensorType::get(packedShape, builder.getI8Type()),
          ArrayRef(bytes));
    }
    Value packedFilter =
        builder.create<ConstantOp>(conv.getFilter().getLoc(), packedValues);
    replaceConv(conv, BlockedConvIntegerOp::getOperationName(), input,
                packedFilter);
  }

  /// Builds the blocked conv `name` in place of `conv` (same window
  /// attributes) and records it.
  void replaceConv(Operation *conv, StringRef name, Value input, Value filter) {
    OpBuilder builder(conv);
    Value result = buildInferredOp(
        builder, conv->getLoc(), name, {input, filter},
        {builder.getNamedAttr("strides", conv->getAttr("strides")),
         builder.getNamedAttr("dilations", conv->getAttr("dilations")),
         builder.getNamedAttr("pads", conv->getAttr("pads"))});
    if (!result)
      return signalPassFailure();
    blockedOf[conv->getResult(0)] = result;
    replaced.push_back(conv);
  }

  void convertConv(ConvOp conv) {
    DenseElementsAttr filter;
    auto inputType = conv.getInput().getType();
    auto resultType = conv.getType();
    int64_t channels = inputType.hasStaticShape() ? inputType.getDimSize(1) : 0;
    int64_t group = static_cast<int64_t>(conv.getGroup());
    if (group > 1 && group == channels &&
        resultType.getDimSize(1) == channels &&
        resultType.getElementType().isF32() &&
        matchPattern(conv.getFilter(), m_Constant(&filter)))
      return convertDepthwise(conv, filter);
    if (conv.getGroup() != 1 || !inputType.hasStaticShape() ||
        !resultType.getElementType().isF32() ||
        !matchPattern(conv.getFilter(), m_Constant(&filter)))
      return;
    int64_t bi = blockFor(inputType.getDimSize(1));
    int64_t bo = blockFor(resultType.getDimSize(1));
    if (bo == 1)
      return; // nothing to vectorize over
    Value input = toBlocked(conv.getInput(), bi, conv);
    OpBuilder builder(conv);
    Value packed =
        packFilter(filter, bi, bo, builder, conv.getFilter().getLoc());
    replaceConv(conv, BlockedConvOp::getOperationName(), input, packed);
  }

  /// An op whose operands may follow the blocked layout: elementwise and
  /// broadcast ops on [N, C, ...] values, pools, spatial reductions.
  void convertFollower(Operation *op) {
    if (op->getNumResults() != 1)
      return;
    auto kind = cast<PatternKindInterface>(op).getPatternKind();
    auto plainType = cast<RankedTensorType>(op->getResult(0).getType());
    // The block of the blocked operand(s); all must agree.
    int64_t b = 0;
    for (Value operand : op->getOperands()) {
      auto it = blockedOf.find(operand);
      if (it == blockedOf.end())
        continue;
      if (b && blockOf(it->second) != b)
        return;
      b = blockOf(it->second);
    }
    if (!b)
      return;
    OpBuilder builder(op);
    SmallVector<Value> operands;
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    if (kind == PatternKind::Elementwise || kind == PatternKind::Broadcast) {
      if (plainType.getRank() < 3 || plainType.getDimSize(1) % b != 0)
        return;
      for (Value operand : op->getOperands()) {
        Value converted;
        if (blockedOf.count(operand))
          converted = blockedOf[operand];
        else if (operand.getType() == plainType)
          converted = toBlocked(operand, b, op);
        else
          converted = repackConstant(operand, plainType, b, builder);
        if (!converted)
          return;
        operands.push_back(converted);
      }
    } else if (isa<MaxPoolOp, AvgPoolOp>(op)) {
      operands.push_back(blockedOf[op->getOperand(0)]);
      attrs.push_back(builder.getNamedAttr("blocked", builder.getUnitAttr()));
    } else if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(op)) {
      // Over spatial axes with kept dims: the same axes in the blocked layout.
      auto inputType = cast<RankedTensorType>(op->getOperand(0).getType());
      auto axes = cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef();
      auto keep = cast<BoolAttr>(op->getAttr("keepdims")).getValue();
      if (!keep || axes.empty() || llvm::any_of(axes, [&](int64_t axis) {
            return normalizeAxis(axis, inputType.getRank()) < 2;
          }))
        return;
      // Counted from the plain rank: a negative axis would otherwise name
      // the block dim, which the blocked layout appends at the end.
      SmallVector<int64_t> plainAxes;
      for (int64_t axis : axes)
        plainAxes.push_back(normalizeAxis(axis, inputType.getRank()));
      for (NamedAttribute &attr : attrs)
        if (attr.getName() == "axes")
          attr.setValue(builder.getDenseI64ArrayAttr(plainAxes));
      operands.push_back(blockedOf[op->getOperand(0)]);
    } else {
      return;
    }
    // Inference gives the blocked result; an op that infers nothing takes
    // its operand's type, with its own element type (a cast's differs).
    Value result = buildInferredOp(
        builder, op->getLoc(), op->getName().getStringRef(), operands, attrs);
    if (!result)
      return signalPassFailure();
    if (!isa<InferTypeOpInterface>(result.getDefiningOp()))
      result.setType(RankedTensorType::get(
          cast<RankedTensorType>(result.getType()).getShape(),
          plainType.getElementType()));
    blockedOf[op->getResult(0)] = result;
    replaced.push_back(op);
  }

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal() || block < 2)
      return;
    Block &body = function.getBody().front();
    SmallVector<Operation *> ops;
    for (Operation &op : body)
      ops.push_back(&op);
    for (Operation *op : ops) {
      if (auto conv = dyn_cast<ConvOp>(op))
        convertConv(conv);
      else if (auto conv = dyn_cast<ConvIntegerOp>(op))
        convertConvInteger(conv);
      else if (isa<PatternKindInterface>(op) && !isa<ConstantOp, FusedOp>(op))
        convertFollower(op);
    }
    // The chains' exits: users that stayed channels-first get a
    // from_blocked right after the blocked value; then the old ops go.
    for (Operation *op : llvm::reverse(replaced)) {
      Value old = op->getResult(0);
      if (!old.use_empty()) {
        Value blocked = blockedOf[old];
        OpBuilder builder(blocked.getContext());
        builder.setInsertionPointAfterValue(blocked);
        Value plain = builder.create<FromBlockedOp>(op->getLoc(), blocked);
        old.replaceAllUsesWith(plain);
      }
      op->erase();
    }
  }
};

} // namespace
