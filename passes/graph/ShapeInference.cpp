//===- ShapeInference.cpp - Make every value's shape static ---------------===//
//
// Re-infers each dlc op's result type from its operands, in program order, so
// that shapes known at the inputs reach every value. Declared sizes must agree
// with the inferred ones; dynamic sizes are replaced by them.
//
//===----------------------------------------------------------------------===//
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/TypeUtilities.h"

namespace dlc {
#define GEN_PASS_DEF_SHAPEINFERENCE
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using namespace dlc;

namespace {

std::string shapeText(RankedTensorType type) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    text += (i ? "," : "") +
            (ShapedType::isDynamic(dim) ? "?" : std::to_string(dim));
  return text + "]";
}

/// The inferred result types of `op` from its current operands, or failure
/// (the op's inference reports why at its location).
LogicalResult inferResultTypes(Operation *op, SmallVectorImpl<Type> &types) {
  if (auto infer = dyn_cast<InferTypeOpInterface>(op))
    return infer.inferReturnTypes(
        op->getContext(), op->getLoc(), op->getOperands(),
        op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
        op->getRegions(), types);
  if (op->hasTrait<OpTrait::SameOperandsAndResultType>()) {
    types.push_back(op->getOperand(0).getType());
    return success();
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    // One dynamic result dim takes what the element count leaves (ONNX -1).
    auto inputType = reshape.getInput().getType();
    auto resultType = reshape.getType();
    if (!inputType.hasStaticShape() || resultType.getNumDynamicDims() != 1) {
      types.push_back(resultType);
      return success();
    }
    int64_t known = 1;
    for (int64_t dim : resultType.getShape())
      if (!ShapedType::isDynamic(dim))
        known *= dim;
    if (known == 0 || inputType.getNumElements() % known != 0)
      return op->emitOpError("cannot reshape ")
             << shapeText(inputType) << " to " << shapeText(resultType);
    SmallVector<int64_t> shape(resultType.getShape());
    for (int64_t &dim : shape)
      if (ShapedType::isDynamic(dim))
        dim = inputType.getNumElements() / known;
    types.push_back(resultType.clone(shape));
    return success();
  }
  llvm::append_range(types, op->getResultTypes());
  return success();
}

/// Refines the result types of the ops in `block`, in order.
LogicalResult refineBlock(Block &block) {
  for (Operation &op : block) {
    if (auto fused = dyn_cast<FusedOp>(&op)) {
      Block &body = fused.getBody().front();
      for (auto [input, argument] :
           llvm::zip(fused.getInputs(), body.getArguments()))
        argument.setType(input.getType());
      if (failed(refineBlock(body)))
        return failure();
      fused.getResult().setType(
          cast<YieldOp>(body.getTerminator()).getValue().getType());
      continue;
    }
    if (!isa<DlcDialect>(op.getDialect()) || isa<ConstantOp, YieldOp>(op))
      continue;
    SmallVector<Type> inferred;
    if (failed(inferResultTypes(&op, inferred)))
      return failure();
    for (auto [result, type] : llvm::zip(op.getResults(), inferred)) {
      auto declared = cast<RankedTensorType>(result.getType());
      auto found = cast<RankedTensorType>(type);
      if (declared.getElementType() != found.getElementType() ||
          failed(verifyCompatibleShape(declared, found)))
        return op.emitOpError("result ")
               << declared << " contradicts the inferred " << found;
      // Keep every size either side knows.
      SmallVector<int64_t> shape;
      for (auto [lhs, rhs] : llvm::zip(declared.getShape(), found.getShape()))
        shape.push_back(ShapedType::isDynamic(lhs) ? rhs : lhs);
      result.setType(declared.clone(shape));
    }
  }
  return success();
}

struct ShapeInferencePass : dlc::impl::ShapeInferenceBase<ShapeInferencePass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    if (function.getBody().getBlocks().size() != 1) {
      function.emitOpError("shape inference needs a single-block body");
      return signalPassFailure();
    }
    Block &body = function.getBody().front();
    if (failed(refineBlock(body)))
      return signalPassFailure();
    auto returnOp = cast<func::ReturnOp>(body.getTerminator());
    function.setType(FunctionType::get(&getContext(),
                                       function.getArgumentTypes(),
                                       returnOp.getOperandTypes()));
    for (Type type : function.getArgumentTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          tensor && tensor.hasStaticShape() &&
          !checkedNumElements(tensor.getShape())) {
        function.emitOpError("argument ")
            << tensor << " holds more than 2^48 elements";
        return signalPassFailure();
      }
    // Verify that what remains is static (lowering needs it) and small
    // enough that sizes and offsets computed from it cannot overflow.
    WalkResult walk = function.walk([&](Operation *op) {
      for (Value result : op->getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (type && !type.hasStaticShape()) {
          op->emitOpError("result ")
              << type
              << " is still dynamic: give the inputs static shapes "
                 "(dlc compile --input-shape)";
          return WalkResult::interrupt();
        }
        if (type && !checkedNumElements(type.getShape())) {
          op->emitOpError("result of shape ")
              << shapeText(type) << " holds more than 2^48 elements";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
