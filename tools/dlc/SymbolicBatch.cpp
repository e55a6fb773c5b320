//===- SymbolicBatch.cpp - ONNX models with a symbolic batch dim ----------===//
//
// A model whose inputs share a symbolic dim 0 (`batch`) and no other
// symbolic dim compiles to one library for every batch size: it is imported
// for one sample, and the library's entry runs it sample by sample. That is
// exact when no op mixes samples and the graph does not compute with the
// batch size, which is checked here before anything is compiled: the model
// is also imported at batch 2 and 3, dlc-check-batch-separable's analysis
// runs on the first, and the three graphs must be one graph up to the
// batch's dims. Otherwise the message says what stands in the way and how
// to fix the size instead (--input-shape).
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/SymbolicBatch.h"

#include "compiler/dialect/DlcDialect.h"
#include "passes/graph/BatchSeparability.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <set>

namespace dlc {
namespace {

using BatchAttr = DlcDialect::BatchSymbolAttrHelper;

std::string shapeHint(const std::string &name,
                      const std::vector<int64_t> &sampleShape) {
  std::string text = "--input-shape " + name + "=N";
  for (size_t d = 1; d < sampleShape.size(); ++d)
    text += "," + std::to_string(sampleShape[d]);
  return text;
}

mlir::func::FuncOp entryOf(mlir::ModuleOp module) {
  mlir::func::FuncOp entry;
  module.walk([&](mlir::func::FuncOp f) {
    if (!entry && !f.isDeclaration())
      entry = f;
  });
  return entry;
}

/// Erases the ops whose results nothing uses, last first: the importer
/// leaves the constants of folded shape computations (Shape -> Gather ->
/// Concat -> Reshape's shape, holding the batch size) behind, and they
/// would differ between batch sizes without computing anything.
void eraseDeadOps(mlir::func::FuncOp entry) {
  llvm::SmallVector<mlir::Operation *> ops;
  for (mlir::Operation &op : entry.getBody().front().without_terminator())
    ops.push_back(&op);
  for (mlir::Operation *op : llvm::reverse(ops))
    if (mlir::isOpTriviallyDead(op))
      op->erase();
}

/// The first error reported while it lives, as the CLI prints one.
class FirstError {
public:
  explicit FirstError(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Error &&
              text.empty()) {
            llvm::raw_string_ostream os(text);
            if (auto node = mlir::dyn_cast<mlir::NameLoc>(diag.getLocation()))
              os << "node '" << node.getName().getValue() << "': ";
            os << diag;
          }
          return mlir::success();
        }) {}
  std::string text;

private:
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace

bool findSymbolicBatch(const onnx::ModelProto &model,
                       const OnnxImportOptions &options, SymbolicBatch &batch) {
  std::set<std::string> initializers;
  for (const onnx::TensorProto &tensor : model.graph().initializer())
    initializers.insert(tensor.name());
  batch = SymbolicBatch();
  std::set<std::string> symbols;
  int unnamed = 0;
  for (const onnx::ValueInfoProto &input : model.graph().input()) {
    const std::string &name = input.name();
    if (initializers.count(name) || options.boundInputs.count(name))
      continue;
    auto given = options.inputShapes.find(name);
    if (given != options.inputShapes.end()) {
      // --input-shape NAME=batch,...: the given shape, its dim 0 symbolic.
      auto named = options.batchSymbols.find(name);
      if (named != options.batchSymbols.end()) {
        symbols.insert(named->second);
        batch.inputs.push_back(name);
        batch.sampleShapes.push_back(given->second);
        batch.sampleShapes.back()[0] = 1;
      }
      continue;
    }
    if (!input.type().has_tensor_type() ||
        !input.type().tensor_type().has_shape())
      return false;
    const auto &dims = input.type().tensor_type().shape().dim();
    std::vector<int64_t> shape;
    bool symbolic = false;
    for (int d = 0; d < dims.size(); ++d) {
      bool isSymbol = !dims[d].has_dim_value() || dims[d].dim_value() < 0;
      if (isSymbol && d > 0)
        return false; // other symbolic dims: --input-shape
      if (isSymbol) {
        symbolic = true;
        if (dims[d].dim_param().empty())
          ++unnamed;
        else
          symbols.insert(dims[d].dim_param());
      }
      shape.push_back(isSymbol ? 1 : dims[d].dim_value());
    }
    if (symbolic) {
      batch.inputs.push_back(name);
      batch.sampleShapes.push_back(shape);
    }
  }
  // One symbol; an unnamed dim only as the one symbolic input.
  if (batch.inputs.empty() || symbols.size() + (unnamed ? 1 : 0) != 1 ||
      unnamed > 1)
    return false;
  batch.symbol = symbols.empty() ? "batch" : *symbols.begin();
  return true;
}

mlir::OwningOpRef<mlir::ModuleOp>
importSampleModel(const onnx::ModelProto &model, const std::string &modelDir,
                  mlir::MLIRContext &context, const OnnxImportOptions &options,
                  const SymbolicBatch &batch, std::string &error) {
  const int64_t sizes[] = {1, 2, 3};
  const unsigned reference = 1; // batch 2: the analysis's probe
  mlir::OwningOpRef<mlir::ModuleOp> probes[3];
  std::string firstInput = batch.inputs.front();
  auto refuse = [&](const std::string &why) {
    error = "the batch '" + batch.symbol + "' (dim 0 of input '" + firstInput +
            "') cannot stay symbolic: " + why + "; give its size with " +
            shapeHint(firstInput, batch.sampleShapes.front());
    return nullptr;
  };
  for (unsigned k = 0; k < 3; ++k) {
    OnnxImportOptions probeOptions = options;
    for (size_t i = 0; i < batch.inputs.size(); ++i) {
      std::vector<int64_t> shape = batch.sampleShapes[i];
      shape[0] = sizes[k];
      probeOptions.inputShapes[batch.inputs[i]] = shape;
    }
    std::string importError;
    FirstError diagnostics(context);
    probes[k] =
        importOnnxModel(model, modelDir, context, probeOptions, importError);
    if (!probes[k]) {
      // At batch 1 this is the model's own error, as without a batch.
      if (k == 0) {
        error = diagnostics.text.empty() ? importError : diagnostics.text;
        return nullptr;
      }
      return refuse(
          "at batch " + std::to_string(sizes[k]) + ", " +
          (diagnostics.text.empty() ? importError : diagnostics.text));
    }
  }
  mlir::func::FuncOp entries[3];
  for (unsigned k = 0; k < 3; ++k) {
    entries[k] = entryOf(*probes[k]);
    if (!entries[k]) {
      error = "the imported model has no function";
      return nullptr;
    }
    eraseDeadOps(entries[k]);
  }
  auto symbol = mlir::StringAttr::get(&context, batch.symbol);
  auto markArguments = [&](mlir::func::FuncOp entry) {
    for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
      auto name = entry.getArgAttrOfType<mlir::StringAttr>(
          i, DlcDialect::NameAttrHelper::getNameStr());
      if (name && llvm::is_contained(batch.inputs, name.getValue().str()))
        entry.setArgAttr(i, BatchAttr::getNameStr(), symbol);
    }
  };
  markArguments(entries[reference]);
  mlir::FailureOr<BatchDims> dims = mlir::failure();
  {
    FirstError diagnostics(context);
    dims = analyzeBatchDims(entries[reference], sizes[reference]);
    if (mlir::failed(dims))
      return refuse(diagnostics.text);
  }
  std::string why;
  if (!sameGraphAcrossBatchSizes(entries, sizes, reference, *dims, why))
    return refuse("the graph depends on the batch size (" + why + ")");
  // The sample model: the batch-1 graph, marked where the reference holds
  // the samples.
  mlir::func::FuncOp sample = entries[0];
  markArguments(sample);
  auto ret = mlir::cast<mlir::func::ReturnOp>(
      entries[reference].getBody().front().getTerminator());
  for (mlir::OpOperand &operand : ret->getOpOperands())
    if (dims->count(operand.get()))
      sample.setResultAttr(operand.getOperandNumber(), BatchAttr::getNameStr(),
                           symbol);
  return std::move(probes[0]);
}

} // namespace dlc
