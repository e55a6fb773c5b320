//===- SignlessIntegers.cpp - Unsigned element types to signless ----------===//
//
// ONNX's UINT8..UINT64 arrive as MLIR's ui8..ui64, which arith (and so the
// lowering) does not take. This pass makes every value signless and spells
// out the unsigned meaning where it differs from the signed one:
//
//   compare, max/min, reduce_max/min, max_pool, arg_max/min, top_k:
//       the sign bit of both sides is flipped (x ^ 0x80..), which maps
//       unsigned order onto signed order, and value results flipped back;
//   div, mod: the operands are zero-extended to i64 and the result
//       truncated; on 64-bit operands the op is marked `unsigned`, which
//       the lowering reads as divui / remui;
//   cast from unsigned: zero extension (to wider integers and, through
//       i64, to floats; a ui64 of 2^63 or more converts x - 2^63 and adds
//       2^63);
//   cast of a float to unsigned: through i64, then truncated;
//   relu, abs: the identity.
//
// Ops whose bits do not depend on signedness (add, mul, and, shifts, equal,
// bitcasts, moves,
// gathers, scatters without max/min, matmul, conv, sums) are only retyped.
// Any other op on unsigned values is an error at the op.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"

namespace dlc {
#define GEN_PASS_DEF_SIGNLESSINTEGERS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

/// The width of `type`'s unsigned element type, or 0.
unsigned unsignedWidth(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isUnsignedInteger())
    return 0;
  return tensor.getElementType().getIntOrFloatBitWidth();
}

/// `type` with a signless element type in place of an unsigned one.
Type signless(Type type) {
  unsigned width = unsignedWidth(type);
  if (!width)
    return type;
  auto tensor = cast<RankedTensorType>(type);
  return tensor.clone(IntegerType::get(type.getContext(), width));
}

RankedTensorType withElementType(Value value, Type elementType) {
  return cast<RankedTensorType>(value.getType()).clone(elementType);
}

/// A rank-0 integer constant of `width` bits (broadcast by the binary ops).
Value intScalar(OpBuilder &b, Location loc, unsigned width, const APInt &bits) {
  auto type = RankedTensorType::get({}, b.getIntegerType(width));
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, bits));
}

/// x ^ 0x80..: unsigned order becomes signed order (and back).
Value flipSignBit(OpBuilder &b, Location loc, Value x, unsigned width) {
  return b.create<XorOp>(
      loc, x, intScalar(b, loc, width, APInt::getSignedMinValue(width)));
}

/// The unsigned `width`-bit value x widened to `wide` bits with zeros.
Value zeroExtend(OpBuilder &b, Location loc, Value x, unsigned width,
                 unsigned wide) {
  Value extended =
      b.create<CastOp>(loc, withElementType(x, b.getIntegerType(wide)), x);
  return b.create<AndOp>(
      loc, extended,
      intScalar(b, loc, wide, APInt::getLowBitsSet(wide, width)));
}

class Rewriter {
public:
  Rewriter(func::FuncOp func) : func(func), builder(func.getContext()) {}

  LogicalResult run() {
    // Original operand types, before any value is retyped.
    SmallVector<std::pair<Operation *, SmallVector<Type>>> ops;
    func.walk([&](Operation *op) {
      if (op != func.getOperation())
        ops.push_back({op, llvm::to_vector(op->getOperandTypes())});
    });
    for (BlockArgument arg : func.getArguments())
      arg.setType(signless(arg.getType()));
    for (auto &[op, operandTypes] : ops)
      if (failed(rewrite(op, operandTypes)))
        return failure();
    auto &body = func.getBody().front();
    func.setFunctionType(
        FunctionType::get(func.getContext(), body.getArgumentTypes(),
                          body.getTerminator()->getOperandTypes()));
    return success();
  }

private:
  LogicalResult rewrite(Operation *op, ArrayRef<Type> operandTypes) {
    unsigned operandWidth = 0;
    for (Type type : operandTypes)
      operandWidth = std::max(operandWidth, unsignedWidth(type));
    unsigned resultWidth = 0;
    for (Type type : op->getResultTypes())
      resultWidth = std::max(resultWidth, unsignedWidth(type));
    if (!operandWidth && !resultWidth)
      return success();
    builder.setInsertionPoint(op);

    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return op->emitOpError("unsigned constants must be dense");
      auto type = cast<RankedTensorType>(signless(dense.getType()));
      constant.setValueAttr(dense.bitcast(type.getElementType()));
      constant.getResult().setType(type);
      return success();
    }
    if (isa<func::ReturnOp>(op) || op->hasTrait<OpTrait::dlc::SignAgnostic>())
      return retype(op);
    if (auto scatter = dyn_cast<ScatterElementsOp>(op))
      return scatterRetype(op, scatter.getReduction());
    if (auto scatter = dyn_cast<ScatterNDOp>(op))
      return scatterRetype(op, scatter.getReduction());
    if (isa<ReluOp, AbsOp>(op)) {
      op->getResult(0).replaceAllUsesWith(op->getOperand(0));
      op->erase();
      return success();
    }
    if (isa<LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, MaxOp, MinOp,
            ReduceMaxOp, ReduceMinOp, MaxPoolOp, ArgMaxOp, ArgMinOp, TopKOp>(
            op))
      return inSignedOrder(op, operandTypes);
    if (isa<DivOp, ModOp>(op))
      return widened(op, operandTypes);
    if (auto castOp = dyn_cast<CastOp>(op))
      return lowerCast(castOp, operandTypes[0]);
    return op->emitOpError("on unsigned integers is not supported yet");
  }

  LogicalResult retype(Operation *op) {
    for (OpResult result : op->getResults())
      result.setType(signless(result.getType()));
    return success();
  }

  LogicalResult scatterRetype(Operation *op, StringRef reduction) {
    if (reduction == "max" || reduction == "min")
      return op->emitOpError("with reduction '")
             << reduction << "' on unsigned integers is not supported yet";
    return retype(op);
  }

  /// The op on sign-flipped operands; unsigned results flipped back.
  LogicalResult inSignedOrder(Operation *op, ArrayRef<Type> operandTypes) {
    Location loc = op->getLoc();
    IRMapping mapping;
    for (auto [operand, type] : llvm::zip(op->getOperands(), operandTypes))
      if (unsigned width = unsignedWidth(type))
        mapping.map(operand, flipSignBit(builder, loc, operand, width));
    Operation *ordered = builder.clone(*op, mapping);
    for (auto [result, replacement] :
         llvm::zip(op->getResults(), ordered->getResults())) {
      Value value = replacement;
      if (unsigned width = unsignedWidth(result.getType())) {
        replacement.setType(signless(result.getType()));
        value = flipSignBit(builder, loc, replacement, width);
      }
      result.replaceAllUsesWith(value);
    }
    op->erase();
    return success();
  }

  /// Unsigned division and remainder in i64 on zero-extended operands; at
  /// 64 bits, the op marked `unsigned` (the lowering's divui / remui).
  LogicalResult widened(Operation *op, ArrayRef<Type> operandTypes) {
    unsigned width = unsignedWidth(operandTypes[0]);
    if (width == 64) {
      op->setAttr(kUnsignedAttr, builder.getUnitAttr());
      return retype(op);
    }
    Location loc = op->getLoc();
    IRMapping mapping;
    for (Value operand : op->getOperands())
      mapping.map(operand, zeroExtend(builder, loc, operand, width, 64));
    Operation *wide = builder.clone(*op, mapping);
    Value result = op->getResult(0);
    wide->getResult(0).setType(
        withElementType(result, builder.getIntegerType(64)));
    Value narrowed = builder.create<CastOp>(loc, signless(result.getType()),
                                            wide->getResult(0));
    result.replaceAllUsesWith(narrowed);
    op->erase();
    return success();
  }

  LogicalResult lowerCast(CastOp op, Type sourceType) {
    Location loc = op.getLoc();
    Value input = op.getInput();
    Type target = op.getType().getElementType();
    unsigned from = unsignedWidth(sourceType);
    Value result;
    if (from && isa<FloatType>(target)) {
      if (from < 64) {
        Value wide = zeroExtend(builder, loc, input, from, 64);
        result = builder.create<CastOp>(loc, op.getType(), wide);
      } else {
        // Below 2^63 the signed cast is right; above, (x ^ 2^63) read as
        // signed is x - 2^63, converted and then offset by 2^63.
        Value low = builder.create<CastOp>(loc, op.getType(), input);
        Value shifted = builder.create<CastOp>(
            loc, op.getType(), flipSignBit(builder, loc, input, 64));
        auto scalarType = RankedTensorType::get({}, target);
        Value offset = builder.create<ConstantOp>(
            loc, DenseElementsAttr::get(scalarType,
                                        builder.getFloatAttr(target, 0x1p63)));
        Value high = builder.create<AddOp>(loc, shifted, offset);
        Value large = builder.create<LessOp>(
            loc, input, intScalar(builder, loc, 64, APInt(64, 0)));
        result = builder.create<SelectOp>(loc, large, high, low);
      }
    } else if (from && target.isIntOrIndex() &&
               target.getIntOrFloatBitWidth() > from) {
      result =
          zeroExtend(builder, loc, input, from, target.getIntOrFloatBitWidth());
    } else if (target.isUnsignedInteger() &&
               target.getIntOrFloatBitWidth() < 64 &&
               isa<FloatType>(
                   cast<RankedTensorType>(sourceType).getElementType())) {
      Value wide = builder.create<CastOp>(
          loc, withElementType(input, builder.getIntegerType(64)), input);
      result = builder.create<CastOp>(loc, signless(op.getType()), wide);
    } else {
      // Truncation, bools and signed sources: the signless cast has the
      // unsigned meaning already.
      return retype(op);
    }
    if (result.getType() != signless(op.getType()))
      result = builder.create<CastOp>(loc, signless(op.getType()), result);
    op.getResult().replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  func::FuncOp func;
  OpBuilder builder;
};

struct SignlessIntegersPass
    : dlc::impl::SignlessIntegersBase<SignlessIntegersPass> {
  void runOnOperation() override {
    if (failed(Rewriter(getOperation()).run()))
      signalPassFailure();
  }
};

} // namespace
