//===- InstrumentKernels.cpp - Profiling marks around each kernel ---------===//
//
// `dlc compile --profile`: the model's entry calls __dlc_profile_mark(i)
// before its kernel i and __dlc_profile_mark(K) before it returns (K
// kernels); the C glue turns the marks into per-kernel times. Each kernel's
// label (its ONNX nodes, or its op name) is kept on the function for the
// glue's table.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace dlc {
#define GEN_PASS_DEF_INSTRUMENTKERNELS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace dlc {

static void collectNodeNames(Location loc, std::vector<std::string> &names) {
  if (auto name = dyn_cast<NameLoc>(loc))
    names.push_back(name.getName().str());
  else if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      collectNodeNames(inner, names);
}

std::vector<std::string> nodeNamesOf(Location loc) {
  std::vector<std::string> names;
  collectNodeNames(loc, names);
  return names;
}

bool isTopLevelKernel(Operation &op) {
  return isa<LoopLikeOpInterface, linalg::LinalgOp, memref::CopyOp,
             func::CallOp, gpu::LaunchOp>(op);
}

} // namespace dlc

namespace {

constexpr const char *kMarkFunction = "__dlc_profile_mark";

struct InstrumentKernelsPass
    : dlc::impl::InstrumentKernelsBase<InstrumentKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.lookupSymbol(kMarkFunction))
      return; // instrumented already
    // Parallel loops' bodies are public too (the glue's launchers call
    // them), but run inside a kernel of the entry: marks there would time
    // them as the entry's first kernels.
    SmallVector<func::FuncOp> entries;
    for (auto function : module.getOps<func::FuncOp>())
      if (function.isPublic() && !function.isExternal() &&
          function.getBody().hasOneBlock() &&
          !function->hasAttr(
              dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr()))
        entries.push_back(function);
    if (entries.empty())
      return;

    OpBuilder builder(module.getContext());
    builder.setInsertionPointToStart(module.getBody());
    auto mark = builder.create<func::FuncOp>(
        module.getLoc(), kMarkFunction,
        builder.getFunctionType({builder.getI32Type()}, {}));
    mark.setPrivate();
    for (func::FuncOp entry : entries)
      instrument(entry, mark, builder);
  }

  void instrument(func::FuncOp entry, func::FuncOp mark, OpBuilder &builder) {
    auto callMark = [&](Operation *before, int32_t index) {
      builder.setInsertionPoint(before);
      Value position =
          builder.create<arith::ConstantIntOp>(before->getLoc(), index, 32);
      builder.create<func::CallOp>(before->getLoc(), mark, position);
    };
    Block &body = entry.getBody().front();
    SmallVector<Operation *> kernels;
    for (Operation &op : body)
      if (dlc::isTopLevelKernel(op))
        kernels.push_back(&op);
    SmallVector<Attribute> labels;
    for (auto [i, op] : llvm::enumerate(kernels)) {
      std::string label;
      for (const std::string &node : dlc::nodeNamesOf(op->getLoc()))
        label += (label.empty() ? "" : ", ") + node;
      labels.push_back(builder.getStringAttr(
          label.empty() ? op->getName().getStringRef().str() : label));
      callMark(op, static_cast<int32_t>(i));
    }
    callMark(body.getTerminator(), static_cast<int32_t>(kernels.size()));
    entry->setAttr(dlc::DlcDialect::KernelLabelsAttrHelper::getNameStr(),
                   builder.getArrayAttr(labels));
  }
};

} // namespace
