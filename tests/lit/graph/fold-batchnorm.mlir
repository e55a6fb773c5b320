// RUN: dlc-opt %s -split-input-file -dlc-fold-batchnorm -canonicalize | FileCheck %s
// Per-channel scale and shift after a conv/matmul with constant weights move
// into the weights and one bias add.

// conv -> add(b) -> mul(s) -> add(t): W * s and b * s + t.
// CHECK-LABEL: func @conv_bias_bn
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[}}2.000000e+00{{\]\]\]}}, {{\[\[\[}}-3.000000e+00{{\]\]\]\]}}> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = dlc.constant dense<{{\[\[\[}}3.000000e+00{{\]\]}}, {{\[\[}}-5.000000e+00{{\]\]\]}}> : tensor<2x1x1xf32>
// CHECK: %[[C:.*]] = dlc.conv %arg0, %[[W]]
// CHECK-NEXT: %[[Y:.*]] = dlc.add %[[C]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @conv_bias_bn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = dlc.constant dense<1.0> : tensor<2x1x1x1xf32>
  %b = dlc.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %s = dlc.constant dense<[[[2.0]], [[-3.0]]]> : tensor<2x1x1xf32>
  %t = dlc.constant dense<[[[1.0]], [[1.0]]]> : tensor<2x1x1xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dlc.add %0, %b : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = dlc.mul %1, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = dlc.add %2, %t : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %3 : tensor<1x2x4x4xf32>
}

// -----

// A scale on the left and a scalar scale fold too.
// CHECK-LABEL: func @conv_scalar_scale
// CHECK: %[[W:.*]] = dlc.constant dense<5.000000e-01> : tensor<2x1x1x1xf32>
// CHECK: %[[C:.*]] = dlc.conv %arg0, %[[W]]
// CHECK-NEXT: return %[[C]]
func.func @conv_scalar_scale(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = dlc.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = dlc.constant dense<0.5> : tensor<f32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dlc.mul %s, %0 : (tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// A matmul's scale goes into the columns of its right operand.
// CHECK-LABEL: func @matmul_scale
// CHECK: %[[W:.*]] = dlc.constant dense<{{\[}}[2.000000e+00, 3.000000e+00], [2.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[M:.*]] = dlc.matmul %arg0, %[[W]]
// CHECK-NEXT: return %[[M]]
func.func @matmul_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = dlc.constant dense<1.0> : tensor<2x2xf32>
  %s = dlc.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %0 = dlc.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = dlc.mul %0, %s : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// Left alone: weights that are not constants, a conv with another user, and
// a scale that varies along a spatial axis.
// CHECK-LABEL: func @left_alone
// CHECK: %[[C0:.*]] = dlc.conv %arg0, %arg1
// CHECK: dlc.mul %[[C0]]
// CHECK: %[[C1:.*]] = dlc.conv %arg0, %[[W:.*]] {
// CHECK: dlc.mul %[[C1]]
// CHECK: %[[C2:.*]] = dlc.conv %arg0, %[[W]] {
// CHECK: dlc.mul %[[C2]]
func.func @left_alone(%x: tensor<1x1x4x4xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = dlc.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = dlc.constant dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>
  %spatial = dlc.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = dlc.conv %x, %wv {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dlc.mul %0, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %2 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = dlc.mul %2, %s : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %4 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %5 = dlc.mul %4, %spatial : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  return %1, %2, %3, %5 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
