// RUN: dlc-opt %s -split-input-file -dlc-fuse-ops | FileCheck %s
// Grouping by op-pattern kind.

// A conv absorbs the broadcast bias add and the relu after it.
// CHECK-LABEL: func @conv_epilogue
// CHECK: %[[G:.*]] = dlc.fused %arg0, %arg1, %arg2 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4x1x1xf32>):
// CHECK-NEXT: %[[C:.*]] = dlc.conv %[[X]], %[[W]]
// CHECK-NEXT: %[[A:.*]] = dlc.add %[[C]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = dlc.relu %[[A]]
// CHECK-NEXT: dlc.yield %[[R]]
// CHECK: return %[[G]]
func.func @conv_epilogue(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = dlc.add %0, %b : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %2 = dlc.relu %1 : tensor<1x4x6x6xf32>
  return %2 : tensor<1x4x6x6xf32>
}

// -----

// Two convs never share a group; the residual add joins the second conv
// (its only user), and the first conv's output enters as an input.
// CHECK-LABEL: func @two_convs
// CHECK: %[[G0:.*]] = dlc.fused %arg0, %arg1
// CHECK: dlc.conv
// CHECK: dlc.relu
// CHECK: dlc.yield
// CHECK: %[[G1:.*]] = dlc.fused %[[G0]], %arg1
// CHECK: dlc.conv
// CHECK: dlc.add
// CHECK: dlc.relu
// CHECK: dlc.yield
// CHECK: return %[[G1]]
func.func @two_convs(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = dlc.relu %0 : tensor<1x2x4x4xf32>
  %2 = dlc.conv %1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = dlc.add %2, %1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %4 = dlc.relu %3 : tensor<1x2x4x4xf32>
  return %4 : tensor<1x2x4x4xf32>
}

// -----

// Elementwise ops fuse with each other.
// CHECK-LABEL: func @elementwise_chain
// CHECK: dlc.fused %arg0, %arg1
// CHECK-NEXT: ^bb0
// CHECK-NEXT: dlc.sub
// CHECK-NEXT: dlc.exp
// CHECK-NEXT: dlc.mul
// CHECK-NEXT: dlc.yield
func.func @elementwise_chain(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %0 = dlc.sub %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = dlc.exp %0 : tensor<8xf32>
  %2 = dlc.mul %1, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %2 : tensor<8xf32>
}

// -----

// A reduction ends its group: the exp after it starts a new one (alone, so
// no dlc.fused); softmax is opaque and stands alone.
// CHECK-LABEL: func @reduction_ends_group
// CHECK-NOT: dlc.fused
// CHECK: dlc.reduce_sum
// CHECK: dlc.exp
// CHECK: dlc.softmax
func.func @reduction_ends_group(%a: tensor<4x8xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %0 = dlc.reduce_sum %a {axes = array<i64: 1>, keepdims = false} : (tensor<4x8xf32>) -> tensor<4xf32>
  %1 = dlc.exp %0 : tensor<4xf32>
  %2 = dlc.softmax %a {axis = 1} : tensor<4x8xf32>
  return %1, %2 : tensor<4xf32>, tensor<4x8xf32>
}

// -----

// A value with two users is not absorbed: the matmul's result stays the
// group's output and both elementwise users stand alone.
// CHECK-LABEL: func @two_users
// CHECK-NOT: dlc.fused
// CHECK: dlc.matmul
// CHECK: dlc.relu
// CHECK: dlc.tanh
func.func @two_users(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = dlc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = dlc.relu %0 : tensor<2x4xf32>
  %2 = dlc.tanh %0 : tensor<2x4xf32>
  return %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A broadcast that grows the value (so a second iteration space) is not
// absorbed.
// CHECK-LABEL: func @growing_broadcast
// CHECK-NOT: dlc.fused
func.func @growing_broadcast(%a: tensor<2x3xf32>, %b: tensor<3x1xf32>, %c: tensor<4x2x3xf32>) -> tensor<4x2x3xf32> {
  %0 = dlc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x1xf32>) -> tensor<2x1xf32>
  %1 = dlc.add %0, %c : (tensor<2x1xf32>, tensor<4x2x3xf32>) -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// Injective ops fuse with each other, not with elementwise ops.
// CHECK-LABEL: func @injective
// CHECK: %[[G:.*]] = dlc.fused %arg0
// CHECK-NEXT: ^bb0
// CHECK-NEXT: dlc.transpose
// CHECK-NEXT: dlc.reshape
// CHECK-NEXT: dlc.yield
// CHECK: dlc.relu %[[G]]
func.func @injective(%a: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = dlc.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = dlc.reshape %0 : (tensor<3x2xf32>) -> tensor<6xf32>
  %2 = dlc.relu %1 : tensor<6xf32>
  return %2 : tensor<6xf32>
}

// -----

// Casts join a group whose result the group writes itself: an elementwise
// chain, and a blocked conv (its micro-kernel stores the epilogue's type).
// A matmul computes its epilogue in place, in its own type: a cast after it
// starts a group of its own.
// CHECK-LABEL: func @type_changing_chains
// CHECK: %[[E:.*]] = dlc.fused %arg0 : (tensor<4x8xf32>) -> tensor<4x8xi8> {
// CHECK: dlc.relu
// CHECK: dlc.cast {{.*}} to tensor<4x8xi32>
// CHECK: dlc.cast {{.*}} to tensor<4x8xi8>
// CHECK: dlc.fused %arg1, %arg2, %arg3 : {{.*}} -> tensor<1x1x4x4x16xi8> {
// CHECK: dlc.conv_integer_blocked
// CHECK: dlc.cast {{.*}} to tensor<1x1x4x4x16xf32>
// CHECK: dlc.mul
// CHECK: dlc.cast {{.*}} to tensor<1x1x4x4x16xi8>
// CHECK: %[[M:.*]] = dlc.fused %[[E]], %arg4, %{{.*}} : {{.*}} -> tensor<4x4xi32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: dlc.matmul_integer
// CHECK-NEXT: dlc.add
// CHECK-NEXT: dlc.yield
// CHECK: dlc.cast %[[M]] : tensor<4x4xi32> to tensor<4x4xf32>
func.func @type_changing_chains(%x: tensor<4x8xf32>, %a: tensor<1x1x4x4x16xi8>, %f: tensor<1x1x1x1x4x64xi8>, %s: tensor<1x1x1x1x16xf32>, %w: tensor<8x4xi8>) -> (tensor<1x1x4x4x16xi8>, tensor<4x4xf32>) {
  %0 = dlc.relu %x : tensor<4x8xf32>
  %1 = dlc.cast %0 : tensor<4x8xf32> to tensor<4x8xi32>
  %2 = dlc.cast %1 : tensor<4x8xi32> to tensor<4x8xi8>
  %3 = dlc.conv_integer_blocked %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4x16xi8>, tensor<1x1x1x1x4x64xi8>) -> tensor<1x1x4x4x16xi32>
  %4 = dlc.cast %3 : tensor<1x1x4x4x16xi32> to tensor<1x1x4x4x16xf32>
  %5 = dlc.mul %4, %s : (tensor<1x1x4x4x16xf32>, tensor<1x1x1x1x16xf32>) -> tensor<1x1x4x4x16xf32>
  %6 = dlc.cast %5 : tensor<1x1x4x4x16xf32> to tensor<1x1x4x4x16xi8>
  %7 = dlc.matmul_integer %2, %w {lhs_unsigned} : (tensor<4x8xi8>, tensor<8x4xi8>) -> tensor<4x4xi32>
  %c = dlc.constant dense<1> : tensor<4xi32>
  %8 = dlc.add %7, %c : (tensor<4x4xi32>, tensor<4xi32>) -> tensor<4x4xi32>
  %9 = dlc.cast %8 : tensor<4x4xi32> to tensor<4x4xf32>
  return %6, %9 : tensor<1x1x4x4x16xi8>, tensor<4x4xf32>
}

// -----

// A residual's dequantization from bytes (an elementwise chain used once,
// by an operand that is not the group's root) joins the group that reads
// it: computed where it is read instead of stored in f32. A chain with a
// second user stays a group of its own.
// CHECK-LABEL: func @absorbed_residual
// CHECK: dlc.fused %arg1, %{{.*}}, %arg0 : {{.*}} -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: dlc.cast {{.*}} to tensor<4x8xi32>
// CHECK-NEXT: dlc.and
// CHECK-NEXT: dlc.cast {{.*}} to tensor<4x8xf32>
// CHECK-NEXT: dlc.relu
// CHECK-NEXT: dlc.add
// CHECK-NEXT: dlc.yield
// CHECK: %[[S:.*]] = dlc.fused %arg2, %{{.*}} : {{.*}} -> tensor<4x8xf32> {
// CHECK-NOT: dlc.relu
// CHECK: dlc.yield
// CHECK: dlc.fused %arg3, %[[S]] : {{.*}} -> tensor<4x8xf32> {
// CHECK: dlc.add %[[S]], %[[S]]
func.func @absorbed_residual(%x: tensor<4x8xf32>, %r: tensor<4x8xi8>, %r2: tensor<4x8xi8>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %m = dlc.constant dense<255> : tensor<i32>
  %0 = dlc.cast %r : tensor<4x8xi8> to tensor<4x8xi32>
  %1 = dlc.and %0, %m : (tensor<4x8xi32>, tensor<i32>) -> tensor<4x8xi32>
  %2 = dlc.cast %1 : tensor<4x8xi32> to tensor<4x8xf32>
  %3 = dlc.relu %x : tensor<4x8xf32>
  %4 = dlc.add %3, %2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %5 = dlc.cast %r2 : tensor<4x8xi8> to tensor<4x8xi32>
  %6 = dlc.and %5, %m : (tensor<4x8xi32>, tensor<i32>) -> tensor<4x8xi32>
  %7 = dlc.cast %6 : tensor<4x8xi32> to tensor<4x8xf32>
  %8 = dlc.relu %y : tensor<4x8xf32>
  %9 = dlc.sub %8, %7 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %10 = dlc.add %7, %7 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %4, %9, %10 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
