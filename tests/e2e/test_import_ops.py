"""Importers the node suites exercise on a few fixed inputs, checked on
harder ones against outside references: onnxruntime (GridSample, RoiAlign,
MaxPool's Indices, MaxUnpool, STFT, If/Loop/Scan), numpy (Det, DFT) and
ONNX's reference evaluator (the training ops, which onnxruntime's inference
build lacks)."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

import dlc_harness as h

check = h.check_against_onnxruntime
tensor = helper.make_tensor_value_info
FLOAT = TensorProto.FLOAT


def run_dlc(nodes, inputs, outputs, feeds, opsets):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v)
                                                    for d, v in opsets])
    model.ir_version = 8
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"), feeds, work)
    return model, got


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [0, 1])
def test_grid_sample(mode, padding, align):
    rng = np.random.RandomState(1)
    x = rng.randn(2, 3, 5, 7).astype(np.float32)
    # Past the borders, where the padding modes differ.
    grid = rng.uniform(-1.7, 1.7, size=(2, 4, 6, 2)).astype(np.float32)
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode,
                            padding_mode=padding, align_corners=align)
    check([node], [tensor("x", FLOAT, [2, 3, 5, 7]), tensor("grid", FLOAT, [2, 4, 6, 2])],
          [tensor("y", FLOAT, [2, 3, 4, 6])], {"x": x, "grid": grid}, opset=16)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("transform", ["half_pixel", "output_half_pixel"])
def test_roi_align(mode, transform):
    rng = np.random.RandomState(2)
    x = rng.randn(2, 3, 9, 11).astype(np.float32)
    # Regions inside, across the border, and tiny.
    rois = np.array([[0.5, 1.0, 7.0, 6.5], [-3.0, 2.0, 4.0, 12.0],
                     [8.0, 7.0, 13.0, 10.0], [3.0, 3.0, 3.2, 3.1]], np.float32)
    batch = np.array([0, 1, 1, 0], np.int64)
    node = helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"], mode=mode,
                            coordinate_transformation_mode=transform, output_height=3,
                            output_width=4, sampling_ratio=2, spatial_scale=0.8)
    check([node], [tensor("x", FLOAT, [2, 3, 9, 11]), tensor("rois", FLOAT, [4, 4]),
                   tensor("batch", TensorProto.INT64, [4])],
          [tensor("y", FLOAT, [4, 3, 3, 4])], {"x": x, "rois": rois, "batch": batch}, opset=16)


@pytest.mark.parametrize("storage_order", [0, 1])
def test_max_pool_indices(storage_order):
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 7, 8).astype(np.float32)
    x[0, 0, :2, :2] = 1.0  # a tie: the first maximum's index
    pool = helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2],
                            strides=[2, 2], pads=[1, 0, 1, 1],
                            storage_order=storage_order)
    check([pool], [tensor("x", FLOAT, [2, 3, 7, 8])],
          [tensor("y", FLOAT, [2, 3, 4, 4]), tensor("i", TensorProto.INT64, [2, 3, 4, 4])],
          {"x": x}, opset=12)


def test_max_pool_then_unpool():
    rng = np.random.RandomState(11)
    x = rng.randn(2, 3, 8, 6).astype(np.float32)
    nodes = [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("MaxUnpool", ["y", "i"], ["u"], kernel_shape=[2, 2],
                              strides=[2, 2])]
    check(nodes, [tensor("x", FLOAT, [2, 3, 8, 6])], [tensor("u", FLOAT, [2, 3, 8, 6])],
          {"x": x}, opset=12)


def test_max_unpool_to_a_larger_output_shape():
    """With an output_shape larger than the inferred one, ONNX's reference
    (and its node test data) scatter into the inferred shape and pad at the
    end; onnxruntime scatters into output_shape's own layout. dlc follows
    ONNX, checked here against its reference evaluator."""
    rng = np.random.RandomState(10)
    x = rng.randn(1, 2, 2, 3).astype(np.float32)
    indices = np.array([[[[0, 3, 5], [13, 14, 16]], [[19, 22, 21], [27, 32, 35]]]], np.int64)
    node = helper.make_node("MaxUnpool", ["x", "i", "shape"], ["u"], kernel_shape=[2, 2],
                            strides=[2, 2])
    graph = helper.make_graph(
        [node], "g", [tensor("x", FLOAT, [1, 2, 2, 3]), tensor("i", TensorProto.INT64, [1, 2, 2, 3])],
        [tensor("u", FLOAT, [1, 2, 5, 7])],
        [helper.make_tensor("shape", TensorProto.INT64, [4], [1, 2, 5, 7])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    feeds = {"x": x, "i": indices}
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"), feeds, work)
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    np.testing.assert_array_equal(got["u"], want)


def test_max_pool_indices_dilated_3d():
    rng = np.random.RandomState(4)
    x = rng.randn(1, 2, 5, 6, 7).astype(np.float32)
    pool = helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2, 3],
                            dilations=[2, 1, 2], strides=[1, 2, 2])
    check([pool], [tensor("x", FLOAT, [1, 2, 5, 6, 7])],
          [tensor("y", FLOAT, [1, 2, 3, 3, 2]), tensor("i", TensorProto.INT64, [1, 2, 3, 3, 2])],
          {"x": x}, opset=12)


def test_det_against_numpy():
    rng = np.random.RandomState(5)
    x = rng.randn(6, 5, 5).astype(np.float32)
    x[1] = np.eye(5)[[1, 0, 3, 4, 2]]        # a permutation: every step swaps
    x[2, :, 3] = 0.0                           # singular: a zero column
    x[3, 0, 0] = 0.0                           # a zero first pivot
    x[4, 4] = x[0, 4] * 2                      # dependent rows
    _, got = run_dlc([helper.make_node("Det", ["x"], ["d"])], [tensor("x", FLOAT, [6, 5, 5])],
                     [tensor("d", FLOAT, [6])], {"x": x}, [("", 13)])
    want = np.linalg.det(x.astype(np.float64))
    np.testing.assert_allclose(got["d"], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("inverse,onesided,length", [
    (0, 0, None), (0, 1, None), (1, 0, None), (1, 1, 14), (0, 1, 20), (0, 0, 9)])
def test_dft_against_numpy(inverse, onesided, length):
    rng = np.random.RandomState(6)
    real = inverse == 0
    bins = 8 if (inverse and onesided) else 12
    x = rng.randn(2, bins, 3, 1 if real else 2).astype(np.float32)
    inputs = [tensor("x", FLOAT, list(x.shape))]
    names = ["x"]
    inits = []
    if length is not None:
        names.append("n")
    node = helper.make_node("DFT", names, ["y"], axis=1, inverse=inverse, onesided=onesided)
    signal = x[..., 0] if real else x[..., 0] + 1j * x[..., 1]
    n = length or (2 * (bins - 1) if inverse and onesided else bins)
    if not inverse:
        want = np.fft.fft(signal.astype(np.complex128), n=n, axis=1)
        if onesided:
            want = want[:, :n // 2 + 1]
        want = np.stack([want.real, want.imag], -1)
    elif onesided:
        want = np.fft.irfft(signal.astype(np.complex128), n=n, axis=1)[..., None]
    else:
        want = np.fft.ifft(signal.astype(np.complex128), n=n, axis=1)
        want = np.stack([want.real, want.imag], -1)
    graph_inputs = inputs
    feeds = {"x": x}
    if length is not None:
        inits = [helper.make_tensor("n", TensorProto.INT64, [], [length])]
    graph = helper.make_graph([node], "g", graph_inputs,
                              [tensor("y", FLOAT, list(want.shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    got = h.run_library(h.compile_model(path, os.path.join(work, "lib"), name="g"), feeds, work)
    assert got["y"].shape == want.shape
    np.testing.assert_allclose(got["y"], want, rtol=1e-4, atol=1e-4)


def test_stft_against_onnxruntime():
    rng = np.random.RandomState(7)
    signal = rng.randn(2, 64, 1).astype(np.float32)
    window = np.hanning(16).astype(np.float32)
    inits = [helper.make_tensor("step", TensorProto.INT64, [], [6]),
             helper.make_tensor("window", FLOAT, [16], window),
             helper.make_tensor("length", TensorProto.INT64, [], [16])]
    node = helper.make_node("STFT", ["signal", "step", "window", "length"], ["y"], onesided=1)
    check([node], [tensor("signal", FLOAT, [2, 64, 1])], [tensor("y", FLOAT, [2, 9, 9, 2])],
          {"signal": signal}, inits=inits, opset=17)


def test_if_on_a_shape_and_loop_and_scan():
    """Control flow as exporters write it: an If on a shape, a Loop with a
    constant trip count carrying a value and scanning another, a Scan in
    reverse along axis 1."""
    rng = np.random.RandomState(8)
    x = rng.randn(3, 4).astype(np.float32)
    shape = helper.make_node("Shape", ["x"], ["shape"])
    first = helper.make_node("Gather", ["shape", "zero"], ["rows"], axis=0)
    is3 = helper.make_node("Equal", ["rows", "three"], ["is3"])
    then_graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["t"])], "then", [], [tensor("t", FLOAT, [3, 4])])
    else_graph = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"])], "else", [], [tensor("e", FLOAT, [3, 4])])
    branch = helper.make_node("If", ["is3"], ["picked"], then_branch=then_graph,
                              else_branch=else_graph)
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Cast", ["i"], ["fi"], to=FLOAT),
         helper.make_node("Mul", ["acc_in", "fi"], ["scaled"]),
         helper.make_node("Add", ["scaled", "x"], ["acc_out"]),
         helper.make_node("Sub", ["acc_out", "x"], ["step_out"])],
        "body", [tensor("i", TensorProto.INT64, []), tensor("cond_in", TensorProto.BOOL, []),
                 tensor("acc_in", FLOAT, [3, 4])],
        [tensor("cond_out", TensorProto.BOOL, []), tensor("acc_out", FLOAT, [3, 4]),
         tensor("step_out", FLOAT, [3, 4])])
    loop = helper.make_node("Loop", ["trips", "yes", "picked"], ["acc", "steps"], body=body)
    scan_body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "col"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "col"], ["emit"])],
        "scan", [tensor("s_in", FLOAT, [3]), tensor("col", FLOAT, [3])],
        [tensor("s_out", FLOAT, [3]), tensor("emit", FLOAT, [3])])
    scan = helper.make_node("Scan", ["s0", "x"], ["s", "emitted"], body=scan_body,
                            num_scan_inputs=1, scan_input_axes=[1],
                            scan_input_directions=[1], scan_output_axes=[1])
    inits = [helper.make_tensor("zero", TensorProto.INT64, [], [0]),
             helper.make_tensor("three", TensorProto.INT64, [], [3]),
             helper.make_tensor("trips", TensorProto.INT64, [], [3]),
             helper.make_tensor("yes", TensorProto.BOOL, [], [True]),
             helper.make_tensor("s0", FLOAT, [3], [0.5, -1.0, 2.0])]
    check([shape, first, is3, branch, loop, scan], [tensor("x", FLOAT, [3, 4])],
          [tensor("acc", FLOAT, [3, 4]), tensor("steps", FLOAT, [3, 3, 4]),
           tensor("s", FLOAT, [3]), tensor("emitted", FLOAT, [3, 4])],
          {"x": x}, inits=inits, opset=16)


def test_loop_whose_condition_depends_on_data_is_refused():
    body = helper.make_graph(
        [helper.make_node("ReduceSum", ["v_in"], ["total"], keepdims=0),
         helper.make_node("Less", ["total", "limit"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "v_in"], ["v_out"])],
        "body", [tensor("i", TensorProto.INT64, []), tensor("cond_in", TensorProto.BOOL, []),
                 tensor("v_in", FLOAT, [2])],
        [tensor("cond_out", TensorProto.BOOL, []), tensor("v_out", FLOAT, [2])])
    loop = helper.make_node("Loop", ["", "yes", "v"], ["out"], body=body)
    graph = helper.make_graph(
        [loop], "g", [tensor("v", FLOAT, [2])], [tensor("out", FLOAT, [2])],
        [helper.make_tensor("yes", TensorProto.BOOL, [], [True]),
         helper.make_tensor("limit", FLOAT, [], [100.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    work = h.new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    result = h.run_dlc("compile", path, "-o", os.path.join(work, "lib"), check=False)
    assert result.returncode != 0
    assert "condition output 'cond_out' must be known at compile time" in result.stderr
    assert not os.path.exists(os.path.join(work, "lib"))


def test_training_ops_against_the_reference_evaluator():
    rng = np.random.RandomState(9)
    x1, g1, v1, h1 = (rng.randn(5).astype(np.float32) for _ in range(4))
    x2, g2, v2, h2 = (rng.randn(2, 3).astype(np.float32) for _ in range(4))
    h1, h2 = np.abs(h1), np.abs(h2)
    inputs = [tensor("r", FLOAT, []), tensor("t", TensorProto.INT64, [])]
    names = ["x1", "x2", "g1", "g2", "v1", "v2", "h1", "h2"]
    values = [x1, x2, g1, g2, v1, v2, h1, h2]
    inputs += [tensor(name, FLOAT, list(value.shape)) for name, value in zip(names, values)]
    domain = "ai.onnx.preview.training"
    adam = helper.make_node("Adam", ["r", "t"] + names, ["ax1", "ax2", "av1", "av2", "ah1", "ah2"],
                            domain=domain, alpha=0.8, beta=0.95, epsilon=1e-3,
                            norm_coefficient=0.01, norm_coefficient_post=0.05)
    momentum = helper.make_node("Momentum", ["r", "t", "x1", "g1", "v1"], ["mx1", "mv1"],
                                domain=domain, alpha=0.9, beta=0.5, mode="nesterov",
                                norm_coefficient=0.02)
    adagrad = helper.make_node("Adagrad", ["r", "t", "x2", "g2", "h2"], ["gx2", "gh2"],
                               domain=domain, decay_factor=0.1, epsilon=1e-4,
                               norm_coefficient=0.03)
    out_names = ["ax1", "ax2", "av1", "av2", "ah1", "ah2", "mx1", "mv1", "gx2", "gh2"]
    shapes = {"1": [5], "2": [2, 3]}
    outputs = [tensor(name, FLOAT, shapes[name[-1]]) for name in out_names]
    for step in (0, 3):
        feeds = dict(zip(names, values))
        feeds.update(r=np.array(0.1, np.float32), t=np.array(step, np.int64))
        model, got = run_dlc([adam, momentum, adagrad], inputs, outputs, feeds,
                             [(domain, 1)])
        want = ReferenceEvaluator(model).run(None, feeds)
        for name, value in zip(out_names, want):
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
