//===- DlcBuild.cpp - Building dlc ops from untrusted input ---------------===//
#include "compiler/dialect/DlcBuild.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"

using namespace mlir;

Value dlc::buildInferredOp(OpBuilder &builder, Location loc, StringRef name,
                           ValueRange operands,
                           ArrayRef<NamedAttribute> attrs) {
  if (operands.empty() || llvm::any_of(operands, [](Value v) { return !v; }))
    return nullptr;
  // Create with a placeholder result type, then infer the real one from the
  // op itself, whose properties are set up by then.
  OperationState state(loc, name, operands, {builder.getNoneType()}, attrs);
  Operation *op = builder.create(state);
  SmallVector<Type> types;
  if (auto inferring = dyn_cast<InferTypeOpInterface>(op)) {
    if (failed(inferring.inferReturnTypes(
            builder.getContext(), loc, op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types))) {
      op->erase();
      return nullptr;
    }
  } else {
    types.push_back(operands.front().getType());
  }
  if (types.size() != 1) {
    // An op of several results (the first is returned; the others are its
    // users' to take from the defining op).
    OperationState full(loc, name, operands, types, attrs);
    Operation *created = builder.create(full);
    op->erase();
    return created->getResult(0);
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}
