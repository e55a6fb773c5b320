//===- Passes.h - dlc passes ------------------------------------*- C++ -*-===//
#ifndef DLC_PASSES_PASSES_H
#define DLC_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include <memory>

namespace dlc {

/// Matmuls with at least this many multiply-adds (M * N * K) take the packed
/// micro-kernel (dlc-matmul-microkernel); dlc-tile-fused-groups leaves them
/// to it.
constexpr int64_t kMicrokernelMinMacs = 1 << 16;

/// Kernels with less work than this (iterations of their loop nest, about
/// one multiply-add each) stay on one thread: waking the pool costs more.
constexpr int64_t kParallelMinWork = 1 << 16;

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace dlc

#endif // DLC_PASSES_PASSES_H
