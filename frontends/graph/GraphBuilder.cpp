//===- GraphBuilder.cpp - Build a dlc graph in C++ ------------------------===//
#include "frontends/graph/GraphBuilder.h"
#include "compiler/dialect/DlcBuild.h"
#include "compiler/dialect/DlcDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace dlc {

GraphBuilder::GraphBuilder(MLIRContext &context, StringRef name)
    : context(context), builder(&context) {
  context.loadDialect<DlcDialect, func::FuncDialect>();
  Location loc = NameLoc::get(builder.getStringAttr(name));
  module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func =
      builder.create<func::FuncOp>(loc, name, builder.getFunctionType({}, {}));
  function = func;
  body = func.addEntryBlock();
  builder.setInsertionPointToEnd(body);
}

Value GraphBuilder::build(StringRef opName, ValueRange operands,
                          ArrayRef<NamedAttribute> attrs) {
  // Each op is located at "<op>#<n>", so diagnostics say which call failed.
  std::string where =
      opName.drop_front(4).str() + "#" + std::to_string(opCount++);
  Location loc = NameLoc::get(builder.getStringAttr(where));
  std::string message;
  ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diag) {
    if (message.empty())
      message = where + ": " + diag.str();
    return success();
  });
  Value result = buildInferredOp(builder, loc, opName, operands, attrs);
  if (!result && firstError.empty())
    firstError = message.empty() ? where + ": an operand is invalid" : message;
  return result;
}

Value GraphBuilder::input(StringRef name, ArrayRef<int64_t> shape,
                          Type elementType) {
  auto type = RankedTensorType::get(shape, elementType ? elementType
                                                       : builder.getF32Type());
  inputNames.push_back(name.str());
  return body->addArgument(type, function->getLoc());
}

Value GraphBuilder::constant(ArrayRef<int64_t> shape, ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  if (type.getNumElements() != static_cast<int64_t>(values.size())) {
    if (firstError.empty())
      firstError = "constant of " + std::to_string(type.getNumElements()) +
                   " elements given " + std::to_string(values.size()) +
                   " values";
    return nullptr;
  }
  return builder.create<ConstantOp>(function->getLoc(),
                                    DenseElementsAttr::get(type, values));
}

void GraphBuilder::output(StringRef name, Value value) {
  outputNames.push_back(name.str());
  outputs.push_back(value);
}

Value GraphBuilder::add(Value l, Value r) { return build("dlc.add", {l, r}); }
Value GraphBuilder::sub(Value l, Value r) { return build("dlc.sub", {l, r}); }
Value GraphBuilder::mul(Value l, Value r) { return build("dlc.mul", {l, r}); }
Value GraphBuilder::div(Value l, Value r) { return build("dlc.div", {l, r}); }
Value GraphBuilder::relu(Value x) { return build("dlc.relu", x); }
Value GraphBuilder::sigmoid(Value x) { return build("dlc.sigmoid", x); }
Value GraphBuilder::tanh(Value x) { return build("dlc.tanh", x); }
Value GraphBuilder::matmul(Value l, Value r) {
  return build("dlc.matmul", {l, r});
}

Value GraphBuilder::conv2d(Value x, Value filter, ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> pads, int64_t group) {
  return build(
      "dlc.conv", {x, filter},
      {builder.getNamedAttr("strides", builder.getDenseI64ArrayAttr(strides)),
       builder.getNamedAttr("dilations", builder.getDenseI64ArrayAttr({1, 1})),
       builder.getNamedAttr("pads", builder.getDenseI64ArrayAttr(pads)),
       builder.getNamedAttr("group", builder.getI64IntegerAttr(group))});
}

Value GraphBuilder::maxPool2d(Value x, ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> pads) {
  return build(
      "dlc.max_pool", x,
      {builder.getNamedAttr("kernel_shape",
                            builder.getDenseI64ArrayAttr(kernel)),
       builder.getNamedAttr("strides", builder.getDenseI64ArrayAttr(strides)),
       builder.getNamedAttr("dilations", builder.getDenseI64ArrayAttr({1, 1})),
       builder.getNamedAttr("pads", builder.getDenseI64ArrayAttr(pads)),
       builder.getNamedAttr("ceil_mode", builder.getBoolAttr(false))});
}

Value GraphBuilder::globalAveragePool(Value x) {
  return build(
      "dlc.reduce_mean", x,
      {builder.getNamedAttr("axes", builder.getDenseI64ArrayAttr({2, 3})),
       builder.getNamedAttr("keepdims", builder.getBoolAttr(true))});
}

Value GraphBuilder::softmax(Value x, int64_t axis) {
  return build("dlc.softmax", x,
               builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis)));
}

Value GraphBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  if (!x)
    return nullptr;
  auto type = cast<RankedTensorType>(x.getType());
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (target.getNumElements() != type.getNumElements()) {
    if (firstError.empty())
      firstError = "reshape changes the element count";
    return nullptr;
  }
  return builder.create<ReshapeOp>(function->getLoc(), target, x);
}

Value GraphBuilder::transpose(Value x, ArrayRef<int64_t> perm) {
  return build(
      "dlc.transpose", x,
      builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr(perm)));
}

Value GraphBuilder::concat(ArrayRef<Value> inputs, int64_t axis) {
  return build("dlc.concat", inputs,
               builder.getNamedAttr("axis", builder.getI64IntegerAttr(axis)));
}

OwningOpRef<ModuleOp> GraphBuilder::finish(std::string &error) {
  if (firstError.empty() && llvm::any_of(outputs, [](Value v) { return !v; }))
    firstError = "an output is the result of a failed call";
  if (!firstError.empty()) {
    error = firstError;
    return nullptr;
  }
  auto func = cast<func::FuncOp>(function);
  builder.setInsertionPointToEnd(body);
  builder.create<func::ReturnOp>(func.getLoc(), outputs);
  SmallVector<Type> resultTypes;
  for (Value v : outputs)
    resultTypes.push_back(v.getType());
  func.setFunctionType(
      builder.getFunctionType(body->getArgumentTypes(), resultTypes));
  for (auto [i, name] : llvm::enumerate(inputNames))
    func.setArgAttr(i, dlc::DlcDialect::NameAttrHelper::getNameStr(),
                    builder.getStringAttr(name));
  for (auto [i, name] : llvm::enumerate(outputNames))
    func.setResultAttr(i, dlc::DlcDialect::NameAttrHelper::getNameStr(),
                       builder.getStringAttr(name));
  if (failed(verify(*module))) {
    error = "the graph does not verify";
    return nullptr;
  }
  return std::move(module);
}

} // namespace dlc
