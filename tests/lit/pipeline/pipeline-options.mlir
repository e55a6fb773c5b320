// RUN: dlc-opt %s -dlc-graph-pipeline | FileCheck %s --check-prefix=O3
// RUN: dlc-opt %s '-dlc-graph-pipeline=opt-level=1' | FileCheck %s --check-prefix=O1
// RUN: dlc-opt %s '-dlc-graph-pipeline=disable-pass=dlc-fuse-ops' | FileCheck %s --check-prefix=NOFUSE
// RUN: dlc-opt %s '-dlc-graph-pipeline=opt-level=0' | FileCheck %s --check-prefix=O0
// RUN: dlc-opt %s '-dlc-graph-pipeline=channel-block=8' | FileCheck %s --check-prefix=BLOCK8
// RUN: not dlc-opt %s '-dlc-loop-pipeline=disable-pass=dlc-fuse-opz' 2>&1 | FileCheck %s --check-prefix=TYPO
// The pipelines registered in dlc-opt take dlc compile's options: the -O
// level, the optional passes to skip and the target's vector block. A
// disable-pass naming no optional pass is refused, as by dlc compile.
// TYPO: error: disable-pass: 'dlc-fuse-opz' is not an optional pass (canonicalize,

// -O3 (the default): the constants' product folds, the conv is blocked by
// 16 output channels and fused with its bias and relu.
// O3-LABEL: func @model
// O3-NOT: dlc.mul
// O3: dlc.fused
// O3: dlc.conv_blocked
// O3-SAME: -> tensor<1x1x8x8x16xf32>
// O3: dlc.relu
// O3: dlc.yield
// -O1 folds constants, but neither blocks layouts nor fuses.
// O1-LABEL: func @model
// O1-NOT: dlc.mul
// O1-NOT: dlc.fused
// O1: dlc.conv %arg0
// O1-NEXT: dlc.add
// O1-NEXT: dlc.relu
// disable-pass=dlc-fuse-ops: blocked as at -O3, nothing fused.
// NOFUSE-LABEL: func @model
// NOFUSE-NOT: dlc.fused
// NOFUSE: dlc.conv_blocked
// NOFUSE-SAME: -> tensor<1x1x8x8x16xf32>
// NOFUSE-NEXT: dlc.add
// NOFUSE-NEXT: dlc.relu
// -O0 folds nothing: the constants' product stays.
// O0-LABEL: func @model
// O0: dlc.mul
// O0-NOT: dlc.fused
// O0: dlc.conv %arg0
// channel-block=8 (an AVX2 target): two blocks of 8 channels.
// BLOCK8-LABEL: func @model
// BLOCK8: dlc.fused
// BLOCK8: dlc.conv_blocked
// BLOCK8-SAME: -> tensor<1x2x8x8x8xf32>
func.func @model(%x: tensor<1x3x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = dlc.constant dense<0.5> : tensor<16x3x3x3xf32>
  %b = dlc.constant dense<1.0> : tensor<16x1x1xf32>
  %s = dlc.constant dense<2.0> : tensor<16x1x1xf32>
  %bs = dlc.mul %b, %s : (tensor<16x1x1xf32>, tensor<16x1x1xf32>) -> tensor<16x1x1xf32>
  %c = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x3x8x8xf32>, tensor<16x3x3x3xf32>) -> tensor<1x16x8x8xf32>
  %a = dlc.add %c, %bs : (tensor<1x16x8x8xf32>, tensor<16x1x1xf32>) -> tensor<1x16x8x8xf32>
  %r = dlc.relu %a : tensor<1x16x8x8xf32>
  return %r : tensor<1x16x8x8xf32>
}
