// RUN: rm -rf %t && dlc compile %S/Inputs/matmul_integer_bytes.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s < %t/matmul_integer_bytes.graph.mlir
// MatMulInteger (uint8 [2, 5, 64] x int8 [64, 3], no b_zero_point): one
// dlc.matmul_integer on the 10 rows (the 8-bit micro-kernel's op), the
// uint8 side marked lhs_unsigned; a_zero_point (128) costs one correction,
// 128 * colsum(b) = 128 * 64 per column, exact in int32, subtracted from the
// rows' product before the reshape (so that it fuses into the product).

// CHECK-LABEL: func.func @matmul_integer_bytes
// CHECK:      %[[B:.*]] = dlc.constant dense<1> : tensor<64x3xi8>
// CHECK:      %[[R:.*]] = dlc.reshape %arg0 : (tensor<2x5x64xi8>) -> tensor<10x64xi8>
// CHECK-NEXT: %[[P:.*]] = dlc.matmul_integer %[[R]], %[[B]] {lhs_unsigned} : (tensor<10x64xi8>, tensor<64x3xi8>) -> tensor<10x3xi32>
// CHECK:      %[[Z:.*]] = dlc.and
// CHECK:      %[[SUMS:.*]] = dlc.constant dense<64> : tensor<1x3xi32>
// CHECK:      %[[C:.*]] = dlc.mul %[[Z]], %[[SUMS]]
// CHECK-NEXT: %[[D:.*]] = dlc.sub %[[P]], %[[C]] : (tensor<10x3xi32>, tensor<1x3xi32>) -> tensor<10x3xi32>
// CHECK-NEXT: %[[Y:.*]] = dlc.reshape %[[D]] : (tensor<10x3xi32>) -> tensor<2x5x3xi32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT:  dlc.matmul %
