//===- QuantizeCommand.cpp - dlc quantize and calibration -----------------===//
//
// Calibration compiles the fp32 model with every activation placement needs
// as an extra output (the observers read them there), runs it on each
// sample, and hands the ranges to the QDQ placement.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Quantize.h"

#include "compiler/driver/Compiler.h"
#include "frontends/onnx/OnnxImporter.h"
#include "tools/dlc/Commands.h"
#include "tools/dlc/LoadedModel.h"

#include "mlir/IR/MLIRContext.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_set>

namespace dlc {
namespace {

bool readBytes(const std::string &path, std::string &bytes,
               std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return false;
  }
  bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferSize());
  return true;
}

/// A temporary folder removed with everything in it.
struct TemporaryFolder {
  llvm::SmallString<128> path;
  bool create(std::string &error) {
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("dlc-calibration", path)) {
      error = "cannot create a temporary folder: " + ec.message();
      return false;
    }
    return true;
  }
  ~TemporaryFolder() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

/// The sample subfolders of `dir`, sorted.
bool listSamples(const std::string &dir, std::vector<std::string> &samples,
                 std::string &error) {
  bool isDir = false;
  if (llvm::sys::fs::is_directory(dir, isDir) || !isDir) {
    error = "--calibration '" + dir + "' is not a folder";
    return false;
  }
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()))
      samples.push_back(it->path());
  if (ec) {
    error = "cannot list '" + dir + "': " + ec.message();
    return false;
  }
  std::sort(samples.begin(), samples.end());
  if (samples.empty()) {
    error = "--calibration '" + dir +
            "' holds no sample folders (one subfolder per sample, with "
            "<input name>.npy or .pb for each graph input)";
    return false;
  }
  return true;
}

/// The file of `input` in a sample folder: <input>.npy or <input>.pb.
bool sampleFile(const std::string &sample, const std::string &input,
                std::string &file, std::string &error) {
  for (const char *extension : {".npy", ".pb"}) {
    std::string candidate = sample + "/" + input + extension;
    if (llvm::sys::fs::exists(candidate)) {
      file = candidate;
      return true;
    }
  }
  error = "calibration sample '" + sample + "' has no " + input + ".npy or " +
          input + ".pb for graph input '" + input + "'";
  return false;
}

bool hasSymbolicDim(const onnx::ValueInfoProto &input) {
  if (!input.type().has_tensor_type() ||
      !input.type().tensor_type().has_shape())
    return true;
  for (const auto &dim : input.type().tensor_type().shape().dim())
    if (!dim.has_dim_value())
      return true;
  return false;
}

/// Whether a sample's shape agrees with the static dims an input declares
/// (the symbolic ones take the sample's sizes).
bool sampleFitsDeclaredShape(const onnx::ValueInfoProto &input,
                             const std::vector<int64_t> &shape) {
  if (!input.type().has_tensor_type() ||
      !input.type().tensor_type().has_shape())
    return true;
  const auto &dims = input.type().tensor_type().shape().dim();
  if (dims.size() != int(shape.size()))
    return false;
  for (int i = 0; i < dims.size(); ++i)
    if (dims[i].has_dim_value() && dims[i].dim_value() != shape[i])
      return false;
  return true;
}

std::string declaredShape(const onnx::ValueInfoProto &input) {
  std::string text = "[";
  const auto &dims = input.type().tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i) {
    text += i ? "," : "";
    text += dims[i].has_dim_value()       ? std::to_string(dims[i].dim_value())
            : dims[i].dim_param().empty() ? std::string("?")
                                          : dims[i].dim_param();
  }
  return text + "]";
}

bool usesExternalData(const onnx::GraphProto &graph) {
  for (const auto &tensor : graph.initializer())
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
      return true;
  return false;
}

const char kQuantizeHelp[] =
    "usage: dlc quantize MODEL.onnx --calibration DIR -o OUT.onnx\n"
    "                    [--calibration-method minmax|percentile|entropy]\n"
    "                    [--percentile P] [--quantize-exclude NODE,...]\n"
    "                    [--report] [-v]\n"
    "\n"
    "Post-training int8 quantization. Runs the fp32 model (compiled by dlc)\n"
    "on every calibration sample, observing the activations of its Conv,\n"
    "MatMul and Gemm nodes, and writes a standard QDQ ONNX model (which\n"
    "onnxruntime runs, and dlc compile compiles): activations uint8 per\n"
    "tensor, weights int8 symmetric per output channel, biases int32. Other\n"
    "ops stay fp32. docs/quantization.md says more.\n"
    "\n"
    "options:\n"
    "  --calibration DIR     one subfolder per sample, each holding\n"
    "                        <input name>.npy or .pb for every graph input\n"
    "  -o OUT.onnx           the quantized model (written whole or not at "
    "all)\n"
    "  --calibration-method  how a range is taken from the values seen:\n"
    "                        minmax (default; the extremes), percentile\n"
    "                        (the central P %), entropy (the threshold of\n"
    "                        least KL divergence, TensorRT's rule)\n"
    "  --percentile P        for percentile (default 99.999)\n"
    "  --quantize-exclude N  nodes (by name, or first output's name when\n"
    "                        unnamed) left fp32; comma-separated, repeatable\n"
    "  --report              one line per Conv/MatMul/Gemm node: int8 or fp32\n"
    "                        and why\n"
    "  -v                    progress on stderr\n";

} // namespace

bool parseQuantizeFlag(const std::vector<std::string> &args, size_t &i,
                       QuantizeRequest &request, bool &consumed) {
  consumed = false;
  std::string arg = args[i], value;
  bool hasInline = false;
  size_t equals = arg.find('=');
  if (arg.compare(0, 2, "--") == 0 && equals != std::string::npos) {
    value = arg.substr(equals + 1);
    arg = arg.substr(0, equals);
    hasInline = true;
  }
  if (arg != "--calibration" && arg != "--calibration-method" &&
      arg != "--percentile" && arg != "--quantize-exclude")
    return true;
  consumed = true;
  if (!hasInline) {
    if (i + 1 >= args.size()) {
      reportError(arg + " needs a value");
      return false;
    }
    value = args[++i];
  }
  if (arg == "--calibration") {
    request.calibrationDir = value;
  } else if (arg == "--calibration-method") {
    std::optional<CalibrationMethod> method = parseCalibrationMethod(value);
    if (!method) {
      reportError("--calibration-method expects minmax, percentile or "
                  "entropy, got '" +
                  value + "'");
      return false;
    }
    request.method = *method;
  } else if (arg == "--percentile") {
    char *end = nullptr;
    double p = std::strtod(value.c_str(), &end);
    if (value.empty() || *end || !(p > 50 && p <= 100)) {
      reportError("--percentile expects a number in (50, 100], got '" + value +
                  "'");
      return false;
    }
    request.percentile = p;
  } else {
    llvm::SmallVector<llvm::StringRef> names;
    llvm::StringRef(value).split(names, ',', -1, /*KeepEmpty=*/false);
    if (names.empty()) {
      reportError("--quantize-exclude expects node names, got '" + value + "'");
      return false;
    }
    for (llvm::StringRef name : names)
      request.placement.excludedNodes.insert(name.str());
  }
  return true;
}

bool calibrateAndQuantize(const std::string &modelPath, onnx::ModelProto &model,
                          const QuantizeRequest &request,
                          std::vector<NodeQuantization> &report,
                          std::string &error) {
  if (request.calibrationDir.empty()) {
    error = "quantization needs calibration data (--calibration DIR)";
    return false;
  }
  if (usesExternalData(model.graph())) {
    error = "'" + modelPath +
            "' stores weights as external data, which quantization does not "
            "read yet";
    return false;
  }
  // An excluded name that is no node is a typo the user should hear of.
  std::unordered_set<std::string> nodeNames;
  for (const auto &node : model.graph().node())
    nodeNames.insert(node.name().empty() && node.output_size() ? node.output(0)
                                                               : node.name());
  for (const std::string &name : request.placement.excludedNodes)
    if (!nodeNames.count(name)) {
      error = "--quantize-exclude: the model has no node named '" + name + "'";
      return false;
    }
  std::vector<std::string> tensors;
  if (!tensorsToCalibrate(model, request.placement, tensors, error))
    return false;
  std::vector<std::string> samples;
  if (!listSamples(request.calibrationDir, samples, error))
    return false;

  // The observed model: the same graph, the tensors as extra outputs. Its
  // symbolic input dims take the first sample's sizes.
  onnx::ModelProto observed = model;
  std::unordered_set<std::string> graphInputs, outputs;
  for (const auto &tensor : model.graph().initializer())
    graphInputs.insert(tensor.name()); // not inputs, not observed as such
  OnnxImportOptions importOptions;
  importOptions.functionName = "calibration";
  std::unordered_set<std::string> initializers = graphInputs;
  graphInputs.clear();
  for (const auto &input : model.graph().input()) {
    if (initializers.count(input.name()))
      continue;
    graphInputs.insert(input.name());
    if (!hasSymbolicDim(input))
      continue;
    std::string file;
    HostTensor tensor;
    if (!sampleFile(samples.front(), input.name(), file, error) ||
        !readTensorFile(file, tensor, error))
      return false;
    if (!sampleFitsDeclaredShape(input, tensor.shape)) {
      error = "calibration sample '" + file + "' has shape " +
              formatShape(tensor.shape) + "; graph input '" + input.name() +
              "' is " + declaredShape(input);
      return false;
    }
    importOptions.inputShapes[input.name()] = tensor.shape;
  }
  for (const auto &output : model.graph().output())
    outputs.insert(output.name());
  for (const std::string &tensor : tensors)
    if (!graphInputs.count(tensor) && outputs.insert(tensor).second)
      observed.mutable_graph()->add_output()->set_name(tensor);

  TemporaryFolder folder;
  if (!folder.create(error))
    return false;
  {
    mlir::DialectRegistry registry;
    registerCompilerDialects(registry);
    mlir::MLIRContext context(registry);
    int diagnostics = 0;
    mlir::ScopedDiagnosticHandler handler(&context,
                                          makeDiagnosticPrinter(diagnostics));
    llvm::SmallString<256> modelDir(modelPath);
    llvm::sys::path::remove_filename(modelDir);
    if (modelDir.empty())
      modelDir = ".";
    auto module = importOnnxModel(observed, std::string(modelDir), context,
                                  importOptions, error);
    CompileOptions options;
    options.modelName = "calibration";
    options.outputDir = std::string(folder.path) + "/lib";
    if (!module || mlir::failed(compileModule(*module, options))) {
      error = "calibration: compiling the fp32 model failed" +
              (error.empty() ? std::string() : ": " + error);
      return false;
    }
  }
  LoadedModel library;
  if (!openModelLibrary(std::string(folder.path) + "/lib/libcalibration.so",
                        "calibration", library, error))
    return false;

  std::map<std::string, TensorObserver> observers;
  for (const std::string &tensor : tensors)
    observers.emplace(tensor,
                      TensorObserver(request.method, request.percentile));
  if (request.verbose)
    std::fprintf(stderr, "dlc: calibrating %zu tensors on %zu samples (%s)\n",
                 tensors.size(), samples.size(),
                 calibrationMethodName(request.method));
  bool histograms =
      observers.empty() ? false : observers.begin()->second.needsHistogram();
  // The outputs have one shape for every sample: allocated once.
  std::vector<HostTensor> results(library.info->num_outputs);
  for (int32_t i = 0; i < library.info->num_outputs; ++i)
    if (!allocateFor(library.info->outputs[i], results[i], error))
      return false;
  for (int pass = 0; pass < (histograms ? 2 : 1); ++pass) {
    for (const std::string &sample : samples) {
      std::map<std::string, std::string> files;
      for (int32_t i = 0; i < library.info->num_inputs; ++i) {
        std::string name = library.info->inputs[i].name, file;
        if (!sampleFile(sample, name, file, error))
          return false;
        files[name] = file;
      }
      std::vector<HostTensor> inputs;
      if (!readInputs(library, files, false, inputs, error))
        return false;
      if (!invoke(library, inputs, results, error)) {
        error = "calibration sample '" + sample + "': " + error;
        return false;
      }
      auto observe = [&](const std::string &name, const HostTensor &tensor) {
        auto observer = observers.find(name);
        if (observer == observers.end() || tensor.dtype != DLC_FLOAT32)
          return;
        auto *values = reinterpret_cast<const float *>(tensor.bytes.data());
        if (pass == 0)
          observer->second.observeRange(values, tensor.numElements());
        else
          observer->second.observeHistogram(values, tensor.numElements());
      };
      for (int32_t i = 0; i < library.info->num_inputs; ++i)
        observe(library.info->inputs[i].name, inputs[i]);
      for (int32_t i = 0; i < library.info->num_outputs; ++i)
        observe(library.info->outputs[i].name, results[i]);
    }
  }
  std::map<std::string, ValueRange> ranges;
  for (const auto &[name, observer] : observers)
    if (std::optional<ValueRange> range = observer.range())
      ranges[name] = *range;
  return placeQdq(model, ranges, request.placement, report, error);
}

void printQuantizationReport(const std::vector<NodeQuantization> &report) {
  std::printf("QDQ placement (int8: the node's inputs and output on int8 "
              "grids):\n");
  size_t quantized = 0;
  for (const NodeQuantization &row : report) {
    quantized += row.quantized;
    std::printf("  %-6s %-7s %s%s%s\n", row.quantized ? "int8" : "fp32",
                row.opType.c_str(), row.node.c_str(), row.quantized ? "" : ": ",
                row.reason.c_str());
  }
  std::printf("quantized %zu of %zu Conv/MatMul/Gemm nodes\n", quantized,
              report.size());
}

int runQuantizeCommand(const std::vector<std::string> &args) {
  QuantizeRequest request;
  std::string model, output;
  bool report = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    bool consumed = false;
    if (!parseQuantizeFlag(args, i, request, consumed))
      return 2;
    if (consumed)
      continue;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kQuantizeHelp, stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      if (i + 1 >= args.size())
        return reportError("-o needs a value"), 2;
      output = args[++i];
    } else if (arg == "--report") {
      report = true;
    } else if (arg == "-v" || arg == "--verbose") {
      request.verbose = true;
    } else if (!arg.empty() && arg[0] == '-') {
      reportError("unknown option '" + arg + "' (see dlc quantize --help)");
      return 2;
    } else if (model.empty()) {
      model = arg;
    } else {
      reportError("more than one model given ('" + model + "', '" + arg + "')");
      return 2;
    }
  }
  if (model.empty() || output.empty() || request.calibrationDir.empty()) {
    std::fputs(kQuantizeHelp, stderr);
    return 2;
  }
  if (!llvm::StringRef(model).ends_with(".onnx"))
    return reportError("'" + model + "': dlc quantize reads .onnx models");
  std::string bytes, error;
  onnx::ModelProto proto;
  if (!readBytes(model, bytes, error) ||
      !parseOnnxModel(bytes, model, proto, error))
    return reportError(error);
  bytes.clear();
  std::vector<NodeQuantization> rows;
  if (!calibrateAndQuantize(model, proto, request, rows, error))
    return reportError(error);
  // Written beside the destination and renamed over it: a failure leaves
  // no partial file.
  std::string temporary = output + ".dlc-partial";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file || !proto.SerializeToOstream(&file) || !file.flush()) {
      file.close();
      llvm::sys::fs::remove(temporary);
      return reportError("cannot write '" + output + "'");
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, output)) {
    llvm::sys::fs::remove(temporary);
    return reportError("cannot write '" + output + "': " + ec.message());
  }
  if (report)
    printQuantizationReport(rows);
  return 0;
}

} // namespace dlc
