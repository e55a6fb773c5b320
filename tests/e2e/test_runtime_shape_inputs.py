"""Inputs that decide shapes, given at run time, against onnxruntime.

A Reshape's shape, Slice's starts, Pad's pads, Trilu's k, CumSum's axis,
ReduceSum's axes, Range's start and delta: when the model declares the
node's output shape, these stay run-time inputs. The library is compiled
for the declared shape; the values the node computes with (offsets, axes,
k) are read at run time, and values that would give another shape are
refused before the run with a message naming the input and the node.
"""
import os

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from dlc_harness import compile_model, new_work_dir, run_dlc, run_library


def build(nodes, inputs, outputs, opset=18):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


def compiled(model, extra=()):
    work = new_work_dir()
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    return path, compile_model(path, os.path.join(work, "out"), "m", extra)


def reference(path, feeds):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def spec_reference(path, feeds):
    """ONNX's reference evaluator: the spec's own arithmetic, for ops where
    onnxruntime departs from it."""
    return ReferenceEvaluator(onnx.load(path)).run(None, feeds)


def check_runs(path, library, feeds_list, exact=True, tolerance=1e-6, against=reference):
    for feeds in feeds_list:
        got = run_library(library, feeds, new_work_dir())
        (want,) = against(path, feeds)
        (name,) = got
        assert got[name].shape == want.shape, feeds
        if exact:
            np.testing.assert_array_equal(got[name], want)
        else:
            np.testing.assert_allclose(got[name], want, rtol=tolerance, atol=tolerance)


def refused(library, feeds):
    """Runs the library; returns dlc run's message, which must be a clean
    refusal (non-zero exit, no crash)."""
    work = new_work_dir()
    args = ["run", library, "--output-dir", os.path.join(work, "outputs")]
    for i, (name, value) in enumerate(feeds.items()):
        file = os.path.join(work, "in%d.npy" % i)
        np.save(file, value)
        args += ["--input", "%s=%s" % (name, file)]
    result = run_dlc(*args, check=False)
    assert result.returncode > 0, result.stderr
    assert not os.path.exists(os.path.join(work, "outputs")) or not os.listdir(
        os.path.join(work, "outputs"))
    return result.stderr


def compile_fails(model):
    """Compiles `model`, which must fail cleanly (no library written);
    returns the message."""
    work = new_work_dir()
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    result = run_dlc("compile", path, "-o", os.path.join(work, "out"), check=False)
    assert result.returncode > 0, result.stderr
    assert not os.path.exists(os.path.join(work, "out"))
    return result.stderr


def f32(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


def test_reshape_shape_at_run_time():
    model = build([helper.make_node("Reshape", ["x", "shape"], ["y"], name="r")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4]),
                   helper.make_tensor_value_info("shape", TensorProto.INT64, [3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 2, 3])])
    path, library = compiled(model)
    x = f32(2, 3, 4)
    check_runs(path, library, [{"x": x, "shape": i64(4, 2, 3)},
                               {"x": x, "shape": i64(4, -1, 3)},
                               {"x": x, "shape": i64(-1, 2, 3)}])
    message = refused(library, {"x": x, "shape": i64(3, 2, 4)})
    assert "input 1 ('shape') = [3,2,4]" in message
    assert "Reshape 'r' would have the output shape [3,2,4]" in message
    assert "compiled for [4,2,3]" in message
    assert "not valid for Reshape 'r'" in refused(library, {"x": x, "shape": i64(-1, -1, 3)})


def test_without_a_declared_shape_the_input_must_be_bound():
    model = build([helper.make_node("Reshape", ["x", "shape"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4]),
                   helper.make_tensor_value_info("shape", TensorProto.INT64, [3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2, 3])])
    message = compile_fails(model)
    assert "--bind-input shape=FILE" in message


@pytest.mark.parametrize("steps", [False, True])
def test_slice_offsets_at_run_time(steps):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 8]),
              helper.make_tensor_value_info("starts", TensorProto.INT64, [2]),
              helper.make_tensor_value_info("ends", TensorProto.INT64, [2]),
              helper.make_tensor_value_info("axes", TensorProto.INT64, [2])]
    names = ["x", "starts", "ends", "axes"]
    if steps:
        inputs.append(helper.make_tensor_value_info("steps", TensorProto.INT64, [2]))
        names.append("steps")
    model = build([helper.make_node("Slice", names, ["y"], name="s")], inputs,
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])])
    path, library = compiled(model)
    x = f32(6, 8)
    runs = [(i64(0, 0), i64(3, 4), i64(0, 1)),
            (i64(3, 4), i64(6, 8), i64(0, 1)),
            (i64(-3, 2), i64(100, 6), i64(0, -1)),
            (i64(1, 3), i64(5, 6), i64(1, 0))]  # axes swapped: rows 3..5
    feeds = []
    for starts, ends, axes in runs:
        feed = {"x": x, "starts": starts, "ends": ends, "axes": axes}
        if steps:
            feed["steps"] = i64(1, 1)
        feeds.append(feed)
    if steps:
        # Backwards along the columns, every other row.
        feeds.append({"x": x, "starts": i64(0, 7), "ends": i64(6, 3),
                      "axes": i64(0, 1), "steps": i64(2, -1)})
    check_runs(path, library, feeds)
    feed = dict(feeds[0], starts=i64(0, 5), ends=i64(3, 8))  # 3 columns, not 4
    message = refused(library, feed)
    assert "Slice 's' would have the output shape [3,3]" in message


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "wrap"])
def test_pad_amounts_at_run_time(mode):
    model = build([helper.make_node("Pad", ["x", "pads"], ["y"], mode=mode, name="p")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4]),
                   helper.make_tensor_value_info("pads", TensorProto.INT64, [4])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5, 7])])
    path, library = compiled(model)
    x = f32(3, 4)
    pads = [(1, 0, 1, 3), (2, 3, 0, 0), (0, 2, 2, 1)]
    if mode in ("constant", "edge"):
        # A negative pad crops; onnxruntime's reflect refuses pads longer
        # than the axis, and its wrap wraps over the cropped axis.
        pads.append((2, -1, 0, 4))
    check_runs(path, library, [{"x": x, "pads": i64(*p)} for p in pads])
    assert "compiled for [5,7]" in refused(library, {"x": x, "pads": i64(1, 1, 1, 1)})


@pytest.mark.parametrize("upper", [0, 1])
def test_trilu_k_at_run_time(upper):
    model = build([helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 5]),
                   helper.make_tensor_value_info("k", TensorProto.INT64, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 5])])
    path, library = compiled(model)
    x = f32(2, 4, 5)
    check_runs(path, library, [{"x": x, "k": np.array(k, dtype=np.int64)}
                               for k in (-7, -1, 0, 2, 9)])


def test_cumsum_axis_at_run_time():
    model = build([helper.make_node("CumSum", ["x", "axis"], ["y"], reverse=1, name="c")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 5]),
                   helper.make_tensor_value_info("axis", TensorProto.INT32, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4, 5])])
    path, library = compiled(model)
    x = f32(3, 4, 5)
    check_runs(path, library, [{"x": x, "axis": np.array(a, dtype=np.int32)}
                               for a in (0, 1, 2, -1, -3)], exact=False)
    message = refused(library, {"x": x, "axis": np.array(3, dtype=np.int32)})
    assert "input 1 ('axis') = [3]: not valid for CumSum 'c'" in message


def test_cumprod_axis_at_run_time():
    model = build([helper.make_node("CumProd", ["x", "axis"], ["y"], exclusive=1, name="c")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 5]),
                   helper.make_tensor_value_info("axis", TensorProto.INT64, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4, 5])],
                  opset=26)
    path, library = compiled(model)
    x = f32(3, 4, 5)
    check_runs(path, library, [{"x": x, "axis": np.array(a, dtype=np.int64)}
                               for a in (0, 1, 2, -1, -3)],
               exact=False, tolerance=1e-5, against=spec_reference)
    message = refused(library, {"x": x, "axis": np.array(-4, dtype=np.int64)})
    assert "input 1 ('axis') = [-4]: not valid for CumProd 'c'" in message


@pytest.mark.parametrize("onesided", [0, 1])
def test_dft_axis_at_run_time(onesided):
    # [2, 6, 8, 1], real. Complex output: every axis but the last gives
    # [2, 6, 8, 2], so all three are compiled. Onesided: only axis 2 gives
    # the declared [2, 6, 5, 2], so another axis is refused.
    declared = [2, 6, 5, 2] if onesided else [2, 6, 8, 2]
    model = build([helper.make_node("DFT", ["x", "", "axis"], ["y"], onesided=onesided,
                                    name="dft")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6, 8, 1]),
                   helper.make_tensor_value_info("axis", TensorProto.INT64, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, declared)],
                  opset=20)
    path, library = compiled(model)
    x = f32(2, 6, 8, 1)
    axes = (2, -2) if onesided else (0, 1, 2, -2, -4)
    check_runs(path, library, [{"x": x, "axis": np.array(a, dtype=np.int64)} for a in axes],
               exact=False, tolerance=1e-4, against=spec_reference)
    for bad in ((1, 3, -1) if onesided else (3, -1)):
        message = refused(library, {"x": x, "axis": np.array(bad, dtype=np.int64)})
        assert "input 1 ('axis') = [%d]: not valid for DFT 'dft'" % bad in message


def test_affine_grid_size_at_run_time():
    # size = [N, C, H, W]: N, H and W from the declared output [2, 3, 4, 2],
    # checked; C does not change the grid, so any C is taken.
    model = build([helper.make_node("AffineGrid", ["theta", "size"], ["grid"], name="g")],
                  [helper.make_tensor_value_info("theta", TensorProto.FLOAT, [2, 2, 3]),
                   helper.make_tensor_value_info("size", TensorProto.INT64, [4])],
                  [helper.make_tensor_value_info("grid", TensorProto.FLOAT, [2, 3, 4, 2])],
                  opset=20)
    path, library = compiled(model)
    theta = f32(2, 2, 3)
    check_runs(path, library, [{"theta": theta, "size": i64(2, c, 3, 4)} for c in (1, 3, 7)],
               exact=False, against=spec_reference)
    message = refused(library, {"theta": theta, "size": i64(2, 1, 4, 4)})
    assert "input 1 ('size') = [2,1,4,4], but this library was compiled for [2,-1,3,4]" \
        in message


def test_center_crop_pad_shape_at_run_time():
    # Crops axis 0 from 5 to 3 and pads axis 2 from 4 to 7: the declared
    # output gives the sizes, which the library checks the input holds.
    model = build([helper.make_node("CenterCropPad", ["x", "shape"], ["y"], axes=[0, -1],
                                    name="crop")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 2, 4]),
                   helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2, 7])])
    path, library = compiled(model)
    x = f32(5, 2, 4)
    check_runs(path, library, [{"x": x, "shape": i64(3, 7)}], against=spec_reference)
    message = refused(library, {"x": x, "shape": i64(3, 6)})
    assert "input 1 ('shape')" in message and "CenterCropPad 'crop'" in message


def test_reduce_axes_through_shape_keeping_nodes():
    # An expanded ReduceL2: the ReduceSum's output is not declared, but the
    # Cast and Sqrt after it keep its shape, and theirs is.
    model = build([helper.make_node("Mul", ["x", "x"], ["square"]),
                   helper.make_node("ReduceSum", ["square", "axes"], ["sum"], keepdims=1,
                                    name="sum"),
                   helper.make_node("Cast", ["sum"], ["wide"], to=TensorProto.DOUBLE),
                   helper.make_node("Sqrt", ["wide"], ["root"]),
                   helper.make_node("CastLike", ["root", "x"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2, 2]),
                   helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 1, 2])])
    path, library = compiled(model)
    x = f32(3, 2, 2)
    check_runs(path, library, [{"x": x, "axes": i64(a)} for a in (1, -2)], exact=False)
    message = refused(library, {"x": x, "axes": i64(2)})
    assert "ReduceSum 'sum' would have the output shape" in message


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_axes_at_run_time(keepdims):
    # [3, 2, 2] without keepdims gives [3, 2] over axis 1 or axis 2: both
    # are compiled, and the values choose.
    declared = [3, 1, 2] if keepdims else [3, 2]
    model = build([helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                                    keepdims=keepdims, name="sum")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2, 2]),
                   helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, declared)])
    path, library = compiled(model)
    x = f32(3, 2, 2)
    axes = [1, -2] if keepdims else [1, 2, -1, -2]
    check_runs(path, library, [{"x": x, "axes": i64(a)} for a in axes], exact=False)
    message = refused(library, {"x": x, "axes": i64(0)})
    assert "ReduceSum 'sum' would have the output shape" in message


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float16])
def test_range_at_run_time(dtype):
    onnx_type = {np.int32: TensorProto.INT32, np.float32: TensorProto.FLOAT,
                 np.float16: TensorProto.FLOAT16}[dtype]
    model = build([helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="range")],
                  [helper.make_tensor_value_info(n, onnx_type, []) for n in ("start", "limit", "delta")],
                  [helper.make_tensor_value_info("y", onnx_type, [5])])
    path, library = compiled(model)
    scalar = lambda v: np.array(v, dtype=dtype)  # noqa: E731
    runs = [(0, 5, 1), (10, 0, -2), (-3, 7, 2)]
    if dtype != np.int32:
        runs.append((0.5, 2.75, 0.5))  # 4.5 steps: 5 elements
    if dtype == np.float16:
        # The length from the values as given: float16's 0.1 is
        # 0.0999755859375, so (0.5 - 0.1) / 0.1 is 4.001...: 5 elements.
        runs.append((0.1, 0.5, 0.1))
    # onnxruntime has no float16 Range: ONNX's reference evaluator then.
    check_runs(path, library, [{"start": scalar(a), "limit": scalar(b), "delta": scalar(c)}
                               for a, b, c in runs],
               against=spec_reference if dtype == np.float16 else reference)
    message = refused(library, {"start": scalar(0), "limit": scalar(6), "delta": scalar(1)})
    assert "Range 'range' would have the output shape [6]" in message


def test_sizes_at_run_time():
    """Expand, Tile, Squeeze, TopK's k and ConstantOfShape: the values only
    set the shape, checked against the one declared."""
    model = build(
        [helper.make_node("Expand", ["x", "shape"], ["e"], name="expand"),
         helper.make_node("Tile", ["e", "repeats"], ["t"]),
         helper.make_node("TopK", ["t", "k"], ["y", "i"], axis=1, name="topk")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 1]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2]),
         helper.make_tensor_value_info("repeats", TensorProto.INT64, [2]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 3]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [6, 3])],
        )
    model.graph.value_info.extend([
        helper.make_tensor_value_info("e", TensorProto.FLOAT, [3, 4]),
        helper.make_tensor_value_info("t", TensorProto.FLOAT, [6, 8])])
    path, library = compiled(model)
    feeds = {"x": f32(3, 1), "shape": i64(1, 4), "repeats": i64(2, 2), "k": i64(3)}
    got = run_library(library, feeds, new_work_dir())
    want = reference(path, feeds)
    np.testing.assert_array_equal(got["y"], want[0])
    np.testing.assert_array_equal(got["i"], want[1])
    assert "TopK 'topk'" in refused(library, dict(feeds, k=i64(2)))
    assert "Expand 'expand' would have the output shape [3,5]" in refused(
        library, dict(feeds, shape=i64(3, 5)))


RESIZE_MODES = [
    dict(mode="nearest"),
    dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
    dict(mode="nearest", coordinate_transformation_mode="align_corners",
         nearest_mode="round_prefer_ceil"),
    dict(mode="nearest", nearest_mode="ceil"),
    dict(mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn"),
    dict(mode="linear"),
    dict(mode="linear", coordinate_transformation_mode="align_corners"),
    dict(mode="linear", coordinate_transformation_mode="pytorch_half_pixel"),
    dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"),
    dict(mode="linear", coordinate_transformation_mode="asymmetric"),
    dict(mode="cubic"),
    dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1),
    dict(mode="cubic", coordinate_transformation_mode="align_corners"),
    dict(mode="cubic", coordinate_transformation_mode="asymmetric"),
]


@pytest.mark.parametrize("attrs", RESIZE_MODES,
                         ids=lambda a: "-".join(str(v) for v in a.values()))
def test_resize_scales_at_run_time(attrs):
    """Scales that give the declared shape, read at run time: the coordinate
    transform follows the scale itself (2.2 and 2.3 both make 5 rows 11, at
    other sampling positions). Against ONNX's reference evaluator, the
    source of the node suite's data: onnxruntime departs from it for
    align_corners (it divides by the rounded output size) and for nearest
    at some scales (2.3 picks other rows)."""
    # tf_half_pixel_for_nn left the spec at opset 19 (and the evaluator):
    # onnxruntime at opset 18.
    legacy = attrs.get("coordinate_transformation_mode") == "tf_half_pixel_for_nn"
    model = build([helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", **attrs)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 7]),
                   helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 11, 4])],
                  opset=18 if legacy else 19)
    path, library = compiled(model)
    x = f32(1, 2, 5, 7, seed=3)
    scales = [(2.2, 0.6), (2.3, 0.7), (2.39, 0.65), (2.2, 0.58)]
    check_runs(path, library, [{"x": x, "scales": np.array([1, 1, h, w], np.float32)}
                               for h, w in scales], exact=False, tolerance=1e-5,
               against=reference if legacy else spec_reference)
    message = refused(library, {"x": x, "scales": np.array([1, 1, 2, 0.6], np.float32)})
    assert "input 1 ('scales') = [1,1,2,0.6]" in message
    assert "Resize 'up' would have the output shape [1,2,10,4]" in message
    assert "compiled for [1,2,11,4]" in message
    assert "not valid for Resize 'up'" in refused(
        library, {"x": x, "scales": np.array([1, 1, -2.2, 0.6], np.float32)})


def test_resize_axes_roi_and_upsample_at_run_time():
    """Resize with axes (opset 18) and tf_crop_and_resize's roi at run time,
    and Upsample (opset 9): against ONNX's reference evaluator, Upsample
    (which it does not evaluate at fractional scales) against onnxruntime."""
    axes = build([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                                   axes=[3, 2])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 7]),
                  helper.make_tensor_value_info("scales", TensorProto.FLOAT, [2])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 16])])
    path, library = compiled(axes)
    x = f32(1, 2, 5, 7, seed=4)
    check_runs(path, library, [{"x": x, "scales": np.array([w, h], np.float32)}
                               for w, h in [(2.3, 0.7), (2.4, 0.79)]], exact=False,
               tolerance=1e-5, against=spec_reference)
    crop = build([helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="linear",
                                   coordinate_transformation_mode="tf_crop_and_resize",
                                   extrapolation_value=5.0)],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6]),
                  helper.make_tensor_value_info("roi", TensorProto.FLOAT, [8]),
                  helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 9])])
    path, library = compiled(crop)
    x = f32(1, 1, 6, 6, seed=5)
    rois = [[0, 0, 0.2, 0.1, 1, 1, 0.8, 0.9], [0, 0, -0.3, 0.5, 1, 1, 1.2, 1.4]]
    check_runs(path, library, [{"x": x, "roi": np.array(r, np.float32),
                                "scales": np.array([1, 1, 0.7, 1.6], np.float32)}
                               for r in rois], exact=False, tolerance=1e-5,
               against=spec_reference)
    upsample = build([helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")],
                     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 2]),
                      helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
                     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 7, 6])],
                     opset=9)
    path, library = compiled(upsample)
    x = f32(1, 1, 3, 2, seed=6)
    check_runs(path, library, [{"x": x, "scales": np.array([1, 1, h, 3], np.float32)}
                               for h in (2.34, 2.6)])


def test_stft_frame_step_at_run_time():
    """STFT with a window and frame_step at run time: steps 17 to 21 all cut
    100 samples into 5 frames of 16, at other offsets."""
    model = build([helper.make_node("STFT", ["signal", "step", "window"], ["y"], name="stft")],
                  [helper.make_tensor_value_info("signal", TensorProto.FLOAT, [1, 100, 1]),
                   helper.make_tensor_value_info("step", TensorProto.INT64, []),
                   helper.make_tensor_value_info("window", TensorProto.FLOAT, [16])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, 9, 2])],
                  opset=17)
    path, library = compiled(model)
    signal, window = f32(1, 100, 1, seed=10), np.hanning(16).astype(np.float32)
    check_runs(path, library, [{"signal": signal, "step": np.array(step, np.int64),
                                "window": window} for step in (17, 19, 21)],
               exact=False, tolerance=1e-5)
    feeds = {"signal": signal, "step": np.array(16, np.int64), "window": window}
    assert "STFT 'stft' would have the output shape [6]" in refused(library, feeds)
    assert "not valid for STFT 'stft'" in refused(library, dict(feeds, step=np.array(0, np.int64)))


def test_values_a_node_supports_at_run_time():
    """Dropout's ratio and training flag, LSTM's sequence_lens and a Loop's
    trip count and condition, given at run time: compiled for the one
    value the node supports (or the declared scan length), checked before
    each run, so that another value is refused rather than ignored."""
    dropout = build([helper.make_node("Dropout", ["x", "ratio", "training"], ["y", "mask"],
                                      name="drop")],
                    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4]),
                     helper.make_tensor_value_info("ratio", TensorProto.FLOAT, []),
                     helper.make_tensor_value_info("training", TensorProto.BOOL, [])],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4]),
                     helper.make_tensor_value_info("mask", TensorProto.BOOL, [3, 4])])
    path, library = compiled(dropout)
    x = f32(3, 4)
    for training in (True, False):
        feeds = {"x": x, "ratio": np.array(0, np.float32), "training": np.array(training)}
        got = run_library(library, feeds, new_work_dir())
        want = reference(path, feeds)
        np.testing.assert_array_equal(got["y"], want[0])
        np.testing.assert_array_equal(got["mask"], want[1])
    feeds = {"x": x, "ratio": np.array(0.25, np.float32), "training": np.array(True)}
    assert ("input 1 ('ratio') holds a fraction, but Dropout 'drop' was compiled for [0], "
            "the only values it supports") in refused(library, feeds)
    assert ("input 1 ('ratio') = [1], but Dropout 'drop' was compiled for [0], the only "
            "values it supports") in refused(library, dict(feeds, ratio=np.array(1, np.float32)))

    hidden, steps, batch, size = 3, 4, 2, 5
    rng = np.random.RandomState(7)
    weights = [helper.make_tensor("W", TensorProto.FLOAT, [1, 4 * hidden, size],
                                  rng.randn(4 * hidden * size).astype(np.float32)),
               helper.make_tensor("R", TensorProto.FLOAT, [1, 4 * hidden, hidden],
                                  rng.randn(4 * hidden * hidden).astype(np.float32))]
    graph = helper.make_graph(
        [helper.make_node("LSTM", ["x", "W", "R", "", "lengths"], ["y"], hidden_size=hidden,
                          name="lstm")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [steps, batch, size]),
         helper.make_tensor_value_info("lengths", TensorProto.INT32, [batch])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [steps, 1, batch, hidden])],
        weights)
    lstm = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    path, library = compiled(lstm)
    feeds = {"x": f32(steps, batch, size, seed=8), "lengths": np.array([4, 4], np.int32)}
    check_runs(path, library, [feeds], exact=False, tolerance=1e-5)
    assert ("input 1 ('lengths') = [4,2], but LSTM 'lstm' was compiled for [4,4], the only "
            "values it supports") in refused(library, dict(feeds, lengths=np.array([4, 2], np.int32)))

    body = helper.make_graph(
        [helper.make_node("Add", ["state", "one"], ["next"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["next"], ["scan"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("state", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("next", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("scan", TensorProto.FLOAT, [2])],
        [helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
    loop = build([helper.make_node("Loop", ["trips", "cond", "start"], ["last", "all"],
                                   body=body, name="loop")],
                 [helper.make_tensor_value_info("trips", TensorProto.INT64, []),
                  helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                  helper.make_tensor_value_info("start", TensorProto.FLOAT, [2])],
                 [helper.make_tensor_value_info("last", TensorProto.FLOAT, [2]),
                  helper.make_tensor_value_info("all", TensorProto.FLOAT, [3, 2])])
    path, library = compiled(loop)
    feeds = {"trips": np.array(3, np.int64), "cond": np.array(True), "start": f32(2, seed=9)}
    got = run_library(library, feeds, new_work_dir())
    want = reference(path, feeds)
    np.testing.assert_allclose(got["last"], want[0], rtol=1e-6)
    np.testing.assert_allclose(got["all"], want[1], rtol=1e-6)
    assert ("input 0 ('trips') = [4], but Loop 'loop' was compiled for [3], the only values "
            "it supports") in refused(library, dict(feeds, trips=np.array(4, np.int64)))
    assert "input 1 ('cond') = [0], but Loop 'loop'" in refused(
        library, dict(feeds, cond=np.array(False)))


def test_if_condition_at_run_time():
    """Both branches computed, the condition picks (branches of the same
    shapes); branches of different shapes still need the condition bound."""
    then_branch = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["t"])], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])])
    else_branch = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"])], "else", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 3])])
    model = build([helper.make_node("If", ["c"], ["y"], then_branch=then_branch,
                                    else_branch=else_branch)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                   helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    path, library = compiled(model)
    x = f32(2, 3)
    check_runs(path, library, [{"x": x, "c": np.array(v)} for v in (True, False)])

    other = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["e"], axis=0)], "else", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [1, 6])])
    model = build([helper.make_node("If", ["c"], ["y"], then_branch=then_branch,
                                    else_branch=other)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                   helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["d0", "d1"])])
    message = compile_fails(model)
    assert "different shapes or types" in message
    assert "--bind-input c=FILE" in message


def test_nonzero_of_run_time_data():
    """The library allocates the output at the count the data gives."""
    model = build([helper.make_node("NonZero", ["x"], ["y"], name="nz")],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4, 2])],
                  [helper.make_tensor_value_info("y", TensorProto.INT64, [3, "n"])])
    path, library = compiled(model)
    header = open(os.path.join(os.path.dirname(library), "m.h")).read()
    assert "M_OUTPUT0_MAX_ELEMENTS 72" in header
    assert "void m_free_output(dlc_tensor *output);" in header
    x = f32(3, 4, 2)
    x[np.abs(x) < 0.7] = 0
    feeds = [{"x": x}, {"x": np.zeros((3, 4, 2), np.float32)},
             {"x": np.ones((3, 4, 2), np.float32)}]
    check_runs(path, library, feeds)


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_compress_with_a_run_time_condition(axis):
    attrs = {} if axis is None else {"axis": axis}
    model = build([helper.make_node("Compress", ["x", "c"], ["y"], **attrs)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 5]),
                   helper.make_tensor_value_info("c", TensorProto.BOOL, [3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"] if axis is not None else ["n"])])
    path, library = compiled(model)
    x = f32(4, 5)
    check_runs(path, library, [{"x": x, "c": np.array(c)} for c in
                               ([True, False, True], [False, False, False],
                                [True, True, True], [False, True, False])])


def test_data_dependent_results_only_as_graph_outputs():
    model = build([helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
                   helper.make_node("Cast", ["nz"], ["y"], to=TensorProto.FLOAT)],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, "n"])])
    message = compile_fails(model)
    assert ("input 'nz' of Cast node comes from NonZero 'nz', whose shape depends on "
            "the data: dlc supports such a result only as a graph output") in message


def check_unique(onnx_type, shape, sorted_, inputs):
    """Unique of the flattened input against onnxruntime, all four outputs,
    for each of `inputs` through one library."""
    size = int(np.prod(shape))
    model = build([helper.make_node("Unique", ["x"], ["y", "indices", "inverse", "counts"],
                                    sorted=sorted_)],
                  [helper.make_tensor_value_info("x", onnx_type, shape)],
                  [helper.make_tensor_value_info("y", onnx_type, ["n"]),
                   helper.make_tensor_value_info("indices", TensorProto.INT64, ["n"]),
                   helper.make_tensor_value_info("inverse", TensorProto.INT64, [size]),
                   helper.make_tensor_value_info("counts", TensorProto.INT64, ["n"])])
    work = new_work_dir()
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    library = compile_model(path, os.path.join(work, "out"), "m")
    for x in inputs:
        got = run_library(library, {"x": x}, new_work_dir())
        want = reference(path, {"x": x})
        for name, expected in zip(["y", "indices", "inverse", "counts"], want):
            np.testing.assert_array_equal(got[name], expected, err_msg=name)


@pytest.mark.parametrize("sorted_", [1, 0])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_unique_of_run_time_data(sorted_, dtype):
    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT64
    rng = np.random.RandomState(3)
    check_unique(onnx_type, [3, 5], sorted_,
                 (rng.randint(-3, 4, size=(3, 5)).astype(dtype),
                  np.full((3, 5), 2, dtype=dtype),
                  np.arange(15, 0, -1).reshape(3, 5).astype(dtype)))


@pytest.mark.parametrize("sorted_", [1, 0])
def test_unique_of_many_elements(sorted_):
    """Unique of 2^16 elements, 1000 distinct values in random order, and
    every element distinct, against onnxruntime: the sort is a merge sort
    (selection rounds would take 2^32 comparisons)."""
    size = 1 << 16
    rng = np.random.RandomState(4)
    check_unique(TensorProto.FLOAT, [size], sorted_,
                 (rng.randint(-500, 500, size=size).astype(np.float32) / 4,
                  rng.permutation(size).astype(np.float32)))


@pytest.mark.parametrize("sorted_", [1, 0])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unique_along_an_axis(sorted_, axis):
    """Unique of the slices along an axis, compared whole and sorted
    lexicographically (numpy's order), against onnxruntime: slices that
    tie on their first columns, repeated slices, all alike, all distinct."""
    shape = [4, 6, 3]
    model = build([helper.make_node("Unique", ["x"], ["y", "indices", "inverse", "counts"],
                                    sorted=sorted_, axis=axis)],
                  [helper.make_tensor_value_info("x", TensorProto.INT64, shape)],
                  [helper.make_tensor_value_info("y", TensorProto.INT64,
                                                 ["d%d" % d for d in range(3)]),
                   helper.make_tensor_value_info("indices", TensorProto.INT64, ["n"]),
                   helper.make_tensor_value_info("inverse", TensorProto.INT64,
                                                 [shape[axis]]),
                   helper.make_tensor_value_info("counts", TensorProto.INT64, ["n"])])
    work = new_work_dir()
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    library = compile_model(path, os.path.join(work, "out"), "m")
    rng = np.random.RandomState(11)
    repeated = rng.randint(0, 2, size=shape)
    picks = rng.randint(0, 2, size=shape[axis])
    repeated = np.take(np.take(repeated, [0, 1], axis=axis), picks, axis=axis)
    for x in (rng.randint(0, 2, size=shape), repeated, np.ones(shape, np.int64),
              np.arange(72).reshape(shape)[::-1].copy()):
        x = x.astype(np.int64)
        got = run_library(library, {"x": x}, new_work_dir())
        want = reference(path, {"x": x})
        for name, expected in zip(["y", "indices", "inverse", "counts"], want):
            np.testing.assert_array_equal(got[name], expected, err_msg=name)


def nms_model(onnx_type, batches, classes, count, threshold, center=0):
    """One NonMaxSuppression with every limit a run-time input (the score
    threshold only with `threshold`); returns its inputs and the model."""
    inputs = [helper.make_tensor_value_info("boxes", onnx_type, [batches, count, 4]),
              helper.make_tensor_value_info("scores", onnx_type, [batches, classes, count]),
              helper.make_tensor_value_info("max_boxes", TensorProto.INT64, [1]),
              helper.make_tensor_value_info("iou", TensorProto.FLOAT, [1])]
    if threshold:
        inputs.append(helper.make_tensor_value_info("min_score", TensorProto.FLOAT, [1]))
    model = build([helper.make_node("NonMaxSuppression", [i.name for i in inputs], ["selected"],
                                    center_point_box=center, name="nms")],
                  inputs, [helper.make_tensor_value_info("selected", TensorProto.INT64,
                                                         ["n", 3])], opset=11)
    return inputs, model


def nms_feeds(boxes, scores, max_boxes, iou, min_score=None):
    feeds = {"boxes": boxes, "scores": scores, "max_boxes": np.array([max_boxes], np.int64),
             "iou": np.array([iou], np.float32)}
    if min_score is not None:
        feeds["min_score"] = np.array([min_score], np.float32)
    return feeds


@pytest.mark.parametrize("center", [0, 1])
@pytest.mark.parametrize("threshold", [True, False])
def test_non_max_suppression(center, threshold):
    """NonMaxSuppression of random overlapping boxes (2 batches, 3 classes,
    120 boxes, corners in either order), every limit at run time, against
    onnxruntime and ONNX's reference evaluator: several IoU thresholds and
    per-class limits, one of 0, and a score threshold that leaves none."""
    batches, classes, count = 2, 3, 120
    inputs, model = nms_model(TensorProto.FLOAT, batches, classes, count, threshold, center)
    path, library = compiled(model)
    rng = np.random.RandomState(12)
    corners = rng.uniform(0, 10, size=(batches, count, 2)).astype(np.float32)
    sizes = rng.uniform(0.5, 4, size=(batches, count, 2)).astype(np.float32)
    if center:
        boxes = np.concatenate([corners, sizes], axis=2)
    else:  # [y1, x1, y2, x2], some with the corners swapped
        boxes = np.concatenate([corners, corners + sizes], axis=2)
        swap = rng.rand(batches, count) < 0.3
        boxes[swap] = boxes[swap][:, [2, 3, 0, 1]]
    scores = rng.rand(batches, classes, count).astype(np.float32)
    for max_boxes, iou, min_score in [(200, 0.5, 0.3), (5, 0.2, 0.0), (0, 0.5, 0.1),
                                      (50, 0.7, 1.5), (-3, 0.5, 0.1)]:
        feeds = nms_feeds(boxes, scores, max_boxes, iou, min_score if threshold else None)
        got = run_library(library, feeds, new_work_dir())["selected"]
        np.testing.assert_array_equal(got, reference(path, feeds)[0])
        if max_boxes >= 0:  # the evaluator fails on a negative limit
            np.testing.assert_array_equal(got, spec_reference(path, feeds)[0])
    # A constant limit bounds the output at it (3 a class); none: no box.
    for limit in ([3], []):
        graph = helper.make_graph(
            [helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_boxes"],
                              ["selected"], center_point_box=center)], "g", inputs[:2],
            [helper.make_tensor_value_info("selected", TensorProto.INT64, ["n", 3])],
            [helper.make_tensor("max_boxes", TensorProto.INT64, [len(limit)], limit)])
        path, library = compiled(helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 11)]))
        feeds = {"boxes": boxes, "scores": scores}
        got = run_library(library, feeds, new_work_dir())["selected"]
        assert got.shape == ((batches * classes * 3, 3) if limit else (0, 3))
        np.testing.assert_array_equal(got, reference(path, feeds)[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("threshold", [True, False])
def test_non_max_suppression_ties_and_signs(dtype, threshold):
    """Scores on a few levels (many ties, which go in index order), negative
    ones, and -0 with +0 (equal, so index order decides): float32 and
    float16 scores sort as packed keys, float64 ones by reading the scores;
    against ONNX's reference evaluator (and onnxruntime for float32)."""
    batches, classes, count = 1, 2, 300
    onnx_type = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16,
                 np.float64: TensorProto.DOUBLE}[dtype]
    _, model = nms_model(onnx_type, batches, classes, count, threshold)
    path, library = compiled(model)
    rng = np.random.RandomState(21)
    corners = rng.uniform(0, 20, size=(batches, count, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(1, 5, size=(batches, count, 2))],
                           axis=2).astype(dtype)
    scores = (rng.randint(-4, 5, size=(batches, classes, count)) / 4).astype(dtype)
    scores[0, 0, ::7] = -0.0
    scores[0, 0, 3::7] = 0.0
    for max_boxes, iou, min_score in [(300, 0.4, -0.5), (20, 0.1, 0.0), (300, 0.9, -2.0)]:
        feeds = nms_feeds(boxes, scores, max_boxes, iou, min_score if threshold else None)
        got = run_library(library, feeds, new_work_dir())["selected"]
        np.testing.assert_array_equal(got, spec_reference(path, feeds)[0])
        if dtype == np.float32:
            np.testing.assert_array_equal(got, reference(path, feeds)[0])


@pytest.mark.parametrize("declared", [[5, 5], [1 << 40, 1 << 40]])
def test_a_declared_shape_that_cannot_be_is_not_trusted(declared):
    """A declaration that contradicts the data (or overflows) is ignored:
    the input must then be bound, as without one."""
    model = build([helper.make_node("Reshape", ["x", "shape"], ["y"])],
                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                   helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, declared)])
    message = compile_fails(model)
    assert "--bind-input shape=FILE" in message
