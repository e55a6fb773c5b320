//===- CpuLibrary.h - A model library that runs on the CPU ------*- C++ -*-===//
#ifndef DLC_CODEGEN_CPU_CPULIBRARY_H
#define DLC_CODEGEN_CPU_CPULIBRARY_H

#include "codegen/LibraryTarget.h"

#include <memory>

namespace dlc {

/// The CPU's part of a model library: the model info's entry calls the
/// compiled compute function on the tensors' data; the common runtime is
/// all it needs.
std::unique_ptr<LibraryTarget> createCpuLibraryTarget();

} // namespace dlc

#endif // DLC_CODEGEN_CPU_CPULIBRARY_H
