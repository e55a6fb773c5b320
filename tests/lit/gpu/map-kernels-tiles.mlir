// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels="sm-count=0" | FileCheck %s --check-prefix=UNKNOWN
// The tile of a contraction: 128 x 128 (8 x 8 sums a thread) when there
// are enough such tiles to give every multiprocessor two (sm-count 132:
// 264), else 64 x 64 (4 x 4). The large tile reads the next K step's tiles
// into registers (an scf.if on there being one) before computing on the
// staged ones, and stores them after a barrier.

// 4096 x 4096 x 4096: 32 x 32 = 1024 large tiles.
// CHECK-LABEL: func @large
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c32{{.*}}, %{{.*}} = %c32{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[A:.*]] : memref<16x129xf32, #gpu.address_space<workgroup>>, %[[B:.*]] : memref<16x128xf32, #gpu.address_space<workgroup>>)
// The first K step's tiles: 8 elements of A and 8 of B a thread.
// CHECK-COUNT-8: memref.store %{{.*}}, %[[A]]
// CHECK-COUNT-8: memref.store %{{.*}}, %[[B]]
// CHECK: gpu.barrier
// CHECK: %[[SUMS:.*]]:64 = scf.for %[[K:.*]] = %c0{{.*}} to %c4096{{.*}} step %c16
// CHECK: %[[NEXT:.*]] = arith.addi %[[K]], %c16
// CHECK: %[[HAS:.*]] = arith.cmpi ult, %[[NEXT]], %c4096
// CHECK: %[[PREFETCHED:.*]]:16 = scf.if %[[HAS]]
// CHECK-COUNT-16: memref.load %arg
// CHECK: } else {
// CHECK: scf.for
// CHECK-COUNT-64: math.fma
// CHECK: gpu.barrier
// CHECK: memref.store %[[PREFETCHED]]#0, %[[A]]
// CHECK: memref.store %[[PREFETCHED]]#8, %[[B]]
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK-COUNT-64: memref.store %{{.*}}, %arg2
// UNKNOWN-LABEL: func @large
// UNKNOWN: workgroup(%{{.*}} : memref<16x65xf32, #gpu.address_space<workgroup>>
// UNKNOWN-NOT: scf.if
// UNKNOWN-COUNT-16: math.fma
// UNKNOWN-NOT: math.fma
// UNKNOWN: return
func.func @large(%a: memref<4096x4096xf32>, %b: memref<4096x4096xf32>, %c: memref<4096x4096xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4096x4096xf32>)
  linalg.matmul ins(%a, %b : memref<4096x4096xf32>, memref<4096x4096xf32>)
                outs(%c : memref<4096x4096xf32>)
  return
}

// -----

// 2048 x 2048 x 512: 16 x 16 = 256 large tiles, fewer than 264: the small
// tile (32 x 32 of them), staged and computed in turn, no prefetch.
// CHECK-LABEL: func @medium
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c32{{.*}}, %{{.*}} = %c32{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) workgroup(%[[A:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[B:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: scf.if
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c512{{.*}} step %c16
// CHECK-COUNT-4: memref.store %{{.*}}, %[[A]]
// CHECK-COUNT-4: memref.store %{{.*}}, %[[B]]
// CHECK: gpu.barrier
// CHECK-COUNT-16: math.fma
// CHECK-NOT: math.fma
// CHECK: gpu.barrier
func.func @medium(%a: memref<2048x512xf32>, %b: memref<512x2048xf32>, %c: memref<2048x2048xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<2048x2048xf32>)
  linalg.matmul ins(%a, %b : memref<2048x512xf32>, memref<512x2048xf32>)
                outs(%c : memref<2048x2048xf32>)
  return
}
