"""Unsigned element types and the linear quantization ops against
onnxruntime, with values where unsigned and signed meanings differ (the top
half of each type's range, 2^63 and above for uint64)."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h

check = h.check_against_onnxruntime
tensor = helper.make_tensor_value_info

UNSIGNED = [(np.uint8, TensorProto.UINT8), (np.uint16, TensorProto.UINT16),
            (np.uint32, TensorProto.UINT32), (np.uint64, TensorProto.UINT64)]


def spread(dtype, shape, seed):
    """Values over the whole range of `dtype`, both halves."""
    info = np.iinfo(dtype)
    rng = np.random.RandomState(seed)
    return rng.randint(0, info.max, size=shape, dtype=dtype)


@pytest.mark.parametrize("dtype,onnx_type", UNSIGNED, ids=lambda t: str(t))
def test_order_and_arithmetic(dtype, onnx_type):
    a, b = spread(dtype, [3, 8], 1), spread(dtype, [3, 8], 2)
    b[0, 0] = a[0, 0]  # an equal pair
    nodes = [helper.make_node("Less", ["a", "b"], ["less"]),
             helper.make_node("GreaterOrEqual", ["a", "b"], ["ge"]),
             helper.make_node("Add", ["a", "b"], ["sum"]),
             helper.make_node("Cast", ["a"], ["f"], to=TensorProto.FLOAT)]
    outputs = [tensor("less", TensorProto.BOOL, [3, 8]), tensor("ge", TensorProto.BOOL, [3, 8]),
               tensor("sum", onnx_type, [3, 8]), tensor("f", TensorProto.FLOAT, [3, 8])]
    check(nodes, [tensor("a", onnx_type, [3, 8]), tensor("b", onnx_type, [3, 8])], outputs,
          {"a": a, "b": b}, opset=17)


@pytest.mark.parametrize("dtype,onnx_type", UNSIGNED, ids=lambda t: str(t))
def test_reductions_against_numpy(dtype, onnx_type):
    """Max, Min, ArgMax, ReduceMin and MaxPool, which onnxruntime lacks for
    most unsigned types, against numpy."""
    x, y = spread(dtype, [2, 1, 6, 6], 6), spread(dtype, [6], 7)
    nodes = [helper.make_node("Max", ["x", "y"], ["max"]),
             helper.make_node("Min", ["x", "y"], ["min"]),
             helper.make_node("ArgMax", ["x"], ["argmax"], axis=3),
             helper.make_node("ReduceMin", ["x"], ["rmin"], axes=[2, 3], keepdims=0),
             helper.make_node("MaxPool", ["x"], ["pool"], kernel_shape=[2, 2], strides=[2, 2],
                              pads=[1, 1, 1, 1])]
    outputs = [tensor("max", onnx_type, [2, 1, 6, 6]), tensor("min", onnx_type, [2, 1, 6, 6]),
               tensor("argmax", TensorProto.INT64, [2, 1, 6, 1]),
               tensor("rmin", onnx_type, [2, 1]), tensor("pool", onnx_type, [2, 1, 4, 4])]
    graph = helper.make_graph(nodes, "g", [tensor("x", onnx_type, list(x.shape)),
                                           tensor("y", onnx_type, [6])], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"),
                        {"x": x, "y": y}, work)
    np.testing.assert_array_equal(got["max"], np.maximum(x, y))
    np.testing.assert_array_equal(got["min"], np.minimum(x, y))
    np.testing.assert_array_equal(got["argmax"], np.argmax(x, axis=3)[..., None])
    np.testing.assert_array_equal(got["rmin"], x.min(axis=(2, 3)))
    padded = np.zeros([2, 1, 8, 8], dtype)  # 0 is the lowest value: max ignores it
    padded[:, :, 1:7, 1:7] = x
    np.testing.assert_array_equal(got["pool"], padded.reshape(2, 1, 4, 2, 4, 2).max(axis=(3, 5)))
    assert got["rmin"].dtype == dtype and got["pool"].dtype == dtype


@pytest.mark.parametrize("dtype,onnx_type", UNSIGNED[:3], ids=lambda t: str(t))
def test_division_and_widening(dtype, onnx_type):
    a = spread(dtype, [20], 3)
    b = np.maximum(spread(dtype, [20], 4) >> 4, 1).astype(dtype)
    nodes = [helper.make_node("Div", ["a", "b"], ["q"]),
             helper.make_node("Mod", ["a", "b"], ["r"]),
             helper.make_node("Cast", ["a"], ["wide"], to=TensorProto.UINT64),
             helper.make_node("Cast", ["a"], ["signed"], to=TensorProto.INT64)]
    outputs = [tensor("q", onnx_type, [20]), tensor("r", onnx_type, [20]),
               tensor("wide", TensorProto.UINT64, [20]),
               tensor("signed", TensorProto.INT64, [20])]
    check(nodes, [tensor("a", onnx_type, [20]), tensor("b", onnx_type, [20])], outputs,
          {"a": a, "b": b}, opset=17)


def test_uint64_division_against_numpy():
    """64-bit unsigned Div and Mod, which cannot widen: divui / remui, with
    dividends and divisors at 2^63 and above."""
    a = np.concatenate([spread(np.uint64, [14], 8),
                        np.array([2**64 - 1, 2**63, 2**63 + 5, 7, 0, 2**63 - 1], np.uint64)])
    b = np.concatenate([np.maximum(spread(np.uint64, [14], 9) >> np.uint64(33), 1).astype(np.uint64),
                        np.array([2**63, 3, 2**63 + 1, 2**64 - 1, 5, 2**62], np.uint64)])
    nodes = [helper.make_node("Div", ["a", "b"], ["q"]),
             helper.make_node("Mod", ["a", "b"], ["r"])]
    graph = helper.make_graph(nodes, "g", [tensor("a", TensorProto.UINT64, [20]),
                                           tensor("b", TensorProto.UINT64, [20])],
                              [tensor("q", TensorProto.UINT64, [20]),
                               tensor("r", TensorProto.UINT64, [20])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"),
                        {"a": a, "b": b}, work)
    np.testing.assert_array_equal(got["q"], a // b)
    np.testing.assert_array_equal(got["r"], a % b)
    assert got["q"].dtype == np.uint64


def test_uint64_to_float_and_back():
    x = np.array([0, 1, 2**53, 2**63 - 1, 2**63, 2**63 + 2**40, 2**64 - 1], np.uint64)
    y = np.array([0.0, 1.5, 200.7, 255.0, 3e9, 65535.0], np.float32)
    nodes = [helper.make_node("Cast", ["x"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Cast", ["x"], ["d"], to=TensorProto.DOUBLE),
             helper.make_node("Cast", ["y"], ["u8"], to=TensorProto.UINT8),
             helper.make_node("Cast", ["y"], ["u32"], to=TensorProto.UINT32)]
    outputs = [tensor("f", TensorProto.FLOAT, [7]), tensor("d", TensorProto.DOUBLE, [7]),
               tensor("u8", TensorProto.UINT8, [6]), tensor("u32", TensorProto.UINT32, [6])]
    # Float to uint8 wraps modulo 256 (C's conversion after going through
    # int64), which onnxruntime also does for these in-range-of-int64 values.
    check(nodes, [tensor("x", TensorProto.UINT64, [7]), tensor("y", TensorProto.FLOAT, [6])],
          outputs, {"x": x, "y": y}, opset=17)


@pytest.mark.parametrize("signed", [False, True], ids=["uint8", "int8"])
def test_quantize_dequantize_per_axis(signed):
    rng = np.random.RandomState(5)
    x = (rng.randn(2, 4, 5) * 40).astype(np.float32)
    scale = np.array([0.5, 0.25, 1.0, 0.3], np.float32)
    zero = np.array([3, -7, 0, 100] if signed else [3, 128, 0, 250],
                    np.int8 if signed else np.uint8)
    qtype = TensorProto.INT8 if signed else TensorProto.UINT8
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)]
    check(nodes, [tensor("x", TensorProto.FLOAT, [2, 4, 5])],
          [tensor("q", qtype, [2, 4, 5]), tensor("y", TensorProto.FLOAT, [2, 4, 5])],
          {"x": x}, [numpy_helper.from_array(scale, "s"), numpy_helper.from_array(zero, "z")],
          opset=13)


def test_dynamic_quantize():
    x = (np.random.RandomState(9).randn(6, 7) * 3 + 1).astype(np.float32)
    check([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])],
          [tensor("x", TensorProto.FLOAT, [6, 7])],
          [tensor("y", TensorProto.UINT8, [6, 7]), tensor("s", TensorProto.FLOAT, []),
           tensor("z", TensorProto.UINT8, [])], {"x": x}, opset=11)


def run_dlc(nodes, inputs, outputs, feeds, inits, opset):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    return h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"), feeds, work)


def requantize(acc, scale, zero_point):
    """ONNX's output rule: round half to even, add the zero point, saturate."""
    return np.clip(np.rint(acc * scale) + zero_point, 0, 255).astype(np.uint8)


# Against a naive numpy reference: onnxruntime's u8 x s8 kernels on AVX2
# without VNNI saturate pairs of products to 16 bits (vpmaddubsw) and so
# differ from the exact result by up to tens of units.
def test_qlinear_matmul_and_matmul_integer():
    rng = np.random.RandomState(3)
    a = rng.randint(0, 256, size=(2, 9, 33), dtype=np.uint8)
    b = rng.randint(-128, 128, size=(33, 17), dtype=np.int8)
    inits = [numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(np.array(0.02, np.float32), "as"),
             numpy_helper.from_array(np.array(131, np.uint8), "az"),
             numpy_helper.from_array(np.array(0.01, np.float32), "bs"),
             numpy_helper.from_array(np.array(0, np.int8), "bz"),
             numpy_helper.from_array(np.array(0.3, np.float32), "ys"),
             numpy_helper.from_array(np.array(120, np.uint8), "yz")]
    nodes = [helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                              ["y"]),
             helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["acc"])]
    got = run_dlc(nodes, [tensor("a", TensorProto.UINT8, [2, 9, 33])],
                  [tensor("y", TensorProto.UINT8, [2, 9, 17]),
                   tensor("acc", TensorProto.INT32, [2, 9, 17])], {"a": a}, inits, 13)
    acc = (a.astype(np.int64) - 131) @ b.astype(np.int64)
    np.testing.assert_array_equal(got["acc"], acc.astype(np.int32))
    np.testing.assert_array_equal(got["y"], requantize(acc, 0.02 * 0.01 / 0.3, 120))


def test_qlinear_conv_per_channel():
    rng = np.random.RandomState(4)
    x = rng.randint(0, 256, size=(1, 3, 9, 9), dtype=np.uint8)
    w = rng.randint(-127, 128, size=(4, 3, 3, 3), dtype=np.int8)
    w_scale = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
    bias = np.array([-500, 0, 300, 1000], np.int32)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array(0.05, np.float32), "xs"),
             numpy_helper.from_array(np.array(128, np.uint8), "xz"),
             numpy_helper.from_array(w_scale, "ws"),
             numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
             numpy_helper.from_array(np.array(0.5, np.float32), "ys"),
             numpy_helper.from_array(np.array(100, np.uint8), "yz"),
             numpy_helper.from_array(bias, "bias")]
    got = run_dlc([helper.make_node("QLinearConv",
                                    ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"], ["y"],
                                    pads=[1, 1, 1, 1], strides=[2, 2])],
                  [tensor("x", TensorProto.UINT8, [1, 3, 9, 9])],
                  [tensor("y", TensorProto.UINT8, [1, 4, 5, 5])], {"x": x}, inits, 13)["y"]
    # Padding holds the zero point: 0 once it is subtracted.
    centered = np.pad(x.astype(np.int64) - 128, ((0, 0), (0, 0), (1, 1), (1, 1)))
    acc = np.zeros((1, 4, 5, 5), np.int64)
    for i in range(5):
        for j in range(5):
            window = centered[0, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            acc[0, :, i, j] = np.tensordot(w.astype(np.int64), window, axes=3) + bias
    scale = (np.float32(0.05) * w_scale / np.float32(0.5)).reshape(1, 4, 1, 1)
    want = requantize(acc, scale.astype(np.float64), 100)
    # The scale is a float32 product: a value within a rounding of .5 may
    # land on either side.
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert np.mean(got == want) > 0.95
