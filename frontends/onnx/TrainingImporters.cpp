//===- TrainingImporters.cpp - ai.onnx.preview.training optimizers --------===//
//
// Adagrad, Adam and Momentum: one update step of N tensors at once, as
// elementwise compositions that follow the ONNX reference implementation.
// Inputs are R (the learning rate), T (the update count), then N tensors of
// each kind; outputs are N tensors of each updated kind. The step-dependent
// factors (Adam's bias correction, Momentum's first-step beta) are selects
// on T, so T stays a run-time input.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

using namespace mlir;
using namespace dlc;

namespace {

constexpr const char *kTrainingDomain = "ai.onnx.preview.training";

/// The number of tensors N the node updates, given `kinds` groups of N
/// inputs after R and T and as many groups of outputs; 0 after reporting.
int64_t updatedTensors(NodeImporter &n, int64_t inputKinds,
                       int64_t outputKinds) {
  int64_t groups = static_cast<int64_t>(n.numInputs()) - 2;
  if (groups < inputKinds || groups % inputKinds != 0) {
    (void)n.fail("expects R, T and " + std::to_string(inputKinds) +
                 " groups of N tensors");
    return 0;
  }
  int64_t count = groups / inputKinds;
  if (static_cast<int64_t>(n.numOutputs()) != outputKinds * count) {
    (void)n.fail("expects " + std::to_string(outputKinds * count) +
                 " outputs for " + std::to_string(count) + " tensors");
    return 0;
  }
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (!n.hasInput(i))
      return (void)n.fail("every input must be given"), 0;
  auto rType = n.inputType(0), tType = n.inputType(1);
  if (!isa<FloatType>(rType.getElementType()) || rType.getNumElements() != 1)
    return (void)n.fail("R must be a floating-point scalar"), 0;
  if (!tType.getElementType().isInteger(64) || tType.getNumElements() != 1)
    return (void)n.fail("T must be an int64 scalar"), 0;
  for (int64_t i = 0; i < count; ++i)
    for (int64_t kind = 1; kind < inputKinds; ++kind)
      if (n.inputType(2 + kind * count + i) != n.inputType(2 + i))
        return (void)n.fail("input " + std::to_string(2 + kind * count + i) +
                            " must have the type of input " +
                            std::to_string(2 + i)),
               0;
  for (int64_t i = 0; i < count; ++i)
    if (!isa<FloatType>(n.inputType(2 + i).getElementType()))
      return (void)n.fail("the updated tensors must be floating-point"), 0;
  return count;
}

/// R and T as rank-0 values of `like`'s element type.
std::pair<Value, Value> rateAndStep(NodeImporter &n, Value like) {
  Type elementType = cast<RankedTensorType>(like.getType()).getElementType();
  Value rate = n.cast(n.reshape(n.input(0), {}), elementType);
  Value step = n.cast(n.reshape(n.input(1), {}), elementType);
  return {rate, step};
}

/// norm_coefficient * x + g.
Value regularized(NodeImporter &n, Value x, Value g, float coefficient) {
  if (coefficient == 0.0f)
    return g;
  return n.build<AddOp>({n.build<MulOp>({n.scalarLike(x, coefficient), x}), g});
}

LogicalResult importAdagrad(NodeImporter &n) {
  int64_t count = updatedTensors(n, 3, 2);
  if (count == 0)
    return failure();
  float decay = n.attrFloat("decay_factor", 0.0f);
  float epsilon = n.attrFloat("epsilon", 1e-6f);
  float norm = n.attrFloat("norm_coefficient", 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    Value x = n.input(2 + i), g = n.input(2 + count + i),
          h = n.input(2 + 2 * count + i);
    auto [rate, step] = rateAndStep(n, x);
    // r / (1 + t * decay_factor)
    Value adjusted = n.build<DivOp>(
        {rate,
         n.build<AddOp>({n.scalarLike(step, 1.0),
                         n.build<MulOp>({step, n.scalarLike(step, decay)})})});
    Value gReg = regularized(n, x, g, norm);
    Value hNew = n.build<AddOp>({h, n.build<MulOp>({gReg, gReg})});
    Value hRoot =
        n.build<AddOp>({n.build<SqrtOp>(hNew), n.scalarLike(x, epsilon)});
    Value xNew = n.build<SubOp>(
        {x, n.build<DivOp>({n.build<MulOp>({adjusted, gReg}), hRoot})});
    n.setOutput(i, xNew);
    n.setOutput(count + i, hNew);
  }
  return success();
}

LogicalResult importAdam(NodeImporter &n) {
  int64_t count = updatedTensors(n, 4, 3);
  if (count == 0)
    return failure();
  float alpha = n.attrFloat("alpha", 0.9f);
  float beta = n.attrFloat("beta", 0.999f);
  float epsilon = n.attrFloat("epsilon", 1e-6f);
  float norm = n.attrFloat("norm_coefficient", 0.0f);
  float normPost = n.attrFloat("norm_coefficient_post", 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    Value x = n.input(2 + i), g = n.input(2 + count + i),
          v = n.input(2 + 2 * count + i), h = n.input(2 + 3 * count + i);
    auto [rate, step] = rateAndStep(n, x);
    Value gReg = regularized(n, x, g, norm);
    Value vNew = n.build<AddOp>(
        {n.build<MulOp>({n.scalarLike(v, alpha), v}),
         n.build<MulOp>({n.scalarLike(v, 1.0 - double(alpha)), gReg})});
    Value hNew =
        n.build<AddOp>({n.build<MulOp>({n.scalarLike(h, beta), h}),
                        n.build<MulOp>({n.scalarLike(h, 1.0 - double(beta)),
                                        n.build<MulOp>({gReg, gReg})})});
    Value hRoot =
        n.build<AddOp>({n.build<SqrtOp>(hNew), n.scalarLike(x, epsilon)});
    // With t > 0: r * sqrt(1 - beta^t) / (1 - alpha^t) (bias correction).
    Value one = n.scalarLike(step, 1.0);
    Value corrected = n.build<DivOp>(
        {n.build<MulOp>(
             {rate,
              n.build<SqrtOp>(n.build<SubOp>(
                  {one, n.build<PowOp>({n.scalarLike(step, beta), step})}))}),
         n.build<SubOp>(
             {one, n.build<PowOp>({n.scalarLike(step, alpha), step})})});
    Value positive = n.build<GreaterOp>({step, n.scalarLike(step, 0.0)});
    Value adjusted = n.build<SelectOp>({positive, corrected, rate});
    Value xNew = n.build<SubOp>(
        {x, n.build<MulOp>({adjusted, n.build<DivOp>({vNew, hRoot})})});
    if (normPost != 0.0f)
      xNew = n.build<MulOp>({n.scalarLike(x, 1.0 - double(normPost)), xNew});
    n.setOutput(i, xNew);
    n.setOutput(count + i, vNew);
    n.setOutput(2 * count + i, hNew);
  }
  return success();
}

LogicalResult importMomentum(NodeImporter &n) {
  int64_t count = updatedTensors(n, 3, 2);
  if (count == 0)
    return failure();
  if (!n.hasAttr("alpha") || !n.hasAttr("beta") || !n.hasAttr("mode") ||
      !n.hasAttr("norm_coefficient"))
    return n.fail("alpha, beta, mode and norm_coefficient are required");
  float alpha = n.attrFloat("alpha", 0.0f);
  float beta = n.attrFloat("beta", 0.0f);
  float norm = n.attrFloat("norm_coefficient", 0.0f);
  std::string mode = n.attrString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return n.fail("mode must be 'standard' or 'nesterov', not '" + mode + "'");
  for (int64_t i = 0; i < count; ++i) {
    Value x = n.input(2 + i), g = n.input(2 + count + i),
          v = n.input(2 + 2 * count + i);
    auto [rate, step] = rateAndStep(n, x);
    Value gReg = regularized(n, x, g, norm);
    // The gradient's coefficient is 1 at the first step.
    Value positive = n.build<GreaterOp>({step, n.scalarLike(step, 0.0)});
    Value betaAdjusted = n.build<SelectOp>(
        {positive, n.scalarLike(step, beta), n.scalarLike(step, 1.0)});
    Value vNew = n.build<AddOp>({n.build<MulOp>({n.scalarLike(v, alpha), v}),
                                 n.build<MulOp>({betaAdjusted, gReg})});
    Value direction =
        mode == "standard"
            ? vNew
            : n.build<AddOp>(
                  {gReg, n.build<MulOp>({n.scalarLike(vNew, alpha), vNew})});
    Value xNew = n.build<SubOp>({x, n.build<MulOp>({rate, direction})});
    n.setOutput(i, xNew);
    n.setOutput(count + i, vNew);
  }
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> dlc::trainingOpImporters() {
  static const OpImporterEntry table[] = {
      {"Adagrad", 1, 5, importAdagrad, kTrainingDomain},
      {"Adam", 1, 6, importAdam, kTrainingDomain},
      {"Momentum", 1, 5, importMomentum, kTrainingDomain},
  };
  return table;
}
