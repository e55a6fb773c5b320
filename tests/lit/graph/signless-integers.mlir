// RUN: dlc-opt %s -split-input-file -verify-diagnostics -dlc-signless-integers | FileCheck %s
// Unsigned element types become signless. Order-sensitive ops run on
// sign-flipped operands (x ^ 0x80..), div/mod on zero-extended i64, casts
// from unsigned zero-extend; bit-agnostic ops are only retyped; relu and
// abs vanish; signed and float values are left alone.

// CHECK-LABEL: func @order_and_division
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[B:.*]]: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>)
// CHECK: %[[SIGN:.*]] = dlc.constant dense<-128> : tensor<i8>
// CHECK: %[[FA:.*]] = dlc.xor %[[A]], %[[SIGN]]
// CHECK: %[[FB:.*]] = dlc.xor %[[B]], %{{.*}}
// CHECK: %[[LESS:.*]] = dlc.less %[[FA]], %[[FB]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
// CHECK: %[[MAX:.*]] = dlc.max %{{.*}}, %{{.*}} : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: %[[UMAX:.*]] = dlc.xor %[[MAX]], %{{.*}}
// CHECK: %[[WA:.*]] = dlc.cast %[[A]] : tensor<4xi8> to tensor<4xi64>
// CHECK: %[[MASK:.*]] = dlc.constant dense<255> : tensor<i64>
// CHECK: %[[ZA:.*]] = dlc.and %[[WA]], %[[MASK]]
// CHECK: %[[ZB:.*]] = dlc.and
// CHECK: %[[Q:.*]] = dlc.div %[[ZA]], %[[ZB]] : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK: %[[UQ:.*]] = dlc.cast %[[Q]] : tensor<4xi64> to tensor<4xi8>
// CHECK: %[[SUM:.*]] = dlc.add %[[A]], %[[B]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK: return %[[LESS]], %[[UMAX]], %[[UQ]], %[[SUM]]
func.func @order_and_division(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xi1>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>) {
  %0 = dlc.less %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  %1 = dlc.max %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %2 = dlc.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %3 = dlc.add %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>
}

// -----

// ui8 -> f32 and ui8 -> ui16 zero-extend; ui64 -> f32 converts x - 2^63
// and adds 2^63 where x >= 2^63; f32 -> ui8 goes through i64; relu of an
// unsigned value is the value; an unsigned constant keeps its bits.
// CHECK-LABEL: func @casts
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[W:.*]]: tensor<4xi64>, %[[F:.*]]: tensor<4xf32>)
// CHECK: %[[C:.*]] = dlc.constant dense<[1, 2, -1, -128]> : tensor<4xi8>
// CHECK: %[[WA:.*]] = dlc.cast %[[A]] : tensor<4xi8> to tensor<4xi64>
// CHECK: %[[ZA:.*]] = dlc.and %[[WA]], %{{.*}} : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
// CHECK: %[[AF:.*]] = dlc.cast %[[ZA]] : tensor<4xi64> to tensor<4xf32>
// CHECK: %[[A16:.*]] = dlc.cast %[[A]] : tensor<4xi8> to tensor<4xi16>
// CHECK: %[[MASK16:.*]] = dlc.constant dense<255> : tensor<i16>
// CHECK: %[[Z16:.*]] = dlc.and %[[A16]], %[[MASK16]]
// CHECK: %[[LOW:.*]] = dlc.cast %[[W]] : tensor<4xi64> to tensor<4xf32>
// CHECK: %[[FLIP:.*]] = dlc.xor %[[W]], %{{.*}}
// CHECK: %[[SHIFTED:.*]] = dlc.cast %[[FLIP]] : tensor<4xi64> to tensor<4xf32>
// CHECK: %[[OFFSET:.*]] = dlc.constant dense<9.22337203E+18> : tensor<f32>
// CHECK: %[[HIGH:.*]] = dlc.add %[[SHIFTED]], %[[OFFSET]]
// CHECK: %[[LARGE:.*]] = dlc.less %[[W]], %{{.*}} : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
// CHECK: %[[WF:.*]] = dlc.select %[[LARGE]], %[[HIGH]], %[[LOW]]
// CHECK: %[[F64:.*]] = dlc.cast %[[F]] : tensor<4xf32> to tensor<4xi64>
// CHECK: %[[FU:.*]] = dlc.cast %[[F64]] : tensor<4xi64> to tensor<4xi8>
// CHECK: %[[SUM:.*]] = dlc.add %[[A]], %[[C]]
// CHECK: return %[[AF]], %[[Z16]], %[[WF]], %[[FU]], %[[A]], %[[SUM]]
func.func @casts(%a: tensor<4xui8>, %w: tensor<4xui64>, %f: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xui16>, tensor<4xf32>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>) {
  %c = dlc.constant dense<[1, 2, 255, 128]> : tensor<4xui8>
  %0 = dlc.cast %a : tensor<4xui8> to tensor<4xf32>
  %1 = dlc.cast %a : tensor<4xui8> to tensor<4xui16>
  %2 = dlc.cast %w : tensor<4xui64> to tensor<4xf32>
  %3 = dlc.cast %f : tensor<4xf32> to tensor<4xui8>
  %4 = dlc.relu %a : tensor<4xui8>
  %5 = dlc.add %a, %c : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xui16>, tensor<4xf32>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>
}

// -----

// arg_max compares flipped values and keeps its i64 result; max_pool flips
// its result back.
// CHECK-LABEL: func @reductions
// CHECK: %[[FX:.*]] = dlc.xor %arg0
// CHECK: %[[I:.*]] = dlc.arg_max %[[FX]] {{.*}} : (tensor<2x3xi16>) -> tensor<2xi64>
// CHECK: dlc.max_pool
// CHECK: %[[P:.*]] = dlc.xor
// CHECK: return %[[I]], %[[P]] : tensor<2xi64>, tensor<1x1x2x2xi16>
func.func @reductions(%x: tensor<2x3xui16>, %y: tensor<1x1x3x3xui16>) -> (tensor<2xi64>, tensor<1x1x2x2xui16>) {
  %0 = dlc.arg_max %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<2x3xui16>) -> tensor<2xi64>
  %1 = dlc.max_pool %y {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x1x3x3xui16>) -> tensor<1x1x2x2xui16>
  return %0, %1 : tensor<2xi64>, tensor<1x1x2x2xui16>
}

// -----

// Signed and float values are not touched.
// CHECK-LABEL: func @signed_untouched
// CHECK-NEXT: dlc.less %arg0, %arg1 : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
// CHECK-NEXT: dlc.div %arg0, %arg1 : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: return
func.func @signed_untouched(%a: tensor<4xi8>, %b: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi8>) {
  %0 = dlc.less %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi1>
  %1 = dlc.div %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %0, %1 : tensor<4xi1>, tensor<4xi8>
}

// -----

// 64-bit operands cannot widen: the ops stay, retyped and marked unsigned.
// CHECK-LABEL: func @division_64
// CHECK-SAME: (%[[A:.*]]: tensor<4xi64>, %[[B:.*]]: tensor<4xi64>)
// CHECK: %[[R:.*]] = dlc.mod %[[A]], %[[B]] {unsigned} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK: %[[Q:.*]] = dlc.div %[[R]], %[[B]] {unsigned} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK: return %[[Q]]
func.func @division_64(%a: tensor<4xui64>, %b: tensor<4xui64>) -> tensor<4xui64> {
  %0 = dlc.mod %a, %b : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  %1 = dlc.div %0, %b : (tensor<4xui64>, tensor<4xui64>) -> tensor<4xui64>
  return %1 : tensor<4xui64>
}

// -----

func.func @no_unsigned_form(%a: tensor<4xui8>) -> tensor<ui8> {
  // expected-error @+1 {{'dlc.reduce_mean' op on unsigned integers is not supported yet}}
  %0 = dlc.reduce_mean %a {axes = array<i64: 0>, keepdims = false} : (tensor<4xui8>) -> tensor<ui8>
  return %0 : tensor<ui8>
}
