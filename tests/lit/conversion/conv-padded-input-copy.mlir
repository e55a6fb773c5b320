// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg="padded-input-copy=true" | FileCheck %s
// With padded-input-copy (the CUDA target), a padded dlc.conv reads one
// zero-padded copy of its input, made by a loop nest of its own, and its
// contraction takes the copy and the filter as two plain operands; a conv
// without padding is lowered as without the option.

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-LABEL: func @padded
// CHECK: %[[COPY:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x3x7x8xf32>)
// CHECK: arith.cmpi sge
// CHECK: tensor.extract %arg0
// CHECK: arith.select
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #{{.*}}]{{.*}} ins(%[[COPY]], %arg1 : tensor<1x3x7x8xf32>, tensor<4x3x3x3xf32>)
// CHECK-NOT: tensor.extract
// CHECK: linalg.yield
func.func @padded(%x: tensor<1x3x5x6xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x3x5x6xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func @unpadded
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>)
func.func @unpadded(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
