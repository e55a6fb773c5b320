//===- ShapeMath.h - Overflow-checked tensor sizes --------------*- C++ -*-===//
//
// Every size dlc computes from a model's shapes (the importer's tensors,
// shape inference's results, the header's NUM_ELEMENTS, the arena) goes
// through these, so that a hostile shape is refused instead of wrapping
// around. The runtime checks the same bound in C
// (dlc_tensor_info_num_elements).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_SHAPEMATH_H
#define DLC_COMPILER_SHAPEMATH_H

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace dlc {

/// The most bytes (and so elements) one tensor may hold: 2^48, 256 TiB, far
/// beyond any model, and small enough that sums and products of a few such
/// sizes (arena offsets, strides, bytes of 8-byte elements) stay in int64.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;

/// The number of elements of a static `shape`; nullopt when a dimension is
/// negative (or dynamic), a dimension or the tensor holds more than
/// kMaxTensorBytes elements.
inline std::optional<int64_t>
checkedNumElements(llvm::ArrayRef<int64_t> shape) {
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim < 0 || dim > kMaxTensorBytes)
      return std::nullopt;
    empty |= dim == 0;
  }
  // A zero dim makes the whole product 0, even beside huge ones.
  if (empty)
    return 0;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (count > kMaxTensorBytes / dim)
      return std::nullopt;
    count *= dim;
  }
  return count;
}

/// The bytes of a static `shape` of `elementBytes`-byte elements; nullopt as
/// for checkedNumElements, or when the bytes exceed kMaxTensorBytes.
inline std::optional<int64_t> checkedByteSize(llvm::ArrayRef<int64_t> shape,
                                              int64_t elementBytes) {
  std::optional<int64_t> count = checkedNumElements(shape);
  if (!count || elementBytes < 0 ||
      (elementBytes != 0 && *count > kMaxTensorBytes / elementBytes))
    return std::nullopt;
  return *count * elementBytes;
}

/// "[d0,d1,...]" ("?" for a dynamic dim), for messages about a shape.
inline std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + (shape[i] == INT64_MIN ? std::string("?")
                                                    : std::to_string(shape[i]));
  return text + "]";
}

/// `value` as an integer of `width` bits, saturated to the range of the
/// signed or unsigned type (NaN gives 0): a C cast of a double out of range
/// is undefined, and a model's constants may be anything.
inline llvm::APInt saturatedInteger(double value, unsigned width,
                                    bool isUnsigned) {
  llvm::APSInt integer(width, isUnsigned);
  bool exact = false;
  (void)llvm::APFloat(value).convertToInteger(
      integer, llvm::APFloat::rmTowardZero, &exact);
  return integer;
}

} // namespace dlc

#endif // DLC_COMPILER_SHAPEMATH_H
