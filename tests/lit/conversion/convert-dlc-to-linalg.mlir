// RUN: dlc-opt %s -split-input-file -convert-dlc-to-linalg | FileCheck %s
// Each dlc op becomes linalg on tensors; ops of other dialects are left alone.

// Broadcasting pins nothing here: [3] aligns with the last dim of [2,3].
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @add_broadcast
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK: arith.addf
// CHECK-NOT: dlc.
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = dlc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A size-1 dim that broadcasts is read at index 0.
// CHECK-DAG: #[[PIN:.*]] = affine_map<(d0, d1, d2) -> (0, d1, d2)>
// CHECK-LABEL: func @mul_size_one
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[PIN]], {{.*}}]
// CHECK: arith.muli
func.func @mul_size_one(%a: tensor<4x2x3xi32>, %b: tensor<1x2x3xi32>) -> tensor<4x2x3xi32> {
  %0 = dlc.mul %a, %b : (tensor<4x2x3xi32>, tensor<1x2x3xi32>) -> tensor<4x2x3xi32>
  return %0 : tensor<4x2x3xi32>
}

// -----

// Grouped, strided, padded convolution: one contraction that reads the input
// by index (no padded copy), zero outside it, with the input channel taken
// from the output channel's group: (f / 2) * 2 + c.
// CHECK-DAG: #[[FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-LABEL: func @conv_grouped
// CHECK-NOT: tensor.pad
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[FILTER]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%arg1
// CHECK: %[[F:.*]] = linalg.index 1
// CHECK: %[[G:.*]] = arith.divui %[[F]], %c2
// CHECK: arith.muli %[[G]], %c2
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: %[[X:.*]] = tensor.extract %arg0
// CHECK: %[[XP:.*]] = arith.select %{{.*}}, %[[X]], %[[ZERO]]
// CHECK: arith.mulf %[[XP]]
// CHECK: arith.addf
func.func @conv_grouped(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2} : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

// Without pads there is no tensor.pad.
// CHECK-LABEL: func @conv_unpadded
// CHECK-NOT: tensor.pad
// CHECK: linalg.generic
func.func @conv_unpadded(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// 2-d matmul uses the named op; batched matmul a generic with a k loop.
// CHECK-LABEL: func @matmul_2d
// CHECK: linalg.matmul ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3x4xf32>)
func.func @matmul_2d(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = dlc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-LABEL: func @matmul_batched
// CHECK: linalg.generic {indexing_maps = [{{.*}}, #[[RHS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
func.func @matmul_batched(%a: tensor<5x2x3xf32>, %b: tensor<3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = dlc.matmul %a, %b : (tensor<5x2x3xf32>, tensor<3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// -----

// 8-bit products: a generic over (m, n, k) that widens each operand as its
// attribute says (lhs_unsigned: zero-extended) and sums in i32.
// CHECK-LABEL: func @matmul_integer
// CHECK: %[[Z:.*]] = linalg.fill ins(%c0_i32 : i32) outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<2x3xi8>, tensor<3x4xi8>) outs(%[[Z]] : tensor<2x4xi32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[C:.*]]: i32):
// CHECK-NEXT: %[[AW:.*]] = arith.extui %[[A]] : i8 to i32
// CHECK-NEXT: %[[BW:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK-NEXT: %[[P:.*]] = arith.muli %[[AW]], %[[BW]] : i32
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[C]], %[[P]] : i32
// CHECK-NEXT: linalg.yield %[[S]]
func.func @matmul_integer(%a: tensor<2x3xi8>, %b: tensor<3x4xi8>) -> tensor<2x4xi32> {
  %0 = dlc.matmul_integer %a, %b {lhs_unsigned} : (tensor<2x3xi8>, tensor<3x4xi8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// Max pooling reads -inf outside the input and starts from -inf.
// CHECK-LABEL: func @max_pool
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: tensor.pad
// CHECK: linalg.fill ins(%[[NEGINF]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: %[[X:.*]] = tensor.extract %arg0
// CHECK: %[[XP:.*]] = arith.select %{{.*}}, %[[X]], %[[NEGINF]]
// CHECK: arith.maximumf %{{.*}}, %[[XP]]
func.func @max_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = dlc.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// Average pooling without count_include_pad divides each position by the
// taps inside the input: 4 at the corner, 6 at the edges, 9 inside.
// CHECK-LABEL: func @avg_pool_exclude_pad
// CHECK: arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
// CHECK: arith.divf
func.func @avg_pool_exclude_pad(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %0 = dlc.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// With count_include_pad every window counts 9: one scalar divisor, no
// table (a splat of the output's size would become a global that size).
// CHECK-LABEL: func @avg_pool_include_pad
// CHECK-NOT: dense<9.000000e+00>
// CHECK: %[[NINE:.*]] = arith.constant 9.000000e+00 : f32
// CHECK: arith.divf %{{.*}}, %[[NINE]] : f32
// CHECK: return
func.func @avg_pool_include_pad(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %0 = dlc.avg_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Mean with keepdims: sum-reduce, divide by the count, expand back.
// CHECK-LABEL: func @reduce_mean_keepdims
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.addf
// CHECK: arith.constant 1.600000e+01 : f32
// CHECK: arith.divf
// CHECK: tensor.expand_shape {{.*}} : tensor<2xf32> into tensor<1x2x1x1xf32>
func.func @reduce_mean_keepdims(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32> {
  %0 = dlc.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}

// -----

// Softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = dlc.softmax %x {axis = 1} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// CHECK-LABEL: func @data_movement
// CHECK: linalg.transpose ins(%arg0 : tensor<2x3xf32>) outs({{.*}} : tensor<3x2xf32>) permutation = [1, 0]
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0, 1]] : tensor<3x2xf32> into tensor<6xf32>
// CHECK: tensor.insert_slice {{.*}}[0] [6] [1] : tensor<6xf32> into tensor<8xf32>
// CHECK: tensor.insert_slice {{.*}}[6] [2] [1] : tensor<2xf32> into tensor<8xf32>
func.func @data_movement(%x: tensor<2x3xf32>, %y: tensor<2xf32>) -> tensor<8xf32> {
  %t = dlc.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %r = dlc.reshape %t : (tensor<3x2xf32>) -> tensor<6xf32>
  %c = dlc.concat %r, %y {axis = 0} : (tensor<6xf32>, tensor<2xf32>) -> tensor<8xf32>
  return %c : tensor<8xf32>
}

// -----

// Ops of other dialects are not touched.
// CHECK-LABEL: func @foreign_ops
// CHECK: arith.addf %arg0, %arg0 : f32
func.func @foreign_ops(%x: f32) -> f32 {
  %0 = arith.addf %x, %x : f32
  return %0 : f32
}

// -----

// The blocked channel layout: to_blocked reads channel cb * 4 + ci,
// from_blocked reads block c / 4 at c % 4; the blocked conv runs over
// (n, fo, oh, ow, fi | co, kh, kw, ci) with the packed filter
// [fo, co, kh, kw, ci, fi]; a blocked pool keeps the block innermost.
// CHECK-DAG: #[[TO:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 * 4 + d4, d2, d3)>
// CHECK-DAG: #[[CIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d5, d2 + d6, d3 + d7, d8)>
// CHECK-DAG: #[[CW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d1, d5, d6, d7, d8, d4)>
// CHECK-DAG: #[[COUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[PIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2 * 2 + d5, d3 * 2 + d6, d4)>
// CHECK-DAG: #[[FROM:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 4, d2, d3, d1 mod 4)>
// CHECK-LABEL: func @blocked
// CHECK: linalg.generic {indexing_maps = [#[[TO]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK: linalg.generic {indexing_maps = [#[[CIN]], #[[CW]], #[[COUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
// CHECK: linalg.generic {indexing_maps = [#[[PIN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK: arith.maximumf
// CHECK: linalg.generic {indexing_maps = [#[[FROM]], {{.*}}]
func.func @blocked(%x: tensor<1x8x4x4xf32>, %w: tensor<2x2x1x1x4x4xf32>) -> tensor<1x8x2x2xf32> {
  %0 = dlc.to_blocked %x {block = 4} : (tensor<1x8x4x4xf32>) -> tensor<1x2x4x4x4xf32>
  %1 = dlc.conv_blocked %0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4x4xf32>, tensor<2x2x1x1x4x4xf32>) -> tensor<1x2x4x4x4xf32>
  %2 = dlc.max_pool %1 {blocked, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x4xf32>
  %3 = dlc.from_blocked %2 : (tensor<1x2x2x2x4xf32>) -> tensor<1x8x2x2xf32>
  return %3 : tensor<1x8x2x2xf32>
}

// -----

// Gather: one generic over the result reading the indices (negative ones
// wrapped, out-of-range ones clamped) and extracting from the data; slice is
// a strided tensor.extract_slice.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @gather_slice
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1 : tensor<2x2xi64>)
// CHECK: %[[I:.*]] = arith.index_cast
// CHECK: arith.cmpi slt, %[[I]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0
// CHECK: tensor.extract_slice %{{.*}}[0, 1, 0] [3, 1, 1] [1, 1, 2]
func.func @gather_slice(%x: tensor<3x4xf32>, %i: tensor<2x2xi64>) -> tensor<3x1x1xf32> {
  %0 = dlc.gather %x, %i {axis = 1} : (tensor<3x4xf32>, tensor<2x2xi64>) -> tensor<3x2x2xf32>
  %1 = dlc.slice %0 {starts = array<i64: 0, 1, 0>, ends = array<i64: 3, 2, 2>, steps = array<i64: 1, 1, 2>} : (tensor<3x2x2xf32>) -> tensor<3x1x1xf32>
  return %1 : tensor<3x1x1xf32>
}

// -----

// A blocked depthwise conv: loops (n, cb, oh, ow | kh, kw | ci), the channel
// lane innermost and parallel.
// CHECK-DAG: #[[DIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5, d6)>
// CHECK-DAG: #[[DW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-LABEL: func @depthwise_blocked
// CHECK: linalg.generic {indexing_maps = [#[[DIN]], #[[DW]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
func.func @depthwise_blocked(%x: tensor<1x2x5x5x4xf32>, %w: tensor<2x3x3x4xf32>) -> tensor<1x2x2x2x4xf32> {
  %0 = dlc.depthwise_conv_blocked %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x5x5x4xf32>, tensor<2x3x3x4xf32>) -> tensor<1x2x2x2x4xf32>
  return %0 : tensor<1x2x2x2x4xf32>
}

// -----

// Comparisons yield i1 (ordered for floats, signed for integers); select
// broadcasts all three operands.
// CHECK-LABEL: func @compare_select
// CHECK: outs(%{{.*}} : tensor<4xi1>)
// CHECK: arith.cmpf olt
// CHECK: ins(%{{.*}}, %arg0, %arg1 : tensor<4xi1>, tensor<4xf32>, tensor<f32>)
// CHECK: arith.select
// CHECK: arith.cmpi sge
func.func @compare_select(%a: tensor<4xf32>, %b: tensor<f32>, %i: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi1>) {
  %0 = dlc.less %a, %b : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %1 = dlc.select %0, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = dlc.greater_equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  return %1, %2 : tensor<4xf32>, tensor<4xi1>
}

// -----

// Float to integer truncates; a bool converts as 0/1 (unsigned); anything
// to bool is `!= 0` (true for NaN).
// CHECK-LABEL: func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.uitofp %{{.*}} : i1 to f32
// CHECK: arith.cmpf une
func.func @casts(%a: tensor<4xf32>, %i: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xf32>, tensor<4xi1>) {
  %0 = dlc.cast %a : tensor<4xf32> to tensor<4xi64>
  %1 = dlc.cast %i : tensor<4xi1> to tensor<4xf32>
  %2 = dlc.cast %a : tensor<4xf32> to tensor<4xi1>
  return %0, %1, %2 : tensor<4xi64>, tensor<4xf32>, tensor<4xi1>
}

// -----

// mod takes the divisor's sign: a non-zero remainder whose sign differs is
// moved by the divisor. fmod is the plain (truncated) remainder.
// CHECK-LABEL: func @mods
// CHECK: %[[R:.*]] = arith.remsi %[[A:.*]], %[[B:.*]] : i32
// CHECK: arith.cmpi ne, %[[R]]
// CHECK: %[[FIX:.*]] = arith.andi
// CHECK: %[[MOVED:.*]] = arith.addi %[[R]], %[[B]]
// CHECK: arith.select %[[FIX]], %[[MOVED]], %[[R]]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[F:.*]] = arith.remsi
// CHECK-NEXT: linalg.yield %[[F]]
func.func @mods(%a: tensor<4xi32>, %b: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %0 = dlc.mod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = dlc.fmod %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0, %1 : tensor<4xi32>, tensor<4xi32>
}

// -----

// Round is to nearest even; sign keeps 0 and NaN; not flips i1.
// CHECK-LABEL: func @unary
// CHECK: math.roundeven
// CHECK: math.asin
// CHECK: %[[POS:.*]] = arith.cmpf ogt
// CHECK: %[[NEG:.*]] = arith.cmpf olt
// CHECK: %[[INNER:.*]] = arith.select %[[NEG]], %{{.*}}, %[[X:.*]] : f32
// CHECK: arith.select %[[POS]], %{{.*}}, %[[INNER]] : f32
// CHECK: arith.xori %{{.*}}, %true : i1
func.func @unary(%a: tensor<4xf32>, %c: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>) {
  %0 = dlc.round %a : tensor<4xf32>
  %1 = dlc.asin %a : tensor<4xf32>
  %2 = dlc.sign %a : tensor<4xf32>
  %3 = dlc.not %c : tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>
}

// -----

// Shifts by the width or more give 0 (arith leaves them undefined); right
// shifts are logical; and/xor on wider integers are bitwise.
// CHECK-LABEL: func @shifts_and_bits
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.*]]: i16, %[[Y:.*]]: i16, %{{.*}}: i16):
// CHECK: %[[L:.*]] = arith.shli %[[X]], %[[Y]] : i16
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[Y]], %c16_i16 : i16
// CHECK: arith.select %[[IN]], %[[L]], %c0_i16 : i16
// CHECK: linalg.generic
// CHECK: arith.shrui
// CHECK: linalg.generic
// CHECK: arith.xori %{{.*}}, %{{.*}} : i16
// CHECK: linalg.generic
// CHECK: arith.andi %{{.*}}, %{{.*}} : i16
func.func @shifts_and_bits(%a: tensor<4xi16>, %b: tensor<4xi16>) -> (tensor<4xi16>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>) {
  %0 = dlc.shift_left %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %1 = dlc.shift_right %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %2 = dlc.xor %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %3 = dlc.and %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  return %0, %1, %2, %3 : tensor<4xi16>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>
}

// -----

// A large splat is filled at run time (a global would take its whole size);
// a small one stays a constant.
// CHECK-LABEL: func @splats
// CHECK-NOT: dense<2.500000e+00>
// CHECK: %[[TWO:.*]] = arith.constant 2.500000e+00 : f32
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<64x128xf32>
// CHECK: %[[BIG:.*]] = linalg.fill ins(%[[TWO]] : f32) outs(%[[EMPTY]] : tensor<64x128xf32>)
// CHECK: %[[SMALL:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NOT: dense<2.500000e+00>
// CHECK: return %[[BIG]], %[[SMALL]]
func.func @splats() -> (tensor<64x128xf32>, tensor<4xf32>) {
  %big = dlc.constant dense<2.5> : tensor<64x128xf32>
  %small = dlc.constant dense<1.0> : tensor<4xf32>
  return %big, %small : tensor<64x128xf32>, tensor<4xf32>
}
