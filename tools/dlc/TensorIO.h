//===- TensorIO.h - .npy and ONNX .pb tensor files --------------*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_TENSORIO_H
#define DLC_TOOLS_DLC_TENSORIO_H

#include "dlc/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

/// A tensor held in memory by the CLI.
struct HostTensor {
  dlc_dtype dtype = DLC_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
  /// A .npy of raw bytes ('|V1', '<V2': how numpy saves bfloat16, float8,
  /// int4 arrays) has no dtype until takeUntypedAs gives it one.
  size_t untypedBytes = 0;

  int64_t numElements() const;
  dlc_tensor view();
};

/// Reads a .npy file (little-endian, C order) or an ONNX TensorProto (.pb),
/// chosen by the file's extension. False with `error` set on failure.
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Types a raw-bytes .npy as `dtype` when that is a narrow type of the
/// same element size; false otherwise.
bool takeUntypedAs(HostTensor &tensor, dlc_dtype dtype);

/// Writes a .npy file (format 1.0); narrow types as raw bytes.
bool writeNpy(const std::string &path, const HostTensor &tensor,
              std::string &error);

std::string formatShape(const std::vector<int64_t> &shape);

} // namespace dlc

#endif // DLC_TOOLS_DLC_TENSORIO_H
