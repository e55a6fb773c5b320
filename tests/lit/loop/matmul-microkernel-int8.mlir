// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="mr=2 mc=4 min-flops=0 int8-dot=avx512-vnni" -canonicalize --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s --check-prefix=VNNI
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="mr=2 mc=4 min-flops=0 int8-dot=avx-vnni" -canonicalize | FileCheck %s --check-prefix=AVXVNNI
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="mr=2 mc=4 min-flops=0 int8-dot=avx2" -canonicalize --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s --check-prefix=AVX2
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="vector-width=4 mr=2 mc=4 min-flops=0 int8-dot=portable" -canonicalize | FileCheck %s --check-prefix=PORTABLE
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="mr=2 mc=4 min-flops=0 int8-dot=none" | FileCheck %s --check-prefix=NONE
// 8-bit products C[m, n] += ext(A[m, k]) * ext(B[k, n]) in i32 (what
// dlc.matmul_integer lowers to) on the integer dot product of each target.

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
memref.global "private" constant @w : memref<6x3xi8> = dense<[[1, -2, 3], [4, -5, 6], [7, -8, 9], [10, -11, 12], [13, -14, 15], [-128, 127, -1]]>

// u8 x s8 with a constant B: packed at compile time in groups of 4 along K
// for vpdpbusd (row q of a panel: column j's 4 bytes at 4j..4j+3; K = 6 pads
// with zeros), of 2 i16 for vpmaddwd, of 1 i32 for the portable kernel.
// A is packed whole along K per block of rows (mc = 4 here), byte by byte
// where groups cross K's end; each register tile sums all of K, then
// updates C once.
// VNNI-LABEL: memref.global "private" constant @w_packed : memref<1x1x2x128xi8> = dense<{{\[\[\[\[}}1, 4, 7, 10, -2, -5, -8, -11, 3, 6, 9, 12, 0,
// VNNI-SAME: [13, -128, 0, 0, -14, 127, 0, 0, 15, -1, 0, 0, 0,
// VNNI-NOT: @w :
// VNNI-LABEL: func @unsigned_by_signed
// VNNI: %[[B:.*]] = memref.get_global @w_packed
// VNNI: %[[PA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x2x8xi8>
// A's bytes, zero past M and K, extended by nothing:
// VNNI: memref.load %arg0
// VNNI-NOT: arith.ext
// VNNI: memref.store {{.*}}, %[[PA]]
// VNNI: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// VNNI: %[[P:.*]] = vector.load %[[B]]{{.*}} : memref<1x1x2x128xi8>, vector<64xi8>
// VNNI: %[[G:.*]] = vector.load %[[PA]]{{.*}} : memref<2x2x8xi8>, vector<4xi8>
// VNNI: %[[W:.*]] = vector.bitcast %[[G]] : vector<4xi8> to vector<1xi32>
// VNNI: %[[A:.*]] = vector.broadcast %[[W]] : vector<1xi32> to vector<16xi32>
// VNNI: %[[BW:.*]] = vector.bitcast %[[P]] : vector<64xi8> to vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[A]], %[[BW]])
// VNNI-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI: scf.if
// VNNI: vector.transfer_read %arg1{{.*}} : memref<5x3xi32>, vector<16xi32>
// VNNI: arith.addi
// VNNI: vector.transfer_write
// VNNI-NOT: linalg.generic
// VNNI: memref.dealloc %[[PA]]
// AVXVNNI-LABEL: func @unsigned_by_signed
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"({{.*}}) : (vector<8xi32>, vector<8xi32>, vector<8xi32>) -> vector<8xi32>
// AVX2-LABEL: memref.global "private" constant @w_packed : memref<1x1x3x32xi16> = dense<{{\[\[\[\[}}1, 4, -2, -5, 3, 6, 0,
// AVX2-LABEL: func @unsigned_by_signed
// AVX2: memref.alloc() {alignment = 64 : i64} : memref<2x3x4xi16>
// AVX2: vector.load %arg0{{.*}} : memref<5x6xi8>, vector<2xi8>
// AVX2: arith.extui {{.*}} : vector<2xi8> to vector<2xi16>
// AVX2: %[[P:.*]] = vector.load {{.*}} : memref<1x1x3x32xi16>, vector<16xi16>
// AVX2: %[[A:.*]] = vector.broadcast {{.*}} : vector<1xi32> to vector<8xi32>
// AVX2: %[[AP:.*]] = vector.bitcast %[[A]] : vector<8xi32> to vector<16xi16>
// AVX2: %[[S:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[AP]], %[[P]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: arith.addi %{{.*}}, %[[S]] : vector<8xi32>
// PORTABLE-LABEL: func @unsigned_by_signed
// PORTABLE: arith.extui {{.*}} : vector<1xi8> to vector<1xi32>
// PORTABLE: %[[A:.*]] = vector.broadcast {{.*}} : vector<1xi32> to vector<4xi32>
// PORTABLE: %[[M:.*]] = arith.muli %[[A]], %{{.*}} : vector<4xi32>
// PORTABLE: arith.addi %{{.*}}, %[[M]] : vector<4xi32>
// NONE-LABEL: func @unsigned_by_signed
// NONE: linalg.generic
func.func @unsigned_by_signed(%a: memref<5x6xi8>, %c: memref<5x3xi32>) {
  %b = memref.get_global @w : memref<6x3xi8>
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x6xi8>, memref<6x3xi8>) outs(%c : memref<5x3xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %y : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// s8 x s8 with B at run time: vpdpbusd takes unsigned A only, so VNNI
// targets widen both to i16 too (vpmaddwd); B is packed first, in the
// layout of a constant one. K = 6 is whole pairs: A packs pair by pair.
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// VNNI-LABEL: func @signed_at_run_time
// VNNI: %[[PB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x1x3x32xi16>
// VNNI: memref.load %arg1
// VNNI: arith.extsi {{.*}} : i8 to i16
// VNNI: memref.store {{.*}}, %[[PB]]
// VNNI: vector.load %arg0{{.*}} : memref<5x6xi8>, vector<2xi8>
// VNNI: arith.extsi {{.*}} : vector<2xi8> to vector<2xi16>
// VNNI-NOT: vpdpbusd
// VNNI: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// VNNI: memref.dealloc %[[PB]]
// NONE-LABEL: func @signed_at_run_time
// NONE: linalg.generic
func.func @signed_at_run_time(%a: memref<5x6xi8>, %b: memref<6x3xi8>, %c: memref<5x3xi32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x6xi8>, memref<6x3xi8>) outs(%c : memref<5x3xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extsi %y : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

// Left alone: a body that is not ext * ext + acc (here a plain i32 product)
// and products below min-flops.
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
// VNNI-LABEL: func @not_widened
// VNNI: linalg.generic
// VNNI-NOT: llvm.call_intrinsic
func.func @not_widened(%a: memref<5x6xi32>, %b: memref<6x3xi32>, %c: memref<5x3xi32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<5x6xi32>, memref<6x3xi32>) outs(%c : memref<5x3xi32>) {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %2 = arith.muli %x, %y : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
