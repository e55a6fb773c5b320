//===- ModelSignature.h - A model's inputs and outputs ----------*- C++ -*-===//
//
// What a compiled library exposes: names, element types and static shapes of
// the entry function's inputs and outputs. Plain C++: the header and glue
// emitters of every target and the driver read it without touching MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_CODEGEN_MODELSIGNATURE_H
#define DLC_CODEGEN_MODELSIGNATURE_H

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

struct TensorSpec {
  std::string name;
  int dtype = 0;         // a dlc_dtype value (ONNX's TensorProto codes)
  std::string dtypeName; // "float32", ...
  std::string cType;     // "float", "int64_t", ...
  /// The shape the compiled code takes: with a batch symbol, one sample's
  /// (dim 0 is 1), the library running sample by sample.
  std::vector<int64_t> shape;
  /// Non-empty when dim 0 is the model's symbolic batch (any size at run
  /// time, the same for every tensor that has it).
  std::string batchSymbol;
  /// An output whose size along this dim depends on the data (NonZero,
  /// Compress): `shape` is its largest, the compute function also returns
  /// its size there, and the library allocates it after the run. -1: none.
  int boundedDim = -1;

  /// Elements of the compiled shape (of one sample, with a batch symbol).
  int64_t numElements() const {
    int64_t count = 1;
    for (int64_t dim : shape)
      count *= dim;
    return count;
  }
};

/// A loop the compiled code runs on the thread pool: dlc-parallelize-loops
/// outlined its body into `body(pointers..., integers..., begin, end)` and
/// calls `launcher(pointers..., integers..., lower, upper, step)`, which the
/// glue defines around dlc_parallel_for.
struct ParallelLoop {
  std::string body, launcher;
  int pointers = 0; // buffers (bare pointers)
  int integers = 0; // index values (int64_t)
};

/// A check the library makes of an input's values before each run
/// (dlc_value_check in the runtime): the input decides a node's output
/// shape, and the library was compiled for the one the model declares.
struct ValueCheck {
  int input = 0;
  std::string kind; // "equal", "reshape", ... (dlc_value_check_kind)
  std::string node; // "Reshape 'r'"
  std::vector<int64_t> expected, operand;
  int64_t flags = 0;
  /// With several inputs: each part an input index, or -1 and values.
  std::vector<std::pair<int, std::vector<int64_t>>> parts;
};

/// The sizes a dim symbol may take at run time (--dim-range).
struct DimRange {
  std::string symbol;
  int64_t min = 0;
  int64_t max = -1; // -1: no upper bound
};

struct ModelSignature {
  std::string name; // a C identifier; prefixes every exported symbol
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  std::vector<ValueCheck> valueChecks;
  std::vector<DimRange> dimRanges;
  /// The compute function's trailing results: for each, the output whose
  /// size along its boundedDim it holds (an int64_t).
  std::vector<int> countOf;
  std::vector<ParallelLoop> parallelLoops; // filled after lowering
  /// With --profile: one label per timed kernel, in run order. The compute
  /// function calls __dlc_profile_mark(i) before kernel i and (K) at its end.
  std::vector<std::string> profiledKernels;

  /// The batch symbol of the inputs and outputs that have one (one symbol
  /// per model), or empty.
  std::string batchSymbol() const {
    for (const TensorSpec &t : inputs)
      if (!t.batchSymbol.empty())
        return t.batchSymbol;
    return "";
  }
};

/// The symbol the compiled compute function gets; called only by the glue.
inline std::string computeSymbol(const std::string &modelName) {
  return "__dlc_" + modelName + "_compute";
}

} // namespace dlc

#endif // DLC_CODEGEN_MODELSIGNATURE_H
