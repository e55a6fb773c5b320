//===- Fatbin.cpp - Ahead-of-time machine code for a CUDA library ---------===//
//
// The PTX that gpu-module-to-binary leaves is assembled here rather than by
// the driver at the first run: the driver's JIT took seconds for ResNet-50
// and ran again in every process whose JIT cache was cold.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/Fatbin.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace dlc {

namespace {

/// A temporary file, removed when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  std::optional<llvm::FileRemover> remover;
  bool create(llvm::StringRef suffix) {
    if (llvm::sys::fs::createTemporaryFile("dlc-gpu", suffix, path))
      return false;
    remover.emplace(path);
    return true;
  }
};

std::string toolIn(const std::string &toolkit, llvm::StringRef name) {
  if (toolkit.empty())
    return "";
  llvm::SmallString<256> path(toolkit);
  llvm::sys::path::append(path, "bin", name);
  return llvm::sys::fs::can_execute(path) ? std::string(path) : "";
}

/// Runs `program` with `args`; false with its output in `error` if it fails.
bool runTool(const std::string &program, llvm::ArrayRef<std::string> args,
             std::string &error) {
  TempFile log;
  if (!log.create("log")) {
    error = "cannot create a temporary file for " +
            llvm::sys::path::filename(program).str();
    return false;
  }
  llvm::SmallVector<llvm::StringRef> argv{program};
  for (const std::string &arg : args)
    argv.push_back(arg);
  std::optional<llvm::StringRef> redirects[] = {llvm::StringRef(),
                                                log.path.str(), log.path.str()};
  std::string message;
  int code = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects,
                                       /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                                       &message);
  if (code == 0)
    return true;
  std::string output;
  if (auto buffer = llvm::MemoryBuffer::getFile(log.path))
    output = llvm::StringRef((*buffer)->getBuffer()).trim().str();
  error = llvm::sys::path::filename(program).str() + " failed" +
          (code < 0 ? " (" + message + ")"
                    : " with exit code " + std::to_string(code)) +
          (output.empty() ? std::string() : ": " + output);
  return false;
}

} // namespace

bool assembleGpuBinary(mlir::ModuleOp module, const std::string &ptx,
                       const std::string &chip, const std::string &toolkit,
                       GpuBinaryKind &kind, std::string &error) {
  kind = GpuBinaryKind::Ptx;
  mlir::gpu::BinaryOp binary;
  module.walk([&](mlir::gpu::BinaryOp op) { binary = op; });
  if (!binary)
    return true; // no kernels: nothing to load
  std::string ptxas = toolIn(toolkit, "ptxas");
  std::string fatbinary = toolIn(toolkit, "fatbinary");
  if (ptxas.empty() || fatbinary.empty())
    return true;

  TempFile ptxFile, cubinFile, fatbinFile;
  if (!ptxFile.create("ptx") || !cubinFile.create("cubin") ||
      !fatbinFile.create("fatbin")) {
    error = "cannot create a temporary file for the GPU code";
    return false;
  }
  {
    std::error_code code;
    llvm::raw_fd_ostream out(ptxFile.path, code);
    if (!code)
      out << ptx;
    out.close();
    if (code || out.has_error()) {
      out.clear_error();
      error = "cannot write " + ptxFile.path.str().str();
      return false;
    }
  }
  // "sm_90a" -> "90a": fatbinary's name for the architecture.
  std::string sm = llvm::StringRef(chip).drop_front(3).str();
  if (!runTool(ptxas,
               {"-arch=" + chip, "-O3", ptxFile.path.str().str(), "-o",
                cubinFile.path.str().str()},
               error) ||
      !runTool(
          fatbinary,
          {"-64", "--create", fatbinFile.path.str().str(),
           "--image3=kind=elf,sm=" + sm + ",file=" + cubinFile.path.str().str(),
           "--image3=kind=ptx,sm=" + sm + ",file=" + ptxFile.path.str().str()},
          error)) {
    error = "assembling the kernels for " + chip + ": " + error;
    return false;
  }
  auto fatbin = llvm::MemoryBuffer::getFile(fatbinFile.path,
                                            /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!fatbin) {
    error = "cannot read the fatbin: " + fatbin.getError().message();
    return false;
  }
  mlir::MLIRContext *context = module.getContext();
  llvm::SmallVector<mlir::Attribute> objects;
  for (mlir::Attribute attr : binary.getObjects()) {
    auto object = llvm::cast<mlir::gpu::ObjectAttr>(attr);
    objects.push_back(mlir::gpu::ObjectAttr::get(
        context, object.getTarget(), mlir::gpu::CompilationTarget::Fatbin,
        mlir::StringAttr::get(context, (*fatbin)->getBuffer()),
        object.getProperties()));
  }
  binary.setObjectsAttr(mlir::ArrayAttr::get(context, objects));
  kind = GpuBinaryKind::Fatbin;
  return true;
}

} // namespace dlc
