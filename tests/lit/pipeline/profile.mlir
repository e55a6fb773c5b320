// RUN: rm -rf %t
// RUN: dlc compile %s -O2 --profile --emit=loops,lib --name block -o %t
// RUN: FileCheck %s < %t/block.loops.mlir
// RUN: FileCheck %s --check-prefix=HEADER < %t/block.h
// RUN: dlc compile %s -O2 --emit=loops --name block -o %t/plain
// RUN: FileCheck %s --check-prefix=PLAIN < %t/plain/block.loops.mlir
// --profile marks each kernel of the compute function (a top-level loop
// nest, or the call that dlc-outline-kernels made of it) with its index
// before it runs, and the count before the return; the glue turns the marks
// into per-kernel times that block_profile returns.

// CHECK: func.func private @__dlc_profile_mark(i32)
// CHECK: func.func @__dlc_block_compute
// CHECK: %[[C0:.*]] = arith.constant 0 : i32
// CHECK: call @__dlc_profile_mark(%[[C0]]) : (i32) -> ()
// CHECK-NEXT: call @__dlc_block_compute_kernel0
// CHECK: %[[C1:.*]] = arith.constant 1 : i32
// CHECK: call @__dlc_profile_mark(%[[C1]]) : (i32) -> ()
// CHECK-NEXT: call @__dlc_block_compute_kernel1
// CHECK: %[[C2:.*]] = arith.constant 2 : i32
// CHECK: call @__dlc_profile_mark(%[[C2]]) : (i32) -> ()
// CHECK-NEXT: return
// CHECK-NOT: __dlc_profile_mark

// HEADER: int32_t block_profile(const char *const **names, const double **nanoseconds,
// HEADER: void block_profile_reset(void);

// Without --profile nothing is added.
// PLAIN-NOT: __dlc_profile_mark

func.func @block(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = dlc.constant dense<0.25> : tensor<4x4x3x3xf32>
  %0 = dlc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %1 = dlc.relu %0 : tensor<1x4x8x8xf32> loc("relu1")
  %2 = dlc.conv %1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  %3 = dlc.add %2, %x : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %4 = dlc.relu %3 : tensor<1x4x8x8xf32> loc("relu2")
  return %4 : tensor<1x4x8x8xf32>
}
