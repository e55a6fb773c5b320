//===- LowerIndexingOps.cpp - Index-computing dlc ops to linalg -----------===//
//
// Ops whose result depends on element positions: arg_max/arg_min (a
// reduction carrying value and index), gather_elements and gather_nd
// (data-dependent reads), scatter_elements and scatter_nd (data-dependent
// writes, a loop nest over the updates), cumsum (a running sum, one scf.for
// per row), top_k (selection rounds, or a merge sort, per row) and
// non_max_suppression (a merge sort and a greedy walk per batch and class).
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/conversion/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cstdint>
#include <limits>

using namespace mlir;
using namespace dlc;

namespace {

/// A scf.for nest over `shape` carrying several tensors; `body` gets the
/// loop indices and the carried tensors and returns their next values.
SmallVector<Value>
buildTensorsLoopNest(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                     ValueRange inits,
                     function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                     ValueRange, ValueRange)>
                         body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t size : shape) {
    lbs.push_back(b.create<arith::ConstantIndexOp>(loc, 0));
    ubs.push_back(b.create<arith::ConstantIndexOp>(loc, size));
    steps.push_back(b.create<arith::ConstantIndexOp>(loc, 1));
  }
  scf::LoopNest nest =
      scf::buildLoopNest(b, loc, lbs, ubs, steps, inits,
                         [&](OpBuilder &inner, Location at, ValueRange ivs,
                             ValueRange carried) -> scf::ValueVector {
                           return body(inner, at, ivs, carried);
                         });
  if (nest.results.empty())
    return SmallVector<Value>(inits);
  return SmallVector<Value>(nest.results);
}

/// As buildTensorsLoopNest, carrying one tensor.
Value buildTensorLoopNest(
    OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value init,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  return buildTensorsLoopNest(b, loc, shape, init,
                              [&](OpBuilder &inner, Location at, ValueRange ivs,
                                  ValueRange carried) -> SmallVector<Value> {
                                return {body(inner, at, ivs, carried[0])};
                              })[0];
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

/// Whether orderedKey packs values of `type`: floats and integers of 32
/// bits or fewer.
bool packsAsKey(Type type) {
  return isa<FloatType, IntegerType>(type) &&
         type.getIntOrFloatBitWidth() <= 32;
}

/// An i64 key of `value` (see packsAsKey) and `position` (below 2^32): the
/// value's order-preserving bits (flipped when `descending`) above the
/// position, so one unsigned comparison ranks by value, then by position.
/// Floats order as ordersAbove does: NaN above every number (a NaN of
/// either sign), -0 equal to +0; integers are signed.
Value orderedKey(OpBuilder &b, Location loc, Value value, Value position,
                 bool descending) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value ordered;
  if (isa<FloatType>(value.getType())) {
    Type f32 = b.getF32Type();
    if (value.getType() != f32)
      value = b.create<arith::ExtFOp>(loc, f32, value);
    value = b.create<arith::AddFOp>(loc, value, scalarConstant(b, loc, f32, 0));
    Value isNaN =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, value, value);
    value = b.create<arith::SelectOp>(
        loc, isNaN,
        b.create<arith::ConstantOp>(
            loc, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN())),
        value);
    Value bits = b.create<arith::BitcastOp>(loc, i32, value);
    Value negative =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, bits,
                                b.create<arith::ConstantIntOp>(loc, 0, 32));
    // Negatives flipped whole, positives with the sign bit set.
    ordered = b.create<arith::SelectOp>(
        loc, negative,
        b.create<arith::XOrIOp>(loc, bits,
                                b.create<arith::ConstantIntOp>(loc, -1, 32)),
        b.create<arith::XOrIOp>(
            loc, bits, b.create<arith::ConstantIntOp>(loc, INT32_MIN, 32)));
  } else {
    if (value.getType() != i32)
      value = b.create<arith::ExtSIOp>(loc, i32, value);
    ordered = b.create<arith::XOrIOp>(
        loc, value, b.create<arith::ConstantIntOp>(loc, INT32_MIN, 32));
  }
  if (descending)
    ordered = b.create<arith::XOrIOp>(
        loc, ordered, b.create<arith::ConstantIntOp>(loc, -1, 32));
  Value high =
      b.create<arith::ShLIOp>(loc, b.create<arith::ExtUIOp>(loc, i64, ordered),
                              b.create<arith::ConstantIntOp>(loc, 32, 64));
  return b.create<arith::OrIOp>(
      loc, high, b.create<arith::IndexCastOp>(loc, i64, position));
}

/// The position held in an orderedKey.
Value keyPosition(OpBuilder &b, Location loc, Value key) {
  Value low = b.create<arith::AndIOp>(
      loc, key, b.create<arith::ConstantIntOp>(loc, 0xffffffffLL, 64));
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), low);
}

/// Sorts the first `count` entries of `order` (a tensor of index, at least
/// `count` long) stably: entry y goes before entry x only where
/// `before(y, x)`. A bottom-up merge sort, O(count log count) comparisons:
/// each pass merges every pair of sorted runs of one width from one buffer
/// into the other, and each round of the loop makes two passes (there and
/// back), so each buffer stays one value of the loop (one-shot
/// bufferization's in-place rule) and the result ends where it began.
/// `scratch` (as long as `order`) is the other buffer; both are returned,
/// the sorted entries first. `count` is read in each loop region (as the
/// callers' limits: the GPU mapping hands memory between kernels, not
/// values); entries past it are left undefined.
std::pair<Value, Value>
stableSort(OpBuilder &b, Location loc, Value order, Value scratch,
           function_ref<Value(OpBuilder &)> readCount,
           function_ref<Value(OpBuilder &, Value, Value)> before) {
  auto type = cast<RankedTensorType>(order.getType());
  auto index = [&](OpBuilder &ob, int64_t v) {
    return ob.create<arith::ConstantIndexOp>(loc, v).getResult();
  };
  // One pass: the runs of `width` in `source` merged pairwise into
  // `target`. A single run (width >= count) is copied.
  auto mergePass = [&](OpBuilder &wb, Value source, Value target, Value width) {
    Value count = readCount(wb);
    Value span = wb.create<arith::AddIOp>(loc, width, width);
    Value last = wb.create<arith::SubIOp>(loc, count, index(wb, 1));
    auto runs = wb.create<scf::ForOp>(
        loc, index(wb, 0), count, span, ValueRange{target},
        [&](OpBuilder &rb, Location, Value lo, ValueRange into) {
          Value mid = rb.create<arith::MinUIOp>(
              loc, rb.create<arith::AddIOp>(loc, lo, width), count);
          Value hi = rb.create<arith::MinUIOp>(
              loc, rb.create<arith::AddIOp>(loc, lo, span), count);
          auto merge = rb.create<scf::ForOp>(
              loc, lo, hi, index(rb, 1), ValueRange{into[0], lo, mid},
              [&](OpBuilder &mb, Location, Value k, ValueRange m) {
                Value i = m[1], j = m[2];
                // Both heads read at a valid place; a run's end is decided
                // by the bounds, not by the values read.
                Value x = mb.create<tensor::ExtractOp>(
                    loc, source,
                    ValueRange{mb.create<arith::MinUIOp>(loc, i, last)});
                Value y = mb.create<tensor::ExtractOp>(
                    loc, source,
                    ValueRange{mb.create<arith::MinUIOp>(loc, j, last)});
                Value leftLeft = mb.create<arith::CmpIOp>(
                    loc, arith::CmpIPredicate::ult, i, mid);
                Value rightDone = mb.create<arith::CmpIOp>(
                    loc, arith::CmpIPredicate::uge, j, hi);
                Value takeLeft = mb.create<arith::AndIOp>(
                    loc, leftLeft,
                    mb.create<arith::OrIOp>(
                        loc, rightDone,
                        mb.create<arith::XOrIOp>(
                            loc, before(mb, y, x),
                            mb.create<arith::ConstantIntOp>(loc, 1, 1))));
                Value merged = mb.create<tensor::InsertOp>(
                    loc, mb.create<arith::SelectOp>(loc, takeLeft, x, y), m[0],
                    ValueRange{k});
                Value stepLeft = mb.create<arith::SelectOp>(
                    loc, takeLeft, index(mb, 1), index(mb, 0));
                Value stepRight =
                    mb.create<arith::SubIOp>(loc, index(mb, 1), stepLeft);
                mb.create<scf::YieldOp>(
                    loc, ValueRange{
                             merged, mb.create<arith::AddIOp>(loc, i, stepLeft),
                             mb.create<arith::AddIOp>(loc, j, stepRight)});
              });
          rb.create<scf::YieldOp>(loc, merge.getResult(0));
        });
    return runs.getResult(0);
  };
  auto rounds = b.create<scf::WhileOp>(
      loc, TypeRange{type, type, b.getIndexType()},
      ValueRange{order, scratch, index(b, 1)},
      [&](OpBuilder &wb, Location, ValueRange args) {
        Value more = wb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                              args[2], readCount(wb));
        wb.create<scf::ConditionOp>(loc, more, args);
      },
      [&](OpBuilder &wb, Location, ValueRange args) {
        Value width = args[2];
        Value doubled = wb.create<arith::AddIOp>(loc, width, width);
        Value there = mergePass(wb, args[0], args[1], width);
        Value back = mergePass(wb, there, args[0], doubled);
        wb.create<scf::YieldOp>(
            loc, ValueRange{back, there,
                            wb.create<arith::AddIOp>(loc, doubled, doubled)});
      });
  return {rounds.getResult(0), rounds.getResult(1)};
}

/// Per row along `axis`, for small k, k selection rounds: round j scans the
/// row for the best element ranked after the one round j-1 chose (by value,
/// then by index), so no scratch marks are needed; O(k * n) per row. For
/// larger k the row's positions are merge-sorted by rank (value, then
/// index) and the first k taken, O(n log n); when k is at most a quarter
/// of the row, only the best k, kept in a heap as the row is scanned, are
/// sorted.
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
    // k rounds of a scan cost k * n comparisons, a merge sort about
    // n * log2(n): the rounds for the small k of classification heads and
    // beam search, the sort for large k (argsort, Unique).
    // A k of a quarter of the row or less keeps the best k in a heap while
    // the row is scanned (O(n + k log k log(n/k)) on most data, n log k at
    // worst), then sorts those k.
    int64_t k = type.getDimSize(axis);
    bool sortRow = k > 2 * llvm::Log2_64_Ceil(std::max<int64_t>(size, 1));
    bool heapFirst = sortRow && 4 * k <= size;
    bool largest = op.getLargest();
    // x ranks before y: better value, or equal value and lower index.
    auto better = [&](OpBuilder &b, Location at, Value x, Value y) {
      return largest ? ordersAbove(b, at, x, y) : ordersAbove(b, at, y, x);
    };
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape.erase(rowShape.begin() + axis);
    Value init = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                  type.getElementType());
    // The sort's two buffers, carried through the rows (no allocation
    // inside the loops, which the GPU mapping runs as one kernel).
    // A whole row of 32-bit or narrower values sorts as orderedKeys: one
    // comparison, no value read.
    int64_t listed = heapFirst ? k : size;
    bool sortKeys = sortRow && !heapFirst && packsAsKey(elementType);
    Type heldType =
        sortKeys ? Type(rewriter.getI64Type()) : rewriter.getIndexType();
    SmallVector<Value> inits = {init};
    if (sortRow)
      for (int copy = 0; copy < 2; ++copy)
        inits.push_back(rewriter.create<tensor::EmptyOp>(
            loc, ArrayRef<int64_t>{listed}, heldType));
    SmallVector<Value> results = buildTensorsLoopNest(
        rewriter, loc, rowShape, inits,
        [&](OpBuilder &b, Location at, ValueRange row,
            ValueRange carried) -> SmallVector<Value> {
          Value acc = carried[0];
          auto coordinates = [&](Value position) {
            SmallVector<Value> where(row);
            where.insert(where.begin() + axis, position);
            return where;
          };
          Value zero = b.create<arith::ConstantIndexOp>(at, 0);
          Value one = b.create<arith::ConstantIndexOp>(at, 1);
          if (sortRow) {
            auto constant = [&](OpBuilder &ob, int64_t v) {
              return ob.create<arith::ConstantIndexOp>(at, v).getResult();
            };
            auto valueAt = [&](OpBuilder &ob, Value position) {
              return ob.create<tensor::ExtractOp>(at, input,
                                                  coordinates(position));
            };
            // Position y ranks before position x: a better value, or an
            // equal one at a lower position (a total order).
            auto ranksBefore = [&](OpBuilder &ob, Value y, Value x) {
              Value vy = valueAt(ob, y), vx = valueAt(ob, x);
              return ob
                  .create<arith::OrIOp>(
                      at, better(ob, at, vy, vx),
                      ob.create<arith::AndIOp>(
                          at, ordersEqual(ob, at, vy, vx),
                          ob.create<arith::CmpIOp>(
                              at, arith::CmpIPredicate::ult, y, x)))
                  .getResult();
            };
            // The positions to sort: the whole row, or the best k of it.
            Value positions =
                b.create<scf::ForOp>(
                     at, zero, constant(b, listed), one, ValueRange{carried[1]},
                     [&](OpBuilder &pb, Location pl, Value i, ValueRange held) {
                       Value entry =
                           sortKeys
                               ? orderedKey(pb, pl, valueAt(pb, i), i, largest)
                               : i;
                       pb.create<scf::YieldOp>(
                           pl, ValueRange{pb.create<tensor::InsertOp>(
                                   pl, entry, held[0], ValueRange{i})});
                     })
                    .getResult(0);
            if (heapFirst) {
              // A heap of the best k so far, the one ranked last at its
              // root: a later position replaces the root when it ranks
              // before it (strictly better: equals come later in the row).
              auto siftDown = [&](OpBuilder &ob, Value heap, Value start) {
                auto sift = ob.create<scf::WhileOp>(
                    at,
                    TypeRange{heap.getType(), ob.getIndexType(),
                              ob.getI1Type()},
                    ValueRange{heap, start,
                               ob.create<arith::ConstantIntOp>(at, 1, 1)},
                    [&](OpBuilder &cb, Location, ValueRange args) {
                      cb.create<scf::ConditionOp>(at, args[2], args);
                    },
                    [&](OpBuilder &sb, Location, ValueRange args) {
                      Value node = args[1];
                      Value left = sb.create<arith::AddIOp>(
                          at, sb.create<arith::AddIOp>(at, node, node),
                          constant(sb, 1));
                      Value right =
                          sb.create<arith::AddIOp>(at, left, constant(sb, 1));
                      Value last = constant(sb, k - 1);
                      Value hasLeft = sb.create<arith::CmpIOp>(
                          at, arith::CmpIPredicate::ult, left, constant(sb, k));
                      Value hasRight = sb.create<arith::CmpIOp>(
                          at, arith::CmpIPredicate::ult, right,
                          constant(sb, k));
                      auto heldAt = [&](Value place) {
                        return sb
                            .create<tensor::ExtractOp>(
                                at, args[0],
                                ValueRange{
                                    sb.create<arith::MinUIOp>(at, place, last)})
                            .getResult();
                      };
                      Value here = heldAt(node), l = heldAt(left),
                            r = heldAt(right);
                      // The child ranked last (reads clamped; the flags
                      // decide).
                      Value rightLater = sb.create<arith::AndIOp>(
                          at, hasRight, ranksBefore(sb, l, r));
                      Value child = sb.create<arith::SelectOp>(at, rightLater,
                                                               right, left);
                      Value childPosition =
                          sb.create<arith::SelectOp>(at, rightLater, r, l);
                      Value swap = sb.create<arith::AndIOp>(
                          at, hasLeft, ranksBefore(sb, here, childPosition));
                      auto step = sb.create<scf::IfOp>(
                          at, swap,
                          [&](OpBuilder &tb, Location) {
                            Value moved = tb.create<tensor::InsertOp>(
                                at, childPosition, args[0], ValueRange{node});
                            moved = tb.create<tensor::InsertOp>(
                                at, here, moved, ValueRange{child});
                            tb.create<scf::YieldOp>(
                                at, ValueRange{moved, child, swap});
                          },
                          [&](OpBuilder &eb, Location) {
                            eb.create<scf::YieldOp>(
                                at, ValueRange{args[0], node, swap});
                          });
                      sb.create<scf::YieldOp>(at, step.getResults());
                    });
                return sift.getResult(0);
              };
              // Heapify the first k positions, then scan the rest.
              Value heap =
                  b.create<scf::ForOp>(
                       at, zero, constant(b, k / 2), one, ValueRange{positions},
                       [&](OpBuilder &hb, Location, Value j, ValueRange held) {
                         Value node = hb.create<arith::SubIOp>(
                             at, constant(hb, k / 2 - 1), j);
                         hb.create<scf::YieldOp>(
                             at, ValueRange{siftDown(hb, held[0], node)});
                       })
                      .getResult(0);
              positions =
                  b.create<scf::ForOp>(
                       at, constant(b, k), constant(b, size), one,
                       ValueRange{heap},
                       [&](OpBuilder &hb, Location, Value i, ValueRange held) {
                         Value root = hb.create<tensor::ExtractOp>(
                             at, held[0], ValueRange{zero});
                         auto enter = hb.create<scf::IfOp>(
                             at, ranksBefore(hb, i, root),
                             [&](OpBuilder &tb, Location) {
                               Value replaced = tb.create<tensor::InsertOp>(
                                   at, i, held[0], ValueRange{zero});
                               tb.create<scf::YieldOp>(
                                   at,
                                   ValueRange{siftDown(tb, replaced, zero)});
                             },
                             [&](OpBuilder &eb, Location) {
                               eb.create<scf::YieldOp>(at, held[0]);
                             });
                         hb.create<scf::YieldOp>(at, enter.getResults());
                       })
                      .getResult(0);
            }
            // Sorted by rank, the first k written. The whole row sorts
            // stably by value (equal values keep index order); the heap's k
            // are out of order, so the index breaks their ties.
            auto [sorted, scratch] = stableSort(
                b, at, positions, carried[2],
                [&](OpBuilder &ob) { return constant(ob, listed); },
                [&](OpBuilder &ob, Value y, Value x) -> Value {
                  if (heapFirst)
                    return ranksBefore(ob, y, x);
                  if (sortKeys)
                    return ob.create<arith::CmpIOp>(
                        at, arith::CmpIPredicate::ult, y, x);
                  Value vy = valueAt(ob, y), vx = valueAt(ob, x);
                  return better(ob, at, vy, vx);
                });
            Value written =
                b.create<scf::ForOp>(
                     at, zero, b.create<arith::ConstantIndexOp>(at, k), one,
                     ValueRange{acc},
                     [&](OpBuilder &wb, Location wl, Value r, ValueRange held) {
                       Value position = wb.create<tensor::ExtractOp>(
                           wl, sorted, ValueRange{r});
                       if (sortKeys)
                         position = keyPosition(wb, wl, position);
                       wb.create<scf::YieldOp>(
                           wl, ValueRange{wb.create<tensor::InsertOp>(
                                   wl,
                                   wb.create<arith::IndexCastOp>(
                                       wl, wb.getI64Type(), position),
                                   held[0], coordinates(r))});
                     })
                    .getResult(0);
            return {written, sorted, scratch};
          }
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
          return {rounds.getResult(2)};
        });
    rewriter.replaceOp(op, results[0]);
    return success();
  }
};

/// NonMaxSuppression per batch and class: the candidates (boxes above the
/// score threshold) are listed and merge-sorted by score (highest first,
/// equal scores in index order: ONNX's reference order); each in turn is
/// selected unless a box selected before it suppresses it, until none is
/// left or max_per_class are selected. O(candidates * (log candidates +
/// selected)) per class; the IoU test is ONNX's reference's, in the boxes'
/// type.
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
    // The rows (those past the count are left undefined) and their count.
    Value result = b.create<tensor::EmptyOp>(
        loc, op.getResult().getType().getShape(), i64);
    Value noRows = filled({}, i64, b.create<arith::ConstantIntOp>(loc, 0, 64));
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
        loc, zero, index(batches), one, ValueRange{result, zero, noRows},
        [&](OpBuilder &bb, Location, Value batch, ValueRange outer) {
          auto classLoop = bb.create<scf::ForOp>(
              loc, zero, index(classes), one, outer,
              [&](OpBuilder &cb, Location, Value cls, ValueRange state) {
                // The candidates: the boxes above the score threshold, in
                // index order. Scores of 32 bits or fewer are listed as
                // keys, the score's order-preserving bits (flipped: higher
                // first) above the box index, so one unsigned comparison
                // orders them as ONNX's reference does (higher score, then
                // lower index) and the sort reads no score.
                // Their count is kept in a tensor, read where it is used:
                // when the batch and class loops fold away, the GPU mapping
                // makes this loop a kernel of its own, which hands on
                // memory, not values.
                // With one box (whose loop would fold away) or without a
                // threshold and keys, every box is a candidate.
                bool packKeys = packsAsKey(floatType) && count > 1;
                bool listFirst = (scoreThreshold && count > 1) || packKeys;
                Type heldType = packKeys ? Type(i64) : b.getIndexType();
                Value candidates, countHeld, candidateCount;
                auto readCount = [&](OpBuilder &rb) {
                  candidateCount =
                      listFirst ? rb.create<tensor::ExtractOp>(loc, countHeld,
                                                               ValueRange{zero})
                                      .getResult()
                                : index(count);
                };
                // The box a listed candidate stands for.
                auto boxOf = [&](OpBuilder &ob, Value held) -> Value {
                  return packKeys ? keyPosition(ob, loc, held) : held;
                };
                if (!listFirst) {
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
                  auto list = cb.create<scf::ForOp>(
                      loc, zero, index(count), one,
                      ValueRange{cb.create<tensor::EmptyOp>(
                                     loc, ArrayRef<int64_t>{count}, heldType),
                                 noCount, zero},
                      [&](OpBuilder &pb, Location, Value i, ValueRange kept) {
                        Value score = pb.create<tensor::ExtractOp>(
                            loc, scores, ValueRange{batch, cls, i});
                        Value keep = pb.create<arith::ConstantIntOp>(loc, 1, 1);
                        if (scoreThreshold)
                          keep = cmp(pb, arith::CmpFPredicate::OGT, score,
                                     pb.create<tensor::ExtractOp>(
                                         loc, adaptor.getScoreThreshold(),
                                         ValueRange{}));
                        auto add = pb.create<scf::IfOp>(
                            loc, keep,
                            [&](OpBuilder &ab, Location) {
                              Value next =
                                  ab.create<arith::AddIOp>(loc, kept[2], one);
                              Value held = packKeys
                                               ? orderedKey(ab, loc, score, i,
                                                            /*descending=*/true)
                                               : i;
                              ab.create<scf::YieldOp>(
                                  loc, ValueRange{ab.create<tensor::InsertOp>(
                                                      loc, held, kept[0],
                                                      ValueRange{kept[2]}),
                                                  ab.create<tensor::InsertOp>(
                                                      loc, next, kept[1],
                                                      ValueRange{zero}),
                                                  next});
                            },
                            [&](OpBuilder &ab, Location) {
                              ab.create<scf::YieldOp>(loc, kept);
                            });
                        pb.create<scf::YieldOp>(loc, add.getResults());
                      });
                  candidates = list.getResult(0);
                  countHeld = list.getResult(1);
                }
                // The candidates by score, highest first (stably: equal
                // scores keep index order).
                Value ranked =
                    stableSort(
                        cb, loc, candidates,
                        cb.create<tensor::EmptyOp>(
                            loc, ArrayRef<int64_t>{count},
                            cast<RankedTensorType>(candidates.getType())
                                .getElementType()),
                        [&](OpBuilder &ob) {
                          readCount(ob);
                          return candidateCount;
                        },
                        [&](OpBuilder &ob, Value y, Value x) -> Value {
                          if (packKeys)
                            return ob.create<arith::CmpIOp>(
                                loc, arith::CmpIPredicate::ult, y, x);
                          Value sy = ob.create<tensor::ExtractOp>(
                              loc, scores, ValueRange{batch, cls, y});
                          Value sx = ob.create<tensor::ExtractOp>(
                              loc, scores, ValueRange{batch, cls, x});
                          return cmp(ob, arith::CmpFPredicate::OGT, sy, sx);
                        })
                        .first;
                // The boxes selected in this class, each candidate tested
                // against them in rank order.
                int64_t keptBound = std::max<int64_t>(
                    1, std::min<int64_t>(op.getPerClassBound(), count));
                Value kept = cb.create<tensor::EmptyOp>(
                    loc, ArrayRef<int64_t>{keptBound}, cb.getIndexType());
                // (result, row, kept, selected, next candidate, row count:
                // held in a tensor, as the candidates' count, and written
                // with each row: the GPU mapping hands memory between
                // kernels, not values)
                SmallVector<Value> inits = {state[0], state[1], kept,
                                            zero,     zero,     state[2]};
                SmallVector<Type> types =
                    llvm::to_vector(ValueRange(inits).getTypes());
                auto walk = cb.create<scf::WhileOp>(
                    loc, types, inits,
                    [&](OpBuilder &wb, Location, ValueRange args) {
                      readLimits();
                      readCount(wb);
                      Value more = wb.create<arith::AndIOp>(
                          loc,
                          wb.create<arith::CmpIOp>(
                              loc, arith::CmpIPredicate::ult, args[3], limit),
                          wb.create<arith::CmpIOp>(loc,
                                                   arith::CmpIPredicate::ult,
                                                   args[4], candidateCount));
                      wb.create<scf::ConditionOp>(loc, more, args);
                    },
                    [&](OpBuilder &wb, Location, ValueRange args) {
                      readLimits();
                      Value box =
                          boxOf(wb, wb.create<tensor::ExtractOp>(
                                        loc, ranked, ValueRange{args[4]}));
                      Value keep = wb.create<arith::ConstantIntOp>(loc, 1, 1);
                      if (scoreThreshold && !listFirst)
                        keep =
                            cmp(wb, arith::CmpFPredicate::OGT,
                                wb.create<tensor::ExtractOp>(
                                    loc, scores, ValueRange{batch, cls, box}),
                                minScore);
                      // Suppressed by a selected box? (stops at the first)
                      Value no = wb.create<arith::ConstantIntOp>(loc, 0, 1);
                      auto test = wb.create<scf::WhileOp>(
                          loc, TypeRange{b.getIndexType(), i1},
                          ValueRange{zero, no},
                          [&](OpBuilder &tb, Location, ValueRange t) {
                            Value more = tb.create<arith::AndIOp>(
                                loc,
                                tb.create<arith::CmpIOp>(
                                    loc, arith::CmpIPredicate::ult, t[0],
                                    args[3]),
                                tb.create<arith::XOrIOp>(
                                    loc, t[1],
                                    tb.create<arith::ConstantIntOp>(loc, 1,
                                                                    1)));
                            tb.create<scf::ConditionOp>(loc, more, t);
                          },
                          [&](OpBuilder &tb, Location, ValueRange t) {
                            Value selected = tb.create<tensor::ExtractOp>(
                                loc, args[2], ValueRange{t[0]});
                            tb.create<scf::YieldOp>(
                                loc,
                                ValueRange{
                                    tb.create<arith::AddIOp>(loc, t[0], one),
                                    suppresses(tb, batch, selected, box)});
                          });
                      keep = wb.create<arith::AndIOp>(
                          loc, keep,
                          wb.create<arith::XOrIOp>(
                              loc, test.getResult(1),
                              wb.create<arith::ConstantIntOp>(loc, 1, 1)));
                      Value next = wb.create<arith::AddIOp>(loc, args[4], one);
                      auto pick = wb.create<scf::IfOp>(
                          loc, keep,
                          [&](OpBuilder &tb, Location) {
                            Value row = args[1];
                            Value written = args[0];
                            Value fields[3] = {batch, cls, box};
                            for (int k = 0; k < 3; ++k)
                              written = tb.create<tensor::InsertOp>(
                                  loc,
                                  tb.create<arith::IndexCastOp>(loc, i64,
                                                                fields[k]),
                                  written, ValueRange{row, index(k)});
                            Value keptNow = tb.create<tensor::InsertOp>(
                                loc, box, args[2], ValueRange{args[3]});
                            Value rows =
                                tb.create<arith::AddIOp>(loc, row, one);
                            Value counted = tb.create<tensor::InsertOp>(
                                loc,
                                tb.create<arith::IndexCastOp>(loc, i64, rows),
                                args[5], ValueRange{});
                            tb.create<scf::YieldOp>(
                                loc, ValueRange{written, rows, keptNow,
                                                tb.create<arith::AddIOp>(
                                                    loc, args[3], one),
                                                next, counted});
                          },
                          [&](OpBuilder &eb, Location) {
                            eb.create<scf::YieldOp>(
                                loc, ValueRange{args[0], args[1], args[2],
                                                args[3], next, args[5]});
                          });
                      wb.create<scf::YieldOp>(loc, pick.getResults());
                    });
                cb.create<scf::YieldOp>(loc, ValueRange{walk.getResult(0),
                                                        walk.getResult(1),
                                                        walk.getResult(5)});
              });
          bb.create<scf::YieldOp>(loc, classLoop.getResults());
        });
    rewriter.replaceOp(op, {batchLoop.getResult(0), batchLoop.getResult(2)});
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
