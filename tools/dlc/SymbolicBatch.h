//===- SymbolicBatch.h - ONNX models with a symbolic batch dim --*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_SYMBOLICBATCH_H
#define DLC_TOOLS_DLC_SYMBOLICBATCH_H

#include "frontends/onnx/OnnxImporter.h"

#include <string>
#include <vector>

namespace dlc {

/// The inputs of a model whose one symbolic dim is their dim 0.
struct SymbolicBatch {
  std::string symbol; // the dim's ONNX dim_param ("batch" when unnamed)
  std::vector<std::string> inputs;
  std::vector<std::vector<int64_t>> sampleShapes; // dim 0 set to 1
};

/// Whether the inputs that `options` leaves open (not bound, no
/// --input-shape) have one symbolic dim between them, each its dim 0 and
/// all of one name; fills `batch`.
bool findSymbolicBatch(const onnx::ModelProto &model,
                       const OnnxImportOptions &options, SymbolicBatch &batch);

/// The model imported for one sample, its batched inputs and outputs marked
/// `dlc.batch_symbol`, when it runs sample by sample exactly (see
/// SymbolicBatch.cpp); null with `error` saying why not otherwise.
mlir::OwningOpRef<mlir::ModuleOp>
importSampleModel(const onnx::ModelProto &model, const std::string &modelDir,
                  mlir::MLIRContext &context, const OnnxImportOptions &options,
                  const SymbolicBatch &batch, std::string &error);

} // namespace dlc

#endif // DLC_TOOLS_DLC_SYMBOLICBATCH_H
