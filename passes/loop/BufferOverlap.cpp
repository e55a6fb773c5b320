//===- BufferOverlap.cpp - Which buffers may share bytes ------------------===//
#include "passes/loop/BufferOverlap.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <limits>

using namespace mlir;

namespace dlc {

bool isBarePointer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.hasStaticShape() && memref.getLayout().isIdentity();
}

namespace {

/// The buffer `value` views and its byte range there: through memref.view
/// (arena slots at constant offsets) and shape-only views.
struct Bytes {
  Value root;
  int64_t begin, end;
};

Bytes bytesOf(Value value) {
  auto type = cast<MemRefType>(value.getType());
  int64_t size = type.getNumElements() *
                 std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  Bytes bytes{value, 0, size};
  while (Operation *producer = bytes.root.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(producer)) {
      IntegerAttr offset;
      if (!matchPattern(view.getByteShift(), m_Constant(&offset)))
        return {view.getSource(), 0, std::numeric_limits<int64_t>::max()};
      int64_t shift = offset.getInt();
      int64_t unbounded = std::numeric_limits<int64_t>::max();
      bytes = {view.getSource(), bytes.begin + shift,
               bytes.end == unbounded ? unbounded : bytes.end + shift};
    } else if (auto viewLike = dyn_cast<ViewLikeOpInterface>(producer)) {
      // Shape-only or unknown views: assume the whole source.
      bytes = {viewLike.getViewSource(), 0,
               std::numeric_limits<int64_t>::max()};
    } else {
      break;
    }
  }
  return bytes;
}

} // namespace

bool mayOverlap(Value a, Value b) {
  Bytes x = bytesOf(a), y = bytesOf(b);
  return x.root == y.root && x.begin < y.end && y.begin < x.end;
}

void markDisjointBuffersNoalias(func::FuncOp function, ArrayRef<Value> values) {
  auto isBuffer = [](Value value) { return isa<MemRefType>(value.getType()); };
  for (size_t i = 0; i < values.size(); ++i) {
    if (!isBuffer(values[i]))
      continue;
    bool alone = llvm::none_of(llvm::seq<size_t>(0, values.size()),
                               [&](size_t j) {
                                 return i != j && isBuffer(values[j]) &&
                                        mayOverlap(values[i], values[j]);
                               });
    if (alone)
      function.setArgAttr(i, "llvm.noalias",
                          UnitAttr::get(function.getContext()));
  }
}

} // namespace dlc
