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


def check_runs(path, library, feeds_list, exact=True):
    for feeds in feeds_list:
        got = run_library(library, feeds, new_work_dir())
        (want,) = reference(path, feeds)
        (name,) = got
        assert got[name].shape == want.shape, feeds
        if exact:
            np.testing.assert_array_equal(got[name], want)
        else:
            np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-6)


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


@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_range_at_run_time(dtype):
    onnx_type = TensorProto.INT32 if dtype == np.int32 else TensorProto.FLOAT
    model = build([helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="range")],
                  [helper.make_tensor_value_info(n, onnx_type, []) for n in ("start", "limit", "delta")],
                  [helper.make_tensor_value_info("y", onnx_type, [5])])
    path, library = compiled(model)
    scalar = lambda v: np.array(v, dtype=dtype)  # noqa: E731
    runs = [(0, 5, 1), (10, 0, -2), (-3, 7, 2)]
    if dtype == np.float32:
        runs.append((0.5, 2.75, 0.5))
    check_runs(path, library, [{"start": scalar(a), "limit": scalar(b), "delta": scalar(c)}
                               for a, b, c in runs])
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


@pytest.mark.parametrize("sorted_", [1, 0])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_unique_of_run_time_data(sorted_, dtype):
    onnx_type = TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT64
    model = build([helper.make_node("Unique", ["x"], ["y", "indices", "inverse", "counts"],
                                    sorted=sorted_)],
                  [helper.make_tensor_value_info("x", onnx_type, [3, 5])],
                  [helper.make_tensor_value_info("y", onnx_type, ["n"]),
                   helper.make_tensor_value_info("indices", TensorProto.INT64, ["n"]),
                   helper.make_tensor_value_info("inverse", TensorProto.INT64, [15]),
                   helper.make_tensor_value_info("counts", TensorProto.INT64, ["n"])])
    work = new_work_dir()
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    library = compile_model(path, os.path.join(work, "out"), "m")
    rng = np.random.RandomState(3)
    for x in (rng.randint(-3, 4, size=(3, 5)).astype(dtype),
              np.full((3, 5), 2, dtype=dtype),
              np.arange(15, 0, -1).reshape(3, 5).astype(dtype)):
        got = run_library(library, {"x": x}, new_work_dir())
        want = reference(path, {"x": x})
        for name, expected in zip(["y", "indices", "inverse", "counts"], want):
            np.testing.assert_array_equal(got[name], expected, err_msg=name)


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
