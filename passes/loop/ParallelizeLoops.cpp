//===- ParallelizeLoops.cpp - Run marked loops on the runtime's threads ---===//
//
// Loops whose iterations write disjoint data carry `dlc.parallel` (the tile
// loops of dlc-tile-fused-groups, the channel-block or row loops of the conv
// micro-kernel, the panel loop of the matmul micro-kernel). This pass
// outlines the body of each outermost such loop into a function
//
//   @<entry>_par<k>(buffers..., indices..., %begin: index, %end: index)
//
// that runs iterations [begin, end), and replaces the loop by a call to
//
//   @<entry>_par<k>_launch(buffers..., indices..., lower, upper, step)
//
// which the library's C glue defines around dlc_parallel_for (the runtime's
// thread pool). Buffers pass as bare pointers, so only static memrefs with
// the identity layout can cross; a loop capturing anything else stays
// sequential.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"
#include "passes/loop/BufferOverlap.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace dlc {
#define GEN_PASS_DEF_PARALLELIZELOOPS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;
using dlc::isBarePointer;

namespace {

struct ParallelizeLoopsPass
    : dlc::impl::ParallelizeLoopsBase<ParallelizeLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp function : functions) {
      if (function.isExternal())
        continue;
      SmallVector<scf::ForOp> loops;
      function.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
        if (!loop->hasAttr(dlc::DlcDialect::ParallelAttrHelper::getNameStr()))
          return WalkResult::advance();
        loops.push_back(loop);
        return WalkResult::skip(); // nested marks run inside this one
      });
      int counter = 0;
      for (scf::ForOp loop : loops)
        if (outline(function, loop, counter))
          ++counter;
    }
  }

  bool outline(func::FuncOp function, scf::ForOp loop, int index) {
    if (loop.getNumResults() != 0 ||
        !loop.getStep().getDefiningOp<arith::ConstantOp>())
      return false;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(loop.getRegion(), captured);
    SmallVector<Value> pointers, integers;
    SmallVector<Operation *> constants;
    for (Value value : captured) {
      Operation *producer = value.getDefiningOp();
      if (producer && producer->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(producer);
      else if (isBarePointer(value.getType()))
        pointers.push_back(value);
      else if (value.getType().isIndex())
        integers.push_back(value);
      else
        return false; // cannot cross the C glue
    }

    MLIRContext *context = &getContext();
    std::string name =
        function.getName().str() + "_par" + std::to_string(index);
    OpBuilder builder(function);
    builder.setInsertionPointAfter(function);
    SmallVector<Type> types;
    for (Value value : pointers)
      types.push_back(value.getType());
    for (Value value : integers)
      types.push_back(value.getType());
    SmallVector<Type> bodyTypes(types);
    bodyTypes.append({builder.getIndexType(), builder.getIndexType()});
    auto body = builder.create<func::FuncOp>(
        loop.getLoc(), name, FunctionType::get(context, bodyTypes, {}));
    body->setAttr(
        dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr(),
        builder.getDenseI64ArrayAttr({static_cast<int64_t>(pointers.size()),
                                      static_cast<int64_t>(integers.size())}));
    dlc::markDisjointBuffersNoalias(body, pointers);
    Block *entry = body.addEntryBlock();
    OpBuilder inside = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    for (auto [i, value] : llvm::enumerate(pointers))
      mapping.map(value, entry->getArgument(i));
    for (auto [i, value] : llvm::enumerate(integers))
      mapping.map(value, entry->getArgument(pointers.size() + i));
    for (Operation *constant : constants)
      inside.clone(*constant, mapping);
    Value step = inside.clone(*loop.getStep().getDefiningOp())->getResult(0);
    Value begin = entry->getArgument(types.size());
    Value end = entry->getArgument(types.size() + 1);
    auto chunk = inside.create<scf::ForOp>(loop.getLoc(), begin, end, step);
    mapping.map(loop.getInductionVar(), chunk.getInductionVar());
    OpBuilder chunkBody = OpBuilder::atBlockBegin(chunk.getBody());
    for (Operation &op : loop.getBody()->without_terminator())
      chunkBody.clone(op, mapping);
    inside.create<func::ReturnOp>(loop.getLoc());

    // The launcher, defined by the glue.
    SmallVector<Type> launchTypes(types);
    launchTypes.append(3, builder.getIndexType());
    auto launcher = builder.create<func::FuncOp>(
        loop.getLoc(), name + "_launch",
        FunctionType::get(context, launchTypes, {}));
    launcher.setPrivate();

    OpBuilder at(loop);
    SmallVector<Value> operands(pointers);
    operands.append(integers.begin(), integers.end());
    operands.append(
        {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()});
    at.create<func::CallOp>(loop.getLoc(), launcher, operands);
    loop.erase();
    return true;
  }
};

} // namespace
