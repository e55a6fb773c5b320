//===- dlc-opt.cpp - Runs dlc and upstream MLIR passes for lit tests ------===//
#include "codegen/gpu/Ptx.h"
#include "compiler/dialect/DlcDialect.h"
#include "compiler/driver/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

/// Registers a pipeline that takes dlc::PipelineOptions, refusing a
/// disable-pass that names no optional pass (as `dlc compile` does).
static void registerDlcPipeline(
    llvm::StringRef argument, llvm::StringRef description,
    std::function<void(mlir::OpPassManager &, const dlc::PipelineOptions &)>
        build) {
  mlir::registerPassPipeline(
      argument, description,
      [build](mlir::OpPassManager &pm, llvm::StringRef text,
              llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
                  errorHandler) {
        dlc::PipelineOptions options;
        if (mlir::failed(options.parseFromString(text)))
          return mlir::failure();
        for (const std::string &name : options.disabledPasses) {
          std::string error;
          if (!dlc::isOptionalPass(name, error))
            return errorHandler("disable-pass: " + error);
        }
        build(pm, options);
        return mlir::success();
      },
      [](llvm::function_ref<void(const mlir::detail::PassOptions &)>
             printOptions) { printOptions(dlc::PipelineOptions()); });
}

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  dlc::registerDlcPasses();
  // The stages `dlc compile` runs, for lit tests of whole lowerings; each
  // takes the pipeline options (opt-level, disable-pass, ...), e.g.
  // --dlc-loop-pipeline="opt-level=2 disable-pass=dlc-tile-fused-groups".
  registerDlcPipeline("dlc-graph-pipeline", "dlc's graph-level optimizations",
                      dlc::addGraphPipeline);
  registerDlcPipeline("dlc-loop-pipeline",
                      "dlc -> bufferized loops with out-params",
                      dlc::addLoopPipeline);
  registerDlcPipeline("dlc-gpu-loop-pipeline",
                      "dlc -> one gpu.launch per kernel (CUDA)",
                      dlc::addGpuLoopPipeline);
  registerDlcPipeline(
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
