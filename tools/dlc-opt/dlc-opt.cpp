//===- dlc-opt.cpp - Runs dlc and upstream MLIR passes for lit tests ------===//
#include "codegen/gpu/Ptx.h"
#include "compiler/DlcDialect.h"
#include "compiler/driver/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  dlc::registerDlcPasses();
  // The stages `dlc compile` runs, for lit tests of whole lowerings.
  mlir::PassPipelineRegistration<>(
      "dlc-graph-pipeline", "dlc's graph-level optimizations (-O3)",
      [](mlir::OpPassManager &pm) { dlc::addGraphPipeline(pm, {}); });
  mlir::PassPipelineRegistration<>(
      "dlc-loop-pipeline", "dlc -> bufferized loops with out-params (-O3)",
      [](mlir::OpPassManager &pm) { dlc::addLoopPipeline(pm, {}); });
  mlir::PassPipelineRegistration<>(
      "dlc-gpu-loop-pipeline", "dlc -> one gpu.launch per kernel (CUDA, -O3)",
      [](mlir::OpPassManager &pm) {
        dlc::PipelineOptions options;
        options.cuda = true;
        dlc::addGpuLoopPipeline(pm, options);
      });
  mlir::PassPipelineRegistration<>(
      "dlc-gpu-llvm-pipeline",
      "gpu.launch -> PTX for sm_90 in a gpu.binary, host -> LLVM (CUDA)",
      [](mlir::OpPassManager &pm) {
        dlc::addGpuLLVMPipeline(pm, "sm_90", 3, dlc::findCudaToolkit());
      });
  mlir::PassPipelineRegistration<>(
      "dlc-llvm-pipeline", "loops -> the LLVM dialect, bare-pointer ABI",
      dlc::addLLVMDialectPipeline);
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry); // gpu-module-to-binary
  registry.insert<dlc::DlcDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "dlc pass driver\n", registry));
}
