//===- TargetMachine.h - LLVM IR to machine code for CPUs -------*- C++ -*-===//
#ifndef DLC_CODEGEN_CPU_TARGETMACHINE_H
#define DLC_CODEGEN_CPU_TARGETMACHINE_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace dlc {

/// Whether code for `triple` (empty: the host's) runs on this machine: the
/// same architecture and OS.
bool isHostTriple(const std::string &triple);

/// A TargetMachine for `triple`/`cpu` (empty: the host's; for another
/// architecture an empty `cpu` is that target's generic CPU). On failure
/// returns null and sets `error`.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &triple, const std::string &cpu,
                    int optLevel, std::string &error);

/// The vector width of `machine` in 32-bit floats (16 with AVX-512, 8 with
/// AVX, 4 otherwise): the channel block of the NCHW[x]c layout.
int64_t vectorWidthInFloats(const llvm::TargetMachine &machine);

/// How `machine` computes dot products of 8-bit integers (the int8-dot
/// option of dlc-matmul-microkernel): "avx512-vnni", "avx-vnni", "avx2"
/// (vpmaddwd on values widened to i16), or "portable" elsewhere.
std::string int8DotProduct(const llvm::TargetMachine &machine);

/// Whether `machine` has fused multiply-add instructions (x86 with FMA or
/// AVX-512, AArch64).
bool hasFusedMultiplyAdd(const llvm::TargetMachine &machine);

/// The vector registers of `machine` (32 with AVX-512, 16 otherwise on x86,
/// 32 on AArch64): how large a micro-kernel's register tile may be.
int64_t vectorRegisterCount(const llvm::TargetMachine &machine);

/// Translates an LLVM-dialect module to LLVM IR for `machine` and optimizes it
/// at `optLevel`. On failure returns null and sets `error`.
std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &context,
                                                   llvm::TargetMachine &machine,
                                                   int optLevel,
                                                   std::string &error);

/// Translates an LLVM-dialect module to (unoptimized) LLVM IR for
/// `machine`. On failure returns null and sets `error`.
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine,
                                                std::string &error);

/// Splits `module` into one part per path of `objectPaths` (by function:
/// dlc-outline-kernels makes many), then optimizes each part at `optLevel`
/// and writes it as an object file, each on a thread of its own with its own
/// LLVMContext and a copy of `machine`. Returns false with `error` set when
/// any part fails.
bool optimizeAndEmitInParallel(std::unique_ptr<llvm::Module> module,
                               const llvm::TargetMachine &machine, int optLevel,
                               const std::vector<std::string> &objectPaths,
                               std::string &error);

/// Writes `module` as an object file (or assembly when `assembly`).
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                     bool assembly, llvm::raw_pwrite_stream &out,
                     std::string &error);

} // namespace dlc

#endif // DLC_CODEGEN_CPU_TARGETMACHINE_H
