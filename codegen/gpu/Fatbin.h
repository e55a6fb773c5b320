//===- Fatbin.h - Ahead-of-time machine code for a CUDA library -*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_FATBIN_H
#define DLC_CODEGEN_GPU_FATBIN_H

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace dlc {

/// What became of the module's GPU code.
enum class GpuBinaryKind {
  Fatbin, ///< sm machine code and the PTX, assembled ahead of time
  Ptx,    ///< the PTX alone: the driver compiles it when the library loads
};

/// Assembles `ptx` (the module's one gpu.binary) for `chip` with the
/// toolkit's ptxas and packs the machine code with the PTX into a fatbin,
/// which replaces the gpu.binary's object: the driver loads the machine code
/// on `chip` (no JIT at the first run) and compiles the PTX for newer GPUs.
/// When the toolkit has no ptxas or fatbinary, leaves the module as it is and
/// returns Ptx. Returns false with `error` (ptxas's message) if assembling
/// fails.
bool assembleGpuBinary(mlir::ModuleOp module, const std::string &ptx,
                       const std::string &chip, const std::string &toolkit,
                       GpuBinaryKind &kind, std::string &error);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_FATBIN_H
