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

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

namespace dlc {

/// A static memref with the identity layout: passes as a bare pointer.
bool isBarePointer(mlir::Type type);

/// Whether two buffers may share a byte: views of one root buffer
/// (memref.view at constant offsets is followed; other views are taken as
/// the whole source) whose byte ranges intersect.
bool mayOverlap(mlir::Value a, mlir::Value b);

/// Marks argument i of `function` (i < values.size(), passed `values[i]`)
/// `llvm.noalias` when values[i] is a buffer that shares no byte with any
/// other buffer of `values`, which lets LLVM vectorize an outlined body as
/// it would have in place.
void markDisjointBuffersNoalias(mlir::func::FuncOp function,
                                llvm::ArrayRef<mlir::Value> values);

} // namespace dlc

#endif // DLC_PASSES_LOOP_BUFFEROVERLAP_H
