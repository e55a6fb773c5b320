// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg -canonicalize | FileCheck %s --check-prefix=LOOPS
// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg="conv-microkernel=true int8-dot=avx512-vnni" -canonicalize | FileCheck %s --check-prefix=VNNI
// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg="conv-microkernel=true int8-dot=portable" -canonicalize | FileCheck %s --check-prefix=PORTABLE
// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg="conv-microkernel=true int8-dot=avx2" -canonicalize | FileCheck %s --check-prefix=AVX2
// The integer convs (dlc-quantized-conv's): unsigned input bytes x signed
// filter bytes (or signed i16 input words x signed filter words) summed in
// i32, as loops, or as the blocked conv micro-kernel with vpdpbusd per 4
// input channels (vpmaddwd per 2 words; elsewhere the widened
// equivalent).

// Channels first: one generic; padding reads 0.
// LOOPS-LABEL: func @plain
// LOOPS: linalg.generic
// LOOPS: tensor.extract %arg0
// LOOPS: arith.select %{{.*}}, %{{.*}}, %c0_i8 : i8
// LOOPS: arith.extui %{{.*}} : i8 to i32
// LOOPS: arith.extsi %{{.*}} : i8 to i32
// LOOPS: arith.muli
// LOOPS: arith.addi
// LOOPS: -> tensor<1x8x5x5xi32>
func.func @plain(%x: tensor<1x4x5x5xi8>, %w: tensor<8x4x3x3xi8>) -> tensor<1x8x5x5xi32> {
  %0 = dlc.conv_integer %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x5x5xi8>, tensor<8x4x3x3xi8>) -> tensor<1x8x5x5xi32>
  return %0 : tensor<1x8x5x5xi32>
}

// -----

// Blocked, 16 output lanes: the filter's last dim read as [lanes, 4] by
// the loops; in the micro-kernel a 64-byte filter vector per block and
// group of 4 channels against each pixel's 4 bytes broadcast as one i32:
// vpdpbusd, or (portable) the bytes widened, multiplied and summed by 4.
// LOOPS-LABEL: func @blocked
// LOOPS: tensor.expand_shape %arg1 {{\[\[}}0], [1], [2], [3], [4], [5, 6]] output_shape [1, 1, 3, 3, 4, 16, 4]
// LOOPS: linalg.generic
// LOOPS: arith.extui
// LOOPS: -> tensor<1x1x5x5x16xi32>
// VNNI-LABEL: func @blocked
// VNNI: vector.transfer_read %arg1{{.*}} : tensor<1x1x3x3x4x64xi8>, vector<64xi8>
// VNNI: vector.bitcast %{{.*}} : vector<64xi8> to vector<16xi32>
// VNNI: vector.transfer_read %arg0{{.*}} : tensor<1x1x5x5x16xi8>, vector<4xi8>
// VNNI: vector.bitcast %{{.*}} : vector<4xi8> to vector<1xi32>
// VNNI: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xi32>, vector<16xi32>, vector<16xi32>) -> vector<16xi32>
// VNNI-NOT: vector.shuffle
// VNNI: vector.transfer_write %{{.*}} : vector<16xi32>, tensor<1x1x5x5x16xi32>
// PORTABLE-LABEL: func @blocked
// PORTABLE-NOT: llvm.call_intrinsic
// PORTABLE: arith.extui %{{.*}} : vector<64xi8> to vector<64xi32>
// PORTABLE: arith.extsi %{{.*}} : vector<64xi8> to vector<64xi32>
// PORTABLE: %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<64xi32>
// PORTABLE: vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi32>, vector<64xi32>
// PORTABLE: arith.addi
// PORTABLE-COUNT-3: vector.shuffle %[[P]], %[[P]]
func.func @blocked(%x: tensor<1x1x5x5x16xi8>, %w: tensor<1x1x3x3x4x64xi8>) -> tensor<1x1x5x5x16xi32> {
  %0 = dlc.conv_integer_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x5x5x16xi8>, tensor<1x1x3x3x4x64xi8>) -> tensor<1x1x5x5x16xi32>
  return %0 : tensor<1x1x5x5x16xi32>
}

// -----

// 12 output lanes: no vpdpbusd has them, so even for VNNI the dot is
// widened.
// VNNI-LABEL: func @twelve_lanes
// VNNI-NOT: llvm.call_intrinsic
// VNNI: vector.shuffle %{{.*}}, %{{.*}} [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44] : vector<48xi32>, vector<48xi32>
func.func @twelve_lanes(%x: tensor<1x1x4x4x16xi8>, %w: tensor<1x1x1x1x4x48xi8>) -> tensor<1x1x4x4x12xi32> {
  %0 = dlc.conv_integer_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4x16xi8>, tensor<1x1x1x1x4x48xi8>) -> tensor<1x1x4x4x12xi32>
  return %0 : tensor<1x1x4x4x12xi32>
}

// -----

// A fused epilogue that changes the element type (i32 sums -> scaled f32
// -> the next layer's bytes) runs on the accumulators: the kernel stores
// bytes.
// VNNI-LABEL: func @requantized
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// VNNI: arith.mulf
// VNNI: arith.fptosi %{{.*}} : vector<16xf32> to vector<16xi32>
// VNNI: arith.trunci %{{.*}} : vector<16xi32> to vector<16xi8>
// VNNI: vector.transfer_write %{{.*}} : vector<16xi8>, tensor<1x1x4x4x16xi8>
// VNNI-NOT: linalg.generic
func.func @requantized(%x: tensor<1x1x4x4x16xi8>, %w: tensor<1x1x1x1x4x64xi8>, %s: tensor<1x1x1x1x16xf32>) -> tensor<1x1x4x4x16xi8> {
  %0 = dlc.fused %x, %w, %s : (tensor<1x1x4x4x16xi8>, tensor<1x1x1x1x4x64xi8>, tensor<1x1x1x1x16xf32>) -> tensor<1x1x4x4x16xi8> {
  ^bb0(%a: tensor<1x1x4x4x16xi8>, %f: tensor<1x1x1x1x4x64xi8>, %t: tensor<1x1x1x1x16xf32>):
    %1 = dlc.conv_integer_blocked %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x4x4x16xi8>, tensor<1x1x1x1x4x64xi8>) -> tensor<1x1x4x4x16xi32>
    %2 = dlc.cast %1 : tensor<1x1x4x4x16xi32> to tensor<1x1x4x4x16xf32>
    %3 = dlc.mul %2, %t : (tensor<1x1x4x4x16xf32>, tensor<1x1x1x1x16xf32>) -> tensor<1x1x4x4x16xf32>
    %4 = dlc.cast %3 : tensor<1x1x4x4x16xf32> to tensor<1x1x4x4x16xi32>
    %5 = dlc.cast %4 : tensor<1x1x4x4x16xi32> to tensor<1x1x4x4x16xi8>
    dlc.yield %5 : tensor<1x1x4x4x16xi8>
  }
  return %0 : tensor<1x1x4x4x16xi8>
}

// -----

// Signed i16 words (AVX2's): sign-extended in the loops; in the
// micro-kernel 2 channels a step, one vpmaddwd of a pixel's 2 words
// (broadcast as one i32) against the filter's 16 words of 8 lanes, then an
// add. Without vpmaddwd (portable) the words are widened and summed by 2.
// LOOPS-LABEL: func @words
// VNNI-LABEL: func @words
// LOOPS: arith.select %{{.*}}, %{{.*}}, %c0_i16 : i16
// LOOPS: arith.extsi %{{.*}} : i16 to i32
// LOOPS: arith.extsi %{{.*}} : i8 to i32
// LOOPS-LABEL: func @words_blocked
// LOOPS: tensor.expand_shape %arg1 {{\[\[}}0], [1], [2], [3], [4], [5, 6]] output_shape [1, 1, 3, 3, 4, 8, 2]
// LOOPS: arith.extsi %{{.*}} : i16 to i32
// LOOPS: arith.extsi %{{.*}} : i16 to i32
// AVX2-LABEL: func @words_blocked
// AVX2: vector.transfer_read %arg1{{.*}} : tensor<1x1x3x3x4x16xi16>, vector<16xi16>
// AVX2: vector.transfer_read %arg0{{.*}} : tensor<1x1x5x5x8xi16>, vector<2xi16>
// AVX2: vector.bitcast %{{.*}} : vector<2xi16> to vector<1xi32>
// AVX2: vector.broadcast %{{.*}} : i32 to vector<8xi32>
// AVX2: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: arith.addi %{{.*}}, %[[P]] : vector<8xi32>
// AVX2-NOT: vector.shuffle
// AVX2: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x5x5x8xi32>
// PORTABLE-LABEL: func @words_blocked
// PORTABLE-NOT: llvm.call_intrinsic
// PORTABLE: arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// PORTABLE: arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// PORTABLE: %[[P:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<16xi32>
// PORTABLE: vector.shuffle %[[P]], %[[P]] [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi32>, vector<16xi32>
// PORTABLE: vector.shuffle %[[P]], %[[P]] [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi32>, vector<16xi32>
func.func @words(%x: tensor<1x4x5x5xi16>, %w: tensor<8x4x3x3xi8>) -> tensor<1x8x5x5xi32> {
  %0 = dlc.conv_integer %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x5x5xi16>, tensor<8x4x3x3xi8>) -> tensor<1x8x5x5xi32>
  return %0 : tensor<1x8x5x5xi32>
}
func.func @words_blocked(%x: tensor<1x1x5x5x8xi16>, %w: tensor<1x1x3x3x4x16xi16>) -> tensor<1x1x5x5x8xi32> {
  %0 = dlc.conv_integer_blocked %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x1x5x5x8xi16>, tensor<1x1x3x3x4x16xi16>) -> tensor<1x1x5x5x8xi32>
  return %0 : tensor<1x1x5x5x8xi32>
}
