//===- ImportFuzzer.cpp - Fuzz target: model bytes to loops ---------------===//
//
// LLVMFuzzerTestOneInput takes any bytes as an ONNX model and runs what
// `dlc compile` runs up to the loops: the importer (with ONNX's checker),
// the graph pipeline and the loop pipeline (linalg, tiling, bufferization),
// through the driver as `dlc compile --emit=loops`.
// Every input must end in a clean refusal or a module; a crash, a sanitizer
// report, a hang or an exhausted memory limit is a bug. Built two ways:
// with libFuzzer and ASan/UBSan by clang (tools/fuzz.sh), and with the
// deterministic driver of FuzzReplay.cpp for CI's smoke run.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compiler.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *created = new mlir::DialectRegistry;
    dlc::registerCompilerDialects(*created);
    return created;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  // Refusals are expected; their messages would only slow the run.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  std::string bytes(reinterpret_cast<const char *>(data), size);
  std::string error;
  dlc::OnnxImportOptions options;
  options.functionName = "fuzz";
  // No folder: external data references fail cleanly.
  mlir::OwningOpRef<mlir::ModuleOp> module =
      dlc::importOnnxBytes(bytes, "fuzz input", "/nonexistent-dlc-fuzz-dir",
                           context, options, error);
  static const bool verbose = std::getenv("DLC_FUZZ_VERBOSE") != nullptr;
  if (!module) {
    if (verbose)
      std::fprintf(stderr, "refused at import: %s\n", error.c_str());
    return 0;
  }
  // What `dlc compile --emit=loops` runs: the signature, the graph and loop
  // pipelines, the staging of the output.
  static std::string outputDir = [] {
    char pattern[] = "/tmp/dlc-fuzz-XXXXXX";
    const char *made = mkdtemp(pattern);
    return std::string(made ? made : "/tmp");
  }();
  dlc::CompileOptions compile;
  compile.modelName = "fuzz";
  compile.outputDir = outputDir;
  compile.emit = {dlc::EmitKind::Loops};
  if (mlir::succeeded(dlc::compileModule(*module, compile))) {
    if (verbose)
      std::fprintf(stderr, "compiled to loops\n");
    std::remove((outputDir + "/fuzz.loops.mlir").c_str());
  } else if (verbose)
    std::fprintf(stderr, "refused (its diagnostics are silenced)\n");
  return 0;
}
