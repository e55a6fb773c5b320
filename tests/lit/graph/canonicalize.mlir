// RUN: dlc-opt %s -split-input-file -canonicalize -cse | FileCheck %s
// Simplifications of the graph pipeline (canonicalize with the dlc folders,
// CSE): identities disappear, chains collapse, dead ops go.

// CHECK-LABEL: func @identities
// CHECK-NEXT: return %arg0
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %one = dlc.constant dense<1.0> : tensor<2x3xf32>
  %zero = dlc.constant dense<0.0> : tensor<3xf32>
  %0 = dlc.mul %x, %one : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = dlc.add %0, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = dlc.transpose %1 {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}

// -----

// Two transposes compose into one; inverse pairs vanish.
// CHECK-LABEL: func @transpose_chains
// CHECK-NEXT: %[[T:.*]] = dlc.transpose %arg0 {perm = array<i64: 2, 0, 1>}
// CHECK-NEXT: return %[[T]], %arg0
func.func @transpose_chains(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %0 = dlc.transpose %x {perm = array<i64: 1, 0, 2>} : (tensor<2x3x4xf32>) -> tensor<3x2x4xf32>
  %1 = dlc.transpose %0 {perm = array<i64: 2, 1, 0>} : (tensor<3x2x4xf32>) -> tensor<4x2x3xf32>
  %2 = dlc.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %3 = dlc.transpose %2 {perm = array<i64: 2, 0, 1>} : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  return %1, %3 : tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// Reshape chains collapse to one reshape.
// CHECK-LABEL: func @reshape_chain
// CHECK-NEXT: %[[R:.*]] = dlc.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = dlc.reshape %x : (tensor<2x3x4xf32>) -> tensor<24xf32>
  %1 = dlc.reshape %0 : (tensor<24xf32>) -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// CSE merges the same op on the same operands; unused ops are dropped.
// CHECK-LABEL: func @cse_and_dce
// CHECK-NEXT: %[[E:.*]] = dlc.exp %arg0
// CHECK-NEXT: %[[S:.*]] = dlc.add %[[E]], %[[E]]
// CHECK-NEXT: return %[[S]]
func.func @cse_and_dce(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dlc.exp %x : tensor<4xf32>
  %1 = dlc.exp %x : tensor<4xf32>
  %dead = dlc.tanh %x : tensor<4xf32>
  %2 = dlc.add %0, %1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Must stay: x * 1 where the constant broadcasts x to a larger shape, a real
// permutation, and x * 2.
// CHECK-LABEL: func @left_alone
// CHECK: dlc.mul %arg0, %{{.*}} : (tensor<3xf32>, tensor<2x3xf32>)
// CHECK: dlc.transpose %arg1 {perm = array<i64: 1, 0>}
// CHECK: dlc.mul %arg1
func.func @left_alone(%x: tensor<3xf32>, %y: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>) {
  %one = dlc.constant dense<1.0> : tensor<2x3xf32>
  %two = dlc.constant dense<2.0> : tensor<2x3xf32>
  %0 = dlc.mul %x, %one : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = dlc.transpose %y {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %2 = dlc.mul %y, %two : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>
}

// -----

// A batched matmul with a matrix on the right is one matrix product between
// two reshapes; with a batched right operand it stays.
// CHECK-LABEL: func @flatten_matmul
// CHECK: %[[FLAT:.*]] = dlc.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK: %[[PRODUCT:.*]] = dlc.matmul %[[FLAT]], %arg1 : (tensor<6x4xf32>, tensor<4x5xf32>) -> tensor<6x5xf32>
// CHECK: dlc.reshape %[[PRODUCT]] : (tensor<6x5xf32>) -> tensor<2x3x5xf32>
// CHECK: dlc.matmul %arg0, %arg2 : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
func.func @flatten_matmul(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<2x4x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x3x5xf32>) {
  %0 = dlc.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  %1 = dlc.matmul %a, %c : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %0, %1 : tensor<2x3x5xf32>, tensor<2x3x5xf32>
}
