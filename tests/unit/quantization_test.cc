//===- quantization_test.cc - Calibration observers and QDQ placement -----===//
//
// The observers against ranges worked out by hand, and the placement's
// rewrite of small ONNX graphs: what it quantizes, with which parameters,
// and what it leaves alone. (That the QDQ models it writes compute what
// onnxruntime computes is tests/e2e/test_quantize.py's part.)
//
//===----------------------------------------------------------------------===//
#include "compiler/quantization/Calibration.h"
#include "compiler/quantization/QdqPlacement.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <random>
#include <set>

using namespace dlc;

namespace {

TEST(Calibration, MinMaxIsTheExtremesAcrossSamples) {
  TensorObserver observer(CalibrationMethod::MinMax);
  const float first[] = {0.5f, -1.0f, NAN, 2.0f};
  const float second[] = {3.0f, INFINITY, -0.25f};
  observer.observeRange(first, 4);
  observer.observeRange(second, 3);
  auto range = observer.range();
  ASSERT_TRUE(range);
  EXPECT_EQ(range->min, -1.0f);
  EXPECT_EQ(range->max, 3.0f);
  EXPECT_FALSE(TensorObserver(CalibrationMethod::MinMax).range());
}

// 100,000 values uniform in [0, 1) and ten outliers at 1000: percentile
// 99.9 cuts the outliers (50 per tail may go), minmax keeps them; 99.99
// (5 per tail) keeps them too.
TEST(Calibration, PercentileCutsOutliers) {
  std::vector<float> values;
  std::mt19937 random(1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int i = 0; i < 100000; ++i)
    values.push_back(uniform(random));
  for (int i = 0; i < 10; ++i)
    values.push_back(1000.0f);
  TensorObserver observer(CalibrationMethod::Percentile, 99.9);
  observer.observeRange(values.data(), values.size());
  ASSERT_TRUE(observer.needsHistogram());
  observer.observeHistogram(values.data(), values.size());
  auto range = observer.range();
  ASSERT_TRUE(range);
  // One histogram bin is 1000/2048 wide: the cut lands in the first bins.
  EXPECT_LT(range->max, 2.0f);
  EXPECT_GE(range->max, 0.99f);
  EXPECT_NEAR(range->min, 0.0f, 1e-3);
  TensorObserver keeps(CalibrationMethod::Percentile, 99.99);
  keeps.observeRange(values.data(), values.size());
  keeps.observeHistogram(values.data(), values.size());
  EXPECT_GT(keeps.range()->max, 999.0f);
}

// A Gaussian with a far outlier: the KL rule clips well inside the outlier
// but keeps the bulk (several standard deviations).
TEST(Calibration, EntropyClipsALongTail) {
  std::vector<float> values;
  std::mt19937 random(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int i = 0; i < 200000; ++i)
    values.push_back(normal(random));
  values.push_back(100.0f);
  TensorObserver observer(CalibrationMethod::Entropy);
  observer.observeRange(values.data(), values.size());
  observer.observeHistogram(values.data(), values.size());
  auto range = observer.range();
  ASSERT_TRUE(range);
  EXPECT_GT(range->max, 3.0f);
  EXPECT_LT(range->max, 20.0f);
  EXPECT_LT(range->min, -3.0f);
  EXPECT_GE(range->min, -20.0f);
}

TEST(Calibration, Uint8ParametersHoldZeroExactly) {
  float scale;
  uint8_t zeroPoint;
  uint8Parameters({0.0f, 6.0f}, scale, zeroPoint);
  EXPECT_FLOAT_EQ(scale, 6.0f / 255);
  EXPECT_EQ(zeroPoint, 0);
  uint8Parameters({-1.0f, 3.0f}, scale, zeroPoint);
  EXPECT_FLOAT_EQ(scale, 4.0f / 255);
  EXPECT_EQ(zeroPoint, 64); // round(1 / (4/255)) = round(63.75)
  uint8Parameters({2.0f, 5.0f}, scale, zeroPoint); // widened to [0, 5]
  EXPECT_FLOAT_EQ(scale, 5.0f / 255);
  EXPECT_EQ(zeroPoint, 0);
  uint8Parameters({0.0f, 0.0f}, scale, zeroPoint);
  EXPECT_EQ(scale, 1.0f);
}

// --- placement ---------------------------------------------------------

onnx::TensorProto floatTensor(const std::string &name,
                              std::vector<int64_t> dims,
                              std::vector<float> values) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    tensor.add_dims(d);
  for (float v : values)
    tensor.add_float_data(v);
  return tensor;
}

onnx::NodeProto *addNode(onnx::GraphProto &graph, const std::string &op,
                         const std::string &name,
                         std::vector<std::string> inputs,
                         std::vector<std::string> outputs) {
  onnx::NodeProto *node = graph.add_node();
  node->set_op_type(op);
  node->set_name(name);
  for (auto &input : inputs)
    node->add_input(input);
  for (auto &output : outputs)
    node->add_output(output);
  return node;
}

/// x [1,2,2,2] -> Conv (2 output channels, 1x1, bias) -> Relu -> y
///             -> MatMul(y, y2) where y2 = Sigmoid(x): two activations
///             -> Softmax -> out
onnx::ModelProto smallModel(int opset) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto *import = model.add_opset_import();
  import->set_domain("");
  import->set_version(opset);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.add_input()->set_name("x");
  // Channel 0's weights span +-2, channel 1's +-0.5: per-channel scales
  // 2/127 and 0.5/127.
  *graph.add_initializer() =
      floatTensor("w", {2, 2, 1, 1}, {2.0f, -1.0f, 0.25f, -0.5f});
  *graph.add_initializer() = floatTensor("b", {2}, {0.1f, -0.2f});
  addNode(graph, "Conv", "conv", {"x", "w", "b"}, {"c"});
  addNode(graph, "Relu", "relu", {"c"}, {"y"});
  addNode(graph, "Sigmoid", "sigmoid", {"x"}, {"y2"});
  addNode(graph, "MatMul", "matmul", {"y", "y2"}, {"m"});
  addNode(graph, "Softmax", "softmax", {"m"}, {"out"});
  graph.add_output()->set_name("out");
  return model;
}

/// Calibrated ranges for every tensor of smallModel that placement reads.
std::map<std::string, ValueRange> smallModelRanges() {
  return {{"x", {-1.0f, 3.0f}},
          {"y", {0.0f, 6.0f}},
          {"y2", {0.0f, 1.0f}},
          {"m", {-2.0f, 2.0f}}};
}

const onnx::TensorProto *initializer(const onnx::ModelProto &model,
                                     const std::string &name) {
  for (const auto &tensor : model.graph().initializer())
    if (tensor.name() == name)
      return &tensor;
  return nullptr;
}

const onnx::NodeProto *producerOf(const onnx::ModelProto &model,
                                  const std::string &tensor) {
  for (const auto &node : model.graph().node())
    for (const auto &output : node.output())
      if (output == tensor)
        return &node;
  return nullptr;
}

std::vector<float> floats(const onnx::TensorProto &tensor) {
  std::vector<float> values(tensor.raw_data().size() / sizeof(float));
  std::memcpy(values.data(), tensor.raw_data().data(),
              tensor.raw_data().size());
  return values;
}

TEST(QdqPlacement, CalibratesInputsAndTheOutputAfterRelu) {
  onnx::ModelProto model = smallModel(17);
  std::vector<std::string> tensors;
  std::string error;
  ASSERT_TRUE(tensorsToCalibrate(model, {}, tensors, error)) << error;
  // Conv: x and Relu's y (not c); MatMul: y, y2 and m. Softmax: nothing.
  EXPECT_EQ(tensors, (std::vector<std::string>{"x", "y", "y2", "m"}));
}

// Conv -> BatchNormalization -> Clip (ReLU6), as exporters write
// MobileNetV2: the grid goes after the Clip, none between Conv and
// BatchNormalization (which dlc then folds into the Conv). A Relu read by
// two nodes ends the chain before it.
TEST(QdqPlacement, QuantizesPastTheEpilogueChain) {
  onnx::ModelProto model = smallModel(17);
  onnx::GraphProto &graph = *model.mutable_graph();
  // conv -> c -> BN -> bn -> Clip -> y (replacing the Relu).
  onnx::NodeProto *relu = graph.mutable_node(1);
  relu->set_op_type("BatchNormalization");
  relu->set_name("bn");
  relu->set_output(0, "bn");
  for (const char *name : {"bn_s", "bn_b", "bn_m", "bn_v"}) {
    relu->add_input(name);
    *graph.add_initializer() = floatTensor(name, {2}, {1.0f, 1.0f});
  }
  onnx::NodeProto *clip = graph.add_node();
  *clip = *relu;
  clip->Clear();
  clip->set_op_type("Clip");
  clip->set_name("relu6");
  clip->add_input("bn");
  clip->add_output("y");
  auto &nodes = *graph.mutable_node();
  for (int i = nodes.size() - 1; i > 2; --i)
    nodes.SwapElements(i, i - 1); // after the BatchNormalization
  std::vector<std::string> tensors;
  std::string error;
  ASSERT_TRUE(tensorsToCalibrate(model, {}, tensors, error)) << error;
  EXPECT_EQ(tensors, (std::vector<std::string>{"x", "y", "y2", "m"}));
  // Placement folds the BatchNormalization into the Conv's weight and bias
  // (scale, beta, mean, var all 1 here: g = 1 / sqrt(1 + 1e-5)).
  onnx::ModelProto rewritten = model;
  std::map<std::string, ValueRange> ranges = smallModelRanges();
  std::vector<NodeQuantization> report;
  ASSERT_TRUE(placeQdq(rewritten, ranges, {}, report, error)) << error;
  for (const auto &node : rewritten.graph().node())
    EXPECT_NE(node.op_type(), "BatchNormalization");
  const onnx::NodeProto *conv = producerOf(rewritten, "bn");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->op_type(), "Conv");
  EXPECT_EQ(conv->input(1), "w_folded_dequantized");
  EXPECT_EQ(conv->input(2), "bn_bias_dequantized");
  EXPECT_EQ(producerOf(rewritten, "y_float")->op_type(), "Clip");
  double g = 1.0 / std::sqrt(1.0 + 1e-5);
  std::vector<float> wScale = floats(*initializer(rewritten, "w_folded_scale"));
  EXPECT_FLOAT_EQ(wScale[0], float(2.0 * g / 127));
  int32_t bias[2];
  std::memcpy(bias,
              initializer(rewritten, "bn_bias_quantized")->raw_data().data(),
              sizeof bias);
  float xScale = 4.0f / 255;
  EXPECT_NEAR(bias[0], ((0.1 - 1) * g + 1) / (xScale * wScale[0]), 1.0);
  // A second reader of the BatchNormalization's output: the chain stops
  // there.
  addNode(graph, "Identity", "also_reads_bn", {"bn"}, {"bn_copy"});
  tensors.clear();
  ASSERT_TRUE(tensorsToCalibrate(model, {}, tensors, error)) << error;
  EXPECT_EQ(tensors, (std::vector<std::string>{"x", "bn", "y", "y2", "m"}));
}

TEST(QdqPlacement, RewritesConvAndMatMulLeavesTheRest) {
  onnx::ModelProto model = smallModel(17);
  std::map<std::string, ValueRange> ranges = smallModelRanges();
  std::vector<NodeQuantization> report;
  std::string error;
  ASSERT_TRUE(placeQdq(model, ranges, {}, report, error)) << error;
  ASSERT_EQ(report.size(), 2u);
  EXPECT_TRUE(report[0].quantized && report[1].quantized);

  // The weight: int8 per output channel (axis 0), the fp32 copy gone.
  EXPECT_EQ(initializer(model, "w"), nullptr);
  const onnx::TensorProto *w = initializer(model, "w_quantized");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->data_type(), onnx::TensorProto::INT8);
  const std::string &q = w->raw_data();
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(int8_t(q[0]), 127);  // 2 / (2/127)
  EXPECT_EQ(int8_t(q[1]), -64);  // -1 / (2/127) = -63.5, ties to even
  EXPECT_EQ(int8_t(q[2]), 64);   // 0.25 / (0.5/127) = 63.5
  EXPECT_EQ(int8_t(q[3]), -127); // -0.5 / (0.5/127)
  std::vector<float> wScale = floats(*initializer(model, "w_scale"));
  ASSERT_EQ(wScale.size(), 2u);
  EXPECT_FLOAT_EQ(wScale[0], 2.0f / 127);
  EXPECT_FLOAT_EQ(wScale[1], 0.5f / 127);

  // The bias: int32 at x's scale times each channel's weight scale.
  const onnx::TensorProto *b = initializer(model, "b_quantized");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data_type(), onnx::TensorProto::INT32);
  int32_t bias[2];
  std::memcpy(bias, b->raw_data().data(), sizeof bias);
  float xScale = 4.0f / 255;
  EXPECT_EQ(bias[0], int32_t(std::nearbyint(0.1 / (xScale * (2.0 / 127)))));
  EXPECT_EQ(bias[1], int32_t(std::nearbyint(-0.2 / (xScale * (0.5 / 127)))));

  // x is a graph input: the Conv reads a dequantized copy, Sigmoid (which
  // now writes y2_float) still reads x itself.
  const onnx::NodeProto *conv = producerOf(model, "c");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->input(0), "x_dequantized");
  EXPECT_EQ(producerOf(model, "x_dequantized")->op_type(), "DequantizeLinear");
  EXPECT_EQ(producerOf(model, "y2_float")->op_type(), "Sigmoid");
  EXPECT_EQ(producerOf(model, "y2_float")->input(0), "x");
  // y is Relu's output: Relu now writes y_float, and y is its Q->DQ, which
  // every reader sees. c (the Conv's own output) is not quantized.
  EXPECT_EQ(producerOf(model, "y_float")->op_type(), "Relu");
  EXPECT_EQ(producerOf(model, "y")->op_type(), "DequantizeLinear");
  EXPECT_EQ(producerOf(model, "c")->op_type(), "Conv");
  // MatMul's two activations and its output; Softmax untouched.
  EXPECT_EQ(producerOf(model, "y2")->op_type(), "DequantizeLinear");
  EXPECT_EQ(producerOf(model, "m")->op_type(), "DequantizeLinear");
  EXPECT_EQ(producerOf(model, "out")->op_type(), "Softmax");
  EXPECT_EQ(producerOf(model, "out")->input(0), "m");

  // Nodes stay in an order where every input is made before it is read.
  std::set<std::string> made = {"x"};
  for (const auto &tensor : model.graph().initializer())
    made.insert(tensor.name());
  for (const auto &node : model.graph().node()) {
    for (const auto &input : node.input())
      EXPECT_TRUE(made.count(input)) << node.name() << " reads " << input;
    for (const auto &output : node.output())
      made.insert(output);
  }
}

TEST(QdqPlacement, LeavesExcludedAndNonFloatNodesAlone) {
  onnx::ModelProto model = smallModel(17);
  QuantizeOptions options;
  options.excludedNodes = {"conv"};
  // y2 has no range (as when calibration saw no fp32 values there).
  std::map<std::string, ValueRange> ranges = {{"y", {0.0f, 6.0f}},
                                              {"m", {-2.0f, 2.0f}}};
  std::vector<NodeQuantization> report;
  std::string error;
  std::string before = model.SerializeAsString();
  ASSERT_TRUE(placeQdq(model, ranges, options, report, error)) << error;
  ASSERT_EQ(report.size(), 2u);
  EXPECT_FALSE(report[0].quantized);
  EXPECT_EQ(report[0].reason, "excluded (--quantize-exclude)");
  EXPECT_FALSE(report[1].quantized);
  EXPECT_NE(report[1].reason.find("'y2'"), std::string::npos);
  EXPECT_EQ(model.SerializeAsString(), before);
}

TEST(QdqPlacement, PerTensorWeightsBelowOpset13AndRefusesBelow10) {
  onnx::ModelProto model = smallModel(12);
  std::map<std::string, ValueRange> ranges = smallModelRanges();
  std::vector<NodeQuantization> report;
  std::string error;
  ASSERT_TRUE(placeQdq(model, ranges, {}, report, error)) << error;
  std::vector<float> wScale = floats(*initializer(model, "w_scale"));
  ASSERT_EQ(wScale.size(), 1u);
  EXPECT_FLOAT_EQ(wScale[0], 2.0f / 127);
  for (const auto &node : model.graph().node())
    EXPECT_EQ(node.attribute_size(), 0) << node.name(); // no axis

  onnx::ModelProto old = smallModel(9);
  std::vector<std::string> tensors;
  EXPECT_FALSE(tensorsToCalibrate(old, {}, tensors, error));
  EXPECT_NE(error.find("opset 10"), std::string::npos) << error;
}

TEST(QdqPlacement, ConvWithAComputedWeightStaysFp32) {
  onnx::ModelProto model = smallModel(17);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.mutable_node(0)->set_input(1, "w_computed");
  // Neg(w) -> w_computed, moved to the front.
  auto &nodes = *graph.mutable_node();
  addNode(graph, "Neg", "neg", {"w"}, {"w_computed"});
  for (int i = nodes.size() - 1; i > 0; --i)
    nodes.SwapElements(i, i - 1);
  std::vector<std::string> tensors;
  std::string error;
  ASSERT_TRUE(tensorsToCalibrate(model, {}, tensors, error)) << error;
  EXPECT_EQ(tensors, (std::vector<std::string>{"y", "y2", "m"}));
}

} // namespace
