//===- LibraryTarget.h - What a target adds to a model library --*- C++ -*-===//
//
// The header, glue and link of a model library are the same for every
// target (codegen/ModelLibrary.cpp); a target adds its runtime part, the
// entry point the model info calls, and entry points of its own. codegen/cpu
// and codegen/gpu implement this; ModelLibrary.cpp knows neither.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_LIBRARYTARGET_H
#define DLC_CODEGEN_LIBRARYTARGET_H

#include "codegen/ModelSignature.h"

#include <string>
#include <vector>

namespace dlc {

/// A file of the runtime written beside the glue: a header (under
/// include/, e.g. "dlc/cuda.h") or a C source compiled into the library.
struct RuntimeFile {
  std::string path; // relative to include/ for a header, else a file name
  const char *contents;
  bool isHeader;
};

class LibraryTarget {
public:
  virtual ~LibraryTarget() = default;

  /// The runtime header the glue includes ("dlc/runtime.h", ...).
  virtual std::string glueInclude() const = 0;

  /// Glue after the tensor tables: what the model info's entry fields name.
  virtual std::string emitEntry(const ModelSignature &signature) const = 0;

  /// The model info's `entry` and `run` fields ("entry,\n  0", ...).
  virtual std::string modelInfoEntryFields() const = 0;

  /// Entry points of the target's own: their glue (after <name>_run),
  /// their declarations in the header, and their symbols, which the
  /// library exports.
  virtual std::string emitExtraGlue(const ModelSignature &) const { return ""; }
  virtual std::string emitHeaderDeclarations(const ModelSignature &) const {
    return "";
  }
  virtual std::vector<std::string> extraExports(const ModelSignature &) const {
    return {};
  }

  /// The target's part of the runtime, and the system libraries it needs.
  virtual std::vector<RuntimeFile> runtimeFiles() const { return {}; }
  virtual std::vector<std::string> systemLibraries() const { return {}; }
};

} // namespace dlc

#endif // DLC_CODEGEN_LIBRARYTARGET_H
