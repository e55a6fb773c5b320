// RUN: dlc-opt %s -split-input-file -verify-diagnostics
// Shapes that contradict an op are errors at the op, never crashes.

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{operand shapes [2,3] and [4] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3x3xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{contraction dimensions differ: [2,3] x [4,5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{do not agree on channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_pads(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{expected 2 strides, 2 dilations and 4 pads, got 2, 2 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{cannot reshape [2,3] (6 elements) to [7] (7 elements)}}
  %0 = dlc.reshape %x : (tensor<2x3xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{perm is not a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @concat_shapes(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{input shapes [2,3] and [2,4] differ outside axis 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.concat %a, %b {axis = 0} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = dlc.softmax %x {axis = 2} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{axis 5 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.reduce_sum %x {axes = array<i64: 5>, keepdims = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @constant_type(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{failed to verify that all of {value, result} have same type}}
  %0 = "dlc.constant"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @fused_wrong_yield(%a: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{yields 'tensor<4xf32>' but returns 'tensor<3xf32>'}}
  %0 = dlc.fused %a : (tensor<4xf32>) -> tensor<3xf32> {
  ^bb0(%x: tensor<4xf32>):
    dlc.yield %x : tensor<4xf32>
  }
  return %0 : tensor<3xf32>
}

// -----

func.func @fused_argument_count(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has 1 inputs but 2 block arguments}}
  %0 = dlc.fused %a : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: tensor<4xf32>, %y: tensor<4xf32>):
    dlc.yield %x : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @fused_captures(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = dlc.fused : () -> tensor<4xf32> {
    // expected-error @+1 {{using value defined outside the region}}
    dlc.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @to_blocked_indivisible(%a: tensor<1x6x2x2xf32>) -> tensor<1x1x2x2x4xf32> {
  // expected-error @+2 {{block 4 does not divide 6 channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.to_blocked %a {block = 4} : (tensor<1x6x2x2xf32>) -> tensor<1x1x2x2x4xf32>
  return %0 : tensor<1x1x2x2x4xf32>
}

// -----

func.func @conv_blocked_mismatch(%x: tensor<1x2x4x4x4xf32>, %w: tensor<2x3x1x1x4x4xf32>) -> tensor<1x2x4x4x4xf32> {
  // expected-error @+2 {{do not agree on channel blocks}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.conv_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4x4xf32>, tensor<2x3x1x1x4x4xf32>) -> tensor<1x2x4x4x4xf32>
  return %0 : tensor<1x2x4x4x4xf32>
}

// -----

func.func @select_float_condition(%c: tensor<3xf32>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{condition must be a tensor of i1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.select %c, %a, %a : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @cast_reshapes(%a: tensor<3xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{changes the shape}}
  %0 = dlc.cast %a : tensor<3xf32> to tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @gather_nd_too_many_coordinates(%a: tensor<2x3xf32>, %i: tensor<4x3xi64>) -> tensor<4xf32> {
  // expected-error @+2 {{do not fit input rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.gather_nd %a, %i {batch_dims = 0 : i64} : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scatter_elements_shapes_differ(%a: tensor<2x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x2xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{indices [2,1] and updates [2,2] must have one shape of the data's rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.scatter_elements %a, %i, %u {axis = 0 : i64, reduction = "none"} : (tensor<2x3xf32>, tensor<2x1xi64>, tensor<2x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @scatter_unknown_reduction(%a: tensor<2x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x1xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{unknown reduction 'sub' (none, add, mul, max or min)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.scatter_elements %a, %i, %u {axis = 0 : i64, reduction = "sub"} : (tensor<2x3xf32>, tensor<2x1xi64>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @scatter_nd_updates_shape(%a: tensor<4x5xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x5xf32> {
  // expected-error @+2 {{updates have shape [2,4]; expected [2,5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.scatter_nd %a, %i, %u {reduction = "none"} : (tensor<4x5xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @top_k_too_many(%a: tensor<2x3xf32>) -> tensor<2x4xi64> {
  // expected-error @+2 {{k = 4 is out of range for 3 elements along axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.top_k %a {axis = -1 : i64, k = 4 : i64, largest = true} : (tensor<2x3xf32>) -> tensor<2x4xi64>
  return %0 : tensor<2x4xi64>
}

// -----

func.func @bitcast_widens(%a: tensor<3xf32>) -> tensor<3xi64> {
  // expected-error @+1 {{needs element types of one bit width}}
  %0 = dlc.bitcast %a : tensor<3xf32> to tensor<3xi64>
  return %0 : tensor<3xi64>
}

// -----

// A window of size zero (it once segfaulted in tiling).
func.func @pool_empty_kernel(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32> {
  // expected-error @+2 {{kernel_shape [0,0] must hold sizes from 1 to 2^30}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.max_pool %x {kernel_shape = array<i64: 0, 0>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

// Pads near INT64_MAX would overflow the window arithmetic.
func.func @conv_huge_pads(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+2 {{strides, dilations and pads must be at most 2^30}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 4611686018427387904, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
