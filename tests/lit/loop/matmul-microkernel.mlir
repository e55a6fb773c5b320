// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="vector-width=4 mr=2 kc=4 mc=4 min-flops=0" -canonicalize --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel | FileCheck %s --check-prefix=DEFAULT
// The packed matmul: B in kc x nr panels (nr = 2 lanes) in panel order
// [N / nr][K / kc][kc][nr], an mr x nr register tile updated by
// broadcast-FMAs; edges padded in the panels, masked (columns) or skipped
// (rows) when C is updated.

// 7x5 * 5x9 with B known at run time: B is packed first, by one loop over
// its two panels of 8 columns (the 9th column pads the second; K in blocks
// of 4, row 5 onward zeros), then one loop over (M block, panel) pairs runs
// the tiles, A read in place (see @constant_weight for the loop nest).
// CHECK-LABEL: func @odd_sizes
// CHECK: %[[PB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x2x4x8xf32>
// CHECK: scf.for %[[JR:.*]] = %c0 to %c2 step %c1 {
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c8 step %c1 {
// CHECK: %[[KB:.*]] = arith.divui %[[ROW]], %c4
// CHECK: %[[P:.*]] = arith.remui %[[ROW]], %c4
// CHECK: %[[INSIDE:.*]] = arith.cmpi slt, %[[ROW]], %c5
// CHECK: %[[DATA:.*]] = vector.transfer_read %arg1{{.*}} : memref<5x9xf32>, vector<4xf32>
// CHECK: %[[ZEROED:.*]] = arith.select %[[INSIDE]], %[[DATA]]
// CHECK: vector.store %[[ZEROED]], %[[PB]][%[[JR]], %[[KB]], %[[P]], %c0]
// CHECK: vector.store %{{.*}}, %[[PB]][%[[JR]], %[[KB]], %[[P]], %c4]
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1 {
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK-COUNT-2: vector.load %[[PB]]
// CHECK: memref.load %arg0
// CHECK-COUNT-2: vector.fma
// CHECK: memref.load %arg0
// CHECK-COUNT-2: vector.fma
// CHECK: vector.transfer_read %arg2
// CHECK: arith.addf
// CHECK: vector.transfer_write {{.*}}, %arg2
// CHECK-NOT: linalg.matmul
// CHECK-NOT: dlc.parallel
// CHECK: memref.dealloc %[[PB]]
func.func @odd_sizes(%a: memref<7x5xf32>, %b: memref<5x9xf32>, %c: memref<7x9xf32>) {
  linalg.matmul ins(%a, %b : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}

// -----

// An A of another layout (a strided view) cannot cross into an outlined
// parallel loop: the BLIS loop nest then packs B per kc block and A per mc
// x kc block (both zero-padded) before the tiles.
// CHECK-LABEL: func @strided_operand
// CHECK-DAG: %[[PB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4x8xf32>
// CHECK-DAG: %[[PA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4x2xf32>
// CHECK: scf.for %[[PC:.*]] = %c0 to %c5 step %c4
// CHECK: vector.transfer_read %arg1{{.*}} : memref<5x9xf32>, vector<4xf32>
// CHECK: vector.store {{.*}}, %[[PB]]
// CHECK: scf.for %[[IC:.*]] = %c0 to %c7 step %c4
// CHECK: %[[A:.*]] = memref.load %arg0
// CHECK: arith.select %{{.*}}, %[[A]], %cst
// CHECK: memref.store {{.*}}, %[[PA]]
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK-COUNT-2: vector.load %[[PB]]
// CHECK: %[[A0:.*]] = memref.load %[[PA]]
// CHECK: %[[B0:.*]] = vector.broadcast %[[A0]] : f32 to vector<4xf32>
// CHECK-COUNT-2: vector.fma %[[B0]]
// CHECK: vector.broadcast
// CHECK-COUNT-2: vector.fma
// CHECK: scf.yield
// CHECK: scf.if
// CHECK: vector.transfer_read %arg2
// CHECK: arith.addf
// CHECK: vector.transfer_write {{.*}}, %arg2
// CHECK-NOT: linalg.matmul
// CHECK: memref.dealloc %[[PA]]
// CHECK: memref.dealloc %[[PB]]
func.func @strided_operand(%a: memref<7x5xf32, strided<[8, 1]>>, %b: memref<5x9xf32>, %c: memref<7x9xf32>) {
  linalg.matmul ins(%a, %b : memref<7x5xf32, strided<[8, 1]>>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}

// -----

// Defaults (AVX-512: 16 lanes, a 12 x 32 tile, 24 accumulators).
// DEFAULT-LABEL: func @avx512_tile
// DEFAULT: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// DEFAULT-COUNT-24: vector.fma
// The column-panel loop is shared by the threads (64^3 multiply-adds):
// DEFAULT: } {dlc.parallel}
func.func @avx512_tile(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// Left alone by default: too small to pay for packing, one row (a GEMV)
// by a B known only at run time, f64, tensors (not bufferized yet).
// DEFAULT-LABEL: func @left_alone
// DEFAULT-COUNT-3: linalg.matmul ins
// DEFAULT-NOT: vector.fma
// DEFAULT: linalg.matmul ins
func.func @left_alone(%a: memref<8x8xf32>, %b: memref<8x8xf32>, %c: memref<8x8xf32>,
                      %r: memref<1x512xf32>, %w: memref<512x512xf32>, %o: memref<1x512xf32>,
                      %d: memref<64x64xf64>, %t: tensor<64x64xf32>) -> tensor<64x64xf32> {
  linalg.matmul ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  linalg.matmul ins(%r, %w : memref<1x512xf32>, memref<512x512xf32>) outs(%o : memref<1x512xf32>)
  linalg.matmul ins(%d, %d : memref<64x64xf64>, memref<64x64xf64>) outs(%d : memref<64x64xf64>)
  %0 = linalg.matmul ins(%t, %t : tensor<64x64xf32>, tensor<64x64xf32>) outs(%t : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// A constant B is packed at compile time: a new global in panel order
// [N / nr][K / kc][kc][nr] (here 5x9 -> 2 panels of 8 columns, each in 2 K
// blocks of 4 rows, zero-padded), read in place by the kernel; the unpacked
// weight is dropped. Rows 0-3 of B are 0..8, 9..17, 18..26, 27..35; row 4 is
// 36..44.
// CHECK-LABEL: memref.global "private" constant @weight_packed : memref<2x2x4x8xf32> = dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00], [9.000000e+00
// CHECK-SAME: {{\]\], \[\[}}3.600000e+01, 3.700000e+01
// CHECK-SAME: {{\]\]\], \[\[\[}}8.000000e+00, 0.000000e+00
// CHECK-NOT: memref.global "private" constant @weight :
// A is not packed: one parallel loop over (M block, column panel) pairs
// (2 x 2 here), K blocks inside it, then whole tiles of mr = 2 rows reading
// A in place, and the one row left (7 = 3 * 2 + 1) in a tile of its own.
// Whole tiles prefetch the next panel ((jr, kb + 1), or (jr + 1, 0), capped
// at the last), spread over the k steps of the first 2 tiles.
// CHECK-LABEL: func @constant_weight
// CHECK-NOT: memref.alloc
// CHECK: %[[W:.*]] = memref.get_global @weight_packed : memref<2x2x4x8xf32>
// CHECK: scf.for %[[T:.*]] = %c0 to %c4 step %c1 {
// CHECK: %[[JR:.*]] = arith.remui %[[T]], %c2
// CHECK: scf.for %[[PC:.*]] = %c0 to %c5 step %c4
// CHECK: %[[KB:.*]] = arith.divui %[[PC]], %c4
// CHECK: %[[NEXT:.*]] = arith.minsi %{{.*}}, %c3
// CHECK: %[[NJR:.*]] = arith.divui %[[NEXT]], %c2
// CHECK: %[[NKB:.*]] = arith.remui %[[NEXT]], %c2
// CHECK: scf.for %[[IR:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK: scf.for %[[P:.*]] = %c0 to %{{.*}} step %c1 iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: %[[DONE:.*]] = arith.muli %[[IR]], %{{.*}}
// CHECK: %[[STEP:.*]] = arith.addi %[[DONE]], %[[P]]
// CHECK: %[[HALF:.*]] = arith.shrui %[[STEP]], %c1
// CHECK: %[[ROW:.*]] = arith.minsi %[[HALF]], %c3
// CHECK: memref.prefetch %[[W]][%[[NJR]], %[[NKB]], %[[ROW]], %c0], read, locality<2>, data
// CHECK: vector.load %[[W]][%[[JR]], %[[KB]], %[[P]], %c0] : memref<2x2x4x8xf32>, vector<4xf32>
// CHECK: vector.load %[[W]][%[[JR]], %[[KB]], %[[P]], %c4] : memref<2x2x4x8xf32>, vector<4xf32>
// CHECK: memref.load %arg0
// CHECK-COUNT-2: vector.fma
// CHECK: memref.load %arg0
// CHECK-COUNT-2: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-4: arith.addf
// CHECK: scf.if
// CHECK: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>)
// CHECK-NOT: memref.prefetch
// CHECK: memref.load %arg0[%c6,
// CHECK: vector.transfer_write {{.*}}, %arg1[%c6,
// Too small (7 * 9 * 5) to share among threads:
// CHECK-NOT: dlc.parallel
// CHECK: return
memref.global "private" constant @weight : memref<5x9xf32> = dense<[
  [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
  [9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0],
  [18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0],
  [27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0],
  [36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0]]>
func.func @constant_weight(%a: memref<7x5xf32>, %c: memref<7x9xf32>) {
  %w = memref.get_global @weight : memref<5x9xf32>
  linalg.matmul ins(%a, %w : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}

// -----

// A zero fill of C just before the product (constants and get_global in
// between) is folded into it: the first K block writes the tiles, the others
// add to them. A fill that is not zero, or one with a write to C in between,
// stays and the kernel adds to C from the first block.
// CHECK-LABEL: func @zero_fill_folded
// CHECK-NOT: linalg.fill
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[PC:.*]], %c0
// CHECK: %[[SUMS:.*]]:4 = scf.for
// CHECK: scf.if %[[FIRST]] -> (vector<4xf32>) {
// CHECK-NEXT: scf.yield %[[SUMS]]#0
// CHECK-NEXT: } else {
// CHECK-NEXT: vector.transfer_read %arg1
// CHECK-NEXT: arith.addf
// CHECK: vector.transfer_write
// CHECK-LABEL: func @fills_kept
// CHECK: linalg.fill ins(%cst{{.*}} : f32) outs(%arg1
// CHECK: linalg.fill ins(%cst{{.*}} : f32) outs(%arg2
// CHECK: memref.store
// CHECK-NOT: linalg.fill
// CHECK-NOT: arith.cmpi eq
memref.global "private" constant @weight2 : memref<5x9xf32> = dense<0.25>
func.func @zero_fill_folded(%a: memref<7x5xf32>, %c: memref<7x9xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<7x9xf32>)
  %w = memref.get_global @weight2 : memref<5x9xf32>
  linalg.matmul ins(%a, %w : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}
func.func @fills_kept(%a: memref<7x5xf32>, %c: memref<7x9xf32>, %d: memref<7x9xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @weight2 : memref<5x9xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<7x9xf32>)
  linalg.matmul ins(%a, %w : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<7x9xf32>)
  %i = arith.constant 3 : index
  memref.store %one, %d[%i, %i] : memref<7x9xf32>
  linalg.matmul ins(%a, %w : memref<7x5xf32>, memref<5x9xf32>) outs(%d : memref<7x9xf32>)
  return
}

// -----

// A weight that is not constant (a mutable global) is packed at run time.
// CHECK-LABEL: func @mutable_weight
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x2x4x8xf32>
// CHECK: vector.transfer_read %{{.*}} : memref<5x9xf32>, vector<4xf32>
memref.global "private" @state : memref<5x9xf32> = dense<1.0>
func.func @mutable_weight(%a: memref<7x5xf32>, %c: memref<7x9xf32>) {
  %w = memref.get_global @state : memref<5x9xf32>
  linalg.matmul ins(%a, %w : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
  return
}

// -----

// A batched product (the generic convert-dlc-to-linalg makes) runs the
// kernel once per batch index on 2-d views; the batch loop of more than one
// iteration is the parallel one, not the column panels.
#a = affine_map<(b0, b1, m, n, k) -> (b0, b1, m, k)>
#b = affine_map<(b0, b1, m, n, k) -> (b0, b1, k, n)>
#c = affine_map<(b0, b1, m, n, k) -> (b0, b1, m, n)>
// DEFAULT-LABEL: func @batched
// DEFAULT: scf.for %[[B0:.*]] = %{{.*}} to %c1{{(_[0-9]+)?}} step
// DEFAULT: scf.for %[[B1:.*]] = %{{.*}} to %c12{{(_[0-9]+)?}} step
// DEFAULT: memref.subview %arg0[%[[B0]], %[[B1]], 0, 0] [1, 1, 128, 64] [1, 1, 1, 1] : memref<1x12x128x64xf32> to memref<128x64xf32, strided<[64, 1], offset: ?>>
// DEFAULT: memref.subview %arg1[%[[B0]], %[[B1]], 0, 0] [1, 1, 64, 128]
// DEFAULT: memref.subview %arg2[%[[B0]], %[[B1]], 0, 0] [1, 1, 128, 128]
// DEFAULT-COUNT-24: vector.fma
// DEFAULT-NOT: dlc.parallel
// DEFAULT: } {dlc.parallel}
// DEFAULT-NEXT: } 
// DEFAULT-NOT: linalg.generic
func.func @batched(%q: memref<1x12x128x64xf32>, %k: memref<1x12x64x128xf32>, %s: memref<1x12x128x128xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<1x12x128x64xf32>, memref<1x12x64x128xf32>) outs(%s : memref<1x12x128x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Generics that are not batched matmuls are left alone: a broadcast batch
// dim, a body that is not a multiply-accumulate.
#a = affine_map<(b, m, n, k) -> (b, m, k)>
#bb = affine_map<(b, m, n, k) -> (0, k, n)>
#b = affine_map<(b, m, n, k) -> (b, k, n)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>
// DEFAULT-LABEL: func @not_batched_matmuls
// DEFAULT-NOT: vector.fma
// DEFAULT-COUNT-2: linalg.generic
func.func @not_batched_matmuls(%x: memref<4x64x64xf32>, %y: memref<1x64x64xf32>, %z: memref<4x64x64xf32>) {
  linalg.generic {indexing_maps = [#a, #bb, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %y : memref<4x64x64xf32>, memref<1x64x64xf32>) outs(%z : memref<4x64x64xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %p = arith.mulf %u, %v : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %x : memref<4x64x64xf32>, memref<4x64x64xf32>) outs(%z : memref<4x64x64xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %p = arith.mulf %u, %v : f32
    %r = arith.maximumf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// One row by a constant B (a classifier's Gemm at batch 1): B is packed at
// compile time and streamed by a tile of that one row (1 x 32, two
// accumulators), its column panels shared by the threads.
// DEFAULT-LABEL: func @gemv_constant_weight
// DEFAULT: memref.get_global @classifier_packed : memref<16x2x256x32xf32>
// DEFAULT: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>)
// DEFAULT-COUNT-2: vector.fma
// DEFAULT: } {dlc.parallel}
// DEFAULT-NOT: linalg.matmul
memref.global "private" constant @classifier : memref<512x512xf32> = dense<0.5>
func.func @gemv_constant_weight(%r: memref<1x512xf32>, %o: memref<1x512xf32>) {
  %w = memref.get_global @classifier : memref<512x512xf32>
  linalg.matmul ins(%r, %w : memref<1x512xf32>, memref<512x512xf32>) outs(%o : memref<1x512xf32>)
  return
}
