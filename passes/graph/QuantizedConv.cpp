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
// Runs only with `vnni`: elsewhere the integer conv would be widened i32
// arithmetic, slower than the f32 kernel.
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

bool rewrite(ConvOp conv) {
  auto inputType = conv.getInput().getType();
  auto resultType = conv.getType();
  if (conv.getGroup() != 1 || !inputType.hasStaticShape() ||
      !resultType.hasStaticShape() || !resultType.getElementType().isF32() ||
      inputType.getRank() < 3 || inputType.getDimSize(1) % 4 != 0)
    return false;
  std::optional<FakeQuantized> input = matchFakeQuantized(conv.getInput());
  if (!input)
    return false;
  bool padded = llvm::any_of(conv.getPads(), [](int64_t p) { return p != 0; });
  double zero = input->isUnsigned ? input->zero : input->zero + 128;
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

  OpBuilder b(conv);
  Location loc = conv.getLoc();
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto typeLike = [](RankedTensorType type, Type element) {
    return RankedTensorType::get(type.getShape(), element);
  };
  // q in unsigned bytes: through i32, as a float cast saturates at i8's
  // range; a signed q moves up by 128 first (exact in f32).
  Value q = input->q;
  auto qType = cast<RankedTensorType>(q.getType());
  if (!input->isUnsigned)
    q = b.create<AddOp>(
        loc, q,
        b.create<ConstantOp>(
            loc, DenseElementsAttr::get(RankedTensorType::get({}, f32),
                                        b.getF32FloatAttr(128.0f))));
  q = b.create<CastOp>(loc, typeLike(qType, i32), q);
  q = b.create<CastOp>(loc, typeLike(qType, i8), q);
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
    if (!vnni)
      return;
    SmallVector<ConvOp> convs;
    getOperation().walk([&](ConvOp op) { convs.push_back(op); });
    for (ConvOp conv : convs)
      (void)rewrite(conv);
  }
};

} // namespace
