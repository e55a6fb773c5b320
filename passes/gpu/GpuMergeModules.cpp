//===- GpuMergeModules.cpp - All kernels of a module in one gpu.module ----===//
//
// gpu-kernel-outlining gives each kernel its own gpu.module, which would
// become its own PTX module, loaded and JIT-compiled on its own. One module
// per model is one PTX file (`--emit=ptx`) and one load.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace dlc {
#define GEN_PASS_DEF_GPUMERGEMODULES
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

struct GpuMergeModules : dlc::impl::GpuMergeModulesBase<GpuMergeModules> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.size() < 2)
      return;
    gpu::GPUModuleOp merged = kernelModules.front();
    SymbolTable mergedSymbols(merged);
    // Where each kernel went: (old module, old name) -> new name. Outlined
    // kernels are named after their function and their modules are unique,
    // so a moved kernel takes its module's name.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (gpu::GPUModuleOp kernelModule : llvm::drop_begin(kernelModules)) {
      for (Operation &op : llvm::make_early_inc_range(
               kernelModule.getBody()->without_terminator())) {
        auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
        if (!kernel || !kernel.isKernel()) {
          // A function the kernel calls, cloned by the outlining into each
          // module that calls it: one copy is enough.
          auto symbol = dyn_cast<SymbolOpInterface>(op);
          if (symbol && mergedSymbols.lookup(symbol.getNameAttr()))
            continue;
          op.moveBefore(merged.getBody()->getTerminator());
          if (symbol)
            mergedSymbols.insert(&op);
          continue;
        }
        StringAttr oldName = kernel.getNameAttr();
        StringAttr newName = kernelModule.getNameAttr();
        if (mergedSymbols.lookup(newName)) {
          kernelModule.emitError("kernel name ") << newName << " is taken";
          return signalPassFailure();
        }
        kernel->moveBefore(merged.getBody()->getTerminator());
        SymbolTable::setSymbolName(kernel, newName);
        mergedSymbols.insert(kernel);
        moved[{kernelModule.getNameAttr(), oldName}] = newName;
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it =
          moved.find({launch.getKernelModuleName(), launch.getKernelName()});
      if (it == moved.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp kernelModule : llvm::drop_begin(kernelModules))
      kernelModule->erase();
  }
};

} // namespace
