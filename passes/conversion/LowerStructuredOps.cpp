//===- LowerStructuredOps.cpp - matmul, pooling, reductions ---------------===//
//
// Lowers dlc.matmul, the pools, the reductions and dlc.softmax to linalg on
// tensors. Part of the convert-dlc-to-linalg pass; convolutions are in
// LowerConvolutions.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace dlc;

namespace {

using utils::IteratorType;

bool isFloat(Type type) { return isa<FloatType>(type); }

Value maxScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x.getType()))
    return b.create<arith::MaximumFOp>(loc, x, y);
  return b.create<arith::MaxSIOp>(loc, x, y);
}

Value minScalars(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x.getType()))
    return b.create<arith::MinimumFOp>(loc, x, y);
  return b.create<arith::MinSIOp>(loc, x, y);
}

/// x + y for a reduction: on floats marked reassociable, so that LLVM may
/// vectorize the reduction loop (partial sums per lane, added at the end).
Value reassociableAdd(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x.getType()))
    return b.create<arith::AddFOp>(loc, x, y, arith::FastMathFlags::reassoc);
  return addScalars(b, loc, x, y);
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elementType = resultType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value init = filledTensor(rewriter, loc, resultType, zero);
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    if (lhsType.getRank() == 2 && rhsType.getRank() == 2) {
      rewriter.replaceOp(
          op, rewriter.create<linalg::MatmulOp>(loc, ValueRange{lhs, rhs}, init)
                  .getResult(0));
      return success();
    }
    // Batched with broadcasting: loops (batch..., m, n, k).
    MLIRContext *context = rewriter.getContext();
    int64_t rank = resultType.getRank(), batchRank = rank - 2;
    auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
    auto operandMap = [&](RankedTensorType type, AffineExpr row,
                          AffineExpr col) {
      SmallVector<AffineExpr> exprs;
      int64_t operandBatch = type.getRank() - 2;
      for (int64_t d = 0; d < operandBatch; ++d) {
        int64_t loop = d + batchRank - operandBatch;
        bool broadcast =
            type.getDimSize(d) == 1 && resultType.getDimSize(loop) != 1;
        exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                                  : dim(loop));
      }
      exprs.push_back(row);
      exprs.push_back(col);
      return AffineMap::get(rank + 1, 0, exprs, context);
    };
    AffineExpr m = dim(batchRank), n = dim(batchRank + 1), k = dim(rank);
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < rank; ++d)
      outExprs.push_back(dim(d));
    SmallVector<AffineMap> maps = {
        operandMap(lhsType, m, k), operandMap(rhsType, k, n),
        AffineMap::get(rank + 1, 0, outExprs, context)};
    SmallVector<IteratorType> iterators(rank, IteratorType::parallel);
    iterators.push_back(IteratorType::reduction);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{lhs, rhs}, init, maps, iterators,
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          Value product = mulScalars(b, nestedLoc, args[0], args[1]);
          b.create<linalg::YieldOp>(nestedLoc,
                                    addScalars(b, nestedLoc, args[2], product));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// C[m, n] = sum_k ext(A[m, k]) * ext(B[k, n]) in i32: a generic whose body
/// names the extensions, which dlc-matmul-microkernel recognizes.
struct MatMulIntegerLowering : OpConversionPattern<MatMulIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type i32 = resultType.getElementType();
    Value zero = scalarConstant(rewriter, loc, i32, 0.0);
    Value init = filledTensor(rewriter, loc, resultType, zero);
    MLIRContext *context = rewriter.getContext();
    auto map = [&](unsigned row, unsigned col) {
      return AffineMap::get(
          3, 0,
          {getAffineDimExpr(row, context), getAffineDimExpr(col, context)},
          context);
    };
    SmallVector<AffineMap> maps = {map(0, 2), map(2, 1), map(0, 1)};
    SmallVector<IteratorType> iterators = {IteratorType::parallel,
                                           IteratorType::parallel,
                                           IteratorType::reduction};
    bool lhsUnsigned = op.getLhsUnsigned(), rhsUnsigned = op.getRhsUnsigned();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{adaptor.getLhs(), adaptor.getRhs()}, init,
        maps, iterators,
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          auto widen = [&](Value v, bool isUnsigned) -> Value {
            if (isUnsigned)
              return b.create<arith::ExtUIOp>(nestedLoc, i32, v);
            return b.create<arith::ExtSIOp>(nestedLoc, i32, v);
          };
          Value lhsWide = widen(args[0], lhsUnsigned);
          Value rhsWide = widen(args[1], rhsUnsigned);
          Value product = b.create<arith::MulIOp>(nestedLoc, lhsWide, rhsWide);
          b.create<linalg::YieldOp>(
              nestedLoc,
              b.create<arith::AddIOp>(nestedLoc, args[2], product).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// End padding that makes the last window fit (ceil mode may need more than
/// the declared pads).
SmallVector<int64_t>
effectivePadEnd(RankedTensorType inputType, RankedTensorType resultType,
                ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads) {
  int64_t spatialRank = kernel.size();
  SmallVector<int64_t> padEnd;
  for (int64_t i = 0; i < spatialRank; ++i) {
    int64_t needed = (resultType.getDimSize(i + 2) - 1) * strides[i] +
                     (kernel[i] - 1) * dilations[i] + 1 -
                     (inputType.getDimSize(i + 2) + pads[i]);
    padEnd.push_back(std::max(pads[i + spatialRank], needed));
  }
  return padEnd;
}

/// A window reduction over the spatial dims: loops n, c, o_1..o_k, then the
/// window k_1..k_k (given its extent by an unused `window` operand).
template <typename PoolOp>
Value buildWindowReduction(
    OpBuilder &b, Location loc, PoolOp op, Value input, Value padValue,
    Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto resultType = cast<RankedTensorType>(op.getType());
  // Loops: n, c, o_1..o_k, [c_in_block when blocked], then the window.
  bool blocked = op.getBlocked();
  int64_t spatialRank = resultType.getRank() - (blocked ? 3 : 2);
  int64_t windowStart = 2 + spatialRank + (blocked ? 1 : 0);
  MLIRContext *context = b.getContext();
  int64_t numLoops = windowStart + spatialRank;
  auto dim = [&](int64_t d) { return getAffineDimExpr(d, context); };
  SmallVector<AffineExpr> inputExprs = {dim(0), dim(1)};
  SmallVector<AffineExpr> windowExprs, outputExprs = {dim(0), dim(1)};
  for (int64_t i = 0; i < spatialRank; ++i) {
    AffineExpr out = dim(2 + i), window = dim(windowStart + i);
    inputExprs.push_back(out * op.getStrides()[i] +
                         window * op.getDilations()[i]);
    windowExprs.push_back(window);
    outputExprs.push_back(out);
  }
  if (blocked) {
    inputExprs.push_back(dim(2 + spatialRank));
    outputExprs.push_back(dim(2 + spatialRank));
  }
  Value window = b.create<tensor::EmptyOp>(loc, op.getKernelShape(),
                                           resultType.getElementType());
  // Ceil mode may reach past the declared end pads: the in-body read covers
  // it, so any padding at all takes that path.
  auto inputType = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> padEnd =
      effectivePadEnd(inputType, resultType, op.getKernelShape(),
                      op.getStrides(), op.getDilations(), op.getPads());
  ArrayRef<int64_t> padBegin = op.getPads().take_front(spatialRank);
  bool padded = anyNonZero(padBegin) || anyNonZero(padEnd);
  SmallVector<AffineMap> maps = {
      AffineMap::get(numLoops, 0, windowExprs, context),
      AffineMap::get(numLoops, 0, outputExprs, context)};
  SmallVector<Value> inputs = {window};
  if (!padded) {
    maps.insert(maps.begin(), AffineMap::get(numLoops, 0, inputExprs, context));
    inputs.insert(inputs.begin(), input);
  }
  SmallVector<IteratorType> iterators(windowStart, IteratorType::parallel);
  iterators.append(spatialRank, IteratorType::reduction);
  return b
      .create<linalg::GenericOp>(
          loc, resultType, inputs, init, maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value x;
            if (padded) {
              SmallVector<Value> positions;
              for (int64_t i = 0; i < spatialRank; ++i)
                positions.push_back(
                    windowPosition(nested, nestedLoc, 2 + i, windowStart + i,
                                   op.getStrides()[i], op.getDilations()[i]));
              Value inBlock =
                  blocked
                      ? nested
                            .create<linalg::IndexOp>(nestedLoc, 2 + spatialRank)
                            .getResult()
                      : Value();
              x = readPaddedInput(nested, nestedLoc, input,
                                  nested.create<linalg::IndexOp>(nestedLoc, 0),
                                  nested.create<linalg::IndexOp>(nestedLoc, 1),
                                  positions, padBegin, padValue, inBlock);
            } else {
              x = args[0];
            }
            nested.create<linalg::YieldOp>(
                nestedLoc, combine(nested, nestedLoc, args.back(), x));
          })
      .getResult(0);
}

struct MaxPoolLowering : OpConversionPattern<MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elementType = resultType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Value lowest = lowestValue(rewriter, loc, elementType);
    Value init = filledTensor(rewriter, loc, resultType, lowest);
    rewriter.replaceOp(op, buildWindowReduction(rewriter, loc, op,
                                                adaptor.getInput(), lowest,
                                                init, maxScalars));
    return success();
  }
};

struct AvgPoolLowering : OpConversionPattern<AvgPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AvgPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getType();
    Type elementType = resultType.getElementType();
    if (!isFloat(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t spatialRank = op.getKernelShape().size();
    ArrayRef<int64_t> pads = op.getPads(), kernel = op.getKernelShape(),
                      strides = op.getStrides(), dilations = op.getDilations();
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value init = filledTensor(rewriter, loc, resultType, zero);
    Value sum = buildWindowReduction(rewriter, loc, op, adaptor.getInput(),
                                     zero, init, addScalars);

    // The divisor of each output position is known at compile time: the taps
    // of its window inside the input (plus the declared pads when
    // count_include_pad), never the extra room ceil mode adds.
    // The count is a product of one factor per spatial dim (the taps of
    // the window along it). Only windows within reach of an edge can differ
    // from the full kernel: they decide whether one splat does; a whole
    // table is built only where it does not (padding the count excludes).
    SmallVector<int64_t> outShape(resultType.getShape().slice(2, spatialRank));
    auto tapsAt = [&](int64_t i, int64_t o) {
      int64_t inSize = inputType.getDimSize(i + 2);
      int64_t lo = op.getCountIncludePad() ? -pads[i] : 0;
      int64_t hi =
          op.getCountIncludePad() ? inSize + pads[i + spatialRank] : inSize;
      int64_t start = o * strides[i] - pads[i], taps = 0;
      for (int64_t t = 0; t < kernel[i]; ++t) {
        int64_t at = start + t * dilations[i];
        taps += at >= lo && at < hi;
      }
      return static_cast<double>(std::max<int64_t>(taps, 1));
    };
    bool uniform = true;
    for (int64_t i = 0; uniform && i < static_cast<int64_t>(spatialRank); ++i) {
      int64_t reach =
          (pads[i] + pads[i + spatialRank] + (kernel[i] - 1) * dilations[i]) /
              strides[i] +
          2;
      double first = outShape[i] ? tapsAt(i, 0) : 1.0;
      for (int64_t o = 0; uniform && o < outShape[i]; ++o) {
        uniform = tapsAt(i, o) == first;
        // Past the one interior position checked, windows are whole until
        // `reach` positions before the end.
        if (o == reach && outShape[i] - reach > o + 1)
          o = outShape[i] - reach - 1;
      }
    }
    int64_t positions = 1;
    for (int64_t size : outShape)
      positions *= size;
    constexpr int64_t kMaxTable = int64_t(1) << 24;
    if (!uniform && positions > kMaxTable)
      return op.emitError("average pooling with ")
             << positions
             << " output positions and padding left out of the count: the "
                "table of divisors would exceed 2^24 entries";
    SmallVector<SmallVector<double>> tapsPerDim(spatialRank);
    for (int64_t i = 0; i < static_cast<int64_t>(spatialRank); ++i)
      for (int64_t o = 0;
           o < (uniform ? std::min<int64_t>(outShape[i], 1) : outShape[i]); ++o)
        tapsPerDim[i].push_back(tapsAt(i, o));
    SmallVector<float> counts;
    if (uniform) {
      double count = 1;
      for (const auto &taps : tapsPerDim)
        count *= taps.empty() ? 1.0 : taps.front();
      counts.push_back(static_cast<float>(count));
    } else {
      counts.assign(positions, 1.0f);
      for (int64_t flat = 0; flat < positions; ++flat) {
        int64_t rest = flat;
        double count = 1;
        for (int64_t i = spatialRank - 1; i >= 0; --i) {
          count *= tapsPerDim[i][rest % outShape[i]];
          rest /= outShape[i];
        }
        counts[flat] = static_cast<float>(count);
      }
    }
    Value average;
    if (uniform) {
      // One divisor for every position: a scalar (a splat tensor of the
      // output's size would become a global of that size).
      double divisor = counts.front();
      average = buildInPlaceElementwise(
          rewriter, loc, sum, ValueRange{},
          [&](OpBuilder &b, Location nestedLoc, ValueRange args) -> Value {
            Value count = b.create<arith::ConstantOp>(
                nestedLoc, b.getFloatAttr(elementType, divisor));
            return b.create<arith::DivFOp>(nestedLoc, args[0], count);
          });
    } else {
      if (op.getBlocked())
        outShape.push_back(1); // broadcast over the channel block
      auto countsType = RankedTensorType::get(outShape, rewriter.getF32Type());
      auto countsAttr =
          DenseElementsAttr::get(countsType, ArrayRef<float>(counts));
      Value divisor = rewriter.create<arith::ConstantOp>(loc, countsAttr);
      average = buildInPlaceElementwise(
          rewriter, loc, sum, ValueRange{divisor},
          [&](OpBuilder &b, Location nestedLoc, ValueRange args) -> Value {
            Value count = args[0];
            if (count.getType() != elementType)
              count = b.create<arith::TruncFOp>(nestedLoc, elementType, count);
            return b.create<arith::DivFOp>(nestedLoc, args[1], count);
          });
    }
    rewriter.replaceOp(op, average);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

/// Reduces `input` over `axes` into a tensor without those dims, combining
/// with `kind`'s operation starting from its identity.
Value reduceAxes(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> axes, ReduceKind kind) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = inputType.getElementType();
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis < 0 ? axis + rank : axis] = true;
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? IteratorType::reduction
                                   : IteratorType::parallel);
    if (!reduced[d]) {
      shape.push_back(inputType.getDimSize(d));
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  auto resultType = RankedTensorType::get(shape, elementType);
  Value identity = kind == ReduceKind::Max ? lowestValue(b, loc, elementType)
                   : kind == ReduceKind::Min
                       ? highestValue(b, loc, elementType)
                       : scalarConstant(b, loc, elementType,
                                        kind == ReduceKind::Prod ? 1 : 0);
  Value init = filledTensor(b, loc, resultType, identity);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return b
      .create<linalg::GenericOp>(
          loc, resultType, input, init, maps, iterators,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value combined =
                kind == ReduceKind::Max
                    ? maxScalars(nested, nestedLoc, args[1], args[0])
                : kind == ReduceKind::Min
                    ? minScalars(nested, nestedLoc, args[1], args[0])
                : kind == ReduceKind::Prod
                    ? mulScalars(nested, nestedLoc, args[1], args[0])
                    : reassociableAdd(nested, nestedLoc, args[1], args[0]);
            nested.create<linalg::YieldOp>(nestedLoc, combined);
          })
      .getResult(0);
}

template <typename OpTy, ReduceKind kind>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType = resultType.getElementType();
    if (!isFloatOrInt(elementType) ||
        (kind == ReduceKind::Mean && !isFloat(elementType)))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    Value reduced =
        reduceAxes(rewriter, loc, adaptor.getInput(), op.getAxes(), kind);
    if (kind == ReduceKind::Mean) {
      int64_t count =
          inputType.getNumElements() /
          std::max<int64_t>(
              cast<RankedTensorType>(reduced.getType()).getNumElements(), 1);
      reduced = buildInPlaceElementwise(
          rewriter, loc, reduced, ValueRange{},
          [&](OpBuilder &b, Location nestedLoc, ValueRange args) -> Value {
            Value divisor =
                scalarConstant(b, nestedLoc, elementType, double(count));
            return b.create<arith::DivFOp>(nestedLoc, args[0], divisor);
          });
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, reduced, resultType));
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  // Three passes over each row, all linalg.generics at the op's location
  // with no reshapes between them, so dlc-tile-fused-groups makes them one
  // loop nest over the rows: m = max(x); s = sum(exp(x - m));
  // y = exp(x - m) / s. exp is computed twice rather than stored.
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Type elementType = type.getElementType();
    if (!isFloat(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    Value input = adaptor.getInput();
    Value max = reduceAxes(rewriter, loc, input, axis, ReduceKind::Max);

    SmallVector<AffineExpr> rowExprs;
    SmallVector<IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis)
        rowExprs.push_back(rewriter.getAffineDimExpr(d));
      iterators.push_back(d == axis ? IteratorType::reduction
                                    : IteratorType::parallel);
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap row = AffineMap::get(rank, 0, rowExprs, rewriter.getContext());
    auto shiftedExp = [&](OpBuilder &b, Location nestedLoc, Value x,
                          Value m) -> Value {
      return b.create<math::ExpOp>(nestedLoc,
                                   b.create<arith::SubFOp>(nestedLoc, x, m));
    };
    auto rowType = cast<RankedTensorType>(max.getType());
    Value zero = scalarConstant(rewriter, loc, elementType, 0.0);
    Value sum =
        rewriter
            .create<linalg::GenericOp>(
                loc, rowType, ValueRange{input, max},
                filledTensor(rewriter, loc, rowType, zero),
                ArrayRef<AffineMap>{identity, row, row}, iterators,
                [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
                  b.create<linalg::YieldOp>(
                      nestedLoc, reassociableAdd(b, nestedLoc, args[2],
                                                 shiftedExp(b, nestedLoc,
                                                            args[0], args[1])));
                })
            .getResult(0);
    Value result =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{input, max, sum},
                rewriter
                    .create<tensor::EmptyOp>(loc, type.getShape(), elementType)
                    .getResult(),
                ArrayRef<AffineMap>{identity, row, row, identity},
                SmallVector<IteratorType>(rank, IteratorType::parallel),
                [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
                  Value e = shiftedExp(b, nestedLoc, args[0], args[1]);
                  b.create<linalg::YieldOp>(
                      nestedLoc, b.create<arith::DivFOp>(nestedLoc, e, args[2])
                                     .getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void dlc::populateStructuredLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, MatMulIntegerLowering, MaxPoolLowering,
               AvgPoolLowering, SoftmaxLowering,
               ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<ReduceProdOp, ReduceKind::Prod>>(
      patterns.getContext());
}
