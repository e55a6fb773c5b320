//===- Compiler.cpp - From a dlc-dialect module to artifacts --------------===//
#include "compiler/driver/Compiler.h"
#include "codegen/ModelLibrary.h"
#include "codegen/cpu/CpuLibrary.h"
#include "codegen/cpu/TargetMachine.h"
#include "codegen/gpu/CudaGlue.h"
#include "codegen/gpu/Fatbin.h"
#include "codegen/gpu/Ptx.h"
#include "compiler/ShapeMath.h"
#include "compiler/dialect/DlcDialect.h"
#include "compiler/dialect/ElementTypes.h"
#include "compiler/driver/Pipeline.h"
#include "compiler/driver/Staging.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using namespace mlir;

namespace dlc {

namespace {
/// The x86 arithmetic intrinsics the micro-kernels emit (vpdpbusd,
/// vpmaddwd) read and write no memory; LLVM 19's llvm.call_intrinsic
/// declares no effects at all, which buffer deallocation refuses. Any other
/// intrinsic is taken to read and write memory.
struct IntrinsicEffects
    : MemoryEffectOpInterface::ExternalModel<IntrinsicEffects,
                                             LLVM::CallIntrinsicOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                 &effects) const {
    llvm::StringRef name = cast<LLVM::CallIntrinsicOp>(op).getIntrin();
    if (name.starts_with("llvm.x86.avx512.vpdpbusd.") ||
        name == "llvm.x86.avx2.pmadd.wd")
      return;
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};
} // namespace

void registerCompilerDialects(DialectRegistry &registry) {
  // The bufferization and lowering passes need the external models of many
  // upstream dialects; registering them all keeps the pipeline honest.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR (NVVM, GPU, LLVM).
  registerAllToLLVMIRTranslations(registry);
  registry.insert<DlcDialect>();
  registry.addExtension(+[](MLIRContext *context, LLVM::LLVMDialect *) {
    LLVM::CallIntrinsicOp::attachInterface<IntrinsicEffects>(*context);
  });
}

bool isValidModelName(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return llvm::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool isReservedModelName(const std::string &name) {
  // dlc_model_run, dlc_set_num_threads, dlc_tensor_info... are the
  // runtime's; a leading underscore is the implementation's (_mlir_...).
  return name == "dlc" || llvm::StringRef(name).starts_with("dlc_") ||
         llvm::StringRef(name).starts_with("_");
}

std::string sanitizeModelName(const std::string &stem) {
  std::string name;
  for (char c : stem)
    name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ||
      isReservedModelName(name))
    name = "model_" + name;
  return name;
}

//===----------------------------------------------------------------------===//
// Signature
//===----------------------------------------------------------------------===//

static bool describeElementType(Type type, TensorSpec &spec) {
  const DtypeInfo *dtype = lookupDtype(type);
  if (!dtype)
    return false;
  spec.dtype = dtype->value;
  spec.dtypeName = dtype->name;
  spec.cType = dtype->cType;
  return true;
}

static func::FuncOp findEntry(ModuleOp module, std::string &error) {
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    if (entry) {
      error = "the module has more than one public function ('" +
              entry.getName().str() + "', '" + func.getName().str() +
              "'); keep one as the model's entry";
      return {};
    }
    entry = func;
  }
  if (!entry)
    error = "the module has no public function to compile";
  return entry;
}

static bool describeTensor(Type type, const std::string &name, TensorSpec &spec,
                           std::string &error) {
  spec.name = name;
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape()) {
    std::string text;
    llvm::raw_string_ostream(text) << type;
    error = "tensor '" + name + "' has type " + text +
            "; only tensors with static shapes are supported";
    return false;
  }
  if (!describeElementType(tensor.getElementType(), spec)) {
    std::string text;
    llvm::raw_string_ostream(text) << tensor.getElementType();
    error = "tensor '" + name + "' has unsupported element type " + text;
    return false;
  }
  spec.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return true;
}

/// MLIR's bare-pointer calling convention needs a strided layout, which it
/// cannot derive for some empty shapes (a zero-size dim after the first).
/// An empty tensor carries no data, so at the boundary it becomes a
/// tensor<0xT>: inside, an empty argument is an empty constant of its shape,
/// and an empty result is returned as an empty constant. The signature keeps
/// the shapes the model declares.
static void flattenEmptyBoundaryTensors(func::FuncOp entry) {
  auto isEmpty = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.hasStaticShape() && tensor.getNumElements() == 0 &&
           tensor.getShape() != ArrayRef<int64_t>{0};
  };
  auto emptyConstant = [](OpBuilder &builder, Location loc,
                          RankedTensorType type) {
    return builder.create<dlc::ConstantOp>(
        loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{}));
  };
  auto flat = [](Type type) {
    return RankedTensorType::get({0},
                                 cast<RankedTensorType>(type).getElementType());
  };
  Block &body = entry.getBody().front();
  OpBuilder builder(entry.getContext());
  builder.setInsertionPointToStart(&body);
  for (BlockArgument argument : body.getArguments()) {
    if (!isEmpty(argument.getType()))
      continue;
    auto type = cast<RankedTensorType>(argument.getType());
    argument.replaceAllUsesWith(emptyConstant(builder, entry.getLoc(), type));
    argument.setType(flat(type));
  }
  entry.walk([&](func::ReturnOp ret) {
    builder.setInsertionPoint(ret);
    for (OpOperand &operand : ret->getOpOperands())
      if (isEmpty(operand.get().getType()))
        operand.set(emptyConstant(builder, ret.getLoc(),
                                  flat(operand.get().getType())));
  });
  SmallVector<Type> inputs, results;
  for (Type type : entry.getFunctionType().getInputs())
    inputs.push_back(isEmpty(type) ? flat(type) : type);
  for (Type type : entry.getFunctionType().getResults())
    results.push_back(isEmpty(type) ? flat(type) : type);
  entry.setFunctionType(FunctionType::get(entry.getContext(), inputs, results));
}

bool extractSignature(ModuleOp module, const std::string &modelName,
                      ModelSignature &signature, std::string &error) {
  func::FuncOp entry = findEntry(module, error);
  if (!entry)
    return false;
  signature.name = modelName;
  FunctionType type = entry.getFunctionType();
  auto nameOf = [](DictionaryAttr attrs, const std::string &fallback) {
    if (attrs)
      if (auto name = attrs.getAs<StringAttr>(
              dlc::DlcDialect::NameAttrHelper::getNameStr()))
        return name.str();
    return fallback;
  };
  // A symbolic batch (dlc.batch_symbol): the function takes one sample,
  // dim 0 of size 1, and the glue runs it per sample.
  std::string batchSymbol;
  auto batchOf = [&](DictionaryAttr attrs, TensorSpec &spec) {
    auto symbol =
        attrs ? attrs.getAs<StringAttr>(
                    dlc::DlcDialect::BatchSymbolAttrHelper::getNameStr())
              : StringAttr();
    if (!symbol)
      return true;
    if (spec.shape.empty() || spec.shape[0] != 1 || symbol.getValue().empty() ||
        (!batchSymbol.empty() && batchSymbol != symbol.getValue())) {
      error = "tensor '" + spec.name + "' is marked with the batch symbol '" +
              symbol.getValue().str() +
              "' but its dim 0 is not 1, or the model has another one";
      return false;
    }
    batchSymbol = symbol.getValue().str();
    spec.batchSymbol = batchSymbol;
    if (auto range = attrs.getAs<DenseI64ArrayAttr>(
            dlc::DlcDialect::BatchRangeAttrHelper::getNameStr())) {
      if (range.size() != 2 || range[0] < 0 ||
          (range[1] >= 0 && range[1] < range[0])) {
        error = "tensor '" + spec.name + "' has a bad batch range";
        return false;
      }
      DimRange bounds{batchSymbol, range[0], range[1]};
      if (signature.dimRanges.empty())
        signature.dimRanges.push_back(bounds);
      else if (signature.dimRanges[0].min != bounds.min ||
               signature.dimRanges[0].max != bounds.max) {
        error = "tensor '" + spec.name + "' has another range for the batch '" +
                batchSymbol + "'";
        return false;
      }
    }
    return true;
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    TensorSpec spec;
    if (!describeTensor(
            type.getInput(i),
            nameOf(entry.getArgAttrDict(i), "input" + std::to_string(i)), spec,
            error) ||
        !batchOf(entry.getArgAttrDict(i), spec))
      return false;
    signature.inputs.push_back(spec);
    DictionaryAttr attrs = entry.getArgAttrDict(i);
    auto checks =
        attrs ? attrs.getAs<ArrayAttr>(
                    dlc::DlcDialect::ValueChecksAttrHelper::getNameStr())
              : ArrayAttr();
    for (Attribute attr :
         checks ? checks : ArrayAttr::get(module.getContext(), {})) {
      auto fields = dyn_cast<DictionaryAttr>(attr);
      auto kind = fields ? fields.getAs<StringAttr>("kind") : nullptr;
      auto node = fields ? fields.getAs<StringAttr>("node") : nullptr;
      auto expected =
          fields ? fields.getAs<DenseI64ArrayAttr>("expected") : nullptr;
      auto operand =
          fields ? fields.getAs<DenseI64ArrayAttr>("operand") : nullptr;
      auto flags = fields ? fields.getAs<IntegerAttr>("flags") : nullptr;
      auto parts = fields ? fields.getAs<ArrayAttr>("parts") : nullptr;
      if (!kind || !node || !expected || !operand || !flags || !parts) {
        error =
            "input '" + spec.name + "' has a malformed dlc.value_checks entry";
        return false;
      }
      static const char *const kKinds[] = {
          "equal",  "reshape", "expand", "tile",  "squeeze", "unsqueeze",
          "reduce", "axis",    "pad",    "slice", "range",   "resize"};
      if (!llvm::is_contained(kKinds, kind.getValue())) {
        error = "input '" + spec.name +
                "' has a value check of unknown kind '" + kind.str() + "'";
        return false;
      }
      ValueCheck check;
      check.input = static_cast<int>(i);
      check.kind = kind.str();
      check.node = node.str();
      check.expected.assign(expected.asArrayRef().begin(),
                            expected.asArrayRef().end());
      check.operand.assign(operand.asArrayRef().begin(),
                           operand.asArrayRef().end());
      check.flags = flags.getInt();
      for (Attribute partAttr : parts) {
        auto part = dyn_cast<DictionaryAttr>(partAttr);
        auto input = part ? part.getAs<IntegerAttr>("input") : nullptr;
        auto values = part ? part.getAs<DenseI64ArrayAttr>("values") : nullptr;
        if (!input || !values || input.getInt() < -1 ||
            input.getInt() >= type.getNumInputs()) {
          error = "input '" + spec.name + "' has a malformed value check part";
          return false;
        }
        check.parts.emplace_back(
            input.getInt(), std::vector<int64_t>(values.asArrayRef().begin(),
                                                 values.asArrayRef().end()));
      }
      signature.valueChecks.push_back(std::move(check));
    }
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    DictionaryAttr attrs = entry.getResultAttrDict(i);
    // The size of an output whose shape depends on the data: trailing.
    if (auto of = attrs ? attrs.getAs<IntegerAttr>(
                              dlc::DlcDialect::CountOfAttrHelper::getNameStr())
                        : IntegerAttr()) {
      int output = static_cast<int>(of.getInt());
      if (output < 0 || output >= static_cast<int>(signature.outputs.size()) ||
          signature.outputs[output].boundedDim < 0) {
        error = "result " + std::to_string(i) +
                " is marked as the size of another result, which is not one "
                "whose shape depends on the data";
        return false;
      }
      signature.countOf.push_back(output);
      continue;
    }
    if (!signature.countOf.empty()) {
      error = "the sizes of data-dependent results must come last";
      return false;
    }
    TensorSpec spec;
    if (auto dim =
            attrs ? attrs.getAs<IntegerAttr>(
                        dlc::DlcDialect::BoundedDimAttrHelper::getNameStr())
                  : IntegerAttr()) {
      spec.boundedDim = static_cast<int>(dim.getInt());
      auto tensor = dyn_cast<RankedTensorType>(type.getResult(i));
      if (!tensor || spec.boundedDim < 0 ||
          spec.boundedDim >= tensor.getRank()) {
        error = "result " + std::to_string(i) + " has a bad bounded dim";
        return false;
      }
    }
    if (!describeTensor(
            type.getResult(i),
            nameOf(entry.getResultAttrDict(i), "output" + std::to_string(i)),
            spec, error) ||
        !batchOf(entry.getResultAttrDict(i), spec))
      return false;
    signature.outputs.push_back(spec);
  }
  if (!batchSymbol.empty() && signature.batchSymbol().empty()) {
    error = "outputs hold the batch '" + batchSymbol + "' but no input does";
    return false;
  }
  for (const TensorSpec &output : signature.outputs)
    if (output.boundedDim >= 0 &&
        std::count(signature.countOf.begin(), signature.countOf.end(),
                   &output - signature.outputs.data()) != 1) {
      error =
          "output '" + output.name + "' depends on the data but has no size";
      return false;
    }
  if (!signature.countOf.empty() && !signature.batchSymbol().empty()) {
    error = "a model with a symbolic batch cannot have outputs whose shape "
            "depends on the data; give the batch size with --input-shape";
    return false;
  }
  return true;
}

namespace {
/// The process's peak resident memory in MB so far (Linux's VmHWM, which a
/// new program starts afresh), or -1 where unknown.
double peakMemoryMB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::atof(line.c_str() + 6) / 1024.0; // in kB
  return -1;
}

/// Prints "[dlc] stage... 1.23 s, peak memory 456 MB" on stderr when
/// enabled.
class Progress {
public:
  explicit Progress(bool enabled) : enabled(enabled) {}
  void start(const char *stage) {
    if (!enabled)
      return;
    llvm::errs() << "[dlc] " << stage << "...";
    llvm::errs().flush();
    begin = std::chrono::steady_clock::now();
  }
  void done() {
    if (!enabled)
      return;
    std::chrono::duration<double> elapsed =
        std::chrono::steady_clock::now() - begin;
    llvm::errs() << llvm::format(" %.2f s", elapsed.count());
    double peak = peakMemoryMB();
    if (peak >= 0)
      llvm::errs() << llvm::format(", peak memory %.0f MB", peak);
    llvm::errs() << "\n";
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point begin;
};

bool writeText(const std::string &path,
               llvm::function_ref<void(llvm::raw_ostream &)> print,
               std::string &error) {
  std::error_code code;
  llvm::raw_fd_ostream out(path, code);
  if (code) {
    error = "cannot write " + path + ": " + code.message();
    return false;
  }
  print(out);
  out.close();
  if (out.has_error()) {
    error = "cannot write " + path + ": " + out.error().message();
    out.clear_error();
    return false;
  }
  return true;
}

/// A driver error that is about no op (a flag, a file, a tool): a
/// diagnostic without a location, which `dlc` prints as the message alone.
InFlightDiagnostic driverError(MLIRContext *context) {
  return emitError(UnknownLoc::get(context));
}

/// Reports `error` as a driver error unless `ok`.
LogicalResult check(MLIRContext *context, bool ok, const std::string &error) {
  if (!ok)
    driverError(context) << error;
  return success(ok);
}

/// Runs the passes `add` adds. The passes report their errors themselves;
/// only a pipeline that fails without one is reported, as `stage` failing.
LogicalResult runPasses(ModuleOp module,
                        llvm::function_ref<void(OpPassManager &)> add,
                        const char *stage,
                        const CompileOptions *printing = nullptr,
                        std::set<std::string> *passesRun = nullptr) {
  MLIRContext *context = module.getContext();
  PassManager pm(context);
  add(pm);
  if (printing &&
      (printing->printIRAfterAll || !printing->printIRAfter.empty())) {
    // Printing the whole module after a nested pass needs one thread.
    context->disableMultithreading();
    auto after = [printing, passesRun](Pass *pass, Operation *) {
      if (passesRun)
        passesRun->insert(pass->getArgument().str());
      return printing->printIRAfterAll ||
             printing->printIRAfter.count(pass->getArgument().str());
    };
    pm.enableIRPrinting([](Pass *, Operation *) { return false; }, after,
                        /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/false,
                        /*printAfterOnlyOnFailure=*/false, llvm::errs(),
                        OpPrintingFlags().elideLargeElementsAttrs(16));
  }
  int errors = 0;
  LogicalResult result = failure();
  {
    // Counts the passes' errors and hands each on to the caller's handler.
    ScopedDiagnosticHandler counter(context, [&errors](Diagnostic &diag) {
      errors += diag.getSeverity() == DiagnosticSeverity::Error;
      return failure();
    });
    result = pm.run(module);
  }
  if (failed(result) && errors == 0)
    driverError(context) << stage << " failed";
  return result;
}

/// Writes a text artifact into the staging folder and keeps it.
LogicalResult
writeArtifact(MLIRContext *context, StagingArea &staging,
              const std::string &file,
              llvm::function_ref<void(llvm::raw_ostream &)> print) {
  std::string error;
  if (!writeText(staging.path(file), print, error))
    return check(context, false, error);
  staging.keep(file);
  return success();
}

/// The flags' combinations `compileModule` cannot honour.
LogicalResult checkOptions(MLIRContext *context,
                           const CompileOptions &options) {
  const std::string &name = options.modelName;
  const bool cuda = !options.gpuChip.empty();
  if (!isValidModelName(name) || isReservedModelName(name))
    return driverError(context)
           << "model name '" << name
           << "' is not a C identifier or is reserved ('dlc', 'dlc_...', "
              "'_...')";
  if (cuda && !isSupportedGpuChip(options.gpuChip))
    return driverError(context)
           << "unsupported CUDA architecture '" << options.gpuChip
           << "' (expected sm_80 or newer, e.g. --target=cuda:sm_80)";
  if (!cuda && options.emit.count(EmitKind::Ptx))
    return driverError(context) << "--emit=ptx needs --target=cuda";
  if (cuda && options.profile)
    return driverError(context)
           << "--profile is not supported with --target=cuda yet";
  if (options.emit.count(EmitKind::Lib) && !isHostTriple(options.triple))
    // The library links dlc's C runtime, which is built for the host only.
    return driverError(context)
           << "cannot link lib" << name << ".so for '" << options.triple
           << "': dlc's runtime is built for this machine only; use "
              "--emit=obj (or llvm, asm) and link "
           << name
           << ".o with runtime/ (runtime.c, parallel.c) compiled for that "
              "target";
  return success();
}

int64_t countKernels(func::FuncOp entry) {
  return llvm::count_if(entry.getBody().front(), isTopLevelKernel);
}

/// The pipelines' options from the driver's, for `machine`'s vectors.
void setPipelineOptions(PipelineOptions &pipeline,
                        const CompileOptions &options,
                        const llvm::TargetMachine &machine) {
  pipeline.optLevel = options.optLevel;
  pipeline.disabledPasses = std::vector<std::string>(
      options.disabledPasses.begin(), options.disabledPasses.end());
  pipeline.cuda = !options.gpuChip.empty() || options.emulateGpu;
  pipeline.emulateGpu = options.emulateGpu;
  if (!options.gpuChip.empty())
    pipeline.gpuChip = options.gpuChip;
  pipeline.channelBlock = vectorWidthInFloats(machine);
  pipeline.vectorRegisters = vectorRegisterCount(machine);
  pipeline.int8Dot = int8DotProduct(machine);
  pipeline.fusedMultiplyAdd = hasFusedMultiplyAdd(machine);
}

/// One compilation, stage by stage: each stage reports its errors as
/// diagnostics and writes its artifacts into the staging folder; `commit`
/// moves them into the output folder.
class Compilation {
public:
  Compilation(ModuleOp module, const CompileOptions &options,
              CompileStats *stats)
      : module(module), context(module.getContext()), options(options),
        name(options.modelName), cuda(!options.gpuChip.empty()), stats(stats),
        progress(options.verbose) {}

  /// The signature, the target machine and the staging folder.
  LogicalResult prepare();
  /// The graph pipeline; --emit=graph.
  LogicalResult optimizeGraph();
  /// The loop (or GPU loop) pipeline, the profiling instrumentation;
  /// --emit=loops.
  LogicalResult lowerToLoops();
  /// The LLVM dialect, the PTX and its fatbin for CUDA, LLVM IR, object
  /// code; --emit=ptx, llvm, asm, obj.
  LogicalResult generateCode();
  /// The library and its header; --emit=lib.
  LogicalResult link();
  /// Moves the artifacts into the output folder.
  LogicalResult commit();

private:
  bool emits(EmitKind kind) const { return options.emit.count(kind) != 0; }
  LogicalResult checkGlobalSizes();
  LogicalResult buildGpuBinary(const std::string &cudaToolkit);
  LogicalResult emitObjectCode();

  ModuleOp module;
  MLIRContext *context;
  const CompileOptions &options;
  const std::string &name;
  const bool cuda;
  CompileStats *stats;
  Progress progress;
  std::unique_ptr<llvm::TargetMachine> machine;
  PipelineOptions pipeline;
  StagingArea staging;
  ModelSignature signature;
  func::FuncOp entry;
  std::set<std::string> passesRun;
  std::vector<std::string> objects; // the model's code, one or more parts
};

LogicalResult Compilation::prepare() {
  std::string error;
  if (!extractSignature(module, name, signature, error))
    return check(context, false, error);
  if (!signature.batchSymbol().empty() && cuda)
    return check(context, false,
                 "the batch '" + signature.batchSymbol() +
                     "' is symbolic, which --target=cuda does not support "
                     "yet; give its size with --input-shape");
  if (!signature.countOf.empty() && cuda)
    return check(context, false,
                 "outputs whose shape depends on the data are not supported "
                 "by --target=cuda yet");
  entry = findEntry(module, error);
  if (entry)
    flattenEmptyBoundaryTensors(entry);
  machine =
      createTargetMachine(options.triple, options.cpu, options.optLevel, error);
  if (!machine)
    return check(context, false, error);
  setPipelineOptions(pipeline, options, *machine);
  return check(context, staging.open(options.outputDir, error), error);
}

LogicalResult Compilation::optimizeGraph() {
  progress.start("graph optimization");
  if (failed(runPasses(
          module, [&](OpPassManager &pm) { addGraphPipeline(pm, pipeline); },
          "graph optimization", &options, &passesRun)))
    return failure();
  progress.done();
  if (stats) {
    stats->fusedGroups = 0;
    stats->layoutChanges = 0;
    module.walk([&](Operation *op) {
      stats->fusedGroups += isa<FusedOp>(op);
      stats->layoutChanges += isa<ToBlockedOp, FromBlockedOp>(op);
    });
    std::string entryError;
    if (func::FuncOp graphEntry = findEntry(module, entryError))
      stats->graphKernels = summarizeKernels(graphEntry);
  }
  if (emits(EmitKind::Graph))
    return writeArtifact(context, staging, name + ".graph.mlir",
                         [&](llvm::raw_ostream &os) { module.print(os); });
  return success();
}

LogicalResult Compilation::lowerToLoops() {
  // Name the compute function for the glue; it is reached only through it.
  std::string entryError;
  entry = findEntry(module, entryError);
  entry.setName(computeSymbol(name));

  progress.start("lowering to loops");
  if (failed(runPasses(
          module,
          [&](OpPassManager &pm) {
            if (pipeline.cuda)
              addGpuLoopPipeline(pm, pipeline);
            else
              addLoopPipeline(pm, pipeline);
          },
          "lowering to loops", &options, &passesRun)))
    return failure();
  progress.done();
  // The parallel loops' outlined bodies, for the glue's launchers.
  module.walk([&](func::FuncOp function) {
    if (auto counts = function->getAttrOfType<DenseI64ArrayAttr>(
            dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr()))
      signature.parallelLoops.push_back(
          {function.getName().str(), function.getName().str() + "_launch",
           static_cast<int>(counts[0]), static_cast<int>(counts[1])});
  });
  if (stats) {
    stats->kernels = countKernels(entry);
    if (auto arena = entry->getAttrOfType<IntegerAttr>(
            dlc::DlcDialect::ArenaBytesAttrHelper::getNameStr()))
      stats->arenaBytes = arena.getInt();
    if (auto naive = entry->getAttrOfType<IntegerAttr>(
            dlc::DlcDialect::NaiveBytesAttrHelper::getNameStr()))
      stats->naiveBytes = naive.getInt();
  }
  if (options.profile) {
    if (failed(runPasses(
            module,
            [](OpPassManager &pm) { pm.addPass(createInstrumentKernels()); },
            "profiling instrumentation", &options, &passesRun)))
      return failure();
    if (auto labels = entry->getAttrOfType<ArrayAttr>(
            dlc::DlcDialect::KernelLabelsAttrHelper::getNameStr()))
      for (auto label : labels.getAsRange<StringAttr>())
        signature.profiledKernels.push_back(label.str());
  }
  if (emits(EmitKind::Loops) &&
      failed(writeArtifact(context, staging, name + ".loops.mlir",
                           [&](llvm::raw_ostream &os) { module.print(os); })))
    return failure();
  return checkGlobalSizes();
}

/// A constant is a global of the library: over 2 GiB it cannot be one (and
/// LLVM would build it element by element first).
LogicalResult Compilation::checkGlobalSizes() {
  constexpr int64_t kMaxGlobalBytes = int64_t(1) << 31;
  WalkResult oversized = module.walk([&](memref::GlobalOp global) {
    MemRefType type = global.getType();
    Type element = type.getElementType();
    int64_t elementBytes =
        element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : 8;
    std::optional<int64_t> bytes =
        checkedByteSize(type.getShape(), elementBytes);
    if (global.getInitialValue() && (!bytes || *bytes > kMaxGlobalBytes)) {
      driverError(context) << "constant '" << global.getSymName()
                           << "' of type " << shapeText(type.getShape())
                           << " is larger than 2 GiB, the most a library "
                              "holds";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(oversized.wasInterrupted());
}

LogicalResult Compilation::generateCode() {
  bool needsLibraryCode = emits(EmitKind::LLVM) || emits(EmitKind::Asm) ||
                          emits(EmitKind::Obj) || emits(EmitKind::Lib);
  if (!needsLibraryCode && !emits(EmitKind::Ptx))
    return success();
  progress.start("lowering to LLVM");
  const std::string cudaToolkit = cuda ? findCudaToolkit() : "";
  auto addLLVM = [&](OpPassManager &pm) {
    if (cuda)
      addGpuLLVMPipeline(pm, pipeline, cudaToolkit);
    else
      addLLVMDialectPipeline(pm);
  };
  if (failed(
          runPasses(module, addLLVM, "lowering to LLVM", &options, &passesRun)))
    return failure();
  if (cuda && failed(buildGpuBinary(cudaToolkit)))
    return failure();
  if (!needsLibraryCode) {
    progress.done();
    return success();
  }
  return emitObjectCode();
}

/// The kernels' PTX (--emit=ptx) and, for the library, their fatbin.
LogicalResult Compilation::buildGpuBinary(const std::string &cudaToolkit) {
  std::string ptx, error;
  if (!extractPtx(module, options.gpuChip, ptx, error) ||
      !checkPtxResolved(ptx, cudaToolkit, error))
    return check(context, false, error);
  if (stats)
    stats->ptxBytes = static_cast<int64_t>(ptx.size());
  if (emits(EmitKind::Ptx) &&
      failed(writeArtifact(context, staging, name + ".ptx",
                           [&](llvm::raw_ostream &os) { os << ptx; })))
    return failure();
  bool needsLibraryCode = emits(EmitKind::LLVM) || emits(EmitKind::Asm) ||
                          emits(EmitKind::Obj) || emits(EmitKind::Lib);
  if (!needsLibraryCode)
    return success();
  GpuBinaryKind binaryKind = GpuBinaryKind::Ptx;
  if (!assembleGpuBinary(module, ptx, options.gpuChip, cudaToolkit, binaryKind,
                         error))
    return check(context, false, error);
  if (binaryKind == GpuBinaryKind::Ptx &&
      ptx.find(".entry") != std::string::npos)
    llvm::errs() << "dlc: warning: no ptxas and fatbinary found ("
                 << (cudaToolkit.empty() ? std::string("no CUDA toolkit")
                                         : "looked in " + cudaToolkit + "/bin")
                 << "); the library carries PTX, which the driver "
                    "compiles when it first loads the model\n";
  return success();
}

/// LLVM IR (--emit=llvm), optimized, then assembly (--emit=asm) and object
/// code (--emit=obj, and for the library).
LogicalResult Compilation::emitObjectCode() {
  std::string error;
  // A library alone (no .ll, .s or .o asked for) is optimized and compiled
  // in parts, one a thread: the kernels are functions of their own.
  unsigned threads = std::min(4u, std::thread::hardware_concurrency());
  bool inParts = !cuda && threads > 1 && options.optLevel >= 1 &&
                 !emits(EmitKind::LLVM) && !emits(EmitKind::Asm) &&
                 !emits(EmitKind::Obj);
  if (inParts) {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateToLLVMIR(module, llvmContext, *machine, error);
    if (!llvmModule)
      return check(context, false, error);
    progress.done();
    progress.start("optimization and code generation");
    for (unsigned i = 0; i < threads; ++i)
      objects.push_back(
          staging.path(name + ".part" + std::to_string(i) + ".o"));
    if (!optimizeAndEmitInParallel(std::move(llvmModule), *machine,
                                   options.optLevel, objects, error))
      return check(context, false, error);
    progress.done();
    return success();
  }
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateAndOptimize(
      module, llvmContext, *machine, options.optLevel, error);
  if (!llvmModule)
    return check(context, false, error);
  progress.done();
  if (emits(EmitKind::LLVM) &&
      failed(writeArtifact(
          context, staging, name + ".ll",
          [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); })))
    return failure();
  progress.start("code generation");
  for (bool assembly : {true, false}) {
    if (assembly && !emits(EmitKind::Asm))
      continue;
    if (!assembly && !emits(EmitKind::Obj) && !emits(EmitKind::Lib))
      continue;
    std::string file = name + (assembly ? ".s" : ".o");
    std::error_code code;
    llvm::raw_fd_ostream out(staging.path(file), code);
    if (code)
      return driverError(context)
             << "cannot write " << file << ": " << code.message();
    bool emitted = emitMachineCode(*llvmModule, *machine, assembly, out, error);
    out.close();
    if (out.has_error()) {
      if (emitted)
        error = "cannot write " + file + ": " + out.error().message();
      out.clear_error();
      return check(context, false, error);
    }
    if (!emitted)
      return check(context, false, error);
    if (assembly || emits(EmitKind::Obj))
      staging.keep(file);
  }
  objects = {staging.path(name + ".o")};
  progress.done();
  return success();
}

LogicalResult Compilation::link() {
  if (!emits(EmitKind::Lib))
    return success();
  progress.start("linking");
  std::string library = "lib" + name + ".so";
  llvm::SmallString<256> scratch;
  if (std::error_code code =
          llvm::sys::fs::createUniqueDirectory(staging.path("link"), scratch))
    return driverError(context)
           << "cannot create a scratch folder: " << code.message();
  std::unique_ptr<LibraryTarget> target =
      cuda ? createCudaLibraryTarget(options.gpuChip)
           : createCpuLibraryTarget();
  std::string error;
  if (!linkModelLibrary(signature, *target, objects, staging.path(library),
                        std::string(scratch), error))
    return check(context, false, error);
  staging.keep(library);
  if (failed(writeArtifact(context, staging, name + ".h",
                           [&](llvm::raw_ostream &os) {
                             os << emitModelHeader(signature, *target);
                           })))
    return failure();
  progress.done();
  return success();
}

LogicalResult Compilation::commit() {
  // A --print-ir-after naming no pass that ran is most likely a typo.
  for (const std::string &pass : options.printIRAfter)
    if (!passesRun.count(pass))
      llvm::errs() << "dlc: warning: --print-ir-after=" << pass << ": no pass '"
                   << pass << "' ran\n";
  std::string error;
  return check(context, staging.commit(error), error);
}
} // namespace

LogicalResult optimizeGraph(ModuleOp module, const CompileOptions &options) {
  std::string error;
  auto machine =
      createTargetMachine(options.triple, options.cpu, options.optLevel, error);
  if (!machine)
    return check(module.getContext(), false, error);
  PipelineOptions pipeline;
  setPipelineOptions(pipeline, options, *machine);
  return runPasses(
      module, [&](OpPassManager &pm) { addGraphPipeline(pm, pipeline); },
      "graph optimization", &options);
}

LogicalResult compileModule(ModuleOp module, const CompileOptions &options,
                            CompileStats *stats) {
  if (failed(checkOptions(module.getContext(), options)))
    return failure();
  Compilation compilation(module, options, stats);
  return success(succeeded(compilation.prepare()) &&
                 succeeded(compilation.optimizeGraph()) &&
                 succeeded(compilation.lowerToLoops()) &&
                 succeeded(compilation.generateCode()) &&
                 succeeded(compilation.link()) &&
                 succeeded(compilation.commit()));
}

} // namespace dlc
