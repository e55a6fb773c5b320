//===- FlattenConstantGlobals.cpp - Weights as one-dimensional globals ----===//
//
// An N-d constant memref.global becomes an LLVM global of nested arrays, and
// LLVM builds one constant per innermost row: a 1x1 convolution's weights
// (innermost dims of size 1) become one constant per float, which makes
// translation and optimization take minutes for a large model. A 1-d global
// is one constant; its readers see the original shape through an
// expand_shape view.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace dlc {
#define GEN_PASS_DEF_FLATTENCONSTANTGLOBALS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

struct FlattenConstantGlobals
    : dlc::impl::FlattenConstantGlobalsBase<FlattenConstantGlobals> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<StringAttr, MemRefType> flattened; // name -> original type
    for (auto global : module.getOps<memref::GlobalOp>()) {
      MemRefType type = global.getType();
      auto value =
          dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr());
      if (!global.getConstant() || !value || type.getRank() < 2 ||
          !type.hasStaticShape() || !type.getLayout().isIdentity())
        continue;
      int64_t elements = type.getNumElements();
      global.setType(MemRefType::get({elements}, type.getElementType(),
                                     MemRefLayoutAttrInterface{},
                                     type.getMemorySpace()));
      global.setInitialValueAttr(value.reshape(
          RankedTensorType::get({elements}, type.getElementType())));
      flattened[global.getSymNameAttr()] = type;
    }
    module.walk([&](memref::GetGlobalOp get) {
      auto it = flattened.find(get.getNameAttr().getAttr());
      if (it == flattened.end())
        return;
      MemRefType original = it->second;
      OpBuilder b(get);
      b.setInsertionPointAfter(get);
      get.getResult().setType(MemRefType::get(
          {original.getNumElements()}, original.getElementType(),
          MemRefLayoutAttrInterface{}, original.getMemorySpace()));
      ReassociationIndices all;
      for (int64_t i = 0; i < original.getRank(); ++i)
        all.push_back(i);
      auto view = b.create<memref::ExpandShapeOp>(
          get.getLoc(), original, get.getResult(),
          ArrayRef<ReassociationIndices>{all});
      get.getResult().replaceAllUsesExcept(view.getResult(), view);
    });
  }
};

} // namespace
