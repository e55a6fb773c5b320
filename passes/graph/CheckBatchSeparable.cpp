//===- CheckBatchSeparable.cpp - Ops that keep the samples apart ---------===//
//
// A model with a symbolic batch runs as one library compiled for a single
// sample, called once per sample, when every op computes each sample's
// part of its result from that sample's parts of its operands alone. This
// pass proves that by a forward analysis from the entry's arguments marked
// `dlc.batch_symbol` (their dim 0 holds the samples): for every value, the
// dim that holds the samples (and by what factor a reshape merged other
// dims into it), or none. Each op kind has its rule; an op without one, or
// one whose operands put the samples where it would mix them, is an error
// at the op. The driver runs the analysis on the model imported at batch 2
// and compares the graphs imported at batch 1, 2 and 3 (which catches the
// batch size read as a value).
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/graph/BatchSeparability.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace dlc {
#define GEN_PASS_DEF_CHECKBATCHSEPARABLE
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

using Helper = DlcDialect::BatchSymbolAttrHelper;

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

/// The rules, one per op kind. Each returns the result's batch dim, or
/// fails with `why` set (what the op would mix).
class BatchFlow {
public:
  BatchFlow(BatchDims &dims, int64_t batchSize)
      : dims(dims), batchSize(batchSize) {}

  LogicalResult visit(Operation *op) {
    // A region could read samples from above; the imported graph has none
    // (the importer inlines control flow).
    if (op->getNumRegions() != 0)
      return fail(op, "has regions, which this analysis does not follow");
    // An op none of whose operands hold samples computes the same for
    // every sample (the graph comparison checks it does not read the batch
    // size some other way).
    if (llvm::none_of(op->getOperands(),
                      [&](Value v) { return dims.count(v); }))
      return success();
    for (Value v : op->getOperands())
      if (!isStaticTensor(v))
        return fail(op, "has an operand of unknown shape");
    for (Value v : op->getResults())
      if (!isStaticTensor(v))
        return fail(op, "has a result of unknown shape");
    FailureOr<BatchDim> result = rule(op);
    if (failed(result))
      return failure();
    for (Value v : op->getResults()) {
      auto shape = shapeOf(v);
      if (result->position >= int64_t(shape.size()) ||
          shape[result->position] != batchSize * result->factor)
        return fail(op, "gives a result whose dim " +
                            std::to_string(result->position) +
                            " does not hold the samples as expected");
      dims[v] = *result;
    }
    return success();
  }

  std::string why;
  Operation *at = nullptr;

private:
  BatchDims &dims;
  int64_t batchSize;

  static bool isStaticTensor(Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    return type && type.hasStaticShape();
  }

  LogicalResult fail(Operation *op, const std::string &reason) {
    at = op;
    why = reason;
    return failure();
  }

  std::optional<BatchDim> of(Value v) const {
    auto it = dims.find(v);
    if (it == dims.end())
      return std::nullopt;
    return it->second;
  }

  FailureOr<BatchDim> mixes(Operation *op, const std::string &reason) {
    (void)fail(op, reason);
    return failure();
  }

  FailureOr<BatchDim> rule(Operation *op) {
    auto kind = dyn_cast<PatternKindInterface>(op);
    if (kind && (kind.getPatternKind() == PatternKind::Elementwise ||
                 kind.getPatternKind() == PatternKind::Broadcast))
      return broadcasting(op);
    if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp>(
            op))
      return reduction(op);
    if (auto arg = dyn_cast<ArgMaxOp>(op))
      return argReduction(op, arg.getAxis(), arg.getKeepdims());
    if (auto arg = dyn_cast<ArgMinOp>(op))
      return argReduction(op, arg.getAxis(), arg.getKeepdims());
    if (auto softmax = dyn_cast<SoftmaxOp>(op))
      return alongAxis(op, softmax.getAxis(), "normalizes over");
    if (auto cumsum = dyn_cast<CumSumOp>(op))
      return alongAxis(op, cumsum.getAxis(), "sums along");
    if (auto topk = dyn_cast<TopKOp>(op))
      return alongAxis(op, topk.getAxis(), "ranks along");
    if (isa<MatMulOp>(op))
      return matmul(op);
    if (isa<MatMulIntegerOp>(op))
      return matmulInteger(op);
    if (isa<ConvOp, ConvIntegerOp, MaxPoolOp, AvgPoolOp>(op))
      return imageBatch(op);
    if (auto transpose = dyn_cast<TransposeOp>(op)) {
      BatchDim in = *of(op->getOperand(0));
      auto perm = transpose.getPerm();
      for (size_t i = 0; i < perm.size(); ++i)
        if (perm[i] == in.position)
          return BatchDim{int64_t(i), in.factor};
      return mixes(op, "has a permutation without the samples' dim");
    }
    if (isa<ReshapeOp>(op))
      return reshape(op);
    if (auto slice = dyn_cast<SliceOp>(op)) {
      BatchDim in = *of(op->getOperand(0));
      int64_t p = in.position;
      if (slice.getStarts()[p] != 0 || slice.getSteps()[p] != 1 ||
          slice.getEnds()[p] < shapeOf(op->getOperand(0))[p])
        return mixes(op, "slices the batch");
      return in;
    }
    if (auto concat = dyn_cast<ConcatOp>(op)) {
      std::optional<BatchDim> first = of(op->getOperand(0));
      for (Value v : op->getOperands())
        if (of(v) != first || !first)
          return mixes(op, "joins values that hold samples with values that "
                           "do not, or hold them elsewhere");
      int64_t rank = shapeOf(op->getResult(0)).size();
      if (normalizeAxis(concat.getAxis(), rank) == first->position)
        return mixes(op, "joins along the batch");
      return *first;
    }
    if (auto gather = dyn_cast<GatherOp>(op))
      return gatherRule(op, gather.getAxis());
    return mixes(op, "is not known to keep the samples apart");
  }

  /// Elementwise ops with numpy broadcasting: the operands that hold samples
  /// hold them in the same result dim; the others are 1 there.
  FailureOr<BatchDim> broadcasting(Operation *op) {
    int64_t rank = shapeOf(op->getResult(0)).size();
    std::optional<BatchDim> result;
    for (Value v : op->getOperands()) {
      std::optional<BatchDim> in = of(v);
      if (!in)
        continue;
      int64_t offset = rank - int64_t(shapeOf(v).size());
      BatchDim aligned{in->position + offset, in->factor};
      if (result && !(*result == aligned))
        return mixes(op, "broadcasts operands that hold the samples in "
                         "different dims");
      result = aligned;
    }
    for (Value v : op->getOperands()) {
      if (of(v))
        continue;
      auto shape = shapeOf(v);
      int64_t j = result->position - (rank - int64_t(shape.size()));
      if (j >= 0 && shape[j] != 1)
        return mixes(op, "combines the samples with a value that is not the "
                         "same for each of them");
    }
    return *result;
  }

  FailureOr<BatchDim> reduction(Operation *op) {
    BatchDim in = *of(op->getOperand(0));
    int64_t rank = shapeOf(op->getOperand(0)).size();
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    int64_t removedBefore = 0;
    for (int64_t axis : axes) {
      int64_t a = normalizeAxis(axis, rank);
      if (a == in.position)
        return mixes(op, "reduces over the batch");
      removedBefore += a < in.position;
    }
    return BatchDim{keepdims ? in.position : in.position - removedBefore,
                    in.factor};
  }

  FailureOr<BatchDim> argReduction(Operation *op, int64_t axis, bool keepdims) {
    BatchDim in = *of(op->getOperand(0));
    int64_t a = normalizeAxis(axis, shapeOf(op->getOperand(0)).size());
    if (a == in.position)
      return mixes(op, "reduces over the batch");
    return BatchDim{!keepdims && a < in.position ? in.position - 1
                                                 : in.position,
                    in.factor};
  }

  FailureOr<BatchDim> alongAxis(Operation *op, int64_t axis, const char *verb) {
    BatchDim in = *of(op->getOperand(0));
    if (normalizeAxis(axis, shapeOf(op->getOperand(0)).size()) == in.position)
      return mixes(op, std::string(verb) + " the batch");
    return in;
  }

  /// lhs [..., M, K] x rhs [..., K, N]: the samples in M, in N, or in a
  /// broadcast batch dim of both (or of one, the other 1 there).
  FailureOr<BatchDim> matmul(Operation *op) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    int64_t lhsRank = shapeOf(lhs).size(), rhsRank = shapeOf(rhs).size();
    int64_t rank = shapeOf(op->getResult(0)).size();
    std::optional<BatchDim> fromLhs, fromRhs;
    if (auto in = of(lhs)) {
      if (in->position == lhsRank - 1)
        return mixes(op, "sums over the batch");
      fromLhs =
          BatchDim{in->position == lhsRank - 2 ? rank - 2
                                               : in->position + rank - lhsRank,
                   in->factor};
    }
    if (auto in = of(rhs)) {
      if (in->position == rhsRank - 2)
        return mixes(op, "sums over the batch");
      fromRhs =
          BatchDim{in->position == rhsRank - 1 ? rank - 1
                                               : in->position + rank - rhsRank,
                   in->factor};
    }
    if (fromLhs && fromRhs) {
      if (!(*fromLhs == *fromRhs) || fromLhs->position >= rank - 2)
        return mixes(op, "multiplies the samples of one operand with those "
                         "of the other");
      return *fromLhs;
    }
    BatchDim result = fromLhs ? *fromLhs : *fromRhs;
    if (result.position < rank - 2) {
      // A broadcast batch dim: the other operand is 1 there, or lacks it.
      Value other = fromLhs ? rhs : lhs;
      auto shape = shapeOf(other);
      int64_t j = result.position - (rank - int64_t(shape.size()));
      if (j >= 0 && shape[j] != 1)
        return mixes(op, "multiplies the samples with a value that is not "
                         "the same for each of them");
    }
    return result;
  }

  FailureOr<BatchDim> matmulInteger(Operation *op) {
    if (of(op->getOperand(0)) && of(op->getOperand(1)))
      return mixes(op, "multiplies the samples of one operand with those of "
                       "the other");
    if (auto in = of(op->getOperand(0))) {
      if (in->position != 0)
        return mixes(op, "sums over the batch");
      return *in;
    }
    BatchDim in = *of(op->getOperand(1));
    if (in.position != 1)
      return mixes(op, "sums over the batch");
    return in;
  }

  /// Convolutions and pooling: images along dim 0 of the input.
  FailureOr<BatchDim> imageBatch(Operation *op) {
    for (Value v : op->getOperands().drop_front())
      if (of(v))
        return mixes(op, "takes a filter that differs between samples");
    BatchDim in = *of(op->getOperand(0));
    if (in.position != 0)
      return mixes(op, "slides its window over the batch");
    return in;
  }

  /// Row-major reshape: the samples stay apart when the dims before the
  /// batch dim hold as many elements before as after, and what follows
  /// the sample index (factor times the dims after) too.
  FailureOr<BatchDim> reshape(Operation *op) {
    BatchDim in = *of(op->getOperand(0));
    auto from = shapeOf(op->getOperand(0));
    auto to = shapeOf(op->getResult(0));
    int64_t before = product(from.take_front(in.position));
    int64_t inner = in.factor * product(from.drop_front(in.position + 1));
    int64_t prefix = 1;
    for (size_t q = 0; q < to.size(); ++q) {
      if (prefix == before && to[q] % batchSize == 0 &&
          (to[q] / batchSize) * product(to.drop_front(q + 1)) == inner)
        return BatchDim{int64_t(q), to[q] / batchSize};
      prefix *= to[q];
      if (prefix > before)
        break;
    }
    return mixes(op, "reshapes the batch together with the dims before it");
  }

  FailureOr<BatchDim> gatherRule(Operation *op, int64_t axis) {
    Value input = op->getOperand(0), indices = op->getOperand(1);
    int64_t a = normalizeAxis(axis, shapeOf(input).size());
    if (of(input) && of(indices))
      return mixes(op, "picks the samples of one operand at indices of the "
                       "other");
    if (auto in = of(input)) {
      if (a == in->position)
        return mixes(op, "picks along the batch");
      int64_t shift = int64_t(shapeOf(indices).size()) - 1;
      return BatchDim{in->position < a ? in->position : in->position + shift,
                      in->factor};
    }
    BatchDim in = *of(indices);
    return BatchDim{a + in.position, in.factor};
  }
};

} // namespace

FailureOr<BatchDims> dlc::analyzeBatchDims(func::FuncOp entry,
                                           int64_t batchSize) {
  BatchDims dims;
  Block &body = entry.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    if (!entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                            Helper::getNameStr()))
      continue;
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getRank() == 0 || type.getDimSize(0) != batchSize) {
      emitError(entry.getLoc())
          << "argument " << arg.getArgNumber() << " is marked "
          << Helper::getNameStr() << " but its dim 0 is not " << batchSize;
      return failure();
    }
    dims[arg] = BatchDim{0, 1};
  }
  BatchFlow flow(dims, batchSize);
  WalkResult walk = entry.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op == entry.getOperation() || isa<func::ReturnOp>(op))
      return WalkResult::advance();
    if (failed(flow.visit(op)))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted()) {
    flow.at->emitError() << "'" << flow.at->getName() << "' " << flow.why;
    return failure();
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (OpOperand &operand : ret->getOpOperands()) {
    auto it = dims.find(operand.get());
    if (it == dims.end())
      continue;
    if (it->second.position != 0 || it->second.factor != 1) {
      ret.emitError() << "result " << operand.getOperandNumber()
                      << " holds the samples in dim " << it->second.position
                      << (it->second.factor != 1 ? " (merged with other dims)"
                                                 : "")
                      << ", not in its dim 0 alone";
      return failure();
    }
  }
  return dims;
}

namespace {

/// The type a value of the reference probe has in a probe of `size`.
Type typeAtSize(Value reference, const BatchDims &dims, int64_t size) {
  auto it = dims.find(reference);
  if (it == dims.end())
    return reference.getType();
  auto type = cast<RankedTensorType>(reference.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[it->second.position] = size * it->second.factor;
  return type.clone(shape);
}

/// Attributes equal, except a slice's end in the batch dim: each probe
/// then ends at or past its own size (the analysis checked the start and
/// step).
bool sameAttributes(Operation *op, Operation *reference,
                    const BatchDims &dims) {
  if (auto slice = dyn_cast<SliceOp>(op)) {
    auto ref = cast<SliceOp>(reference);
    auto it = dims.find(ref.getOperand());
    if (it != dims.end()) {
      int64_t p = it->second.position;
      if (slice.getStarts() != ref.getStarts() ||
          slice.getSteps() != ref.getSteps())
        return false;
      auto ends = slice.getEnds(), refEnds = ref.getEnds();
      for (size_t d = 0; d < ends.size(); ++d)
        if (int64_t(d) != p && ends[d] != refEnds[d])
          return false;
      return ends[p] >= shapeOf(slice.getOperand())[p];
    }
  }
  return op->getAttrDictionary() == reference->getAttrDictionary();
}

} // namespace

bool dlc::sameGraphAcrossBatchSizes(ArrayRef<func::FuncOp> probes,
                                    ArrayRef<int64_t> sizes, unsigned reference,
                                    const BatchDims &dims, std::string &why) {
  auto opsOf = [](func::FuncOp f) {
    SmallVector<Operation *> ops;
    f.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op != f.getOperation())
        ops.push_back(op);
    });
    return ops;
  };
  auto describe = [](Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "'" << op->getName() << "'";
    if (auto name = dyn_cast<NameLoc>(op->getLoc()))
      os << " (node '" << name.getName().getValue() << "')";
    return text;
  };
  func::FuncOp ref = probes[reference];
  SmallVector<Operation *> refOps = opsOf(ref);
  for (size_t k = 0; k < probes.size(); ++k) {
    if (k == reference)
      continue;
    func::FuncOp probe = probes[k];
    int64_t size = sizes[k];
    llvm::DenseMap<Value, Value> map; // reference value -> probe value
    Block &refBody = ref.getBody().front(), &body = probe.getBody().front();
    if (refBody.getNumArguments() != body.getNumArguments()) {
      why = "the inputs differ";
      return false;
    }
    for (auto [r, v] : llvm::zip(refBody.getArguments(), body.getArguments())) {
      if (typeAtSize(r, dims, size) != v.getType()) {
        why = "an input's shape differs from the batch's alone";
        return false;
      }
      map[r] = v;
    }
    SmallVector<Operation *> ops = opsOf(probe);
    if (ops.size() != refOps.size()) {
      why = "the graph has " + std::to_string(ops.size()) + " ops at batch " +
            std::to_string(size) + " and " + std::to_string(refOps.size()) +
            " at batch " + std::to_string(sizes[reference]);
      return false;
    }
    for (auto [r, op] : llvm::zip(refOps, ops)) {
      auto differ = [&](const std::string &what) {
        why = describe(r) + " " + what + " at batch " + std::to_string(size) +
              " than at batch " + std::to_string(sizes[reference]);
        return false;
      };
      if (r->getName() != op->getName() ||
          r->getNumOperands() != op->getNumOperands() ||
          r->getNumResults() != op->getNumResults())
        return differ("is another op");
      for (auto [a, b] : llvm::zip(r->getOperands(), op->getOperands())) {
        auto it = map.find(a);
        if (it == map.end() || it->second != b)
          return differ("takes other operands");
      }
      if (!sameAttributes(op, r, dims))
        return differ("has other attributes (or constant values)");
      for (auto [a, b] : llvm::zip(r->getResults(), op->getResults())) {
        if (typeAtSize(a, dims, size) != b.getType())
          return differ("has a result shape that changes otherwise");
        map[a] = b;
      }
    }
  }
  return true;
}

namespace {

struct CheckBatchSeparablePass
    : dlc::impl::CheckBatchSeparableBase<CheckBatchSeparablePass> {
  using CheckBatchSeparableBase::CheckBatchSeparableBase;

  void runOnOperation() override {
    func::FuncOp entry = getOperation();
    if (entry.isDeclaration())
      return;
    StringAttr symbol;
    for (unsigned i = 0; i < entry.getNumArguments() && !symbol; ++i)
      symbol = entry.getArgAttrOfType<StringAttr>(i, Helper::getNameStr());
    if (!symbol)
      return;
    Block &body = entry.getBody().front();
    auto arg = cast<RankedTensorType>(body.getArgument(0).getType());
    for (unsigned i = 0; i < entry.getNumArguments(); ++i)
      if (entry.getArgAttrOfType<StringAttr>(i, Helper::getNameStr()))
        arg = cast<RankedTensorType>(body.getArgument(i).getType());
    FailureOr<BatchDims> dims = analyzeBatchDims(entry, arg.getDimSize(0));
    if (failed(dims))
      return signalPassFailure();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    for (OpOperand &operand : ret->getOpOperands())
      if (dims->count(operand.get()))
        entry.setResultAttr(operand.getOperandNumber(), Helper::getNameStr(),
                            symbol);
  }
};

} // namespace
