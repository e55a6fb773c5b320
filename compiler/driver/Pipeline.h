//===- Pipeline.h - The pass pipelines, stage by stage ----------*- C++ -*-===//
#ifndef DLC_COMPILER_DRIVER_PIPELINE_H
#define DLC_COMPILER_DRIVER_PIPELINE_H

#include "mlir/Pass/PassOptions.h"

#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
class Pass;
} // namespace mlir

namespace dlc {

/// An optional step of the pipelines: its pass argument, the lowest -O
/// level that runs it and what it does (the pass's own description).
struct OptionalPass {
  std::string argument;
  int minLevel;
  std::string description;
};

/// What the pipelines build: the -O level, the optional passes skipped, the
/// target. `dlc compile` fills it from its flags; dlc-opt takes it as the
/// options of each registered pipeline, e.g.
/// `--dlc-loop-pipeline="opt-level=2 disable-pass=dlc-fuse-ops"`.
struct PipelineOptions : public mlir::PassPipelineOptions<PipelineOptions> {
  Option<int> optLevel{*this, "opt-level",
                       llvm::cl::desc("Optimization level, 0 to 3"),
                       llvm::cl::init(3)};
  ListOption<std::string> disabledPasses{
      *this, "disable-pass",
      llvm::cl::desc("Optional passes to skip (their pass arguments, as "
                     "dlc compile's --disable-pass)")};
  /// Channels per block of the NCHW[x]c layout: the target's vector width in
  /// floats (16 for AVX-512, 8 for AVX2).
  Option<int64_t> channelBlock{
      *this, "channel-block",
      llvm::cl::desc("Channels per block of the NCHWc layout"),
      llvm::cl::init(16)};
  /// Vector registers for the micro-kernels' register tiles (32 with
  /// AVX-512, 16 with AVX2).
  Option<int64_t> vectorRegisters{
      *this, "vector-registers",
      llvm::cl::desc("Vector registers of the target's register tiles"),
      llvm::cl::init(32)};
  /// Whether the target has fused multiply-add instructions.
  Option<bool> fusedMultiplyAdd{
      *this, "fused-multiply-add",
      llvm::cl::desc("The target has fused multiply-add instructions"),
      llvm::cl::init(false)};
  /// The dot product of 8-bit matmuls on the target (see
  /// dlc-matmul-microkernel's int8-dot): avx512-vnni, avx-vnni, avx2,
  /// portable or none.
  Option<std::string> int8Dot{
      *this, "int8-dot",
      llvm::cl::desc("Dot product of the 8-bit matmul micro-kernel"),
      llvm::cl::init("portable")};
  /// The CUDA target (--target=cuda): kernels become gpu.launch ops, no
  /// CPU-only passes (blocked layouts, micro-kernels, the thread pool).
  Option<bool> cuda{*this, "cuda", llvm::cl::desc("Build for the CUDA target"),
                    llvm::cl::init(false)};
  /// --target=cuda-emulate: the CUDA kernels, run as loops on the CPU.
  Option<bool> emulateGpu{
      *this, "emulate-gpu",
      llvm::cl::desc("Run the CUDA kernels as loops on the CPU"),
      llvm::cl::init(false)};
  /// The CUDA architecture the PTX is generated for.
  Option<std::string> gpuChip{*this, "chip",
                              llvm::cl::desc("CUDA architecture of the PTX"),
                              llvm::cl::init("sm_90")};

  /// Whether the optional pass `pass` runs: from -O`minLevel` up, unless
  /// --disable-pass names its argument. The pipelines ask this once for each
  /// optional step, which is how the step's level is written only there.
  bool runs(const mlir::Pass &pass, int minLevel) const;
  /// The same for a switch of a pass, named as a pass of its own.
  bool runs(llvm::StringRef argument, llvm::StringRef description,
            int minLevel) const;
  /// Whether --disable-pass names `argument`.
  bool disabled(llvm::StringRef argument) const;

  /// Set while optionalPasses() builds the pipelines to record the table:
  /// each step asked about is entered in it.
  std::vector<OptionalPass> *recorder = nullptr;
};

/// The table of the pipelines' optional steps, recorded by building the
/// pipelines (see PipelineOptions::runs): --disable-pass, `dlc compile
/// --help` and the docs read it.
const std::vector<OptionalPass> &optionalPasses();

/// Whether `argument` names an optional pass; if not, `error` says so and
/// lists them (for --disable-pass and dlc-opt's disable-pass option).
bool isOptionalPass(llvm::StringRef argument, std::string &error);

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
/// NVVM and serialized to PTX for `options.gpuChip` by LLVM's NVPTX back
/// end, with libdevice from `cudaToolkit`; host code -> the LLVM dialect
/// with device buffers and weights (dlc-gpu-host-memory) and launches
/// through the runtime's mgpu* calls.
void addGpuLLVMPipeline(mlir::OpPassManager &pm, const PipelineOptions &options,
                        const std::string &cudaToolkit);

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_PIPELINE_H
