//===- CudaGlue.h - The CUDA parts of a library's C glue --------*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_CUDAGLUE_H
#define DLC_CODEGEN_GPU_CUDAGLUE_H

#include "compiler/driver/ModelSignature.h"
#include <string>

namespace dlc {

/// What the glue of a CUDA library defines before its dlc_model_info
/// (`model`, declared ahead): the runtime's description of the model and
/// `run`, the model info's entry that copies host tensors through the GPU.
std::string emitCudaEntry(const ModelSignature &signature);

/// <name>_run_device: the same on tensors already in GPU memory.
std::string emitCudaRunDevice(const ModelSignature &signature);

/// The declarations the model header adds for a CUDA library.
std::string emitCudaHeaderDeclarations(const ModelSignature &signature);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_CUDAGLUE_H
