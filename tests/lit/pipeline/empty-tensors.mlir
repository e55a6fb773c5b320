// RUN: rm -rf %t
// RUN: dlc compile %s -o %t
// RUN: FileCheck %s < %t/empty_tensors.h
// An empty tensor whose zero-size dim is not the first has no strided
// layout for the bare-pointer interface; it crosses the boundary as a
// tensor<0xT> while the header keeps the shape the model declares.

// CHECK: /* INPUT 0: 'x', float32 [3, 0, 5] (float elements) */
// CHECK: #define EMPTY_TENSORS_INPUT0_NUM_ELEMENTS 0
// CHECK: #define EMPTY_TENSORS_INPUT0_SHAPE {3, 0, 5}
// CHECK: /* OUTPUT 0: 'y', float32 [3, 0, 5] (float elements) */
// CHECK: #define EMPTY_TENSORS_OUTPUT0_SHAPE {3, 0, 5}
func.func @empty(%x: tensor<3x0x5xf32> {dlc.name = "x"}) -> (tensor<3x0x5xf32> {dlc.name = "y"}) {
  %0 = dlc.relu %x : tensor<3x0x5xf32>
  return %0 : tensor<3x0x5xf32>
}
