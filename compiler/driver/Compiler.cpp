//===- Compiler.cpp - From a dlc-dialect module to artifacts --------------===//
#include "compiler/driver/Compiler.h"
#include "codegen/ModelLibrary.h"
#include "codegen/cpu/CpuLibrary.h"
#include "codegen/cpu/TargetMachine.h"
#include "codegen/gpu/CudaGlue.h"
#include "codegen/gpu/Fatbin.h"
#include "codegen/gpu/Ptx.h"
#include "compiler/DlcDialect.h"
#include "compiler/ElementTypes.h"
#include "compiler/ShapeMath.h"
#include "compiler/driver/Pipeline.h"
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

void registerCompilerDialects(DialectRegistry &registry) {
  // The bufferization and lowering passes need the external models of many
  // upstream dialects; registering them all keeps the pipeline honest.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR (NVVM, GPU, LLVM).
  registerAllToLLVMIRTranslations(registry);
  registry.insert<DlcDialect>();
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
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    TensorSpec spec;
    if (!describeTensor(
            type.getInput(i),
            nameOf(entry.getArgAttrDict(i), "input" + std::to_string(i)), spec,
            error))
      return false;
    signature.inputs.push_back(spec);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    TensorSpec spec;
    if (!describeTensor(
            type.getResult(i),
            nameOf(entry.getResultAttrDict(i), "output" + std::to_string(i)),
            spec, error))
      return false;
    signature.outputs.push_back(spec);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Staged output: nothing lands in the output folder unless all of it does.
//===----------------------------------------------------------------------===//

namespace {
// What a signal, a fatal error or exit() must remove while a compilation is
// under way: the staging folder and, when this run created it, OUTDIR. Fixed
// buffers and raw system calls: a signal handler may not allocate.
char cleanupStaging[4096];
char cleanupCreatedOutDir[4096];
volatile std::sig_atomic_t cleanupArmed = 0;

struct LinuxDirent64 {
  uint64_t inode;
  int64_t offset;
  unsigned short length;
  unsigned char type;
  char name[1];
};

/// Removes `path` and what it holds (the staging folder is at most two
/// levels deep), with async-signal-safe calls only.
void removeTreeSignalSafe(const char *path, int depth) {
  if (::unlink(path) == 0 || depth > 4)
    return;
  int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    alignas(8) char entries[2048];
    long bytes;
    while ((bytes = ::syscall(SYS_getdents64, dir, entries, sizeof(entries))) >
           0) {
      for (long at = 0; at < bytes;) {
        auto *entry = reinterpret_cast<LinuxDirent64 *>(entries + at);
        at += entry->length;
        if (!std::strcmp(entry->name, ".") || !std::strcmp(entry->name, ".."))
          continue;
        char child[4096];
        size_t pathLength = std::strlen(path),
               nameLength = std::strlen(entry->name);
        if (pathLength + nameLength + 2 > sizeof(child))
          continue;
        std::memcpy(child, path, pathLength);
        child[pathLength] = '/';
        std::memcpy(child + pathLength + 1, entry->name, nameLength + 1);
        removeTreeSignalSafe(child, depth + 1);
      }
    }
    ::close(dir);
  }
  ::rmdir(path);
}

void runCleanup() {
  if (!cleanupArmed)
    return;
  cleanupArmed = 0;
  removeTreeSignalSafe(cleanupStaging, 0);
  if (cleanupCreatedOutDir[0])
    ::rmdir(cleanupCreatedOutDir); // only removes it while empty
}

// The handlers found before ours (a host program's, a sanitizer's or a
// fuzzer's), which run after the cleanup.
struct sigaction previousActions[NSIG];

void cleanupAndReraise(int signal, siginfo_t *info, void *) {
  runCleanup();
  ::sigaction(signal, &previousActions[signal], nullptr);
  // A fault returns to the faulting instruction, which faults again into
  // the previous handler with its true address; anything else is raised.
  bool fault = info && info->si_code > 0 &&
               (signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE ||
                signal == SIGILL);
  if (!fault)
    std::raise(signal);
}

/// Once per process: interrupts, crashes and exit() (LLVM's fatal errors
/// exit(1)) remove what an unfinished compilation staged.
void installCleanupHandlers() {
  static bool installed = [] {
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGSEGV,
                       SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXCPU, SIGXFSZ}) {
      struct sigaction action;
      std::memset(&action, 0, sizeof(action));
      action.sa_sigaction = cleanupAndReraise;
      action.sa_flags = SA_NODEFER | SA_SIGINFO;
      sigemptyset(&action.sa_mask);
      // Keep a parent's "ignore" (nohup) as it is.
      struct sigaction &previous = previousActions[signal];
      if (::sigaction(signal, nullptr, &previous) != 0 ||
          (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler == SIG_IGN))
        continue;
      ::sigaction(signal, &action, nullptr);
    }
    std::atexit(runCleanup);
    return true;
  }();
  (void)installed;
}

bool copyPath(char (&buffer)[4096], const std::string &path) {
  if (path.size() + 1 > sizeof(buffer))
    return false;
  std::memcpy(buffer, path.c_str(), path.size() + 1);
  return true;
}

class StagingArea {
public:
  bool open(const std::string &outputDir, std::string &error) {
    // Absolute: LLVM puts unique names for relative paths under /tmp.
    llvm::SmallString<256> absolute(outputDir);
    if (std::error_code code = llvm::sys::fs::make_absolute(absolute)) {
      error = "cannot resolve " + outputDir + ": " + code.message();
      return false;
    }
    outDir = std::string(absolute);
    if (!llvm::sys::fs::exists(outDir)) {
      if (std::error_code code = llvm::sys::fs::create_directories(outDir)) {
        error = "cannot create output folder " + outDir + ": " + code.message();
        return false;
      }
      createdOutDir = true;
    } else if (!llvm::sys::fs::is_directory(outDir)) {
      error = outDir + " exists and is not a folder";
      return false;
    }
    llvm::SmallString<256> model(outDir);
    llvm::sys::path::append(model, ".dlc-staging-%%%%%%");
    llvm::SmallString<256> created;
    if (std::error_code code =
            llvm::sys::fs::createUniqueDirectory(model, created)) {
      error = "cannot write into " + outDir + ": " + code.message();
      return false;
    }
    // createUniqueDirectory appends its own suffix to the model path.
    stagingDir = std::string(created);
    installCleanupHandlers();
    cleanupArmed = 0;
    if (!copyPath(cleanupStaging, stagingDir) ||
        !copyPath(cleanupCreatedOutDir, createdOutDir ? outDir : "")) {
      error = "output folder path too long: " + outDir;
      return false;
    }
    cleanupArmed = 1;
    return true;
  }

  std::string path(const std::string &file) const {
    llvm::SmallString<256> result(stagingDir);
    llvm::sys::path::append(result, file);
    return std::string(result);
  }

  void keep(const std::string &file) { kept.push_back(file); }

  bool commit(std::string &error) {
    for (const std::string &file : kept) {
      llvm::SmallString<256> target(outDir);
      llvm::sys::path::append(target, file);
      if (std::error_code code = llvm::sys::fs::rename(path(file), target)) {
        error =
            "cannot move " + file + " into " + outDir + ": " + code.message();
        return false;
      }
    }
    committed = true;
    return true;
  }

  ~StagingArea() {
    cleanupArmed = 0;
    if (!stagingDir.empty())
      llvm::sys::fs::remove_directories(stagingDir);
    if (!committed && createdOutDir)
      llvm::sys::fs::remove(outDir); // only removes it while empty
  }

private:
  std::string outDir, stagingDir;
  std::vector<std::string> kept;
  bool createdOutDir = false, committed = false;
};

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

bool runPasses(ModuleOp module, llvm::function_ref<void(OpPassManager &)> add,
               const char *stage, std::string &error,
               const CompileOptions *printing = nullptr,
               std::set<std::string> *passesRun = nullptr) {
  PassManager pm(module.getContext());
  add(pm);
  if (printing &&
      (printing->printIRAfterAll || !printing->printIRAfter.empty())) {
    // Printing the whole module after a nested pass needs one thread.
    module.getContext()->disableMultithreading();
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
  if (failed(pm.run(module))) {
    error = std::string(stage) + " failed";
    return false;
  }
  return true;
}
} // namespace

static int64_t countKernels(func::FuncOp entry) {
  return llvm::count_if(entry.getBody().front(), isTopLevelKernel);
}

/// The pipelines' options from the driver's, for `machine`'s vectors.
static void setPipelineOptions(PipelineOptions &pipeline,
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
}

bool optimizeGraph(ModuleOp module, const CompileOptions &options,
                   std::string &error) {
  auto machine =
      createTargetMachine(options.triple, options.cpu, options.optLevel, error);
  if (!machine)
    return false;
  PipelineOptions pipeline;
  setPipelineOptions(pipeline, options, *machine);
  return runPasses(
      module, [&](OpPassManager &pm) { addGraphPipeline(pm, pipeline); },
      "graph optimization", error, &options);
}

bool compileModule(ModuleOp module, const CompileOptions &options,
                   std::string &error, CompileStats *stats) {
  const std::string &name = options.modelName;
  auto emits = [&](EmitKind kind) { return options.emit.count(kind) != 0; };
  Progress progress(options.verbose);
  const bool cuda = !options.gpuChip.empty();
  std::set<std::string> passesRun;
  if (!isValidModelName(name) || isReservedModelName(name)) {
    error = "model name '" + name + "' is not a C identifier or is " +
            "reserved ('dlc', 'dlc_...', '_...')";
    return false;
  }
  if (cuda && !isSupportedGpuChip(options.gpuChip)) {
    error = "unsupported CUDA architecture '" + options.gpuChip +
            "' (expected sm_80 or newer, e.g. --target=cuda:sm_80)";
    return false;
  }
  if (!cuda && options.emit.count(EmitKind::Ptx)) {
    error = "--emit=ptx needs --target=cuda";
    return false;
  }
  if (cuda && options.profile) {
    error = "--profile is not supported with --target=cuda yet";
    return false;
  }
  if (emits(EmitKind::Lib) && !isHostTriple(options.triple)) {
    // The library links dlc's C runtime, which is built for the host only.
    error = "cannot link lib" + name + ".so for '" + options.triple +
            "': dlc's runtime is built for this machine only; use "
            "--emit=obj (or llvm, asm) and link " +
            name +
            ".o with runtime/ (runtime.c, parallel.c) compiled for "
            "that target";
    return false;
  }

  ModelSignature signature;
  if (!extractSignature(module, name, signature, error))
    return false;
  {
    std::string entryError;
    if (func::FuncOp entry = findEntry(module, entryError))
      flattenEmptyBoundaryTensors(entry);
  }
  std::string targetError;
  auto machine = createTargetMachine(options.triple, options.cpu,
                                     options.optLevel, targetError);
  if (!machine) {
    error = targetError;
    return false;
  }
  PipelineOptions pipeline;
  setPipelineOptions(pipeline, options, *machine);

  StagingArea staging;
  if (!staging.open(options.outputDir, error))
    return false;

  progress.start("graph optimization");
  if (!runPasses(
          module, [&](OpPassManager &pm) { addGraphPipeline(pm, pipeline); },
          "graph optimization", error, &options, &passesRun))
    return false;
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
  if (emits(EmitKind::Graph)) {
    if (!writeText(
            staging.path(name + ".graph.mlir"),
            [&](llvm::raw_ostream &os) { module.print(os); }, error))
      return false;
    staging.keep(name + ".graph.mlir");
  }

  // Name the compute function for the glue; it is reached only through it.
  std::string entryError;
  func::FuncOp entry = findEntry(module, entryError);
  entry.setName(computeSymbol(name));

  progress.start("lowering to loops");
  if (!runPasses(
          module,
          [&](OpPassManager &pm) {
            if (pipeline.cuda)
              addGpuLoopPipeline(pm, pipeline);
            else
              addLoopPipeline(pm, pipeline);
          },
          "lowering to loops", error, &options, &passesRun))
    return false;
  progress.done();
  std::vector<ParallelLoop> loopsToLaunch;
  module.walk([&](func::FuncOp function) {
    if (auto counts = function->getAttrOfType<DenseI64ArrayAttr>(
            dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr()))
      loopsToLaunch.push_back(
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
  std::vector<std::string> profiledKernels;
  if (options.profile) {
    if (!runPasses(
            module,
            [](OpPassManager &pm) { pm.addPass(createInstrumentKernels()); },
            "profiling instrumentation", error, &options, &passesRun))
      return false;
    if (auto labels = entry->getAttrOfType<ArrayAttr>(
            dlc::DlcDialect::KernelLabelsAttrHelper::getNameStr()))
      for (auto label : labels.getAsRange<StringAttr>())
        profiledKernels.push_back(label.str());
  }
  if (emits(EmitKind::Loops)) {
    if (!writeText(
            staging.path(name + ".loops.mlir"),
            [&](llvm::raw_ostream &os) { module.print(os); }, error))
      return false;
    staging.keep(name + ".loops.mlir");
  }

  // A constant is a global of the library: over 2 GiB it cannot be one (and
  // LLVM would build it element by element first).
  constexpr int64_t kMaxGlobalBytes = int64_t(1) << 31;
  WalkResult oversized = module.walk([&](memref::GlobalOp global) {
    MemRefType type = global.getType();
    Type element = type.getElementType();
    int64_t elementBytes =
        element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : 8;
    std::optional<int64_t> bytes =
        checkedByteSize(type.getShape(), elementBytes);
    if (global.getInitialValue() && (!bytes || *bytes > kMaxGlobalBytes)) {
      error = "constant '" + global.getSymName().str() + "' of type " +
              shapeText(type.getShape()) +
              " is larger than 2 GiB, the most a library holds";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (oversized.wasInterrupted())
    return false;

  bool needsMachineCode = emits(EmitKind::LLVM) || emits(EmitKind::Asm) ||
                          emits(EmitKind::Obj) || emits(EmitKind::Lib) ||
                          emits(EmitKind::Ptx);
  std::vector<std::string> objects; // the model's code, one or more parts
  if (needsMachineCode) {
    progress.start("lowering to LLVM");
    const std::string cudaToolkit = cuda ? findCudaToolkit() : "";
    auto addLLVM = [&](OpPassManager &pm) {
      if (cuda)
        addGpuLLVMPipeline(pm, pipeline, cudaToolkit);
      else
        addLLVMDialectPipeline(pm);
    };
    if (!runPasses(module, addLLVM, "lowering to LLVM", error, &options,
                   &passesRun))
      return false;
    if (cuda) {
      std::string ptx;
      if (!extractPtx(module, options.gpuChip, ptx, error) ||
          !checkPtxResolved(ptx, cudaToolkit, error))
        return false;
      if (stats)
        stats->ptxBytes = static_cast<int64_t>(ptx.size());
      if (emits(EmitKind::Ptx)) {
        if (!writeText(
                staging.path(name + ".ptx"),
                [&](llvm::raw_ostream &os) { os << ptx; }, error))
          return false;
        staging.keep(name + ".ptx");
      }
      bool needsLibraryCode = emits(EmitKind::LLVM) || emits(EmitKind::Asm) ||
                              emits(EmitKind::Obj) || emits(EmitKind::Lib);
      GpuBinaryKind binaryKind = GpuBinaryKind::Ptx;
      if (needsLibraryCode) {
        if (!assembleGpuBinary(module, ptx, options.gpuChip, cudaToolkit,
                               binaryKind, error))
          return false;
        if (binaryKind == GpuBinaryKind::Ptx &&
            ptx.find(".entry") != std::string::npos)
          llvm::errs() << "dlc: warning: no ptxas and fatbinary found ("
                       << (cudaToolkit.empty()
                               ? std::string("no CUDA toolkit")
                               : "looked in " + cudaToolkit + "/bin")
                       << "); the library carries PTX, which the driver "
                          "compiles when it first loads the model\n";
      }
    }
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
        return false;
      progress.done();
      progress.start("optimization and code generation");
      for (unsigned i = 0; i < threads; ++i)
        objects.push_back(
            staging.path(name + ".part" + std::to_string(i) + ".o"));
      if (!optimizeAndEmitInParallel(std::move(llvmModule), *machine,
                                     options.optLevel, objects, error))
        return false;
      progress.done();
    }
  }
  if (needsMachineCode && objects.empty()) {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule = translateAndOptimize(
        module, llvmContext, *machine, options.optLevel, error);
    if (!llvmModule)
      return false;
    progress.done();
    if (emits(EmitKind::LLVM)) {
      if (!writeText(
              staging.path(name + ".ll"),
              [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); },
              error))
        return false;
      staging.keep(name + ".ll");
    }
    progress.start("code generation");
    for (bool assembly : {true, false}) {
      if (assembly && !emits(EmitKind::Asm))
        continue;
      if (!assembly && !emits(EmitKind::Obj) && !emits(EmitKind::Lib))
        continue;
      std::string file = name + (assembly ? ".s" : ".o");
      std::error_code code;
      llvm::raw_fd_ostream out(staging.path(file), code);
      if (code) {
        error = "cannot write " + file + ": " + code.message();
        return false;
      }
      bool emitted =
          emitMachineCode(*llvmModule, *machine, assembly, out, error);
      out.close();
      if (out.has_error()) {
        if (emitted)
          error = "cannot write " + file + ": " + out.error().message();
        out.clear_error();
        return false;
      }
      if (!emitted)
        return false;
      if (assembly || emits(EmitKind::Obj))
        staging.keep(file);
    }
    objects = {staging.path(name + ".o")};
    progress.done();
  }

  if (emits(EmitKind::Lib)) {
    progress.start("linking");
    std::string library = "lib" + name + ".so";
    std::string header = name + ".h";
    llvm::SmallString<256> scratch;
    if (std::error_code code = llvm::sys::fs::createUniqueDirectory(
            staging.path("link"), scratch)) {
      error = "cannot create a scratch folder: " + code.message();
      return false;
    }
    // The parallel loops' outlined bodies, for the glue's launchers.
    ModelSignature withLoops = signature;
    for (auto loop : loopsToLaunch)
      withLoops.parallelLoops.push_back(loop);
    withLoops.profiledKernels = profiledKernels;
    std::unique_ptr<LibraryTarget> target =
        cuda ? createCudaLibraryTarget(options.gpuChip)
             : createCpuLibraryTarget();
    if (!linkModelLibrary(withLoops, *target, objects, staging.path(library),
                          std::string(scratch), error))
      return false;
    if (!writeText(
            staging.path(header),
            [&](llvm::raw_ostream &os) {
              os << emitModelHeader(withLoops, *target);
            },
            error))
      return false;
    staging.keep(library);
    staging.keep(header);
    progress.done();
  }
  // A --print-ir-after naming no pass that ran is most likely a typo.
  for (const std::string &pass : options.printIRAfter)
    if (!passesRun.count(pass))
      llvm::errs() << "dlc: warning: --print-ir-after=" << pass << ": no pass '"
                   << pass << "' ran\n";
  return staging.commit(error);
}

} // namespace dlc
