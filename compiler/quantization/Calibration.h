//===- Calibration.h - Activation ranges from calibration data --*- C++ -*-===//
//
// Post-training quantization needs, for every activation it quantizes, the
// range [min, max] its uint8 grid spans. An observer sees the tensor's
// values on each calibration sample and estimates that range:
//   minmax      the extremes seen (nothing clipped; outliers widen the step)
//   percentile  the central `percentile` % of the values (histogram)
//   entropy     the clipping threshold whose 128-level quantization of |x|
//               loses the least information (KL divergence, TensorRT's rule)
// The histogram methods need the extremes first: a caller feeds every sample
// to observeRange, then (when needsHistogram) every sample again to
// observeHistogram.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANTIZATION_CALIBRATION_H
#define DLC_COMPILER_QUANTIZATION_CALIBRATION_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

enum class CalibrationMethod { MinMax, Percentile, Entropy };

/// "minmax", "percentile" or "entropy"; nullopt otherwise.
std::optional<CalibrationMethod> parseCalibrationMethod(const std::string &);
const char *calibrationMethodName(CalibrationMethod method);

/// A real range an activation's quantization grid spans.
struct ValueRange {
  float min = 0, max = 0;
};

class TensorObserver {
public:
  static constexpr int kBins = 2048;

  explicit TensorObserver(CalibrationMethod method, double percentile = 99.999)
      : method(method), percentile(percentile) {}

  bool needsHistogram() const { return method != CalibrationMethod::MinMax; }
  /// First pass: the extremes. NaNs and infinities are skipped: a grid
  /// cannot span them.
  void observeRange(const float *values, int64_t count);
  /// Second pass (histogram methods): the distribution within the extremes.
  void observeHistogram(const float *values, int64_t count);
  /// The estimated range; nullopt when no finite value was seen.
  std::optional<ValueRange> range() const;

private:
  std::optional<ValueRange> percentileRange() const;
  std::optional<ValueRange> entropyRange() const;

  CalibrationMethod method;
  double percentile;
  bool seen = false;
  float min = 0, max = 0;
  // percentile: values over [min, max]; entropy: |values| over [0, max|x|].
  std::vector<double> histogram;
};

} // namespace dlc

#endif // DLC_COMPILER_QUANTIZATION_CALIBRATION_H
