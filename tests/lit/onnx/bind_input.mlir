// RUN: rm -rf %t
// RUN: not dlc compile %S/Inputs/reshape_shape_input.onnx -o %t 2>&1 | FileCheck %s --check-prefix=UNBOUND
// RUN: not ls %t
// RUN: dlc compile %S/Inputs/reshape_shape_input.onnx --bind-input shape=%S/Inputs/shape_3x4.npy -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=BOUND < %t/reshape_shape_input.graph.mlir
// RUN: not dlc compile %S/Inputs/reshape_shape_input.onnx --bind-input nothere=%S/Inputs/shape_3x4.npy -o %t/bad 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: dlc compile %S/Inputs/shape_chain.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=CHAIN < %t/shape_chain.graph.mlir
// RUN: not dlc compile %S/Inputs/nonzero_runtime.onnx --target=cuda -o %t/nz 2>&1 | FileCheck %s --check-prefix=NONZERO
// RUN: not dlc compile %S/Inputs/topk_runtime_k.onnx -o %t/tk 2>&1 | FileCheck %s --check-prefix=TOPK
// RUN: dlc compile %S/Inputs/topk_runtime_k.onnx --bind-input k=%S/Inputs/k_3.npy -O0 --emit=graph -o %t/tk
// RUN: FileCheck %s --check-prefix=TOPK-BOUND < %t/tk/topk_runtime_k.graph.mlir
// A shape given as a graph input must be known when compiling: the error
// names the graph input to bind; once bound, the input is a constant and
// leaves the signature. Shape computations over static shapes are folded at
// import. NonZero of a run-time value has no static shape: the library
// allocates it (runtime_shape_input.mlir), but a CUDA library cannot yet.
// TopK's K sets its output shape, so it is bound like a shape; the values
// are gathered at the indices dlc.top_k picks.

// UNBOUND: dlc: error: node 'reshape_to_given': Reshape: the target shape (input 'shape') must be known at compile time; it is computed from graph inputs: give their values with --bind-input shape=FILE

// BOUND: func.func @reshape_shape_input(%arg0: tensor<2x6xf32> {dlc.name = "x"}) -> (tensor<3x4xf32> {dlc.name = "y"})
// BOUND: dlc.reshape %arg0 : (tensor<2x6xf32>) -> tensor<3x4xf32>

// UNKNOWN: dlc: error: --bind-input names 'nothere', which is not an input of the model

// CHAIN-NOT: dlc.gather
// CHAIN-NOT: dlc.concat
// CHAIN: dlc.constant dense<[2, -1]> : tensor<2xi64>
// CHAIN: dlc.reshape %arg0 : (tensor<2x3x2xf32>) -> tensor<2x6xf32>

// NONZERO: dlc: error: node 'find_nonzero': NonZero: the output shape depends on the input's values

// TOPK: dlc: error: node 'best_k': TopK: K (input 'k') must be known at compile time; it is computed from graph inputs: give their values with --bind-input k=FILE

// TOPK-BOUND: func.func @topk_runtime_k(%arg0: tensor<2x5xf32> {dlc.name = "x"}) -> (tensor<2x3xf32> {dlc.name = "values"}, tensor<2x3xi64> {dlc.name = "indices"})
// TOPK-BOUND: %[[I:.*]] = dlc.top_k %arg0 {axis = 1 : i64, k = 3 : i64, largest = true} : (tensor<2x5xf32>) -> tensor<2x3xi64>
// TOPK-BOUND: %[[V:.*]] = dlc.gather_elements %arg0, %[[I]] {axis = 1 : i64}
// TOPK-BOUND: return %[[V]], %[[I]]
