// RUN: rm -rf %t
// RUN: not dlc compile %S/Inputs/unsupported.onnx -o %t 2>&1 | FileCheck %s --check-prefix=NOTSUPPORTED
// RUN: not dlc compile %S/Inputs/bad_shapes.onnx -o %t 2>&1 | FileCheck %s --check-prefix=SHAPES
// RUN: not ls %t
// Every unsupported node is listed in one message (name, op, opset); a shape
// contradiction names its node. Nothing is written.

// NOTSUPPORTED: dlc: error: 2 node(s) use ops dlc does not support:
// NOTSUPPORTED-NEXT: node 'normalize_text': StringNormalizer, opset 13
// NOTSUPPORTED-NEXT: node 'ngrams': TfIdfVectorizer, opset 13
// NOTSUPPORTED-NOT: ok_relu

// SHAPES: dlc: error: node 'mismatched_add': operand shapes [2,3] and [4] do not broadcast
