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
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"

#include <type_traits>

using namespace mlir;

namespace dlc {

/// Copies become linalg.copy, which lowers to plain loops; memref.copy would
/// call into MLIR's C runner library, which a model library does not carry.
static LogicalResult createLinalgCopy(OpBuilder &b, Location loc, Value from,
                                      Value to) {
  b.create<linalg::CopyOp>(loc, from, to);
  return success();
}

/// A switch of convert-dlc-to-linalg that --disable-pass takes as a pass.
static constexpr const char *kConvMicrokernel = "dlc-conv-microkernel";
static constexpr const char *kConvMicrokernelDescription =
    "Lower blocked convolutions to register-tiled micro-kernels (the "
    "conv-microkernel option of convert-dlc-to-linalg)";

const std::vector<OptionalPass> &optionalPasses() {
  static const std::vector<OptionalPass> passes = [] {
    // Every optional step is asked about at -O3 on both targets.
    std::vector<OptionalPass> table;
    for (bool cuda : {false, true}) {
      PipelineOptions recording;
      recording.optLevel = 3;
      recording.cuda = cuda;
      recording.recorder = &table;
      OpPassManager pm(ModuleOp::getOperationName());
      addGraphPipeline(pm, recording);
      if (cuda)
        addGpuLoopPipeline(pm, recording);
      else
        addLoopPipeline(pm, recording);
    }
    return table;
  }();
  return passes;
}

bool isOptionalPass(llvm::StringRef argument, std::string &error) {
  std::string list;
  for (const OptionalPass &pass : optionalPasses()) {
    if (argument == pass.argument)
      return true;
    list += (list.empty() ? "" : ", ") + pass.argument;
  }
  error = "'" + argument.str() + "' is not an optional pass (" + list + ")";
  return false;
}

bool PipelineOptions::disabled(llvm::StringRef argument) const {
  return llvm::is_contained(disabledPasses, argument.str());
}

bool PipelineOptions::runs(llvm::StringRef argument,
                           llvm::StringRef description, int minLevel) const {
  if (recorder) {
    auto entry = llvm::find_if(*recorder, [&](const OptionalPass &pass) {
      return pass.argument == argument;
    });
    if (entry == recorder->end())
      recorder->push_back({argument.str(), minLevel, description.str()});
    else if (entry->minLevel != minLevel)
      llvm::report_fatal_error("optional pass '" + argument +
                               "' is added at two -O levels");
  }
  return optLevel >= minLevel && !disabled(argument);
}

bool PipelineOptions::runs(const Pass &pass, int minLevel) const {
  return runs(pass.getArgument(), pass.getDescription(), minLevel);
}

/// Adds `pass` (nested on each OpT when given) from -O`minLevel` up unless
/// disabled by its own argument; returns whether it did.
template <typename OpT = void>
static bool addOptional(OpPassManager &pm, const PipelineOptions &options,
                        int minLevel, std::unique_ptr<Pass> pass) {
  if (!options.runs(*pass, minLevel))
    return false;
  if constexpr (std::is_void_v<OpT>)
    pm.addPass(std::move(pass));
  else
    pm.addNestedPass<OpT>(std::move(pass));
  return true;
}

/// The canonicalizer as the clean-up after a lowering step: at every level,
/// skipped only by --disable-pass=canonicalize.
static void addCleanup(OpPassManager &pm, const PipelineOptions &options) {
  if (!options.disabled(createCanonicalizerPass()->getArgument()))
    pm.addPass(createCanonicalizerPass());
}

void addGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  OpPassManager &function = pm.nest<func::FuncOp>();
  // Lowering needs static shapes: inference is not an optimization.
  function.addPass(createShapeInference());
  // Lowering computes in none of bf16, float8, int4, int2: storage types
  // before anything else, then signless integers only.
  function.addPass(createExpandNarrowTypes());
  function.addPass(createSignlessIntegers());
  addOptional(function, options, 1, createCanonicalizerPass());
  addOptional(function, options, 1, createFoldConstants());
  addOptional(function, options, 2, createFoldBatchNorm());
  addOptional(function, options, 1,
              createCanonicalizerPass()); // drops dead constants
  // Fake-quantized (QDQ) matmuls on the 8-bit micro-kernel.
  if (!options.cuda &&
      addOptional(function, options, 2, createQuantizedMatmul()))
    addOptional(function, options, 1, createCanonicalizerPass());
  addOptional(function, options, 1, createCSEPass());
  // Bias adds and activations after a 3-d MatMul join the 2-d matmul.
  addOptional(function, options, 2, createSinkReshapes());
  // Blocked layouts feed CPU vector micro-kernels.
  if (!options.cuda) {
    // Fake-quantized (QDQ) convs on the integer conv micro-kernel, which
    // the blocked layout gives them.
    QuantizedConvOptions quantizedConv;
    // AVX2's vpmaddwd conv kernel is built for 8-lane blocks only (an
    // AVX-512 target without VNNI keeps f32 convs).
    if (options.int8Dot != "avx2" || options.channelBlock == 8)
      quantizedConv.int8Dot = options.int8Dot;
    if (options.runs(kConvMicrokernel, kConvMicrokernelDescription, 3) &&
        addOptional(function, options, 3, createQuantizedConv(quantizedConv)))
      addOptional(function, options, 1, createCanonicalizerPass());
    LayoutNCHWcOptions layout;
    layout.block = options.channelBlock;
    if (addOptional(function, options, 3, createLayoutNCHWc(layout)))
      addOptional(function, options, 1,
                  createCanonicalizerPass()); // packed-away weights
  }
  addOptional(function, options, 2, createFuseOps());
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
  addCleanup(pm, options);

  // Results become caller-provided buffers, each filled by one copy. MLIR
  // 19's hoistStaticAllocs would write into them directly but crashes when a
  // result is a function argument (an Identity model), so it stays off.
  bufferization::BufferResultsToOutParamsOpts outParams;
  outParams.memCpyFn = createLinalgCopy;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  addOptional<func::FuncOp>(pm, options, 2, createPlanMemory());
  bufferization::BufferDeallocationPipelineOptions deallocation;
  bufferization::buildBufferDeallocationPipeline(pm, deallocation);
}

void addLoopPipeline(OpPassManager &pm, const PipelineOptions &options) {
  ConvertDlcToLinalgOptions lowering;
  // Blocked convs (from -O3) as register-tiled micro-kernels.
  lowering.convMicrokernel =
      options.runs(kConvMicrokernel, kConvMicrokernelDescription, 3);
  lowering.vectorRegisters = options.vectorRegisters;
  lowering.int8Dot = options.int8Dot;
  lowering.fusedMultiplyAdd = options.fusedMultiplyAdd && !options.cuda;
  pm.addPass(createConvertDlcToLinalg(lowering));
  addCleanup(pm, options);

  MatmulMicrokernelOptions kernel;
  kernel.vectorWidth = options.channelBlock;
  // mr rows x 2 vectors of accumulators, two B vectors and a broadcast.
  kernel.microRows = options.vectorRegisters >= 32 ? 12 : 6;
  kernel.int8Dot = options.int8Dot;
  std::unique_ptr<Pass> matmulKernel = createMatmulMicrokernel(kernel);
  TileFusedGroupsOptions tiling;
  // Tiles of a contraction the micro-kernel takes stay whole.
  tiling.microkernel = options.runs(*matmulKernel, 2);
  if (addOptional<func::FuncOp>(pm, options, 2, createTileFusedGroups(tiling)))
    addCleanup(pm, options);

  addBufferizationPipeline(pm, options);
  if (tiling.microkernel)
    pm.addPass(std::move(matmulKernel));
  pm.addPass(createConvertLinalgToLoopsPass());
  addCleanup(pm, options);
  addOptional(pm, options, 2, createParallelizeLoops());
  addOptional(pm, options, 2, createApproximateMath());
  // Small functions for LLVM, whose optimizations grow faster than the size
  // of a function (not an optimization of the code: on at every level).
  addOptional(pm, options, 0, createOutlineKernels());
  // Repeated layers give identical kernels: LLVM compiles one of each.
  addOptional(pm, options, 0, createMergeIdenticalKernels());
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

/// Multiprocessors of the chip's largest data-center part (H100/H200: 132,
/// A100: 108), for split-K; a smaller part of the family gets more splits
/// than it needs, which costs little.
static int64_t gpuMultiprocessors(llvm::StringRef chip) {
  if (chip.starts_with("sm_80") || chip.starts_with("sm_87"))
    return 108;
  if (chip.starts_with("sm_86"))
    return 84;
  if (chip.starts_with("sm_89"))
    return 142; // L40
  return 132;
}

void addGpuLoopPipeline(OpPassManager &pm, const PipelineOptions &options) {
  ConvertDlcToLinalgOptions lowering; // no CPU micro-kernel
  lowering.paddedInputCopy = true;    // convs as implicit GEMMs
  pm.addPass(createConvertDlcToLinalg(lowering));
  addCleanup(pm, options);
  addBufferizationPipeline(pm, options);
  pm.addPass(createFlattenConstantGlobals());
  GpuMapKernelsOptions mapping;
  mapping.smCount = gpuMultiprocessors(std::string(options.gpuChip));
  pm.addNestedPass<func::FuncOp>(createGpuMapKernels(mapping));
  if (options.emulateGpu)
    pm.addNestedPass<func::FuncOp>(createGpuEmulate());
  // What runs in one-thread kernels as linalg.
  pm.addPass(createConvertLinalgToLoopsPass());
  addCleanup(pm, options);
  addOptional(pm, options, 2, createApproximateMath());
}

void addGpuLLVMPipeline(OpPassManager &pm, const PipelineOptions &options,
                        const std::string &cudaToolkit) {
  pm.addPass(createConvertMathToFuncs()); // integer powers, cloned into kernels
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGpuMergeModules());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.gpuChip;
  target.optLevel = options.optLevel;
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
  binary.compilationTarget = "isa"; // PTX text; the driver stage assembles it
  binary.toolkitPath = cudaToolkit; // libdevice
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

} // namespace dlc
