//===- QdqPlacement.cpp - Quantize an ONNX model to QDQ form --------------===//
#include "compiler/quantization/QdqPlacement.h"

#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace dlc {
namespace {

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// The name a user gives --quantize-exclude: the node's, or its first
/// output's when it has none.
std::string nodeName(const onnx::NodeProto &node) {
  if (!node.name().empty() || node.output_size() == 0)
    return node.name();
  return node.output(0);
}

const onnx::AttributeProto *findAttribute(const onnx::NodeProto &node,
                                          const char *name) {
  for (const auto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

int64_t intAttribute(const onnx::NodeProto &node, const char *name,
                     int64_t fallback) {
  const onnx::AttributeProto *attribute = findAttribute(node, name);
  return attribute ? attribute->i() : fallback;
}

float floatAttribute(const onnx::NodeProto &node, const char *name,
                     float fallback) {
  const onnx::AttributeProto *attribute = findAttribute(node, name);
  return attribute ? attribute->f() : fallback;
}

/// The elements of a float tensor stored in the model; nullopt for another
/// type, external data, or data that does not match the dims.
std::optional<std::vector<float>> floatData(const onnx::TensorProto &tensor) {
  if (tensor.data_type() != onnx::TensorProto::FLOAT ||
      tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > (int64_t(1) << 40) / dim))
      return std::nullopt;
    count *= dim;
  }
  std::vector<float> values;
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != size_t(count) * sizeof(float))
      return std::nullopt;
    values.resize(count);
    std::memcpy(values.data(), tensor.raw_data().data(),
                tensor.raw_data().size());
  } else {
    if (tensor.float_data_size() != count)
      return std::nullopt;
    values.assign(tensor.float_data().begin(), tensor.float_data().end());
  }
  return values;
}

/// Which of a candidate node's inputs are activations and which constants.
struct Plan {
  int node = -1;
  std::vector<std::string> activations;  // inputs quantized to uint8
  std::string weight;                    // constant input quantized to int8
  int weightInput = -1, weightAxis = -1; // axis -1: per tensor
  std::string bias;                      // constant 1-d bias, or empty
  int biasInput = -1;
  std::string output; // the tensor quantized after the op (or its Relu)
  std::string reason; // why the node stays fp32
};

class Placement {
public:
  Placement(onnx::ModelProto &model, const QuantizeOptions &options)
      : model(model), graph(*model.mutable_graph()), options(options) {}

  bool analyze(std::string &error);
  std::vector<Plan> plans;
  bool perChannel = false;

  bool rewrite(const std::map<std::string, ValueRange> &ranges,
               std::vector<NodeQuantization> &report);

private:
  void planNode(int index);
  void foldBatchNorm(Plan &plan);
  std::string fresh(const std::string &base);
  std::string addScalar(const std::string &base, int dataType, float value);
  std::string addInitializer(const std::string &base, int dataType,
                             const std::vector<int64_t> &dims,
                             const std::string &raw);
  onnx::NodeProto makeNode(const char *opType, const std::string &name,
                           std::vector<std::string> inputs,
                           const std::string &output, int axis);
  /// Q->DQ of activation `tensor`: nodes appended to `out`; returns the
  /// dequantized tensor's name.
  std::string quantizeActivation(const std::string &tensor, bool renameProducer,
                                 std::vector<onnx::NodeProto> &out);
  bool quantizeWeight(Plan &plan, std::vector<onnx::NodeProto> &out,
                      std::vector<float> &weightScales);
  void quantizeBias(Plan &plan, float inputScale,
                    const std::vector<float> &weightScales,
                    std::vector<onnx::NodeProto> &out);

  onnx::ModelProto &model;
  onnx::GraphProto &graph;
  const QuantizeOptions &options;
  std::unordered_map<std::string, const onnx::TensorProto *> constants;
  std::unordered_map<std::string, int> producer;
  std::unordered_map<std::string, std::vector<int>> consumers;
  std::unordered_set<std::string> graphInputs, graphOutputs, names;
  // Activation tensor -> its dequantized name and parameters.
  struct Quantized {
    std::string dequantized;
    float scale;
  };
  std::unordered_map<std::string, Quantized> quantized;
  const std::map<std::string, ValueRange> *ranges = nullptr;
  std::vector<onnx::TensorProto> newInitializers;
  // Folded weights and biases (stable addresses for `constants`), and the
  // BatchNormalization nodes folded away.
  std::deque<onnx::TensorProto> folded;
  std::unordered_set<int> removed;
};

bool Placement::analyze(std::string &error) {
  int64_t opset = -1;
  for (const auto &import : model.opset_import())
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  if (opset < 10) {
    error = "quantization needs ONNX opset 10 or later (QuantizeLinear); "
            "the model imports opset " +
            std::to_string(opset);
    return false;
  }
  perChannel = opset >= 13; // QuantizeLinear/DequantizeLinear's axis
  for (const auto &tensor : graph.initializer()) {
    constants[tensor.name()] = &tensor;
    names.insert(tensor.name());
  }
  for (const auto &input : graph.input()) {
    names.insert(input.name());
    if (!constants.count(input.name()))
      graphInputs.insert(input.name());
  }
  for (const auto &output : graph.output())
    graphOutputs.insert(output.name());
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    names.insert(node.name());
    for (const std::string &input : node.input())
      if (!input.empty())
        consumers[input].push_back(i);
    for (const std::string &output : node.output()) {
      names.insert(output);
      producer[output] = i;
    }
    if (node.op_type() == "Constant" && isDefaultDomain(node.domain()) &&
        node.output_size() == 1)
      if (const onnx::AttributeProto *value = findAttribute(node, "value"))
        if (value->has_t())
          constants[node.output(0)] = &value->t();
  }
  for (const auto &info : graph.value_info())
    names.insert(info.name());
  for (int i = 0; i < graph.node_size(); ++i)
    planNode(i);
  return true;
}

void Placement::planNode(int index) {
  const onnx::NodeProto &node = graph.node(index);
  const std::string &op = node.op_type();
  if (!isDefaultDomain(node.domain()) ||
      (op != "Conv" && op != "MatMul" && op != "Gemm"))
    return;
  Plan plan;
  plan.node = index;
  auto isConstant = [&](int i) {
    return i < node.input_size() && constants.count(node.input(i));
  };
  auto isFloatConstant = [&](int i) {
    return isConstant(i) &&
           constants.at(node.input(i))->data_type() == onnx::TensorProto::FLOAT;
  };
  auto rankOf = [&](int i) { return constants.at(node.input(i))->dims_size(); };
  if (options.excludedNodes.count(nodeName(node)))
    plan.reason = "excluded (--quantize-exclude)";
  else if (node.output_size() != 1 || node.input_size() < 2)
    plan.reason = "unexpected inputs or outputs";
  else if (isConstant(0))
    plan.reason = "its first input is a constant";
  if (!plan.reason.empty()) {
    plans.push_back(plan);
    return;
  }
  plan.activations.push_back(node.input(0));
  if (op == "Conv") {
    if (!isFloatConstant(1) || rankOf(1) < 3)
      plan.reason = "its weight is not a constant fp32 tensor";
    plan.weightInput = 1;
    plan.weightAxis = 0;
    if (isFloatConstant(2) && rankOf(2) == 1)
      plan.biasInput = 2;
    else if (node.input_size() > 2 && !node.input(2).empty())
      plan.reason = "its bias is not a constant fp32 vector";
  } else if (op == "Gemm") {
    if (!isFloatConstant(1) || rankOf(1) != 2)
      plan.reason = "its B is not a constant 2-d fp32 tensor";
    plan.weightInput = 1;
    plan.weightAxis = intAttribute(node, "transB", 0) ? 0 : 1;
    if (node.input_size() > 2 && !node.input(2).empty()) {
      // A bias of N elements folds into the int32 accumulator; anything
      // else (broadcast rows, beta != 1) stays fp32 and is added as is.
      if (isFloatConstant(2) && rankOf(2) == 1 &&
          floatAttribute(node, "beta", 1.0f) == 1.0f &&
          floatAttribute(node, "alpha", 1.0f) == 1.0f)
        plan.biasInput = 2;
    }
  } else { // MatMul
    if (isConstant(1)) {
      if (!isFloatConstant(1))
        plan.reason = "its B is not an fp32 constant";
      plan.weightInput = 1;
      plan.weightAxis = rankOf(1) == 2 ? 1 : -1;
    } else {
      plan.activations.push_back(node.input(1)); // e.g. attention's K, V
    }
  }
  if (plan.weightInput >= 0) {
    plan.weight = node.input(plan.weightInput);
    if (!perChannel)
      plan.weightAxis = -1;
  }
  if (plan.biasInput >= 0)
    plan.bias = node.input(plan.biasInput);
  // The output, or what the epilogue ops alone after it (an inference
  // BatchNormalization, Relu, Clip) make of it: they fold or fuse into the
  // op, a Relu's zeros stay exact and the grid spends no levels on what
  // they cut away.
  plan.output = node.output(0);
  for (int step = 0; step < 4; ++step) {
    auto users = consumers.find(plan.output);
    if (users == consumers.end() || users->second.size() != 1 ||
        graphOutputs.count(plan.output))
      break;
    const onnx::NodeProto &next = graph.node(users->second.front());
    const std::string &nextOp = next.op_type();
    if (!isDefaultDomain(next.domain()) || next.output_size() != 1 ||
        next.input(0) != plan.output ||
        (nextOp != "Relu" && nextOp != "Clip" &&
         nextOp != "BatchNormalization"))
      break;
    plan.output = next.output(0);
  }
  plans.push_back(plan);
}

std::string Placement::fresh(const std::string &base) {
  std::string name = base;
  for (int i = 1; names.count(name); ++i)
    name = base + "_" + std::to_string(i);
  names.insert(name);
  return name;
}

std::string Placement::addInitializer(const std::string &base, int dataType,
                                      const std::vector<int64_t> &dims,
                                      const std::string &raw) {
  onnx::TensorProto tensor;
  tensor.set_name(fresh(base));
  tensor.set_data_type(dataType);
  for (int64_t dim : dims)
    tensor.add_dims(dim);
  tensor.set_raw_data(raw);
  newInitializers.push_back(tensor);
  return tensor.name();
}

std::string Placement::addScalar(const std::string &base, int dataType,
                                 float value) {
  std::string raw;
  if (dataType == onnx::TensorProto::FLOAT)
    raw.assign(reinterpret_cast<const char *>(&value), sizeof(float));
  else
    raw.assign(1, char(uint8_t(value))); // uint8 / int8 zero points
  return addInitializer(base, dataType, {}, raw);
}

onnx::NodeProto Placement::makeNode(const char *opType, const std::string &name,
                                    std::vector<std::string> inputs,
                                    const std::string &output, int axis) {
  onnx::NodeProto node;
  node.set_op_type(opType);
  node.set_name(fresh(name));
  for (const std::string &input : inputs)
    node.add_input(input);
  node.add_output(output);
  if (axis >= 0) {
    onnx::AttributeProto *attribute = node.add_attribute();
    attribute->set_name("axis");
    attribute->set_type(onnx::AttributeProto::INT);
    attribute->set_i(axis);
  }
  return node;
}

void uint8ParametersImpl(ValueRange range, float &scale, uint8_t &zeroPoint) {
  double low = std::min(0.0, double(range.min));
  double high = std::max(0.0, double(range.max));
  if (high - low <= 0 || !std::isfinite(high - low)) {
    scale = 1.0f;
    zeroPoint = 0;
    return;
  }
  scale = float((high - low) / 255.0);
  double zero = std::nearbyint(-low / double(scale));
  zeroPoint = uint8_t(std::clamp(zero, 0.0, 255.0));
}

std::string Placement::quantizeActivation(const std::string &tensor,
                                          bool renameProducer,
                                          std::vector<onnx::NodeProto> &out) {
  auto known = quantized.find(tensor);
  if (known != quantized.end())
    return known->second.dequantized;
  float scale;
  uint8_t zeroPoint;
  uint8ParametersImpl(ranges->at(tensor), scale, zeroPoint);
  std::string scaleName =
      addScalar(tensor + "_scale", onnx::TensorProto::FLOAT, scale);
  std::string zeroName =
      addScalar(tensor + "_zero_point", onnx::TensorProto::UINT8, zeroPoint);
  std::string source = tensor, dequantized;
  if (renameProducer) {
    // The producer writes the fp32 value under a new name and the
    // dequantized value takes the old one: every reader, graph outputs and
    // subgraphs included, sees the quantized tensor.
    source = fresh(tensor + "_float");
    onnx::NodeProto &node = *graph.mutable_node(producer.at(tensor));
    for (auto &output : *node.mutable_output())
      if (output == tensor)
        output = source;
    dequantized = tensor;
  } else {
    dequantized = fresh(tensor + "_dequantized");
  }
  std::string q = fresh(tensor + "_quantized");
  out.push_back(makeNode("QuantizeLinear", tensor + "_QuantizeLinear",
                         {source, scaleName, zeroName}, q, -1));
  out.push_back(makeNode("DequantizeLinear", tensor + "_DequantizeLinear",
                         {q, scaleName, zeroName}, dequantized, -1));
  quantized[tensor] = {dequantized, scale};
  return dequantized;
}

bool Placement::quantizeWeight(Plan &plan, std::vector<onnx::NodeProto> &out,
                               std::vector<float> &weightScales) {
  const onnx::TensorProto &tensor = *constants.at(plan.weight);
  std::optional<std::vector<float>> values = floatData(tensor);
  if (!values) {
    plan.reason = "its weight is stored as external data or is malformed";
    return false;
  }
  std::vector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
  int64_t channels = plan.weightAxis >= 0 ? dims[plan.weightAxis] : 1;
  int64_t inner = 1; // elements after the channel axis
  for (size_t d = plan.weightAxis + 1; plan.weightAxis >= 0 && d < dims.size();
       ++d)
    inner *= dims[d];
  auto channelOf = [&](int64_t i) {
    return plan.weightAxis >= 0 ? (i / inner) % channels : 0;
  };
  std::vector<float> absMax(channels, 0.0f);
  for (int64_t i = 0; i < int64_t(values->size()); ++i) {
    float v = (*values)[i];
    if (!std::isfinite(v)) {
      plan.reason = "its weight holds NaN or infinity";
      return false;
    }
    absMax[channelOf(i)] = std::max(absMax[channelOf(i)], std::fabs(v));
  }
  weightScales.resize(channels);
  for (int64_t c = 0; c < channels; ++c)
    weightScales[c] = absMax[c] > 0 ? absMax[c] / 127.0f : 1.0f;
  std::string raw(values->size(), '\0');
  for (int64_t i = 0; i < int64_t(values->size()); ++i) {
    double q = std::nearbyint((*values)[i] / weightScales[channelOf(i)]);
    raw[i] = char(int8_t(std::clamp(q, -127.0, 127.0)));
  }
  std::string base = plan.weight;
  std::string quantizedName =
      addInitializer(base + "_quantized", onnx::TensorProto::INT8, dims, raw);
  std::string scaleName, zeroName;
  if (plan.weightAxis >= 0) {
    std::string scales(reinterpret_cast<const char *>(weightScales.data()),
                       weightScales.size() * sizeof(float));
    scaleName = addInitializer(base + "_scale", onnx::TensorProto::FLOAT,
                               {channels}, scales);
    zeroName = addInitializer(base + "_zero_point", onnx::TensorProto::INT8,
                              {channels}, std::string(channels, '\0'));
  } else {
    scaleName =
        addScalar(base + "_scale", onnx::TensorProto::FLOAT, weightScales[0]);
    zeroName = addScalar(base + "_zero_point", onnx::TensorProto::INT8, 0);
  }
  std::string dequantized = fresh(base + "_dequantized");
  out.push_back(makeNode("DequantizeLinear", base + "_DequantizeLinear",
                         {quantizedName, scaleName, zeroName}, dequantized,
                         plan.weightAxis));
  graph.mutable_node(plan.node)->set_input(plan.weightInput, dequantized);
  return true;
}

void Placement::quantizeBias(Plan &plan, float inputScale,
                             const std::vector<float> &weightScales,
                             std::vector<onnx::NodeProto> &out) {
  const onnx::TensorProto &tensor = *constants.at(plan.bias);
  std::optional<std::vector<float>> values = floatData(tensor);
  bool perChannelWeight = weightScales.size() > 1;
  if (!values || (perChannelWeight && values->size() != weightScales.size()))
    return; // stays fp32
  std::vector<float> scales(perChannelWeight ? values->size() : 1);
  std::vector<int32_t> q(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    float scale = inputScale * weightScales[perChannelWeight ? i : 0];
    double v = std::nearbyint(double((*values)[i]) / double(scale));
    if (!(std::fabs(v) <= double(std::numeric_limits<int32_t>::max())))
      return; // beyond int32 (or NaN): stays fp32
    q[i] = int32_t(v);
    scales[perChannelWeight ? i : 0] = scale;
  }
  std::string base = plan.bias;
  std::string quantizedName = addInitializer(
      base + "_quantized", onnx::TensorProto::INT32, {int64_t(q.size())},
      std::string(reinterpret_cast<const char *>(q.data()),
                  q.size() * sizeof(int32_t)));
  std::string scaleName =
      perChannelWeight
          ? addInitializer(
                base + "_scale", onnx::TensorProto::FLOAT,
                {int64_t(scales.size())},
                std::string(reinterpret_cast<const char *>(scales.data()),
                            scales.size() * sizeof(float)))
          : addScalar(base + "_scale", onnx::TensorProto::FLOAT, scales[0]);
  std::string zeroName = addInitializer(
      base + "_zero_point", onnx::TensorProto::INT32,
      perChannelWeight ? std::vector<int64_t>{int64_t(q.size())}
                       : std::vector<int64_t>{},
      std::string((perChannelWeight ? q.size() : 1) * sizeof(int32_t), '\0'));
  std::string dequantized = fresh(base + "_dequantized");
  out.push_back(makeNode("DequantizeLinear", base + "_DequantizeLinear",
                         {quantizedName, scaleName, zeroName}, dequantized,
                         perChannelWeight ? 0 : -1));
  graph.mutable_node(plan.node)->set_input(plan.biasInput, dequantized);
}

// An inference BatchNormalization alone after a quantized Conv folds into
// its weight and bias (W' = W * g, b' = (b - mean) * g + beta, g = scale /
// sqrt(var + epsilon)), as before any int8 conv: the Conv's output then is
// the grid's input, and runtimes fuse DequantizeLinear -> Conv (-> Relu) ->
// QuantizeLinear into one integer kernel.
void Placement::foldBatchNorm(Plan &plan) {
  onnx::NodeProto &conv = *graph.mutable_node(plan.node);
  auto users = consumers.find(conv.output(0));
  if (users == consumers.end() || users->second.size() != 1 ||
      graphOutputs.count(conv.output(0)))
    return;
  int bnIndex = users->second.front();
  const onnx::NodeProto &bn = graph.node(bnIndex);
  if (bn.op_type() != "BatchNormalization" || !isDefaultDomain(bn.domain()) ||
      bn.output_size() != 1 || bn.input_size() != 5 ||
      bn.input(0) != conv.output(0) || intAttribute(bn, "training_mode", 0))
    return;
  std::optional<std::vector<float>> weight =
      floatData(*constants.at(plan.weight));
  const onnx::TensorProto &weightTensor = *constants.at(plan.weight);
  if (!weight || weightTensor.dims_size() < 1)
    return;
  int64_t channels = weightTensor.dims(0);
  std::vector<std::vector<float>> params; // scale, beta, mean, var
  for (int i = 1; i <= 4; ++i) {
    auto found = constants.find(bn.input(i));
    if (found == constants.end())
      return;
    std::optional<std::vector<float>> values = floatData(*found->second);
    if (!values || int64_t(values->size()) != channels)
      return;
    params.push_back(std::move(*values));
  }
  std::vector<float> bias(channels, 0.0f);
  if (!plan.bias.empty()) {
    std::optional<std::vector<float>> given =
        floatData(*constants.at(plan.bias));
    if (!given || int64_t(given->size()) != channels)
      return;
    bias = *given;
  }
  double epsilon = floatAttribute(bn, "epsilon", 1e-5f);
  int64_t perChannel = int64_t(weight->size()) / channels;
  for (int64_t c = 0; c < channels; ++c) {
    double g = params[0][c] / std::sqrt(double(params[3][c]) + epsilon);
    for (int64_t i = 0; i < perChannel; ++i)
      (*weight)[c * perChannel + i] = float((*weight)[c * perChannel + i] * g);
    bias[c] = float((bias[c] - params[2][c]) * g + params[1][c]);
  }
  auto addFolded = [&](const std::string &base, std::vector<int64_t> dims,
                       const std::vector<float> &values) {
    onnx::TensorProto tensor;
    tensor.set_name(fresh(base));
    tensor.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t dim : dims)
      tensor.add_dims(dim);
    tensor.set_raw_data(std::string(
        reinterpret_cast<const char *>(values.data()), values.size() * 4));
    folded.push_back(tensor);
    constants[tensor.name()] = &folded.back();
    return tensor.name();
  };
  plan.weight = addFolded(plan.weight + "_folded",
                          std::vector<int64_t>(weightTensor.dims().begin(),
                                               weightTensor.dims().end()),
                          *weight);
  plan.bias = addFolded(bn.name().empty() ? bn.output(0) + "_bias"
                                          : bn.name() + "_bias",
                        {channels}, bias);
  conv.set_input(plan.weightInput, plan.weight);
  if (conv.input_size() < 3)
    conv.add_input(plan.bias);
  else
    conv.set_input(2, plan.bias);
  plan.biasInput = 2;
  conv.set_output(0, bn.output(0));
  producer[bn.output(0)] = plan.node;
  removed.insert(bnIndex);
}

bool Placement::rewrite(const std::map<std::string, ValueRange> &givenRanges,
                        std::vector<NodeQuantization> &report) {
  ranges = &givenRanges;
  // Nodes emitted before / after each original node.
  std::vector<std::vector<onnx::NodeProto>> before(graph.node_size()),
      after(graph.node_size());
  for (Plan &plan : plans) {
    const onnx::NodeProto &node = graph.node(plan.node);
    NodeQuantization row{nodeName(node), node.op_type(), false, plan.reason};
    if (plan.reason.empty())
      for (const std::string &tensor : plan.activations)
        if (!givenRanges.count(tensor)) {
          plan.reason = "input '" + tensor +
                        "' has no calibrated range (not fp32, or no finite "
                        "value seen)";
          break;
        }
    if (plan.reason.empty() && !givenRanges.count(plan.output))
      plan.reason = "its output '" + plan.output +
                    "' has no calibrated range (not fp32, or no finite value "
                    "seen)";
    if (plan.reason.empty() && node.op_type() == "Conv")
      foldBatchNorm(plan);
    std::vector<onnx::NodeProto> weightNodes;
    std::vector<float> weightScales;
    if (plan.reason.empty() && !plan.weight.empty())
      quantizeWeight(plan, weightNodes, weightScales);
    if (!plan.reason.empty()) {
      row.reason = plan.reason;
      report.push_back(row);
      continue;
    }
    std::vector<onnx::NodeProto> &in = before[plan.node];
    in.insert(in.end(), weightNodes.begin(), weightNodes.end());
    for (size_t i = 0; i < plan.activations.size(); ++i) {
      const std::string &tensor = plan.activations[i];
      auto from = producer.find(tensor);
      std::string dequantized;
      if (from == producer.end()) { // a graph input: readers are rewired
        dequantized = quantizeActivation(tensor, false, in);
      } else {
        dequantized = quantizeActivation(tensor, true, after[from->second]);
      }
      onnx::NodeProto &target = *graph.mutable_node(plan.node);
      for (auto &input : *target.mutable_input())
        if (input == tensor)
          input = dequantized;
    }
    if (!plan.bias.empty() && plan.activations.size() == 1)
      quantizeBias(plan, quantized.at(plan.activations[0]).scale, weightScales,
                   in);
    quantizeActivation(plan.output, true, after[producer.at(plan.output)]);
    row.quantized = true;
    report.push_back(row);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (auto &node : before[i])
      *nodes.Add() = std::move(node);
    if (!removed.count(i))
      *nodes.Add() = graph.node(i);
    for (auto &node : after[i])
      *nodes.Add() = std::move(node);
  }
  graph.mutable_node()->Swap(&nodes);
  for (auto &tensor : folded) // dropped below unless a node still reads it
    *graph.add_initializer() = std::move(tensor);
  for (auto &tensor : newInitializers)
    *graph.add_initializer() = std::move(tensor);
  // The fp32 weights no longer read by any node are dropped.
  std::unordered_set<std::string> read;
  for (const auto &node : graph.node())
    for (const std::string &input : node.input())
      read.insert(input);
  for (const auto &output : graph.output())
    read.insert(output.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
  std::unordered_set<std::string> dropped;
  for (auto &tensor : *graph.mutable_initializer()) {
    if (read.count(tensor.name()))
      *kept.Add() = std::move(tensor);
    else
      dropped.insert(tensor.name());
  }
  graph.mutable_initializer()->Swap(&kept);
  // Below IR version 4 initializers are listed as inputs too.
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  for (auto &input : *graph.mutable_input())
    if (!dropped.count(input.name()))
      *inputs.Add() = std::move(input);
  graph.mutable_input()->Swap(&inputs);
  return true;
}

} // namespace

void uint8Parameters(ValueRange range, float &scale, uint8_t &zeroPoint) {
  uint8ParametersImpl(range, scale, zeroPoint);
}

bool tensorsToCalibrate(const onnx::ModelProto &model,
                        const QuantizeOptions &options,
                        std::vector<std::string> &tensors, std::string &error) {
  // analyze only reads the model.
  Placement placement(const_cast<onnx::ModelProto &>(model), options);
  if (!placement.analyze(error))
    return false;
  std::unordered_set<std::string> seen;
  for (const Plan &plan : placement.plans) {
    if (!plan.reason.empty())
      continue;
    std::vector<std::string> wanted = plan.activations;
    wanted.push_back(plan.output);
    for (const std::string &tensor : wanted)
      if (seen.insert(tensor).second)
        tensors.push_back(tensor);
  }
  return true;
}

bool placeQdq(onnx::ModelProto &model,
              const std::map<std::string, ValueRange> &ranges,
              const QuantizeOptions &options,
              std::vector<NodeQuantization> &report, std::string &error) {
  Placement placement(model, options);
  if (!placement.analyze(error))
    return false;
  return placement.rewrite(ranges, report);
}

} // namespace dlc
