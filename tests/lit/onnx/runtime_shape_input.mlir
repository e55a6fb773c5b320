// RUN: rm -rf %t
// RUN: dlc compile %S/Inputs/reshape_declared.onnx -O0 --emit=graph -o %t
// RUN: FileCheck %s --check-prefix=CHECKED < %t/reshape_declared.graph.mlir
// RUN: not dlc compile %S/Inputs/reshape_declared.onnx --target=cuda -o %t/cuda 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not ls %t/cuda
// RUN: not dlc compile %S/Inputs/reshape_shape_input.onnx -o %t/undeclared 2>&1 | FileCheck %s --check-prefix=UNDECLARED
// RUN: dlc compile %S/Inputs/nonzero_runtime.onnx -O0 --emit=graph -o %t/nz
// RUN: FileCheck %s --check-prefix=NONZERO < %t/nz/nonzero_runtime.graph.mlir
// RUN: dlc compile %S/Inputs/resize_scales_declared.onnx -O0 --emit=graph -o %t/rs
// RUN: FileCheck %s --check-prefix=RESIZE < %t/rs/resize_scales_declared.graph.mlir
// A shape given as a graph input stays one when the model declares the
// node's output shape: the node is compiled for that shape, and the
// argument carries the check the library makes of its values before each
// run (what they must give, and the data's shape). CUDA libraries take
// device pointers the runtime cannot read, so there the input must still
// be bound; so must one whose output shape the model does not declare.
// NonZero of run-time data: every element's coordinates, the non-zero ones
// packed first (their rank among them, the others to a slot past the end),
// and their count, a trailing result the library reads to allocate the
// output.
// Resize's scales given at run time: the check is floor(dim * scale) along
// the listed axes; the sampling positions (o + 0.5) / scale - 0.5 are
// computed in f64 from the run's scale, then the taps' indices (clamped)
// and weights, one gather per tap. Axes not listed are left alone.

// CHECKED: func.func @reshape_declared(%arg0: tensor<2x6xf32> {dlc.name = "x"}, %arg1: tensor<2xi64> {dlc.name = "shape", dlc.value_checks = [{expected = array<i64: 3, 4>, flags = 0 : i64, kind = "reshape", node = "Reshape 'reshape_to_given'", operand = array<i64: 2, 6>, parts = []}]}) -> (tensor<3x4xf32> {dlc.name = "y"})
// CHECKED: dlc.reshape %arg0 : (tensor<2x6xf32>) -> tensor<3x4xf32>
// CHECKED-NOT: %arg1

// CUDA: Reshape: the target shape (input 'shape') must be known at compile time{{.*}}--bind-input shape=FILE
// UNDECLARED: Reshape: the target shape (input 'shape') must be known at compile time{{.*}}--bind-input shape=FILE

// NONZERO: func.func @nonzero_runtime(%arg0: tensor<2x3xf32> {dlc.name = "x"}) -> (tensor<2x6xi64> {dlc.bounded_dim = 1 : i64, dlc.name = "nz"}, tensor<i64> {dlc.count_of = 0 : i64})
// NONZERO: %[[MASK:.*]] = dlc.not_equal
// NONZERO: %[[ONES:.*]] = dlc.cast %[[MASK]] : tensor<6xi1> to tensor<6xi64>
// NONZERO: %[[COUNT:.*]] = dlc.reduce_sum %[[ONES]] {axes = array<i64: 0>, keepdims = false}
// NONZERO: %[[RANK:.*]] = dlc.cumsum %[[ONES]] {axis = 0 : i64, exclusive = true, reverse = false}
// NONZERO: %[[SLOTS:.*]] = dlc.select %[[MASK]], %[[RANK]]
// NONZERO: %[[PACKED:.*]] = dlc.scatter_elements {{.*}} -> tensor<2x7xi64>
// NONZERO: %[[CUT:.*]] = dlc.slice %[[PACKED]] {{.*}} -> tensor<2x6xi64>
// NONZERO: return %[[CUT]], %[[COUNT]]

// RESIZE: func.func @resize_scales_declared(%arg0: tensor<1x1x3x2xf32> {dlc.name = "x"}, %arg1: tensor<1xf32> {dlc.name = "scales", dlc.value_checks = [{expected = array<i64: 1, 1, 7, 2>, flags = 0 : i64, kind = "resize", node = "Resize 'upscale'", operand = array<i64: 1, 1, 3, 2>, parts = [{input = -1 : i64, values = array<i64: 2>}]}]}) -> (tensor<1x1x7x2xf32> {dlc.name = "y"})
// RESIZE: %[[F64:.*]] = dlc.cast %arg1 : tensor<1xf32> to tensor<1xf64>
// RESIZE: %[[SCALE:.*]] = dlc.reshape {{.*}} -> tensor<f64>
// RESIZE: %[[SHIFTED:.*]] = dlc.div %{{.*}}, %[[SCALE]] : (tensor<7xf64>, tensor<f64>) -> tensor<7xf64>
// RESIZE: %[[X:.*]] = dlc.sub %[[SHIFTED]]
// RESIZE: %[[BASE:.*]] = dlc.floor %[[X]]
// RESIZE: %[[RATIO:.*]] = dlc.sub %[[X]], %[[BASE]]
// RESIZE: dlc.gather %arg0, %{{.*}} {axis = 2 : i64} : (tensor<1x1x3x2xf32>, tensor<7xi64>) -> tensor<1x1x7x2xf32>
// RESIZE: dlc.gather %arg0, %{{.*}} {axis = 2 : i64} : (tensor<1x1x3x2xf32>, tensor<7xi64>) -> tensor<1x1x7x2xf32>
// RESIZE-NOT: dlc.gather
// RESIZE: return
