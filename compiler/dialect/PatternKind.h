//===- PatternKind.h - How an op may fuse with its neighbours ---*- C++ -*-===//
//
// The op-pattern kinds of TVM's operator fusion. Every dlc op declares one
// through PatternKindInterface; the fusion pass reads only that.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DIALECT_PATTERNKIND_H
#define DLC_COMPILER_DIALECT_PATTERNKIND_H

#include "llvm/ADT/StringRef.h"

namespace dlc {

// Ordered as in TVM: a group's kind is the maximum of its members'.
enum class PatternKind {
  Elementwise = 0,     // one output element from the same input element
  Broadcast = 1,       // elementwise with numpy broadcasting of inputs
  Injective = 2,       // each output element from one input element
  Reduction = 3,       // commutative reduction over some axes
  OutEWiseFusable = 4, // conv/matmul/pool: absorbs elementwise ops after it
  Opaque = 8,          // fuses with nothing
};

inline llvm::StringRef stringifyPatternKind(PatternKind kind) {
  switch (kind) {
  case PatternKind::Elementwise:
    return "elementwise";
  case PatternKind::Broadcast:
    return "broadcast";
  case PatternKind::Injective:
    return "injective";
  case PatternKind::Reduction:
    return "reduction";
  case PatternKind::OutEWiseFusable:
    return "out-elementwise-fusable";
  case PatternKind::Opaque:
    return "opaque";
  }
  return "unknown";
}

} // namespace dlc

#endif // DLC_COMPILER_DIALECT_PATTERNKIND_H
