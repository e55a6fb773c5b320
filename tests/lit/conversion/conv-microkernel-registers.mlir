// RUN: dlc-opt %s -convert-dlc-to-linalg="conv-microkernel=true vector-registers=16" -canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: dlc-opt %s -convert-dlc-to-linalg="conv-microkernel=true vector-registers=32" -canonicalize | FileCheck %s --check-prefix=AVX512
// The register tile follows the target's vector registers. 14 output
// columns, 2 channel blocks of 8 lanes, padding 1 (the tiles at the row's
// ends cross it and are built apart; a lone interior tile needs no loop):
// - 16 registers (AVX2): at most 12 accumulators plus 2 weight vectors and a
//   broadcast; 5 pixels x 2 blocks (two tiles per row) and a last tile of
//   4 pixels x 2 blocks.
// - 32 registers (AVX-512): 14 pixels x 2 blocks = 28 accumulators exceed
//   24, so 7 pixels x 2 blocks, two tiles per row and no narrower one.
// AVX2-LABEL: func @conv_tiles
// AVX2: %{{.*}}:10 = scf.for
// AVX2-COUNT-10: vector.transfer_write
// AVX2: %{{.*}}:10 = scf.for
// AVX2-COUNT-10: vector.transfer_write
// AVX2: %{{.*}}:8 = scf.for
// AVX2-COUNT-8: vector.transfer_write
// AVX2-NOT: vector.transfer_write
// AVX512-LABEL: func @conv_tiles
// AVX512: %{{.*}}:14 = scf.for
// AVX512-COUNT-14: vector.transfer_write
// AVX512: %{{.*}}:14 = scf.for
// AVX512-COUNT-14: vector.transfer_write
// AVX512-NOT: vector.transfer_write
func.func @conv_tiles(%x: tensor<1x2x14x14x8xf32>, %w: tensor<2x2x3x3x8x8xf32>) -> tensor<1x2x14x14x8xf32> {
  %0 = dlc.conv_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x14x14x8xf32>, tensor<2x2x3x3x8x8xf32>) -> tensor<1x2x14x14x8xf32>
  return %0 : tensor<1x2x14x14x8xf32>
}
