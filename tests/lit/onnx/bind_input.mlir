// RUN: rm -rf %t
// RUN: not dlc compile %S/Inputs/reshape_shape_input.onnx -o %t 2>&1 | FileCheck %s --check-prefix=UNBOUND
// RUN: not ls %t
// RUN: dlc compile %S/Inputs/reshape_shape_input.onnx --bind-input shape=%S/Inputs/shape_3x4.npy -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=BOUND < %t/reshape_shape_input.graph.mlir
// RUN: not dlc compile %S/Inputs/reshape_shape_input.onnx --bind-input nothere=%S/Inputs/shape_3x4.npy -o %t/bad 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: dlc compile %S/Inputs/shape_chain.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=CHAIN < %t/shape_chain.graph.mlir
// RUN: not dlc compile %S/Inputs/nonzero_runtime.onnx -o %t/nz 2>&1 | FileCheck %s --check-prefix=NONZERO
// A shape given as a graph input must be known when compiling: the error
// names the graph input to bind; once bound, the input is a constant and
// leaves the signature. Shape computations over static shapes are folded at
// import. NonZero of a run-time value has no static shape and is refused.

// UNBOUND: dlc: error: node 'reshape_to_given': Reshape: the target shape (input 'shape') must be known at compile time; it is computed from graph inputs: give their values with --bind-input shape=FILE

// BOUND: func.func @reshape_shape_input(%arg0: tensor<2x6xf32> {dlc.name = "x"}) -> (tensor<3x4xf32> {dlc.name = "y"})
// BOUND: dlc.reshape %arg0 : (tensor<2x6xf32>) -> tensor<3x4xf32>

// UNKNOWN: dlc: error: --bind-input names 'nothere', which is not an input of the model

// CHAIN-NOT: dlc.gather
// CHAIN-NOT: dlc.concat
// CHAIN: dlc.constant dense<[2, -1]> : tensor<2xi64>
// CHAIN: dlc.reshape %arg0 : (tensor<2x3x2xf32>) -> tensor<2x6xf32>

// NONZERO: dlc: error: node 'find_nonzero': NonZero: the output shape depends on the input's values
