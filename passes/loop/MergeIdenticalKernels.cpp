//===- MergeIdenticalKernels.cpp - One function per distinct kernel -------===//
//
// dlc-parallelize-loops and dlc-outline-kernels give every kernel a function
// of its own; the kernels of a model's repeated layers differ only in the
// buffers they are passed, so their functions are equivalent and LLVM would
// optimize and compile each copy (ViT-tiny: 385 functions, 138 distinct).
// This pass keeps one function of each equivalence class and points the
// calls of the others at it: parallel-loop bodies first (through their
// `_launch` declarations, which the driver's glue defines), then outlined
// kernels, which only then call the same launchers.
//
//===----------------------------------------------------------------------===//
#include "compiler/dialect/DlcDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <string>

namespace dlc {
#define GEN_PASS_DEF_MERGEIDENTICALKERNELS
#include "passes/Passes.h.inc"
} // namespace dlc

using namespace mlir;

namespace {

/// A cheap key that equivalent functions share: the type, the attributes
/// other than the name, and the sequence of op names.
std::string bucketKey(func::FuncOp function) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << function.getFunctionType();
  for (NamedAttribute attr : function->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName())
      os << attr.getName() << '=' << attr.getValue() << ';';
  function.walk([&](Operation *op) { os << op->getName() << ','; });
  return key;
}

bool equivalent(func::FuncOp a, func::FuncOp b) {
  if (a.getFunctionType() != b.getFunctionType())
    return false;
  for (NamedAttribute attr : a->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName() &&
        b->getAttr(attr.getName()) != attr.getValue())
      return false;
  if (a->getAttrs().size() != b->getAttrs().size())
    return false;
  return OperationEquivalence::isRegionEquivalentTo(
      &a.getBody(), &b.getBody(), OperationEquivalence::IgnoreLocations);
}

/// Merges the functions with attribute `marker`; `calleeOf` names the
/// symbol a call of a function reaches (its launcher, or itself). Returns
/// the number of functions removed.
int mergeClass(ModuleOp module, StringRef marker,
               const std::function<std::string(func::FuncOp)> &calleeOf) {
  SmallVector<func::FuncOp> candidates;
  for (func::FuncOp function : module.getOps<func::FuncOp>())
    if (function->hasAttr(marker) && !function.isExternal())
      candidates.push_back(function);
  llvm::StringMap<SmallVector<func::FuncOp>> byKey;
  SmallVector<std::string> keyOf;
  for (func::FuncOp function : candidates) {
    keyOf.push_back(bucketKey(function));
    byKey[keyOf.back()].push_back(function);
  }

  llvm::StringMap<std::string> replacement; // callee symbol -> kept symbol
  SmallVector<func::FuncOp> removed;
  for (auto [function, key] : llvm::zip(candidates, keyOf)) {
    auto &bucket = byKey[key];
    if (bucket.front() == function)
      continue; // a representative (or alone)
    for (func::FuncOp kept : bucket) {
      if (kept == function)
        break;
      if (replacement.count(calleeOf(kept)) || !equivalent(kept, function))
        continue;
      replacement[calleeOf(function)] = calleeOf(kept);
      removed.push_back(function);
      break;
    }
  }
  if (removed.empty())
    return 0;
  module.walk([&](func::CallOp call) {
    auto found = replacement.find(call.getCallee());
    if (found != replacement.end())
      call.setCallee(found->second);
  });
  SymbolTable symbols(module);
  for (func::FuncOp function : removed) {
    std::string callee = calleeOf(function);
    if (callee != function.getName())
      if (Operation *launcher = symbols.lookup(callee))
        symbols.erase(launcher);
    symbols.erase(function);
  }
  return static_cast<int>(removed.size());
}

struct MergeIdenticalKernelsPass
    : dlc::impl::MergeIdenticalKernelsBase<MergeIdenticalKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    mergeClass(module, dlc::DlcDialect::ParallelLoopAttrHelper::getNameStr(),
               [](func::FuncOp function) {
                 return function.getName().str() + "_launch";
               });
    mergeClass(module, dlc::DlcDialect::KernelAttrHelper::getNameStr(),
               [](func::FuncOp function) { return function.getName().str(); });
  }
};

} // namespace
