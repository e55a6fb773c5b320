// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg="fused-multiply-add=true" | FileCheck %s
// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg | FileCheck %s --check-prefix=NOFMA
// On a target with FMA, a quotient by a constant that is only rounded
// (quantization's round(x / scale)) is x * (1/c) corrected by one remainder
// step: two FMAs, no division; quotients of 2^100 or more (inf, NaN) keep
// the product. Without FMA the division stays.

// CHECK-LABEL: func @divide_for_rounding
// CHECK: linalg.generic
// CHECK-NOT: arith.divf
// CHECK: %[[Q0:.*]] = arith.mulf %[[X:.*]], %[[R:.*]] : f32
// CHECK: %[[NQ0:.*]] = arith.negf %[[Q0]] : f32
// CHECK: %[[REM:.*]] = math.fma %[[NQ0]], %{{.*}}, %[[X]] : f32
// CHECK: %[[Q1:.*]] = math.fma %[[REM]], %{{.*}}, %[[Q0]] : f32
// CHECK: %[[ABS:.*]] = math.absf %[[Q0]] : f32
// CHECK: %[[OK:.*]] = arith.cmpf olt, %[[ABS]], %{{.*}} : f32
// CHECK: arith.select %[[OK]], %[[Q1]], %[[Q0]] : f32
// CHECK-NOT: arith.divf
// CHECK: math.roundeven
// NOFMA-LABEL: func @divide_for_rounding
// NOFMA: arith.divf
// NOFMA-NOT: math.fma
func.func @divide_for_rounding(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = dlc.constant dense<0.0123> : tensor<f32>
  %0 = dlc.div %x, %s : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = dlc.round %0 : tensor<8xf32>
  return %1 : tensor<8xf32>
}

// -----

// The same inside a fused group (the conv epilogue's requantization), where
// the divisor reaches the group as an input.
// CHECK-LABEL: func @fused_divide_for_rounding
// CHECK-NOT: arith.divf
// CHECK: math.fma
// CHECK: math.fma
// CHECK: math.roundeven
func.func @fused_divide_for_rounding(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = dlc.constant dense<0.0123> : tensor<f32>
  %0 = dlc.fused %x, %s : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>, %c: tensor<f32>):
    %1 = dlc.div %a, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
    %2 = dlc.round %1 : tensor<8xf32>
    dlc.yield %2 : tensor<8xf32>
  }
  return %0 : tensor<8xf32>
}

// -----

// Left alone: a divisor known only at run time, a quotient used otherwise
// than rounded, and a divisor whose significand is all ones (1.99999988),
// where the rounded reciprocal misses the bound the correction needs.
// CHECK-LABEL: func @divide_kept
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.divf
// CHECK-NOT: math.roundeven
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK-NOT: math.fma
func.func @divide_kept(%x: tensor<8xf32>, %s: tensor<f32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %c = dlc.constant dense<0.0123> : tensor<f32>
  %ones = dlc.constant dense<0x3FFFFFFF> : tensor<f32>
  %0 = dlc.div %x, %s : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = dlc.round %0 : tensor<8xf32>
  %2 = dlc.div %x, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = dlc.div %x, %ones : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = dlc.round %3 : tensor<8xf32>
  return %1, %2, %4 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
