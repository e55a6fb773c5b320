//===- TargetMachine.cpp - LLVM IR to machine code for CPUs ---------------===//
#include "codegen/cpu/TargetMachine.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <algorithm>
#include <thread>

namespace dlc {

static void initializeTargetsOnce() {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
}

bool isHostTriple(const std::string &triple) {
  if (triple.empty())
    return true;
  llvm::Triple target(llvm::Triple::normalize(triple));
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  return target.getArch() == host.getArch() && target.getOS() == host.getOS();
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const std::string &triple, const std::string &cpu,
                    int optLevel, std::string &error) {
  initializeTargetsOnce();
  std::string targetTriple =
      triple.empty() ? llvm::sys::getDefaultTargetTriple() : triple;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(targetTriple, error);
  if (!target)
    return nullptr;
  // The host's CPU name and features mean nothing to another architecture:
  // there the default CPU is the target's generic one.
  bool hostTarget = isHostTriple(targetTriple);
  if (cpu == "native" && !hostTarget) {
    error = "--mcpu=native names the host's CPU, which cannot run '" +
            targetTriple +
            "' code; name a CPU of that target or leave --mcpu out";
    return nullptr;
  }
  bool host = hostTarget && (cpu.empty() || cpu == "native");
  std::string cpuName = host          ? llvm::sys::getHostCPUName().str()
                        : cpu.empty() ? "generic"
                                      : cpu;
  std::string features;
  if (host) {
    // The host's feature flags, so that e.g. AVX-512 is used where present.
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  }
  llvm::CodeGenOptLevel level = optLevel <= 0   ? llvm::CodeGenOptLevel::None
                                : optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                : optLevel == 2
                                    ? llvm::CodeGenOptLevel::Default
                                    : llvm::CodeGenOptLevel::Aggressive;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(targetTriple, cpuName, features, options,
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for '" + targetTriple +
            "' and CPU '" + cpuName + "'";
  else if (!host && !machine->getMCSubtargetInfo()->isCPUStringValid(cpuName)) {
    error = "unknown CPU '" + cpuName + "' for target '" + targetTriple + "'";
    return nullptr;
  }
  return machine;
}

int64_t vectorWidthInFloats(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  if (machine.getTargetTriple().isX86() && subtarget) {
    if (subtarget->checkFeatures("+avx512f"))
      return 16;
    if (subtarget->checkFeatures("+avx"))
      return 8;
  }
  return 4;
}

std::string int8DotProduct(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  if (!machine.getTargetTriple().isX86() || !subtarget)
    return "portable";
  if (subtarget->checkFeatures("+avx512f,+avx512vnni"))
    return "avx512-vnni";
  if (subtarget->checkFeatures("+avx2,+avxvnni"))
    return "avx-vnni";
  if (subtarget->checkFeatures("+avx2"))
    return "avx2";
  return "portable";
}

bool hasFusedMultiplyAdd(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  const llvm::Triple &triple = machine.getTargetTriple();
  if (triple.isX86())
    return subtarget && (subtarget->checkFeatures("+fma") ||
                         subtarget->checkFeatures("+avx512f"));
  return triple.isAArch64();
}

int64_t vectorRegisterCount(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  const llvm::Triple &triple = machine.getTargetTriple();
  if (triple.isX86())
    return subtarget && subtarget->checkFeatures("+avx512f") ? 32 : 16;
  return triple.isAArch64() ? 32 : 16;
}

std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &context,
                                                llvm::TargetMachine &machine,
                                                std::string &error) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerGPUDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(machine.getTargetTriple().str());
  llvmModule->setDataLayout(machine.createDataLayout());
  return llvmModule;
}

/// LLVM's middle end at `optLevel` (its -O2 pipeline for dlc's -O3, see
/// translateAndOptimize).
static llvm::Error optimize(llvm::Module &module, llvm::TargetMachine &machine,
                            int optLevel) {
  return mlir::makeOptimizingTransformer(std::min(optLevel, 2), 0,
                                         &machine)(&module);
}

bool optimizeAndEmitInParallel(std::unique_ptr<llvm::Module> module,
                               const llvm::TargetMachine &machine, int optLevel,
                               const std::vector<std::string> &objectPaths,
                               std::string &error) {
  // A definition that may be dropped where unused (linkonce_odr: MLIR's
  // integer-power helpers) would vanish from the part that holds it while
  // another part calls it: such definitions become plain hidden ones.
  for (llvm::GlobalValue &value : module->global_values()) {
    if (value.isDeclaration() ||
        !(value.hasLinkOnceLinkage() || value.hasWeakLinkage()))
      continue;
    value.setLinkage(llvm::GlobalValue::ExternalLinkage);
    value.setVisibility(llvm::GlobalValue::HiddenVisibility);
    if (auto *object = llvm::dyn_cast<llvm::GlobalObject>(&value))
      object->setComdat(nullptr);
  }
  // Each part travels as bitcode into a context of its own: an LLVMContext
  // is not shared between threads.
  std::vector<llvm::SmallString<0>> parts;
  llvm::SplitModule(
      *module, objectPaths.size(),
      [&](std::unique_ptr<llvm::Module> part) {
        parts.emplace_back();
        llvm::raw_svector_ostream out(parts.back());
        llvm::WriteBitcodeToFile(*part, out);
      },
      /*PreserveLocals=*/false);
  module.reset();
  std::vector<std::string> errors(parts.size());
  auto work = [&](size_t i) {
    llvm::LLVMContext context;
    auto parsed = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(parts[i].str(), "part"), context);
    if (!parsed) {
      errors[i] = llvm::toString(parsed.takeError());
      return;
    }
    std::unique_ptr<llvm::TargetMachine> copy(
        machine.getTarget().createTargetMachine(
            machine.getTargetTriple().str(), machine.getTargetCPU(),
            machine.getTargetFeatureString(), machine.Options,
            llvm::Reloc::PIC_, std::nullopt, machine.getOptLevel()));
    if (llvm::Error failure = optimize(**parsed, *copy, optLevel)) {
      errors[i] = llvm::toString(std::move(failure));
      return;
    }
    std::error_code code;
    llvm::raw_fd_ostream out(objectPaths[i], code);
    if (code) {
      errors[i] = "cannot write " + objectPaths[i] + ": " + code.message();
      return;
    }
    emitMachineCode(**parsed, *copy, /*assembly=*/false, out, errors[i]);
    out.close();
    if (out.has_error()) {
      errors[i] =
          "cannot write " + objectPaths[i] + ": " + out.error().message();
      out.clear_error();
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < parts.size(); ++i)
    threads.emplace_back(work, i);
  if (!parts.empty())
    work(0);
  for (std::thread &thread : threads)
    thread.join();
  for (const std::string &message : errors)
    if (!message.empty()) {
      error = message;
      return false;
    }
  return true;
}

std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &context,
                                                   llvm::TargetMachine &machine,
                                                   int optLevel,
                                                   std::string &error) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, context, machine, error);
  if (!llvmModule)
    return nullptr;
  // LLVM's -O2 pipeline at dlc's -O3 too: its -O3 differs mainly in a
  // doubled full-unroll threshold, which on a model's many constant-trip
  // loops makes huge straight-line blocks (ConvNeXt-T: code generation 47 s
  // against 13 s, most of it in the machine scheduler); the hot loops are
  // dlc's own micro-kernels, vectorized before LLVM sees them. Instruction
  // selection and scheduling still run at the target machine's level.
  if (llvm::Error failure = optimize(*llvmModule, machine, optLevel)) {
    error = llvm::toString(std::move(failure));
    return nullptr;
  }
  return llvmModule;
}

bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                     bool assembly, llvm::raw_pwrite_stream &out,
                     std::string &error) {
  llvm::legacy::PassManager passes;
  auto fileType = assembly ? llvm::CodeGenFileType::AssemblyFile
                           : llvm::CodeGenFileType::ObjectFile;
  if (machine.addPassesToEmitFile(passes, out, nullptr, fileType)) {
    error = "the target cannot emit this file type";
    return false;
  }
  passes.run(module);
  return true;
}

} // namespace dlc
