//===- Pipeline.h - The pass pipelines, stage by stage ----------*- C++ -*-===//
#ifndef DLC_COMPILER_DRIVER_PIPELINE_H
#define DLC_COMPILER_DRIVER_PIPELINE_H

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace dlc {

/// Which optional passes run: by -O level, minus those named by
/// --disable-pass (their pass arguments, e.g. "dlc-fuse-ops").
struct PipelineOptions {
  int optLevel = 3;
  std::set<std::string> disabledPasses;
  /// Channels per block of the NCHW[x]c layout: the target's vector width in
  /// floats (16 for AVX-512).
  int64_t channelBlock = 16;
  /// Vector registers for the micro-kernels' register tiles (32 with
  /// AVX-512, 16 with AVX2).
  int64_t vectorRegisters = 32;
  /// The CUDA target (--target=cuda): kernels become gpu.launch ops, no
  /// CPU-only passes (blocked layouts, micro-kernels, the thread pool).
  bool cuda = false;
  /// --target=cuda-emulate: the CUDA kernels, run as loops on the CPU.
  bool emulateGpu = false;
  /// Whether the optional pass `name` runs from level `minLevel` on.
  bool enabled(const std::string &name, int minLevel) const {
    return optLevel >= minLevel && !disabledPasses.count(name);
  }
};

/// The optional passes of the pipelines, for --disable-pass checks and
/// documentation: pass argument and the lowest -O level that runs it.
struct OptionalPass {
  const char *name;
  int minLevel;
};
const std::vector<OptionalPass> &optionalPasses();

/// Graph level, on the dlc dialect: shape inference always; folding and
/// simplification from -O1; BatchNorm folding and fusion from -O2.
void addGraphPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// dlc -> linalg on tensors -> bufferized loops (scf + memref) with the
/// results turned into caller-provided output buffers. Kernel tiling and
/// memory planning from -O2.
void addLoopPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Loops -> the LLVM dialect, with the bare-pointer calling convention for
/// the entry function.
void addLLVMDialectPipeline(mlir::OpPassManager &pm);

/// CUDA: dlc -> bufferized linalg (as addLoopPipeline) -> one gpu.launch per
/// kernel (dlc-gpu-map-kernels).
void addGpuLoopPipeline(mlir::OpPassManager &pm,
                        const PipelineOptions &options);

/// CUDA: gpu.launch -> outlined kernels in one gpu.module, lowered through
/// NVVM and serialized to PTX for `chip` (e.g. "sm_90") by LLVM's NVPTX back
/// end, with libdevice from `cudaToolkit`; host code -> the LLVM dialect
/// with device buffers and weights (dlc-gpu-host-memory) and launches
/// through the runtime's mgpu* calls.
void addGpuLLVMPipeline(mlir::OpPassManager &pm, const std::string &chip,
                        int optLevel, const std::string &cudaToolkit);

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_PIPELINE_H
