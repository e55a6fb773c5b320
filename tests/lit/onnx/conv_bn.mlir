// RUN: rm -rf %t && dlc compile %S/Inputs/conv_bn.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s < %t/conv_bn.graph.mlir
// Conv's bias becomes a broadcast add of [C,1,1] (a small constant, reshaped
// at import); inference BatchNorm with constant statistics becomes x * s + t,
// s and t computed at import.

// CHECK: %[[C:.*]] = dlc.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
// CHECK: %[[B:.*]] = dlc.constant dense<{{\[\[\[}}5.000000e-01]], {{\[\[}}-5.000000e-01]]]> : tensor<2x1x1xf32>
// CHECK: %[[CB:.*]] = dlc.add %[[C]], %[[B]]
// s = scale / sqrt(var + eps): 1/sqrt(1 + 1e-5), 2/sqrt(4 + 1e-5)
// CHECK: %[[S:.*]] = dlc.constant dense<{{\[\[\[}}0.99999{{[0-9]*}}]], {{\[\[}}0.99999{{[0-9]*}}]]]> : tensor<2x1x1xf32>
// CHECK: %[[T:.*]] = dlc.constant dense<{{\[\[\[}}0.000000e+00]], {{\[\[}}1.000000e+00]]]> : tensor<2x1x1xf32>
// CHECK: %[[Y:.*]] = dlc.mul %[[CB]], %[[S]]
// CHECK: dlc.add %[[Y]], %[[T]]
