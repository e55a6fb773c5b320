// RUN: dlc-opt %s -split-input-file -dlc-fold-constants | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-fold-constants=max-elements=2 | FileCheck %s --check-prefix=LIMIT

// Broadcasting arithmetic on constants is computed at compile time.
// CHECK-LABEL: func @add_broadcast
// CHECK: %[[C:.*]] = dlc.constant dense<{{\[}}[1.100000e+01, 2.200000e+01], [1.300000e+01, 2.400000e+01]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
// LIMIT-LABEL: func @add_broadcast
// LIMIT: dlc.add
func.func @add_broadcast() -> tensor<2x2xf32> {
  %a = dlc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = dlc.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %0 = dlc.add %a, %b : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Folded results feed the next fold: sqrt then reciprocal (BatchNorm's
// 1/sqrt(var + eps) with constant statistics).
// CHECK-LABEL: func @chain
// CHECK: %[[C:.*]] = dlc.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @chain() -> tensor<2xf32> {
  %v = dlc.constant dense<[4.0, 16.0]> : tensor<2xf32>
  %0 = dlc.sqrt %v : tensor<2xf32>
  %1 = dlc.reciprocal %0 : tensor<2xf32>
  return %1 : tensor<2xf32>
}

// -----

// Transpose, reductions and matmul are evaluated too.
// CHECK-LABEL: func @structured
// CHECK-DAG: dlc.constant dense<{{\[}}[1, 3], [2, 4]]> : tensor<2x2xi64>
// CHECK-DAG: dlc.constant dense<[4.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK-DAG: dlc.constant dense<{{\[}}[1.900000e+01, 2.200000e+01], [4.300000e+01, 5.000000e+01]]> : tensor<2x2xf32>
// CHECK-NOT: dlc.transpose
// CHECK-NOT: dlc.reduce_sum
// CHECK-NOT: dlc.matmul
func.func @structured() -> (tensor<2x2xi64>, tensor<2xf32>, tensor<2x2xf32>) {
  %i = dlc.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  %t = dlc.transpose %i {perm = array<i64: 1, 0>} : (tensor<2x2xi64>) -> tensor<2x2xi64>
  %a = dlc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = dlc.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %s = dlc.reduce_sum %a {axes = array<i64: 0>, keepdims = false} : (tensor<2x2xf32>) -> tensor<2xf32>
  %m = dlc.matmul %a, %b : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %t, %s, %m : tensor<2x2xi64>, tensor<2xf32>, tensor<2x2xf32>
}

// -----

// Concat and softmax of constants.
// CHECK-LABEL: func @concat_softmax
// CHECK-DAG: dlc.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: dlc.constant dense<5.000000e-01> : tensor<2xf32>
func.func @concat_softmax() -> (tensor<3xf32>, tensor<2xf32>) {
  %a = dlc.constant dense<[1.0]> : tensor<1xf32>
  %b = dlc.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %c = dlc.concat %a, %b {axis = 0} : (tensor<1xf32>, tensor<2xf32>) -> tensor<3xf32>
  %d = dlc.constant dense<[7.0, 7.0]> : tensor<2xf32>
  %s = dlc.softmax %d {axis = 0} : tensor<2xf32>
  return %c, %s : tensor<3xf32>, tensor<2xf32>
}

// -----

// Gather and slice of constants (shape arithmetic in exported models).
// CHECK-LABEL: func @gather_slice
// CHECK-DAG: dlc.constant dense<[4, 2]> : tensor<2xi64>
// CHECK-DAG: dlc.constant dense<[1, 3]> : tensor<2xi64>
// CHECK-NOT: dlc.gather
// CHECK-NOT: dlc.slice
func.func @gather_slice() -> (tensor<2xi64>, tensor<2xi64>) {
  %shape = dlc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %i = dlc.constant dense<[-1, 1]> : tensor<2xi64>
  %0 = dlc.gather %shape, %i {axis = 0} : (tensor<4xi64>, tensor<2xi64>) -> tensor<2xi64>
  %1 = dlc.slice %shape {starts = array<i64: 0>, ends = array<i64: 4>, steps = array<i64: 2>} : (tensor<4xi64>) -> tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// An op with a non-constant operand stays.
// CHECK-LABEL: func @not_constant
// CHECK: dlc.mul %arg0
func.func @not_constant(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = dlc.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %0 = dlc.mul %x, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Convolution of constants is left to run time.
// CHECK-LABEL: func @conv_left_alone
// CHECK: dlc.conv
func.func @conv_left_alone() -> tensor<1x1x1x1xf32> {
  %x = dlc.constant dense<1.0> : tensor<1x1x2x2xf32>
  %w = dlc.constant dense<1.0> : tensor<1x1x2x2xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

// Shape arithmetic on integers: comparison, select, floored mod (-5 mod 3
// is 1), cast to float and a product reduce are evaluated; a mod by zero is
// left to run time.
// CHECK-LABEL: func @integer_ops
// CHECK-DAG: %[[R:.*]] = dlc.constant dense<[1, 5, 0]> : tensor<3xi64>
// CHECK-DAG: %[[F:.*]] = dlc.constant dense<[1.000000e+00, 5.000000e+00, 0.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[P:.*]] = dlc.constant dense<12> : tensor<i64>
// CHECK: %[[BAD:.*]] = dlc.mod %{{.*}}, %{{.*}} : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
// CHECK: return %[[R]], %[[F]], %[[P]], %[[BAD]]
func.func @integer_ops() -> (tensor<3xi64>, tensor<3xf32>, tensor<i64>, tensor<3xi64>) {
  %a = dlc.constant dense<[7, -5, 0]> : tensor<3xi64>
  %three = dlc.constant dense<3> : tensor<i64>
  %zero = dlc.constant dense<0> : tensor<i64>
  %one = dlc.constant dense<1> : tensor<i64>
  %gt = dlc.greater %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %m = dlc.mod %a, %three : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %n = dlc.neg %a : tensor<3xi64>
  %r = dlc.select %gt, %m, %n : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %f = dlc.cast %r : tensor<3xi64> to tensor<3xf32>
  %q = dlc.add %r, %one : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %p = dlc.reduce_prod %q {axes = array<i64: 0>, keepdims = false} : (tensor<3xi64>) -> tensor<i64>
  %bad = dlc.mod %a, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  return %r, %f, %p, %bad : tensor<3xi64>, tensor<3xf32>, tensor<i64>, tensor<3xi64>
}

// -----

// Bitwise ops on integers wider than i1 are not folded (the evaluator works
// in doubles); logical ones on i1 are.
// CHECK-LABEL: func @bitwise_left_alone
// CHECK: dlc.xor %{{.*}}, %{{.*}} : (tensor<2xi8>, tensor<i8>) -> tensor<2xi8>
// CHECK: dlc.constant dense<[false, true]> : tensor<2xi1>
// CHECK-NOT: dlc.and
func.func @bitwise_left_alone() -> (tensor<2xi8>, tensor<2xi1>) {
  %a = dlc.constant dense<[3, -1]> : tensor<2xi8>
  %s = dlc.constant dense<-128> : tensor<i8>
  %x = dlc.xor %a, %s : (tensor<2xi8>, tensor<i8>) -> tensor<2xi8>
  %p = dlc.constant dense<[true, true]> : tensor<2xi1>
  %q = dlc.constant dense<[false, true]> : tensor<2xi1>
  %y = dlc.and %p, %q : (tensor<2xi1>, tensor<2xi1>) -> tensor<2xi1>
  return %x, %y : tensor<2xi8>, tensor<2xi1>
}
