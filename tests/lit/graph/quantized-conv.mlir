// RUN: dlc-opt %s -split-input-file -dlc-quantized-conv=int8-dot=avx512-vnni -canonicalize | FileCheck %s
// RUN: dlc-opt %s -split-input-file -dlc-quantized-conv -canonicalize | FileCheck %s --check-prefix=NOVNNI
// RUN: dlc-opt %s -split-input-file -dlc-quantized-conv=int8-dot=avx2 -canonicalize | FileCheck %s --check-prefix=WORDS
// A conv of a fake-quantized activation ((q - z) * s, q an integral clip
// within 8 bits) by a filter on an int8 grid per output channel runs on
// 8-bit integers (dlc.conv_integer), where the target has vpdpbusd (bytes
// holding q) or, on AVX2, vpmaddwd (i16 words holding q - z).

// After a ReLU (z = 0) with padding: filter channel 0 on grid 0.5 (w = 2,
// 127, -4, 0), channel 1 on grid 0.25 (w = -127, 1, 0, 8); the scales are
// 0.1 * [0.5, 0.25]; no zero-point correction.
// CHECK-LABEL: func @relu_activation_padded
// CHECK-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[}}2]], {{\[\[}}127]], {{\[\[}}-4]], {{\[\[}}0]]], {{\[\[\[}}-127]], {{\[\[}}1]], {{\[\[}}0]], {{\[\[}}8]]]]> : tensor<2x4x1x1xi8>
// CHECK-DAG: %[[S:.*]] = dlc.constant dense<{{\[\[\[}}5.000000e-02]], {{\[\[}}2.500000e-02]]]> : tensor<2x1x1xf32>
// CHECK: %[[Q:.*]] = dlc.clip
// CHECK: %[[I:.*]] = dlc.cast %[[Q]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// CHECK: %[[B:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi8>
// CHECK: %[[C:.*]] = dlc.conv_integer %[[B]], %[[W]] {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-NOT: dlc.sub
// CHECK: %[[F:.*]] = dlc.cast %[[C]] : tensor<1x2x3x3xi32> to tensor<1x2x3x3xf32>
// CHECK: %[[Y:.*]] = dlc.mul %[[F]], %[[S]]
// CHECK-NOT: dlc.conv %
// CHECK: return %[[Y]]
// NOVNNI-LABEL: func @relu_activation_padded
// NOVNNI-NOT: dlc.conv_integer
// NOVNNI: dlc.conv %
// WORDS-LABEL: func @relu_activation_padded
// WORDS-DAG: %[[W:.*]] = dlc.constant dense<{{\[\[\[\[}}2]], {{\[\[}}127]], {{\[\[}}-4]], {{\[\[}}0]]], {{\[\[\[}}-127]], {{\[\[}}1]], {{\[\[}}0]], {{\[\[}}8]]]]> : tensor<2x4x1x1xi8>
// WORDS: %[[Q:.*]] = dlc.clip
// WORDS-NEXT: %[[I:.*]] = dlc.cast %[[Q]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// WORDS-NEXT: %[[H:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi16>
// WORDS-NEXT: %[[C:.*]] = dlc.conv_integer %[[H]], %[[W]] {{.*}} : (tensor<1x4x3x3xi16>, tensor<2x4x1x1xi8>) -> tensor<1x2x3x3xi32>
// WORDS-NEXT: dlc.cast %[[C]] : tensor<1x2x3x3xi32> to tensor<1x2x3x3xf32>
func.func @relu_activation_padded(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<0.0> : tensor<f32>
  %w = dlc.constant dense<[[[[1.0]], [[63.5]], [[-2.0]], [[0.0]]], [[[-31.75]], [[0.25]], [[0.0]], [[2.0]]]]> : tensor<2x4x1x1xf32>
  %0 = dlc.div %x, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.round %0 : tensor<1x4x3x3xf32>
  %2 = dlc.add %1, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<1x4x3x3xf32>
  %4 = dlc.sub %3, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %5 = dlc.mul %4, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %6 = dlc.conv %5, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %6 : tensor<1x2x3x3xf32>
}

// -----

// Zero point 3 without padding: the sums lose 3 * sum(w_f) = 3 * [125,
// -118]. A per-tensor grid (0.5 for both channels).
// CHECK-LABEL: func @unsigned_zero_point
// CHECK-DAG: %[[Z:.*]] = dlc.constant dense<{{\[\[\[}}375]], {{\[\[}}-354]]]> : tensor<2x1x1xi32>
// CHECK-DAG: %[[S:.*]] = dlc.constant dense<5.000000e-02> : tensor<2x1x1xf32>
// CHECK: %[[C:.*]] = dlc.conv_integer
// CHECK: %[[D:.*]] = dlc.sub %[[C]], %[[Z]]
// CHECK: %[[F:.*]] = dlc.cast %[[D]] : tensor<1x2x3x3xi32> to tensor<1x2x3x3xf32>
// CHECK: dlc.mul %[[F]], %[[S]]
// Words hold q - 3: no correction.
// WORDS-LABEL: func @unsigned_zero_point
// WORDS-DAG: %[[M:.*]] = dlc.constant dense<-3.000000e+00> : tensor<f32>
// WORDS: %[[Q:.*]] = dlc.clip
// WORDS-NEXT: %[[D:.*]] = dlc.add %[[Q]], %[[M]]
// WORDS-NEXT: %[[I:.*]] = dlc.cast %[[D]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// WORDS-NEXT: %[[H:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi16>
// WORDS-NEXT: %[[C:.*]] = dlc.conv_integer %[[H]]
// WORDS-NEXT: dlc.cast %[[C]] : tensor<1x2x3x3xi32> to tensor<1x2x3x3xf32>
func.func @unsigned_zero_point(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<3.0> : tensor<f32>
  %w = dlc.constant dense<[[[[1.0]], [[63.5]], [[-2.0]], [[0.0]]], [[[-63.5]], [[0.5]], [[0.0]], [[4.0]]]]> : tensor<2x4x1x1xf32>
  %0 = dlc.div %x, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.round %0 : tensor<1x4x3x3xf32>
  %2 = dlc.add %1, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<1x4x3x3xf32>
  %4 = dlc.sub %3, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %5 = dlc.mul %4, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %6 = dlc.conv %5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %6 : tensor<1x2x3x3xf32>
}

// -----

// A signed activation (zero point -1) moves up by 128: q + 128 in bytes,
// z + 128 = 127 in the correction (127 * [125, -118]).
// CHECK-LABEL: func @signed_activation
// CHECK-DAG: %[[H:.*]] = dlc.constant dense<1.280000e+02> : tensor<f32>
// CHECK-DAG: %[[Z:.*]] = dlc.constant dense<{{\[\[\[}}15875]], {{\[\[}}-14986]]]> : tensor<2x1x1xi32>
// CHECK: %[[Q:.*]] = dlc.clip
// CHECK: %[[U:.*]] = dlc.add %[[Q]], %[[H]]
// CHECK: %[[I:.*]] = dlc.cast %[[U]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// CHECK: %[[B:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi8>
// CHECK: %[[C:.*]] = dlc.conv_integer %[[B]]
// CHECK: dlc.sub %[[C]], %[[Z]]
// Words hold q - (-1) = q + 1, signed.
// WORDS-LABEL: func @signed_activation
// WORDS-DAG: %[[P:.*]] = dlc.constant dense<1.000000e+00> : tensor<f32>
// WORDS: %[[Q:.*]] = dlc.clip
// WORDS-NEXT: %[[D:.*]] = dlc.add %[[Q]], %[[P]]
// WORDS-NEXT: %[[I:.*]] = dlc.cast %[[D]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// WORDS-NEXT: %[[H:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi16>
// WORDS-NEXT: %[[C:.*]] = dlc.conv_integer %[[H]]
// WORDS-NOT: dlc.sub
// WORDS: return
func.func @signed_activation(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<-1.0> : tensor<f32>
  %w = dlc.constant dense<[[[[1.0]], [[63.5]], [[-2.0]], [[0.0]]], [[[-63.5]], [[0.5]], [[0.0]], [[4.0]]]]> : tensor<2x4x1x1xf32>
  %0 = dlc.div %x, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.round %0 : tensor<1x4x3x3xf32>
  %2 = dlc.add %1, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %3 = dlc.clip %2 {max = 127.0 : f64, min = -128.0 : f64} : tensor<1x4x3x3xf32>
  %4 = dlc.sub %3, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %5 = dlc.mul %4, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %6 = dlc.conv %5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %6 : tensor<1x2x3x3xf32>
}

// -----

// Left alone: padding with a zero point (the padding would read q - z =
// -3, not 0), a filter off any int8 grid, input channels that are not a
// multiple of 4, a grouped conv.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: dlc.conv_integer
// CHECK-COUNT-4: dlc.conv %
// CHECK-NOT: dlc.conv_integer
// Words (q - z) pad with zeros for any z: only the padded conv changes.
// WORDS-LABEL: func @left_alone
// WORDS: dlc.conv_integer %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xi16>, tensor<2x4x1x1xi8>) -> tensor<1x2x5x5xi32>
// WORDS-COUNT-3: dlc.conv %
// WORDS-NOT: dlc.conv_integer
func.func @left_alone(%x: tensor<1x4x3x3xf32>, %y: tensor<1x6x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<3.0> : tensor<f32>
  %w = dlc.constant dense<[[[[1.0]], [[63.5]], [[-2.0]], [[0.0]]], [[[-63.5]], [[0.5]], [[0.0]], [[4.0]]]]> : tensor<2x4x1x1xf32>
  %off = dlc.constant dense<[[[[1.0]], [[63.5]], [[-2.0]], [[0.3]]], [[[-63.5]], [[0.5]], [[0.0]], [[4.0]]]]> : tensor<2x4x1x1xf32>
  %w6 = dlc.constant dense<0.5> : tensor<2x6x1x1xf32>
  %wg = dlc.constant dense<0.5> : tensor<2x2x1x1xf32>
  %0 = dlc.div %x, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.round %0 : tensor<1x4x3x3xf32>
  %2 = dlc.add %1, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<1x4x3x3xf32>
  %4 = dlc.sub %3, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %5 = dlc.mul %4, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %padded = dlc.conv %5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x5x5xf32>
  %p = dlc.slice %padded {starts = array<i64: 0, 0, 1, 1>, ends = array<i64: 1, 2, 4, 4>, axes = array<i64: 0, 1, 2, 3>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32>
  %offgrid = dlc.conv %5, %off {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x3x3xf32>
  %6 = dlc.div %y, %s : (tensor<1x6x3x3xf32>, tensor<f32>) -> tensor<1x6x3x3xf32>
  %7 = dlc.round %6 : tensor<1x6x3x3xf32>
  %8 = dlc.clip %7 {max = 255.0 : f64, min = 0.0 : f64} : tensor<1x6x3x3xf32>
  %9 = dlc.sub %8, %z : (tensor<1x6x3x3xf32>, tensor<f32>) -> tensor<1x6x3x3xf32>
  %10 = dlc.mul %9, %s : (tensor<1x6x3x3xf32>, tensor<f32>) -> tensor<1x6x3x3xf32>
  %six = dlc.conv %10, %w6 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x6x3x3xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x3x3xf32>
  %grouped = dlc.conv %5, %wg {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x4x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  return %p, %offgrid, %six, %grouped : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// An activation that two convs and a residual add read: one set of bytes
// for both convs, and the residual's dequantization reads the bytes back
// (zero-extended), so that the kernel computing q stores one byte an
// element.
// CHECK-LABEL: func @shared_activation
// CHECK: %[[Q:.*]] = dlc.clip
// CHECK-NEXT: %[[I:.*]] = dlc.cast %[[Q]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// CHECK-NEXT: %[[B:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi8>
// CHECK-NEXT: %[[W:.*]] = dlc.cast %[[B]] : tensor<1x4x3x3xi8> to tensor<1x4x3x3xi32>
// CHECK-NEXT: %[[U:.*]] = dlc.and %[[W]], %{{.*}} : (tensor<1x4x3x3xi32>, tensor<i32>) -> tensor<1x4x3x3xi32>
// CHECK-NEXT: %[[F:.*]] = dlc.cast %[[U]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xf32>
// CHECK-NEXT: %[[D:.*]] = dlc.sub %[[F]], %{{.*}}
// CHECK-NEXT: %[[A:.*]] = dlc.mul %[[D]], %{{.*}}
// CHECK-COUNT-2: dlc.conv_integer %[[B]]
// CHECK: dlc.add %{{.*}}, %[[A]]
// The residual reads q back as words + 3.
// WORDS-LABEL: func @shared_activation
// WORDS-DAG: %[[M:.*]] = dlc.constant dense<-3.000000e+00> : tensor<f32>
// WORDS: %[[Q:.*]] = dlc.clip
// WORDS-NEXT: %[[D:.*]] = dlc.add %[[Q]], %[[M]]
// WORDS-NEXT: %[[I:.*]] = dlc.cast %[[D]] : tensor<1x4x3x3xf32> to tensor<1x4x3x3xi32>
// WORDS-NEXT: %[[H:.*]] = dlc.cast %[[I]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xi16>
// WORDS-NEXT: %[[J:.*]] = dlc.cast %[[H]] : tensor<1x4x3x3xi16> to tensor<1x4x3x3xi32>
// WORDS-NEXT: %[[F:.*]] = dlc.cast %[[J]] : tensor<1x4x3x3xi32> to tensor<1x4x3x3xf32>
// WORDS-NEXT: %[[R:.*]] = dlc.sub %[[F]], %[[M]]
// WORDS-NEXT: %[[E:.*]] = dlc.sub %[[R]], %{{.*}}
// WORDS-NEXT: %[[A:.*]] = dlc.mul %[[E]], %{{.*}}
// WORDS-COUNT-2: dlc.conv_integer %[[H]]
// WORDS: dlc.add %{{.*}}, %[[A]]
func.func @shared_activation(%x: tensor<1x4x3x3xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) {
  %s = dlc.constant dense<0.1> : tensor<f32>
  %z = dlc.constant dense<3.0> : tensor<f32>
  %w = dlc.constant dense<0.5> : tensor<4x4x1x1xf32>
  %0 = dlc.div %x, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %1 = dlc.round %0 : tensor<1x4x3x3xf32>
  %2 = dlc.add %1, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %3 = dlc.clip %2 {max = 255.0 : f64, min = 0.0 : f64} : tensor<1x4x3x3xf32>
  %4 = dlc.sub %3, %z : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %5 = dlc.mul %4, %s : (tensor<1x4x3x3xf32>, tensor<f32>) -> tensor<1x4x3x3xf32>
  %6 = dlc.conv %5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %7 = dlc.conv %5, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x3x3xf32>
  %8 = dlc.add %6, %5 : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %8, %7 : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}
