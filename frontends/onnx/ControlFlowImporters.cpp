//===- ControlFlowImporters.cpp - If, Loop, Scan --------------------------===//
//
// dlc's graphs are static, so control flow is resolved while importing: an
// If whose condition is known at compile time becomes its chosen branch, a
// Loop whose trip count and conditions are known is unrolled, and a Scan
// (whose length is its inputs' static length) is unrolled. Each body is
// imported inline per iteration with the enclosing scope visible, so values
// the body computes from known ones fold as the main graph's do. A
// condition that depends on run-time data is refused, naming the graph
// inputs to bind.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

using namespace mlir;
using namespace dlc;

namespace {

/// Loops unroll at most this many iterations.
constexpr int64_t kMaxUnrolledIterations = 4096;

const onnx::GraphProto *graphAttr(NodeImporter &n, const char *name) {
  const onnx::AttributeProto *attr = n.findAttr(name);
  if (!attr || !attr->has_g()) {
    (void)n.fail(std::string("the '") + name + "' graph attribute is missing");
    return nullptr;
  }
  return &attr->g();
}

/// A known boolean scalar, or nullopt.
std::optional<bool> knownFlag(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : nullptr;
  auto dense =
      constant ? dyn_cast<DenseIntElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  return !(*dense.getValues<APInt>().begin()).isZero();
}

/// `values` (one per iteration) stacked along a new `axis`.
Value stack(NodeImporter &n, ArrayRef<Value> values, int64_t axis) {
  SmallVector<Value> expanded;
  for (Value value : values) {
    if (!value)
      return nullptr;
    auto shape = cast<RankedTensorType>(value.getType()).getShape();
    ShapeVec withAxis(shape);
    withAxis.insert(withAxis.begin() + axis, 1);
    expanded.push_back(n.reshape(value, withAxis));
  }
  if (expanded.size() == 1)
    return expanded[0];
  return n.build<ConcatOp>(expanded,
                           n.attr("axis", n.builder.getI64IntegerAttr(axis)));
}

/// An If whose condition comes at run time: both branches are computed
/// (ONNX branches have no side effects) and each output picked by the
/// condition, when the branches give it the same type.
LogicalResult importRuntimeIf(NodeImporter &n) {
  if (n.inputType(0).getNumElements() != 1)
    return n.fail("the condition must have one element");
  const onnx::GraphProto *thenBranch = graphAttr(n, "then_branch");
  const onnx::GraphProto *elseBranch = graphAttr(n, "else_branch");
  if (!thenBranch || !elseBranch)
    return failure();
  SmallVector<Value> thenResults, elseResults;
  if (failed(n.importSubgraph(*thenBranch, {}, thenResults)) ||
      failed(n.importSubgraph(*elseBranch, {}, elseResults)))
    return failure();
  if (thenResults.size() != n.numOutputs() ||
      elseResults.size() != n.numOutputs())
    return n.fail("the branches have " + std::to_string(thenResults.size()) +
                  " and " + std::to_string(elseResults.size()) +
                  " output(s), the node " + std::to_string(n.numOutputs()));
  for (size_t i = 0; i < n.numOutputs(); ++i)
    if (thenResults[i].getType() != elseResults[i].getType())
      return n.failNotConstant(0, "If's condition (its branches give output " +
                                      std::to_string(i) +
                                      " different shapes or types)");
  Value condition = n.reshape(n.input(0), {});
  if (!cast<RankedTensorType>(condition.getType())
           .getElementType()
           .isInteger(1))
    return n.fail("the condition must be a bool");
  for (size_t i = 0; i < n.numOutputs(); ++i)
    n.setOutput(i,
                n.build<SelectOp>({condition, thenResults[i], elseResults[i]}));
  return success();
}

LogicalResult importIf(NodeImporter &n) {
  if (!n.constantInts(0))
    return importRuntimeIf(n);
  auto condition = n.requireInts(0, "If's condition");
  if (!condition)
    return failure();
  if (condition->size() != 1)
    return n.fail("the condition must have one element");
  const onnx::GraphProto *branch =
      graphAttr(n, (*condition)[0] ? "then_branch" : "else_branch");
  if (!branch)
    return failure();
  SmallVector<Value> results;
  if (failed(n.importSubgraph(*branch, {}, results)))
    return failure();
  if (results.size() != n.numOutputs())
    return n.fail("the branch has " + std::to_string(results.size()) +
                  " output(s), the node " + std::to_string(n.numOutputs()));
  for (size_t i = 0; i < results.size(); ++i)
    n.setOutput(i, results[i]);
  return success();
}

LogicalResult importLoop(NodeImporter &n) {
  const onnx::GraphProto *body = graphAttr(n, "body");
  if (!body)
    return failure();
  size_t carried = n.numInputs() > 2 ? n.numInputs() - 2 : 0;
  // A trip count or condition given at run time: the iterations the model
  // declares its scan outputs to hold (their dim 0, all alike), which the
  // library checks the values give (flags: the values supported).
  std::optional<int64_t> declaredIterations;
  for (size_t i = carried; i < n.numOutputs(); ++i) {
    auto declared = n.declaredOutputShape(i);
    if (!declared || declared->empty() ||
        (declaredIterations && *declaredIterations != (*declared)[0])) {
      declaredIterations.reset();
      break;
    }
    declaredIterations = (*declared)[0];
  }
  bool checkedAtRunTime = false;
  auto runtimeValue = [&](size_t i, int64_t value) {
    bool checked = declaredIterations && *declaredIterations > 0 &&
                   n.inputType(i).getNumElements() == 1 &&
                   n.checkAtRunTime(i, "equal", {value}, {}, 1);
    checkedAtRunTime |= checked;
    return checked ? std::optional(std::vector<int64_t>{value}) : std::nullopt;
  };
  std::optional<int64_t> tripCount;
  if (n.hasInput(0)) {
    auto count = n.constantInts(0);
    if (!count && declaredIterations)
      count = runtimeValue(0, *declaredIterations);
    if (!count)
      count = n.requireInts(0, "Loop's trip count");
    if (!count)
      return failure();
    if (count->size() != 1)
      return n.fail("the trip count must have one element");
    tripCount = (*count)[0];
  }
  bool running = true;
  if (n.numInputs() > 1 && n.hasInput(1)) {
    auto condition = n.constantInts(1);
    if (!condition)
      condition = runtimeValue(1, 1);
    if (!condition)
      condition = n.requireInts(1, "Loop's condition");
    if (!condition)
      return failure();
    if (condition->size() != 1)
      return n.fail("the condition must have one element");
    running = (*condition)[0] != 0;
  }
  for (size_t i = 0; i < carried; ++i)
    if (!n.hasInput(2 + i))
      return n.fail("every loop-carried value must be given");
  if (n.numOutputs() < carried)
    return n.fail("the node has fewer outputs than loop-carried values");
  size_t scanned = n.numOutputs() - carried;
  if (body->output_size() != static_cast<int>(1 + carried + scanned))
    return n.fail("the body must output the condition, " +
                  std::to_string(carried) + " loop-carried value(s) and " +
                  std::to_string(scanned) + " scan output(s)");

  SmallVector<Value> state;
  for (size_t i = 0; i < carried; ++i)
    state.push_back(n.input(2 + i));
  std::vector<SmallVector<Value>> scans(scanned);
  auto i64 = n.builder.getI64Type(), i1 = n.builder.getI1Type();
  int64_t iteration = 0;
  for (; running && (!tripCount || iteration < *tripCount); ++iteration) {
    if (iteration >= kMaxUnrolledIterations)
      return n.fail("the loop runs more than " +
                    std::to_string(kMaxUnrolledIterations) +
                    " iterations; dlc unrolls loops and stops there");
    SmallVector<Value> arguments = {
        n.constantOf(RankedTensorType::get({}, i64), {double(iteration)}),
        n.constantOf(RankedTensorType::get({}, i1), {1.0})};
    arguments.append(state.begin(), state.end());
    SmallVector<Value> results;
    if (failed(n.importSubgraph(*body, arguments, results)))
      return failure();
    std::optional<bool> next = knownFlag(results[0]);
    if (!next)
      return n.fail("the body's condition output '" + body->output(0).name() +
                    "' must be known at compile time (dlc unrolls loops)");
    running = *next;
    for (size_t i = 0; i < carried; ++i)
      state[i] = results[1 + i];
    for (size_t i = 0; i < scanned; ++i)
      scans[i].push_back(results[1 + carried + i]);
  }
  if (checkedAtRunTime && iteration != *declaredIterations)
    return n.fail("the loop stops after " + std::to_string(iteration) +
                  " iteration(s), but its scan outputs are declared with " +
                  std::to_string(*declaredIterations));
  for (size_t i = 0; i < carried; ++i)
    n.setOutput(i, state[i]);
  for (size_t i = 0; i < scanned; ++i) {
    if (!n.wantsOutput(carried + i))
      continue;
    if (scans[i].empty())
      return n.fail("a scan output of a loop that runs no iteration is not "
                    "supported");
    n.setOutput(carried + i, stack(n, scans[i], 0));
  }
  return success();
}

/// A Scan's axes attribute, normalized against `ranks` (default: zeros).
FailureOr<SmallVector<int64_t>> scanAxes(NodeImporter &n, const char *name,
                                         ArrayRef<int64_t> ranks) {
  std::vector<int64_t> given = n.attrInts(name, {});
  if (given.empty())
    given.assign(ranks.size(), 0);
  if (given.size() != ranks.size()) {
    (void)n.fail(std::string(name) + " must have one entry per scanned value");
    return failure();
  }
  SmallVector<int64_t> axes;
  for (auto [axis, rank] : llvm::zip(given, ranks)) {
    if (axis < -rank || axis >= rank) {
      (void)n.fail(std::string(name) + " entry " + std::to_string(axis) +
                   " is out of range");
      return failure();
    }
    axes.push_back((axis + rank) % rank);
  }
  return axes;
}

/// A Scan's directions attribute: `count` entries of 0 (forward) or 1
/// (reverse), zeros by default.
FailureOr<SmallVector<int64_t>> scanDirections(NodeImporter &n,
                                               const char *name, size_t count) {
  std::vector<int64_t> given = n.attrInts(name, {});
  if (given.empty())
    given.assign(count, 0);
  if (given.size() != count ||
      llvm::any_of(given, [](int64_t d) { return d != 0 && d != 1; })) {
    (void)n.fail(std::string(name) +
                 " must have one entry, 0 or 1, per scanned value");
    return failure();
  }
  return SmallVector<int64_t>(given.begin(), given.end());
}

/// One Scan over `inputs` along `inputAxes` with `states`: the final states
/// and the stacked scan outputs.
LogicalResult scanOnce(NodeImporter &n, const onnx::GraphProto &body,
                       SmallVector<Value> states, ArrayRef<Value> inputs,
                       ArrayRef<int64_t> inputAxes,
                       ArrayRef<int64_t> inputDirections, size_t scanned,
                       ArrayRef<int64_t> outputAxes,
                       ArrayRef<int64_t> outputDirections,
                       SmallVectorImpl<Value> &results) {
  int64_t length = -1;
  for (auto [input, axis] : llvm::zip(inputs, inputAxes)) {
    int64_t size = cast<RankedTensorType>(input.getType()).getDimSize(axis);
    if (length >= 0 && size != length)
      return n.fail("the scan inputs have different lengths");
    length = size;
  }
  if (length < 1)
    return n.fail("a scan of no iterations is not supported");
  if (length > kMaxUnrolledIterations)
    return n.fail("the scan runs more than " +
                  std::to_string(kMaxUnrolledIterations) +
                  " iterations; dlc unrolls scans and stops there");
  std::vector<SmallVector<Value>> scans(scanned);
  for (int64_t step = 0; step < length; ++step) {
    SmallVector<Value> arguments(states);
    for (size_t j = 0; j < inputs.size(); ++j) {
      int64_t at = inputDirections[j] ? length - 1 - step : step;
      auto shape = cast<RankedTensorType>(inputs[j].getType()).getShape();
      ShapeVec sliceShape(shape);
      sliceShape.erase(sliceShape.begin() + inputAxes[j]);
      arguments.push_back(
          n.reshape(n.sliceAxis(inputs[j], inputAxes[j], at, 1), sliceShape));
    }
    SmallVector<Value> outputs;
    if (failed(n.importSubgraph(body, arguments, outputs)))
      return failure();
    if (outputs.size() != states.size() + scanned)
      return n.fail("the body's outputs do not match the node's");
    for (size_t i = 0; i < states.size(); ++i)
      states[i] = outputs[i];
    for (size_t i = 0; i < scanned; ++i)
      scans[i].push_back(outputs[states.size() + i]);
  }
  results.append(states.begin(), states.end());
  for (size_t i = 0; i < scanned; ++i) {
    if (outputDirections[i])
      std::reverse(scans[i].begin(), scans[i].end());
    results.push_back(stack(n, scans[i], outputAxes[i]));
  }
  return success();
}

LogicalResult importScan(NodeImporter &n) {
  const onnx::GraphProto *body = graphAttr(n, "body");
  if (!body)
    return failure();
  int64_t scanInputs = n.attrInt("num_scan_inputs", 0);
  // Opset 8's Scan has sequence_lens first and a batch dim on everything.
  bool batched = n.opset < 9;
  size_t first = batched ? 1 : 0;
  if (scanInputs < 1 || first + scanInputs > n.numInputs())
    return n.fail("num_scan_inputs must be between 1 and the inputs given");
  size_t stateCount = n.numInputs() - first - scanInputs;
  if (n.numOutputs() < stateCount)
    return n.fail("the node has fewer outputs than states");
  size_t scanned = n.numOutputs() - stateCount;
  for (size_t i = first; i < n.numInputs(); ++i)
    if (!n.hasInput(i))
      return n.fail("every state and scan input must be given");
  SmallVector<Value> states, inputs;
  for (size_t i = 0; i < stateCount; ++i)
    states.push_back(n.input(first + i));
  for (int64_t j = 0; j < scanInputs; ++j)
    inputs.push_back(n.input(first + stateCount + j));
  SmallVector<Value> results;
  if (!batched) {
    SmallVector<int64_t> inputRanks;
    for (Value input : inputs)
      inputRanks.push_back(cast<RankedTensorType>(input.getType()).getRank());
    auto inputAxes = scanAxes(n, "scan_input_axes", inputRanks);
    auto inputDirections =
        scanDirections(n, "scan_input_directions", scanInputs);
    auto outputDirs = scanDirections(n, "scan_output_directions", scanned);
    if (failed(inputAxes) || failed(inputDirections) || failed(outputDirs))
      return failure();
    std::vector<int64_t> outputAxes =
        n.attrInts("scan_output_axes", std::vector<int64_t>(scanned, 0));
    if (outputAxes.size() != scanned)
      return n.fail("scan_output_axes must have one entry per scan output");
    // A negative output axis counts in the stacked output (one more dim);
    // the body's output rank is known only after importing it, so such an
    // axis is refused.
    for (int64_t axis : outputAxes)
      if (axis < 0)
        return n.fail("a negative scan_output_axes entry is not supported");
    if (failed(scanOnce(n, *body, states, inputs, *inputAxes, *inputDirections,
                        scanned, outputAxes, *outputDirs, results)))
      return failure();
  } else {
    if (n.hasInput(0))
      return n.fail("sequence_lens is not supported (every sequence must "
                    "have the full length)");
    auto directions = scanDirections(n, "directions", scanInputs);
    if (failed(directions))
      return failure();
    int64_t batch = -1;
    for (size_t i = first; i < n.numInputs(); ++i) {
      auto type = n.inputType(i);
      if (type.getRank() < 1 || (batch >= 0 && type.getDimSize(0) != batch))
        return n.fail("every input must have the batch dim first");
      batch = type.getDimSize(0);
    }
    // Each batch element scans on its own; the results are stacked.
    auto dropBatch = [&](Value value, int64_t b) {
      auto shape = cast<RankedTensorType>(value.getType()).getShape();
      return n.reshape(n.sliceAxis(value, 0, b, 1),
                       ShapeVec(shape.drop_front()));
    };
    std::vector<SmallVector<Value>> perBatch(stateCount + scanned);
    for (int64_t b = 0; b < batch; ++b) {
      SmallVector<Value> batchStates, batchInputs, batchResults;
      for (Value state : states)
        batchStates.push_back(dropBatch(state, b));
      for (Value input : inputs)
        batchInputs.push_back(dropBatch(input, b));
      if (failed(scanOnce(n, *body, batchStates, batchInputs,
                          SmallVector<int64_t>(scanInputs, 0), *directions,
                          scanned, SmallVector<int64_t>(scanned, 0),
                          SmallVector<int64_t>(scanned, 0), batchResults)))
        return failure();
      for (size_t i = 0; i < batchResults.size(); ++i)
        perBatch[i].push_back(batchResults[i]);
    }
    for (auto &values : perBatch)
      results.push_back(stack(n, values, 0));
  }
  for (size_t i = 0; i < results.size(); ++i)
    if (n.wantsOutput(i))
      n.setOutput(i, results[i]);
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> dlc::controlFlowOpImporters() {
  static const OpImporterEntry table[] = {
      {"If", 1, 1, importIf},
      {"Loop", 1, 0, importLoop},
      {"Scan", 8, 0, importScan},
  };
  return table;
}
