// RUN: dlc-opt %s -split-input-file -dlc-layout-nchwc=block=16 -canonicalize | FileCheck %s
// With 16-lane blocks, an integer conv's channels that 16 does not divide
// take blocks of 8 (the ymm lanes of vpdpbusd and vpmaddwd) before any
// other divisor: 24 channels are 3 blocks of 8, not 2 of 12, which would
// leave the kernel the widened dot. An f32 conv keeps blockFor's choice.

// CHECK-LABEL: func @twenty_four_outputs
// CHECK: dlc.conv_integer_blocked %{{.*}} : (tensor<1x2x5x5x16xi8>, tensor<3x2x1x1x4x32xi8>) -> tensor<1x3x5x5x8xi32>
// CHECK: dlc.conv_integer_blocked %{{.*}} : (tensor<1x3x5x5x8xi8>, tensor<2x3x1x1x2x64xi8>) -> tensor<1x2x5x5x16xi32>
// CHECK: dlc.conv_blocked %{{.*}} -> tensor<1x2x5x5x12xf32>
func.func @twenty_four_outputs(%x: tensor<1x32x5x5xi8>, %y: tensor<1x32x5x5xf32>) -> (tensor<1x32x5x5xi32>, tensor<1x24x5x5xf32>) {
  %w = dlc.constant dense<1> : tensor<24x32x1x1xi8>
  %v = dlc.constant dense<1> : tensor<32x24x1x1xi8>
  %f = dlc.constant dense<1.0> : tensor<24x32x1x1xf32>
  %0 = dlc.conv_integer %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x32x5x5xi8>, tensor<24x32x1x1xi8>) -> tensor<1x24x5x5xi32>
  %1 = dlc.cast %0 : tensor<1x24x5x5xi32> to tensor<1x24x5x5xi8>
  %2 = dlc.conv_integer %1, %v {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x24x5x5xi8>, tensor<32x24x1x1xi8>) -> tensor<1x32x5x5xi32>
  %3 = dlc.conv %y, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x32x5x5xf32>, tensor<24x32x1x1xf32>) -> tensor<1x24x5x5xf32>
  return %2, %3 : tensor<1x32x5x5xi32>, tensor<1x24x5x5xf32>
}
