//===- LoweringUtils.h - Helpers for lowering dlc to linalg -----*- C++ -*-===//
#ifndef DLC_PASSES_CONVERSION_LOWERINGUTILS_H
#define DLC_PASSES_CONVERSION_LOWERINGUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"
#include <functional>
#include <string>

namespace dlc {

/// Builds the scalar body of an elementwise linalg.generic from its block
/// arguments (one per input) and returns the value to yield.
using ScalarBodyBuilder = std::function<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// The map from a result index space of rank `resultRank` to an operand of
/// `operandType` that broadcasts numpy-style (aligned right, size-1 dims
/// pinned to 0).
mlir::AffineMap broadcastMap(mlir::RankedTensorType operandType,
                             mlir::RankedTensorType resultType);

/// An elementwise linalg.generic computing `resultType` from `inputs`, which
/// broadcast to it.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs,
                             const ScalarBodyBuilder &body);

/// An elementwise linalg.generic that updates `dest` in place (its init):
/// `body` gets the scalars of `inputs` (broadcast to dest) then dest's.
/// Writing into the producer's result keeps one buffer for both.
mlir::Value buildInPlaceElementwise(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value dest, mlir::ValueRange inputs,
                                    const ScalarBodyBuilder &body);

/// The scalar computation of elementwise/broadcast dlc op `op` on `args`
/// (one scalar per operand); null when its element type is not supported.
mlir::Value buildScalarOp(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Operation *op, mlir::ValueRange args);

/// Whether buildScalarOp supports `op` (checked before any IR is built).
bool supportsScalarOp(mlir::Operation *op);

/// x + y and x * y on float or integer scalars (or vectors).
mlir::Value addScalars(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       mlir::Value y);
mlir::Value mulScalars(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       mlir::Value y);
bool isFloatOrInt(mlir::Type type);
bool anyNonZero(llvm::ArrayRef<int64_t> values);

/// Reads input[n, channel, positions - padBegin (, channelInBlock)] inside a
/// generic's body, giving `padValue` where that falls outside the input.
/// Padded windows read this way instead of through a padded copy, so a conv
/// or pool stays one loop nest with no buffer besides its result.
mlir::Value readPaddedInput(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, mlir::Value batch,
                            mlir::Value channel,
                            llvm::ArrayRef<mlir::Value> positions,
                            llvm::ArrayRef<int64_t> padBegin,
                            mlir::Value padValue,
                            mlir::Value channelInBlock = {});

/// An integer index as an `index` value: negative counts from `size`, out of
/// range is clamped to [0, size - 1] (ONNX leaves it undefined).
mlir::Value clampedIndex(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value index, int64_t size);
/// `out * stride + window * dilation` from a generic's loop indices.
mlir::Value windowPosition(mlir::OpBuilder &b, mlir::Location loc,
                           int64_t outDim, int64_t windowDim, int64_t stride,
                           int64_t dilation);

/// A scalar constant of `type` (float or integer) equal to `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// The smallest (or largest) value of a float or integer type; -inf/+inf for
/// floats.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Type type);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type type);

/// A tensor of `type` filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::Value value);

/// `value` reshaped to `type` (same element count) with collapse/expand.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::RankedTensorType type);

/// `input` (N, C, spatial...) with `pads` (begins, then ends) of zeros
/// around its spatial dims: one loop nest that writes each value once.
mlir::Value padInput(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                     llvm::ArrayRef<int64_t> pads);

/// The epilogue of a blocked-convolution micro-kernel: gets the accumulated
/// vector of output channels at `indices` (n, channel block, oh, ow) and
/// returns the vector to store there.
using ConvEpilogue = std::function<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::ValueRange)>;

/// Whether blocked convs get the register-tiled micro-kernel, and how many
/// vector registers the target has for its tile (32 with AVX-512, 16 with
/// AVX2).
struct ConvKernelTarget {
  bool enabled = false;
  int64_t vectorRegisters = 32;
  /// dlc.conv with padding reads one zero-padded copy of its input (its own
  /// loop nest), so that the contraction is two plain operands (the GPU's
  /// tiled kernel takes it as an implicit GEMM).
  bool paddedInputCopy = false;
  /// The integer conv's dot product (dlc-matmul-microkernel's int8-dot
  /// values): vpdpbusd for avx512-vnni and avx-vnni, else widened.
  std::string int8Dot = "portable";
};

/// dlc.conv_blocked or dlc.depthwise_conv_blocked (2-d, f32), or
/// dlc.conv_integer_blocked (2-d, i32), as loops (ConvMicrokernel.cpp)
/// around a register tile of output pixels along ow x channel blocks, sized
/// to the target's vector registers, `epilogue` applied to each vector
/// before it is stored as `storedType` (null: the conv's own element type).
/// Null when the op is not supported (the generic lowering then applies).
mlir::Value buildBlockedConvKernel(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Operation *conv, mlir::Value input,
                                   mlir::Value filter,
                                   const ConvEpilogue &epilogue,
                                   const ConvKernelTarget &target,
                                   mlir::Type storedType = {});

/// Whether `op` is a linalg.matmul that dlc-matmul-microkernel rewrites:
/// static f32 operands (tensors or buffers), two rows or more, at least
/// `minMacs` multiply-adds. dlc-tile-fused-groups leaves those whole.
bool fitsMatmulMicrokernel(mlir::Operation *op, int64_t minMacs);

void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateStructuredLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateIndexingLoweringPatterns(mlir::RewritePatternSet &patterns);
void populateConvolutionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                         ConvKernelTarget convKernel);
void populateFusedLoweringPatterns(mlir::RewritePatternSet &patterns,
                                   ConvKernelTarget convKernel);

} // namespace dlc

#endif // DLC_PASSES_CONVERSION_LOWERINGUTILS_H
