//===- Ptx.cpp - PTX out of a module lowered for CUDA ---------------------===//
#include "codegen/gpu/Ptx.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>
#include <regex>

namespace dlc {

bool extractPtx(mlir::ModuleOp module, const std::string &chip,
                std::string &ptx, std::string &error) {
  ptx.clear();
  int binaries = 0;
  module.walk([&](mlir::gpu::BinaryOp binary) {
    ++binaries;
    for (mlir::Attribute attr : binary.getObjects())
      if (auto object = llvm::dyn_cast<mlir::gpu::ObjectAttr>(attr))
        // The driver takes the PTX as a C string: it ends with a NUL.
        ptx = object.getObject().getValue().rtrim('\0').str();
  });
  if (binaries == 0) {
    // No kernel (an identity, a model folded to constants): an empty module
    // for --emit=ptx; the library loads none.
    unsigned version = 0;
    llvm::StringRef(chip).drop_front(3).consumeInteger(10, version);
    ptx = "// dlc: this model has no GPU kernels\n.version " +
          std::string(version >= 100 ? "8.7" : "7.8") + "\n.target " + chip +
          "\n.address_size 64\n";
    return true;
  }
  if (binaries != 1 || ptx.empty()) {
    error =
        "expected one GPU binary with PTX, found " + std::to_string(binaries);
    return false;
  }
  return true;
}

static bool hasLibdevice(const std::string &toolkit) {
  llvm::SmallString<256> path(toolkit);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return !toolkit.empty() && llvm::sys::fs::exists(path);
}

std::string findCudaToolkit() {
  for (const char *variable : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(variable))
      if (hasLibdevice(value))
        return value;
  if (hasLibdevice("/usr/local/cuda"))
    return "/usr/local/cuda";
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    llvm::SmallString<256> toolkit(*ptxas);
    llvm::sys::path::remove_filename(toolkit); // bin/
    llvm::sys::path::remove_filename(toolkit);
    if (hasLibdevice(std::string(toolkit)))
      return std::string(toolkit);
  }
  return "";
}

bool checkPtxResolved(const std::string &ptx, const std::string &toolkit,
                      std::string &error) {
  // An unresolved call: ".extern .func (...) __nv_floorf".
  static const std::regex externCall(R"(\.extern\s+\.func[^\n]*?\b(__nv_\w+))");
  std::smatch match;
  if (!std::regex_search(ptx, match, externCall))
    return true;
  error = "the kernels call libdevice's " + match[1].str() +
          ", but libdevice was not found (" +
          (toolkit.empty() ? std::string("no CUDA toolkit found")
                           : "looked in " + toolkit + "/nvvm/libdevice") +
          "); set CUDA_HOME to the CUDA toolkit";
  return false;
}

bool isSupportedGpuChip(const std::string &chip) {
  llvm::StringRef name(chip);
  unsigned version;
  if (!name.consume_front("sm_"))
    return false;
  // sm_90a: the architecture-specific features of Hopper.
  name.consume_back("a");
  return !name.getAsInteger(10, version) && version >= 80 && version <= 120;
}

} // namespace dlc
