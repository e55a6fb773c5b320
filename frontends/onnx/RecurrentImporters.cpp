//===- RecurrentImporters.cpp - RNN, GRU and LSTM, unrolled ---------------===//
//
// Shapes are static, so the sequence is unrolled at import: each time step
// is two matmuls (input and recurrence) and the cell's elementwise ops,
// which fusion then groups. Forward, reverse and bidirectional directions,
// both layouts, initial states, biases and LSTM peepholes are supported;
// sequence_lens must equal the sequence length when given.
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

using namespace mlir;

namespace dlc {
namespace {

enum class Cell { RNN, GRU, LSTM };

Value concatOf(NodeImporter &n, ArrayRef<Value> parts, int64_t axis) {
  if (parts.size() == 1)
    return parts[0];
  return n.build<ConcatOp>(parts,
                           n.attr("axis", n.builder.getI64IntegerAttr(axis)));
}

/// Applies the activation called `name` (ONNX's names).
FailureOr<Value> activate(NodeImporter &n, const std::string &name, Value x) {
  if (name == "Tanh")
    return n.build<TanhOp>(x);
  if (name == "Sigmoid")
    return n.build<SigmoidOp>(x);
  if (name == "Relu")
    return n.build<ReluOp>(x);
  return n.fail("activation '" + name + "' is not supported");
}

template <Cell cell> LogicalResult importRecurrent(NodeImporter &n) {
  int64_t gates = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;
  int64_t hidden = n.attrInt("hidden_size", 0);
  std::string direction = n.attrString("direction", "forward");
  int64_t directions = direction == "bidirectional" ? 2 : 1;
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return n.fail("unknown direction '" + direction + "'");
  if (n.hasAttr("clip"))
    return n.fail("clip is not supported");
  bool batchFirst = n.attrInt("layout", 0);
  Value x = n.input(0);
  if (n.inputType(0).getRank() != 3)
    return n.fail("X must have rank 3");
  if (batchFirst)
    x = n.transpose(x, {1, 0, 2});
  auto xShape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t steps = xShape[0], batch = xShape[1];
  auto wShape = n.inputType(1).getShape();
  if (wShape.size() != 3 || wShape[0] != directions ||
      wShape[1] != gates * hidden || wShape[2] != xShape[2])
    return n.fail("W must be [directions, " + std::to_string(gates) +
                  " * hidden_size, input_size]");
  // The other weights and states, by rank and leading dims (the importer
  // slices them per direction and gate).
  if (hidden < 1 || hidden > (int64_t(1) << 24))
    return n.fail("hidden_size must be from 1 to 2^24");
  auto hasShape = [&](size_t input, ArrayRef<int64_t> expected) {
    if (!n.hasInput(input))
      return true;
    auto shape = n.inputType(input).getShape();
    if (shape.size() != expected.size())
      return false;
    for (size_t i = 0; i < shape.size(); ++i)
      if (expected[i] >= 0 && shape[i] != expected[i])
        return false;
    return true;
  };
  int64_t stateBatch = batchFirst ? -1 : batch; // checked after the transpose
  if (!hasShape(2, {directions, gates * hidden, hidden}) ||
      !hasShape(3, {directions, 2 * gates * hidden}) ||
      !hasShape(5, {batchFirst ? -1 : directions, stateBatch,
                    batchFirst ? -1 : hidden}) ||
      (cell == Cell::LSTM &&
       (!hasShape(6, {batchFirst ? -1 : directions, stateBatch,
                      batchFirst ? -1 : hidden}) ||
        !hasShape(7, {directions, 3 * hidden}))))
    return n.fail("R, B, initial_h, initial_c or P do not match W, X and "
                  "hidden_size");
  if (n.hasInput(4)) {
    // Given at run time: the library checks that every length is the
    // sequence's.
    auto lengths = n.constantInts(4);
    if (!lengths && n.inputType(4).getNumElements() == batch &&
        n.checkAtRunTime(4, "equal", std::vector<int64_t>(batch, steps), {},
                         /*flags=supported values*/ 1))
      lengths = std::vector<int64_t>(batch, steps);
    if (!lengths)
      lengths = n.requireInts(4, "sequence_lens");
    if (!lengths)
      return failure();
    for (int64_t length : *lengths)
      if (length != steps)
        return n.fail("sequence_lens other than the sequence length are not "
                      "supported");
  }
  // Activations: f (gates), g (candidate), h (LSTM output), per direction.
  std::vector<std::string> defaults =
      cell == Cell::RNN   ? std::vector<std::string>{"Tanh"}
      : cell == Cell::GRU ? std::vector<std::string>{"Sigmoid", "Tanh"}
                          : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
  std::vector<std::string> activations;
  if (const onnx::AttributeProto *attr = n.findAttr("activations"))
    activations.assign(attr->strings().begin(), attr->strings().end());
  if (activations.empty())
    for (int64_t d = 0; d < directions; ++d)
      activations.insert(activations.end(), defaults.begin(), defaults.end());
  if (activations.size() != defaults.size() * directions)
    return n.fail("activations has the wrong number of entries");
  if (n.hasAttr("activation_alpha") || n.hasAttr("activation_beta"))
    return n.fail("activation_alpha and activation_beta are not supported");
  bool linearBeforeReset = n.attrInt("linear_before_reset", 0);
  Type elementType = n.inputType(0).getElementType();
  auto stateType = RankedTensorType::get({batch, hidden}, elementType);
  auto initialState = [&](size_t input) -> Value {
    if (!n.hasInput(input))
      return nullptr;
    Value state = n.input(input);
    if (batchFirst)
      state = n.transpose(state, {1, 0, 2});
    return state;
  };
  Value initialH = initialState(5), initialC = initialState(6);
  auto zeros = [&] {
    return n.constant(
        DenseElementsAttr::get(stateType, n.builder.getZeroAttr(elementType)));
  };

  SmallVector<Value> allY, allH, allC;
  for (int64_t d = 0; d < directions; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    auto perDirection = [&](Value v) {
      auto shape = cast<RankedTensorType>(v.getType()).getShape();
      return n.reshape(n.sliceAxis(v, 0, d, 1), shape.drop_front());
    };
    Value wT = n.transpose(perDirection(n.input(1)), {1, 0}); // [I, G*H]
    Value rT = n.transpose(perDirection(n.input(2)), {1, 0}); // [H, G*H]
    Value wBias, rBias;                                       // [G*H]
    if (n.hasInput(3)) {
      Value bias = perDirection(n.input(3));
      wBias = n.sliceAxis(bias, 0, 0, gates * hidden);
      rBias = n.sliceAxis(bias, 0, gates * hidden, gates * hidden);
    }
    Value peepholes;
    if (cell == Cell::LSTM && n.hasInput(7))
      peepholes = perDirection(n.input(7)); // [3H]: i, o, f
    auto gate = [&](Value v, int64_t k) -> Value {
      if (!v) // an op before failed and said why
        return Value();
      return n.sliceAxis(v, cast<RankedTensorType>(v.getType()).getRank() - 1,
                         k * hidden, hidden);
    };
    auto act = [&](int64_t which, Value v) -> Value {
      auto result = activate(n, activations[d * defaults.size() + which], v);
      return succeeded(result) ? *result : Value();
    };
    Value h = initialH ? perDirection(initialH) : zeros();
    Value c = cell == Cell::LSTM ? (initialC ? perDirection(initialC) : zeros())
                                 : Value();
    SmallVector<Value> outputs(steps);
    for (int64_t s = 0; s < steps && h; ++s) {
      int64_t t = reverse ? steps - 1 - s : s;
      Value xt = n.reshape(n.sliceAxis(x, 0, t, 1), {batch, xShape[2]});
      Value xw = n.build<MatMulOp>({xt, wT}); // [B, G*H]
      if (wBias)
        xw = n.build<AddOp>({xw, wBias});
      if (cell == Cell::GRU) {
        // Gates z, r, h; the candidate's recurrence needs r first.
        Value rz = n.build<MatMulOp>({h, n.sliceAxis(rT, 1, 0, 2 * hidden)});
        if (rBias)
          rz = n.build<AddOp>({rz, n.sliceAxis(rBias, 0, 0, 2 * hidden)});
        Value z = act(0, n.build<AddOp>({gate(xw, 0), gate(rz, 0)}));
        Value r = act(0, n.build<AddOp>({gate(xw, 1), gate(rz, 1)}));
        Value rh = n.sliceAxis(rT, 1, 2 * hidden, hidden);
        Value rhBias =
            rBias ? n.sliceAxis(rBias, 0, 2 * hidden, hidden) : Value();
        Value recurrent;
        if (linearBeforeReset) {
          recurrent = n.build<MatMulOp>({h, rh});
          if (rhBias)
            recurrent = n.build<AddOp>({recurrent, rhBias});
          recurrent = n.build<MulOp>({r, recurrent});
        } else {
          recurrent = n.build<MatMulOp>({n.build<MulOp>({r, h}), rh});
          if (rhBias)
            recurrent = n.build<AddOp>({recurrent, rhBias});
        }
        Value candidate = act(1, n.build<AddOp>({gate(xw, 2), recurrent}));
        // h = (1 - z) * candidate + z * h
        Value keep = n.build<SubOp>({n.scalarLike(z, 1.0), z});
        h = n.build<AddOp>(
            {n.build<MulOp>({keep, candidate}), n.build<MulOp>({z, h})});
      } else {
        Value all = n.build<AddOp>({xw, n.build<MatMulOp>({h, rT})});
        if (rBias)
          all = n.build<AddOp>({all, rBias});
        if (cell == Cell::RNN) {
          h = act(0, all);
        } else {
          auto peephole = [&](Value pre, int64_t k, Value state) {
            if (!peepholes)
              return pre;
            return n.build<AddOp>(
                {pre,
                 n.build<MulOp>(
                     {n.sliceAxis(peepholes, 0, k * hidden, hidden), state})});
          };
          // Gate order i, o, f, c; peepholes i, o, f.
          Value i = act(0, peephole(gate(all, 0), 0, c));
          Value f = act(0, peephole(gate(all, 2), 2, c));
          Value candidate = act(1, gate(all, 3));
          c = n.build<AddOp>(
              {n.build<MulOp>({f, c}), n.build<MulOp>({i, candidate})});
          Value o = act(0, peephole(gate(all, 1), 1, c));
          h = n.build<MulOp>({o, act(2, c)});
        }
      }
      if (h)
        outputs[t] = n.reshape(h, {1, 1, batch, hidden});
    }
    if (!h)
      return failure();
    allY.push_back(concatOf(n, outputs, 0)); // [T, 1, B, H]
    allH.push_back(n.reshape(h, {1, batch, hidden}));
    if (c)
      allC.push_back(n.reshape(c, {1, batch, hidden}));
  }
  Value y = concatOf(n, allY, 1), yH = concatOf(n, allH, 0);
  Value yC = allC.empty() ? Value() : concatOf(n, allC, 0);
  if (batchFirst) {
    y = n.transpose(y, {2, 0, 1, 3});
    yH = n.transpose(yH, {1, 0, 2});
    if (yC)
      yC = n.transpose(yC, {1, 0, 2});
  }
  if (n.wantsOutput(0))
    n.setOutput(0, y);
  if (n.wantsOutput(1))
    n.setOutput(1, yH);
  if (cell == Cell::LSTM && n.wantsOutput(2))
    n.setOutput(2, yC);
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> recurrentOpImporters() {
  static const OpImporterEntry table[] = {
      {"GRU", 7, 3, importRecurrent<Cell::GRU>},
      {"LSTM", 7, 3, importRecurrent<Cell::LSTM>},
      {"RNN", 7, 3, importRecurrent<Cell::RNN>},
  };
  return table;
}

} // namespace dlc
