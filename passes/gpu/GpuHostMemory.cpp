//===- GpuHostMemory.cpp - Host code of a CUDA module uses device memory --===//
//
// On the CUDA target every buffer a kernel touches lives on the device. The
// host side of the module only plans: it allocates the arena, takes views
// and launches kernels. This pass, on the LLVM dialect, turns its heap
// allocations into device allocations and the addresses of its constant
// globals (the weights) into the addresses of their device copies.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace dlc {
#define GEN_PASS_DEF_GPUHOSTMEMORY
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// Declares `name` (if missing) with `type` at the start of `module`.
static LLVM::LLVMFuncOp declare(ModuleOp module, StringRef name,
                                LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder b(module.getBodyRegion());
  return b.create<LLVM::LLVMFuncOp>(module.getLoc(), name, type);
}

struct GpuHostMemory : dlc::impl::GpuHostMemoryBase<GpuHostMemory> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    auto voidType = LLVM::LLVMVoidType::get(context);
    LLVM::LLVMFuncOp alloc = declare(module, "__dlc_gpu_alloc",
                                     LLVM::LLVMFunctionType::get(ptr, {i64}));
    LLVM::LLVMFuncOp release = declare(
        module, "__dlc_gpu_free", LLVM::LLVMFunctionType::get(voidType, {ptr}));
    LLVM::LLVMFuncOp constant =
        declare(module, "__dlc_gpu_constant",
                LLVM::LLVMFunctionType::get(ptr, {ptr, i64}));
    DataLayout layout(module);
    bool failedToSize = false;

    // Only the module's own host functions: kernels live in gpu.module.
    for (auto function : module.getOps<LLVM::LLVMFuncOp>()) {
      if (function.isExternal())
        continue;
      function.walk([&](Operation *op) {
        if (auto call = dyn_cast<LLVM::CallOp>(op)) {
          std::optional<StringRef> callee = call.getCallee();
          if (callee == "malloc")
            call.setCalleeAttr(FlatSymbolRefAttr::get(alloc.getNameAttr()));
          else if (callee == "free")
            call.setCalleeAttr(FlatSymbolRefAttr::get(release.getNameAttr()));
          return;
        }
        // At this stage the only globals host code takes the address of
        // are the module's constants: its weights.
        auto address = dyn_cast<LLVM::AddressOfOp>(op);
        if (!address)
          return;
        auto global = SymbolTable::lookupNearestSymbolFrom<LLVM::GlobalOp>(
            address, address.getGlobalNameAttr());
        if (!global || !global.getConstant())
          return;
        OpBuilder b(address);
        b.setInsertionPointAfter(address);
        llvm::TypeSize bytes = layout.getTypeSize(global.getGlobalType());
        if (bytes.isScalable()) {
          failedToSize = true;
          return;
        }
        Value size = b.create<LLVM::ConstantOp>(
            address.getLoc(), i64,
            b.getI64IntegerAttr(static_cast<int64_t>(bytes.getFixedValue())));
        auto device = b.create<LLVM::CallOp>(
            address.getLoc(), constant, ValueRange{address.getResult(), size});
        address.getResult().replaceAllUsesExcept(device.getResult(), device);
      });
    }
    if (failedToSize) {
      module.emitError("a constant global has no fixed size");
      signalPassFailure();
    }
  }
};

} // namespace
