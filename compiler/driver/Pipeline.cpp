//===- Pipeline.cpp - The pass pipelines, stage by stage ------------------===//
#include "compiler/driver/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace dlc {

/// Copies become linalg.copy, which lowers to plain loops; memref.copy would
/// call into MLIR's C runner library, which a model library does not carry.
static LogicalResult createLinalgCopy(OpBuilder &b, Location loc, Value from,
                                      Value to) {
  b.create<linalg::CopyOp>(loc, from, to);
  return success();
}

const std::vector<OptionalPass> &optionalPasses() {
  static const std::vector<OptionalPass> passes = {
      {"canonicalize", 1},           {"cse", 1},
      {"dlc-fold-constants", 1},     {"dlc-fold-batchnorm", 2},
      {"dlc-layout-nchwc", 3},       {"dlc-fuse-ops", 2},
      {"dlc-tile-fused-groups", 2},  {"dlc-plan-memory", 2},
      {"dlc-matmul-microkernel", 2}, {"dlc-conv-microkernel", 3},
      {"dlc-parallelize-loops", 2},  {"dlc-approximate-math", 2},
      {"dlc-outline-kernels", 0},    {"dlc-merge-identical-kernels", 0},
  };
  return passes;
}

void addGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  auto enabled = [&](const char *name, int level) {
    return options.enabled(name, level);
  };
  OpPassManager &function = pm.nest<func::FuncOp>();
  // Lowering needs static shapes: inference is not an optimization.
  function.addPass(createShapeInference());
  // Lowering computes in none of bf16, float8, int4, int2: storage types
  // before anything else, then signless integers only.
  function.addPass(createExpandNarrowTypes());
  function.addPass(createSignlessIntegers());
  if (enabled("canonicalize", 1))
    function.addPass(createCanonicalizerPass());
  if (enabled("dlc-fold-constants", 1))
    function.addPass(createFoldConstants());
  if (enabled("dlc-fold-batchnorm", 2))
    function.addPass(createFoldBatchNorm());
  if (enabled("canonicalize", 1))
    function.addPass(createCanonicalizerPass()); // drops dead constants
  if (enabled("cse", 1))
    function.addPass(createCSEPass());
  // Blocked layouts feed CPU vector micro-kernels.
  if (enabled("dlc-layout-nchwc", 3) && !options.cuda) {
    LayoutNCHWcOptions layout;
    layout.block = options.channelBlock;
    function.addPass(createLayoutNCHWc(layout));
    if (enabled("canonicalize", 1))
      function.addPass(createCanonicalizerPass()); // packed-away weights
  }
  if (enabled("dlc-fuse-ops", 2))
    function.addPass(createFuseOps());
}

/// Tensors -> buffers, results -> caller-provided buffers, one arena for
/// the intermediates (-O2), deallocation.
static void addBufferizationPipeline(OpPassManager &pm,
                                     const PipelineOptions &options) {
  bufferization::OneShotBufferizationOptions bufferization;
  bufferization.bufferizeFunctionBoundaries = true;
  bufferization.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  bufferization.memCpyFn = createLinalgCopy;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferization));
  pm.addPass(createCanonicalizerPass());

  // Results become caller-provided buffers, each filled by one copy. MLIR
  // 19's hoistStaticAllocs would write into them directly but crashes when a
  // result is a function argument (an Identity model), so it stays off.
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.memCpyFn = createLinalgCopy;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  if (options.enabled("dlc-plan-memory", 2))
    pm.addNestedPass<func::FuncOp>(createPlanMemory());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
}

void addLoopPipeline(OpPassManager &pm, const PipelineOptions &options) {
  ConvertDlcToLinalgOptions lowering;
  // The blocked conv micro-kernel (an option of the lowering; blocked convs
  // exist from -O3).
  lowering.convMicrokernel = options.enabled("dlc-conv-microkernel", 3);
  lowering.vectorRegisters = options.vectorRegisters;
  pm.addPass(createConvertDlcToLinalg(lowering));
  pm.addPass(createCanonicalizerPass());
  bool microkernel = options.enabled("dlc-matmul-microkernel", 2);
  if (options.enabled("dlc-tile-fused-groups", 2)) {
    TileFusedGroupsOptions tiling;
    tiling.microkernel = microkernel;
    pm.addNestedPass<func::FuncOp>(createTileFusedGroups(tiling));
    pm.addPass(createCanonicalizerPass());
  }

  addBufferizationPipeline(pm, options);
  if (microkernel) {
    MatmulMicrokernelOptions kernel;
    kernel.vectorWidth = options.channelBlock;
    // mr rows x 2 vectors of accumulators, two B vectors and a broadcast.
    kernel.microRows = options.vectorRegisters >= 32 ? 12 : 6;
    pm.addPass(createMatmulMicrokernel(kernel));
  }
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.enabled("dlc-parallelize-loops", 2))
    pm.addPass(createParallelizeLoops());
  if (options.enabled("dlc-approximate-math", 2))
    pm.addPass(createApproximateMath());
  // Small functions for LLVM, whose optimizations grow faster than the size
  // of a function (not an optimization of the code: on at every level).
  if (options.enabled("dlc-outline-kernels", 0))
    pm.addPass(createOutlineKernels());
  // Repeated layers give identical kernels: LLVM compiles one of each.
  if (options.enabled("dlc-merge-identical-kernels", 0))
    pm.addPass(createMergeIdenticalKernels());
}

void addLLVMDialectPipeline(OpPassManager &pm) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Allocations call the runtime's _mlir_memref_to_llvm_alloc, which turns a
  // failed malloc into DLC_ERROR_OUT_OF_MEMORY (runtime/runtime.c).
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToFuncs()); // integer powers
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void addGpuLoopPipeline(OpPassManager &pm, const PipelineOptions &options) {
  ConvertDlcToLinalgOptions lowering; // no CPU micro-kernel
  lowering.paddedInputCopy = true;    // convs as implicit GEMMs
  pm.addPass(createConvertDlcToLinalg(lowering));
  pm.addPass(createCanonicalizerPass());
  addBufferizationPipeline(pm, options);
  pm.addPass(createFlattenConstantGlobals());
  pm.addNestedPass<func::FuncOp>(createGpuMapKernels());
  if (options.emulateGpu)
    pm.addNestedPass<func::FuncOp>(createGpuEmulate());
  // What runs in one-thread kernels as linalg.
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  if (options.enabled("dlc-approximate-math", 2))
    pm.addPass(createApproximateMath());
}

void addGpuLLVMPipeline(OpPassManager &pm, const std::string &chip,
                        int optLevel, const std::string &cudaToolkit) {
  pm.addPass(createConvertMathToFuncs()); // integer powers, cloned into kernels
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGpuMergeModules());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  GpuNVVMAttachTargetOptions target;
  target.chip = chip;
  target.optLevel = optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  ConvertGpuOpsToNVVMOpsOptions kernels;
  kernels.useBarePtrCallConv = true;
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createGpuLibdeviceCalls());
  device.addPass(createConvertGpuOpsToNVVMOps(kernels));
  device.addPass(createReconcileUnrealizedCastsPass());
  GpuToLLVMConversionPassOptions host;
  host.hostBarePtrCallConv = true;
  host.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(host));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuHostMemory());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa"; // PTX text, assembled by the driver
  binary.toolkitPath = cudaToolkit; // libdevice
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

} // namespace dlc
