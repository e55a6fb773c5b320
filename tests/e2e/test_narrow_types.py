"""bfloat16, float8, float4, int4 and int2 tensors end to end, checked
against ml_dtypes (numpy's implementation of these types, independent of
dlc) and float8e8m0 against ONNX's own conversion rules (numpy_helper):
every float8 code decoded, casts from float32 rounded at ties, subnormals,
overflow, infinities and NaN, with and without saturation, 4- and 2-bit
integers wrapped; a bfloat16 computation against float32 numpy rounded
once; and the ops that came with them (BitCast against numpy's view, Col2Im
and Resize's antialias, axes and keep_aspect_ratio_policy against
onnxruntime; Col2Im past two spatial dimensions against ONNX's reference
evaluator, where onnxruntime differs)."""
import os

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import dlc_harness as h

tensor = helper.make_tensor_value_info
FLOAT = TensorProto.FLOAT

FLOAT8 = {
    TensorProto.FLOAT8E4M3FN: ml_dtypes.float8_e4m3fn,
    TensorProto.FLOAT8E4M3FNUZ: ml_dtypes.float8_e4m3fnuz,
    TensorProto.FLOAT8E5M2: ml_dtypes.float8_e5m2,
    TensorProto.FLOAT8E5M2FNUZ: ml_dtypes.float8_e5m2fnuz,
}
NARROW_INTS = {
    TensorProto.INT4: ml_dtypes.int4,
    TensorProto.UINT4: ml_dtypes.uint4,
    TensorProto.INT2: ml_dtypes.int2,
    TensorProto.UINT2: ml_dtypes.uint2,
}


def run(nodes, inputs, outputs, feeds, opset=21):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="g")
    return h.run_library(library, feeds, work)


def same_values(got, want):
    """Equal as float64, NaN where NaN, -0 and 0 told apart by their sign."""
    got, want = got.astype(np.float64), want.astype(np.float64)
    assert got.shape == want.shape
    both_nan = np.isnan(got) & np.isnan(want)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got[~both_nan], want[~both_nan])
    assert np.array_equal(np.signbit(got[~both_nan]), np.signbit(want[~both_nan]))


def hard_floats(narrow):
    """Values at every rounding boundary of `narrow`: each representable
    value, the midpoints between neighbours (ties to even), just off them,
    past the largest finite value, subnormals, infinities, NaN, -0."""
    finite = np.array([v for v in np.arange(256, dtype=np.uint8).view(narrow).astype(np.float32)
                       if np.isfinite(v)], np.float32)
    finite = np.unique(finite)
    mids = finite[:-1] / 2 + finite[1:] / 2  # exact in float32, no overflow
    near = np.concatenate([mids, np.nextafter(mids, np.float32(np.inf)),
                           np.nextafter(mids, np.float32(-np.inf))])
    largest = float(ml_dtypes.finfo(narrow).max)
    with np.errstate(over="ignore"):  # bfloat16's largest: past float32's
        extra = np.array([0.0, -0.0, largest * 1.02, largest * 1.2, -largest * 3,
                          1e30, -1e30, np.inf, -np.inf, np.nan, 1e-30, -1e-30],
                         np.float32)
    return np.concatenate([finite, near, extra]).astype(np.float32)


@pytest.mark.parametrize("onnx_type", sorted(FLOAT8))
def test_every_float8_code_decodes(onnx_type):
    narrow = FLOAT8[onnx_type]
    codes = np.arange(256, dtype=np.uint8).view(narrow)
    got = run([helper.make_node("Cast", ["x"], ["y"], to=FLOAT)],
              [tensor("x", onnx_type, [256])], [tensor("y", FLOAT, [256])],
              {"x": codes})["y"]
    same_values(got, codes.astype(np.float32))


@pytest.mark.parametrize("saturate", [1, 0])
@pytest.mark.parametrize("onnx_type", sorted(FLOAT8))
def test_float32_to_float8_rounds_and_saturates(onnx_type, saturate):
    narrow = FLOAT8[onnx_type]
    x = hard_floats(narrow)
    got = run([helper.make_node("Cast", ["x"], ["y"], to=onnx_type, saturate=saturate)],
              [tensor("x", FLOAT, [x.size])], [tensor("y", onnx_type, [x.size])],
              {"x": x}, opset=19)["y"].view(narrow)
    if saturate:  # ONNX's rule: clamp to the finite range, then round
        largest = np.float32(ml_dtypes.finfo(narrow).max)
        want = np.where(np.isnan(x), x, np.clip(x, -largest, largest)).astype(narrow)
    else:
        want = x.astype(narrow)
    same_values(got, want)


def test_float4_every_code_and_rounding():
    codes = np.arange(16, dtype=np.uint8).view(ml_dtypes.float4_e2m1fn)
    x = np.concatenate([hard_floats(ml_dtypes.float4_e2m1fn)[:-3],  # no NaN
                        np.array([7.0, -100.0], np.float32)])
    F4 = TensorProto.FLOAT4E2M1
    nodes = [helper.make_node("Cast", ["c"], ["decoded"], to=FLOAT),
             helper.make_node("Cast", ["x"], ["encoded"], to=F4)]
    got = run(nodes, [tensor("c", F4, [16]), tensor("x", FLOAT, [x.size])],
              [tensor("decoded", FLOAT, [16]), tensor("encoded", F4, [x.size])],
              {"c": codes, "x": x}, opset=23)
    same_values(got["decoded"], codes.astype(np.float32))
    # ml_dtypes saturates float4 as ONNX's Cast does.
    same_values(got["encoded"].view(ml_dtypes.float4_e2m1fn),
                x.astype(ml_dtypes.float4_e2m1fn))


@pytest.mark.parametrize("round_mode", ["up", "down", "nearest"])
@pytest.mark.parametrize("saturate", [1, 0])
def test_float8e8m0_against_onnx_rules(round_mode, saturate):
    from onnx.numpy_helper import to_float8e8m0
    rng = np.random.RandomState(8)
    x = np.concatenate([
        np.ldexp(np.float32(1), np.arange(-130, 128, 7)).astype(np.float32),
        rng.uniform(-1e3, 1e3, 64).astype(np.float32),
        np.array([0.0, 1.5, 1.75, 1.25, 3.0e38, np.inf, -np.inf, np.nan, 1e-40],
                 np.float32)])
    E8 = TensorProto.FLOAT8E8M0
    got = run([helper.make_node("Cast", ["x"], ["y"], to=E8, saturate=saturate,
                                round_mode=round_mode)],
              [tensor("x", FLOAT, [x.size])], [tensor("y", E8, [x.size])],
              {"x": x}, opset=25)["y"].view(np.uint8)
    want = to_float8e8m0(x, saturate=bool(saturate), round_mode=round_mode).view(np.uint8)
    assert np.array_equal(got, want)


def test_bfloat16_round_trip():
    x = np.concatenate([hard_floats(ml_dtypes.bfloat16),
                        np.random.RandomState(0).randn(500).astype(np.float32) * 1e3])
    nodes = [helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["b"], ["y"], to=FLOAT)]
    got = run(nodes, [tensor("x", FLOAT, [x.size])],
              [tensor("b", TensorProto.BFLOAT16, [x.size]), tensor("y", FLOAT, [x.size])],
              {"x": x})
    want = x.astype(ml_dtypes.bfloat16)
    same_values(got["b"].view(ml_dtypes.bfloat16), want)
    same_values(got["y"], want.astype(np.float32))


@pytest.mark.parametrize("onnx_type", sorted(NARROW_INTS))
def test_narrow_integers_wrap_and_widen(onnx_type):
    narrow = NARROW_INTS[onnx_type]
    x = np.arange(-20, 21, dtype=np.float32) + 0.75
    nodes = [helper.make_node("Cast", ["x"], ["n"], to=onnx_type),
             helper.make_node("Cast", ["n"], ["y"], to=TensorProto.INT32)]
    got = run(nodes, [tensor("x", FLOAT, [x.size])],
              [tensor("n", onnx_type, [x.size]), tensor("y", TensorProto.INT32, [x.size])],
              {"x": x})
    want = x.astype(narrow)  # truncated, then wrapped to the width
    assert np.array_equal(got["n"].view(narrow).astype(np.int64), want.astype(np.int64))
    assert np.array_equal(got["y"], want.astype(np.int32))


def test_quantize_to_int4_and_float8():
    rng = np.random.RandomState(4)
    x = rng.uniform(-12, 12, size=(3, 8)).astype(np.float32)
    scale = np.float32(0.75)
    zero = np.array(1, ml_dtypes.int4)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q4"]),
             helper.make_node("DequantizeLinear", ["q4", "s", "z"], ["d4"]),
             helper.make_node("QuantizeLinear", ["x", "s"], ["q8"],
                              output_dtype=TensorProto.FLOAT8E4M3FN)]
    inits = [onnx.numpy_helper.from_array(np.array(scale), "s"),
             onnx.numpy_helper.from_array(zero, "z")]
    graph = helper.make_graph(nodes, "g", [tensor("x", FLOAT, [3, 8])],
                              [tensor("q4", TensorProto.INT4, [3, 8]),
                               tensor("d4", FLOAT, [3, 8]),
                               tensor("q8", TensorProto.FLOAT8E4M3FN, [3, 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"),
                        {"x": x}, work)
    q4 = np.clip(np.rint(x / scale) + 1, -8, 7)
    assert np.array_equal(got["q4"].view(ml_dtypes.int4).astype(np.int64), q4.astype(np.int64))
    np.testing.assert_allclose(got["d4"], ((q4 - 1) * scale).astype(np.float32), rtol=1e-6)
    largest = np.float32(ml_dtypes.finfo(ml_dtypes.float8_e4m3fn).max)
    same_values(got["q8"].view(ml_dtypes.float8_e4m3fn),
                np.clip(x / scale, -largest, largest).astype(ml_dtypes.float8_e4m3fn))


def test_bfloat16_matmul_chain_rounds_once():
    rng = np.random.RandomState(5)
    a = rng.randn(4, 16).astype(ml_dtypes.bfloat16)
    b = rng.randn(16, 8).astype(ml_dtypes.bfloat16)
    c = rng.randn(8).astype(ml_dtypes.bfloat16)
    nodes = [helper.make_node("MatMul", ["a", "b"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["s"]),
             helper.make_node("Relu", ["s"], ["y"])]
    BF16 = TensorProto.BFLOAT16
    got = run(nodes, [tensor("a", BF16, [4, 16]), tensor("b", BF16, [16, 8]),
                      tensor("c", BF16, [8])], [tensor("y", BF16, [4, 8])],
              {"a": a, "b": b, "c": c})["y"].view(ml_dtypes.bfloat16)
    exact = np.maximum(a.astype(np.float64) @ b.astype(np.float64) + c.astype(np.float64), 0)
    want = exact.astype(np.float32).astype(ml_dtypes.bfloat16)
    # f32 accumulation may land on the other side of a bf16 rounding
    # boundary than the exact sum: at most one bf16 step apart.
    step = 2.0 ** (np.floor(np.log2(np.maximum(np.abs(exact), 1e-30))) - 7)
    assert np.all(np.abs(got.astype(np.float64) - want.astype(np.float64)) <= step)
    assert np.mean(got.astype(np.float64) == want.astype(np.float64)) > 0.9


@pytest.mark.parametrize("to,from_type,values", [
    (TensorProto.INT32, FLOAT, np.array([1.0, -2.5, np.inf, np.nan, 0.0, -0.0], np.float32)),
    (TensorProto.FLOAT, TensorProto.UINT32, np.array([0, 1, 0x7F800000, 0xFFFFFFFF], np.uint32)),
    (TensorProto.INT64, TensorProto.DOUBLE, np.array([1.5, -1e300, 3.0], np.float64)),
    (TensorProto.INT16, TensorProto.UINT16, np.array([0, 1, 0x8000, 0xFFFF], np.uint16)),
])
def test_bitcast_against_numpy_view(to, from_type, values):
    want = values.view(helper.tensor_dtype_to_np_dtype(to))
    got = run([helper.make_node("BitCast", ["x"], ["y"], to=to)],
              [tensor("x", from_type, [values.size])], [tensor("y", to, [values.size])],
              {"x": values}, opset=26)["y"]
    assert got.dtype == want.dtype
    assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("image,block,strides,dilations,pads", [
    ([7, 9], [3, 2], [2, 1], [1, 2], [1, 0, 2, 1]),
    ([6, 6], [2, 2], [2, 2], [1, 1], [0, 0, 0, 0]),
    ([5, 4, 6], [2, 1, 3], [1, 2, 1], [2, 1, 1], [0, 1, 1, 1, 0, 2]),
])
def test_col2im_against_onnxruntime(image, block, strides, dilations, pads):
    rng = np.random.RandomState(6)
    channels, kernel = 3, int(np.prod(block))
    positions = 1
    for i, size in enumerate(image):
        reach = dilations[i] * (block[i] - 1) + 1
        positions *= (size + pads[i] + pads[i + len(image)] - reach) // strides[i] + 1
    x = rng.randn(2, channels * kernel, positions).astype(np.float32)
    inits = [onnx.numpy_helper.from_array(np.array(image, np.int64), "image"),
             onnx.numpy_helper.from_array(np.array(block, np.int64), "block")]
    node = helper.make_node("Col2Im", ["x", "image", "block"], ["y"], strides=strides,
                            dilations=dilations, pads=pads)
    inputs = [tensor("x", FLOAT, list(x.shape))]
    outputs = [tensor("y", FLOAT, [2, channels] + image)]
    if len(image) == 2:
        h.check_against_onnxruntime([node], inputs, outputs, {"x": x}, inits=inits, opset=18)
        return
    # onnxruntime's Col2Im disagrees with ONNX's reference past 2 spatial
    # dimensions (by as much as the values): the reference decides there.
    from onnx.reference import ReferenceEvaluator
    model = helper.make_model(helper.make_graph([node], "g", inputs, outputs, inits),
                              opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    want = ReferenceEvaluator(model).run(None, {"x": x})[0]
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"),
                        {"x": x}, work)["y"]
    assert h.relative_l2(want, got) < 1e-6


@pytest.mark.parametrize("mode,sizes,scales,policy,axes", [
    ("linear", None, [1, 1, 0.4, 0.55], "stretch", None),
    ("cubic", None, [1, 1, 0.3, 0.7], "stretch", None),
    ("linear", [9, 4], None, "not_larger", [2, 3]),
    ("cubic", [9, 4], None, "not_smaller", [3, 2]),
    ("linear", None, [0.5], "stretch", [-1]),
])
def test_resize_antialias_against_onnxruntime(mode, sizes, scales, policy, axes):
    rng = np.random.RandomState(7)
    x = rng.randn(2, 3, 17, 13).astype(np.float32)
    inits = [onnx.numpy_helper.from_array(np.array([], np.float32), "roi")]
    if scales is not None:
        inits.append(onnx.numpy_helper.from_array(np.array(scales, np.float32), "scales"))
        inputs = ["x", "roi", "scales"]
    else:
        inits.append(onnx.numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
        inputs = ["x", "roi", "", "sizes"]
    attributes = {"mode": mode, "antialias": 1, "keep_aspect_ratio_policy": policy}
    if axes is not None:
        attributes["axes"] = axes
    node = helper.make_node("Resize", inputs, ["y"], **attributes)
    # The output shape as onnxruntime computes it.
    import onnxruntime
    graph = helper.make_graph([node], "g", [tensor("x", FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    shape = list(session.run(None, {"x": x})[0].shape)
    h.check_against_onnxruntime([node], [tensor("x", FLOAT, list(x.shape))],
                                [tensor("y", FLOAT, shape)], {"x": x}, inits=inits, opset=18)
