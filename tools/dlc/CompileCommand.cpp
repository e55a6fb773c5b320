//===- CompileCommand.cpp - dlc compile -----------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/ElementTypes.h"
#include "compiler/driver/Compiler.h"
#include "compiler/driver/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"
#include "tools/dlc/Commands.h"
#include "tools/dlc/Quantize.h"
#include "tools/dlc/SymbolicBatch.h"
#include "tools/dlc/TensorIO.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "onnx/onnx_pb.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cstdio>

namespace dlc {

static const char kCompileHelp[] =
    "usage: dlc compile MODEL -o OUTDIR [options]\n"
    "\n"
    "Compiles MODEL (.onnx, or .mlir in the dlc dialect) into "
    "OUTDIR/lib<N>.so\n"
    "(weights and runtime inside) and OUTDIR/<N>.h. Nothing is written into\n"
    "OUTDIR unless the whole compilation succeeds.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR          output folder (created if missing)\n"
    "  --name N                  model name, a C identifier (default: the\n"
    "                            file's stem); prefixes every exported symbol\n"
    "  -O0 .. -O3                optimization level (default -O3); -O0 runs "
    "no\n"
    "                            graph optimization\n"
    "  --target=T                what to compile for: cpu (the default), or\n"
    "                            cuda[:sm_XX] for NVIDIA GPUs (PTX for sm_XX,\n"
    "                            default sm_90; sm_80 and newer); the CUDA\n"
    "                            driver is loaded when the library runs;\n"
    "                            cuda-emulate: the CUDA kernels run as loops\n"
    "                            on the CPU (slow; checks the GPU mapping\n"
    "                            without a GPU)\n"
    "  --mcpu CPU                target CPU (default: the host's, e.g. "
    "znver5)\n"
    "  --mtriple TRIPLE          target triple (default: the host's)\n"
    "  --emit=K[,K...]           what to write: graph (N.graph.mlir), loops\n"
    "                            (N.loops.mlir), llvm (N.ll), asm (N.s), obj\n"
    "                            (N.o), lib (libN.so + N.h; the default),\n"
    "                            ptx (N.ptx, with --target=cuda)\n"
    "  --input-shape NAME=D0,D1,...\n"
    "                            fix the shape of an ONNX input (for symbolic\n"
    "                            dimensions); a name for D0 (batch,128) keeps\n"
    "                            dim 0 a symbolic batch; may be repeated\n"
    "  --dim-range SYMBOL=MIN:MAX\n"
    "                            the sizes a symbolic dim (the symbolic\n"
    "                            batch) may take at run time, e.g.\n"
    "                            batch=1:64 (MIN or MAX may be left out);\n"
    "                            a run outside them is refused; may be\n"
    "                            repeated\n"
    "  --bind-input NAME=FILE    compile in the value of an ONNX input (.npy\n"
    "                            or .pb): for inputs that give a shape, axes\n"
    "                            or sizes; the input leaves the library's\n"
    "                            signature; may be repeated\n"
    "  --quantize=int8           post-training int8 quantization before\n"
    "                            compiling (as dlc quantize: the model is\n"
    "                            calibrated and rewritten into QDQ form);\n"
    "                            needs --calibration DIR; takes dlc\n"
    "                            quantize's --calibration-method,\n"
    "                            --percentile and --quantize-exclude\n"
    "  --report                  print what was built: fused groups, kernels\n"
    "                            (loop nests run), the arena of\n"
    "                            intermediates against the naive sum, and\n"
    "                            each graph kernel's estimated arithmetic\n"
    "                            (FLOPs) with its share of the total\n"
    "  --profile                 time each kernel of the library (dlc bench\n"
    "                            --profile prints the times); adds two clock\n"
    "                            reads per kernel\n"
    "  --disable-pass=PASS       skip an optional pass (may be repeated); by\n"
    "                            the -O level each runs from:\n";

/// After the list of optional passes.
static const char kCompileHelpEnd[] =
    "  --print-ir-after-all      print the module after every pass (stderr)\n"
    "  --print-ir-after=PASS     print the module after each run of PASS\n"
    "                            (a pass argument, e.g. dlc-fuse-ops)\n"
    "  -v, --verbose             print each stage and its time on stderr\n";

/// The help text, with the optional passes of the pipelines' table grouped
/// by the level they run from.
static std::string compileHelp() {
  std::string passes;
  for (int level = 0; level <= 3; ++level) {
    std::string line =
        "                              -O" + std::to_string(level) + ":";
    bool any = false;
    for (const OptionalPass &pass : optionalPasses()) {
      if (pass.minLevel != level)
        continue;
      std::string item = (any ? ", " : " ") + pass.argument;
      if (line.size() + item.size() + 1 > 80) { // keeps the comma
        passes += line + (any ? ",\n" : "\n");
        line = std::string(35, ' ') + pass.argument;
      } else {
        line += item;
      }
      any = true;
    }
    if (any)
      passes += line + "\n";
  }
  return kCompileHelp + passes + kCompileHelpEnd;
}

int reportError(const std::string &message) {
  std::fprintf(stderr, "dlc: error: %s\n", message.c_str());
  return 1;
}

static bool parseEmit(const std::string &list, std::set<EmitKind> &emit,
                      std::string &error) {
  emit.clear();
  llvm::SmallVector<llvm::StringRef> kinds;
  llvm::StringRef(list).split(kinds, ',');
  for (llvm::StringRef kind : kinds) {
    if (kind == "graph")
      emit.insert(EmitKind::Graph);
    else if (kind == "loops")
      emit.insert(EmitKind::Loops);
    else if (kind == "llvm")
      emit.insert(EmitKind::LLVM);
    else if (kind == "asm")
      emit.insert(EmitKind::Asm);
    else if (kind == "obj")
      emit.insert(EmitKind::Obj);
    else if (kind == "lib")
      emit.insert(EmitKind::Lib);
    else if (kind == "ptx")
      emit.insert(EmitKind::Ptx);
    else {
      error = "unknown --emit kind '" + kind.str() +
              "' (expected graph, loops, llvm, asm, obj, lib or ptx)";
      return false;
    }
  }
  return true;
}

bool parseShape(const std::string &spec, std::string &name,
                std::vector<int64_t> &shape, std::string *dim0Symbol) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return false;
  name = spec.substr(0, eq);
  llvm::SmallVector<llvm::StringRef> dims;
  llvm::StringRef(spec).substr(eq + 1).split(dims, ',');
  for (llvm::StringRef dim : dims) {
    dim = dim.trim();
    int64_t value;
    bool isName =
        !dim.empty() &&
        (std::isalpha(static_cast<unsigned char>(dim[0])) || dim[0] == '_') &&
        llvm::all_of(dim, [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
    if (isName && shape.empty() && dim0Symbol) {
      *dim0Symbol = dim.str();
      shape.push_back(-1);
      continue;
    }
    if (dim.getAsInteger(10, value) || value < 0)
      return false;
    shape.push_back(value);
  }
  return true;
}

/// --dim-range's SYMBOL=MIN:MAX; MIN defaults to 0, MAX to none (-1).
static bool parseDimRange(const std::string &spec, DimRange &range) {
  auto [symbol, bounds] = llvm::StringRef(spec).split('=');
  symbol = symbol.trim();
  if (symbol.empty() || !bounds.contains(':') ||
      !(std::isalpha(static_cast<unsigned char>(symbol[0])) ||
        symbol[0] == '_') ||
      !llvm::all_of(symbol, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    return false;
  auto [low, high] = bounds.split(':');
  low = low.trim();
  high = high.trim();
  range.symbol = symbol.str();
  range.min = 0;
  range.max = -1;
  if (!low.empty() && (low.getAsInteger(10, range.min) || range.min < 0))
    return false;
  if (!high.empty() && (high.getAsInteger(10, range.max) || range.max < 0 ||
                        range.max < range.min))
    return false;
  // Past 2^48 no tensor has the dim: such a bound is a typo.
  const int64_t limit = int64_t(1) << 48;
  return range.min <= limit && range.max <= limit;
}

/// Marks the arguments that hold each range's symbol (a symbolic batch)
/// with dlc.batch_range; an error when a symbol does not stay symbolic.
static bool applyDimRanges(mlir::ModuleOp module,
                           const std::vector<DimRange> &ranges,
                           std::string &error) {
  std::string attrName = DlcDialect::BatchSymbolAttrHelper::getNameStr().str();
  std::string kept;
  for (const DimRange &range : ranges) {
    bool marked = false;
    module.walk([&](mlir::func::FuncOp func) {
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto symbol = func.getArgAttrOfType<mlir::StringAttr>(i, attrName);
        if (!symbol)
          continue;
        kept = symbol.getValue().str();
        if (symbol.getValue() != range.symbol)
          continue;
        func.setArgAttr(i, DlcDialect::BatchRangeAttrHelper::getNameStr(),
                        mlir::DenseI64ArrayAttr::get(module.getContext(),
                                                     {range.min, range.max}));
        marked = true;
      }
    });
    if (!marked) {
      error =
          "--dim-range names '" + range.symbol + "', but " +
          (kept.empty() ? std::string("no dim of the model stays "
                                      "symbolic (its shapes are fixed)")
                        : "the only dim that stays symbolic is the batch '" +
                              kept + "'") +
          "; only a symbolic batch can have a range today";
      return false;
    }
  }
  return true;
}

/// "18.7 kFLOP", three significant digits.
static std::string humanFlops(int64_t flops) {
  const char *units[] = {"", "k", "M", "G", "T"};
  double value = static_cast<double>(flops);
  int unit = 0;
  while (value >= 999.95 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit ? "%.1f %sFLOP" : "%.0f %sFLOP", value,
                units[unit]);
  return text;
}

static void printKernelFlops(const std::vector<KernelSummary> &kernels) {
  int64_t total = 0;
  for (const KernelSummary &kernel : kernels)
    total += kernel.flops;
  std::printf("estimated arithmetic: %s (%lld FLOP) in %zu graph kernels\n",
              humanFlops(total).c_str(), (long long)total, kernels.size());
  for (auto [i, kernel] : llvm::enumerate(kernels)) {
    std::string nodes;
    for (const std::string &node : kernel.nodes)
      nodes += (nodes.empty() ? "" : ", ") + node;
    double share = total ? 100.0 * kernel.flops / total : 0.0;
    std::printf("  [%zu] %s%s -> %s  %s (%.1f %%)%s%s%s\n", i,
                kernel.fused ? "fused " : "", kernel.ops.c_str(),
                kernel.resultType.c_str(), humanFlops(kernel.flops).c_str(),
                share, nodes.empty() ? "" : "  (", nodes.c_str(),
                nodes.empty() ? "" : ")");
  }
}

int runCompileCommand(const Args &args) {
  CompileOptions options;
  OnnxImportOptions importOptions;
  std::map<std::string, std::string> boundInputFiles;
  std::string model, emitList;
  std::vector<DimRange> dimRanges;
  QuantizeRequest quantize;
  bool quantizeInt8 = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    bool quantizeFlag = false;
    if (!parseQuantizeFlag(args, i, quantize, quantizeFlag))
      return 2;
    if (quantizeFlag)
      continue;
    auto value = [&](const char *flag) -> const std::string * {
      if (i + 1 >= args.size()) {
        reportError(std::string(flag) + " needs a value");
        return nullptr;
      }
      return &args[++i];
    };
    auto inlineValue = [&](const char *prefix) -> std::optional<std::string> {
      size_t length = std::strlen(prefix);
      if (arg.compare(0, length, prefix) == 0)
        return arg.substr(length);
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(compileHelp().c_str(), stdout);
      return 0;
    } else if (arg == "-o" || arg == "--output") {
      const std::string *v = value("-o");
      if (!v)
        return 2;
      options.outputDir = *v;
    } else if (arg == "--name") {
      const std::string *v = value("--name");
      if (!v)
        return 2;
      options.modelName = *v;
    } else if (arg.size() == 3 && arg[0] == '-' && arg[1] == 'O' &&
               arg[2] >= '0' && arg[2] <= '3') {
      options.optLevel = arg[2] - '0';
    } else if (arg == "--bind-input") {
      const std::string *v = value("--bind-input");
      if (!v)
        return 2;
      size_t equals = v->find('=');
      if (equals == std::string::npos || equals == 0 ||
          equals + 1 == v->size()) {
        reportError("--bind-input expects NAME=FILE, got '" + *v + "'");
        return 2;
      }
      boundInputFiles[v->substr(0, equals)] = v->substr(equals + 1);
    } else if (arg == "--dim-range" || inlineValue("--dim-range=")) {
      std::string spec;
      if (arg == "--dim-range") {
        const std::string *v = value("--dim-range");
        if (!v)
          return 2;
        spec = *v;
      } else {
        spec = *inlineValue("--dim-range=");
      }
      DimRange range;
      if (!parseDimRange(spec, range)) {
        reportError("--dim-range expects SYMBOL=MIN:MAX (sizes, MIN <= MAX; "
                    "either may be left out), got '" +
                    spec + "'");
        return 2;
      }
      dimRanges.push_back(range);
    } else if (arg == "--mcpu" || arg == "--mtriple" || arg == "--emit" ||
               arg == "--input-shape") {
      const std::string *v = value(arg.c_str());
      if (!v)
        return 2;
      if (arg == "--mcpu")
        options.cpu = *v;
      else if (arg == "--mtriple")
        options.triple = *v;
      else if (arg == "--emit")
        emitList = *v;
      else {
        std::string name, symbol;
        std::vector<int64_t> shape;
        if (!parseShape(*v, name, shape, &symbol)) {
          reportError("--input-shape expects NAME=D0,D1,... (sizes; D0 may "
                      "be a name, a symbolic batch), got '" +
                      *v + "'");
          return 2;
        }
        importOptions.inputShapes[name] = shape;
        if (!symbol.empty())
          importOptions.batchSymbols[name] = symbol;
      }
    } else if (arg == "--target" || inlineValue("--target=")) {
      std::string target;
      if (arg == "--target") {
        const std::string *v = value("--target");
        if (!v)
          return 2;
        target = *v;
      } else {
        target = *inlineValue("--target=");
      }
      options.gpuChip.clear();
      options.emulateGpu = false;
      if (target == "cuda-emulate") {
        options.emulateGpu = true;
      } else if (target == "cuda") {
        options.gpuChip = "sm_90";
      } else if (target.rfind("cuda:", 0) == 0) {
        options.gpuChip = target.substr(5);
      } else if (target != "cpu") {
        reportError("--target expects cpu, cuda, cuda:sm_XX or cuda-emulate, "
                    "got '" +
                    target + "'");
        return 2;
      }
    } else if (auto v = inlineValue("--mcpu=")) {
      options.cpu = *v;
    } else if (auto v = inlineValue("--mtriple=")) {
      options.triple = *v;
    } else if (auto v = inlineValue("--emit=")) {
      emitList = *v;
    } else if (arg == "--quantize" || inlineValue("--quantize=")) {
      std::string precision;
      if (arg == "--quantize") {
        const std::string *v = value("--quantize");
        if (!v)
          return 2;
        precision = *v;
      } else {
        precision = *inlineValue("--quantize=");
      }
      if (precision != "int8") {
        reportError("--quantize expects int8, got '" + precision + "'");
        return 2;
      }
      quantizeInt8 = true;
    } else if (arg == "-v" || arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--report") {
      options.report = true;
    } else if (arg == "--profile") {
      options.profile = true;
    } else if (arg == "--print-ir-after-all") {
      options.printIRAfterAll = true;
    } else if (auto v = inlineValue("--print-ir-after=")) {
      options.printIRAfter.insert(*v);
    } else if (auto v = inlineValue("--disable-pass=")) {
      if (!disablePass(*v, options))
        return 2;
    } else if (!arg.empty() && arg[0] == '-') {
      reportError("unknown option '" + arg + "' (see dlc compile --help)");
      return 2;
    } else if (model.empty()) {
      model = arg;
    } else {
      reportError("more than one model given ('" + model + "', '" + arg + "')");
      return 2;
    }
  }
  if (model.empty() || options.outputDir.empty()) {
    std::fputs(compileHelp().c_str(), stderr);
    return 2;
  }
  std::string error;
  if (!emitList.empty() && !parseEmit(emitList, options.emit, error)) {
    reportError(error);
    return 2;
  }
  if (options.modelName.empty())
    options.modelName = sanitizeModelName(llvm::sys::path::stem(model).str());
  if (!isValidModelName(options.modelName)) {
    reportError("--name '" + options.modelName +
                "' is not a C identifier (letters, digits, _)");
    return 2;
  }
  if (isReservedModelName(options.modelName)) {
    reportError("--name '" + options.modelName +
                "' is reserved: the symbols of a model named 'dlc', "
                "'dlc_...' or '_...' clash with the runtime's");
    return 2;
  }

  if (!quantizeInt8 && (!quantize.calibrationDir.empty() ||
                        !quantize.placement.excludedNodes.empty())) {
    reportError("--calibration and --quantize-exclude apply with "
                "--quantize=int8");
    return 2;
  }
  // --quantize=int8: the model is calibrated and rewritten into QDQ form
  // (what dlc quantize writes), then compiled as such.
  std::unique_ptr<onnx::ModelProto> quantized;
  std::vector<NodeQuantization> quantizationReport;
  if (quantizeInt8) {
    if (!llvm::StringRef(model).ends_with(".onnx")) {
      reportError("--quantize=int8 applies to .onnx models");
      return 2;
    }
    quantize.verbose = options.verbose;
    quantized = std::make_unique<onnx::ModelProto>();
    std::string bytes;
    auto buffer = llvm::MemoryBuffer::getFile(model, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return reportError("cannot read '" + model +
                         "': " + buffer.getError().message());
    bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferSize());
    buffer->reset();
    if (!parseOnnxModel(bytes, model, *quantized, error) ||
        !calibrateAndQuantize(model, *quantized, quantize, quantizationReport,
                              error))
      return reportError(error);
  }

  // CUDA libraries take device pointers (_run_device) that the runtime's
  // checks cannot read: there, inputs that decide shapes stay compile-time.
  importOptions.runtimeValueChecks = options.gpuChip.empty();

  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  int diagnostics = 0;
  mlir::ScopedDiagnosticHandler handler(&context,
                                        makeDiagnosticPrinter(diagnostics));
  mlir::OwningOpRef<mlir::ModuleOp> module =
      loadModel(model, context, importOptions, options.modelName, error,
                boundInputFiles, quantized.get());
  // Where diagnostics were printed, they already name the node at fault and
  // `error` only says which stage stopped.
  if (!module) {
    if (diagnostics == 0)
      reportError(error.empty() ? "compilation failed" : error);
    return 1;
  }
  if (!dimRanges.empty() && !applyDimRanges(*module, dimRanges, error))
    return reportError(error);
  CompileStats stats;
  if (mlir::failed(compileModule(*module, options, &stats))) {
    if (diagnostics == 0) // every stage reports its errors; just in case
      reportError("compilation failed");
    return 1;
  }
  if (options.report) {
    if (quantizeInt8)
      printQuantizationReport(quantizationReport);
    std::printf("fused groups: %lld\n", (long long)stats.fusedGroups);
    std::printf("layout changes: %lld\n", (long long)stats.layoutChanges);
    std::printf("kernels: %lld%s\n", (long long)stats.kernels,
                options.gpuChip.empty() ? "" : " (GPU kernel launches)");
    if (stats.ptxBytes)
      std::printf("ptx: %lld bytes for %s\n", (long long)stats.ptxBytes,
                  options.gpuChip.c_str());
    std::printf("arena: %lld bytes (naive %lld bytes)\n",
                (long long)stats.arenaBytes, (long long)stats.naiveBytes);
    printKernelFlops(stats.graphKernels);
  }
  return 0;
}

bool disablePass(const std::string &name, CompileOptions &options) {
  std::string error;
  if (!isOptionalPass(name, error)) {
    reportError("--disable-pass: " + error);
    return false;
  }
  options.disabledPasses.insert(name);
  return true;
}

std::function<mlir::LogicalResult(mlir::Diagnostic &)>
makeDiagnosticPrinter(int &errors) {
  // One line per error, naming the node (the op's location).
  return [&errors](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
      return mlir::success();
    ++errors;
    std::string text;
    llvm::raw_string_ostream os(text);
    if (auto node = mlir::dyn_cast<mlir::NameLoc>(diag.getLocation()))
      os << "node '" << node.getName().getValue() << "': " << diag;
    else if (mlir::isa<mlir::UnknownLoc>(diag.getLocation()))
      os << diag; // the driver's: about no op
    else
      os << diag.getLocation() << ": " << diag;
    reportError(text);
    return mlir::success();
  };
}

/// The value of a tensor file as an attribute for --bind-input.
static mlir::ElementsAttr boundValue(const std::string &path,
                                     mlir::MLIRContext &context,
                                     std::string &error) {
  HostTensor tensor;
  if (!readTensorFile(path, tensor, error))
    return nullptr;
  // The narrow types (bfloat16 and after in dtypes.def) travel one element
  // per byte, which is not how an attribute holds them.
  mlir::Type elementType = tensor.dtype < DLC_BFLOAT16
                               ? dlc::elementTypeOfDtype(tensor.dtype, context)
                               : nullptr;
  if (!elementType) {
    error = "'" + path + "': unsupported element type for --bind-input";
    return nullptr;
  }
  auto type = mlir::RankedTensorType::get(tensor.shape, elementType);
  if (elementType.isInteger(1)) { // MLIR packs bools; numpy stores bytes
    llvm::SmallVector<bool> flags(tensor.bytes.begin(), tensor.bytes.end());
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef<bool>(flags));
  }
  return mlir::DenseElementsAttr::getFromRawBuffer(
      type,
      llvm::ArrayRef<char>(reinterpret_cast<const char *>(tensor.bytes.data()),
                           tensor.bytes.size()));
}

mlir::OwningOpRef<mlir::ModuleOp>
loadModel(const std::string &model, mlir::MLIRContext &context,
          OnnxImportOptions importOptions, const std::string &modelName,
          std::string &error,
          const std::map<std::string, std::string> &boundInputFiles,
          const onnx::ModelProto *parsed) {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  for (const auto &[name, path] : boundInputFiles) {
    mlir::ElementsAttr value = boundValue(path, context, error);
    if (!value) {
      error = "--bind-input " + name + ": " + error;
      return nullptr;
    }
    importOptions.boundInputs[name] = value;
  }
  if (llvm::StringRef(model).ends_with(".onnx")) {
    importOptions.functionName = modelName;
    llvm::SmallString<256> modelDir(model);
    llvm::sys::path::remove_filename(modelDir);
    std::string dir = modelDir.empty() ? "." : modelDir.str().str();
    onnx::ModelProto read;
    if (!parsed) {
      if (!parseOnnxFile(model, read, error))
        return nullptr;
      parsed = &read;
    }
    // A symbolic batch and no other symbolic dim: one library for every
    // batch size, run sample by sample.
    SymbolicBatch batch;
    if (findSymbolicBatch(*parsed, importOptions, batch)) {
      module =
          importSampleModel(*parsed, dir, context, importOptions, batch, error);
    } else if (!importOptions.batchSymbols.empty()) {
      const auto &[name, symbol] = *importOptions.batchSymbols.begin();
      error = "--input-shape names dim 0 of '" + name + "' '" + symbol +
              "', but the model's inputs do not share one symbolic batch: "
              "the other inputs left open have other symbolic dims, or "
              "another name for it";
      return nullptr;
    } else {
      module = importOnnxModel(*parsed, dir, context, importOptions, error);
    }
  } else if (llvm::StringRef(model).ends_with(".mlir")) {
    if (!importOptions.inputShapes.empty() || !boundInputFiles.empty()) {
      error = "--input-shape and --bind-input apply to ONNX models only";
      return nullptr;
    }
    llvm::SourceMgr sources;
    auto buffer = llvm::MemoryBuffer::getFile(model);
    if (!buffer) {
      error = "cannot read '" + model + "': " + buffer.getError().message();
      return nullptr;
    }
    sources.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    module = mlir::parseSourceFile<mlir::ModuleOp>(sources, &context);
    if (!module)
      error = "cannot parse '" + model + "'";
  } else {
    error = "'" + model + "': expected an .onnx or .mlir file";
  }
  return module;
}

} // namespace dlc
