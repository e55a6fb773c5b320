// RUN: dlc-opt %s -split-input-file -dlc-sink-reshapes | FileCheck %s
// Elementwise ops after a reshape that adds leading dims to a matmul's
// result (keeping the last dim) move above it, onto the 2-d rows, so that
// they can join the matmul's fusion group.

// The bias add (along the last dim), the activation and the residual add
// (of the reshaped shape: reshaped too) move; one reshape is left, after
// them.
// CHECK-LABEL: func @ffn
// CHECK: %[[M:.*]] = dlc.matmul %arg0, %{{.*}} : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
// CHECK: %[[B:.*]] = dlc.add %[[M]], %{{.*}} : (tensor<128x32xf32>, tensor<32xf32>) -> tensor<128x32xf32>
// CHECK: %[[E:.*]] = dlc.erf %[[B]] : tensor<128x32xf32>
// CHECK: %[[R:.*]] = dlc.reshape %arg1 : (tensor<1x128x32xf32>) -> tensor<128x32xf32>
// CHECK: %[[S:.*]] = dlc.add %[[E]], %[[R]] : (tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<128x32xf32>
// CHECK: %[[Y:.*]] = dlc.reshape %[[S]] : (tensor<128x32xf32>) -> tensor<1x128x32xf32>
// CHECK-NOT: dlc.reshape
// CHECK: return %[[Y]]
func.func @ffn(%x: tensor<128x64xf32>, %residual: tensor<1x128x32xf32>) -> tensor<1x128x32xf32> {
  %w = dlc.constant dense<0.5> : tensor<64x32xf32>
  %b = dlc.constant dense<0.25> : tensor<32xf32>
  %0 = dlc.matmul %x, %w : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
  %1 = dlc.reshape %0 : (tensor<128x32xf32>) -> tensor<1x128x32xf32>
  %2 = dlc.add %1, %b : (tensor<1x128x32xf32>, tensor<32xf32>) -> tensor<1x128x32xf32>
  %3 = dlc.erf %2 : tensor<1x128x32xf32>
  %4 = dlc.add %3, %residual : (tensor<1x128x32xf32>, tensor<1x128x32xf32>) -> tensor<1x128x32xf32>
  return %4 : tensor<1x128x32xf32>
}

// -----

// A [1, 1, 32] operand broadcasts along the last dim only: it becomes [32].
// CHECK-LABEL: func @leading_ones
// CHECK: %[[C:.*]] = dlc.reshape %arg1 : (tensor<1x1x32xf32>) -> tensor<32xf32>
// CHECK: dlc.mul %{{.*}}, %[[C]] : (tensor<128x32xf32>, tensor<32xf32>) -> tensor<128x32xf32>
func.func @leading_ones(%x: tensor<128x64xf32>, %c: tensor<1x1x32xf32>) -> tensor<1x128x32xf32> {
  %w = dlc.constant dense<0.5> : tensor<64x32xf32>
  %0 = dlc.matmul %x, %w : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
  %1 = dlc.reshape %0 : (tensor<128x32xf32>) -> tensor<1x128x32xf32>
  %2 = dlc.mul %1, %c : (tensor<1x128x32xf32>, tensor<1x1x32xf32>) -> tensor<1x128x32xf32>
  return %2 : tensor<1x128x32xf32>
}

// -----

// Left alone: an operand that varies along the rows ([1, 128, 1]), a
// reshape that changes the last dim, a reshape to fewer dims, a reshape of
// an input (not a matmul's or elementwise op's result).
// CHECK-LABEL: func @left_alone
// CHECK: %[[M:.*]] = dlc.matmul
// CHECK: %[[R:.*]] = dlc.reshape %[[M]] : (tensor<128x32xf32>) -> tensor<1x128x32xf32>
// CHECK: dlc.add %[[R]], %arg1 : (tensor<1x128x32xf32>, tensor<1x128x1xf32>)
// CHECK: %[[H:.*]] = dlc.reshape %[[M]] : (tensor<128x32xf32>) -> tensor<128x4x8xf32>
// CHECK: dlc.neg %[[H]] : tensor<128x4x8xf32>
// CHECK: %[[F:.*]] = dlc.reshape %arg2 : (tensor<2x64x32xf32>) -> tensor<128x32xf32>
// CHECK: dlc.neg %[[F]] : tensor<128x32xf32>
// CHECK: %[[I:.*]] = dlc.reshape %arg0 : (tensor<128x64xf32>) -> tensor<1x128x64xf32>
// CHECK: dlc.neg %[[I]] : tensor<1x128x64xf32>
func.func @left_alone(%x: tensor<128x64xf32>, %rows: tensor<1x128x1xf32>, %y: tensor<2x64x32xf32>) -> (tensor<1x128x32xf32>, tensor<128x4x8xf32>, tensor<128x32xf32>, tensor<1x128x64xf32>) {
  %w = dlc.constant dense<0.5> : tensor<64x32xf32>
  %0 = dlc.matmul %x, %w : (tensor<128x64xf32>, tensor<64x32xf32>) -> tensor<128x32xf32>
  %1 = dlc.reshape %0 : (tensor<128x32xf32>) -> tensor<1x128x32xf32>
  %2 = dlc.add %1, %rows : (tensor<1x128x32xf32>, tensor<1x128x1xf32>) -> tensor<1x128x32xf32>
  %3 = dlc.reshape %0 : (tensor<128x32xf32>) -> tensor<128x4x8xf32>
  %4 = dlc.neg %3 : tensor<128x4x8xf32>
  %5 = dlc.reshape %y : (tensor<2x64x32xf32>) -> tensor<128x32xf32>
  %6 = dlc.neg %5 : tensor<128x32xf32>
  %7 = dlc.reshape %x : (tensor<128x64xf32>) -> tensor<1x128x64xf32>
  %8 = dlc.neg %7 : tensor<1x128x64xf32>
  return %2, %4, %6, %8 : tensor<1x128x32xf32>, tensor<128x4x8xf32>, tensor<128x32xf32>, tensor<1x128x64xf32>
}
