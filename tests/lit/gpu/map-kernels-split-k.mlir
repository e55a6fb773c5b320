// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels="sm-count=1" | FileCheck %s --check-prefix=ONE-SM
// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels="sm-count=0" | FileCheck %s --check-prefix=NO-SPLIT
// Split-K: a tiled contraction with fewer 64 x 64 output tiles than two per
// multiprocessor (sm-count, 132 by default) has its K split across blocks;
// a second kernel adds the partial sums up, then the start value and the
// epilogue.

// One output tile and K = 4096 (256 steps of 16): 32 splits (the most) of
// 128; each block runs its range of K and stores its partials; the second
// kernel sums the 32 partials of its output, adds the fill's value, applies
// relu and stores once. With one SM: 2 splits of 2048. With sm-count=0: one
// kernel over all of K.
// CHECK-LABEL: func @few_tiles
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<32x1x64x64xf32>
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c32{{.*}}) threads
// CHECK: %[[SPLIT:.*]] = arith.divui %[[BZ]], %c1
// CHECK: %[[BEGIN:.*]] = arith.muli %[[SPLIT]], %c128
// CHECK: %[[NEXT:.*]] = arith.addi %[[BEGIN]], %c128
// CHECK: %[[END:.*]] = arith.minui %[[NEXT]], %c4096
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c16
// CHECK-COUNT-16: math.fma
// CHECK-NOT: arith.maximumf
// CHECK-COUNT-16: memref.store %{{.*}}, %[[PARTIALS]][%[[SPLIT]],
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c256
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step %c1{{.*}} iter_args
// CHECK: memref.load %[[PARTIALS]]
// CHECK: %[[TOTAL:.*]] = arith.addf %cst, %[[SUM]]
// CHECK: %[[RELU:.*]] = arith.maximumf %[[TOTAL]]
// CHECK: memref.store %[[RELU]], %arg2
// CHECK: memref.dealloc %[[PARTIALS]]
// ONE-SM-LABEL: func @few_tiles
// ONE-SM: memref.alloc() : memref<2x1x64x64xf32>
// ONE-SM: arith.muli %{{.*}}, %c2048
// NO-SPLIT-LABEL: func @few_tiles
// NO-SPLIT-NOT: memref.alloc
// NO-SPLIT: scf.for %{{.*}} = %c0{{.*}} to %c4096{{.*}} step %c16
// NO-SPLIT-NOT: gpu.launch
// NO-SPLIT: return
func.func @few_tiles(%a: memref<64x4096xf32>, %b: memref<4096x64xf32>, %c: memref<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64x64xf32>)
  linalg.matmul ins(%a, %b : memref<64x4096xf32>, memref<4096x64xf32>)
                outs(%c : memref<64x64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      outs(%c : memref<64x64xf32>) {
  ^bb0(%y: f32):
    %r = arith.maximumf %y, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// K = 4100 (257 steps) over 29 splits of 9 steps (none empty); no fill: the
// second kernel starts from what the output holds. A batch of 3: the grid's
// z is split x batch.
// CHECK-LABEL: func @uneven_k_batched
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<29x3x64x64xf32>
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c87{{.*}})
// CHECK: %[[SPLIT:.*]] = arith.divui %[[BZ]], %c3
// CHECK: %[[BATCH:.*]] = arith.remui %[[BZ]], %c3
// CHECK: arith.muli %[[SPLIT]], %c144
// CHECK: arith.minui %{{.*}}, %c4100
// CHECK: memref.store %{{.*}}, %[[PARTIALS]][%[[SPLIT]], %[[BATCH]],
// CHECK: gpu.launch
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c29
// CHECK: %[[START:.*]] = memref.load %arg2
// CHECK: arith.addf %[[START]],
// CHECK: memref.store
// CHECK: memref.dealloc %[[PARTIALS]]
func.func @uneven_k_batched(%a: memref<3x64x4100xf32>, %b: memref<3x4100x64xf32>,
                            %c: memref<3x64x64xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<3x64x4100xf32>, memref<3x4100x64xf32>)
                      outs(%c : memref<3x64x64xf32>)
  return
}

// -----

// Enough tiles (20 x 20 = 400 >= 2 x 132): no split.
// CHECK-LABEL: func @many_tiles
// CHECK-NOT: memref.alloc
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c1024{{.*}} step %c16
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @many_tiles(%a: memref<1280x1024xf32>, %b: memref<1024x1280xf32>,
                      %c: memref<1280x1280xf32>) {
  linalg.matmul ins(%a, %b : memref<1280x1024xf32>, memref<1024x1280xf32>)
                outs(%c : memref<1280x1280xf32>)
  return
}

// -----

// K too short to split (64 = 4 steps, fewer than 2 x 8): one kernel.
// CHECK-LABEL: func @short_k
// CHECK-NOT: memref.alloc
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c64{{.*}} step %c16
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @short_k(%a: memref<64x64xf32>, %b: memref<64x64xf32>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x64xf32>)
                outs(%c : memref<64x64xf32>)
  return
}

// -----

// A one-thread-per-output kernel with few outputs and a long sum (a batch-1
// classifier: 1000 outputs, K = 2048, below M = 32 of the tiled kernel):
// its reduction loop is split across the grid's y, 64 ranges of 32 (1000 x
// 64 threads fill 132 SMs), each partial starting from -0.0, the identity
// of the sum; a second kernel adds the 64 partials to the fill's value,
// applies the bias and stores.
// CHECK-LABEL: func @gemv
// CHECK: %[[FILL:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<64x1000xf32>
// CHECK: gpu.launch blocks(%{{.*}}, %[[BY:.*]], %{{.*}}) in (%{{.*}} = %c4{{.*}}, %{{.*}} = %c64{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK: %[[ID:.*]] = arith.addi
// CHECK: %[[IDENTITY:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: %[[BEGIN:.*]] = arith.muli %[[BY]], %c32
// CHECK: %[[NEXT:.*]] = arith.addi %[[BEGIN]], %c32
// CHECK: %[[END:.*]] = arith.minui %[[NEXT]], %c2048
// CHECK: %[[PARTIAL:.*]] = scf.for %{{.*}} = %[[BEGIN]] to %[[END]] step %c1{{.*}} iter_args(%{{.*}} = %[[IDENTITY]])
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store %[[PARTIAL]], %[[PARTIALS]][%[[BY]], %[[ID]]]
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c4{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0{{.*}} to %c64{{.*}} step %c1{{.*}} iter_args(%[[SOFAR:.*]] = %[[FILL]])
// CHECK: %[[P:.*]] = memref.load %[[PARTIALS]]
// CHECK: arith.addf %[[SOFAR]], %[[P]]
// CHECK: %[[BIAS:.*]] = memref.load %arg2
// CHECK: %[[OUT:.*]] = arith.addf %[[SUM]], %[[BIAS]]
// CHECK: memref.store %[[OUT]], %arg3
// CHECK: memref.dealloc %[[PARTIALS]]
// NO-SPLIT-LABEL: func @gemv
// NO-SPLIT-NOT: memref.alloc
// NO-SPLIT: scf.for %{{.*}} = %c0{{.*}} to %c2048
func.func @gemv(%x: memref<1x2048xf32>, %w: memref<2048x1000xf32>, %bias: memref<1000xf32>,
                %y: memref<1x1000xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x1000xf32>)
  linalg.matmul ins(%x, %w : memref<1x2048xf32>, memref<2048x1000xf32>)
                outs(%y : memref<1x1000xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<1000xf32>) outs(%y : memref<1x1000xf32>) {
  ^bb0(%b: f32, %v: f32):
    %s = arith.addf %v, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row max with no fill (the output's values are the start) and the
// accumulator second: partials start from -inf; the second kernel starts
// from the loaded output and keeps the payload's operand order. 128 rows of
// 768: 24 splits of 32.
// CHECK-LABEL: func @row_max
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<24x128xf32>
// CHECK: gpu.launch
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %{{.*}}, %[[PARTIALS]]
// CHECK: gpu.launch
// CHECK: %[[START:.*]] = memref.load %arg1
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c24{{.*}} step %c1{{.*}} iter_args(%[[SOFAR:.*]] = %[[START]])
// CHECK: %[[P:.*]] = memref.load %[[PARTIALS]]
// CHECK: arith.maximumf %[[P]], %[[SOFAR]] : f32
// CHECK: memref.dealloc %[[PARTIALS]]
func.func @row_max(%x: memref<128x768xf32>, %y: memref<128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<128x768xf32>) outs(%y : memref<128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.maximumf %a, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left alone: a payload that is not combiner(acc, f(x)) (the accumulator is
// scaled: partial results would not combine), and a reduction whose outputs
// already fill the GPU (132 x 512 = 67584 <= 70000).
// CHECK-LABEL: func @not_a_combiner
// CHECK-NOT: memref.alloc
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c768
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @not_a_combiner(%x: memref<128x768xf32>, %y: memref<128xf32>) {
  %half = arith.constant 0.5 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<128x768xf32>) outs(%y : memref<128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %h = arith.mulf %acc, %half : f32
    %s = arith.addf %h, %a : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func @enough_outputs
// CHECK-NOT: memref.alloc
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c64
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @enough_outputs(%x: memref<70000x64xf32>, %y: memref<70000xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<70000x64xf32>) outs(%y : memref<70000xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}
