// RUN: rm -rf %t && dlc compile %S/Inputs/gemm.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s < %t/gemm.graph.mlir
// Gemm(transB=1, alpha=0.5) with C: transpose, matmul, scale, bias add.
// Inputs and outputs keep their ONNX names.

// CHECK: func.func @gemm(%arg0: tensor<2x3xf32> {dlc.name = "a"}, %arg1: tensor<4x3xf32> {dlc.name = "b"}, %arg2: tensor<4xf32> {dlc.name = "c"}) -> (tensor<2x4xf32> {dlc.name = "y"})
// CHECK: %[[T:.*]] = dlc.transpose %arg1 {perm = array<i64: 1, 0>}
// CHECK: %[[M:.*]] = dlc.matmul %arg0, %[[T]]
// CHECK: %[[ALPHA:.*]] = dlc.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = dlc.mul %[[M]], %[[ALPHA]]
// CHECK: %[[Y:.*]] = dlc.add %[[S]], %arg2
// CHECK: return %[[Y]]
