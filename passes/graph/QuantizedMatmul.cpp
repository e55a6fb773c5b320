//===- QuantizedMatmul.cpp - Fake-quantized matmuls on 8-bit integers -----===//
//
// A QDQ model's MatMul reads its activation through QuantizeLinear ->
// DequantizeLinear, which the importer leaves as f32 arithmetic,
//
//   a = (q - z) * s,   q = clip(round(x / s) + z, lo, hi)
//
// with q integral in [0, 255] (or [-128, 127]), and its weight as a
// constant f32 whose columns lie on int8 grids (W[k, n] = w[k, n] * s_n,
// w in [-128, 127]). Then, exactly in integers,
//
//   a x W = (q x w - z * colsum(w)) * (s * s_n)
//
// so the product runs on dlc.matmul_integer (the 8-bit micro-kernel, i32
// sums) instead of f32: q is cast to 8 bits where it is computed, w becomes
// an i8 constant, and the scales one multiply by column after the sums. The
// result's own quantize/dequantize (the next layer's grid) stays f32 and
// fuses into the product as its epilogue.
//
// Leaves alone: an activation that is not such a fake quantization (scale
// and zero point scalar constants, bounds within 8 bits), a weight that is
// not constant or not on an int8 grid per column (checked value by value:
// w * s_n rounds to the stored f32), dynamic shapes.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/graph/QuantizedGrid.h"

#include "mlir/IR/Builders.h"

namespace dlc {
#define GEN_PASS_DEF_QUANTIZEDMATMUL
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// matmul((q - z) * s, W) -> reshape(cast(matmul_integer(q8, w) - z *
/// colsum(w)) * (s * s_n)).
bool rewrite(MatMulOp matmul) {
  auto lhsType = matmul.getLhs().getType();
  auto resultType = matmul.getType();
  if (!lhsType.hasStaticShape() || !resultType.hasStaticShape() ||
      !resultType.getElementType().isF32() || lhsType.getRank() < 2 ||
      matmul.getRhs().getType().getRank() != 2)
    return false;
  // A reshape keeps the elements' order: the product reads q reshaped.
  Value activation = matmul.getLhs();
  while (auto reshape = activation.getDefiningOp<ReshapeOp>())
    activation = reshape.getInput();
  std::optional<FakeQuantized> lhs = matchFakeQuantized(activation);
  if (!lhs)
    return false;
  std::optional<WeightGrid> grid = matchWeightGrid(matmul.getRhs());
  if (!grid)
    return false;
  int64_t k = lhsType.getShape().back(), columns = resultType.getShape().back();
  int64_t rows = lhsType.getNumElements() / std::max<int64_t>(k, 1);
  // i32 holds every sum of K products of at most 255 * 128.
  if (k == 0 || rows == 0 || columns == 0 || k > (int64_t(1) << 31) / 32640)
    return false;

  OpBuilder b(matmul);
  Location loc = matmul.getLoc();
  MLIRContext *context = b.getContext();
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
  auto typeLike = [](RankedTensorType type, Type element) {
    return RankedTensorType::get(type.getShape(), element);
  };
  // q in 8 bits: through i32, as a float cast saturates at i8's range.
  Value q = lhs->q;
  auto qType = cast<RankedTensorType>(q.getType());
  if (lhs->isUnsigned)
    q = b.create<CastOp>(loc, typeLike(qType, i32), q);
  q = b.create<CastOp>(loc, typeLike(qType, i8), q);
  q = b.create<ReshapeOp>(loc, RankedTensorType::get({rows, k}, i8), q);
  auto weightType = RankedTensorType::get({k, columns}, i8);
  Value weights = b.create<ConstantOp>(
      loc, DenseElementsAttr::get(weightType, ArrayRef<int8_t>(grid->values)));
  SmallVector<NamedAttribute> signs;
  if (lhs->isUnsigned)
    signs.push_back(b.getNamedAttr("lhs_unsigned", UnitAttr::get(context)));
  Value sums = b.create<MatMulIntegerOp>(loc, ValueRange{q, weights}, signs);
  auto columnType = [&](Type element) {
    return RankedTensorType::get({columns}, element);
  };
  if (lhs->zero != 0) {
    std::vector<int32_t> correction(columns, 0);
    for (int64_t n = 0; n < columns; ++n) {
      int64_t sum = 0;
      for (int64_t row = 0; row < k; ++row)
        sum += grid->values[row * columns + n];
      correction[n] =
          static_cast<int32_t>(sum * static_cast<int64_t>(lhs->zero));
    }
    Value offsets = b.create<ConstantOp>(
        loc, DenseElementsAttr::get(columnType(i32), ArrayRef(correction)));
    sums = b.create<SubOp>(loc, sums, offsets);
  }
  // The scaling is a kernel of its own (the sums' type differs), named
  // after the matmul.
  if (auto name = dyn_cast<NameLoc>(loc))
    loc = NameLoc::get(b.getStringAttr(name.getName().getValue() + "_scale"),
                       name);
  std::vector<float> scales(columns);
  for (int64_t n = 0; n < columns; ++n)
    scales[n] = static_cast<float>(lhs->scale * grid->scales[n]);
  Value scaleValue = b.create<ConstantOp>(
      loc, DenseElementsAttr::get(columnType(f32), ArrayRef(scales)));
  Value product = b.create<MulOp>(
      loc,
      b.create<CastOp>(loc, RankedTensorType::get({rows, columns}, f32), sums),
      scaleValue);
  product = b.create<ReshapeOp>(loc, resultType, product);
  matmul.getResult().replaceAllUsesWith(product);
  matmul->erase();
  return true;
}

struct QuantizedMatmulPass
    : dlc::impl::QuantizedMatmulBase<QuantizedMatmulPass> {
  void runOnOperation() override {
    SmallVector<MatMulOp> matmuls;
    getOperation().walk([&](MatMulOp op) { matmuls.push_back(op); });
    for (MatMulOp matmul : matmuls)
      (void)rewrite(matmul);
  }
};

} // namespace
