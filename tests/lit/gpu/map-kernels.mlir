// RUN: dlc-opt %s -split-input-file -dlc-gpu-map-kernels="sm-count=0" | FileCheck %s
// Each kernel of a bufferized function becomes one gpu.launch: contractions
// (matmuls, convolutions) the shared-memory tiled kernel, other linalg ops
// one thread per output with the reduction in a register; a fill and an
// in-place epilogue join their anchor's kernel; nothing touches a buffer
// outside a kernel.

// A fused matmul + bias + relu with M and N not multiples of the 64 x 64
// tile: one tiled launch (16 x 16 threads, two shared tiles), guarded loads
// and stores, the bias added and relu applied before the one store.
// CHECK-LABEL: func @matmul_bias_relu
// CHECK-NOT: linalg.
// CHECK: gpu.launch blocks(%{{.*}}) in (%{{.*}} = %c2{{.*}}, %{{.*}} = %c2{{.*}}, %{{.*}} = %c1{{.*}}) threads(%{{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[AT:.*]] : memref<16x65xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step %c16{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: scf.if
// CHECK: memref.load %arg0
// CHECK: memref.store %{{.*}}, %[[AT]]
// CHECK: memref.store %{{.*}}, %[[BT]]
// CHECK: gpu.barrier
// CHECK-COUNT-16: math.fma
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: %[[SUM:.*]] = arith.addf %cst{{.*}}, %{{.*}} : f32
// CHECK: %[[BIAS:.*]] = memref.load %arg2
// CHECK: %[[ADD:.*]] = arith.addf %[[SUM]], %[[BIAS]]
// CHECK: %[[RELU:.*]] = arith.maximumf %[[ADD]]
// CHECK: memref.store %[[RELU]], %arg3
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: return
func.func @matmul_bias_relu(%a: memref<100x32xf32>, %b: memref<32x70xf32>,
                            %bias: memref<70xf32>, %c: memref<100x70xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<100x70xf32>)
  linalg.matmul ins(%a, %b : memref<100x32xf32>, memref<32x70xf32>)
                outs(%c : memref<100x70xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<70xf32>) outs(%c : memref<100x70xf32>) attrs = {dlc.fusion_root} {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %y, %x : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tiles that divide the shapes: no guards. A batched matmul takes the
// batch from the grid's z.
// CHECK-LABEL: func @batch_matmul
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c2{{.*}}, %{{.*}} = %c3{{.*}})
// CHECK-NOT: scf.if
// CHECK: memref.load %arg0[%[[BZ]],
// CHECK-NOT: scf.if
// CHECK: memref.load %arg2[%[[BZ]],
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2[%[[BZ]],
func.func @batch_matmul(%a: memref<3x128x16xf32>, %b: memref<3x16x64xf32>,
                        %c: memref<3x128x64xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<3x128x16xf32>, memref<3x16x64xf32>)
                      outs(%c : memref<3x128x64xf32>)
  return
}

// -----

// A reduction over the last dim (a row sum, from its fill): one thread per
// row, the sum in an scf.for iter_arg that starts at the fill's value and
// is stored once; rows are split 256 a block, the last block guarded.
// CHECK-LABEL: func @row_sum
// CHECK: %[[INIT:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c2{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c256{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK: %[[ID:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK: arith.cmpi ult, %[[ID]], %c300
// CHECK: scf.if
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = %c0{{.*}} to %c50{{.*}} step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK: memref.load %arg0[%[[ID]], %{{.*}}]
// CHECK: arith.addf
// CHECK: memref.store %[[SUM]], %arg1[%[[ID]]]
func.func @row_sum(%x: memref<300x50xf32>, %y: memref<300xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<300xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<300x50xf32>) outs(%y : memref<300xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A transpose: one thread per output element, the output's last dim
// fastest (coalesced stores); the input is read through the permutation.
// CHECK-LABEL: func @transpose
// CHECK: gpu.launch
// CHECK: %[[COL:.*]] = arith.remui %{{.*}}, %c8
// CHECK: %[[ROW:.*]] = arith.divui %{{.*}}, %c8
// CHECK: memref.load %arg0[%[[COL]], %[[ROW]]]
// CHECK: memref.store %{{.*}}, %arg1[%[[ROW]], %[[COL]]]
func.func @transpose(%x: memref<8x4xf32>, %y: memref<4x8xf32>) {
  linalg.transpose ins(%x : memref<8x4xf32>) outs(%y : memref<4x8xf32>) permutation = [1, 0]
  return
}

// -----

// An epilogue that reads the anchor's own output through another operand
// would read other threads' results: it stays a kernel of its own.
// CHECK-LABEL: func @not_an_epilogue
// CHECK-COUNT-2: gpu.launch
// CHECK-NOT: gpu.launch
func.func @not_an_epilogue(%x: memref<4x4xf32>, %y: memref<4x4xf32>) {
  linalg.copy ins(%x : memref<4x4xf32>) outs(%y : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<4x4xf32>) outs(%y : memref<4x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// What is not a linalg op with outputs indexed by its parallel loops runs
// in a one-thread kernel: here a loop nest lowered by hand.
// CHECK-LABEL: func @hand_written_loop
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK-NEXT: scf.for
// CHECK: gpu.terminator
func.func @hand_written_loop(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %i = %c1 to %c3 step %c1 {
    %p = arith.subi %i, %c1 : index
    %v = memref.load %x[%p] : memref<4xf32>
    memref.store %v, %x[%i] : memref<4xf32>
  }
  return
}

// -----

// A kernel gets bare pointers: a strided view it uses is rebuilt inside it
// from the contiguous buffer.
// CHECK-LABEL: func @strided_view
// CHECK: gpu.launch
// CHECK-NEXT: %[[VIEW:.*]] = memref.subview %arg0[0, 2] [4, 2] [1, 1]
// CHECK: memref.load %[[VIEW]]
func.func @strided_view(%x: memref<4x4xf32>, %y: memref<4x2xf32>) {
  %s = memref.subview %x[0, 2] [4, 2] [1, 1] : memref<4x4xf32> to memref<4x2xf32, strided<[4, 1], offset: 2>>
  linalg.copy ins(%s : memref<4x2xf32, strided<[4, 1], offset: 2>>) outs(%y : memref<4x2xf32>)
  return
}

// -----

// A convolution (stride 2, 48 filters over 32 channels x 3 x 3) is an
// implicit GEMM: M = n x oh x ow = 64 (one tile), N = 48 filters (columns
// guarded), K = 288 (no guard); the input is read at oh * 2 + kh through
// affine.apply, the filter through its map.
// CHECK-LABEL: func @conv_as_implicit_gemm
// CHECK: gpu.launch blocks(%{{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads({{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c288{{.*}} step %c16
// CHECK: affine.apply #{{.*}}(%{{.*}}, %{{.*}})
// CHECK: memref.load %arg0
// CHECK: arith.cmpi ult, %{{.*}}, %c48
// CHECK: memref.load %arg1
// CHECK-COUNT-16: math.fma
// CHECK: memref.store %{{.*}}, %arg2
#x = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#o = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
func.func @conv_as_implicit_gemm(%x: memref<1x32x17x17xf32>, %w: memref<48x32x3x3xf32>,
                                 %o: memref<1x48x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<1x48x8x8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel",
                                    "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x32x17x17xf32>, memref<48x32x3x3xf32>)
      outs(%o : memref<1x48x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Too small for a 64 x 64 tile (N = 8 filters): one thread per output.
// CHECK-LABEL: func @small_contraction
// CHECK: gpu.launch
// CHECK-NOT: workgroup
// CHECK: scf.for
func.func @small_contraction(%a: memref<64x64xf32>, %b: memref<64x8xf32>, %c: memref<64x8xf32>) {
  linalg.matmul ins(%a, %b : memref<64x64xf32>, memref<64x8xf32>) outs(%c : memref<64x8xf32>)
  return
}
