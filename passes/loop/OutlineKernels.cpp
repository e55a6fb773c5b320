//===- OutlineKernels.cpp - One function per sequential kernel ------------===//
//
// After dlc-parallelize-loops, a model's entry function still holds every
// kernel that runs on one thread as an inline loop nest: for DenseNet-121,
// one function of 170,000 LLVM IR lines. LLVM's function passes (dominator
// tree updates, scalar evolution) cost more than linearly in a function's
// size, so such a function takes minutes to optimize. This pass moves each
// outermost scf.for of an entry function into
//
//   @<function>_kernel<k>(buffers..., indices...)   (private, noinline)
//
// and calls it, so LLVM sees many small functions. What crosses is what the
// bare-pointer calling convention allows, as for parallel loops: static
// identity-layout memrefs and index values; constants (and views of what
// crosses) are re-created inside. Global buffers (the weights) cross as
// arguments, so the kernels of a model's repeated layers, which differ only
// in their weights, come out identical (dlc-merge-identical-kernels keeps
// one). Buffers that share no byte are marked noalias.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/loop/BufferOverlap.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

#include <functional>

namespace dlc {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// An op that can be re-created inside the kernel instead of its result
/// being passed in: constants and memref.get_global (no operands), and
/// views (a concat's slot as a strided subview) of what can be passed or
/// re-created; none may have side effects.
bool isRecreatable(Operation *producer) {
  return producer && producer->getNumRegions() == 0 &&
         isMemoryEffectFree(producer) &&
         (producer->getNumOperands() == 0 ||
          isa<ViewLikeOpInterface>(producer));
}

struct OutlineKernelsPass : dlc::impl::OutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (func::FuncOp function : module.getOps<func::FuncOp>())
      if (!function.isExternal() &&
          !function->hasAttr(
              dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr()) &&
          !function->hasAttr(dlc::DlcDialect::KernelAttrHelper::getNameStr()))
        functions.push_back(function);
    for (func::FuncOp function : functions) {
      SmallVector<scf::ForOp> loops(
          function.getBody().front().getOps<scf::ForOp>());
      int counter = 0;
      lastKernel = nullptr;
      for (scf::ForOp loop : loops)
        if (outline(function, loop, counter))
          ++counter;
    }
  }

  /// The kernels follow their function in order.
  Operation *lastKernel = nullptr;

  bool outline(func::FuncOp function, scf::ForOp loop, int index) {
    if (loop.getNumResults() != 0)
      return false;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(loop->getRegions(), captured);
    for (Value operand : loop->getOperands())
      captured.insert(operand);
    llvm::SetVector<Value> arguments;
    llvm::SetVector<Operation *> recreated;
    // Depth first in operand order, so arguments keep the loop's order.
    std::function<bool(Value)> capture = [&](Value value) {
      Operation *producer = value.getDefiningOp();
      if (dlc::isBarePointer(value.getType()) || value.getType().isIndex()) {
        if (isRecreatable(producer) && producer->getNumOperands() == 0 &&
            !isa<memref::GetGlobalOp>(producer))
          recreated.insert(producer);
        else
          arguments.insert(value);
        return true;
      }
      if (!isRecreatable(producer))
        return false; // cannot cross the bare-pointer calling convention
      if (recreated.insert(producer))
        return llvm::all_of(producer->getOperands(), capture);
      return true;
    };
    if (!llvm::all_of(captured, capture))
      return false;
    // Re-created in program order, so each finds its operands.
    SmallVector<Operation *> ordered(recreated.begin(), recreated.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });

    MLIRContext *context = &getContext();
    OpBuilder builder(function);
    builder.setInsertionPointAfter(lastKernel ? lastKernel : function);
    SmallVector<Type> types;
    for (Value value : arguments)
      types.push_back(value.getType());
    auto kernel = builder.create<func::FuncOp>(
        loop.getLoc(),
        function.getName().str() + "_kernel" + std::to_string(index),
        FunctionType::get(context, types, {}));
    kernel.setPrivate();
    lastKernel = kernel;
    kernel->setAttr(dlc::DlcDialect::KernelAttrHelper::getNameStr(),
                    builder.getUnitAttr());
    // LLVM would otherwise inline a function called once right back.
    kernel->setAttr("passthrough",
                    builder.getArrayAttr({builder.getStringAttr("noinline")}));
    dlc::markDisjointBuffersNoalias(kernel, arguments.getArrayRef());
    Block *entry = kernel.addEntryBlock();
    OpBuilder inside = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    for (auto [i, value] : llvm::enumerate(arguments))
      mapping.map(value, entry->getArgument(i));
    for (Operation *producer : ordered)
      inside.clone(*producer, mapping);
    inside.clone(*loop, mapping);
    inside.create<func::ReturnOp>(loop.getLoc());

    OpBuilder at(loop);
    at.create<func::CallOp>(loop.getLoc(), kernel, arguments.getArrayRef());
    loop.erase();
    return true;
  }
};

} // namespace
