//===- Kernels.cpp - A model's kernels after graph optimization -----------===//
#include "compiler/driver/Kernels.h"
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace dlc {

std::string shapeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    for (int64_t dim : tensor.getShape())
      os << dim << "x";
    os << tensor.getElementType();
  } else {
    os << type;
  }
  return text;
}

static int64_t elementsOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape() ? type.getNumElements() : 0;
}

/// 2 * outputs * (filter elements per output channel), for every conv layout.
template <typename ConvTy> static int64_t convFlops(ConvTy conv) {
  auto result = conv.getType();
  int64_t channels = result.getDimSize(1);
  if (!isa<ConvOp>(conv.getOperation())) // blocked: [N, F/b, ..., b]
    channels *= result.getShape().back();
  if (channels <= 0)
    return 0;
  return 2 * elementsOf(conv.getResult()) *
         (elementsOf(conv.getFilter()) / channels);
}

int64_t estimateFlops(Operation *op) {
  if (auto fused = dyn_cast<FusedOp>(op)) {
    int64_t total = 0;
    for (Operation &member : fused.getBody().front().without_terminator())
      total += estimateFlops(&member);
    return total;
  }
  if (auto matmul = dyn_cast<MatMulOp>(op))
    return 2 * elementsOf(matmul.getResult()) *
           matmul.getLhs().getType().getShape().back();
  if (auto conv = dyn_cast<ConvOp>(op))
    return convFlops(conv);
  if (auto conv = dyn_cast<BlockedConvOp>(op))
    return convFlops(conv);
  if (auto conv = dyn_cast<BlockedDepthwiseConvOp>(op))
    return convFlops(conv);
  auto window = [&](ArrayRef<int64_t> kernel) {
    int64_t size = 1;
    for (int64_t k : kernel)
      size *= k;
    return elementsOf(op->getResult(0)) * size;
  };
  if (auto pool = dyn_cast<MaxPoolOp>(op))
    return window(pool.getKernelShape());
  if (auto pool = dyn_cast<AvgPoolOp>(op))
    return window(pool.getKernelShape());
  if (isa<SoftmaxOp>(op))
    return 5 * elementsOf(op->getResult(0));
  if (auto topK = dyn_cast<TopKOp>(op))
    return elementsOf(topK.getInput()) * static_cast<int64_t>(topK.getK());
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
          ArgMaxOp, ArgMinOp, CumSumOp>(op))
    return elementsOf(op->getOperand(0));
  if (isa<CastOp>(op))
    return 0;
  if (auto kind = dyn_cast<PatternKindInterface>(op))
    if (kind.getPatternKind() == PatternKind::Elementwise ||
        kind.getPatternKind() == PatternKind::Broadcast)
      return elementsOf(op->getResult(0));
  return 0; // data movement
}

std::vector<KernelSummary> summarizeKernels(func::FuncOp entry) {
  std::vector<KernelSummary> kernels;
  for (Operation &op : entry.getBody().front()) {
    if (isa<ConstantOp, func::ReturnOp>(op))
      continue;
    KernelSummary kernel;
    if (auto fused = dyn_cast<FusedOp>(op)) {
      kernel.fused = true;
      llvm::ListSeparator plus("+");
      llvm::raw_string_ostream ops(kernel.ops);
      for (Operation &member : fused.getBody().front().without_terminator())
        ops << plus << member.getName().stripDialect();
    } else {
      kernel.ops = op.getName().stripDialect().str();
    }
    if (op.getNumResults())
      kernel.resultType = shapeText(op.getResult(0).getType());
    kernel.nodes = nodeNamesOf(op.getLoc());
    kernel.flops = estimateFlops(&op);
    kernels.push_back(std::move(kernel));
  }
  return kernels;
}

} // namespace dlc
