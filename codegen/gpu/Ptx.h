//===- Ptx.h - PTX out of a module lowered for CUDA -------------*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_PTX_H
#define DLC_CODEGEN_GPU_PTX_H

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace dlc {

/// The PTX of the module's one gpu.binary (after gpu-module-to-binary with
/// the "isa" format); an empty module for `chip` when the model has no
/// kernels. Returns false and sets `error` if the binary holds no PTX.
bool extractPtx(mlir::ModuleOp module, const std::string &chip,
                std::string &ptx, std::string &error);

/// The CUDA toolkit whose libdevice (nvvm/libdevice/libdevice.10.bc) the
/// kernels link: $CUDA_ROOT, $CUDA_HOME or $CUDA_PATH, else /usr/local/cuda,
/// else the folder above the ptxas found on PATH; empty if none has it.
std::string findCudaToolkit();

/// Checks that the PTX calls no libdevice function left unresolved (which
/// happens when libdevice was not found): false and `error` naming it.
bool checkPtxResolved(const std::string &ptx, const std::string &toolkit,
                      std::string &error);

/// Whether `chip` names a CUDA architecture dlc compiles for ("sm_80" and
/// up, e.g. sm_80, sm_86, sm_89, sm_90).
bool isSupportedGpuChip(const std::string &chip);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_PTX_H
