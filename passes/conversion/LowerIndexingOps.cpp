//===- LowerIndexingOps.cpp - Index-computing dlc ops to linalg -----------===//
//
// Ops whose result depends on element positions: arg_max/arg_min (a
// reduction carrying value and index), gather_elements and gather_nd
// (data-dependent reads), scatter_elements and scatter_nd (data-dependent
// writes, a loop nest over the updates), cumsum (a running sum, one scf.for
// per row) and top_k (selection rounds per row).
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace dlc;

namespace {

/// A scf.for nest over `shape` carrying one tensor; `body` gets the loop
/// indices and the carried tensor and returns its next value.
Value buildTensorLoopNest(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value init,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t size : shape) {
    lbs.push_back(b.create<arith::ConstantIndexOp>(loc, 0));
    ubs.push_back(b.create<arith::ConstantIndexOp>(loc, size));
    steps.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
  }
  scf::LoopNest nest =
      scf::buildLoopNest(b, loc, lbs, ubs, steps, init,
                         [&](OpBuilder &inner, Location at, ValueRange ivs,
                             ValueRange carried) -> scf::ValueVector {
                           return {body(inner, at, ivs, carried[0])};
                         });
  return nest.results.empty() ? init : nest.results[0];
}

/// `positions` with the one along `axis` replaced by the clamped `index`
/// (gather_elements reads there, scatter_elements writes there).
SmallVector<Value> elementCoordinates(OpBuilder &b, Location loc,
                                      ValueRange positions, int64_t axis,
                                      Value index, int64_t size) {
  SmallVector<Value> coordinates(positions);
  coordinates[axis] = clampedIndex(b, loc, index, size);
  return coordinates;
}

/// The clamped coordinates held by the index tuple at `where` (the leading
/// positions of `indices`), into `dataType`'s dims `firstDim`.. (gather_nd
/// reads there, scatter_nd writes there).
SmallVector<Value> tupleCoordinates(OpBuilder &b, Location loc, Value indices,
                                    ValueRange where, RankedTensorType dataType,
                                    int64_t firstDim) {
  SmallVector<Value> coordinates;
  int64_t k = cast<RankedTensorType>(indices.getType()).getShape().back();
  for (int64_t j = 0; j < k; ++j) {
    SmallVector<Value> at(where);
    at.push_back(b.create<arith::ConstantIndexOp>(loc, j));
    coordinates.push_back(
        clampedIndex(b, loc, b.create<tensor::ExtractOp>(loc, indices, at),
                     dataType.getDimSize(firstDim + j)));
  }
  return coordinates;
}

/// One generic over the input with two outputs, the running extreme value
/// and its index. A later element replaces the kept one when it compares
/// strictly better (or equal, with select_last_index); NaN compares better
/// than any number so it is never skipped, as numpy's argmax.
template <typename OpTy, bool isMax>
struct ArgReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type elementType = inputType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t rank = inputType.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d) {
      iterators.push_back(d == axis ? utils::IteratorType::reduction
                                    : utils::IteratorType::parallel);
      if (d != axis) {
        shape.push_back(inputType.getDimSize(d));
        outExprs.push_back(rewriter.getAffineDimExpr(d));
      }
    }
    Type indexType = rewriter.getI64Type();
    auto valuesType = RankedTensorType::get(shape, elementType);
    auto indicesType = RankedTensorType::get(shape, indexType);
    Value start = isMax ? lowestValue(rewriter, loc, elementType)
                        : highestValue(rewriter, loc, elementType);
    Value values = filledTensor(rewriter, loc, valuesType, start);
    Value indices = filledTensor(
        rewriter, loc, indicesType,
        rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(0)));
    AffineMap outMap = AffineMap::get(rank, 0, outExprs, rewriter.getContext());
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   outMap, outMap};
    bool last = op.getSelectLastIndex();
    bool isF = isa<FloatType>(elementType);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{valuesType, indicesType}, input,
        ValueRange{values, indices}, maps, iterators,
        [&](OpBuilder &b, Location at, ValueRange args) {
          Value x = args[0], kept = args[1], keptIndex = args[2];
          Value better;
          if (isF) {
            auto strict =
                isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT;
            auto orEqual =
                isMax ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE;
            better =
                b.create<arith::CmpFOp>(at, last ? orEqual : strict, x, kept);
            // The first NaN wins over numbers and is kept after.
            Value xNaN =
                b.create<arith::CmpFOp>(at, arith::CmpFPredicate::UNO, x, x);
            Value keptNumber = b.create<arith::CmpFOp>(
                at, arith::CmpFPredicate::ORD, kept, kept);
            better = b.create<arith::OrIOp>(
                at, better, b.create<arith::AndIOp>(at, xNaN, keptNumber));
          } else {
            auto strict =
                isMax ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt;
            auto orEqual =
                isMax ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle;
            better =
                b.create<arith::CmpIOp>(at, last ? orEqual : strict, x, kept);
          }
          // The first element always replaces the start value (which may be
          // equal to it, or it may be NaN).
          Value position = b.create<linalg::IndexOp>(at, axis);
          Value first =
              b.create<arith::CmpIOp>(at, arith::CmpIPredicate::eq, position,
                                      b.create<arith::ConstantIndexOp>(at, 0));
          better = b.create<arith::OrIOp>(at, better, first);
          Value index = b.create<arith::IndexCastOp>(at, indexType, position);
          b.create<linalg::YieldOp>(
              at, ValueRange{
                      b.create<arith::SelectOp>(at, better, x, kept),
                      b.create<arith::SelectOp>(at, better, index, keptIndex)});
        });
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, generic.getResult(1), op.getType()));
    return success();
  }
};

/// One generic over the result: the index along `axis` comes from `indices`
/// (negative counts from the end, out of range is clamped), the other
/// coordinates are the result's own.
struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = resultType.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    int64_t size = inputType.getDimSize(axis);
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getIndices(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          SmallVector<Value> positions;
          for (int64_t d = 0; d < rank; ++d)
            positions.push_back(b.create<linalg::IndexOp>(loc, d));
          return b.create<tensor::ExtractOp>(
              loc, input,
              elementCoordinates(b, loc, positions, axis, args[0], size));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One generic over the result: coordinates come from the index tuple at the
/// result's leading (indices) position, each wrapped if negative and clamped.
struct GatherNDLowering : OpConversionPattern<GatherNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    int64_t batchDims = op.getBatchDims();
    int64_t tupleRank = indicesType.getRank() - 1; // result dims from indices
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, ValueRange{},
        [&](OpBuilder &b, Location loc, ValueRange) -> Value {
          SmallVector<Value> where, coordinates;
          for (int64_t d = 0; d < tupleRank; ++d)
            where.push_back(b.create<linalg::IndexOp>(loc, d));
          for (int64_t d = 0; d < batchDims; ++d)
            coordinates.push_back(where[d]);
          llvm::append_range(
              coordinates,
              tupleCoordinates(b, loc, indices, where, inputType, batchDims));
          for (int64_t d = tupleRank; d < resultType.getRank(); ++d)
            coordinates.push_back(b.create<linalg::IndexOp>(loc, d));
          return b.create<tensor::ExtractOp>(loc, input, coordinates);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A generic over every position but `axis` whose body walks the axis with
/// an scf.for, carrying the running sum and inserting each partial sum.
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Type elementType = type.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    int64_t size = type.getDimSize(axis);
    Value input = adaptor.getInput();
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    // Loops over all other dims, each row summed in order.
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape.erase(rowShape.begin() + axis);
    Value init =
        rewriter.create<tensor::EmptyOp>(loc, type.getShape(), elementType);
    Value result = buildTensorLoopNest(
        rewriter, loc, rowShape, init,
        [&](OpBuilder &b, Location at, ValueRange row, Value acc) {
          Value zero = scalarConstant(b, at, elementType, 0);
          auto rowLoop = b.create<scf::ForOp>(
              at, b.create<arith::ConstantIndexOp>(at, 0),
              b.create<arith::ConstantIndexOp>(at, size),
              b.create<arith::ConstantIndexOp>(at, 1), ValueRange{zero, acc},
              [&](OpBuilder &inner, Location il, Value step,
                  ValueRange carried) {
                Value position = reverse
                                     ? inner.create<arith::SubIOp>(
                                           il,
                                           inner.create<arith::ConstantIndexOp>(
                                               il, size - 1),
                                           step)
                                     : step;
                SmallVector<Value> coordinates(row);
                coordinates.insert(coordinates.begin() + axis, position);
                Value x =
                    inner.create<tensor::ExtractOp>(il, input, coordinates);
                Value sum = addScalars(inner, il, carried[0], x);
                Value stored = exclusive ? carried[0] : sum;
                Value updated = inner.create<tensor::InsertOp>(
                    il, stored, carried[1], coordinates);
                inner.create<scf::YieldOp>(il, ValueRange{sum, updated});
              });
          return rowLoop.getResult(1);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `old` combined with `update` as a scatter's `reduction` says.
Value combineScatter(OpBuilder &b, Location loc, StringRef reduction, Value old,
                     Value update) {
  bool isF = isa<FloatType>(update.getType());
  if (reduction == "add")
    return addScalars(b, loc, old, update);
  if (reduction == "mul")
    return mulScalars(b, loc, old, update);
  if (reduction == "max")
    return isF ? b.create<arith::MaximumFOp>(loc, old, update).getResult()
               : b.create<arith::MaxSIOp>(loc, old, update).getResult();
  if (reduction == "min")
    return isF ? b.create<arith::MinimumFOp>(loc, old, update).getResult()
               : b.create<arith::MinSIOp>(loc, old, update).getResult();
  return update;
}

/// A loop nest over `updates` writing into a copy of `data`, in index order
/// so later duplicates win (or accumulate). Each update's target comes from
/// `targetOf` (its loop indices -> data coordinates).
template <typename OpTy> struct ScatterLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type elementType = op.getType().getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    Value data = adaptor.getData(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    auto updatesType = cast<RankedTensorType>(updates.getType());
    StringRef reduction = op.getReduction();
    Value result = buildTensorLoopNest(
        rewriter, op.getLoc(), updatesType.getShape(), data,
        [&](OpBuilder &b, Location loc, ValueRange ivs, Value acc) {
          SmallVector<Value> target;
          if constexpr (std::is_same_v<OpTy, ScatterElementsOp>) {
            int64_t axis = normalizeAxis(op.getAxis(), dataType.getRank());
            target = elementCoordinates(
                b, loc, ivs, axis,
                b.create<tensor::ExtractOp>(loc, indices, ivs),
                dataType.getDimSize(axis));
          } else {
            int64_t tupleRank = indicesType.getRank() - 1;
            target = tupleCoordinates(b, loc, indices,
                                      ivs.take_front(tupleRank), dataType, 0);
            llvm::append_range(target, ivs.drop_front(tupleRank));
          }
          Value update = b.create<tensor::ExtractOp>(loc, updates, ivs);
          if (reduction != "none")
            update = combineScatter(
                b, loc, reduction,
                b.create<tensor::ExtractOp>(loc, acc, target), update);
          return b.create<tensor::InsertOp>(loc, update, acc, target)
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Whether `x` orders above `y`: numbers as usual, NaN above every number
/// (a total order, so every NaN is placed).
Value ordersAbove(OpBuilder &b, Location loc, Value x, Value y) {
  if (!isa<FloatType>(x.getType()))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, y);
  Value above = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, y);
  Value xNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  Value yNumber = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ORD, y, y);
  return b.create<arith::OrIOp>(loc, above,
                                b.create<arith::AndIOp>(loc, xNaN, yNumber));
}

Value ordersEqual(OpBuilder &b, Location loc, Value x, Value y) {
  if (!isa<FloatType>(x.getType()))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, y);
  Value equal = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x, y);
  Value xNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  Value yNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, y, y);
  return b.create<arith::OrIOp>(loc, equal,
                                b.create<arith::AndIOp>(loc, xNaN, yNaN));
}

/// Per row along `axis`, k selection rounds: round j scans the row for the
/// best element ranked after the one round j-1 chose (by value, then by
/// index), so no scratch marks are needed. O(k * n) per row, meant for the
/// small k of classification heads and beam search.
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type elementType = inputType.getElementType();
    if (!isFloatOrInt(elementType))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    auto type = op.getType();
    int64_t axis = normalizeAxis(op.getAxis(), type.getRank());
    int64_t size = inputType.getDimSize(axis);
    bool largest = op.getLargest();
    // x ranks before y: better value, or equal value and lower index.
    auto better = [&](OpBuilder &b, Location at, Value x, Value y) {
      return largest ? ordersAbove(b, at, x, y) : ordersAbove(b, at, y, x);
    };
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape.erase(rowShape.begin() + axis);
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    Value result = buildTensorLoopNest(
        rewriter, loc, rowShape, init,
        [&](OpBuilder &b, Location at, ValueRange row, Value acc) {
          auto coordinates = [&](Value position) {
            SmallVector<Value> where(row);
            where.insert(where.begin() + axis, position);
            return where;
          };
          Value zero = b.create<arith::ConstantIndexOp>(at, 0);
          Value one = b.create<arith::ConstantIndexOp>(at, 1);
          Value noValue = scalarConstant(b, at, elementType, 0);
          auto rounds = b.create<scf::ForOp>(
              at, zero,
              b.create<arith::ConstantIndexOp>(at, type.getDimSize(axis)), one,
              ValueRange{noValue, zero, acc},
              [&](OpBuilder &rb, Location rl, Value round, ValueRange kept) {
                Value prevValue = kept[0], prevIndex = kept[1];
                Value firstRound = rb.create<arith::CmpIOp>(
                    rl, arith::CmpIPredicate::eq, round, zero);
                Value notFound = rb.create<arith::ConstantIntOp>(rl, 0, 1);
                auto scan = rb.create<scf::ForOp>(
                    rl, zero, rb.create<arith::ConstantIndexOp>(rl, size), one,
                    ValueRange{noValue, zero, notFound},
                    [&](OpBuilder &sb, Location sl, Value i, ValueRange best) {
                      Value x = sb.create<tensor::ExtractOp>(sl, input,
                                                             coordinates(i));
                      // Eligible: ranked after the previous round's choice.
                      Value afterPrev = sb.create<arith::OrIOp>(
                          sl, better(sb, sl, prevValue, x),
                          sb.create<arith::AndIOp>(
                              sl, ordersEqual(sb, sl, x, prevValue),
                              sb.create<arith::CmpIOp>(
                                  sl, arith::CmpIPredicate::ugt, i,
                                  prevIndex)));
                      Value eligible =
                          sb.create<arith::OrIOp>(sl, firstRound, afterPrev);
                      // Strictly better, so the first of equals is kept.
                      Value improves = sb.create<arith::OrIOp>(
                          sl,
                          sb.create<arith::XOrIOp>(
                              sl, best[2],
                              sb.create<arith::ConstantIntOp>(sl, 1, 1)),
                          better(sb, sl, x, best[0]));
                      Value take =
                          sb.create<arith::AndIOp>(sl, eligible, improves);
                      sb.create<scf::YieldOp>(
                          sl,
                          ValueRange{
                              sb.create<arith::SelectOp>(sl, take, x, best[0]),
                              sb.create<arith::SelectOp>(sl, take, i, best[1]),
                              sb.create<arith::OrIOp>(sl, take, best[2])});
                    });
                Value chosen = scan.getResult(1);
                Value index =
                    rb.create<arith::IndexCastOp>(rl, rb.getI64Type(), chosen);
                Value written = rb.create<tensor::InsertOp>(rl, index, kept[2],
                                                            coordinates(round));
                rb.create<scf::YieldOp>(
                    rl, ValueRange{scan.getResult(0), chosen, written});
              });
          return rounds.getResult(2);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// NonMaxSuppression per batch and class: the candidates (boxes above the
/// score threshold) are listed once; each round picks the best one not yet
/// selected or suppressed (highest score, then lowest index: ONNX's
/// reference order) and marks the candidates it suppresses, until none is
/// left or max_per_class are selected. O(selected * candidates) per class;
/// the IoU test is ONNX's reference's, in the boxes' type.
struct NonMaxSuppressionLowering : OpConversionPattern<NonMaxSuppressionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(NonMaxSuppressionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value boxes = adaptor.getBoxes(), scores = adaptor.getScores();
    auto boxesType = cast<RankedTensorType>(boxes.getType());
    auto scoresType = cast<RankedTensorType>(scores.getType());
    Type floatType = boxesType.getElementType();
    if (!isa<FloatType>(floatType))
      return rewriter.notifyMatchFailure(op, "boxes must be floats");
    int64_t batches = boxesType.getDimSize(0), count = boxesType.getDimSize(1);
    int64_t classes = scoresType.getDimSize(1);
    bool centers = op.getCenterPointBox();
    bool scoreThreshold = op.getHasScoreThreshold();
    auto i64 = rewriter.getI64Type(), i1 = rewriter.getI1Type();
    OpBuilder &b = rewriter;
    auto index = [&](int64_t v) {
      return b.create<arith::ConstantIndexOp>(loc, v).getResult();
    };
    auto filled = [&](ArrayRef<int64_t> shape, Type element, Value value) {
      Value empty = b.create<tensor::EmptyOp>(loc, shape, element);
      return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
    };
    Value result = filled(op.getType().getShape(), i64,
                          b.create<arith::ConstantIntOp>(loc, -1, 64));
    // The limits, read in each region of the rounds' loop: no scalar work
    // outside loops, which the GPU mapping would make kernels of their own
    // (the batch and class loops fold away when they run once).
    Value limit, iouThreshold, minScore;
    auto readLimits = [&]() {
      // The limit, clamped to [0, per_class_bound].
      limit = b.create<tensor::ExtractOp>(loc, adaptor.getMaxPerClass(),
                                          ValueRange{});
      limit = b.create<arith::MaxSIOp>(
          loc,
          b.create<arith::MinSIOp>(
              loc, limit,
              b.create<arith::ConstantIntOp>(loc, op.getPerClassBound(), 64)),
          b.create<arith::ConstantIntOp>(loc, 0, 64));
      limit = b.create<arith::IndexCastOp>(loc, b.getIndexType(), limit);
      iouThreshold = b.create<tensor::ExtractOp>(loc, adaptor.getIouThreshold(),
                                                 ValueRange{});
      minScore = b.create<tensor::ExtractOp>(loc, adaptor.getScoreThreshold(),
                                             ValueRange{});
    };
    Value zeroF = scalarConstant(b, loc, floatType, 0);
    Value two = scalarConstant(b, loc, floatType, 2);
    auto cmp = [&](OpBuilder &ob, arith::CmpFPredicate p, Value x, Value y) {
      return ob.create<arith::CmpFOp>(loc, p, x, y).getResult();
    };
    // Python's max(x, y) and min(x, y): y only when it compares so.
    auto pyMax = [&](OpBuilder &ob, Value x, Value y) {
      return ob.create<arith::SelectOp>(
          loc, cmp(ob, arith::CmpFPredicate::OGT, y, x), y, x);
    };
    auto pyMin = [&](OpBuilder &ob, Value x, Value y) {
      return ob.create<arith::SelectOp>(
          loc, cmp(ob, arith::CmpFPredicate::OLT, y, x), y, x);
    };
    // Whether box j (of batch `batch`) is suppressed by box i.
    auto suppresses = [&](OpBuilder &ob, Value batch, Value i, Value j) {
      auto coordinate = [&](Value box, int64_t k) {
        return ob
            .create<tensor::ExtractOp>(loc, boxes,
                                       ValueRange{batch, box, index(k)})
            .getResult();
      };
      Value lo[2][2], hi[2][2]; // [box][x or y]
      Value boxIndex[2] = {i, j};
      for (int k = 0; k < 2; ++k) {
        Value box = boxIndex[k];
        if (centers) {
          for (int axis = 0; axis < 2; ++axis) { // x: 0 and 2, y: 1 and 3
            Value centre = coordinate(box, axis);
            Value half =
                ob.create<arith::DivFOp>(loc, coordinate(box, axis + 2), two);
            lo[k][axis] = ob.create<arith::SubFOp>(loc, centre, half);
            hi[k][axis] = ob.create<arith::AddFOp>(loc, centre, half);
          }
        } else {
          for (int axis = 0; axis < 2; ++axis) { // x: 1 and 3, y: 0 and 2
            Value first = coordinate(box, axis == 0 ? 1 : 0);
            Value second = coordinate(box, axis == 0 ? 3 : 2);
            Value ordered = cmp(ob, arith::CmpFPredicate::OGE, first, second);
            lo[k][axis] =
                ob.create<arith::SelectOp>(loc, ordered, second, first);
            hi[k][axis] =
                ob.create<arith::SelectOp>(loc, ordered, first, second);
          }
        }
      }
      Value ok = ob.create<arith::ConstantIntOp>(loc, 1, 1);
      Value extent[2];
      for (int axis = 0; axis < 2; ++axis) {
        Value from = pyMax(ob, lo[0][axis], lo[1][axis]);
        Value to = pyMin(ob, hi[0][axis], hi[1][axis]);
        ok = ob.create<arith::AndIOp>(
            loc, ok, cmp(ob, arith::CmpFPredicate::OGT, to, from));
        extent[axis] = ob.create<arith::SubFOp>(loc, to, from);
      }
      Value inter = ob.create<arith::MulFOp>(loc, extent[0], extent[1]);
      Value area[2];
      for (int k = 0; k < 2; ++k)
        area[k] = ob.create<arith::MulFOp>(
            loc, ob.create<arith::SubFOp>(loc, hi[k][0], lo[k][0]),
            ob.create<arith::SubFOp>(loc, hi[k][1], lo[k][1]));
      Value both = ob.create<arith::SubFOp>(
          loc, ob.create<arith::AddFOp>(loc, area[0], area[1]), inter);
      for (Value positive : {inter, area[0], area[1], both})
        ok = ob.create<arith::AndIOp>(
            loc, ok, cmp(ob, arith::CmpFPredicate::OGT, positive, zeroF));
      Value iou = ob.create<arith::DivFOp>(loc, inter, both);
      return ob
          .create<arith::AndIOp>(
              loc, ok, cmp(ob, arith::CmpFPredicate::OGT, iou, iouThreshold))
          .getResult();
    };
    Value zero = index(0), one = index(1);
    auto batchLoop = b.create<scf::ForOp>(
        loc, zero, index(batches), one, ValueRange{result, zero},
        [&](OpBuilder &bb, Location, Value batch, ValueRange outer) {
          auto classLoop = bb.create<scf::ForOp>(
              loc, zero, index(classes), one, outer,
              [&](OpBuilder &cb, Location, Value cls, ValueRange state) {
                // The candidates: the boxes above the score threshold, in
                // index order (the rounds scan only these).
                // Their count is kept in a tensor, read where it is used:
                // when the batch and class loops fold away, the GPU mapping
                // makes this loop a kernel of its own, which hands on
                // memory, not values.
                // Without a threshold (or with one box, whose loop would
                // fold away) every box is a candidate.
                bool compactFirst = scoreThreshold && count > 1;
                Value candidates, countHeld, candidateCount;
                auto readCount = [&](OpBuilder &rb) {
                  candidateCount = compactFirst
                                       ? rb.create<tensor::ExtractOp>(
                                               loc, countHeld, ValueRange{zero})
                                             .getResult()
                                       : index(count);
                };
                if (!compactFirst) {
                  SmallVector<int64_t> all(count);
                  for (int64_t k = 0; k < count; ++k)
                    all[k] = k;
                  candidates = cb.create<arith::ConstantOp>(
                      loc,
                      DenseElementsAttr::get(
                          RankedTensorType::get({count}, cb.getIndexType()),
                          ArrayRef<int64_t>(all)));
                } else {
                  Value noCount = filled({1}, cb.getIndexType(), zero);
                  auto compact = cb.create<scf::ForOp>(
                      loc, zero, index(count), one,
                      ValueRange{
                          cb.create<tensor::EmptyOp>(
                              loc, ArrayRef<int64_t>{count}, cb.getIndexType()),
                          noCount, zero},
                      [&](OpBuilder &pb, Location, Value i, ValueRange kept) {
                        Value keep = pb.create<arith::ConstantIntOp>(loc, 1, 1);
                        if (scoreThreshold)
                          keep =
                              cmp(pb, arith::CmpFPredicate::OGT,
                                  pb.create<tensor::ExtractOp>(
                                      loc, scores, ValueRange{batch, cls, i}),
                                  pb.create<tensor::ExtractOp>(
                                      loc, adaptor.getScoreThreshold(),
                                      ValueRange{}));
                        auto add = pb.create<scf::IfOp>(
                            loc, keep,
                            [&](OpBuilder &ab, Location) {
                              Value next =
                                  ab.create<arith::AddIOp>(loc, kept[2], one);
                              ab.create<scf::YieldOp>(
                                  loc,
                                  ValueRange{
                                      ab.create<tensor::InsertOp>(
                                          loc, i, kept[0], ValueRange{kept[2]}),
                                      ab.create<tensor::InsertOp>(
                                          loc, next, kept[1], ValueRange{zero}),
                                      next});
                            },
                            [&](OpBuilder &ab, Location) {
                              ab.create<scf::YieldOp>(loc, kept);
                            });
                        pb.create<scf::YieldOp>(loc, add.getResults());
                      });
                  candidates = compact.getResult(0);
                  countHeld = compact.getResult(1);
                }
                Value marks = filled(
                    {count}, i1, cb.create<arith::ConstantIntOp>(loc, 0, 1));
                // (result, position, marks, rounds: the selected, or the
                // limit once no candidate is left)
                SmallVector<Value> inits = {state[0], state[1], marks, zero};
                SmallVector<Type> types =
                    llvm::to_vector(ValueRange(inits).getTypes());
                auto rounds = cb.create<scf::WhileOp>(
                    loc, types, inits,
                    [&](OpBuilder &wb, Location, ValueRange args) {
                      readLimits();
                      Value more = wb.create<arith::CmpIOp>(
                          loc, arith::CmpIPredicate::ult, args[3], limit);
                      wb.create<scf::ConditionOp>(loc, more, args);
                    },
                    [&](OpBuilder &wb, Location, ValueRange args) {
                      readLimits();
                      readCount(wb);
                      Value noScore = scalarConstant(wb, loc, floatType, 0);
                      Value notFound =
                          wb.create<arith::ConstantIntOp>(loc, 0, 1);
                      auto scan = wb.create<scf::ForOp>(
                          loc, zero, candidateCount, one,
                          ValueRange{noScore, zero, notFound},
                          [&](OpBuilder &sb, Location, Value i,
                              ValueRange best) {
                            Value box = sb.create<tensor::ExtractOp>(
                                loc, candidates, ValueRange{i});
                            Value score = sb.create<tensor::ExtractOp>(
                                loc, scores, ValueRange{batch, cls, box});
                            Value marked = sb.create<tensor::ExtractOp>(
                                loc, args[2], ValueRange{i});
                            Value eligible = sb.create<arith::XOrIOp>(
                                loc, marked,
                                sb.create<arith::ConstantIntOp>(loc, 1, 1));
                            if (scoreThreshold && !compactFirst)
                              eligible = sb.create<arith::AndIOp>(
                                  loc, eligible,
                                  cmp(sb, arith::CmpFPredicate::OGT, score,
                                      minScore));
                            // Strictly better: the first of equals stays.
                            Value better = sb.create<arith::OrIOp>(
                                loc,
                                sb.create<arith::XOrIOp>(
                                    loc, best[2],
                                    sb.create<arith::ConstantIntOp>(loc, 1, 1)),
                                cmp(sb, arith::CmpFPredicate::OGT, score,
                                    best[0]));
                            Value take =
                                sb.create<arith::AndIOp>(loc, eligible, better);
                            sb.create<scf::YieldOp>(
                                loc, ValueRange{sb.create<arith::SelectOp>(
                                                    loc, take, score, best[0]),
                                                sb.create<arith::SelectOp>(
                                                    loc, take, i, best[1]),
                                                sb.create<arith::OrIOp>(
                                                    loc, take, best[2])});
                          });
                      // The candidate's place, and its box.
                      Value place = scan.getResult(1);
                      Value chosen = wb.create<tensor::ExtractOp>(
                          loc, candidates, ValueRange{place});
                      auto pick = wb.create<scf::IfOp>(
                          loc, scan.getResult(2),
                          [&](OpBuilder &tb, Location) {
                            Value row = args[1];
                            Value written = args[0];
                            Value fields[3] = {batch, cls, chosen};
                            for (int k = 0; k < 3; ++k)
                              written = tb.create<tensor::InsertOp>(
                                  loc,
                                  tb.create<arith::IndexCastOp>(loc, i64,
                                                                fields[k]),
                                  written, ValueRange{row, index(k)});
                            Value chosenMarked = tb.create<tensor::InsertOp>(
                                loc, tb.create<arith::ConstantIntOp>(loc, 1, 1),
                                args[2], ValueRange{place});
                            auto mark = tb.create<scf::ForOp>(
                                loc, zero, candidateCount, one,
                                ValueRange{chosenMarked},
                                [&](OpBuilder &mb, Location, Value q,
                                    ValueRange current) {
                                  Value was = mb.create<tensor::ExtractOp>(
                                      loc, current[0], ValueRange{q});
                                  Value other = mb.create<tensor::ExtractOp>(
                                      loc, candidates, ValueRange{q});
                                  Value now = mb.create<arith::OrIOp>(
                                      loc, was,
                                      suppresses(mb, batch, chosen, other));
                                  mb.create<scf::YieldOp>(
                                      loc,
                                      ValueRange{mb.create<tensor::InsertOp>(
                                          loc, now, current[0],
                                          ValueRange{q})});
                                });
                            tb.create<scf::YieldOp>(
                                loc, ValueRange{written,
                                                tb.create<arith::AddIOp>(
                                                    loc, row, one),
                                                mark.getResult(0),
                                                tb.create<arith::AddIOp>(
                                                    loc, args[3], one)});
                          },
                          [&](OpBuilder &eb, Location) {
                            eb.create<scf::YieldOp>(
                                loc,
                                ValueRange{args[0], args[1], args[2], limit});
                          });
                      wb.create<scf::YieldOp>(loc, pick.getResults());
                    });
                cb.create<scf::YieldOp>(
                    loc, ValueRange{rounds.getResult(0), rounds.getResult(1)});
              });
          bb.create<scf::YieldOp>(loc, classLoop.getResults());
        });
    rewriter.replaceOp(op, batchLoop.getResult(0));
    return success();
  }
};

} // namespace

void dlc::populateIndexingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>, GatherElementsLowering,
               GatherNDLowering, CumSumLowering,
               ScatterLowering<ScatterElementsOp>, ScatterLowering<ScatterNDOp>,
               TopKLowering, NonMaxSuppressionLowering>(patterns.getContext());
}
