// RUN: rm -rf %t && dlc compile %S/Inputs/softmax_opset11.onnx -O0 --emit=graph -o %t
// RUN: dlc compile %S/Inputs/softmax_opset13.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=OPSET11 < %t/softmax_opset11.graph.mlir
// RUN: FileCheck %s --check-prefix=OPSET13 < %t/softmax_opset13.graph.mlir
// Before opset 13 Softmax works on the input flattened to 2-d at `axis`
// (default 1); from 13 on it is along one axis (default -1).

// OPSET11: %[[F:.*]] = dlc.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
// OPSET11: %[[S:.*]] = dlc.softmax %[[F]] {axis = 1 : i64} : tensor<2x12xf32>
// OPSET11: dlc.reshape %[[S]] : (tensor<2x12xf32>) -> tensor<2x3x4xf32>

// OPSET13-NOT: dlc.reshape
// OPSET13: dlc.softmax %arg0 {axis = 2 : i64} : tensor<2x3x4xf32>
