// RUN: rm -rf %t && mkdir -p %t
// RUN: dlc compile %s -o %t/full --report -O2 | FileCheck %s --check-prefix=REPORT
// RUN: dlc compile %s -o %t/nofuse --report -O2 --disable-pass=dlc-fuse-ops | FileCheck %s --check-prefix=NOFUSE
// RUN: dlc compile %s -o %t/o3 --report -O3 | FileCheck %s --check-prefix=O3
// RUN: dlc compile %s -o %t/o0 --report -O0 | FileCheck %s --check-prefix=O0
// RUN: dlc compile %s -o %t/print --emit=graph --print-ir-after=dlc-fuse-ops 2>&1 | FileCheck %s --check-prefix=PRINT
// RUN: not dlc compile %s -o %t/bad --disable-pass=no-such-pass 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: dlc inspect %s -O2 --dot %t/graph.dot | FileCheck %s --check-prefix=INSPECT
// RUN: FileCheck %s --check-prefix=DOT < %t/graph.dot
// The driver's pass options on a conv-relu, conv + residual add + relu block.

// Two groups, each one loop nest; the first conv's output and the second
// conv's output would be two 1x4x8x8 buffers (naive), the first becomes the
// arena and the second is written straight into the result.
// REPORT: fused groups: 2
// REPORT-NEXT: layout changes: 0
// REPORT-NEXT: kernels: 2
// REPORT-NEXT: arena: 1024 bytes (naive 1024 bytes)
// Each 3x3 conv: 2 x 256 outputs x 36 multiply-adds = 18432, plus one per
// element of the relu (and the add): 18688 and 18944.
// REPORT-NEXT: estimated arithmetic: 37.6 kFLOP (37632 FLOP) in 2 graph kernels
// REPORT-NEXT: [0] fused conv+relu -> 1x4x8x8xf32  18.7 kFLOP (49.7 %)  (conv1, relu1)
// REPORT-NEXT: [1] fused conv+add+relu -> 1x4x8x8xf32  18.9 kFLOP (50.3 %)  (conv2, add, relu2)

// Without fusion each op is its own kernel and needs its own buffer.
// NOFUSE: fused groups: 0
// NOFUSE-NEXT: layout changes: 0
// NOFUSE-NEXT: kernels: 5
// NOFUSE-NEXT: arena: 2048 bytes (naive 4096 bytes)

// -O3 adds the blocked channel layout: the input enters it once (shared by
// the first conv and the residual add) and the result leaves it once.
// O3: fused groups: 2
// O3-NEXT: layout changes: 2
// O3-NEXT: kernels: 4
// The blocked layout does the same arithmetic; its conversions do none.
// O3: estimated arithmetic: 37.6 kFLOP (37632 FLOP) in 4 graph kernels
// O3-NEXT: [0] to_blocked -> 1x1x8x8x4xf32  0 FLOP (0.0 %)  (conv1)
// O3-NEXT: [1] fused conv_blocked+relu -> 1x1x8x8x4xf32  18.7 kFLOP (49.7 %)

// -O0: no graph optimization, no tiling, no planning.
// O0: fused groups: 0
// O0-NEXT: layout changes: 0
// O0-NEXT: kernels: {{[0-9]+}}
// O0-NEXT: arena: 0 bytes (naive 0 bytes)

// PRINT: IR Dump After FuseOps (dlc-fuse-ops)
// PRINT: dlc.fused
// PRINT-NOT: IR Dump After
// RUN: dlc compile %s -o %t/typo --emit=graph --print-ir-after=dlc-fuse-opz 2>&1 | FileCheck %s --check-prefix=TYPO
// TYPO: dlc: warning: --print-ir-after=dlc-fuse-opz: no pass 'dlc-fuse-opz' ran

// BAD: dlc: error: --disable-pass: 'no-such-pass' is not an optional pass (canonicalize, dlc-fold-constants, dlc-fold-batchnorm, dlc-quantized-matmul, cse, dlc-sink-reshapes, dlc-conv-microkernel, dlc-quantized-conv, dlc-layout-nchwc, dlc-fuse-ops, {{.*}}, dlc-merge-identical-kernels)

// INSPECT: model: block (-O2)
// INSPECT-NEXT: input 0: 1x4x8x8xf32
// INSPECT-NEXT: output 0: 1x4x8x8xf32
// INSPECT-NEXT: ops: 2 (2 fused groups), 1 constants
// INSPECT-NEXT: [0] fused conv+relu -> 1x4x8x8xf32  (conv1, relu1)
// INSPECT-NEXT: [1] fused conv+add+relu -> 1x4x8x8xf32  (conv2, add, relu2)

// DOT: digraph "block" {
// DOT: subgraph cluster_0 {
// DOT: subgraph cluster_1 {
// DOT: in0 -> n{{[0-9]+}};

func.func @block(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = dlc.constant dense<0.25> : tensor<4x4x3x3xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %1 = dlc.relu %0 : tensor<1x4x8x8xf32> loc("relu1")
  %2 = dlc.conv %1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  %3 = dlc.add %2, %x : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %4 = dlc.relu %3 : tensor<1x4x8x8xf32> loc("relu2")
  return %4 : tensor<1x4x8x8xf32>
}
