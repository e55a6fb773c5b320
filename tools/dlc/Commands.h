//===- Commands.h - The dlc subcommands -------------------------*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_COMMANDS_H
#define DLC_TOOLS_DLC_COMMANDS_H

#include "compiler/driver/CompileOptions.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dlc {

using Args = std::vector<std::string>;

int runCompileCommand(const Args &args);
int runRunCommand(const Args &args);
int runBenchCommand(const Args &args);
int runInspectCommand(const Args &args);
int runQuantizeCommand(const Args &args);

/// Loads an .onnx model (imported as function `modelName`) or a dlc-dialect
/// .mlir file; null with `error` set (or diagnostics printed) on failure.
/// `boundInputFiles` maps ONNX inputs to .npy/.pb files whose values are
/// compiled in (--bind-input). `parsed`, when given, is the .onnx model
/// already read (and rewritten, as by --quantize=int8).
mlir::OwningOpRef<mlir::ModuleOp>
loadModel(const std::string &model, mlir::MLIRContext &context,
          OnnxImportOptions importOptions, const std::string &modelName,
          std::string &error,
          const std::map<std::string, std::string> &boundInputFiles = {},
          const onnx::ModelProto *parsed = nullptr);

/// A diagnostic handler printing each error on one line, naming its node;
/// counts them in `errors`.
std::function<mlir::LogicalResult(mlir::Diagnostic &)>
makeDiagnosticPrinter(int &errors);

/// Parses --input-shape's NAME=D0,D1,...; false when malformed. With
/// `dim0Symbol`, D0 may be a name (a symbolic batch): it is set there and
/// the shape holds -1.
bool parseShape(const std::string &spec, std::string &name,
                std::vector<int64_t> &shape, std::string *dim0Symbol = nullptr);

/// Adds `name` to the passes --disable-pass skips; reports and returns false
/// when it is not an optional pass (naming those).
bool disablePass(const std::string &name, CompileOptions &options);

/// Prints "dlc: error: <message>" on stderr and returns exit code 1.
int reportError(const std::string &message);

} // namespace dlc

#endif // DLC_TOOLS_DLC_COMMANDS_H
