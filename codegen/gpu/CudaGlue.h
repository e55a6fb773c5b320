//===- CudaGlue.h - A model library that runs on an NVIDIA GPU --*- C++ -*-===//
#ifndef DLC_CODEGEN_GPU_CUDAGLUE_H
#define DLC_CODEGEN_GPU_CUDAGLUE_H

#include "codegen/LibraryTarget.h"

#include <memory>
#include <string>

namespace dlc {

/// The CUDA part of a model library compiled for `chip` ("sm_90"): the
/// runtime's CUDA part (runtime/cuda.c, which loads the driver itself), an
/// entry that copies host tensors through the GPU, and <name>_run_device
/// on tensors already in GPU memory.
std::unique_ptr<LibraryTarget> createCudaLibraryTarget(const std::string &chip);

} // namespace dlc

#endif // DLC_CODEGEN_GPU_CUDAGLUE_H
