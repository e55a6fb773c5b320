//===- CudaGlue.h - The C glue of a library compiled for CUDA ---*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_CUDAGLUE_H
#define DLC_CODEGEN_GPU_CUDAGLUE_H

#include "compiler/driver/ModelSignature.h"
#include <string>

namespace dlc {

/// The C glue of a CUDA library: tensor tables, <name>_info, <name>_run
/// (host tensors: copied to the GPU and back) and <name>_run_device (device
/// pointers), all through the runtime's dlc_cuda_run*.
std::string emitCudaGlue(const ModelSignature &signature);

/// The declarations the model header adds for a CUDA library.
std::string emitCudaHeaderDeclarations(const ModelSignature &signature);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_CUDAGLUE_H
