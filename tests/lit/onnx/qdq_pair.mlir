// RUN: rm -rf %t && dlc compile %S/Inputs/qdq_pair.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s < %t/qdq_pair.graph.mlir
// DequantizeLinear after QuantizeLinear (a QDQ pair, uint8, zero point 128)
// reads the clipped f32 value: its round trip through the integer type is
// the identity there, so the pair is one chain of f32 ops. The quantized
// value that is itself a graph output keeps its casts, and so does the
// DequantizeLinear of a uint8 graph input (nothing proves it integral).

// CHECK-LABEL: func.func @qdq_pair
// CHECK-DAG:  %[[S:.*]] = dlc.constant dense<5.000000e-01> : tensor<f32>
// CHECK:      %[[D:.*]] = dlc.div %arg0, %[[S]]
// CHECK-NEXT: %[[R:.*]] = dlc.round %[[D]]
// CHECK-NEXT: %[[A:.*]] = dlc.add %[[R]], %{{.*}}
// CHECK-NEXT: %[[C:.*]] = dlc.clip %[[A]] {max = 2.550000e+02 : f64, min = 0.000000e+00 : f64}
// CHECK-NEXT: %[[W:.*]] = dlc.cast %[[C]] : tensor<4xf32> to tensor<4xi64>
// CHECK-NEXT: %[[Q:.*]] = dlc.cast %[[W]] : tensor<4xi64> to tensor<4xi8>
// CHECK:      %[[Y0:.*]] = dlc.sub %[[C]], %{{.*}}
// CHECK-NEXT: %[[Y:.*]] = dlc.mul %[[Y0]], %[[S]]
// CHECK:      %[[U:.*]] = dlc.cast %arg1 : tensor<4xi8> to tensor<4xi64>
// CHECK:      %[[UF:.*]] = dlc.cast %{{.*}} : tensor<4xi64> to tensor<4xf32>
// CHECK-NEXT: %[[Z0:.*]] = dlc.sub %[[UF]], %{{.*}}
// CHECK-NEXT: %[[Z:.*]] = dlc.mul %[[Z0]], %[[S]]
// CHECK-NEXT: return %[[Y]], %[[Q]], %[[Z]]
