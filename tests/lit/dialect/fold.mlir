// RUN: dlc-opt %s -split-input-file -canonicalize | FileCheck %s
// The dlc folders: x + 0, x * 1, reshape chains, constant reshapes; and what
// they must leave alone.

// CHECK-LABEL: func @add_zero
// CHECK-NOT: dlc.add
// CHECK: return %arg0
func.func @add_zero(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = dlc.constant dense<0.0> : tensor<3xf32>
  %0 = dlc.add %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// The zero broadcasts x to a bigger shape: the add stays.
// CHECK-LABEL: func @add_zero_broadcasting
// CHECK: dlc.add
func.func @add_zero_broadcasting(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %zero = dlc.constant dense<0.0> : tensor<2x3xf32>
  %0 = dlc.add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @mul_one
// CHECK-NOT: dlc.mul
// CHECK: return %arg0
func.func @mul_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = dlc.constant dense<1.0> : tensor<4xf32>
  %0 = dlc.mul %one, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @mul_two
// CHECK: dlc.mul
func.func @mul_two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = dlc.constant dense<2.0> : tensor<4xf32>
  %0 = dlc.mul %x, %two : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @reshape_chain
// CHECK: %[[R:.*]] = dlc.reshape %arg0 : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = dlc.reshape %x : (tensor<2x3xf32>) -> tensor<6xf32>
  %1 = dlc.reshape %0 : (tensor<6xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func @reshape_constant
// CHECK: dlc.constant dense<{{\[}}[1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>
// CHECK-NOT: dlc.reshape
func.func @reshape_constant() -> tensor<1x2xf32> {
  %c = dlc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = dlc.reshape %c : (tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
