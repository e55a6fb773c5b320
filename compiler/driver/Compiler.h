//===- Compiler.h - From a dlc-dialect module to artifacts ------*- C++ -*-===//
#ifndef DLC_COMPILER_DRIVER_COMPILER_H
#define DLC_COMPILER_DRIVER_COMPILER_H

#include "codegen/ModelSignature.h"
#include "compiler/driver/CompileOptions.h"
#include "compiler/driver/Kernels.h"

#include "mlir/Support/LogicalResult.h"

#include <string>

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace dlc {

/// Registers every dialect a dlc module can hold on its way to LLVM.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// The entry function's signature: its inputs and outputs, named by the
/// `dlc.name` argument/result attributes (input<i>/output<i> when absent).
/// On failure returns false and sets `error`.
bool extractSignature(mlir::ModuleOp module, const std::string &modelName,
                      ModelSignature &signature, std::string &error);

/// What `dlc compile --report` prints.
struct CompileStats {
  int64_t fusedGroups = 0;   // dlc.fused ops after graph optimization
  int64_t layoutChanges = 0; // to/from the blocked channel layout
  int64_t kernels = 0;       // top-level loop nests the compute function runs
  int64_t arenaBytes = 0;    // the planned arena of intermediates
  int64_t naiveBytes = 0;    // one buffer per intermediate, no reuse
  int64_t ptxBytes = 0;      // --target=cuda: size of the PTX module
  std::vector<KernelSummary> graphKernels; // after graph optimization
};

/// Compiles a dlc-dialect module into the artifacts `options.emit` asks for,
/// written into `options.outputDir` only once all of them are built. Errors
/// are MLIR diagnostics: at the op at fault, or without a location when they
/// are about no op (a flag, a file, a tool).
mlir::LogicalResult compileModule(mlir::ModuleOp module,
                                  const CompileOptions &options,
                                  CompileStats *stats = nullptr);

/// Runs only the graph-level pipeline (what `dlc inspect` shows); errors as
/// for compileModule.
mlir::LogicalResult optimizeGraph(mlir::ModuleOp module,
                                  const CompileOptions &options);

/// True when `name` is a usable model name (a C identifier).
bool isValidModelName(const std::string &name);

/// True for names whose symbols (`<name>_run`, `<name>_info`, ...) would
/// clash with the runtime's: `dlc`, `dlc_...` and names starting with `_`.
bool isReservedModelName(const std::string &name);

/// `stem` made into a C identifier that is not reserved (for the default
/// model name).
std::string sanitizeModelName(const std::string &stem);

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_COMPILER_H
