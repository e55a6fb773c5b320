// RUN: dlc-opt %s -split-input-file -verify-diagnostics -dlc-expand-narrow-types | FileCheck %s
// bf16, float8 and 4-/2-bit integer values get integer storage types; casts
// from and to them become bit operations (float8 decoded through a table);
// data movement is retyped; other ops on narrow floats run in f32 with one
// rounding at the end of a chain; ops on narrow integers are refused; other
// types are left alone.

// CHECK-LABEL: func @decode
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[B:.*]]: tensor<4xi16>) -> (tensor<4xf32>, tensor<4xf16>)
// CHECK: %[[TABLE:.*]] = dlc.constant dense<"0x00000000{{.*}}"> : tensor<256xf32>
// CHECK: %[[WIDE:.*]] = dlc.cast %[[A]] : tensor<4xi8> to tensor<4xi32>
// CHECK: %[[INDEX:.*]] = dlc.and %[[WIDE]], %{{.*}}
// CHECK: %[[F8:.*]] = dlc.gather %[[TABLE]], %[[INDEX]] {axis = 0 : i64}
// CHECK: %[[B32:.*]] = dlc.cast %[[B]] : tensor<4xi16> to tensor<4xi32>
// CHECK: %[[LOW:.*]] = dlc.and %[[B32]]
// CHECK: %[[HIGH:.*]] = dlc.shift_left %[[LOW]]
// CHECK: %[[BF:.*]] = dlc.bitcast %[[HIGH]] : tensor<4xi32> to tensor<4xf32>
// CHECK: %[[HALF:.*]] = dlc.cast %[[BF]] : tensor<4xf32> to tensor<4xf16>
// CHECK: return %[[F8]], %[[HALF]]
func.func @decode(%a: tensor<4xf8E4M3FN>, %b: tensor<4xbf16>) -> (tensor<4xf32>, tensor<4xf16>) {
  %0 = dlc.cast %a : tensor<4xf8E4M3FN> to tensor<4xf32>
  %1 = dlc.cast %b : tensor<4xbf16> to tensor<4xf16>
  return %0, %1 : tensor<4xf32>, tensor<4xf16>
}

// -----

// Round to nearest even at 2 mantissa bits (shift 21, +0xFFFFF + lsb),
// rebias (127 - 15) << 2 = 448; below 2^-14 a subnormal (x 2^16, round);
// overflow past 0x7B: infinity 0x7C without saturation; NaN 0x7F. The
// saturating E4M3FNUZ cast clamps to 0x7F, drops -0's sign, NaN is 0x80.
// CHECK-LABEL: func @encode
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi8>)
// CHECK: %[[BITS:.*]] = dlc.bitcast %[[X]] : tensor<4xf32> to tensor<4xi32>
// CHECK: dlc.constant dense<1048575> : tensor<i32>
// CHECK: dlc.constant dense<448> : tensor<i32>
// CHECK: dlc.constant dense<6.553600e+04> : tensor<f32>
// CHECK: dlc.round
// CHECK: %[[INF:.*]] = dlc.constant dense<124> : tensor<i32>
// CHECK: %[[MAX:.*]] = dlc.constant dense<123> : tensor<i32>
// CHECK: %[[OVER:.*]] = dlc.greater %{{.*}}, %[[MAX]]
// CHECK: dlc.select %[[OVER]], %[[INF]], %{{.*}}
// CHECK: %[[NAN:.*]] = dlc.not_equal %[[X]], %[[X]]
// CHECK: dlc.select %[[NAN]], %{{.*}}, %{{.*}}
// CHECK: %[[E5M2:.*]] = dlc.cast %{{.*}} : tensor<4xi32> to tensor<4xi8>
// CHECK: dlc.constant dense<952> : tensor<i32>
// CHECK: %[[CLAMP:.*]] = dlc.constant dense<127> : tensor<i32>
// CHECK: dlc.select %{{.*}}, %[[CLAMP]], %{{.*}}
// CHECK: dlc.equal
// CHECK: dlc.constant dense<128> : tensor<i32>
// CHECK: %[[FNUZ:.*]] = dlc.cast %{{.*}} : tensor<4xi32> to tensor<4xi8>
// CHECK: return %[[E5M2]], %[[FNUZ]]
func.func @encode(%x: tensor<4xf32>) -> (tensor<4xf8E5M2>, tensor<4xf8E4M3FNUZ>) {
  %0 = dlc.cast %x {no_saturate} : tensor<4xf32> to tensor<4xf8E5M2>
  %1 = dlc.cast %x : tensor<4xf32> to tensor<4xf8E4M3FNUZ>
  return %0, %1 : tensor<4xf8E5M2>, tensor<4xf8E4M3FNUZ>
}

// -----

// An int4 argument is sign-extended from its low 4 bits ((x & 15) ^ 8) - 8;
// a cast to uint2 wraps (& 3); a narrow result is masked to its low bits.
// CHECK-LABEL: func @narrow_ints
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[X:.*]]: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xi8>)
// CHECK: %[[LOW:.*]] = dlc.and %[[A]], %{{.*}} : (tensor<4xi8>, tensor<i8>)
// CHECK: %[[FLIP:.*]] = dlc.xor %[[LOW]]
// CHECK: %[[SIGNED:.*]] = dlc.sub %[[FLIP]]
// CHECK: %[[I8:.*]] = dlc.cast %[[SIGNED]] : tensor<4xi8> to tensor<4xi8>
// CHECK: %[[I32:.*]] = dlc.cast %[[X]] : tensor<4xf32> to tensor<4xi32>
// CHECK: %[[THREE:.*]] = dlc.constant dense<3> : tensor<i32>
// CHECK: %[[WRAP:.*]] = dlc.and %[[I32]], %[[THREE]]
// CHECK: %[[U2:.*]] = dlc.cast %[[WRAP]] : tensor<4xi32> to tensor<4xi8>
// CHECK: %[[OUT:.*]] = dlc.and %[[U2]]
// CHECK: return %[[I8]], %[[OUT]]
func.func @narrow_ints(%a: tensor<4xsi4>, %x: tensor<4xf32>) -> (tensor<4xi8>, tensor<4xui2>) {
  %0 = dlc.cast %a : tensor<4xsi4> to tensor<4xi8>
  %1 = dlc.cast %x : tensor<4xf32> to tensor<4xui2>
  return %0, %1 : tensor<4xi8>, tensor<4xui2>
}

// -----

// add, transpose, exp on bf16: decoded once, computed in f32 (the transpose
// moves f32 values), rounded once for the result.
// CHECK-LABEL: func @bf16_chain
// CHECK-SAME: -> tensor<2x2xi16>
// CHECK: %[[A:.*]] = dlc.bitcast %{{.*}} : tensor<2x2xi32> to tensor<2x2xf32>
// CHECK: %[[B:.*]] = dlc.bitcast %{{.*}} : tensor<2x2xi32> to tensor<2x2xf32>
// CHECK: %[[SUM:.*]] = dlc.add %[[A]], %[[B]] : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: %[[T:.*]] = dlc.transpose %[[SUM]] {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
// CHECK: %[[E:.*]] = dlc.exp %[[T]] : tensor<2x2xf32>
// CHECK: %[[EBITS:.*]] = dlc.bitcast %[[E]] : tensor<2x2xf32> to tensor<2x2xi32>
// CHECK: dlc.constant dense<32767> : tensor<i32>
// CHECK: %[[R:.*]] = dlc.cast %{{.*}} : tensor<2x2xi32> to tensor<2x2xi16>
// CHECK: return %[[R]] : tensor<2x2xi16>
func.func @bf16_chain(%a: tensor<2x2xbf16>, %b: tensor<2x2xbf16>) -> tensor<2x2xbf16> {
  %0 = dlc.add %a, %b : (tensor<2x2xbf16>, tensor<2x2xbf16>) -> tensor<2x2xbf16>
  %1 = dlc.transpose %0 {perm = array<i64: 1, 0>} : (tensor<2x2xbf16>) -> tensor<2x2xbf16>
  %2 = dlc.exp %1 : tensor<2x2xbf16>
  return %2 : tensor<2x2xbf16>
}

// -----

// Data movement on float8 bits: retyped; constants keep their bits
// (1.0 and 2.0 in E5M2 are 0x3C and 0x40).
// CHECK-LABEL: func @moves_bits
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xi8>) -> tensor<5x3xi8>
// CHECK: %[[C:.*]] = dlc.constant dense<{{\[\[}}60, 64, 60], [64, 60, 64]]> : tensor<2x3xi8>
// CHECK: %[[J:.*]] = dlc.concat %[[A]], %[[C]], %[[A]] {axis = 0 : i64} : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi8>) -> tensor<6x3xi8>
// CHECK: %[[S:.*]] = dlc.slice %[[J]]
// CHECK: return %[[S]]
func.func @moves_bits(%a: tensor<2x3xf8E5M2>) -> tensor<5x3xf8E5M2> {
  %c = dlc.constant dense<[[1.0, 2.0, 1.0], [2.0, 1.0, 2.0]]> : tensor<2x3xf8E5M2>
  %0 = dlc.concat %a, %c, %a {axis = 0 : i64} : (tensor<2x3xf8E5M2>, tensor<2x3xf8E5M2>, tensor<2x3xf8E5M2>) -> tensor<6x3xf8E5M2>
  %1 = dlc.slice %0 {starts = array<i64: 1, 0>, ends = array<i64: 6, 3>, steps = array<i64: 1, 1>} : (tensor<6x3xf8E5M2>) -> tensor<5x3xf8E5M2>
  return %1 : tensor<5x3xf8E5M2>
}

// -----

// CHECK-LABEL: func @leaves_alone
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf16>) -> tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = dlc.cast %[[B]] : tensor<4xf16> to tensor<4xf32>
// CHECK-NEXT: %[[S:.*]] = dlc.add %[[A]], %[[W]]
// CHECK-NEXT: return %[[S]]
func.func @leaves_alone(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  %0 = dlc.cast %b : tensor<4xf16> to tensor<4xf32>
  %1 = dlc.add %a, %0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

func.func @int4_arithmetic(%a: tensor<4xsi4>) -> tensor<4xsi4> {
  // expected-error @+1 {{does not take 'si4' values}}
  %0 = dlc.add %a, %a : (tensor<4xsi4>, tensor<4xsi4>) -> tensor<4xsi4>
  return %0 : tensor<4xsi4>
}

// -----

// The dialect's float4 and f8E8M0 (MLIR 19 has neither): float4 decodes
// through a 16-entry table, its sign at bit 3, saturating at 6.0 (code 7);
// f8E8M0 keeps the exponent field, rounded as round_mode says.
// CHECK-LABEL: func @dialect_types
// CHECK-SAME: (%[[A:.*]]: tensor<4xi8>, %[[X:.*]]: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi8>, tensor<4xi8>)
// CHECK: %[[LOW:.*]] = dlc.and %[[A]], %{{.*}} : (tensor<4xi8>, tensor<i8>)
// CHECK: %[[TABLE:.*]] = dlc.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 6.000000e+00, -0.000000e+00, {{.*}}]> : tensor<16xf32>
// CHECK: dlc.gather %[[TABLE]]
// CHECK: dlc.constant dense<252> : tensor<i32>
// CHECK: %[[SEVEN:.*]] = dlc.constant dense<7> : tensor<i32>
// CHECK: dlc.select %{{.*}}, %[[SEVEN]], %{{.*}}
// CHECK: %[[THREE:.*]] = dlc.constant dense<3> : tensor<i32>
// CHECK: dlc.shift_left %{{.*}}, %[[THREE]]
// CHECK: %[[F4:.*]] = dlc.cast %{{.*}} : tensor<4xi32> to tensor<4xi8>
// CHECK: %[[E:.*]] = dlc.bitcast %[[X]] : tensor<4xf32> to tensor<4xi32>
// CHECK: dlc.constant dense<4194304> : tensor<i32>
// CHECK: %[[E8:.*]] = dlc.cast %{{.*}} : tensor<4xi32> to tensor<4xi8>
// CHECK: return %{{.*}}, %[[F4]], %[[E8]]
func.func @dialect_types(%a: tensor<4x!dlc.f4E2M1>, %x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4x!dlc.f4E2M1>, tensor<4x!dlc.f8E8M0>) {
  %0 = dlc.cast %a : tensor<4x!dlc.f4E2M1> to tensor<4xf32>
  %1 = dlc.cast %x : tensor<4xf32> to tensor<4x!dlc.f4E2M1>
  %2 = dlc.cast %x {round_mode = "nearest"} : tensor<4xf32> to tensor<4x!dlc.f8E8M0>
  return %0, %1, %2 : tensor<4xf32>, tensor<4x!dlc.f4E2M1>, tensor<4x!dlc.f8E8M0>
}
