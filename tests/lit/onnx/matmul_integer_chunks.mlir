// RUN: rm -rf %t && dlc compile %S/Inputs/matmul_integer_chunks.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s < %t/matmul_integer_chunks.graph.mlir
// MatMulInteger (uint8 [2, 512] x int8 [512, 3], b_zero_point 1: not the
// 8-bit micro-kernel, see matmul_integer_bytes.mlir) in f32, exactly: K splits
// into two chunks of 256, whose sums of 8-bit products stay below 2^24; one
// f32 matmul per chunk, each cast to int32, added in int32.

// CHECK-LABEL: func.func @matmul_integer_chunks
// CHECK:      %[[A:.*]] = dlc.sub %{{.*}}, %{{.*}} : (tensor<2x512xi32>, tensor<i32>) -> tensor<2x512xi32>
// CHECK:      %[[AF:.*]] = dlc.cast %[[A]] : tensor<2x512xi32> to tensor<2x512xf32>
// CHECK:      %[[BF:.*]] = dlc.cast %{{.*}} : tensor<512x3xi32> to tensor<512x3xf32>
// CHECK-NEXT: %[[A0:.*]] = dlc.slice %[[AF]] {ends = array<i64: 2, 256>, starts = array<i64: 0, 0>
// CHECK-NEXT: %[[B0:.*]] = dlc.slice %[[BF]] {ends = array<i64: 256, 3>, starts = array<i64: 0, 0>
// CHECK-NEXT: %[[P0:.*]] = dlc.matmul %[[A0]], %[[B0]] : (tensor<2x256xf32>, tensor<256x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[I0:.*]] = dlc.cast %[[P0]] : tensor<2x3xf32> to tensor<2x3xi32>
// CHECK-NEXT: %[[A1:.*]] = dlc.slice %[[AF]] {ends = array<i64: 2, 512>, starts = array<i64: 0, 256>
// CHECK-NEXT: %[[B1:.*]] = dlc.slice %[[BF]] {ends = array<i64: 512, 3>, starts = array<i64: 256, 0>
// CHECK-NEXT: %[[P1:.*]] = dlc.matmul %[[A1]], %[[B1]]
// CHECK-NEXT: %[[I1:.*]] = dlc.cast %[[P1]] : tensor<2x3xf32> to tensor<2x3xi32>
// CHECK-NEXT: %[[Y:.*]] = dlc.add %[[I0]], %[[I1]] : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
// CHECK-NEXT: return %[[Y]]
