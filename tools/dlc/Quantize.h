//===- Quantize.h - Calibrate and quantize an ONNX model --------*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_QUANTIZE_H
#define DLC_TOOLS_DLC_QUANTIZE_H

#include "compiler/quantization/QdqPlacement.h"

#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace dlc {

struct QuantizeRequest {
  std::string calibrationDir; // one subfolder per sample
  CalibrationMethod method = CalibrationMethod::MinMax;
  double percentile = 99.999;
  QuantizeOptions placement;
  bool verbose = false;
};

/// Parses a quantization flag shared by `dlc quantize` and `dlc compile`
/// (--calibration, --calibration-method, --percentile, --quantize-exclude);
/// `consumed` says whether `args[i]` was one (and `i` moves past its value).
/// False after reporting a bad value.
bool parseQuantizeFlag(const std::vector<std::string> &args, size_t &i,
                       QuantizeRequest &request, bool &consumed);

/// Runs the fp32 model at `modelPath` on every calibration sample, observing
/// the activations placement quantizes, and rewrites `model` (parsed from
/// that file) into QDQ form. False with `error` set.
bool calibrateAndQuantize(const std::string &modelPath, onnx::ModelProto &model,
                          const QuantizeRequest &request,
                          std::vector<NodeQuantization> &report,
                          std::string &error);

/// Prints the placement report: one line per Conv/MatMul/Gemm node.
void printQuantizationReport(const std::vector<NodeQuantization> &report);

} // namespace dlc

#endif // DLC_TOOLS_DLC_QUANTIZE_H
