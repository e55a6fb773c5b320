//===- QuantizedConv.cpp - Fake-quantized convolutions on 8-bit integers --===//
//
// The conv counterpart of dlc-quantized-matmul. A QDQ model's Conv reads
//
//   a = (q - z) * s,   q = clip(round(x / s) + z, lo, hi)
//
// and a constant f32 filter whose output channels lie on int8 grids
// (W[f, c, k] = w[f, c, k] * s_f). Then, exactly in integers,
//
//   conv(a, W)[f] = (conv(q, w)[f] - z * sum(w[f])) * (s * s_f)
//
// when every window reads q - z = 0 in the padding, which dlc.conv_integer's
// zero padding gives for z = 0 (every activation after a ReLU). The conv
// runs on dlc.conv_integer (the blocked conv micro-kernel's vpdpbusd,
// unsigned input bytes x signed filter bytes): a signed q moves to q + 128
// and z to z + 128, which needs a conv without padding. The scaling stays
// f32 and fuses into the kernel's epilogue with the bias, the activation and
// the next layer's quantization.
//
// On AVX2 (`int8-dot=avx2`) the kernel's vpmaddwd multiplies pairs of
// signed i16: the conv reads words holding q - z (within [-255, 255]), so
// the padding is right for any z and the z * sum(w) term goes away. Words
// cost twice the bytes' memory and half the f32's.
//
// Runs only with one of those dot products: elsewhere the integer conv would
// be widened i32 arithmetic, slower than the f32 kernel.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/graph/QuantizedGrid.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace dlc {
#define GEN_PASS_DEF_QUANTIZEDCONV
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The filter [F, C, K..] on an int8 grid per output channel: w in the
/// filter's own layout and the scales.
std::optional<WeightGrid> matchFilterGrid(Value filter) {
  DenseElementsAttr dense;
  auto type = dyn_cast<RankedTensorType>(filter.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
      type.getNumElements() == 0 || !matchPattern(filter, m_Constant(&dense)))
    return std::nullopt;
  int64_t channels = type.getDimSize(0);
  int64_t perChannel = type.getNumElements() / channels;
  // matchWeightGrid takes channels as columns: [perChannel, channels].
  std::vector<float> columns(type.getNumElements());
  int64_t i = 0;
  for (APFloat element : dense.getValues<APFloat>()) {
    columns[(i % perChannel) * channels + i / perChannel] =
        element.convertToFloat();
    ++i;
  }
  std::optional<WeightGrid> grid =
      matchWeightGrid(columns, perChannel, channels);
  if (!grid)
    return std::nullopt;
  std::vector<int8_t> values(grid->values.size());
  for (int64_t f = 0; f < channels; ++f)
    for (int64_t k = 0; k < perChannel; ++k)
      values[f * perChannel + k] = grid->values[k * channels + f];
  grid->values = std::move(values);
  return grid;
}

/// The integer input of each fake-quantized activation the integer convs
/// read, made once per activation.
using IntegersOf = DenseMap<Value, Value>;

/// The activation as the integer conv reads it: with `words` i16 holding
/// q - z, else unsigned bytes holding q (a signed q moved up by 128, exact
/// in f32), through i32, as a float cast saturates at the narrow type's
/// range. The activation's other users (its dequantization for a residual
/// add) read q back from them: the kernel that computes q then stores one
/// integer an element instead of an f32, which holds q exactly.
Value integersOf(const FakeQuantized &input, bool words, IntegersOf &cache) {
  Value &integers = cache[input.q];
  if (integers)
    return integers;
  OpBuilder b(input.q.getContext());
  b.setInsertionPointAfterValue(input.q);
  Location loc = input.q.getLoc();
  auto qType = cast<RankedTensorType>(input.q.getType());
  auto typeLike = [&](Type element) {
    return RankedTensorType::get(qType.getShape(), element);
  };
  auto scalar = [&](Attribute value) {
    return b.create<ConstantOp>(
        loc, DenseElementsAttr::get(
                 RankedTensorType::get({}, cast<TypedAttr>(value).getType()),
                 value));
  };
  // What the integers hold is q + offset.
  double offset = words ? -input.zero : (input.isUnsigned ? 0.0 : 128.0);
  Value q = input.q;
  if (offset != 0)
    q = b.create<AddOp>(loc, q, scalar(b.getF32FloatAttr(offset)));
  else
    q = b.create<CastOp>(loc, typeLike(b.getI32Type()), q);
  Operation *reader = q.getDefiningOp(); // the one user of q made here
  if (offset != 0)
    q = b.create<CastOp>(loc, typeLike(b.getI32Type()), q);
  Type narrow = words ? b.getI16Type() : b.getI8Type();
  integers = b.create<CastOp>(loc, typeLike(narrow), q);
  SmallVector<OpOperand *> others;
  for (OpOperand &use : input.q.getUses())
    if (use.getOwner() != reader)
      others.push_back(&use);
  if (!others.empty()) {
    Value wide = b.create<CastOp>(loc, typeLike(b.getI32Type()), integers);
    if (!words) // bytes read unsigned
      wide = b.create<AndOp>(loc, wide, scalar(b.getI32IntegerAttr(255)));
    Value value = b.create<CastOp>(loc, qType, wide);
    if (offset != 0)
      value = b.create<SubOp>(loc, value, scalar(b.getF32FloatAttr(offset)));
    for (OpOperand *use : others)
      use->set(value);
  }
  return integers;
}

/// The conv's input as a fake quantization, when the conv is one the
/// integer conv takes.
std::optional<FakeQuantized> matchConvInput(ConvOp conv) {
  auto inputType = conv.getInput().getType();
  auto resultType = conv.getType();
  if (conv.getGroup() != 1 || !inputType.hasStaticShape() ||
      !resultType.hasStaticShape() || !resultType.getElementType().isF32() ||
      inputType.getRank() < 3 || inputType.getDimSize(1) % 4 != 0)
    return std::nullopt;
  return matchFakeQuantized(conv.getInput());
}

bool rewrite(ConvOp conv, const std::optional<FakeQuantized> &input, bool words,
             IntegersOf &cache) {
  auto resultType = conv.getType();
  if (!input)
    return false;
  bool padded = llvm::any_of(conv.getPads(), [](int64_t p) { return p != 0; });
  // The zero point of what the conv reads: words hold q - z already.
  double zero = words ? 0 : input->isUnsigned ? input->zero : input->zero + 128;
  if (padded && zero != 0)
    return false; // the padding would read q - z != 0
  std::optional<WeightGrid> grid = matchFilterGrid(conv.getFilter());
  if (!grid)
    return false;
  auto filterType = cast<RankedTensorType>(conv.getFilter().getType());
  int64_t channels = filterType.getDimSize(0);
  int64_t perChannel = filterType.getNumElements() / channels;
  // i32 holds every sum of perChannel products of at most 255 * 128.
  if (perChannel > (int64_t(1) << 31) / 32640)
    return false;

  Value q = integersOf(*input, words, cache);
  OpBuilder b(conv);
  Location loc = conv.getLoc();
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto typeLike = [](RankedTensorType type, Type element) {
    return RankedTensorType::get(type.getShape(), element);
  };
  Value filter = b.create<ConstantOp>(
      conv.getFilter().getLoc(),
      DenseElementsAttr::get(typeLike(filterType, i8),
                             ArrayRef<int8_t>(grid->values)));
  Value sums =
      b.create<ConvIntegerOp>(loc, q, filter, conv.getStridesAttr(),
                              conv.getDilationsAttr(), conv.getPadsAttr());
  // Per output channel: [F, 1, .., 1] against [N, F, O..].
  SmallVector<int64_t> channelShape(resultType.getRank() - 1, 1);
  channelShape[0] = channels;
  if (zero != 0) {
    std::vector<int32_t> correction(channels);
    for (int64_t f = 0; f < channels; ++f) {
      int64_t sum = 0;
      for (int64_t k = 0; k < perChannel; ++k)
        sum += grid->values[f * perChannel + k];
      correction[f] = static_cast<int32_t>(sum * static_cast<int64_t>(zero));
    }
    Value offsets = b.create<ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get(channelShape, i32),
                                    ArrayRef(correction)));
    sums = b.create<SubOp>(loc, sums, offsets);
  }
  std::vector<float> scales(channels);
  for (int64_t f = 0; f < channels; ++f)
    scales[f] = static_cast<float>(input->scale * grid->scales[f]);
  Value scaleValue = b.create<ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get(channelShape, f32),
                                  ArrayRef(scales)));
  Value product = b.create<MulOp>(
      loc, b.create<CastOp>(loc, typeLike(resultType, f32), sums), scaleValue);
  conv.getResult().replaceAllUsesWith(product);
  conv->erase();
  return true;
}

struct QuantizedConvPass : dlc::impl::QuantizedConvBase<QuantizedConvPass> {
  using QuantizedConvBase::QuantizedConvBase;

  void runOnOperation() override {
    bool words = int8Dot == "avx2";
    if (!words && int8Dot != "avx512-vnni" && int8Dot != "avx-vnni")
      return;
    // Matched first: a rewrite redirects the activation's other readers.
    SmallVector<std::pair<ConvOp, std::optional<FakeQuantized>>> convs;
    getOperation().walk([&](ConvOp op) {
      convs.push_back({op, matchConvInput(op)});
    });
    IntegersOf cache;
    for (auto &[conv, input] : convs)
      (void)rewrite(conv, input, words, cache);
  }
};

} // namespace
