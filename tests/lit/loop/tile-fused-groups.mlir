// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg -dlc-tile-fused-groups -canonicalize | FileCheck %s
// Each kernel becomes one loop nest: the epilogue is tiled over the outer
// parallel loops and the anchor and its fill are computed inside the tile.

// CHECK-LABEL: func @conv_relu
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x6x6xf32>
// CHECK: scf.for %[[F:.*]] = %c0 to %c4 step %c1 iter_args(%[[ACC0:.*]] = %[[E]])
// CHECK: scf.for %[[H:.*]] = %c0 to %c6 step %c1 iter_args(%[[ACC1:.*]] = %[[ACC0]])
// CHECK: %[[TILE:.*]] = tensor.extract_slice %[[ACC1]][0, %[[F]], %[[H]], 0] [1, 1, 1, 6]
// CHECK: %[[FILL:.*]] = linalg.fill {{.*}} outs(%[[TILE]] : tensor<1x1x1x6xf32>)
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} outs(%[[FILL]] : tensor<1x1x1x6xf32>)
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} outs(%[[CONV]] : tensor<1x1x1x6xf32>) attrs = {dlc.fusion_root}
// CHECK: tensor.insert_slice %[[EPI]] into %[[ACC1]]
// CHECK-NOT: linalg.generic
// Too little work (3,888 iterations) to wake threads for:
// CHECK-NOT: dlc.parallel
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = dlc.fused %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  ^bb0(%a: tensor<1x3x8x8xf32>, %f: tensor<4x3x3x3xf32>):
    %1 = dlc.conv %a, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
    %2 = dlc.relu %1 : tensor<1x4x6x6xf32>
    dlc.yield %2 : tensor<1x4x6x6xf32>
  }
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// A lone reduce_mean (fill, sum, in-place division) is one nest too; with a
// [1, N] result the loop runs over N.
// CHECK-LABEL: func @mean
// CHECK: scf.for
// CHECK: linalg.fill
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: scf.yield
// CHECK-NOT: linalg.generic
func.func @mean(%x: tensor<1x8x4x4xf32>) -> tensor<1x8xf32> {
  %0 = dlc.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x8x4x4xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

// Left alone: an elementwise op (nothing to fuse) and a kernel with a single
// loop of extent > 1 to run.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: scf.for
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: scf.for
func.func @left_alone(%x: tensor<2x3xf32>, %v: tensor<5xf32>) -> (tensor<2x3xf32>, tensor<f32>) {
  %0 = dlc.exp %x : tensor<2x3xf32>
  %1 = dlc.reduce_sum %v {axes = array<i64: 0>, keepdims = false} : (tensor<5xf32>) -> tensor<f32>
  return %0, %1 : tensor<2x3xf32>, tensor<f32>
}

// -----

// A matmul big enough for dlc-matmul-microkernel is left whole with
// microkernel=true (the micro-kernel tiles it); without the option it is
// tiled like any kernel, and its tile loop is marked for threads (64^3
// iterations of work).
// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg -dlc-tile-fused-groups=microkernel=true -canonicalize | FileCheck %s --check-prefix=KEEP
// KEEP-LABEL: func @big_matmul
// KEEP-NOT: scf.for
// KEEP: linalg.matmul ins(%arg0, %arg1 : tensor<64x64xf32>, tensor<64x64xf32>)
// CHECK-LABEL: func @big_matmul
// CHECK: scf.for
// CHECK: linalg.matmul ins(%{{.*}} : tensor<1x64xf32>, tensor<64x64xf32>)
// CHECK: } {dlc.parallel}
func.func @big_matmul(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = dlc.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// The epilogue of a matmul left to the micro-kernel is tiled on its own,
// after the whole matmul; it is marked for threads only when it has enough
// work itself (64 x 4096 here, 64 x 64 below).
// KEEP-LABEL: func @matmul_epilogue
// KEEP: %[[MM:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<64x64xf32>, tensor<64x4096xf32>)
// KEEP: scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[MM]])
// KEEP: tensor.extract_slice %[[ACC]]
// KEEP-NOT: linalg.matmul
// KEEP: math.tanh
// KEEP: } {dlc.parallel}
// KEEP-LABEL: func @small_epilogue
// KEEP: linalg.matmul
// KEEP: scf.for
// KEEP: math.tanh
// KEEP-NOT: dlc.parallel
// KEEP: return
func.func @matmul_epilogue(%a: tensor<64x64xf32>, %b: tensor<64x4096xf32>) -> tensor<64x4096xf32> {
  %0 = dlc.fused %a, %b : (tensor<64x64xf32>, tensor<64x4096xf32>) -> tensor<64x4096xf32> {
  ^bb0(%x: tensor<64x64xf32>, %y: tensor<64x4096xf32>):
    %1 = dlc.matmul %x, %y : (tensor<64x64xf32>, tensor<64x4096xf32>) -> tensor<64x4096xf32>
    %2 = dlc.tanh %1 : tensor<64x4096xf32>
    dlc.yield %2 : tensor<64x4096xf32>
  }
  return %0 : tensor<64x4096xf32>
}
func.func @small_epilogue(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = dlc.fused %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> {
  ^bb0(%x: tensor<64x64xf32>, %y: tensor<64x64xf32>):
    %1 = dlc.matmul %x, %y : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
    %2 = dlc.tanh %1 : tensor<64x64xf32>
    dlc.yield %2 : tensor<64x64xf32>
  }
  return %0 : tensor<64x64xf32>
}

// -----

// One importer composite (every op at the node's location) whose values are
// shared: fusing each shared producer into every user would recompute it per
// user, 2^12 times here. A few are recomputed; the rest stay kernels of
// their own ahead of the tile loop.
// CHECK-LABEL: func @shared_values
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK: return
func.func @shared_values(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %a0 = dlc.exp %x : tensor<64x64xf32> loc("composite")
  %s1 = dlc.sin %a0 : tensor<64x64xf32> loc("composite")
  %c1 = dlc.cos %a0 : tensor<64x64xf32> loc("composite")
  %a1 = dlc.add %s1, %c1 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s2 = dlc.sin %a1 : tensor<64x64xf32> loc("composite")
  %c2 = dlc.cos %a1 : tensor<64x64xf32> loc("composite")
  %a2 = dlc.add %s2, %c2 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s3 = dlc.sin %a2 : tensor<64x64xf32> loc("composite")
  %c3 = dlc.cos %a2 : tensor<64x64xf32> loc("composite")
  %a3 = dlc.add %s3, %c3 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s4 = dlc.sin %a3 : tensor<64x64xf32> loc("composite")
  %c4 = dlc.cos %a3 : tensor<64x64xf32> loc("composite")
  %a4 = dlc.add %s4, %c4 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s5 = dlc.sin %a4 : tensor<64x64xf32> loc("composite")
  %c5 = dlc.cos %a4 : tensor<64x64xf32> loc("composite")
  %a5 = dlc.add %s5, %c5 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s6 = dlc.sin %a5 : tensor<64x64xf32> loc("composite")
  %c6 = dlc.cos %a5 : tensor<64x64xf32> loc("composite")
  %a6 = dlc.add %s6, %c6 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s7 = dlc.sin %a6 : tensor<64x64xf32> loc("composite")
  %c7 = dlc.cos %a6 : tensor<64x64xf32> loc("composite")
  %a7 = dlc.add %s7, %c7 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s8 = dlc.sin %a7 : tensor<64x64xf32> loc("composite")
  %c8 = dlc.cos %a7 : tensor<64x64xf32> loc("composite")
  %a8 = dlc.add %s8, %c8 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s9 = dlc.sin %a8 : tensor<64x64xf32> loc("composite")
  %c9 = dlc.cos %a8 : tensor<64x64xf32> loc("composite")
  %a9 = dlc.add %s9, %c9 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s10 = dlc.sin %a9 : tensor<64x64xf32> loc("composite")
  %c10 = dlc.cos %a9 : tensor<64x64xf32> loc("composite")
  %a10 = dlc.add %s10, %c10 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s11 = dlc.sin %a10 : tensor<64x64xf32> loc("composite")
  %c11 = dlc.cos %a10 : tensor<64x64xf32> loc("composite")
  %a11 = dlc.add %s11, %c11 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  %s12 = dlc.sin %a11 : tensor<64x64xf32> loc("composite")
  %c12 = dlc.cos %a11 : tensor<64x64xf32> loc("composite")
  %a12 = dlc.add %s12, %c12 : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32> loc("composite")
  return %a12 : tensor<64x64xf32>
}

// -----

// An 8-bit matmul (dlc-quantized-matmul's) stays whole too, even when the
// kernel after its epilogue carries its location (the scaling of the sums,
// a group of its own since its type differs): that kernel's tiles read the
// whole product, not recompute it per tile.
// KEEP-LABEL: func @integer_matmul_then_scaling
// KEEP: %[[MM:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<64x64xi8>, tensor<64x64xi8>)
// KEEP: arith.extui
// KEEP: scf.for
// KEEP-NOT: arith.extui
// KEEP: arith.sitofp
// KEEP: return
func.func @integer_matmul_then_scaling(%a: tensor<64x64xi8>, %b: tensor<64x64xi8>, %z: tensor<64xi32>, %s: tensor<64xf32>) -> tensor<64x64xf32> {
  %0 = dlc.fused %a, %b, %z : (tensor<64x64xi8>, tensor<64x64xi8>, tensor<64xi32>) -> tensor<64x64xi32> {
  ^bb0(%x: tensor<64x64xi8>, %y: tensor<64x64xi8>, %c: tensor<64xi32>):
    %1 = dlc.matmul_integer %x, %y {lhs_unsigned} : (tensor<64x64xi8>, tensor<64x64xi8>) -> tensor<64x64xi32> loc("mm")
    %2 = dlc.sub %1, %c : (tensor<64x64xi32>, tensor<64xi32>) -> tensor<64x64xi32> loc("mm")
    dlc.yield %2 : tensor<64x64xi32>
  } loc("mm")
  %3 = dlc.fused %0, %s : (tensor<64x64xi32>, tensor<64xf32>) -> tensor<64x64xf32> {
  ^bb0(%x: tensor<64x64xi32>, %t: tensor<64xf32>):
    %4 = dlc.cast %x : tensor<64x64xi32> to tensor<64x64xf32> loc("mm")
    %5 = dlc.mul %4, %t : (tensor<64x64xf32>, tensor<64xf32>) -> tensor<64x64xf32> loc("mm")
    dlc.yield %5 : tensor<64x64xf32>
  } loc("mm")
  return %3 : tensor<64x64xf32>
}
