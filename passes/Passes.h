//===- Passes.h - dlc passes ------------------------------------*- C++ -*-===//
#ifndef DLC_PASSES_PASSES_H
#define DLC_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include <memory>
#include <string>
#include <vector>

namespace dlc {

/// Matmuls with at least this many multiply-adds (M * N * K) take the packed
/// micro-kernel (dlc-matmul-microkernel); dlc-tile-fused-groups leaves them
/// to it.
constexpr int64_t kMicrokernelMinMacs = 1 << 16;

/// Kernels with less work than this (iterations of their loop nest, about
/// one multiply-add each) stay on one thread: waking the pool costs more.
constexpr int64_t kParallelMinWork = 1 << 16;

/// The ONNX node names behind `loc` (a NameLoc or a fusion of them).
std::vector<std::string> nodeNamesOf(mlir::Location loc);

/// Whether a top-level op of a lowered function runs as a kernel: a loop
/// nest, or any op left that would run as one (what --report counts and
/// dlc-instrument-kernels times).
bool isTopLevelKernel(mlir::Operation &op);

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace dlc

#endif // DLC_PASSES_PASSES_H
