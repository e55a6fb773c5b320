// RUN: rm -rf %t
// RUN: not dlc compile %s -o %t 2>&1 | FileCheck %s
// RUN: not ls %t
// An empty tensor whose zero-size dim is not the first has no strided
// layout for the bare-pointer interface: one clear error, nothing written.

// CHECK: dlc: error: tensor 'x' has type tensor<3x0x5xf32>; empty tensors of this shape cannot be passed to or from the library yet
func.func @empty(%x: tensor<3x0x5xf32> {dlc.name = "x"}) -> (tensor<3x0x5xf32> {dlc.name = "y"}) {
  %0 = dlc.relu %x : tensor<3x0x5xf32>
  return %0 : tensor<3x0x5xf32>
}
