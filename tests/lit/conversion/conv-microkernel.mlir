// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg=conv-microkernel=true -canonicalize | FileCheck %s
// The blocked convolution micro-kernel: loops over (n, (oh, channel-block
// group) pairs, tiles of ow); padding read by clipping (full convs), or
// interior tiles without bounds checks and border tiles with them
// (depthwise); a register tile of pixels x 2 channel blocks updated by
// broadcast-FMAs, and the fused epilogue applied to the vectors before they
// are stored.

// 36 output columns: tiles of 12 pixels x 2 blocks = 24 accumulators. No
// padded copy of the input is made and no read is checked: each row runs
// the kernel rows inside the input, and the tiles at the row's ends, whose
// windows cross the padding, are built apart with their columns known,
// leaving the padding's products out.
// CHECK-LABEL: func @conv_add_relu
// CHECK-NOT: tensor<1x1x6x38x16xf32>
// CHECK: scf.for {{.*}} to %c4 step %c1 iter_args({{.*}}) -> (tensor<1x2x4x36x16xf32>)
// Kernel rows [max(0, 1 - oh), min(3, 5 - oh)):
// CHECK: %[[ROW0:.*]] = arith.subi %c1, %{{.*}} : index
// CHECK: %[[KH0:.*]] = arith.maxsi %[[ROW0]], %c0 : index
// CHECK: %[[ROW1:.*]] = arith.subi %c5, %{{.*}} : index
// CHECK: %[[KH1:.*]] = arith.minsi %[[ROW1]], %c3 : index
// CHECK: scf.for %{{.*}} = %[[KH0]] to %[[KH1]] step %c1
// The left tile: kernel column 0 for pixels 1-11 (22 accumulators), then
// columns 1 and 2 for all 12 pixels:
// CHECK: %{{.*}}:22 = scf.for {{.*}} to %c16
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<2x1x3x3x16x16xf32>, vector<16xf32>
// CHECK-NOT: arith.select
// CHECK: tensor.extract %arg0[%c0, %c0, %{{.*}}, %c0, %{{.*}}]
// CHECK-NOT: arith.select
// CHECK: vector.broadcast
// CHECK-COUNT-2: vector.fma
// CHECK: %{{.*}}:24 = scf.for {{.*}} to %c16
// CHECK: %{{.*}}:24 = scf.for {{.*}} to %c16
// CHECK: %[[RES:.*]] = vector.transfer_read %arg2
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[RES]] : vector<16xf32>
// CHECK: %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write %[[RELU]]
// The middle tile (columns 12-23), inside the input: a loop over the kernel
// columns.
// CHECK: arith.maxsi
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: %{{.*}}:24 = scf.for {{.*}} to %c16
// The right tile leaves pixel 11 (column 36) out of kernel column 2:
// CHECK: arith.maxsi
// CHECK: %{{.*}}:24 = scf.for {{.*}} to %c16
// CHECK: %{{.*}}:24 = scf.for {{.*}} to %c16
// CHECK: %{{.*}}:22 = scf.for {{.*}} to %c16
// CHECK-NOT: arith.select
// The row loop (one pair of channel blocks) is shared by the threads:
// CHECK: } {dlc.parallel}
// CHECK-NOT: linalg.generic
func.func @conv_add_relu(%x: tensor<1x1x4x36x16xf32>, %w: tensor<2x1x3x3x16x16xf32>, %r: tensor<1x2x4x36x16xf32>) -> tensor<1x2x4x36x16xf32> {
  %0 = dlc.fused %x, %w, %r : (tensor<1x1x4x36x16xf32>, tensor<2x1x3x3x16x16xf32>, tensor<1x2x4x36x16xf32>) -> tensor<1x2x4x36x16xf32> {
  ^bb0(%a: tensor<1x1x4x36x16xf32>, %f: tensor<2x1x3x3x16x16xf32>, %s: tensor<1x2x4x36x16xf32>):
    %1 = dlc.conv_blocked %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x4x36x16xf32>, tensor<2x1x3x3x16x16xf32>) -> tensor<1x2x4x36x16xf32>
    %2 = dlc.add %1, %s : (tensor<1x2x4x36x16xf32>, tensor<1x2x4x36x16xf32>) -> tensor<1x2x4x36x16xf32>
    %3 = dlc.relu %2 : tensor<1x2x4x36x16xf32>
    dlc.yield %3 : tensor<1x2x4x36x16xf32>
  }
  return %0 : tensor<1x2x4x36x16xf32>
}

// -----

// One channel block (no pair) and 7 columns: a tile of 7 pixels; no padding,
// so every tile is interior; the per-channel bias is read as one vector per
// block.
// CHECK-LABEL: func @odd_blocks
// CHECK: scf.for {{.*}} to %c7 step %c1 iter_args({{.*}}) -> (tensor<1x1x7x7x16xf32>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-7: vector.fma
// CHECK: vector.transfer_read %arg2[%c0, %c0, %c0, %c0, %c0]
// Too little work (12,544 iterations) for threads:
// CHECK-NOT: dlc.parallel
func.func @odd_blocks(%x: tensor<1x1x7x7x16xf32>, %w: tensor<1x1x1x1x16x16xf32>, %b: tensor<1x1x1x1x16xf32>) -> tensor<1x1x7x7x16xf32> {
  %0 = dlc.fused %x, %w, %b : (tensor<1x1x7x7x16xf32>, tensor<1x1x1x1x16x16xf32>, tensor<1x1x1x1x16xf32>) -> tensor<1x1x7x7x16xf32> {
  ^bb0(%a: tensor<1x1x7x7x16xf32>, %f: tensor<1x1x1x1x16x16xf32>, %c: tensor<1x1x1x1x16xf32>):
    %1 = dlc.conv_blocked %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x7x7x16xf32>, tensor<1x1x1x1x16x16xf32>) -> tensor<1x1x7x7x16xf32>
    %2 = dlc.add %1, %c : (tensor<1x1x7x7x16xf32>, tensor<1x1x1x1x16xf32>) -> tensor<1x1x7x7x16xf32>
    dlc.yield %2 : tensor<1x1x7x7x16xf32>
  }
  return %0 : tensor<1x1x7x7x16xf32>
}

// -----

// A depthwise blocked conv (stride 2, padding 1, 28 output columns): tiles
// of 14 pixels of one block, the first on the border, the second interior; per (kh, kw) one vector of filter lanes and, per pixel, one
// vector of input lanes multiplied lane by lane (no broadcast); border
// tiles select zero outside the input; the clip epilogue runs on the
// vectors. Threads share the (channel block, output row) pairs, 2 x 28,
// groups-outer (the input is no larger a stream than the filter).
// CHECK-LABEL: func @depthwise_clip
// CHECK: scf.for {{.*}} to %c56 step %c1 iter_args({{.*}}) -> (tensor<1x2x28x28x16xf32>)
// CHECK: scf.for {{.*}} to %c28 step %c14 iter_args
// CHECK: %[[ACC:.*]]:14 = scf.if %{{.*}} -> (vector<16xf32>
// CHECK: %[[W:.*]] = vector.transfer_read %arg1[{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<2x3x3x16xf32>, vector<16xf32>
// CHECK: %[[X:.*]] = vector.transfer_read %arg0[{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x2x56x56x16xf32>, vector<16xf32>
// CHECK-NOT: arith.select
// CHECK-NOT: vector.broadcast
// CHECK: vector.fma %[[X]], %[[W]]
// CHECK: } else {
// CHECK: arith.select
// CHECK: vector.fma
// CHECK: arith.maximumf %[[ACC]]#0
// CHECK: arith.minimumf
// CHECK: vector.transfer_write
// CHECK: } {dlc.parallel}
// CHECK-NOT: linalg.generic
func.func @depthwise_clip(%x: tensor<1x2x56x56x16xf32>, %w: tensor<2x3x3x16xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<1x2x28x28x16xf32> {
  %0 = dlc.fused %x, %w, %lo, %hi : (tensor<1x2x56x56x16xf32>, tensor<2x3x3x16xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x28x28x16xf32> {
  ^bb0(%a: tensor<1x2x56x56x16xf32>, %f: tensor<2x3x3x16xf32>, %l: tensor<f32>, %h: tensor<f32>):
    %1 = dlc.depthwise_conv_blocked %a, %f {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x56x56x16xf32>, tensor<2x3x3x16xf32>) -> tensor<1x2x28x28x16xf32>
    %2 = dlc.max %1, %l : (tensor<1x2x28x28x16xf32>, tensor<f32>) -> tensor<1x2x28x28x16xf32>
    %3 = dlc.min %2, %h : (tensor<1x2x28x28x16xf32>, tensor<f32>) -> tensor<1x2x28x28x16xf32>
    dlc.yield %3 : tensor<1x2x28x28x16xf32>
  }
  return %0 : tensor<1x2x28x28x16xf32>
}

// -----

// Left to the generic lowering: a 1-d blocked conv.
// CHECK-LABEL: func @one_d
// CHECK: linalg.generic
// CHECK-NOT: vector.fma
func.func @one_d(%x: tensor<1x1x8x16xf32>, %w: tensor<1x1x3x16x16xf32>) -> tensor<1x1x6x16xf32> {
  %0 = dlc.conv_blocked %x, %w {strides = array<i64: 1>, dilations = array<i64: 1>, pads = array<i64: 0, 0>} : (tensor<1x1x8x16xf32>, tensor<1x1x3x16x16xf32>) -> tensor<1x1x6x16xf32>
  return %0 : tensor<1x1x6x16xf32>
}

// -----

// Threads share one loop over (output row, channel-block group) pairs. A
// large input (256 channels at 56 x 56, 3.2 MB) with a small filter (64 KB)
// runs rows-outer, each input row read once for every group; a large
// filter (3 x 3, 512 -> 512 channels: 9.4 MB) over a small input (7 x 7
// outputs) runs groups-outer, each group's filters read once.
// CHECK-LABEL: func @rows_outer
// CHECK: scf.for %[[PAIR:.*]] = %c0 to %c112 step %c1 iter_args({{.*}}) -> (tensor<1x4x56x56x16xf32>)
// CHECK: %[[OH:.*]] = arith.divui %[[PAIR]], %c2 : index
// CHECK: %[[G:.*]] = arith.remui %[[PAIR]], %c2 : index
// CHECK: arith.muli %[[G]], %c2 : index
// CHECK: } {dlc.parallel}
func.func @rows_outer(%x: tensor<1x16x56x56x16xf32>, %w: tensor<4x16x1x1x16x16xf32>) -> tensor<1x4x56x56x16xf32> {
  %0 = dlc.conv_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x16x56x56x16xf32>, tensor<4x16x1x1x16x16xf32>) -> tensor<1x4x56x56x16xf32>
  return %0 : tensor<1x4x56x56x16xf32>
}
// Its group's filters (2 blocks x 512 input channels x 3 x 3: 590 KB) do
// not fit in L1, so it runs chunked: per (group, rows) item, input block by
// input block (18 KB of filters each, read once for all 7 x 7 outputs), the
// tiles' partial sums kept in the result (zero before the first chunk).
// CHECK-LABEL: func @groups_outer
// CHECK: scf.for %[[ITEM:.*]] = %c0 to %c16 step %c1 iter_args({{.*}}) -> (tensor<1x32x7x7x16xf32>)
// CHECK: %[[FO:.*]] = arith.muli %[[ITEM]], %c2 : index
// CHECK: scf.for %[[CHUNK:.*]] = %c0 to %c32 step %c1 iter_args
// CHECK: %[[END:.*]] = arith.minsi %{{.*}}, %c32 : index
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[CHUNK]], %c0 : index
// CHECK: scf.for %[[OH:.*]] = %c0 to %c7 step %c1 iter_args(%[[ROW:.*]] = %{{.*}})
// CHECK: %[[SUMS:.*]]:14 = scf.if %[[FIRST]]
// CHECK-NEXT: scf.yield %cst_0, %cst_0
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_read %[[ROW]][%c0, %[[FO]], %[[OH]], %c0, %c0]
// CHECK: scf.for %{{.*}} = %[[CHUNK]] to %[[END]] step %c1 iter_args(%{{.*}} = %[[SUMS]]#0,
// CHECK: vector.transfer_write %{{.*}}, %[[ROW]][%c0, %[[FO]], %[[OH]], %c0, %c0]
// CHECK: } {dlc.parallel}
func.func @groups_outer(%x: tensor<1x32x9x9x16xf32>, %w: tensor<32x32x3x3x16x16xf32>) -> tensor<1x32x7x7x16xf32> {
  %0 = dlc.conv_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x32x9x9x16xf32>, tensor<32x32x3x3x16x16xf32>) -> tensor<1x32x7x7x16xf32>
  return %0 : tensor<1x32x7x7x16xf32>
}

// -----

// A chunked conv's epilogue (here a bias add) runs once, over the sums,
// after the last chunk.
// CHECK-LABEL: func @chunked_epilogue
// CHECK: scf.for %[[CHUNK:.*]] = %c0 to %c32 step %c1
// CHECK: vector.fma
// CHECK-NOT: arith.addf
// CHECK: scf.yield
// CHECK: scf.for %[[OH:.*]] = %c0 to %c7 step %c1
// CHECK-NEXT: scf.for %[[OW:.*]] = %c0 to %c7 step %c1 iter_args(%[[SUMS:.*]] = %{{.*}})
// CHECK: %[[SUM:.*]] = vector.transfer_read %[[SUMS]]
// CHECK: %[[BIAS:.*]] = vector.transfer_read %arg2
// CHECK: %[[OUT:.*]] = arith.addf %[[SUM]], %[[BIAS]]
// CHECK: vector.transfer_write %[[OUT]], %[[SUMS]]
// CHECK: } {dlc.parallel}
func.func @chunked_epilogue(%x: tensor<1x32x9x9x16xf32>, %w: tensor<32x32x3x3x16x16xf32>, %b: tensor<1x32x1x1x16xf32>) -> tensor<1x32x7x7x16xf32> {
  %0 = dlc.fused %x, %w, %b : (tensor<1x32x9x9x16xf32>, tensor<32x32x3x3x16x16xf32>, tensor<1x32x1x1x16xf32>) -> tensor<1x32x7x7x16xf32> {
  ^bb0(%a: tensor<1x32x9x9x16xf32>, %f: tensor<32x32x3x3x16x16xf32>, %c: tensor<1x32x1x1x16xf32>):
    %1 = dlc.conv_blocked %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x32x9x9x16xf32>, tensor<32x32x3x3x16x16xf32>) -> tensor<1x32x7x7x16xf32>
    %2 = dlc.add %1, %c : (tensor<1x32x7x7x16xf32>, tensor<1x32x1x1x16xf32>) -> tensor<1x32x7x7x16xf32>
    dlc.yield %2 : tensor<1x32x7x7x16xf32>
  }
  return %0 : tensor<1x32x7x7x16xf32>
}
