// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel="vector-width=4 mr=2 kc=4 mc=4 min-flops=0" -canonicalize | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-matmul-microkernel | FileCheck %s --check-prefix=DEFAULT
// The packed matmul: B in kc x nr panels (nr = 2 lanes), A in mr x kc
// panels, an mr x nr register tile updated by broadcast-FMAs; edges padded in
// the panels, masked (columns) or skipped (rows) when C is updated.

// 7x5 * 5x9: two B panels of 8 columns (the 9th column pads the second), K
// in blocks of 4, M in blocks of 4 rows.
// CHECK-LABEL: func @odd_sizes
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
// CHECK-NOT: dlc.parallel
// CHECK: memref.dealloc %[[PA]]
// CHECK: memref.dealloc %[[PB]]
func.func @odd_sizes(%a: memref<7x5xf32>, %b: memref<5x9xf32>, %c: memref<7x9xf32>) {
  linalg.matmul ins(%a, %b : memref<7x5xf32>, memref<5x9xf32>) outs(%c : memref<7x9xf32>)
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

// Left alone by default: too small to pay for packing, one row (a GEMV),
// f64, tensors (not bufferized yet).
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
