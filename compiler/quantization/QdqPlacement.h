//===- QdqPlacement.h - Quantize an ONNX model to QDQ form ------*- C++ -*-===//
//
// Post-training int8 quantization written as a standard ONNX QDQ model
// (QuantizeLinear/DequantizeLinear pairs around fp32 ops), the form
// onnxruntime's quantize_static writes and TensorRT reads: any runtime can
// execute it, and dlc compiles it the way it compiles QDQ models from
// others. Per quantized op (Conv, MatMul, Gemm):
//   - activations (its inputs, and its output or, past the epilogue ops
//     alone after it (BatchNormalization, Relu, Clip), theirs) are uint8
//     asymmetric, per tensor, over their calibrated ranges;
//   - constant weights are int8 symmetric ([-127, 127]) per output channel
//     (per tensor below opset 13), stored quantized;
//   - a constant 1-d bias is int32 at scale input_scale * weight_scale.
// Every other op stays fp32 (softmax, normalizations, pools, ...): they read
// the dequantized values.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_QUANTIZATION_QDQPLACEMENT_H
#define DLC_COMPILER_QUANTIZATION_QDQPLACEMENT_H

#include "compiler/quantization/Calibration.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace dlc {

struct QuantizeOptions {
  /// Nodes (by name) left fp32.
  std::set<std::string> excludedNodes;
};

/// What placement did to one candidate node.
struct NodeQuantization {
  std::string node, opType;
  bool quantized = false;
  std::string reason; // why not, when not
};

/// The activation tensors whose ranges placement needs, in graph order.
/// Fails (with `error`) on a model placement cannot handle at all.
bool tensorsToCalibrate(const onnx::ModelProto &model,
                        const QuantizeOptions &options,
                        std::vector<std::string> &tensors, std::string &error);

/// Rewrites `model` into QDQ form with the calibrated `ranges` (of every
/// tensor tensorsToCalibrate named). `report` gets one row per candidate.
bool placeQdq(onnx::ModelProto &model,
              const std::map<std::string, ValueRange> &ranges,
              const QuantizeOptions &options,
              std::vector<NodeQuantization> &report, std::string &error);

/// The uint8 scale and zero point of `range` (widened to hold 0, as the
/// zero padding and ReLU's zeros must be exact).
void uint8Parameters(ValueRange range, float &scale, uint8_t &zeroPoint);

} // namespace dlc

#endif // DLC_COMPILER_QUANTIZATION_QDQPLACEMENT_H
