// RUN: dlc-opt %s -split-input-file -verify-diagnostics -dlc-check-batch-separable | FileCheck %s
// The samples of a symbolic batch (dim 0 of the arguments marked
// dlc.batch_symbol, here imported at batch 2) must stay apart through every
// op; results that hold them are marked, the ops are left as they are.

// A CNN head: conv, bias, pool, global mean, flatten (a reshape that keeps
// the samples' blocks), a matmul over rows and a softmax over classes.
// The result holds the samples; the weight-only result does not.
// CHECK-LABEL: func @cnn
// CHECK-SAME: -> (tensor<2x10xf32> {dlc.batch_symbol = "batch"}, tensor<10xf32>)
// CHECK: dlc.conv
// CHECK: dlc.softmax
func.func @cnn(%x: tensor<2x3x8x8xf32> {dlc.batch_symbol = "batch"}) -> (tensor<2x10xf32>, tensor<10xf32>) {
  %w = dlc.constant dense<0.5> : tensor<4x3x3x3xf32>
  %b = dlc.constant dense<0.25> : tensor<1x4x1x1xf32>
  %fc = dlc.constant dense<0.125> : tensor<4x10xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x8x8xf32>
  %1 = dlc.add %0, %b : (tensor<2x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<2x4x8x8xf32>
  %2 = dlc.max_pool %1 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<2x4x8x8xf32>) -> tensor<2x4x4x4xf32>
  %3 = dlc.reduce_mean %2 {axes = array<i64: 2, 3>, keepdims = true} : (tensor<2x4x4x4xf32>) -> tensor<2x4x1x1xf32>
  %4 = dlc.reshape %3 : (tensor<2x4x1x1xf32>) -> tensor<2x4xf32>
  %5 = dlc.matmul %4, %fc : (tensor<2x4xf32>, tensor<4x10xf32>) -> tensor<2x10xf32>
  %6 = dlc.softmax %5 {axis = 1} : tensor<2x10xf32>
  %7 = dlc.reduce_sum %fc {axes = array<i64: 0>, keepdims = false} : (tensor<4x10xf32>) -> tensor<10xf32>
  return %6, %7 : tensor<2x10xf32>, tensor<10xf32>
}

// -----

// Rows of a [batch, seq, hidden] activation: the matmul's reshape merges
// the sequence into the batch dim (factor 4), the reshape back splits it;
// the transpose moves the samples to dim 1 and back. Accepted.
// CHECK-LABEL: func @rows
// CHECK-SAME: {dlc.batch_symbol = "batch"}
func.func @rows(%x: tensor<2x4x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x4x6xf32> {
  %w = dlc.constant dense<0.5> : tensor<8x6xf32>
  %0 = dlc.reshape %x : (tensor<2x4x8xf32>) -> tensor<8x8xf32>
  %1 = dlc.matmul %0, %w : (tensor<8x8xf32>, tensor<8x6xf32>) -> tensor<8x6xf32>
  %2 = dlc.reshape %1 : (tensor<8x6xf32>) -> tensor<2x4x6xf32>
  %3 = dlc.transpose %2 {perm = array<i64: 1, 0, 2>} : (tensor<2x4x6xf32>) -> tensor<4x2x6xf32>
  %4 = dlc.transpose %3 {perm = array<i64: 1, 0, 2>} : (tensor<4x2x6xf32>) -> tensor<2x4x6xf32>
  return %4 : tensor<2x4x6xf32>
}

// -----

// Attention: both operands of the batched matmul hold the samples in
// dim 0; the softmax runs along the keys.
// CHECK-LABEL: func @attention
// CHECK-SAME: -> (tensor<2x4x3x3xf32> {dlc.batch_symbol = "batch"})
func.func @attention(%q: tensor<2x4x3x8xf32> {dlc.batch_symbol = "batch"}, %k: tensor<2x4x8x3xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x4x3x3xf32> {
  %0 = dlc.matmul %q, %k : (tensor<2x4x3x8xf32>, tensor<2x4x8x3xf32>) -> tensor<2x4x3x3xf32>
  %1 = dlc.softmax %0 {axis = 3} : tensor<2x4x3x3xf32>
  return %1 : tensor<2x4x3x3xf32>
}

// -----

// A reduction over the batch mixes the samples.
func.func @batch_sum(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<8xf32> {
  // expected-error @+1 {{'dlc.reduce_sum' reduces over the batch}}
  %0 = dlc.reduce_sum %x {axes = array<i64: 0>, keepdims = false} : (tensor<2x8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A constant of the batch's size (a ConstantOfShape folded at import)
// differs per sample position.
func.func @per_position(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x8xf32> {
  %c = dlc.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  // expected-error @+1 {{'dlc.mul' combines the samples with a value that is not the same for each of them}}
  %0 = dlc.mul %x, %c : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Flattening the batch with the features: the samples become one row.
func.func @flatten_all(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<16xf32> {
  %0 = dlc.reshape %x : (tensor<2x8xf32>) -> tensor<1x16xf32>
  %1 = dlc.reshape %0 : (tensor<1x16xf32>) -> tensor<16xf32>
  // expected-error @+1 {{result 0 holds the samples in dim 0 (merged with other dims), not in its dim 0 alone}}
  return %1 : tensor<16xf32>
}

// -----

// A reshape of [2, 8] to [8, 2] keeps the samples apart (rows 0-3 and
// 4-7: factor 4); one that flattens a transposed value, where the sample
// index is the inner part of the flat index, is not modelled.
// CHECK-LABEL: func @regroup
// CHECK-SAME: -> (tensor<2x8xf32> {dlc.batch_symbol = "batch"})
func.func @regroup(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x8xf32> {
  %0 = dlc.reshape %x : (tensor<2x8xf32>) -> tensor<8x2xf32>
  %1 = dlc.reshape %0 : (tensor<8x2xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// -----

func.func @inner_batch(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<16xf32> {
  %0 = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x8xf32>) -> tensor<8x2xf32>
  // expected-error @+1 {{'dlc.reshape' reshapes the batch together with the dims before it}}
  %1 = dlc.reshape %0 : (tensor<8x2xf32>) -> tensor<16xf32>
  return %1 : tensor<16xf32>
}

// -----

// Slices and concats along the batch.
func.func @first_sample(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<1x8xf32> {
  // expected-error @+1 {{'dlc.slice' slices the batch}}
  %0 = dlc.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 1, 8>, steps = array<i64: 1, 1>} : (tensor<2x8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// CHECK-LABEL: func @slice_features
// CHECK-SAME: {dlc.batch_symbol = "batch"}
func.func @slice_features(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x4xf32> {
  %0 = dlc.slice %x {starts = array<i64: 0, 2>, ends = array<i64: 2, 6>, steps = array<i64: 1, 1>} : (tensor<2x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @stack(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<4x8xf32> {
  // expected-error @+1 {{'dlc.concat' joins along the batch}}
  %0 = dlc.concat %x, %x {axis = 0} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A softmax over the batch, and a matmul whose rhs holds the samples in
// the summed dim.
func.func @softmax_batch(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<2x8xf32> {
  // expected-error @+1 {{'dlc.softmax' normalizes over the batch}}
  %0 = dlc.softmax %x {axis = 0} : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @gram(%x: tensor<2x8xf32> {dlc.batch_symbol = "batch"}) -> tensor<8x8xf32> {
  %t = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x8xf32>) -> tensor<8x2xf32>
  // expected-error @+1 {{'dlc.matmul' sums over the batch}}
  %0 = dlc.matmul %t, %x : (tensor<8x2xf32>, tensor<2x8xf32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// Embedding lookup: the indices hold the samples, the table does not.
// CHECK-LABEL: func @embedding
// CHECK-SAME: {dlc.batch_symbol = "batch"}
func.func @embedding(%ids: tensor<2x5xi64> {dlc.batch_symbol = "batch"}) -> tensor<2x5x3xf32> {
  %table = dlc.constant dense<0.5> : tensor<7x3xf32>
  %0 = dlc.gather %table, %ids {axis = 0} : (tensor<7x3xf32>, tensor<2x5xi64>) -> tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----

// Without marked arguments the pass does nothing.
// CHECK-LABEL: func @static
// CHECK-NOT: dlc.batch_symbol
func.func @static(%x: tensor<2x8xf32>) -> tensor<8xf32> {
  %0 = dlc.reduce_sum %x {axes = array<i64: 0>, keepdims = false} : (tensor<2x8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
