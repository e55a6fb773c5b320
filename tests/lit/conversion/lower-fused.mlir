// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg | FileCheck %s
// A fused group lowers to its anchor and one elementwise generic that
// updates the anchor's result in place.

// CHECK-LABEL: func @conv_bias_relu
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} outs(%[[FILL]] :
// CHECK: arith.mulf
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4x1x1xf32>) outs(%[[CONV]] : tensor<1x4x6x6xf32>) attrs = {dlc.fusion_root}
// CHECK-NEXT: ^bb0(%[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[B]]
// CHECK: %[[R:.*]] = arith.maximumf %[[S]]
// CHECK-NEXT: linalg.yield %[[R]]
// CHECK: return %[[EPI]]
func.func @conv_bias_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %0 = dlc.fused %x, %w, %b : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x3x8x8xf32>, %f: tensor<4x3x3x3xf32>, %c: tensor<4x1x1xf32>):
    %1 = dlc.conv %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
    %2 = dlc.add %1, %c : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
    %3 = dlc.relu %2 : tensor<1x4x6x6xf32>
    dlc.yield %3 : tensor<1x4x6x6xf32>
  }
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// An elementwise group is one generic, each input read once.
// CHECK-LABEL: func @elementwise_group
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<8xf32>, tensor<8xf32>) outs(%[[E]] : tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[A]], %[[B]]
// CHECK-NEXT: %[[X:.*]] = math.exp %[[D]]
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[B]]
// CHECK-NEXT: linalg.yield %[[M]]
// CHECK-NOT: linalg.generic
func.func @elementwise_group(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %0 = dlc.fused %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%x: tensor<8xf32>, %y: tensor<8xf32>):
    %1 = dlc.sub %x, %y : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %2 = dlc.exp %1 : tensor<8xf32>
    %3 = dlc.mul %2, %y : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    dlc.yield %3 : tensor<8xf32>
  }
  return %0 : tensor<8xf32>
}

// -----

// An injective group lowers member by member (no epilogue generic).
// CHECK-LABEL: func @injective_group
// CHECK: linalg.transpose
// CHECK: tensor.collapse_shape
// CHECK-NOT: dlc.fusion_root
func.func @injective_group(%a: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = dlc.fused %a : (tensor<2x3xf32>) -> tensor<6xf32> {
  ^bb0(%x: tensor<2x3xf32>):
    %1 = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
    %2 = dlc.reshape %1 : (tensor<3x2xf32>) -> tensor<6xf32>
    dlc.yield %2 : tensor<6xf32>
  }
  return %0 : tensor<6xf32>
}
