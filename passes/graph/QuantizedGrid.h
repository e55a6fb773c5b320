//===- QuantizedGrid.h - Fake quantizations and int8 weight grids -*- C++
//-*-===//
//
// What dlc-quantized-matmul and dlc-quantized-conv recognize in a QDQ graph:
// an activation read through the importer's fake quantization, and a
// constant f32 weight whose channels lie on int8 grids.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_GRAPH_QUANTIZEDGRID_H
#define DLC_PASSES_GRAPH_QUANTIZEDGRID_H

#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace dlc {

/// a = (q - z) * s with q = clip(round(x / s) + z, lo, hi) integral within
/// [0, 255] (isUnsigned) or [-128, 127]; scale and zero scalar constants.
struct FakeQuantized {
  mlir::Value q; // f32, integral
  double zero, scale;
  bool isUnsigned;
};
std::optional<FakeQuantized> matchFakeQuantized(mlir::Value a);

/// Weights w[k, n] in [-128, 127] and per-column scales s_n with
/// W[k, n] = w[k, n] * s_n exactly (as f32).
struct WeightGrid {
  std::vector<int8_t> values; // row-major [rows, columns]
  std::vector<double> scales; // one per column
};
/// The grid of `data` ([rows, columns], row-major): per column, the
/// column's own scale (per-channel quantization) or the tensor's
/// (per-tensor), checked element by element; none when a column fits
/// neither or a value is not finite.
std::optional<WeightGrid> matchWeightGrid(const std::vector<float> &data,
                                          int64_t rows, int64_t columns);
/// The same for a constant f32 matrix [K, N].
std::optional<WeightGrid> matchWeightGrid(mlir::Value weight);

} // namespace dlc

#endif // DLC_PASSES_GRAPH_QUANTIZEDGRID_H
