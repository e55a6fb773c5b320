//===- ModelLibrary.h - The C header, glue and shared library ---*- C++ -*-===//
#ifndef DLC_CODEGEN_MODELLIBRARY_H
#define DLC_CODEGEN_MODELLIBRARY_H

#include "codegen/LibraryTarget.h"
#include "codegen/ModelSignature.h"
#include <string>
#include <vector>

namespace dlc {

/// The public header <name>.h: the runtime ABI, the model's entry points and
/// its tensors' names, dtypes and shapes.
std::string emitModelHeader(const ModelSignature &signature,
                            const LibraryTarget &target);

/// The C glue linked into the library: tensor tables, <name>_info and
/// <name>_run, which validate and call the compiled compute function through
/// the target's entry.
std::string emitModelGlue(const ModelSignature &signature,
                          const LibraryTarget &target);

/// Links `objectPaths` (the model's code, in one or more parts) with the
/// glue and the runtime (the target's part included) into a shared library
/// at `libraryPath`, using the system C compiler driver ($CC, else cc).
/// Scratch files go to `scratchDir`. On failure returns false and sets
/// `error`.
bool linkModelLibrary(const ModelSignature &signature,
                      const LibraryTarget &target,
                      const std::vector<std::string> &objectPaths,
                      const std::string &libraryPath,
                      const std::string &scratchDir, std::string &error);

} // namespace dlc

#endif // DLC_CODEGEN_MODELLIBRARY_H
