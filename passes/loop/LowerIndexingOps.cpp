//===- LowerIndexingOps.cpp - Index-computing dlc ops to linalg -----------===//
//
// Ops whose result depends on element positions: arg_max/arg_min (a
// reduction carrying value and index), gather_elements and gather_nd
// (data-dependent reads) and cumsum (a running sum, one scf.for per row).
//
//===----------------------------------------------------------------------===//
#include "compiler/DlcDialect.h"
#include "passes/loop/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace dlc;

namespace {

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
          Value index = clampedIndex(b, loc, args[0], size);
          SmallVector<Value> coordinates;
          for (int64_t d = 0; d < rank; ++d)
            coordinates.push_back(
                d == axis ? index : b.create<linalg::IndexOp>(loc, d));
          return b.create<tensor::ExtractOp>(loc, input, coordinates);
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
    int64_t k = indicesType.getShape().back();
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, ValueRange{},
        [&](OpBuilder &b, Location loc, ValueRange) -> Value {
          SmallVector<Value> where, coordinates;
          for (int64_t d = 0; d < tupleRank; ++d)
            where.push_back(b.create<linalg::IndexOp>(loc, d));
          for (int64_t d = 0; d < batchDims; ++d)
            coordinates.push_back(where[d]);
          for (int64_t j = 0; j < k; ++j) {
            SmallVector<Value> at(where);
            at.push_back(b.create<arith::ConstantIndexOp>(loc, j));
            int64_t size = inputType.getDimSize(batchDims + j);
            Value index = clampedIndex(
                b, loc, b.create<tensor::ExtractOp>(loc, indices, at), size);
            coordinates.push_back(index);
          }
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
    // Loops over all other dims: scf.for nests, each row summed in order.
    Value result =
        rewriter.create<tensor::EmptyOp>(loc, type.getShape(), elementType);
    SmallVector<Value> outer;
    std::function<Value(OpBuilder &, int64_t, Value)> nest =
        [&](OpBuilder &b, int64_t d, Value acc) -> Value {
      if (d == rank) {
        Value zero = scalarConstant(b, loc, elementType, 0);
        auto rowLoop = b.create<scf::ForOp>(
            loc, b.create<arith::ConstantIndexOp>(loc, 0),
            b.create<arith::ConstantIndexOp>(loc, size),
            b.create<arith::ConstantIndexOp>(loc, 1), ValueRange{zero, acc},
            [&](OpBuilder &inner, Location at, Value step, ValueRange carried) {
              Value position =
                  reverse
                      ? inner.create<arith::SubIOp>(
                            at,
                            inner.create<arith::ConstantIndexOp>(at, size - 1),
                            step)
                      : step;
              SmallVector<Value> coordinates(outer);
              coordinates.insert(coordinates.begin() + axis, position);
              Value x = inner.create<tensor::ExtractOp>(at, input, coordinates);
              Value sum = addScalars(inner, at, carried[0], x);
              Value stored = exclusive ? carried[0] : sum;
              Value updated = inner.create<tensor::InsertOp>(
                  at, stored, carried[1], coordinates);
              inner.create<scf::YieldOp>(at, ValueRange{sum, updated});
            });
        return rowLoop.getResult(1);
      }
      if (d == axis)
        return nest(b, d + 1, acc);
      auto loop = b.create<scf::ForOp>(
          loc, b.create<arith::ConstantIndexOp>(loc, 0),
          b.create<arith::ConstantIndexOp>(loc, type.getDimSize(d)),
          b.create<arith::ConstantIndexOp>(loc, 1), ValueRange{acc},
          [&](OpBuilder &inner, Location, Value iv, ValueRange carried) {
            outer.push_back(iv);
            Value next = nest(inner, d + 1, carried[0]);
            outer.pop_back();
            inner.create<scf::YieldOp>(loc, next);
          });
      return loop.getResult(0);
    };
    rewriter.replaceOp(op, nest(rewriter, 0, result));
    return success();
  }
};

} // namespace

void dlc::populateIndexingLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>, GatherElementsLowering,
               GatherNDLowering, CumSumLowering>(patterns.getContext());
}
