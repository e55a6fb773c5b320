// RUN: dlc-opt %s -split-input-file -dlc-shape-inference -verify-diagnostics | FileCheck %s
// Dynamic sizes are refined from the inputs; contradictions are errors.

// Broadcasting and unary ops take the inferred shape; the function's result
// type follows.
// CHECK-LABEL: func @broadcast(%arg0: tensor<2x3xf32>, %arg1: tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: dlc.add %arg0, %arg1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: dlc.relu %{{.*}} : tensor<2x3xf32>
func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %1 = dlc.relu %0 : tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A reshape's one dynamic dimension is what the element count leaves (-1).
// CHECK-LABEL: func @reshape_minus_one
// CHECK: dlc.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
func.func @reshape_minus_one(%a: tensor<2x3x4xf32>) -> tensor<?x4xf32> {
  %0 = dlc.reshape %a : (tensor<2x3x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Conv, transpose and concat propagate through a chain.
// CHECK-LABEL: func @chain
// CHECK: dlc.conv {{.*}} -> tensor<1x4x6x6xf32>
// CHECK: dlc.transpose {{.*}} -> tensor<1x6x6x4xf32>
// CHECK: dlc.concat {{.*}} -> tensor<1x6x6x8xf32>
func.func @chain(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x?x?x?xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x?x?xf32>
  %1 = dlc.transpose %0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x?x?xf32>) -> tensor<?x?x?x?xf32>
  %2 = dlc.concat %1, %1 {axis = 3} : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %2 : tensor<?x?x?x?xf32>
}

// -----

// Gather puts the indices' shape in place of the axis; slice counts the
// stepped indices below the (clamped) end.
// CHECK-LABEL: func @gather_slice
// CHECK: dlc.gather {{.*}} -> tensor<3x2x2x5xf32>
// CHECK: dlc.slice {{.*}} -> tensor<3x1x2x2xf32>
func.func @gather_slice(%x: tensor<3x4x5xf32>, %i: tensor<2x2xi64>) -> tensor<?x?x?x?xf32> {
  %0 = dlc.gather %x, %i {axis = 1} : (tensor<3x4x5xf32>, tensor<2x2xi64>) -> tensor<?x?x?x?xf32>
  %1 = dlc.slice %0 {starts = array<i64: 0, 1, 0, 1>, ends = array<i64: 3, 2, 9, 5>, steps = array<i64: 1, 1, 1, 2>} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %1 : tensor<?x?x?x?xf32>
}

// -----

// Inside a fused group, block arguments take their inputs' types.
// CHECK-LABEL: func @fused_group
// CHECK: dlc.fused %arg0 : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: ^bb0(%{{.*}}: tensor<4xf32>):
// CHECK: dlc.exp %{{.*}} : tensor<4xf32>
func.func @fused_group(%a: tensor<4xf32>) -> tensor<?xf32> {
  %0 = dlc.fused %a : (tensor<4xf32>) -> tensor<?xf32> {
  ^bb0(%x: tensor<?xf32>):
    %1 = dlc.exp %x : tensor<?xf32>
    dlc.yield %1 : tensor<?xf32>
  }
  return %0 : tensor<?xf32>
}

// -----

// Already static IR is left as it is.
// CHECK-LABEL: func @static_untouched
// CHECK-NEXT: dlc.matmul %arg0, %arg1 : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
// CHECK-NEXT: return
func.func @static_untouched(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x5xf32> {
  %0 = dlc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// A reshape whose known sizes cannot divide the input is an error.
func.func @reshape_contradiction(%a: tensor<2x3xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{cannot reshape [2,3] to [?,4]}}
  %0 = dlc.reshape %a : (tensor<2x3xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A dynamic input leaves dynamic values: lowering could not run.
func.func @still_dynamic(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{is still dynamic: give the inputs static shapes}}
  %0 = dlc.relu %a : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// Shapes whose element count overflows are refused, not wrapped around.
func.func @too_many_elements(%a: tensor<1xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{result of shape [4294967296,4294967296] holds more than 2^48 elements}}
  %s = dlc.constant dense<true> : tensor<4294967296x4294967296xi1>
  %0 = dlc.select %s, %a, %a : (tensor<4294967296x4294967296xi1>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
