//===- Calibration.cpp - Activation ranges from calibration data ----------===//
#include "compiler/quantization/Calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlc {

std::optional<CalibrationMethod>
parseCalibrationMethod(const std::string &name) {
  if (name == "minmax")
    return CalibrationMethod::MinMax;
  if (name == "percentile")
    return CalibrationMethod::Percentile;
  if (name == "entropy")
    return CalibrationMethod::Entropy;
  return std::nullopt;
}

const char *calibrationMethodName(CalibrationMethod method) {
  switch (method) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::Entropy:
    return "entropy";
  }
  return "?";
}

void TensorObserver::observeRange(const float *values, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    if (!seen) {
      min = max = v;
      seen = true;
    }
    min = std::min(min, v);
    max = std::max(max, v);
  }
}

void TensorObserver::observeHistogram(const float *values, int64_t count) {
  if (!seen)
    return;
  if (histogram.empty())
    histogram.assign(kBins, 0.0);
  bool absolute = method == CalibrationMethod::Entropy;
  double low = absolute ? 0.0 : min;
  double high = absolute ? std::max(std::fabs(min), std::fabs(max)) : max;
  double width = (high - low) / kBins;
  for (int64_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    double x = absolute ? std::fabs(double(v)) : double(v);
    int64_t bin = width > 0 ? int64_t((x - low) / width) : 0;
    histogram[std::clamp<int64_t>(bin, 0, kBins - 1)] += 1;
  }
}

std::optional<ValueRange> TensorObserver::range() const {
  if (!seen)
    return std::nullopt;
  if (method == CalibrationMethod::MinMax || histogram.empty() || min == max)
    return ValueRange{min, max};
  return method == CalibrationMethod::Percentile ? percentileRange()
                                                 : entropyRange();
}

std::optional<ValueRange> TensorObserver::percentileRange() const {
  double total = 0;
  for (double c : histogram)
    total += c;
  if (total == 0)
    return ValueRange{min, max};
  // The central `percentile` %: equal tails cut on either side.
  double tail = total * (1.0 - percentile / 100.0) / 2.0;
  double width = (double(max) - double(min)) / kBins;
  int lowBin = 0, highBin = kBins - 1;
  for (double below = 0; lowBin < kBins - 1; ++lowBin) {
    if (below + histogram[lowBin] > tail)
      break;
    below += histogram[lowBin];
  }
  for (double above = 0; highBin > lowBin; --highBin) {
    if (above + histogram[highBin] > tail)
      break;
    above += histogram[highBin];
  }
  return ValueRange{float(min + lowBin * width),
                    float(min + (highBin + 1) * width)};
}

// For each candidate threshold (a prefix of the |x| histogram, at least 128
// bins), the reference distribution P is the prefix with everything beyond it
// folded into its last bin; Q is P's prefix merged into 128 levels and spread
// back evenly over the bins that were non-empty. The threshold with the
// smallest KL(P || Q) wins.
std::optional<ValueRange> TensorObserver::entropyRange() const {
  constexpr int kLevels = 128;
  double amax = std::max(std::fabs(min), std::fabs(max));
  double width = amax / kBins;
  std::vector<double> suffix(kBins + 1, 0.0); // suffix[i] = sum(hist[i:])
  for (int i = kBins - 1; i >= 0; --i)
    suffix[i] = suffix[i + 1] + histogram[i];
  if (suffix[0] == 0)
    return ValueRange{min, max};
  double bestDivergence = std::numeric_limits<double>::infinity();
  int bestBins = kBins;
  std::vector<double> p, q;
  for (int bins = kLevels; bins <= kBins; ++bins) {
    p.assign(histogram.begin(), histogram.begin() + bins);
    p[bins - 1] += suffix[bins];
    q.assign(bins, 0.0);
    for (int level = 0; level < kLevels; ++level) {
      int begin = level * bins / kLevels, end = (level + 1) * bins / kLevels;
      double sum = 0;
      int nonEmpty = 0;
      for (int i = begin; i < end; ++i) {
        sum += histogram[i];
        nonEmpty += histogram[i] != 0;
      }
      for (int i = begin; i < end && nonEmpty; ++i)
        if (histogram[i] != 0)
          q[i] = sum / nonEmpty;
    }
    double pTotal = suffix[0], qTotal = 0;
    for (double v : q)
      qTotal += v;
    if (qTotal == 0)
      continue;
    double divergence = 0;
    for (int i = 0; i < bins; ++i) {
      if (p[i] == 0)
        continue;
      double pi = p[i] / pTotal;
      // A bin P has and Q lacks (only the folded last bin can be one):
      // a large finite penalty rather than infinity, as is usual.
      double qi = q[i] > 0 ? q[i] / qTotal : 1e-12;
      divergence += pi * std::log(pi / qi);
    }
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      bestBins = bins;
    }
  }
  float threshold = float(bestBins * width);
  return ValueRange{std::max(min, -threshold), std::min(max, threshold)};
}

} // namespace dlc
