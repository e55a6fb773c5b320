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

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <optional>

namespace dlc {
#define GEN_PASS_DEF_QUANTIZEDMATMUL
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The value of a constant with one f32 element.
std::optional<double> scalarConstant(Value value) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) ||
      !dense.getElementType().isF32() || dense.getNumElements() != 1)
    return std::nullopt;
  double result = (*dense.getValues<APFloat>().begin()).convertToDouble();
  return std::isfinite(result) ? std::optional<double>(result) : std::nullopt;
}

bool isIntegral(double value) { return value == std::nearbyint(value); }

/// Whether every element of `value` is an integer (or infinite, which the
/// clip that follows bounds): round(x), or such a value plus or minus an
/// integral scalar constant.
bool isIntegralValued(Value value) {
  Operation *op = value.getDefiningOp();
  if (isa_and_nonnull<RoundOp>(op))
    return true;
  if (!isa_and_nonnull<AddOp, SubOp>(op))
    return false;
  for (int side = 0; side < 2; ++side) {
    std::optional<double> constant = scalarConstant(op->getOperand(1 - side));
    if (constant && isIntegral(*constant) &&
        isIntegralValued(op->getOperand(side)))
      return true;
  }
  return false;
}

/// a = (q - z) * s with q an integral clip within 8 bits.
struct FakeQuantized {
  Value q; // f32, integral, within [0, 255] or [-128, 127]
  double zero, scale;
  bool isUnsigned;
};

std::optional<FakeQuantized> matchFakeQuantized(Value a) {
  auto mul = a.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    std::optional<double> scale = scalarConstant(mul->getOperand(1 - side));
    auto sub = mul->getOperand(side).getDefiningOp<SubOp>();
    if (!scale || *scale <= 0 || !sub ||
        sub.getLhs().getType() != sub.getType())
      continue;
    std::optional<double> zero = scalarConstant(sub.getRhs());
    auto clip = sub.getLhs().getDefiningOp<ClipOp>();
    if (!zero || !isIntegral(*zero) || std::abs(*zero) > 255 || !clip ||
        !isIntegralValued(clip.getInput()))
      continue;
    double lo = clip.getMin().convertToDouble(),
           hi = clip.getMax().convertToDouble();
    if (!isIntegral(lo) || !isIntegral(hi) || lo > hi)
      continue;
    if (lo >= 0 && hi <= 255)
      return FakeQuantized{clip, *zero, *scale, /*isUnsigned=*/true};
    if (lo >= -128 && hi <= 127)
      return FakeQuantized{clip, *zero, *scale, /*isUnsigned=*/false};
  }
  return std::nullopt;
}

/// A constant f32 [K, N] whose every column n is w[:, n] * s_n with w
/// integers in [-128, 127]: w (row-major) and the scales.
struct WeightGrid {
  std::vector<int8_t> values;
  std::vector<double> scales;
};

std::optional<WeightGrid> matchWeightGrid(Value weight) {
  DenseElementsAttr dense;
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32() ||
      !matchPattern(weight, m_Constant(&dense)))
    return std::nullopt;
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  std::vector<float> data;
  data.reserve(rows * columns);
  for (APFloat element : dense.getValues<APFloat>())
    data.push_back(element.convertToFloat());
  // A symmetric grid's scale s makes the largest |value| fl(127 s) (or
  // fl(128 s) for -128): that / 127 is within an ulp or two of s. Each
  // candidate is checked against every element of the column: the column's
  // own (per-channel quantization), then the whole tensor's (per-tensor).
  auto addCandidates = [](float largest, std::vector<float> &candidates) {
    for (float steps : {127.0f, 128.0f}) {
      float guess = largest / steps;
      float up = guess, down = guess;
      candidates.push_back(guess);
      for (int ulps = 1; ulps <= 2; ++ulps) {
        up = std::nextafter(up, INFINITY);
        down = std::nextafter(down, 0.0f);
        candidates.push_back(up);
        candidates.push_back(down);
      }
    }
  };
  float tensorLargest = 0;
  for (float v : data) {
    if (!std::isfinite(v))
      return std::nullopt;
    tensorLargest = std::max(tensorLargest, std::abs(v));
  }
  std::vector<float> tensorCandidates;
  addCandidates(tensorLargest, tensorCandidates);
  WeightGrid grid;
  grid.values.assign(rows * columns, 0);
  grid.scales.assign(columns, 1.0);
  for (int64_t n = 0; n < columns; ++n) {
    float largest = 0;
    for (int64_t k = 0; k < rows; ++k)
      largest = std::max(largest, std::abs(data[k * columns + n]));
    if (largest == 0)
      continue;
    std::vector<float> candidates;
    addCandidates(largest, candidates);
    candidates.insert(candidates.end(), tensorCandidates.begin(),
                      tensorCandidates.end());
    bool found = false;
    for (float scale : candidates) {
      bool fits = scale > 0 && std::isfinite(scale);
      for (int64_t k = 0; k < rows && fits; ++k) {
        float v = data[k * columns + n];
        double w = std::nearbyint(static_cast<double>(v) / scale);
        fits = w >= -128 && w <= 127 &&
               static_cast<float>(w * static_cast<double>(scale)) == v;
        if (fits)
          grid.values[k * columns + n] = static_cast<int8_t>(w);
      }
      if (fits) {
        grid.scales[n] = scale;
        found = true;
        break;
      }
    }
    if (!found)
      return std::nullopt;
  }
  return grid;
}

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
