//===- BufferOverlap.h - Which buffers may share bytes ----------*- C++ -*-===//
//
// Helpers of the passes that move loops into functions of their own
// (dlc-parallelize-loops, dlc-outline-kernels): which values can cross the
// bare-pointer calling convention, and which two buffers may share a byte
// (those that cannot are marked noalias).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_PASSES_LOOP_BUFFEROVERLAP_H
#define DLC_PASSES_LOOP_BUFFEROVERLAP_H

#include "mlir/IR/Value.h"

namespace dlc {

/// A static memref with the identity layout: passes as a bare pointer.
bool isBarePointer(mlir::Type type);

/// Whether two buffers may share a byte: views of one root buffer
/// (memref.view at constant offsets is followed; other views are taken as
/// the whole source) whose byte ranges intersect.
bool mayOverlap(mlir::Value a, mlir::Value b);

} // namespace dlc

#endif // DLC_PASSES_LOOP_BUFFEROVERLAP_H
