//===- AttentionImporters.cpp - ONNX Attention (opset 23) ----------------===//
//
// Attention as its parts: heads split (3-d inputs), the key/value cache
// concatenated, grouped-query heads repeated, Q K^T scaled, soft-capped,
// biased by the mask and the causal pattern, a softmax that gives 0 (not
// NaN) for a row whose every key is masked, and the product with V. Follows
// the ONNX reference implementation, with its sliding windows and its
// external cache (nonpad_kv_seqlen: valid key counts per batch, run-time
// values).
//
//===----------------------------------------------------------------------===//
#include "frontends/onnx/NodeImporter.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace dlc;

namespace {

/// A max or sum over the last dim, kept.
template <typename ReduceOp> Value reduceLast(NodeImporter &n, Value x) {
  if (!x)
    return nullptr;
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  return n.build<ReduceOp>(
      x, {n.attr("axes", n.builder.getDenseI64ArrayAttr({rank - 1})),
          n.attr("keepdims", n.builder.getBoolAttr(true))});
}

/// [B, S, H*D] -> [B, H, S, D].
Value splitHeads(NodeImporter &n, Value x, int64_t heads) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  if (heads < 1 || shape[2] % heads != 0) {
    (void)n.fail("the hidden size " + std::to_string(shape[2]) +
                 " does not divide into " + std::to_string(heads) + " heads");
    return nullptr;
  }
  return n.transpose(
      n.reshape(x, {shape[0], shape[1], heads, shape[2] / heads}),
      {0, 2, 1, 3});
}

/// `mask` padded along its last dim to `length` with `fill`.
Value padLast(NodeImporter &n, Value mask, int64_t length, double fill) {
  auto type = cast<RankedTensorType>(mask.getType());
  int64_t have = type.getShape().back();
  if (have >= length)
    return mask;
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = length - have;
  Value padding =
      n.constantOf(RankedTensorType::get(shape, type.getElementType()),
                   std::vector<double>(product(shape), fill));
  return n.build<ConcatOp>(
      {mask, padding},
      n.attr("axis", n.builder.getI64IntegerAttr(type.getRank() - 1)));
}

/// The additive bias (0 where allowed, -inf elsewhere) of query i and key
/// j, with query i at absolute position i + offset: the causal pattern
/// (j <= i + offset) and the sliding window (left >= i + offset - j, right
/// >= j - i - offset; -1 leaves a side open). A constant [q, kv] for a
/// compile-time offset; for a per-batch offset (nonpad_kv_seqlen, known at
/// run time) a [B, 1, q, kv] tensor.
Value positionBias(NodeImporter &n, Type elementType, int64_t qLength,
                   int64_t kvLength, bool causal, int64_t left, int64_t right,
                   int64_t offset, Value batchOffset) {
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  auto allowed = [&](int64_t diff) { // diff = i + offset - j
    return (!causal || diff >= 0) && (left < 0 || diff <= left) &&
           (right < 0 || -diff <= right);
  };
  if (!batchOffset) {
    std::vector<double> bias(qLength * kvLength);
    for (int64_t i = 0; i < qLength; ++i)
      for (int64_t j = 0; j < kvLength; ++j)
        bias[i * kvLength + j] = allowed(i + offset - j) ? 0.0 : kMinusInf;
    return n.constantOf(RankedTensorType::get({qLength, kvLength}, elementType),
                        bias);
  }
  // diff = offset[b] + (i - j): a constant [q, kv] of i - j, the per-batch
  // offset shaped [B, 1, 1, 1].
  Type i64 = n.builder.getI64Type();
  std::vector<double> steps(qLength * kvLength);
  for (int64_t i = 0; i < qLength; ++i)
    for (int64_t j = 0; j < kvLength; ++j)
      steps[i * kvLength + j] = static_cast<double>(i - j);
  Value diff = n.build<AddOp>(
      {n.constantOf(RankedTensorType::get({qLength, kvLength}, i64), steps),
       batchOffset});
  Value ok;
  auto both = [&](Value condition) {
    ok = ok ? n.build<AndOp>({ok, condition}) : condition;
  };
  Value zero = n.constantOf(RankedTensorType::get({}, i64), {0.0});
  if (causal)
    both(n.build<GreaterEqualOp>({diff, zero}));
  if (left >= 0)
    both(n.build<LessEqualOp>(
        {diff, n.constantOf(RankedTensorType::get({}, i64), {double(left)})}));
  if (right >= 0)
    both(n.build<GreaterEqualOp>(
        {diff,
         n.constantOf(RankedTensorType::get({}, i64), {-double(right)})}));
  auto scalar = RankedTensorType::get({}, elementType);
  return n.build<SelectOp>(
      {ok, n.constantOf(scalar, {0.0}), n.constantOf(scalar, {kMinusInf})});
}

LogicalResult importAttention(NodeImporter &n) {
  int64_t left = n.attrInt("left_window_size", -1);
  int64_t right = n.attrInt("right_window_size", -1);
  if (left < -1 || right < -1)
    return n.fail("left_window_size and right_window_size must be -1 or "
                  "nonnegative");
  if (n.hasInput(6) && n.hasInput(4))
    return n.fail("nonpad_kv_seqlen cannot be combined with past_key");
  Value q = n.input(0), k = n.input(1), v = n.input(2);
  auto qType = n.inputType(0);
  Type elementType = qType.getElementType();
  if (!isa<FloatType>(elementType))
    return n.fail("Q, K and V must be floating-point tensors");
  if (failed(requireSameElementType(n, q, k)) ||
      failed(requireSameElementType(n, q, v)))
    return failure();
  int64_t rank = qType.getRank();
  if (rank != 3 && rank != 4)
    return n.fail("Q, K and V must have rank 3 or 4");
  if (n.inputType(1).getRank() != rank || n.inputType(2).getRank() != rank)
    return n.fail("Q, K and V must have one rank");
  if (rank == 3) {
    if (!n.hasAttr("q_num_heads") || !n.hasAttr("kv_num_heads"))
      return n.fail("3-d inputs need q_num_heads and kv_num_heads");
    int64_t kvHeads = n.attrInt("kv_num_heads", 0);
    q = splitHeads(n, q, n.attrInt("q_num_heads", 0));
    k = splitHeads(n, k, kvHeads);
    v = splitHeads(n, v, kvHeads);
    if (!q || !k || !v)
      return failure();
  }
  auto shapeOf = [](Value value) {
    return cast<RankedTensorType>(value.getType()).getShape();
  };
  double scale = n.hasAttr("scale") ? n.attrFloat("scale", 1.0f)
                                    : 1.0 / std::sqrt(double(shapeOf(q)[3]));

  // The cache: present = concat(past, new) along the sequence.
  if (n.hasInput(4) != n.hasInput(5))
    return n.fail("past_key and past_value must be given together");
  int64_t pastLength = 0;
  if (n.hasInput(4)) {
    if (n.inputType(4).getRank() != 4 || n.inputType(5).getRank() != 4)
      return n.fail("past_key and past_value must have rank 4 "
                    "[B, heads, past, head_size]");
    pastLength = n.inputType(4).getDimSize(2);
    auto axis = n.attr("axis", n.builder.getI64IntegerAttr(2));
    k = n.build<ConcatOp>({n.input(4), k}, axis);
    v = n.build<ConcatOp>({n.input(5), v}, axis);
  }
  if (n.wantsOutput(1))
    n.setOutput(1, k);
  if (n.wantsOutput(2))
    n.setOutput(2, v);
  if (!k || !v)
    return failure();
  int64_t qLength = shapeOf(q)[2], kvLength = shapeOf(k)[2];

  // The bias: the mask (bool: true attends), the causal pattern, or both.
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  Value bias;
  if (n.hasInput(3)) {
    Value mask = n.input(3);
    int64_t maskRank = n.inputType(3).getRank();
    if (maskRank < 1 || maskRank > 4)
      return n.fail("attn_mask has rank " + std::to_string(maskRank) +
                    "; it must broadcast to [B, H, q, kv] with a key axis");
    bool isBool = n.inputType(3).getElementType().isInteger(1);
    mask = padLast(n, mask, kvLength, isBool ? 0.0 : kMinusInf);
    if (isBool)
      mask = n.build<SelectOp>(
          {mask, n.scalarLike(q, 0.0), n.scalarLike(q, kMinusInf)});
    else if (cast<RankedTensorType>(mask.getType()).getElementType() !=
             elementType)
      return n.fail("a float attn_mask must have Q's element type");
    bias = mask;
  }
  // Query i sits at position i + offset among the keys: after the cache,
  // or (nonpad_kv_seqlen, an external cache) at nonpad[b] - q per batch.
  bool causal = n.attrInt("is_causal", 0) != 0;
  Value batchOffset, nonpad;
  if (n.hasInput(6)) {
    int64_t batch = shapeOf(q)[0];
    if (n.inputType(6).getNumElements() != batch ||
        !n.inputType(6).getElementType().isInteger(64))
      return n.fail("nonpad_kv_seqlen must hold one int64 per batch");
    nonpad = n.reshape(n.input(6), {batch, 1, 1, 1});
    batchOffset = n.build<SubOp>(
        {nonpad, n.constantOf(RankedTensorType::get({}, n.builder.getI64Type()),
                              {double(qLength)})});
  }
  if (causal || left >= 0 || right >= 0) {
    Value pattern = positionBias(n, elementType, qLength, kvLength, causal,
                                 left, right, pastLength, batchOffset);
    bias = bias ? n.build<AddOp>({bias, pattern}) : pattern;
  }
  if (nonpad) { // keys at nonpad[b] and after are padding
    std::vector<double> positions(kvLength);
    for (int64_t j = 0; j < kvLength; ++j)
      positions[j] = static_cast<double>(j);
    Value valid = n.build<LessOp>(
        {n.constantOf(RankedTensorType::get({kvLength}, n.builder.getI64Type()),
                      positions),
         nonpad});
    auto scalar = RankedTensorType::get({}, elementType);
    Value padding = n.build<SelectOp>({valid, n.constantOf(scalar, {0.0}),
                                       n.constantOf(scalar, {kMinusInf})});
    bias = bias ? n.build<AddOp>({bias, padding}) : padding;
  }

  // Grouped-query attention: each K/V head serves consecutive Q heads.
  int64_t qHeads = shapeOf(q)[1], kvHeads = shapeOf(k)[1];
  if (qHeads != kvHeads) {
    if (kvHeads < 1 || qHeads % kvHeads != 0 || shapeOf(v)[1] != kvHeads)
      return n.fail("the query heads do not divide into the key/value heads");
    std::vector<double> heads;
    for (int64_t h = 0; h < qHeads; ++h)
      heads.push_back(h / (qHeads / kvHeads));
    Value indices = n.constantOf(
        RankedTensorType::get({qHeads}, n.builder.getI64Type()), heads);
    auto axis = n.attr("axis", n.builder.getI64IntegerAttr(1));
    k = n.build<GatherOp>({k, indices}, axis);
    v = n.build<GatherOp>({v, indices}, axis);
  }

  // Q K^T with the scale split between the two, as the reference does.
  Value rootScale = n.scalarLike(q, std::sqrt(scale));
  Value scores = n.build<MatMulOp>(
      {n.build<MulOp>({q, rootScale}),
       n.build<MulOp>({n.transpose(k, {0, 1, 3, 2}), rootScale})});
  double softcap = n.attrFloat("softcap", 0.0f);
  if (softcap > 0) {
    Value cap = n.scalarLike(q, softcap);
    scores =
        n.build<MulOp>({n.build<TanhOp>(n.build<DivOp>({scores, cap})), cap});
  }
  Value biased = bias ? n.build<AddOp>({scores, bias}) : scores;
  int64_t mode = n.attrInt("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3)
    return n.fail("qk_matmul_output_mode must be 0..3");

  // Softmax over the keys: a fully masked row gives zeros.
  Value logits = biased;
  if (n.hasAttr("softmax_precision")) {
    Type precision = convertElementType(n.attrInt("softmax_precision", 1),
                                        *n.builder.getContext());
    if (!precision || !isa<FloatType>(precision))
      return n.fail("softmax_precision must be a floating-point type");
    logits = n.cast(logits, precision);
  }
  Value rowMax = reduceLast<ReduceMaxOp>(n, logits);
  Value infinite = n.build<EqualOp>({rowMax, n.scalarLike(logits, kMinusInf)});
  Value safeMax =
      n.build<SelectOp>({infinite, n.scalarLike(logits, 0), rowMax});
  Value exps = n.build<ExpOp>(n.build<SubOp>({logits, safeMax}));
  Value sums = reduceLast<ReduceSumOp>(n, exps);
  Value zeroSum = n.build<EqualOp>({sums, n.scalarLike(logits, 0)});
  sums = n.build<SelectOp>({zeroSum, n.scalarLike(logits, 1), sums});
  Value probabilities = n.build<DivOp>({exps, sums});
  if (bias) {
    Value biasMax = reduceLast<ReduceMaxOp>(n, bias);
    Value masked = n.build<EqualOp>({biasMax, n.scalarLike(bias, kMinusInf)});
    probabilities = n.build<SelectOp>(
        {masked, n.scalarLike(probabilities, 0), probabilities});
  }
  probabilities = n.cast(probabilities, elementType);
  if (n.wantsOutput(3))
    n.setOutput(3, mode == 3 ? probabilities : mode == 2 ? biased : scores);

  Value output = n.build<MatMulOp>({probabilities, v});
  if (rank == 3 && output) {
    auto shape = shapeOf(output);
    output = n.reshape(n.transpose(output, {0, 2, 1, 3}),
                       {shape[0], shape[2], shape[1] * shape[3]});
  }
  n.setOutput(0, output);
  return success();
}

/// RotaryEmbedding (opset 23): the first rotary_embedding_dim features of
/// each head rotated pairwise by the cached angles of its position (pairs
/// are halves, or neighbours when interleaved); the rest pass through.
LogicalResult importRotaryEmbedding(NodeImporter &n) {
  Value x = n.input(0);
  auto type = n.inputType(0);
  int64_t rank = type.getRank();
  if ((rank != 3 && rank != 4) || !isa<FloatType>(type.getElementType()))
    return n.fail("X must be a floating-point [B, H, S, D] or [B, S, H*D] "
                  "tensor");
  int64_t batch = type.getDimSize(0);
  int64_t length = type.getDimSize(rank == 4 ? 2 : 1);
  // [B, S, H, D]
  if (rank == 4) {
    x = n.transpose(x, {0, 2, 1, 3});
  } else {
    int64_t heads = n.attrInt("num_heads", 0);
    if (heads < 1 || type.getDimSize(2) % heads != 0)
      return n.fail("3-d X needs num_heads dividing its hidden size");
    x = n.reshape(x, {batch, length, heads, type.getDimSize(2) / heads});
  }
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t heads = shape[2], headSize = shape[3];
  int64_t rotated = n.attrInt("rotary_embedding_dim", 0);
  if (rotated == 0)
    rotated = headSize;
  if (rotated < 2 || rotated > headSize || rotated % 2 != 0)
    return n.fail("rotary_embedding_dim must be even and at most the head "
                  "size");
  int64_t half = rotated / 2;
  Value cosine = n.input(1), sine = n.input(2);
  if (n.hasInput(3)) {
    auto axis = n.attr("axis", n.builder.getI64IntegerAttr(0));
    cosine = n.build<GatherOp>({cosine, n.input(3)}, axis);
    sine = n.build<GatherOp>({sine, n.input(3)}, axis);
  }
  for (Value cache : {cosine, sine}) {
    if (!cache)
      return failure();
    auto cacheType = cast<RankedTensorType>(cache.getType());
    if (cacheType.getShape() != ArrayRef<int64_t>{batch, length, half})
      return n.fail("the caches (after position_ids) must be [B, S, " +
                    std::to_string(half) + "]");
  }
  cosine = n.cast(n.reshape(cosine, {batch, length, 1, half}),
                  type.getElementType());
  sine =
      n.cast(n.reshape(sine, {batch, length, 1, half}), type.getElementType());
  Value toRotate = n.sliceAxis(x, 3, 0, rotated);
  bool interleaved = n.attrInt("interleaved", 0) != 0;
  Value first, second;
  if (interleaved) {
    Value pairs = n.reshape(toRotate, {batch, length, heads, half, 2});
    first =
        n.reshape(n.sliceAxis(pairs, 4, 0, 1), {batch, length, heads, half});
    second =
        n.reshape(n.sliceAxis(pairs, 4, 1, 1), {batch, length, heads, half});
  } else {
    first = n.sliceAxis(toRotate, 3, 0, half);
    second = n.sliceAxis(toRotate, 3, half, half);
  }
  Value real = n.build<SubOp>(
      {n.build<MulOp>({cosine, first}), n.build<MulOp>({sine, second})});
  Value imag = n.build<AddOp>(
      {n.build<MulOp>({sine, first}), n.build<MulOp>({cosine, second})});
  Value result;
  if (interleaved) {
    ShapeVec pairShape = {batch, length, heads, half, 1};
    result =
        n.reshape(n.build<ConcatOp>(
                      {n.reshape(real, pairShape), n.reshape(imag, pairShape)},
                      n.attr("axis", n.builder.getI64IntegerAttr(4))),
                  {batch, length, heads, rotated});
  } else {
    result = n.build<ConcatOp>({real, imag},
                               n.attr("axis", n.builder.getI64IntegerAttr(3)));
  }
  if (rotated < headSize)
    result = n.build<ConcatOp>(
        {result, n.sliceAxis(x, 3, rotated, headSize - rotated)},
        n.attr("axis", n.builder.getI64IntegerAttr(3)));
  n.setOutput(0, rank == 4 ? n.transpose(result, {0, 2, 1, 3})
                           : n.reshape(result, ShapeVec(type.getShape())));
  return success();
}

} // namespace

llvm::ArrayRef<OpImporterEntry> dlc::attentionOpImporters() {
  static const OpImporterEntry table[] = {
      {"Attention", 23, 3, importAttention},
      {"RotaryEmbedding", 23, 3, importRotaryEmbedding},
  };
  return table;
}
