// A graph built with GraphBuilder is compiled into a library, loaded with
// dlopen and run; its outputs are checked against a naive C++ reference.
#include "compiler/driver/Compiler.h"
#include "frontends/graph/GraphBuilder.h"

#include "dlc/runtime.h"
#include "mlir/IR/MLIRContext.h"

#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<float> randomValues(size_t count, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = uniform(random);
  return values;
}

// conv 3x3 pad 1 (C=2 -> F=3) + bias, relu, 2x2 max pool, flatten, matmul,
// softmax; on a 1x2x6x6 input.
std::vector<float> reference(const std::vector<float> &x,
                             const std::vector<float> &w,
                             const std::vector<float> &bias,
                             const std::vector<float> &fc) {
  const int C = 2, F = 3, H = 6, P = 3, K = 4;
  std::vector<float> conv(F * H * H);
  for (int f = 0; f < F; ++f)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < H; ++j) {
        double sum = bias[f];
        for (int c = 0; c < C; ++c)
          for (int u = 0; u < 3; ++u)
            for (int v = 0; v < 3; ++v) {
              int r = i + u - 1, s = j + v - 1;
              if (r >= 0 && r < H && s >= 0 && s < H)
                sum +=
                    x[(c * H + r) * H + s] * w[((f * C + c) * 3 + u) * 3 + v];
            }
        conv[(f * H + i) * H + j] = std::max(0.0, sum);
      }
  std::vector<float> pooled(F * P * P);
  for (int f = 0; f < F; ++f)
    for (int i = 0; i < P; ++i)
      for (int j = 0; j < P; ++j) {
        float m = -INFINITY;
        for (int u = 0; u < 2; ++u)
          for (int v = 0; v < 2; ++v)
            m = std::max(m, conv[(f * H + 2 * i + u) * H + 2 * j + v]);
        pooled[(f * P + i) * P + j] = m;
      }
  std::vector<double> logits(K, 0.0);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < F * P * P; ++n)
      logits[k] += pooled[n] * fc[n * K + k];
  double peak = *std::max_element(logits.begin(), logits.end()), total = 0;
  for (double &l : logits)
    total += (l = std::exp(l - peak));
  std::vector<float> probs;
  for (double l : logits)
    probs.push_back(static_cast<float>(l / total));
  return probs;
}

TEST(GraphBuilder, CompiledGraphMatchesNaiveReference) {
  std::vector<float> x = randomValues(2 * 36, 1), w = randomValues(54, 2),
                     bias = randomValues(3, 3), fc = randomValues(27 * 4, 4);
  mlir::DialectRegistry registry;
  dlc::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  dlc::GraphBuilder g(context, "tiny_cnn");
  mlir::Value input = g.input("image", {1, 2, 6, 6});
  mlir::Value y =
      g.conv2d(input, g.constant({3, 2, 3, 3}, w), {1, 1}, {1, 1, 1, 1});
  y = g.relu(g.add(y, g.constant({3, 1, 1}, bias)));
  y = g.maxPool2d(y, {2, 2}, {2, 2}, {0, 0, 0, 0});
  y = g.matmul(g.reshape(y, {1, 27}), g.constant({27, 4}, fc));
  g.output("probs", g.softmax(y, 1));
  std::string error;
  auto module = g.finish(error);
  ASSERT_TRUE(module) << error;

  const char *tmp = std::getenv("TEST_TMPDIR");
  std::string outDir = std::string(tmp ? tmp : "/tmp") + "/graph_builder_out";
  dlc::CompileOptions options;
  options.modelName = "tiny_cnn";
  options.outputDir = outDir;
  ASSERT_TRUE(mlir::succeeded(dlc::compileModule(*module, options)));

  void *library = dlopen((outDir + "/libtiny_cnn.so").c_str(), RTLD_NOW);
  ASSERT_NE(library, nullptr) << dlerror();
  using RunFn = dlc_status_code (*)(const dlc_tensor *, int32_t, dlc_tensor *,
                                    int32_t, dlc_status *);
  auto run = reinterpret_cast<RunFn>(dlsym(library, "tiny_cnn_run"));
  ASSERT_NE(run, nullptr);
  int64_t inShape[] = {1, 2, 6, 6}, outShape[] = {1, 4};
  std::vector<float> probs(4, -1.0f);
  dlc_tensor in = {x.data(), inShape, 4, DLC_FLOAT32};
  dlc_tensor out = {probs.data(), outShape, 2, DLC_FLOAT32};
  dlc_status status;
  ASSERT_EQ(run(&in, 1, &out, 1, &status), DLC_OK) << status.message;
  std::vector<float> expected = reference(x, w, bias, fc);
  for (int k = 0; k < 4; ++k)
    EXPECT_NEAR(probs[k], expected[k], 1e-5) << "class " << k;

  // The library checks its inputs: a wrong shape is refused by name.
  inShape[3] = 5;
  EXPECT_EQ(run(&in, 1, &out, 1, &status), DLC_ERROR_SHAPE_MISMATCH);
  EXPECT_STREQ(status.message,
               "input 0 ('image') has shape [1,2,6,5], expected [1,2,6,6]");
  dlclose(library);
}

TEST(GraphBuilder, ShapeErrorsAreReportedByFinish) {
  mlir::MLIRContext context;
  dlc::GraphBuilder g(context, "bad");
  mlir::Value a = g.input("a", {2, 3});
  mlir::Value b = g.input("b", {3, 2});
  mlir::Value sum = g.add(a, b); // [2,3] + [3,2] does not broadcast
  g.output("y", g.relu(sum));
  std::string error;
  EXPECT_FALSE(g.finish(error));
  EXPECT_EQ(error, "add#0: operand shapes [2,3] and [3,2] do not broadcast");
}

} // namespace
