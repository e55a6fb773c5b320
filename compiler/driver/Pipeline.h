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

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_PIPELINE_H
