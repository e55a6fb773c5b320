// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// Every dlc op prints and parses back to the same form.

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: dlc.relu %{{.*}} : tensor<2x3xf32>
  %0 = dlc.relu %x : tensor<2x3xf32>
  // CHECK: dlc.sigmoid
  %1 = dlc.sigmoid %0 : tensor<2x3xf32>
  // CHECK: dlc.tanh
  %2 = dlc.tanh %1 : tensor<2x3xf32>
  // CHECK: dlc.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<2x3xf32>
  %3 = dlc.clip %2 {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x3xf32>
  // CHECK: dlc.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = dlc.add %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.pow
  %5 = dlc.pow %4, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// CHECK-LABEL: func @structured
func.func @structured(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4xf32> {
  // CHECK: dlc.conv %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %c = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: dlc.max_pool {{.*}}ceil_mode = true{{.*}} -> tensor<1x4x4x4xf32>
  %p = dlc.max_pool %c {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = true} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: dlc.avg_pool {{.*}}count_include_pad = false
  %a = dlc.avg_pool %p {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  // CHECK: dlc.reduce_mean %{{.*}} {axes = array<i64: 2, 3>, keepdims = false}
  %r = dlc.reduce_mean %a {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x4x2x2xf32>) -> tensor<1x4xf32>
  // CHECK: dlc.softmax %{{.*}} {axis = -1 : i64} : tensor<1x4xf32>
  %s = dlc.softmax %r {axis = -1} : tensor<1x4xf32>
  return %s : tensor<1x4xf32>
}

// CHECK-LABEL: func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %m: tensor<4x5xf32>) -> tensor<4x2x5xf32> {
  // CHECK: dlc.constant dense<1.000000e+00> : tensor<2xf32>
  %k = dlc.constant dense<1.0> : tensor<2xf32>
  // CHECK: dlc.matmul %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  %y = dlc.matmul %x, %m : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  // CHECK: dlc.transpose %{{.*}} {perm = array<i64: 1, 0, 2>} : (tensor<2x3x5xf32>) -> tensor<3x2x5xf32>
  %t = dlc.transpose %y {perm = array<i64: 1, 0, 2>} : (tensor<2x3x5xf32>) -> tensor<3x2x5xf32>
  // CHECK: dlc.reshape %{{.*}} : (tensor<3x2x5xf32>) -> tensor<3x10xf32>
  %r = dlc.reshape %t : (tensor<3x2x5xf32>) -> tensor<3x10xf32>
  %r2 = dlc.reshape %r : (tensor<3x10xf32>) -> tensor<3x2x5xf32>
  %one = dlc.reshape %t : (tensor<3x2x5xf32>) -> tensor<3x2x5xf32>
  // CHECK: dlc.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<3x2x5xf32>, tensor<1x2x5xf32>) -> tensor<4x2x5xf32>
  %s = dlc.reduce_sum %one {axes = array<i64: 0>, keepdims = true} : (tensor<3x2x5xf32>) -> tensor<1x2x5xf32>
  %c = dlc.concat %r2, %s {axis = 0} : (tensor<3x2x5xf32>, tensor<1x2x5xf32>) -> tensor<4x2x5xf32>
  return %c : tensor<4x2x5xf32>
}

// A fused group with its block arguments and terminator.
// CHECK-LABEL: func @fused
// CHECK: %[[G:.*]] = dlc.fused %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>):
// CHECK-NEXT: %[[S:.*]] = dlc.add %[[A]], %[[B]]
// CHECK-NEXT: dlc.yield %[[S]] : tensor<4xf32>
// CHECK-NEXT: }
func.func @fused(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dlc.fused %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: tensor<4xf32>, %y: tensor<4xf32>):
    %1 = dlc.add %x, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    dlc.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// The blocked channel layout ops.
// CHECK-LABEL: func @blocked_layout
// CHECK: dlc.to_blocked %arg0 {block = 4 : i64} : (tensor<1x8x4x4xf32>) -> tensor<1x2x4x4x4xf32>
// CHECK: dlc.conv_blocked
// CHECK-SAME: (tensor<1x2x4x4x4xf32>, tensor<2x2x1x1x4x4xf32>) -> tensor<1x2x4x4x4xf32>
// CHECK: dlc.max_pool %{{.*}} {blocked,
// CHECK: dlc.from_blocked %{{.*}} : (tensor<1x2x2x2x4xf32>) -> tensor<1x8x2x2xf32>
func.func @blocked_layout(%x: tensor<1x8x4x4xf32>, %w: tensor<2x2x1x1x4x4xf32>) -> tensor<1x8x2x2xf32> {
  %0 = dlc.to_blocked %x {block = 4} : (tensor<1x8x4x4xf32>) -> tensor<1x2x4x4x4xf32>
  %1 = dlc.conv_blocked %0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4x4xf32>, tensor<2x2x1x1x4x4xf32>) -> tensor<1x2x4x4x4xf32>
  %2 = dlc.max_pool %1 {blocked, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x4xf32>
  %3 = dlc.from_blocked %2 : (tensor<1x2x2x2x4xf32>) -> tensor<1x8x2x2xf32>
  return %3 : tensor<1x8x2x2xf32>
}

// CHECK-LABEL: func @depthwise_blocked
// CHECK: dlc.depthwise_conv_blocked %arg0, %arg1 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x16xf32>, tensor<2x3x3x16xf32>) -> tensor<1x2x4x4x16xf32>
func.func @depthwise_blocked(%x: tensor<1x2x4x4x16xf32>, %w: tensor<2x3x3x16xf32>) -> tensor<1x2x4x4x16xf32> {
  %0 = dlc.depthwise_conv_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4x16xf32>, tensor<2x3x3x16xf32>) -> tensor<1x2x4x4x16xf32>
  return %0 : tensor<1x2x4x4x16xf32>
}

// Comparisons infer an i1 result; select and gathers round-trip.
// CHECK-LABEL: func @compare_select_gather
// CHECK: dlc.less %arg0, %arg1 : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK: dlc.select %{{.*}}, %arg0, %arg1 : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: dlc.cast %{{.*}} : tensor<2x3xf32> to tensor<2x3xi32>
// CHECK: dlc.arg_max %arg0 {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<2x3xf32>) -> tensor<2xi64>
// CHECK: dlc.gather_elements %arg0, %arg2 {axis = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xi64>) -> tensor<1x3xf32>
// CHECK: dlc.gather_nd %arg0, %arg3 {batch_dims = 0 : i64} : (tensor<2x3xf32>, tensor<4x1xi64>) -> tensor<4x3xf32>
// CHECK: dlc.cumsum %arg0 {axis = 0 : i64, exclusive = false, reverse = true} : tensor<2x3xf32>
func.func @compare_select_gather(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<1x3xi64>, %t: tensor<4x1xi64>) -> (tensor<2x3xf32>, tensor<2x3xi32>, tensor<2xi64>, tensor<1x3xf32>, tensor<4x3xf32>, tensor<2x3xf32>) {
  %0 = dlc.less %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %1 = dlc.select %0, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = dlc.cast %1 : tensor<2x3xf32> to tensor<2x3xi32>
  %3 = dlc.arg_max %a {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<2x3xf32>) -> tensor<2xi64>
  %4 = dlc.gather_elements %a, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xi64>) -> tensor<1x3xf32>
  %5 = dlc.gather_nd %a, %t {batch_dims = 0 : i64} : (tensor<2x3xf32>, tensor<4x1xi64>) -> tensor<4x3xf32>
  %6 = dlc.cumsum %a {axis = 0 : i64, exclusive = false, reverse = true} : tensor<2x3xf32>
  return %1, %2, %3, %4, %5, %6 : tensor<2x3xf32>, tensor<2x3xi32>, tensor<2xi64>, tensor<1x3xf32>, tensor<4x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func @scatter_top_k
// CHECK: dlc.scatter_elements %arg0, %arg1, %arg2 {axis = 1 : i64, reduction = "mul"} : (tensor<2x3xf32>, tensor<2x1xi64>, tensor<2x1xf32>) -> tensor<2x3xf32>
// CHECK: dlc.scatter_nd %arg0, %arg3, %arg4 {reduction = "none"} : (tensor<2x3xf32>, tensor<1x1xi64>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: dlc.top_k %arg0 {axis = 1 : i64, k = 2 : i64, largest = false} : (tensor<2x3xf32>) -> tensor<2x2xi64>
func.func @scatter_top_k(%a: tensor<2x3xf32>, %i: tensor<2x1xi64>, %u: tensor<2x1xf32>, %t: tensor<1x1xi64>, %v: tensor<1x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xi64>) {
  %0 = dlc.scatter_elements %a, %i, %u {axis = 1 : i64, reduction = "mul"} : (tensor<2x3xf32>, tensor<2x1xi64>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %1 = dlc.scatter_nd %a, %t, %v {reduction = "none"} : (tensor<2x3xf32>, tensor<1x1xi64>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %2 = dlc.top_k %a {axis = 1 : i64, k = 2 : i64, largest = false} : (tensor<2x3xf32>) -> tensor<2x2xi64>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x2xi64>
}

// CHECK-LABEL: func @shifts_unsigned
// CHECK: dlc.shift_left %arg0, %arg1 : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
// CHECK: dlc.shift_right %arg0, %arg1 : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
func.func @shifts_unsigned(%a: tensor<3xui8>, %b: tensor<3xui8>) -> (tensor<3xui8>, tensor<3xui8>) {
  %0 = dlc.shift_left %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %1 = dlc.shift_right %a, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  return %0, %1 : tensor<3xui8>, tensor<3xui8>
}

// Bitcasts keep the bit width; narrow element types print as themselves.
// CHECK-LABEL: func @bitcast_narrow
// CHECK: dlc.bitcast %arg0 : tensor<4xf32> to tensor<4xi32>
// CHECK: dlc.cast %arg1 {no_saturate} : tensor<4xf32> to tensor<4xf8E5M2>
func.func @bitcast_narrow(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xf8E5M2>) {
  %0 = dlc.bitcast %a : tensor<4xf32> to tensor<4xi32>
  %1 = dlc.cast %b {no_saturate} : tensor<4xf32> to tensor<4xf8E5M2>
  return %0, %1 : tensor<4xi32>, tensor<4xf8E5M2>
}
