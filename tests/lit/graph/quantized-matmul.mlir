// RUN: dlc-opt %s -split-input-file -dlc-quantized-matmul -canonicalize | FileCheck %s
// A matmul of a fake-quantized activation ((q - z) * s, q an integral clip
// within 8 bits: QuantizeLinear -> DequantizeLinear as the importer writes
// it) by a constant on an int8 grid per column runs on 8-bit integers.

// Columns on grids 0.5 and 0.25 (w = [2, -4, -6, 127] and [1, 127, -127,
// 0]: per-channel symmetric, each reaching 127); activation scale 0.1, zero
// point 3: the sums lose z * colsum(w) = 3 * [119, 1], the scales are
// 0.1 * [0.5, 0.25].
// CHECK-LABEL: func @unsigned_activation
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[}}2, 1], [-4, 127], [-6, -127], [127, 0]]> : tensor<4x2xi8>
// CHECK-DAG: %[[Z:.*]] = dlc.constant dense<[357, 3]> : tensor<2xi32>
// CHECK-DAG: %[[S:.*]] = dlc.constant dense<[5.000000e-02, 2.500000e-02]> : tensor<2xf32>
// CHECK: %[[Q:.*]] = dlc.clip
// CHECK: %[[I:.*]] = dlc.cast %[[Q]] : tensor<3x4xf32> to tensor<3x4xi32>
// CHECK: %[[B:.*]] = dlc.cast %[[I]] : tensor<3x4xi32> to tensor<3x4xi8>
// CHECK: %[[P:.*]] = dlc.matmul_integer %[[B]], %[[W]] {lhs_unsigned}
// CHECK: %[[C:.*]] = dlc.sub %[[P]], %[[Z]]
// CHECK: %[[F:.*]] = dlc.cast %[[C]] : tensor<3x2xi32> to tensor<3x2xf32>
// CHECK: %[[Y:.*]] = dlc.mul %[[F]], %[[S]]
// CHECK-NOT: dlc.matmul %
// CHECK: return %[[Y]]
func.func @unsigned_activation(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<3.0> : tensor<f32>
  %w = dlc.constant dense<[[1.0, 0.25], [-2.0, 31.75], [-3.0, -31.75], [63.5, 0.0]]> : tensor<4x2xf32>
  %0 = dlc.div %x, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %1 = dlc.round %0 : tensor<3x4xf32>
  %2 = dlc.add %1, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<3x4xf32>
  %4 = dlc.sub %3, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %5 = dlc.mul %4, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %6 = dlc.matmul %5, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %6 : tensor<3x2xf32>
}

// -----

// A signed grid (zero point 0: no correction) read through a reshape: the
// batch flattens into rows, q casts straight to i8. The weight has one grid
// (0.5) for all columns, per-tensor quantization: w = [[2, 1], [-4, 127],
// [-6, -3], [1, 0]].
// CHECK-LABEL: func @signed_activation_reshaped
// CHECK-DAG: dlc.constant dense<{{\[\[}}2, 1], [-4, 127], [-6, -3], [1, 0]]> : tensor<4x2xi8>
// CHECK-DAG: dlc.constant dense<5.000000e-02> : tensor<2xf32>
// CHECK: %[[Q:.*]] = dlc.clip %{{.*}} {max = 1.270000e+02 : f64, min = -1.280000e+02 : f64}
// CHECK: %[[B:.*]] = dlc.cast %[[Q]] : tensor<2x3x4xf32> to tensor<2x3x4xi8>
// CHECK: %[[R:.*]] = dlc.reshape %[[B]] : (tensor<2x3x4xi8>) -> tensor<6x4xi8>
// CHECK: %[[P:.*]] = dlc.matmul_integer %[[R]], %{{.*}} : (tensor<6x4xi8>, tensor<4x2xi8>) -> tensor<6x2xi32>
// CHECK-NOT: lhs_unsigned
// CHECK-NOT: dlc.sub
// CHECK: %[[F:.*]] = dlc.cast %[[P]]
// CHECK: %[[Y:.*]] = dlc.mul %[[F]]
// CHECK: dlc.reshape %[[Y]] : (tensor<6x2xf32>) -> tensor<2x3x2xf32>
func.func @signed_activation_reshaped(%x: tensor<2x3x4xf32>) -> tensor<2x3x2xf32> {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<0.0> : tensor<f32>
  %w = dlc.constant dense<[[1.0, 0.5], [-2.0, 63.5], [-3.0, -1.5], [0.5, 0.0]]> : tensor<4x2xf32>
  %0 = dlc.div %x, %s : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %1 = dlc.round %0 : tensor<2x3x4xf32>
  %3 = dlc.clip %1 {max = 127.0 : f64, min = -128.0 : f64} : tensor<2x3x4xf32>
  %4 = dlc.sub %3, %z : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %5 = dlc.mul %s, %4 : (tensor<f32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %r = dlc.reshape %5 : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %6 = dlc.matmul %r, %w : (tensor<6x4xf32>, tensor<4x2xf32>) -> tensor<6x2xf32>
  %7 = dlc.reshape %6 : (tensor<6x2xf32>) -> tensor<2x3x2xf32>
  return %7 : tensor<2x3x2xf32>
}

// -----

// Left alone: a weight off every int8 grid (0.3 is no multiple of 0.5,
// nor of 63.5 / 128 or the tensor's), a weight at run time, an activation that
// is not rounded (its clip may hold fractions), bounds beyond 8 bits.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: dlc.matmul_integer
// CHECK-COUNT-4: dlc.matmul %
// CHECK-NOT: dlc.matmul_integer
func.func @left_alone(%x: tensor<3x4xf32>, %v: tensor<4x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<3.0> : tensor<f32>
  %off = dlc.constant dense<[[1.0, 0.25], [0.3, 31.75], [-3.0, -31.75], [63.5, 0.0]]> : tensor<4x2xf32>
  %w = dlc.constant dense<[[1.0, 0.25], [-2.0, 31.75], [-3.0, -31.75], [63.5, 0.0]]> : tensor<4x2xf32>
  %0 = dlc.div %x, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %1 = dlc.round %0 : tensor<3x4xf32>
  %2 = dlc.add %1, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<3x4xf32>
  %4 = dlc.sub %3, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %a = dlc.mul %4, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %r0 = dlc.matmul %a, %off : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %r1 = dlc.matmul %a, %v : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %5 = dlc.clip %0 {max = 255.0 : f64, min = 0.0 : f64} : tensor<3x4xf32>
  %6 = dlc.sub %5, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %7 = dlc.mul %6, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %r2 = dlc.matmul %7, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %8 = dlc.clip %2 {max = 65535.0 : f64, min = 0.0 : f64} : tensor<3x4xf32>
  %9 = dlc.sub %8, %z : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %10 = dlc.mul %9, %s : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %r3 = dlc.matmul %10, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %r0, %r1, %r2, %r3 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}
