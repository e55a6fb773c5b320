"""Writes the small ONNX models the importer's lit tests read.

Run with the test venv's python from this folder: python make_inputs.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, name + ".onnx")


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


save("gemm", [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc", transB=1, alpha=0.5)],
     [f32("a", [2, 3]), f32("b", [4, 3]), f32("c", [4])], [f32("y", [2, 4])])

save("conv_bn", [
    helper.make_node("Conv", ["x", "w", "bias"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["y"], name="bn1")],
    [f32("x", [1, 2, 4, 4])], [f32("y", [1, 2, 4, 4])],
    [const("w", np.ones([2, 2, 3, 3])), const("bias", [0.5, -0.5]), const("s", [1.0, 2.0]),
     const("b", [0.0, 1.0]), const("m", [0.0, 0.0]), const("v", [1.0, 4.0])])

for opset in (11, 13):
    save("softmax_opset%d" % opset, [helper.make_node("Softmax", ["x"], ["y"], name="sm")],
         [f32("x", [2, 3, 4])], [f32("y", [2, 3, 4])], opset=opset)

save("unsupported", [
    helper.make_node("Relu", ["x"], ["r"], name="ok_relu"),
    helper.make_node("StringNormalizer", ["r"], ["u"], name="normalize_text"),
    helper.make_node("TfIdfVectorizer", ["r"], ["y"], name="ngrams")],
    [f32("x", [2, 3])], [f32("u", None), f32("y", [])])

# NonZero of a run-time value: its output shape is not known when compiling.
save("nonzero_runtime", [
    helper.make_node("Relu", ["x"], ["r"], name="ok_relu"),
    helper.make_node("NonZero", ["r"], ["nz"], name="find_nonzero")],
    [f32("x", [2, 3])], [helper.make_tensor_value_info("nz", TensorProto.INT64, None)])

# A shape given as a graph input (bound with --bind-input), and one computed
# from Shape, which the importer folds.
save("reshape_shape_input", [helper.make_node("Reshape", ["x", "shape"], ["y"],
                                              name="reshape_to_given")],
     [f32("x", [2, 6]), helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
     [f32("y", None)])
np.save("shape_3x4.npy", np.array([3, 4], dtype=np.int64))
save("shape_chain", [
    helper.make_node("Shape", ["x"], ["s"], name="shape_of_x"),
    helper.make_node("Gather", ["s", "zero"], ["first"], name="first_dim", axis=0),
    helper.make_node("Unsqueeze", ["first", "axes"], ["first1"], name="as_list"),
    helper.make_node("Concat", ["first1", "rest"], ["target"], name="target_shape", axis=0),
    helper.make_node("Reshape", ["x", "target"], ["y"], name="flatten_rest")],
    [f32("x", [2, 3, 2])], [f32("y", None)],
    [numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
     numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
     numpy_helper.from_array(np.array([-1], dtype=np.int64), "rest")])

# TopK's K sets the output shape: a graph input must be bound.
save("topk_runtime_k", [helper.make_node("TopK", ["x", "k"], ["values", "indices"],
                                         name="best_k", axis=1)],
     [f32("x", [2, 5]), helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
     [f32("values", None), helper.make_tensor_value_info("indices", TensorProto.INT64, None)])
np.save("k_3.npy", np.array([3], dtype=np.int64))

# The same Reshape with its output shape declared: the shape stays a
# run-time input, checked by the library (dlc.value_checks).
save("reshape_declared", [helper.make_node("Reshape", ["x", "shape"], ["y"],
                                           name="reshape_to_given")],
     [f32("x", [2, 6]), helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
     [f32("y", [3, 4])])

save("bad_shapes", [helper.make_node("Add", ["x", "z"], ["y"], name="mismatched_add")],
     [f32("x", [2, 3]), f32("z", [4])], [f32("y", [2, 3])])

# A QDQ pair (its integer value also a graph output), and a DequantizeLinear
# of a uint8 graph input: the importer's round-trip simplification.
save("qdq_pair", [
    helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="quant"),
    helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dequant"),
    helper.make_node("DequantizeLinear", ["u", "s", "zp"], ["z"], name="dequant_input")],
    [f32("x", [4]), helper.make_tensor_value_info("u", TensorProto.UINT8, [4])],
    [f32("y", [4]), helper.make_tensor_value_info("q", TensorProto.UINT8, [4]), f32("z", [4])],
    [const("s", 0.5), numpy_helper.from_array(np.array(128, dtype=np.uint8), "zp")])

# MatMulInteger with K = 512 and a b_zero_point: two f32 chunks of 256,
# summed in int32.
save("matmul_integer_chunks", [
    helper.make_node("MatMulInteger", ["a", "b", "a_zero", "b_zero"], ["y"], name="mmi")],
    [helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 512])],
    [helper.make_tensor_value_info("y", TensorProto.INT32, [2, 3])],
    [numpy_helper.from_array(np.ones((512, 3), dtype=np.int8), "b"),
     numpy_helper.from_array(np.array(128, dtype=np.uint8), "a_zero"),
     numpy_helper.from_array(np.array(1, dtype=np.int8), "b_zero")])

# MatMulInteger without b_zero_point, batch dims in a: dlc.matmul_integer on
# the rows, a_zero_point as one correction by the columns' sums.
save("matmul_integer_bytes", [
    helper.make_node("MatMulInteger", ["a", "b", "a_zero"], ["y"], name="mmi")],
    [helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 5, 64])],
    [helper.make_tensor_value_info("y", TensorProto.INT32, [2, 5, 3])],
    [numpy_helper.from_array(np.ones((64, 3), dtype=np.int8), "b"),
     numpy_helper.from_array(np.array(128, dtype=np.uint8), "a_zero")])

# Resize's scales as a graph input, the output shape declared: the scale
# steers the sampling positions, computed at run time.
save("resize_scales_declared", [
    helper.make_node("Resize", ["x", "", "scales"], ["y"], name="upscale", mode="linear",
                     axes=[2])],
    [f32("x", [1, 1, 3, 2]), f32("scales", [1])], [f32("y", [1, 1, 7, 2])], opset=18)
