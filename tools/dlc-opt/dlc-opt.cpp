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
  // The stages `dlc compile` runs, for lit tests of whole lowerings; each
  // takes the pipeline options (opt-level, disable-pass, ...), e.g.
  // --dlc-loop-pipeline="opt-level=2 disable-pass=dlc-tile-fused-groups".
  mlir::PassPipelineRegistration<dlc::PipelineOptions>(
      "dlc-graph-pipeline", "dlc's graph-level optimizations",
      dlc::addGraphPipeline);
  mlir::PassPipelineRegistration<dlc::PipelineOptions>(
      "dlc-loop-pipeline", "dlc -> bufferized loops with out-params",
      dlc::addLoopPipeline);
  mlir::PassPipelineRegistration<dlc::PipelineOptions>(
      "dlc-gpu-loop-pipeline", "dlc -> one gpu.launch per kernel (CUDA)",
      dlc::addGpuLoopPipeline);
  mlir::PassPipelineRegistration<dlc::PipelineOptions>(
      "dlc-gpu-llvm-pipeline",
      "gpu.launch -> PTX for the chip option's sm in a gpu.binary, host -> "
      "LLVM (CUDA)",
      [](mlir::OpPassManager &pm, const dlc::PipelineOptions &options) {
        dlc::addGpuLLVMPipeline(pm, options, dlc::findCudaToolkit());
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
