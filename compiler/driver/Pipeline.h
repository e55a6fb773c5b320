//===- Pipeline.h - The pass pipelines, stage by stage ----------*- C++ -*-===//
#ifndef DLC_COMPILER_DRIVER_PIPELINE_H
#define DLC_COMPILER_DRIVER_PIPELINE_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace dlc {

/// Graph level, on the dlc dialect: simplification (none at -O0).
void addGraphPipeline(mlir::OpPassManager &pm, int optLevel);

/// dlc -> linalg on tensors -> bufferized loops (scf + memref) with the
/// results turned into caller-provided output buffers.
void addLoopPipeline(mlir::OpPassManager &pm, int optLevel);

/// Loops -> the LLVM dialect, with the bare-pointer calling convention for
/// the entry function.
void addLLVMDialectPipeline(mlir::OpPassManager &pm);

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_PIPELINE_H
