// RUN: dlc-opt %s -dlc-flatten-constant-globals | FileCheck %s
// Constant globals of rank >= 2 become 1-d (one LLVM constant each); their
// readers get an expand_shape view of the original shape. Rank-1, mutable
// and uninitialized globals are left alone.

// CHECK: memref.global "private" constant @w : memref<6xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]>
// CHECK: memref.global "private" constant @b : memref<3xf32>
// CHECK: memref.global "private" @state : memref<2x2xf32>
// CHECK-LABEL: func @reads
// CHECK: %[[FLAT:.*]] = memref.get_global @w : memref<6xf32>
// CHECK: %[[W:.*]] = memref.expand_shape %[[FLAT]] {{\[\[}}0, 1, 2]] output_shape [3, 2, 1] : memref<6xf32> into memref<3x2x1xf32>
// CHECK: memref.load %[[W]]
// CHECK: memref.get_global @b : memref<3xf32>
// CHECK: memref.get_global @state : memref<2x2xf32>
memref.global "private" constant @w : memref<3x2x1xf32> = dense<[[[1.0], [2.0]], [[3.0], [4.0]], [[5.0], [6.0]]]>
memref.global "private" constant @b : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
memref.global "private" @state : memref<2x2xf32> = dense<0.0>
func.func @reads(%i: index) -> (f32, f32, f32) {
  %c0 = arith.constant 0 : index
  %w = memref.get_global @w : memref<3x2x1xf32>
  %x = memref.load %w[%i, %c0, %c0] : memref<3x2x1xf32>
  %b = memref.get_global @b : memref<3xf32>
  %y = memref.load %b[%i] : memref<3xf32>
  %s = memref.get_global @state : memref<2x2xf32>
  %z = memref.load %s[%c0, %c0] : memref<2x2xf32>
  return %x, %y, %z : f32, f32, f32
}
