//===- GpuLibdeviceCalls.cpp - Math ops the NVVM lowering lacks -----------===//
//
// convert-gpu-to-nvvm turns most math ops into calls to libdevice (the CUDA
// toolkit's math library, linked when the PTX is made) but has no pattern
// for some: those become the same calls here, in the kernels' gpu.module.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"

namespace dlc {
#define GEN_PASS_DEF_GPULIBDEVICECALLS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// The libdevice function for an op on f32 (its f64 form has no `f`).
static StringRef libdeviceName(Operation *op) {
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](math::SinhOp) { return "__nv_sinh"; })
      .Case([](math::CoshOp) { return "__nv_cosh"; })
      .Case([](math::AsinOp) { return "__nv_asin"; })
      .Case([](math::AcosOp) { return "__nv_acos"; })
      .Case([](math::AsinhOp) { return "__nv_asinh"; })
      .Case([](math::AcoshOp) { return "__nv_acosh"; })
      .Case([](math::AtanhOp) { return "__nv_atanh"; })
      .Default([](Operation *) { return StringRef(); });
}

struct GpuLibdeviceCalls : dlc::impl::GpuLibdeviceCallsBase<GpuLibdeviceCalls> {
  void runOnOperation() override {
    gpu::GPUModuleOp kernels = getOperation();
    SymbolTable symbols(kernels);
    SmallVector<Operation *> ops;
    kernels.walk([&](Operation *op) {
      if (!libdeviceName(op).empty() && op->getNumResults() == 1 &&
          (op->getResult(0).getType().isF32() ||
           op->getResult(0).getType().isF64()))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      Type type = op->getResult(0).getType();
      std::string name = (libdeviceName(op) + (type.isF32() ? "f" : "")).str();
      auto callee = symbols.lookup<func::FuncOp>(name);
      if (!callee) {
        OpBuilder b(kernels.getBodyRegion());
        callee = b.create<func::FuncOp>(
            kernels.getLoc(), name,
            b.getFunctionType(op->getOperandTypes(), {type}));
        callee.setPrivate();
        symbols.insert(callee);
      }
      OpBuilder b(op);
      auto call =
          b.create<func::CallOp>(op->getLoc(), callee, op->getOperands());
      op->replaceAllUsesWith(call);
      op->erase();
    }
  }
};

} // namespace
