// RUN: dlc-opt %s -split-input-file -dlc-layout-nchwc=block=4 -canonicalize | FileCheck %s
// Convolution chains move to [N, C/b, H, W, b] with packed weights; layout
// changes stay at the chain's edges.

// conv -> bias -> relu -> conv -> residual add -> relu -> max pool: one
// to_blocked at the input (shared by the conv and the residual add), one
// from_blocked at the end.
// CHECK-LABEL: func @chain
// CHECK: %[[IN:.*]] = dlc.to_blocked %arg0 {block = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x2x6x6x4xf32>
// CHECK: %[[C0:.*]] = dlc.conv_blocked %[[IN]], %{{.*}} {{.*}} : (tensor<1x2x6x6x4xf32>, tensor<2x2x3x3x4x4xf32>) -> tensor<1x2x6x6x4xf32>
// CHECK: %[[B:.*]] = dlc.add %[[C0]], %{{.*}} : (tensor<1x2x6x6x4xf32>, tensor<1x2x1x1x4xf32>) -> tensor<1x2x6x6x4xf32>
// CHECK: %[[R0:.*]] = dlc.relu %[[B]] : tensor<1x2x6x6x4xf32>
// CHECK: %[[C1:.*]] = dlc.conv_blocked %[[R0]]
// CHECK: %[[A:.*]] = dlc.add %[[C1]], %[[IN]] : (tensor<1x2x6x6x4xf32>, tensor<1x2x6x6x4xf32>)
// CHECK: %[[R1:.*]] = dlc.relu %[[A]]
// CHECK: %[[P:.*]] = dlc.max_pool %[[R1]] {blocked, {{.*}}} : (tensor<1x2x6x6x4xf32>) -> tensor<1x2x3x3x4xf32>
// CHECK: %[[OUT:.*]] = dlc.from_blocked %[[P]] : (tensor<1x2x3x3x4xf32>) -> tensor<1x8x3x3xf32>
// CHECK: return %[[OUT]]
func.func @chain(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> {
  %w = dlc.constant dense<0.1> : tensor<8x8x3x3xf32>
  %b = dlc.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]], [[5.0]], [[6.0]], [[7.0]], [[8.0]]]> : tensor<8x1x1xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  %1 = dlc.add %0, %b : (tensor<1x8x6x6xf32>, tensor<8x1x1xf32>) -> tensor<1x8x6x6xf32>
  %2 = dlc.relu %1 : tensor<1x8x6x6xf32>
  %3 = dlc.conv %2, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  %4 = dlc.add %3, %x : (tensor<1x8x6x6xf32>, tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %5 = dlc.relu %4 : tensor<1x8x6x6xf32>
  %6 = dlc.max_pool %5 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32>
  return %6 : tensor<1x8x3x3xf32>
}

// -----

// The filter is packed [F/bo, C/bi, KH, KW, bi, bo]: element (f, c) of a 1x1
// conv lands at [f / 4, c / 4, 0, 0, c % 4, f % 4]. With 2 input channels
// the input block is 2. A spatial mean with kept dims stays blocked.
// CHECK-LABEL: func @packing
// CHECK-DAG: dlc.to_blocked %arg0 {block = 2 : i64}
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[\[}}[0.000000e+00, 2.000000e+00, 4.000000e+00, 6.000000e+00], [1.000000e+00, 3.000000e+00, 5.000000e+00, 7.000000e+00]{{\]\]\]\]\]}}> : tensor<1x1x1x1x2x4xf32>
// CHECK: dlc.conv_blocked %{{.*}}, %[[W]]
// CHECK: dlc.reduce_mean {{.*}} : (tensor<1x1x3x3x4xf32>) -> tensor<1x1x1x1x4xf32>
// CHECK: dlc.from_blocked
func.func @packing(%x: tensor<1x2x3x3xf32>) -> tensor<1x4x1x1xf32> {
  %w = dlc.constant dense<[[[[0.0]], [[1.0]]], [[[2.0]], [[3.0]]], [[[4.0]], [[5.0]]], [[[6.0]], [[7.0]]]]> : tensor<4x2x1x1xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x2x3x3xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.reduce_mean %0 {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x4x3x3xf32>) -> tensor<1x4x1x1xf32>
  return %1 : tensor<1x4x1x1xf32>
}

// -----

// A depthwise conv joins the layout, its kernels packed per channel block
// ([C/b, KH, KW, b]); a grouped conv that is not depthwise and a conv with
// weights computed at run time are left alone.
// CHECK-LABEL: func @depthwise_and_left_alone
// CHECK: %[[IN:.*]] = dlc.to_blocked %arg0 {block = 4 : i64}
// CHECK: dlc.depthwise_conv_blocked %[[IN]], %{{.*}} : (tensor<1x2x4x4x4xf32>, tensor<2x3x3x4xf32>) -> tensor<1x2x4x4x4xf32>
// CHECK: dlc.conv %arg0, %{{.*}} {{{.*}}group = 2
// CHECK: dlc.conv %arg0, %arg1
func.func @depthwise_and_left_alone(%x: tensor<1x8x4x4xf32>, %wv: tensor<8x8x1x1xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %dw = dlc.constant dense<1.0> : tensor<8x1x3x3xf32>
  %gw = dlc.constant dense<1.0> : tensor<8x4x1x1xf32>
  %0 = dlc.conv %x, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 8} : (tensor<1x8x4x4xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  %1 = dlc.conv %x, %gw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x8x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  %2 = dlc.conv %x, %wv {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %0, %1, %2 : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// -----

// A reduction over channels needs channels first: the chain ends before it.
// CHECK-LABEL: func @channel_reduction
// CHECK: %[[C:.*]] = dlc.conv_blocked
// CHECK: %[[P:.*]] = dlc.from_blocked %[[C]]
// CHECK: dlc.reduce_sum %[[P]] {axes = array<i64: 1>
func.func @channel_reduction(%x: tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = dlc.constant dense<1.0> : tensor<4x4x1x1xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x2x2xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x2x2xf32>
  %1 = dlc.reduce_sum %0 {axes = array<i64: 1>, keepdims = true} : (tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %1 : tensor<1x1x2x2xf32>
}

// -----

// A spatial mean whose axes are negative (torch's dynamo exporter writes
// ReduceMean(x, [-1, -2])) stays blocked with its axes counted from the
// plain rank: -1 must not name the block dim.
// CHECK-LABEL: func @negative_reduce_axes
// CHECK: dlc.conv_blocked
// CHECK: %[[M:.*]] = dlc.reduce_mean %{{.*}} {axes = array<i64: 3, 2>, keepdims = true} : (tensor<1x2x3x3x4xf32>) -> tensor<1x2x1x1x4xf32>
// CHECK: dlc.from_blocked %[[M]] : (tensor<1x2x1x1x4xf32>) -> tensor<1x8x1x1xf32>
func.func @negative_reduce_axes(%x: tensor<1x8x3x3xf32>) -> tensor<1x8x1x1xf32> {
  %w = dlc.constant dense<0.1> : tensor<8x8x1x1xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x8x3x3xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x3x3xf32>
  %1 = dlc.reduce_mean %0 {axes = array<i64: -1, -2>, keepdims = true} : (tensor<1x8x3x3xf32>) -> tensor<1x8x1x1xf32>
  return %1 : tensor<1x8x1x1xf32>
}

// -----

// A cast after a blocked conv (an integer conv computed in f32, cast back
// to int32) follows the layout with its own element type, and so does the
// add of an int32 per-channel constant (repacked like an f32 one).
// CHECK-LABEL: func @cast_in_chain
// CHECK-DAG: %[[B:.*]] = dlc.constant dense<3> : tensor<1x2x1x1x4xi32>
// CHECK: %[[C:.*]] = dlc.conv_blocked
// CHECK: %[[I:.*]] = dlc.cast %[[C]] : tensor<1x2x4x4x4xf32> to tensor<1x2x4x4x4xi32>
// CHECK: %[[A:.*]] = dlc.add %[[I]], %[[B]] : (tensor<1x2x4x4x4xi32>, tensor<1x2x1x1x4xi32>) -> tensor<1x2x4x4x4xi32>
// CHECK: dlc.from_blocked %[[A]] : (tensor<1x2x4x4x4xi32>) -> tensor<1x8x4x4xi32>
func.func @cast_in_chain(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xi32> {
  %w = dlc.constant dense<1.0> : tensor<8x8x1x1xf32>
  %b = dlc.constant dense<3> : tensor<8x1x1xi32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %1 = dlc.cast %0 : tensor<1x8x4x4xf32> to tensor<1x8x4x4xi32>
  %2 = dlc.add %1, %b : (tensor<1x8x4x4xi32>, tensor<8x1x1xi32>) -> tensor<1x8x4x4xi32>
  return %2 : tensor<1x8x4x4xi32>
}

// -----

// An integer conv (dlc-quantized-conv's) takes the blocked layout with its
// filter [F, C, 1, 1] (here w[f, c] = 10 f + c) packed to [F/4, C/4, 1, 1,
// 1, 16]: per group of 4 input channels, output lane l's 4 bytes side by
// side. The i32 result's scaling follows the layout.
// CHECK-LABEL: func @integer_conv
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[\[\[}}0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]]]], {{\[\[\[\[}}4, 5, 6, 7, 14, 15, 16, 17, 24, 25, 26, 27, 34, 35, 36, 37]]]]], {{\[\[\[\[\[}}40, 41, 42, 43, 50, 51, 52, 53, 60, 61, 62, 63, 70, 71, 72, 73]]]], {{\[\[\[\[}}44, 45, 46, 47, 54, 55, 56, 57, 64, 65, 66, 67, 74, 75, 76, 77]]]]]]> : tensor<2x2x1x1x1x16xi8>
// CHECK-DAG: %[[S:.*]] = dlc.constant dense<5.000000e-01> : tensor<1x2x1x1x4xf32>
// CHECK: %[[X:.*]] = dlc.to_blocked %{{.*}} {block = 4 : i64} : (tensor<1x8x3x3xi8>) -> tensor<1x2x3x3x4xi8>
// CHECK: %[[C:.*]] = dlc.conv_integer_blocked %[[X]], %[[W]] {{.*}} : (tensor<1x2x3x3x4xi8>, tensor<2x2x1x1x1x16xi8>) -> tensor<1x2x3x3x4xi32>
// CHECK: %[[F:.*]] = dlc.cast %[[C]] : tensor<1x2x3x3x4xi32> to tensor<1x2x3x3x4xf32>
// CHECK: %[[M:.*]] = dlc.mul %[[F]], %[[S]]
// CHECK: dlc.from_blocked %[[M]] : (tensor<1x2x3x3x4xf32>) -> tensor<1x8x3x3xf32>
func.func @integer_conv(%x: tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32> {
  %w = dlc.constant dense<[[[[0]], [[1]], [[2]], [[3]], [[4]], [[5]], [[6]], [[7]]],
                           [[[10]], [[11]], [[12]], [[13]], [[14]], [[15]], [[16]], [[17]]],
                           [[[20]], [[21]], [[22]], [[23]], [[24]], [[25]], [[26]], [[27]]],
                           [[[30]], [[31]], [[32]], [[33]], [[34]], [[35]], [[36]], [[37]]],
                           [[[40]], [[41]], [[42]], [[43]], [[44]], [[45]], [[46]], [[47]]],
                           [[[50]], [[51]], [[52]], [[53]], [[54]], [[55]], [[56]], [[57]]],
                           [[[60]], [[61]], [[62]], [[63]], [[64]], [[65]], [[66]], [[67]]],
                           [[[70]], [[71]], [[72]], [[73]], [[74]], [[75]], [[76]], [[77]]]]> : tensor<8x8x1x1xi8>
  %s = dlc.constant dense<0.5> : tensor<8x1x1xf32>
  %0 = dlc.cast %x : tensor<1x8x3x3xf32> to tensor<1x8x3x3xi8>
  %1 = dlc.conv_integer %0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x8x3x3xi8>, tensor<8x8x1x1xi8>) -> tensor<1x8x3x3xi32>
  %2 = dlc.cast %1 : tensor<1x8x3x3xi32> to tensor<1x8x3x3xf32>
  %3 = dlc.mul %2, %s : (tensor<1x8x3x3xf32>, tensor<8x1x1xf32>) -> tensor<1x8x3x3xf32>
  return %3 : tensor<1x8x3x3xf32>
}

// -----

// An i16 input (AVX2's words): groups of 2 channels, the filter widened to
// i16 and packed to [F/4, C/4, 1, 1, 2, 8]: per pair of input channels,
// output lane l's 2 values side by side.
// CHECK-LABEL: func @integer_conv_words
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[\[\[}}0, 1, 10, 11, 20, 21, 30, 31], [2, 3, 12, 13, 22, 23, 32, 33]]]], {{\[\[\[\[}}4, 5, 14, 15, 24, 25, 34, 35], [6, 7, 16, 17, 26, 27, 36, 37]]]]], {{\[\[\[\[\[}}40, 41, 50, 51, 60, 61, 70, 71], [42, 43, 52, 53, 62, 63, 72, 73]]]], {{\[\[\[\[}}44, 45, 54, 55, 64, 65, 74, 75], [46, 47, 56, 57, 66, 67, 76, 77]]]]]]> : tensor<2x2x1x1x2x8xi16>
// CHECK: %[[X:.*]] = dlc.to_blocked %{{.*}} {block = 4 : i64} : (tensor<1x8x3x3xi16>) -> tensor<1x2x3x3x4xi16>
// CHECK: dlc.conv_integer_blocked %[[X]], %[[W]] {{.*}} : (tensor<1x2x3x3x4xi16>, tensor<2x2x1x1x2x8xi16>) -> tensor<1x2x3x3x4xi32>
func.func @integer_conv_words(%x: tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xi32> {
  %w = dlc.constant dense<[[[[0]], [[1]], [[2]], [[3]], [[4]], [[5]], [[6]], [[7]]],
                           [[[10]], [[11]], [[12]], [[13]], [[14]], [[15]], [[16]], [[17]]],
                           [[[20]], [[21]], [[22]], [[23]], [[24]], [[25]], [[26]], [[27]]],
                           [[[30]], [[31]], [[32]], [[33]], [[34]], [[35]], [[36]], [[37]]],
                           [[[40]], [[41]], [[42]], [[43]], [[44]], [[45]], [[46]], [[47]]],
                           [[[50]], [[51]], [[52]], [[53]], [[54]], [[55]], [[56]], [[57]]],
                           [[[60]], [[61]], [[62]], [[63]], [[64]], [[65]], [[66]], [[67]]],
                           [[[70]], [[71]], [[72]], [[73]], [[74]], [[75]], [[76]], [[77]]]]> : tensor<8x8x1x1xi8>
  %0 = dlc.cast %x : tensor<1x8x3x3xf32> to tensor<1x8x3x3xi16>
  %1 = dlc.conv_integer %0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x8x3x3xi16>, tensor<8x8x1x1xi8>) -> tensor<1x8x3x3xi32>
  return %1 : tensor<1x8x3x3xi32>
}

// -----

// An integer conv whose input blocks would not hold whole groups of 4
// channels (6 channels: block 3) stays channels-first.
// CHECK-LABEL: func @integer_conv_odd_block
// CHECK: dlc.conv_integer %
// CHECK-NOT: dlc.conv_integer_blocked
func.func @integer_conv_odd_block(%x: tensor<1x6x3x3xi8>) -> tensor<1x8x3x3xi32> {
  %w = dlc.constant dense<1> : tensor<8x6x1x1xi8>
  %0 = dlc.conv_integer %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x6x3x3xi8>, tensor<8x6x1x1xi8>) -> tensor<1x8x3x3xi32>
  return %0 : tensor<1x8x3x3xi32>
}
