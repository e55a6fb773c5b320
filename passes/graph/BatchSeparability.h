//===- BatchSeparability.h - Which dims hold the samples of a batch -*- C++
//-*-===//
//
// A model whose inputs share a symbolic leading dim (ONNX's `batch`) can be
// compiled once for one sample and run sample by sample, provided no op
// mixes samples and nothing computes with the batch size. These are the
// checks behind that: the forward analysis of where each value holds the
// samples (dlc-check-batch-separable), and the comparison of the graphs
// imported at several batch sizes.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_GRAPH_BATCHSEPARABILITY_H
#define DLC_PASSES_GRAPH_BATCHSEPARABILITY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <string>

namespace dlc {

/// Where a value holds the samples: dim `position`, of size batch * factor,
/// the sample index its outer part (factor > 1 where a reshape merged the
/// batch with the dims after it, as [B, S, K] -> [B*S, K]).
struct BatchDim {
  int64_t position = 0;
  int64_t factor = 1;
  bool operator==(const BatchDim &other) const {
    return position == other.position && factor == other.factor;
  }
  bool operator!=(const BatchDim &other) const { return !(*this == other); }
};

using BatchDims = llvm::DenseMap<mlir::Value, BatchDim>;

/// Follows the samples from the entry's arguments marked `dlc.batch_symbol`
/// (their dim 0) through every op of `entry`, a graph imported with that dim
/// `batchSize` (2 or more: a size 1 hides which dims broadcast). Fails,
/// with an error at the op, where an op mixes samples (a reduction over the
/// batch, a slice of it, a product over it, ...), or an op this analysis
/// does not model takes a value that holds samples; and where a result
/// holds them elsewhere than in its dim 0 alone.
mlir::FailureOr<BatchDims> analyzeBatchDims(mlir::func::FuncOp entry,
                                            int64_t batchSize);

/// Whether `probes` (the entry function as imported with batch sizes
/// `sizes`, each one at least 1; the same order of ops in each) are one
/// graph up to those sizes: the same ops, operands and attributes, equal
/// constants, and equal types except in the dims `dims` (the analysis of
/// probe `reference`) names, which hold `size * factor`. A graph that
/// computes with its batch size (a Shape read into arithmetic, a branch on
/// it) differs between probes. On a difference returns false with `why`
/// naming the op.
bool sameGraphAcrossBatchSizes(llvm::ArrayRef<mlir::func::FuncOp> probes,
                               llvm::ArrayRef<int64_t> sizes,
                               unsigned reference, const BatchDims &dims,
                               std::string &why);

} // namespace dlc

#endif // DLC_PASSES_GRAPH_BATCHSEPARABILITY_H
