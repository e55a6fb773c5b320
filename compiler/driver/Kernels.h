//===- Kernels.h - A model's kernels after graph optimization ---*- C++ -*-===//
//
// What `dlc inspect` lists and `dlc compile --report` prints: each kernel (a
// fused group or a lone op) with its members, result, source nodes and an
// estimate of its arithmetic.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DRIVER_KERNELS_H
#define DLC_COMPILER_DRIVER_KERNELS_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class Location;
class Operation;
class Type;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace dlc {

struct KernelSummary {
  std::string ops;                // "conv+add+relu" for a group
  bool fused = false;             // a dlc.fused group
  std::string resultType;         // "1x64x56x56xf32"
  std::vector<std::string> nodes; // the ONNX nodes it came from
  int64_t flops = 0;              // estimated arithmetic operations
};

/// The kernels of `entry` in program order; constants and the return are
/// left out.
std::vector<KernelSummary> summarizeKernels(mlir::func::FuncOp entry);

/// Estimated arithmetic operations of one dlc op (a group: the sum of its
/// members): 2 per multiply-add of matmuls and convolutions, the window
/// size per pooled element, one per input element of a reduction, 5 per
/// softmax element, one per result element of elementwise ops, none for
/// data movement.
int64_t estimateFlops(mlir::Operation *op);

/// `type` as "1x64x56x56xf32".
std::string shapeText(mlir::Type type);

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_KERNELS_H
