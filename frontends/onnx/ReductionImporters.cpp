//===- ReductionImporters.cpp - Reductions, softmax family, norms, losses -===//
//
// ONNX ops that reduce along axes, written with the dlc reduction ops:
// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax, CumSum, the
// normalizations and the two classification losses (as their ONNX function
// bodies: log-softmax, gather of the target class, weighting, reduction).
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

#include "llvm/ADT/DenseMap.h"

#include <cctype>

using namespace mlir;

namespace dlc {
namespace {

NamedAttribute axesAttr(NodeImporter &n, ArrayRef<int64_t> axes) {
  return n.attr("axes", n.builder.getDenseI64ArrayAttr(axes));
}
NamedAttribute keepdimsAttr(NodeImporter &n, bool keep) {
  return n.attr("keepdims", n.builder.getBoolAttr(keep));
}

template <typename ReduceOp>
Value reduce(NodeImporter &n, Value x, ArrayRef<int64_t> axes, bool keep) {
  return n.build<ReduceOp>(x, {axesAttr(n, axes), keepdimsAttr(n, keep)});
}

/// Every axis of a rank-`rank` tensor.
SmallVector<int64_t> allAxes(int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

/// The sets of `count` distinct axes over which a reduction of `shape`
/// gives `declared` (keepdims or not); at most `limit` of them.
std::vector<SmallVector<int64_t>> axisSetsGiving(ArrayRef<int64_t> shape,
                                                 ArrayRef<int64_t> declared,
                                                 int64_t count, bool keep,
                                                 size_t limit) {
  std::vector<SmallVector<int64_t>> sets;
  int64_t rank = shape.size();
  if (rank > 16 || count > rank)
    return sets;
  for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
    if (llvm::popcount(mask) != count)
      continue;
    SmallVector<int64_t> set, result;
    for (int64_t d = 0; d < rank; ++d) {
      bool reduced = mask & (1u << d);
      if (reduced)
        set.push_back(d);
      if (!reduced || keep)
        result.push_back(reduced ? 1 : shape[d]);
    }
    if (ArrayRef<int64_t>(result) == declared) {
      if (sets.size() == limit)
        return {};
      sets.push_back(set);
    }
  }
  return sets;
}

/// The Reduce ops that compose a dlc reduction with elementwise steps.
enum class Composite { None, L1, L2, LogSum, LogSumExp, SumSquare };

template <typename ReduceOp, Composite composite>
LogicalResult importReduceOver(NodeImporter &n, std::vector<int64_t> axes);

template <typename ReduceOp, Composite composite = Composite::None>
LogicalResult importReduce(NodeImporter &n) {
  std::vector<int64_t> axes;
  // ReduceSum took axes as an input from opset 13, the others from 18.
  bool axesAsInput = n.opset >= (std::is_same_v<ReduceOp, ReduceSumOp> &&
                                         composite == Composite::None
                                     ? 13
                                     : 18);
  if (axesAsInput && n.hasInput(1) && !n.constantInts(1)) {
    // Axes given at run time: every set of them that gives the shape the
    // model declares, computed, and the one the values name chosen (the
    // library checks they give that shape).
    auto declared = n.declaredOutputShape(0);
    bool keep = n.attrInt("keepdims", 1);
    auto shape = n.inputType(0).getShape();
    std::vector<SmallVector<int64_t>> sets;
    if (declared)
      sets = axisSetsGiving(shape, *declared, n.inputType(1).getNumElements(),
                            keep, 8);
    if (sets.empty() || !n.checkAtRunTime(1, "reduce", *declared, shape, keep))
      return n.failNotConstant(1, "axes");
    SmallVector<Value> variants;
    for (const SmallVector<int64_t> &set : sets) {
      if (failed(importReduceOver<ReduceOp, composite>(
              n, std::vector<int64_t>(set.begin(), set.end()))))
        return failure();
      variants.push_back(n.results()[0]);
    }
    n.setOutput(0, n.selectByAxes(1, shape.size(), sets, variants));
    return success();
  }
  if (axesAsInput && n.hasInput(1)) {
    auto constant = n.requireInts(1, "axes");
    if (!constant)
      return failure();
    axes = *constant;
  } else if (!axesAsInput) {
    axes = n.attrInts("axes", {});
  }
  return importReduceOver<ReduceOp, composite>(n, axes);
}

/// The reduction over `axes` (empty: all, or none with
/// noop_with_empty_axes); sets output 0.
template <typename ReduceOp, Composite composite>
LogicalResult importReduceOver(NodeImporter &n, std::vector<int64_t> axes) {
  int64_t rank = n.inputType(0).getRank();
  Value x = n.input(0);
  if (axes.empty()) {
    if (n.attrInt("noop_with_empty_axes", 0) && composite == Composite::None) {
      n.setOutput(0, x);
      return success();
    }
    if (!n.attrInt("noop_with_empty_axes", 0))
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
  }
  switch (composite) {
  case Composite::L1:
    x = n.build<AbsOp>(x);
    break;
  case Composite::L2:
  case Composite::SumSquare:
    x = n.build<MulOp>({x, x});
    break;
  case Composite::LogSumExp:
    x = n.build<ExpOp>(x);
    break;
  default:
    break;
  }
  // Booleans (ReduceMax/Min from opset 20: any/all) reduce as 0/1 bytes:
  // as i1, true would order below false.
  Type elementType = n.inputType(0).getElementType();
  bool isBool = elementType.isInteger(1);
  if (isBool)
    x = n.cast(x, n.builder.getIntegerType(8));
  Value y = axes.empty()
                ? x // noop_with_empty_axes: only the elementwise part
                : reduce<ReduceOp>(n, x, axes, n.attrInt("keepdims", 1));
  if (isBool)
    y = n.cast(y, elementType);
  if (composite == Composite::L2)
    y = n.build<SqrtOp>(y);
  else if (composite == Composite::LogSum || composite == Composite::LogSumExp)
    y = n.build<LogOp>(y);
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin, CumSum
//===----------------------------------------------------------------------===//

template <typename ArgOp> LogicalResult importArgReduce(NodeImporter &n) {
  auto &b = n.builder;
  n.setOutput(0,
              n.build<ArgOp>(
                  n.input(0),
                  {n.attr("axis", b.getI64IntegerAttr(n.attrInt("axis", 0))),
                   keepdimsAttr(n, n.attrInt("keepdims", 1)),
                   n.attr("select_last_index",
                          b.getBoolAttr(n.attrInt("select_last_index", 0)))}));
  return success();
}

/// The scans' axis (input 1): given at run time, the scan `along` each
/// axis, the one it names chosen (the library checks it names one); else
/// `along` the axis given. `along` returns null after reporting a failure.
static LogicalResult importScan(NodeImporter &n,
                                function_ref<Value(int64_t)> along) {
  auto shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  if (!n.constantInts(1)) {
    if (n.inputType(1).getNumElements() != 1 || rank > 8 ||
        !n.checkAtRunTime(1, "axis", {}, shape))
      return n.failNotConstant(1, "axis");
    std::vector<SmallVector<int64_t>> sets;
    SmallVector<Value> variants;
    for (int64_t a = 0; a < rank; ++a) {
      sets.push_back({a});
      variants.push_back(along(a));
      if (!variants.back())
        return failure();
    }
    n.setOutput(0, n.selectByAxes(1, rank, sets, variants));
    return success();
  }
  auto axis = n.requireInts(1, "axis");
  if (!axis)
    return failure();
  if (axis->size() != 1)
    return n.fail("axis must hold one value");
  auto normalized = normalizedAxis(n, (*axis)[0], rank);
  if (failed(normalized))
    return failure();
  Value y = along(*normalized);
  if (!y)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importCumSum(NodeImporter &n) {
  auto &b = n.builder;
  return importScan(n, [&](int64_t axis) -> Value {
    return n.build<CumSumOp>(
        n.input(0),
        {n.attr("axis", b.getI64IntegerAttr(axis)),
         n.attr("exclusive", b.getBoolAttr(n.attrInt("exclusive", 0))),
         n.attr("reverse", b.getBoolAttr(n.attrInt("reverse", 0)))});
  });
}

/// CumProd: the product of the elements each output takes along the axis
/// (those before it, or after it with reverse; itself unless exclusive),
/// written as a [.., L, L, ..] select of x or 1 under a constant triangular
/// mask and a reduce_prod over the second L.
LogicalResult importCumProd(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  bool exclusive = n.attrInt("exclusive", 0), reverse = n.attrInt("reverse", 0);
  constexpr int64_t kMaxLength = 4096;
  return importScan(n, [&](int64_t a) -> Value {
    int64_t length = type.getDimSize(a);
    if (length > kMaxLength) {
      (void)n.fail("an axis longer than " + std::to_string(kMaxLength) +
                   " is not supported");
      return Value();
    }
    // mask[i][j]: output i takes element j.
    std::vector<double> mask(length * length);
    for (int64_t i = 0; i < length; ++i)
      for (int64_t j = 0; j < length; ++j)
        mask[i * length + j] = reverse ? (exclusive ? j > i : j >= i)
                                       : (exclusive ? j < i : j <= i);
    ShapeVec maskShape = {length, length};
    maskShape.append(rank - a - 1, 1);
    Value taken = n.constantOf(
        RankedTensorType::get(maskShape, n.builder.getI1Type()), mask);
    ShapeVec spread(type.getShape());
    spread.insert(spread.begin() + a, 1); // [.., 1 (i), L (j), ..]
    Value values = n.reshape(n.input(0), spread);
    Value factors =
        n.build<SelectOp>({taken, values, n.scalarLike(values, 1.0)});
    return reduce<ReduceProdOp>(n, factors, {a + 1}, false);
  });
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax, Hardmax
//===----------------------------------------------------------------------===//

/// x - max - log(sum(exp(x - max))) along `axis`.
Value logSoftmaxOf(NodeImporter &n, Value x, int64_t axis) {
  Value peak = reduce<ReduceMaxOp>(n, x, {axis}, true);
  Value shifted = n.build<SubOp>({x, peak});
  Value sum = reduce<ReduceSumOp>(n, n.build<ExpOp>(shifted), {axis}, true);
  return n.build<SubOp>({shifted, n.build<LogOp>(sum)});
}

/// TopK: the indices from dlc.top_k, the values gathered at them. K is an
/// attribute before opset 10 and an input after; it must be known at
/// compile time (it sets the output shape). Both outputs are sorted, also
/// with sorted=0 (ONNX then allows any order).
LogicalResult importTopK(NodeImporter &n) {
  int64_t k;
  if (n.opset < 10) {
    k = n.attrInt("k", -1);
  } else {
    if (!n.hasInput(1))
      return n.fail("input K is required");
    auto ks = n.constantInts(1);
    if (!ks) { // given at run time: the size the declared outputs have
      auto declared = n.declaredOutputShape(0);
      int64_t rank = n.inputType(0).getRank();
      int64_t axis = normalizeAxis(n.attrInt("axis", -1), rank);
      if (declared && axis >= 0 && int64_t(declared->size()) == rank &&
          n.inputType(1).getNumElements() == 1 &&
          n.checkAtRunTime(1, "equal", {(*declared)[axis]}))
        ks = std::vector<int64_t>{(*declared)[axis]};
      else
        return n.failNotConstant(1, "K");
    }
    if (ks->size() != 1)
      return n.fail("K must hold one value");
    k = ks->front();
  }
  int64_t rank = n.inputType(0).getRank();
  int64_t axis = normalizeAxis(n.attrInt("axis", -1), rank);
  if (axis < 0)
    return n.fail("axis " + std::to_string(n.attrInt("axis", -1)) +
                  " is out of range for rank " + std::to_string(rank));
  Value indices = n.build<TopKOp>(
      n.input(0),
      {n.attr("axis", n.builder.getI64IntegerAttr(axis)),
       n.attr("k", n.builder.getI64IntegerAttr(k)),
       n.attr("largest", n.builder.getBoolAttr(n.attrInt("largest", 1)))});
  n.setOutput(0, n.build<GatherElementsOp>(
                     {n.input(0), indices},
                     n.attr("axis", n.builder.getI64IntegerAttr(axis))));
  n.setOutput(1, indices);
  return success();
}

/// 1 at the first maximum along `axis`, 0 elsewhere.
Value hardmaxOf(NodeImporter &n, Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  Value index = n.build<ArgMaxOp>(
      x,
      {n.attr("axis", n.builder.getI64IntegerAttr(axis)), keepdimsAttr(n, true),
       n.attr("select_last_index", n.builder.getBoolAttr(false))});
  int64_t size = type.getDimSize(axis);
  ShapeVec iotaShape(type.getRank(), 1);
  iotaShape[axis] = size;
  std::vector<double> iota(size);
  for (int64_t i = 0; i < size; ++i)
    iota[i] = i;
  Value positions = n.constantOf(
      RankedTensorType::get(iotaShape, n.builder.getI64Type()), iota);
  Value isMax = n.build<EqualOp>({index, positions});
  return n.build<SelectOp>({isMax, n.scalarLike(x, 1.0), n.scalarLike(x, 0.0)});
}

/// Softmax, LogSoftmax and Hardmax: along `axis` from opset 13; before, on
/// the input flattened to 2-d at `axis`.
template <int kind> LogicalResult importSoftmaxFamily(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  auto axis =
      normalizedAxis(n, n.attrInt("axis", n.opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  auto apply = [&](Value input, int64_t along) -> Value {
    if (kind == 0)
      return n.build<SoftmaxOp>(
          input, n.attr("axis", n.builder.getI64IntegerAttr(along)));
    if (kind == 1)
      return logSoftmaxOf(n, input, along);
    return hardmaxOf(n, input, along);
  };
  if (n.opset >= 13) {
    n.setOutput(0, apply(x, *axis));
    return success();
  }
  auto shape = type.getShape();
  Value flat = n.reshape(
      x, {product(shape.take_front(*axis)), product(shape.drop_front(*axis))});
  n.setOutput(0, n.reshape(apply(flat, 1), shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// An operand's labels, one char per dimension; "..." dims get chars 1..E
/// aligned from the right (numpy broadcasting of the ellipsis).
FailureOr<std::string> parseTerm(NodeImporter &n, const std::string &term,
                                 int64_t rank, int64_t ellipsisRank) {
  std::string labels;
  size_t dots = term.find("...");
  std::string letters = term;
  if (dots != std::string::npos)
    letters.erase(dots, 3);
  for (char c : letters)
    if (!std::isalpha(static_cast<unsigned char>(c)))
      return n.fail("equation has an unexpected character '" +
                    std::string(1, c) + "'");
  int64_t ellipsisDims = rank - static_cast<int64_t>(letters.size());
  if (ellipsisDims < 0 || (dots == std::string::npos && ellipsisDims != 0))
    return n.fail("equation term '" + term + "' does not match rank " +
                  std::to_string(rank));
  std::string ellipsis;
  for (int64_t k = ellipsisRank - ellipsisDims; k < ellipsisRank; ++k)
    ellipsis.push_back(static_cast<char>(1 + k));
  labels = letters;
  if (dots != std::string::npos)
    labels.insert(dots, ellipsis);
  return labels;
}

/// `x` (with `labels`) transposed so its labels read `order`.
Value permuteLabels(NodeImporter &n, Value x, const std::string &labels,
                    const std::string &order) {
  SmallVector<int64_t> perm;
  for (char c : order)
    perm.push_back(labels.find(c));
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return x;
  return n.transpose(x, perm);
}

/// Einsum of one or two operands: diagonals (a repeated label) by masking
/// with the identity and summing, labels used nowhere else summed out, and
/// two operands contracted by one batched matmul over [batch, left, shared]
/// x [batch, shared, right].
LogicalResult importEinsum(NodeImporter &n) {
  std::string equation;
  for (char c : n.attrString("equation", ""))
    if (c != ' ')
      equation.push_back(c);
  size_t arrow = equation.find("->");
  std::string lhs = equation.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (terms.size() != n.numInputs() || terms.size() > 2)
    return n.fail("only equations with one or two operands are supported, "
                  "one term per input");
  int64_t ellipsisRank = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    std::string letters = terms[i];
    size_t dots = letters.find("...");
    if (dots != std::string::npos) {
      letters.erase(dots, 3);
      ellipsisRank = std::max<int64_t>(ellipsisRank, n.inputType(i).getRank() -
                                                         letters.size());
    }
  }
  std::vector<std::string> labels;
  SmallVector<Value> operands;
  llvm::DenseMap<char, int64_t> sizes;
  for (size_t i = 0; i < terms.size(); ++i) {
    auto parsed =
        parseTerm(n, terms[i], n.inputType(i).getRank(), ellipsisRank);
    if (failed(parsed))
      return failure();
    for (auto [d, c] : llvm::enumerate(*parsed)) {
      int64_t size = n.inputType(i).getDimSize(d);
      auto [it, inserted] = sizes.try_emplace(c, size);
      if (!inserted && it->second != size)
        return n.fail("a label has two different sizes");
    }
    labels.push_back(*parsed);
    operands.push_back(n.input(i));
  }
  std::string out;
  if (arrow != std::string::npos) {
    std::string rhs = equation.substr(arrow + 2);
    size_t dots = rhs.find("...");
    std::string ellipsis;
    for (int64_t k = 0; k < ellipsisRank; ++k)
      ellipsis.push_back(static_cast<char>(1 + k));
    out = rhs;
    if (dots != std::string::npos)
      out.replace(dots, 3, ellipsis);
    for (char c : out)
      if (!sizes.count(c))
        return n.fail("the output names a label no input has");
  } else {
    for (int64_t k = 0; k < ellipsisRank; ++k)
      out.push_back(static_cast<char>(1 + k));
    std::string once;
    for (char c = 'A'; c <= 'z'; ++c) {
      int count = 0;
      for (const std::string &l : labels)
        count += llvm::count(l, c);
      if (count == 1)
        once.push_back(c);
    }
    out += once;
  }
  // Diagonals, then labels used by no other operand and not the output.
  for (size_t i = 0; i < operands.size(); ++i) {
    std::string &l = labels[i];
    for (size_t p = 0; p < l.size(); ++p)
      for (size_t q = p + 1; q < l.size();) {
        if (l[p] != l[q]) {
          ++q;
          continue;
        }
        int64_t size = sizes[l[p]];
        ShapeVec maskShape(l.size(), 1);
        maskShape[p] = maskShape[q] = size;
        std::vector<double> eye(size * size, 0.0);
        for (int64_t k = 0; k < size; ++k)
          eye[k * size + k] = 1;
        Value mask = n.constantOf(
            RankedTensorType::get(maskShape, n.inputType(i).getElementType()),
            eye);
        operands[i] = reduce<ReduceSumOp>(
            n, n.build<MulOp>({operands[i], mask}), {int64_t(q)}, false);
        l.erase(q, 1);
      }
    SmallVector<int64_t> unused;
    std::string kept;
    for (auto [d, c] : llvm::enumerate(l)) {
      bool elsewhere = out.find(c) != std::string::npos;
      for (size_t j = 0; j < labels.size(); ++j)
        elsewhere |= j != i && labels[j].find(c) != std::string::npos;
      if (elsewhere)
        kept.push_back(c);
      else
        unused.push_back(d);
    }
    if (!unused.empty())
      operands[i] = reduce<ReduceSumOp>(n, operands[i], unused, false);
    l = kept;
  }
  if (operands.size() == 1) {
    n.setOutput(0, permuteLabels(n, operands[0], labels[0], out));
    return success();
  }
  const std::string &a = labels[0], &b = labels[1];
  std::string batch, left, shared, right;
  for (char c : out) {
    bool inA = a.find(c) != std::string::npos;
    bool inB = b.find(c) != std::string::npos;
    (inA && inB ? batch : inA ? left : right).push_back(c);
  }
  for (char c : a)
    if (b.find(c) != std::string::npos && out.find(c) == std::string::npos)
      shared.push_back(c);
  auto extent = [&](const std::string &group) {
    int64_t total = 1;
    for (char c : group)
      total *= sizes[c];
    return total;
  };
  Value lhsMatrix =
      n.reshape(permuteLabels(n, operands[0], a, batch + left + shared),
                {extent(batch), extent(left), extent(shared)});
  Value rhsMatrix =
      n.reshape(permuteLabels(n, operands[1], b, batch + shared + right),
                {extent(batch), extent(shared), extent(right)});
  Value product = n.build<MatMulOp>({lhsMatrix, rhsMatrix});
  ShapeVec productShape;
  for (char c : batch + left + right)
    productShape.push_back(sizes[c]);
  n.setOutput(0, permuteLabels(n, n.reshape(product, productShape),
                               batch + left + right, out));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// The axes from the `axis` attribute (default -1) to the last, which the
/// layer and RMS normalizations normalize over; failure when out of range.
FailureOr<SmallVector<int64_t>> trailingAxes(NodeImporter &n) {
  int64_t rank = n.inputType(0).getRank();
  int64_t axis = n.attrInt("axis", -1);
  if (axis < -rank || axis >= rank)
    return n.fail("axis " + std::to_string(axis) + " is out of range");
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

/// y = (x - mean) / sqrt(var + epsilon) * scale + bias over the axes from
/// `axis` on (opset 17), as reductions and elementwise ops; the optional
/// outputs are the mean and 1 / sqrt(var + epsilon).
LogicalResult importLayerNorm(NodeImporter &n) {
  Value x = n.input(0);
  auto axes = trailingAxes(n);
  if (failed(axes))
    return failure();
  auto reduceMean = [&](Value value) {
    return reduce<ReduceMeanOp>(n, value, *axes, true);
  };
  Value mean = reduceMean(x);
  Value centered = n.build<SubOp>({x, mean});
  Value variance = reduceMean(n.build<MulOp>({centered, centered}));
  Value deviation = n.build<SqrtOp>(n.build<AddOp>(
      {variance, n.scalarLike(x, n.attrFloat("epsilon", 1e-5f))}));
  Value y = n.build<MulOp>({n.build<DivOp>({centered, deviation}), n.input(1)});
  if (n.hasInput(2))
    y = n.build<AddOp>({y, n.input(2)});
  n.setOutput(0, y);
  if (n.wantsOutput(1))
    n.setOutput(1, mean);
  if (n.wantsOutput(2))
    n.setOutput(2, n.build<ReciprocalOp>(deviation));
  return success();
}

/// RMSNormalization (opset 23): y = x / sqrt(mean(x^2) + epsilon) * scale
/// over the axes from `axis` on, in the input's type as ONNX's reference.
LogicalResult importRMSNorm(NodeImporter &n) {
  Value x = n.input(0);
  if (n.attrInt("stash_type", 1) != 1)
    return n.fail("only stash_type=1 (float32) is supported");
  auto axes = trailingAxes(n);
  if (failed(axes))
    return failure();
  Value meanSquare =
      reduce<ReduceMeanOp>(n, n.build<MulOp>({x, x}), *axes, true);
  Value rms = n.build<SqrtOp>(n.build<AddOp>(
      {meanSquare, n.scalarLike(x, n.attrFloat("epsilon", 1e-5f))}));
  n.setOutput(0,
              n.build<MulOp>({n.build<MulOp>({x, n.build<ReciprocalOp>(rms)}),
                              n.input(1)}));
  return success();
}

LogicalResult importInstanceNorm(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 3)
    return n.fail("input must have rank 3 or more");
  SmallVector<int64_t> spatial;
  for (int64_t d = 2; d < rank; ++d)
    spatial.push_back(d);
  Value mean = reduce<ReduceMeanOp>(n, x, spatial, true);
  Value centered = n.build<SubOp>({x, mean});
  Value variance = reduce<ReduceMeanOp>(n, n.build<MulOp>({centered, centered}),
                                        spatial, true);
  Value deviation = n.build<SqrtOp>(n.build<AddOp>(
      {variance, n.scalarLike(x, n.attrFloat("epsilon", 1e-5f))}));
  ShapeVec paramShape = {type.getDimSize(1)};
  paramShape.append(rank - 2, 1);
  Value y = n.build<MulOp>({n.build<DivOp>({centered, deviation}),
                            n.reshape(n.input(1), paramShape)});
  n.setOutput(0, n.build<AddOp>({y, n.reshape(n.input(2), paramShape)}));
  return success();
}

/// GroupNormalization: statistics over each group of C / G channels and
/// the spatial dims; scale and bias per channel (opset 21) or per group
/// (opset 18), in stash_type's precision (float32 by default).
LogicalResult importGroupNorm(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  Type elementType = type.getElementType();
  if (rank < 3 || !isa<FloatType>(elementType))
    return n.fail("X must be a floating-point tensor of rank 3 or more");
  int64_t groups = n.attrInt("num_groups", 0);
  int64_t batch = type.getDimSize(0), channels = type.getDimSize(1);
  if (groups < 1 || channels % groups != 0)
    return n.fail("num_groups must divide the channels");
  int64_t perGroup = channels / groups;
  int64_t paramSize = n.opset >= 21 ? channels : groups;
  for (size_t i = 1; i <= 2; ++i)
    if (n.inputType(i).getShape() != ArrayRef<int64_t>{paramSize})
      return n.fail(std::string(i == 1 ? "scale" : "bias") + " must be [" +
                    std::to_string(paramSize) + "]");
  Type stash =
      convertElementType(n.attrInt("stash_type", 1), *n.builder.getContext());
  if (!stash || !isa<FloatType>(stash))
    return n.fail("stash_type must be a floating-point type");
  ShapeVec grouped = {batch, groups, -1};
  int64_t spatial = product(type.getShape().drop_front(2));
  grouped[2] = perGroup * spatial;
  Value g = n.cast(n.reshape(x, grouped), stash);
  Value mean = reduce<ReduceMeanOp>(n, g, {2}, true);
  Value centered = n.build<SubOp>({g, mean});
  Value variance =
      reduce<ReduceMeanOp>(n, n.build<MulOp>({centered, centered}), {2}, true);
  Value normalized = n.build<DivOp>(
      {centered, n.build<SqrtOp>(n.build<AddOp>(
                     {variance, n.scalarLike(variance, n.attrFloat("epsilon",
                                                                   1e-5f))}))});
  normalized =
      n.cast(n.reshape(normalized, ShapeVec(type.getShape())), elementType);
  auto perChannel = [&](Value param) {
    if (paramSize == groups && groups != channels) {
      std::vector<double> owner(channels);
      for (int64_t c = 0; c < channels; ++c)
        owner[c] = double(c / perGroup);
      param = n.build<GatherOp>(
          {param, n.constantOf(
                      RankedTensorType::get({channels}, n.builder.getI64Type()),
                      owner)},
          n.attr("axis", n.builder.getI64IntegerAttr(0)));
    }
    ShapeVec shape = {channels};
    shape.append(rank - 2, 1);
    return n.reshape(param, shape);
  };
  n.setOutput(
      0, n.build<AddOp>({n.build<MulOp>({normalized, perChannel(n.input(1))}),
                         perChannel(n.input(2))}));
  return success();
}

LogicalResult importMeanVarianceNorm(NodeImporter &n) {
  Value x = n.input(0);
  auto axes = n.attrInts("axes", {0, 2, 3});
  Value mean = reduce<ReduceMeanOp>(n, x, axes, true);
  Value meanOfSquares =
      reduce<ReduceMeanOp>(n, n.build<MulOp>({x, x}), axes, true);
  Value variance =
      n.build<SubOp>({meanOfSquares, n.build<MulOp>({mean, mean})});
  Value deviation =
      n.build<AddOp>({n.build<SqrtOp>(variance), n.scalarLike(x, 1e-9)});
  n.setOutput(0, n.build<DivOp>({n.build<SubOp>({x, mean}), deviation}));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

/// NegativeLogLikelihoodLoss over log-probabilities [N, C, d...] and targets
/// [N, d...]: -input[n, target, d...] * weight[target], zero where the target
/// is ignore_index, then reduced (none, sum, or mean weighted by the weights
/// of the targets counted).
FailureOr<Value> negativeLogLikelihood(NodeImporter &n, Value input,
                                       Value target, Value weight) {
  if (!input || !target)
    return failure();
  auto inputType = cast<RankedTensorType>(input.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  if (inputType.getRank() < 2 ||
      targetType.getRank() != inputType.getRank() - 1)
    return n.fail("input must be [N, C, d...] and target [N, d...]");
  if (!isa<IntegerType>(targetType.getElementType()))
    return n.fail("target must be an integer tensor");
  std::string reduction = n.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return n.fail("unknown reduction '" + reduction + "'");
  target = n.cast(target, n.builder.getI64Type());
  Value counted; // i1: the targets not ignored
  if (n.hasAttr("ignore_index")) {
    counted = n.build<NotEqualOp>(
        {target, n.scalarLike(target, n.attrInt("ignore_index", 0))});
    target = n.build<SelectOp>({counted, target, n.scalarLike(target, 0)});
  }
  ShapeVec unsqueezed(targetType.getShape());
  unsqueezed.insert(unsqueezed.begin() + 1, 1);
  Value picked =
      n.build<GatherElementsOp>({input, n.reshape(target, unsqueezed)},
                                n.attr("axis", n.builder.getI64IntegerAttr(1)));
  Value loss = n.build<NegOp>(n.reshape(picked, targetType.getShape()));
  Value weights; // per target, when weighted or masked
  if (weight)
    weights = n.build<GatherOp>({weight, target},
                                n.attr("axis", n.builder.getI64IntegerAttr(0)));
  if (counted)
    weights =
        n.build<SelectOp>({counted, weights ? weights : n.scalarLike(loss, 1.0),
                           n.scalarLike(loss, 0.0)});
  if (weights)
    loss = n.build<MulOp>({loss, weights});
  if (reduction == "none")
    return loss;
  SmallVector<int64_t> axes = allAxes(targetType.getRank());
  Value total = reduce<ReduceSumOp>(n, loss, axes, false);
  if (reduction == "sum")
    return total;
  if (!weights)
    return reduce<ReduceMeanOp>(n, loss, axes, false);
  // The weights have the targets' shape, as the loss.
  return n.build<DivOp>({total, reduce<ReduceSumOp>(n, weights, axes, false)});
}

LogicalResult importNegativeLogLikelihood(NodeImporter &n) {
  auto loss = negativeLogLikelihood(n, n.input(0), n.input(1),
                                    n.hasInput(2) ? n.input(2) : Value());
  if (failed(loss))
    return failure();
  n.setOutput(0, *loss);
  return success();
}

LogicalResult importSoftmaxCrossEntropy(NodeImporter &n) {
  Value scores = n.input(0);
  if (n.inputType(0).getRank() < 2)
    return n.fail("scores must be [N, C, d...]");
  Value logProb = logSoftmaxOf(n, scores, 1);
  auto loss = negativeLogLikelihood(n, logProb, n.input(1),
                                    n.hasInput(2) ? n.input(2) : Value());
  if (failed(loss))
    return failure();
  n.setOutput(0, *loss);
  if (n.wantsOutput(1))
    n.setOutput(1, logProb);
  return success();
}

/// Det: Gaussian elimination with partial pivoting, unrolled over the n
/// columns and batched over the leading dims. Each step moves the row with
/// the largest magnitude in the column to the top (a swap written as adds of
/// one-hot rows, flipping the sign), multiplies the determinant by the
/// pivot, and eliminates below it. A zero pivot (a zero column) gives 0.
LogicalResult importDet(NodeImporter &n) {
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2 || type.getDimSize(rank - 1) != type.getDimSize(rank - 2))
    return n.fail("X must be [*, M, M]");
  if (!isa<FloatType>(type.getElementType()))
    return n.fail("X must be a floating-point tensor");
  int64_t size = type.getDimSize(rank - 1);
  ArrayRef<int64_t> batchDims = type.getShape().drop_back(2);
  int64_t batch = product(batchDims);
  if (size == 0 || batch == 0)
    return n.fail("empty matrices are not supported");
  Type elementType = type.getElementType();
  auto i64 = n.builder.getI64Type();
  Value matrix = n.reshape(n.input(0), {batch, size, size});
  Value det = n.constantOf(RankedTensorType::get({batch, 1, 1}, elementType),
                           std::vector<double>(batch, 1.0));
  auto sum1 = [&](Value v) {
    return n.build<ReduceSumOp>(
        v, {axesAttr(n, {1}), n.attr("keepdims", n.builder.getBoolAttr(true))});
  };
  for (int64_t m = size; m >= 1; --m) {
    // matrix is the trailing [batch, m, m] block still to eliminate.
    Value column = n.reshape(n.sliceAxis(matrix, 2, 0, 1), {batch, m});
    if (m > 1) {
      Value pivotRow = n.build<ArgMaxOp>(
          n.build<AbsOp>(column),
          {n.attr("axis", n.builder.getI64IntegerAttr(1)),
           n.attr("keepdims", n.builder.getBoolAttr(true)),
           n.attr("select_last_index", n.builder.getBoolAttr(false))});
      std::vector<double> rows(m);
      for (int64_t r = 0; r < m; ++r)
        rows[r] = double(r);
      Value isPivot = n.build<EqualOp>(
          {pivotRow, n.constantOf(RankedTensorType::get({1, m}, i64), rows)});
      Value pick = n.reshape(n.cast(isPivot, elementType), {batch, m, 1});
      std::vector<double> topOneHot(m, 0.0);
      topOneHot[0] = 1.0;
      Value top = n.constantOf(RankedTensorType::get({1, m, 1}, elementType),
                               topOneHot);
      Value pivotValues = sum1(n.build<MulOp>({pick, matrix})); // [b, 1, m]
      Value topValues = n.sliceAxis(matrix, 1, 0, 1);           // [b, 1, m]
      Value change = n.build<SubOp>({pivotValues, topValues});
      matrix = n.build<AddOp>(
          {matrix, n.build<SubOp>({n.build<MulOp>({top, change}),
                                   n.build<MulOp>({pick, change})})});
      Value swapped =
          n.build<NotEqualOp>({pivotRow, n.scalarLike(pivotRow, 0)});
      det = n.build<MulOp>(
          {det, n.reshape(n.build<SelectOp>({swapped, n.scalarLike(det, -1.0),
                                             n.scalarLike(det, 1.0)}),
                          {batch, 1, 1})});
    }
    Value pivot = n.sliceAxis(n.sliceAxis(matrix, 1, 0, 1), 2, 0, 1);
    det = n.build<MulOp>({det, pivot});
    if (m == 1)
      break;
    // Rows below: minus factor times the pivot row; a zero pivot has only
    // zeros below it (it is the column's largest magnitude).
    Value zero = n.build<EqualOp>({pivot, n.scalarLike(pivot, 0.0)});
    Value safePivot =
        n.build<SelectOp>({zero, n.scalarLike(pivot, 1.0), pivot});
    Value below = n.sliceAxis(matrix, 1, 1, m - 1); // [b, m-1, m]
    Value factors = n.build<DivOp>({n.sliceAxis(below, 2, 0, 1), safePivot});
    Value pivotRest = n.sliceAxis(n.sliceAxis(matrix, 1, 0, 1), 2, 1, m - 1);
    matrix = n.build<SubOp>({n.sliceAxis(below, 2, 1, m - 1),
                             n.build<MulOp>({factors, pivotRest})});
  }
  n.setOutput(0, n.reshape(det, ShapeVec(batchDims)));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> reductionOpImporters() {
  static const OpImporterEntry table[] = {
      {"ArgMax", 1, 1, importArgReduce<ArgMaxOp>},
      {"ArgMin", 1, 1, importArgReduce<ArgMinOp>},
      {"CumProd", 26, 2, importCumProd},
      {"CumSum", 11, 2, importCumSum},
      {"Det", 11, 1, importDet},
      {"Einsum", 12, 1, importEinsum},
      {"GroupNormalization", 18, 3, importGroupNorm},
      {"Hardmax", 1, 1, importSoftmaxFamily<2>},
      {"InstanceNormalization", 6, 3, importInstanceNorm},
      {"LayerNormalization", 17, 2, importLayerNorm},
      {"LogSoftmax", 1, 1, importSoftmaxFamily<1>},
      {"MeanVarianceNormalization", 9, 1, importMeanVarianceNorm},
      {"NegativeLogLikelihoodLoss", 12, 2, importNegativeLogLikelihood},
      {"RMSNormalization", 23, 2, importRMSNorm},
      {"ReduceL1", 1, 1, importReduce<ReduceSumOp, Composite::L1>},
      {"ReduceL2", 1, 1, importReduce<ReduceSumOp, Composite::L2>},
      {"ReduceLogSum", 1, 1, importReduce<ReduceSumOp, Composite::LogSum>},
      {"ReduceLogSumExp", 1, 1,
       importReduce<ReduceSumOp, Composite::LogSumExp>},
      {"ReduceMax", 1, 1, importReduce<ReduceMaxOp>},
      {"ReduceMean", 1, 1, importReduce<ReduceMeanOp>},
      {"ReduceMin", 1, 1, importReduce<ReduceMinOp>},
      {"ReduceProd", 1, 1, importReduce<ReduceProdOp>},
      {"ReduceSum", 1, 1, importReduce<ReduceSumOp>},
      {"ReduceSumSquare", 1, 1,
       importReduce<ReduceSumOp, Composite::SumSquare>},
      {"Softmax", 1, 1, importSoftmaxFamily<0>},
      {"SoftmaxCrossEntropyLoss", 12, 2, importSoftmaxCrossEntropy},
      {"TopK", 1, 1, importTopK},
  };
  return table;
}

} // namespace dlc
