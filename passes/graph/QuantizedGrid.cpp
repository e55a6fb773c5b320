//===- QuantizedGrid.cpp - Fake quantizations and int8 weight grids -------===//
#include "passes/graph/QuantizedGrid.h"
#include "compiler/dialect/DlcDialect.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

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

} // namespace

std::optional<FakeQuantized> dlc::matchFakeQuantized(Value a) {
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

std::optional<WeightGrid> dlc::matchWeightGrid(const std::vector<float> &data,
                                               int64_t rows, int64_t columns) {
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

std::optional<WeightGrid> dlc::matchWeightGrid(Value weight) {
  DenseElementsAttr dense;
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getElementType().isF32() ||
      !matchPattern(weight, m_Constant(&dense)))
    return std::nullopt;
  std::vector<float> data;
  data.reserve(type.getNumElements());
  for (APFloat element : dense.getValues<APFloat>())
    data.push_back(element.convertToFloat());
  return matchWeightGrid(data, type.getDimSize(0), type.getDimSize(1));
}
