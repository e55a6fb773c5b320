//===- OnnxImporter.h - ONNX models to the dlc dialect ----------*- C++ -*-===//
#ifndef DLC_FRONTENDS_ONNX_ONNXIMPORTER_H
#define DLC_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace dlc {

struct OnnxImportOptions {
  /// Name of the entry function (the model name).
  std::string functionName = "main";
  /// Shapes for graph inputs, overriding (and fixing symbolic dims of) the
  /// shapes the model declares.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Inputs whose given shape names its dim 0 as a symbol (the entry in
  /// inputShapes holds -1 there): a symbolic batch, resolved before import
  /// (tools/dlc/SymbolicBatch.cpp).
  std::map<std::string, std::string> batchSymbols;
  /// Values for graph inputs known at compile time (shapes, axes, sizes that
  /// the model takes as inputs): each becomes a constant and is no longer an
  /// input of the compiled function.
  std::map<std::string, mlir::ElementsAttr> boundInputs;
  /// A graph input that decides a node's output shape may stay a run-time
  /// input when the model declares that output's shape: the library checks
  /// its values before each run (dlc.value_checks). Off for targets whose
  /// inputs the library cannot read before a run (CUDA device pointers).
  bool runtimeValueChecks = false;
};

/// Reads an .onnx file (external-data files must lie inside its folder) and
/// builds a module with one function in the dlc dialect. On failure returns
/// null; the reason is in `error` (or was reported as an MLIR diagnostic at a
/// node's location, in which case `error` says so).
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(const std::string &path, mlir::MLIRContext &context,
               const OnnxImportOptions &options, std::string &error);

/// importOnnxFile on the bytes of a model already read; `what` names it in
/// messages, `modelDir` is where its external data lies.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBytes(const std::string &bytes, const std::string &what,
                const std::string &modelDir, mlir::MLIRContext &context,
                const OnnxImportOptions &options, std::string &error);

/// Parses the bytes of an .onnx file; false with `error` (naming `what`)
/// when they are not a model.
bool parseOnnxModel(const std::string &bytes, const std::string &what,
                    onnx::ModelProto &model, std::string &error);

/// Reads and parses an .onnx file; false with `error` (naming it) when it
/// cannot be read or is not a model.
bool parseOnnxFile(const std::string &path, onnx::ModelProto &model,
                   std::string &error);

/// importOnnxBytes on a model already parsed.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(const onnx::ModelProto &model, const std::string &modelDir,
                mlir::MLIRContext &context, const OnnxImportOptions &options,
                std::string &error);

/// The ONNX op types the importer handles, sorted.
std::vector<std::string> supportedOnnxOps();

} // namespace dlc

#endif // DLC_FRONTENDS_ONNX_ONNXIMPORTER_H
