//===- Ptx.h - PTX out of a module lowered for CUDA -------------*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_PTX_H
#define DLC_CODEGEN_GPU_PTX_H

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace dlc {

/// The PTX of the module's one gpu.binary (after gpu-module-to-binary with
/// the "isa" format). Returns false and sets `error` if there is none.
bool extractPtx(mlir::ModuleOp module, std::string &ptx, std::string &error);

/// Whether `chip` names a CUDA architecture dlc compiles for ("sm_80" and
/// up, e.g. sm_80, sm_86, sm_89, sm_90).
bool isSupportedGpuChip(const std::string &chip);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_PTX_H
