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

} // namespace

void dlc::populateIndexingLoweringPatterns(RewritePatternSet &patterns) {
  patterns
      .add<ArgReduceLowering<ArgMaxOp, true>,
           ArgReduceLowering<ArgMinOp, false>, GatherElementsLowering,
           GatherNDLowering, CumSumLowering, ScatterLowering<ScatterElementsOp>,
           ScatterLowering<ScatterNDOp>, TopKLowering>(patterns.getContext());
}
