//===- CompileOptions.h - What `dlc compile` was asked to do ----*- C++ -*-===//
#ifndef DLC_COMPILER_DRIVER_COMPILEOPTIONS_H
#define DLC_COMPILER_DRIVER_COMPILEOPTIONS_H

#include <set>
#include <string>

namespace dlc {

/// Artifacts `dlc compile --emit=` can write into the output folder.
enum class EmitKind { Graph, Loops, LLVM, Asm, Obj, Lib, Ptx };

struct CompileOptions {
  std::string modelName; // C identifier used in file and symbol names
  std::string outputDir;
  int optLevel = 3;   // 0: no graph optimization, LLVM -O0
  std::string cpu;    // empty: the host CPU
  std::string triple; // empty: the host triple
  /// --target=cuda[:sm_XX]: the GPU architecture ("sm_90"); empty: the CPU.
  std::string gpuChip;
  /// --target=cuda-emulate: the CUDA kernels run as loops on the CPU (a CPU
  /// library; for checking the GPU mapping without a GPU).
  bool emulateGpu = false;
  std::set<EmitKind> emit = {EmitKind::Lib};
  bool verbose = false;                 // progress on stderr
  std::set<std::string> disabledPasses; // --disable-pass
  bool printIRAfterAll = false;         // --print-ir-after-all
  std::set<std::string> printIRAfter;   // --print-ir-after=PASS
  bool report = false;                  // --report
  bool profile = false; // --profile: time each kernel (dlc bench --profile)
};

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_COMPILEOPTIONS_H
