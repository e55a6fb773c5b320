//===- TargetMachine.cpp - LLVM IR to machine code for CPUs ---------------===//
#include "codegen/cpu/TargetMachine.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>

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
  bool host = cpu.empty() || cpu == "native";
  std::string cpuName = host ? llvm::sys::getHostCPUName().str() : cpu;
  std::string features;
  if (host && triple.empty()) {
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

int64_t vectorRegisterCount(const llvm::TargetMachine &machine) {
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  const llvm::Triple &triple = machine.getTargetTriple();
  if (triple.isX86())
    return subtarget && subtarget->checkFeatures("+avx512f") ? 32 : 16;
  return triple.isAArch64() ? 32 : 16;
}

std::unique_ptr<llvm::Module> translateAndOptimize(mlir::ModuleOp module,
                                                   llvm::LLVMContext &context,
                                                   llvm::TargetMachine &machine,
                                                   int optLevel,
                                                   std::string &error) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  // CUDA modules: gpu.binary (the embedded PTX) and the kernel launches.
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
  // LLVM's -O2 pipeline at dlc's -O3 too: its -O3 differs mainly in a
  // doubled full-unroll threshold, which on a model's many constant-trip
  // loops makes huge straight-line blocks (ConvNeXt-T: code generation 47 s
  // against 13 s, most of it in the machine scheduler) for no measured gain;
  // the hot loops are dlc's own micro-kernels. Instruction selection and
  // scheduling still run at the target machine's level.
  auto optimize =
      mlir::makeOptimizingTransformer(std::min(optLevel, 2), 0, &machine);
  if (llvm::Error failure = optimize(llvmModule.get())) {
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
