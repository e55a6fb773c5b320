"""Convolutions through the blocked layout and its micro-kernel (-O3) and
through the generic lowering (-O2), over strides, pads, dilations, kernel
sizes, channel counts and widths that leave partial and border tiles, fused
with bias, residual add and ReLU; against onnxruntime."""
import os
import subprocess

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h

# (cin, cout, size, kernel, stride, pad, dilation)
CASES = [
    (3, 16, 17, 3, 1, 1, 1),    # RGB input: a block of 3 input channels
    (16, 32, 14, 3, 2, 1, 1),   # strided, two output blocks (a pair)
    (32, 48, 9, 1, 1, 0, 1),    # 1x1, three output blocks (no pair)
    (16, 16, 13, 3, 1, 2, 2),   # dilated
    (8, 24, 30, 5, 1, 2, 1),    # 8-channel blocks, 5x5, tiles of 10 pixels
    (16, 16, 7, 7, 2, 3, 1),    # 7x7 stride 2, mostly border
    (32, 64, 28, 3, 1, 1, 1),   # several interior tiles
    # Filters of a group larger than L1: chunked along the input blocks.
    (48, 48, 7, 3, 1, 1, 1),    # a block per chunk, residual epilogue
    (80, 32, 10, 3, 2, 1, 1),   # strided, five chunks
    (400, 32, 7, 1, 1, 0, 1),   # 1x1: chunks of 16 blocks and 9
]


def build(cin, cout, size, kernel, stride, pad, dilation, group=1):
    """`pad`: one for every side, or (top, left, bottom, right)."""
    pads = list(pad) if isinstance(pad, tuple) else [pad] * 4
    rng = np.random.RandomState(cin * 100 + cout + size)
    inits = [numpy_helper.from_array(
                 (rng.randn(cout, cin // group, kernel, kernel) /
                  np.sqrt(cin // group * kernel * kernel)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.randn(cout).astype(np.float32), "b")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[kernel, kernel],
                              strides=[stride, stride], pads=pads,
                              dilations=[dilation, dilation], group=group),
             helper.make_node("Relu", ["y"], ["out"])]
    out_h, out_w = [(size + pads[i] + pads[i + 2] - dilation * (kernel - 1) - 1) // stride + 1
                    for i in (0, 1)]
    outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, cout, out_h, out_w])]
    if cin == cout and stride == 1 and out_h == size and out_w == size:
        # A residual block: conv + skip + relu in one group.
        nodes[-1] = helper.make_node("Add", ["y", "x"], ["sum"])
        nodes.append(helper.make_node("Relu", ["sum"], ["out"]))
    graph = helper.make_graph(
        nodes, "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                      [1, cin, size, size])], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def check_against_onnxruntime(model, seed, extra):
    """Compiles `model` (input x, output out) with dlc's options `extra` and
    compares its output on a random input with onnxruntime's."""
    work = h.new_work_dir()
    path = os.path.join(work, "conv.onnx")
    onnx.save(model, path)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.RandomState(seed).randn(*shape).astype(np.float32)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"x": x})[0]
    library = h.compile_model(path, os.path.join(work, "lib"), name="conv", extra=extra)
    actual = h.run_library(library, {"x": x}, work)["out"]
    assert actual.shape == expected.shape
    assert h.relative_l2(expected, actual) < 1e-5


# Padding the conv kernel reads by clipping: (cin, cout, size, kernel, stride,
# (top, left, bottom, right)).
PADDING = [
    (16, 16, 12, 3, 1, (0, 2, 1, 0)),   # asymmetric: only the left and bottom
    (16, 32, 14, 3, 2, (1, 0, 0, 1)),   # strided, asymmetric
    (16, 16, 5, 3, 1, (4, 4, 4, 4)),    # rows and columns wholly in the padding
    (16, 16, 3, 3, 1, (100, 100, 100, 100)),  # more edge tiles than are built apart
    (16, 16, 9, 1, 1, (1, 1, 1, 1)),    # a padded 1x1: its border is the bias
]


@pytest.mark.parametrize("cpu", ["x86-64-v3", "x86-64-v4"])
@pytest.mark.parametrize("case", PADDING, ids=lambda c: "c%d_f%d_s%d_k%d_st%d_p%s" % (
    c[:5] + ("_".join(map(str, c[5])),)))
def test_padding_matches_onnxruntime(case, cpu):
    if not host_has({"x86-64-v3": "avx2", "x86-64-v4": "avx512f"}[cpu]):
        pytest.skip("this machine cannot run %s code" % cpu)
    check_against_onnxruntime(build(*case, 1), seed=11, extra=("-O3", "--mcpu", cpu))


# Depthwise (group = channels): (channels, size, kernel, stride, pad, dilation)
DEPTHWISE = [(32, 15, 3, 1, 1, 1), (48, 16, 3, 2, 1, 1), (24, 9, 5, 1, 2, 1),
             (16, 12, 3, 1, 2, 2)]


@pytest.mark.parametrize("level", ["-O3", "-O2"])
@pytest.mark.parametrize("case", DEPTHWISE, ids=["dw_c%d_s%d_k%d_st%d_p%d_d%d" % c
                                                 for c in DEPTHWISE])
def test_depthwise_matches_onnxruntime(case, level):
    channels, size, kernel, stride, pad, dilation = case
    check_against_onnxruntime(build(channels, channels, size, kernel, stride, pad, dilation,
                                    group=channels), seed=8, extra=(level,))


@pytest.mark.parametrize("level", ["-O3", "-O2"])
@pytest.mark.parametrize("case", CASES, ids=["c%d_f%d_s%d_k%d_st%d_p%d_d%d" % c for c in CASES])
def test_conv_matches_onnxruntime(case, level):
    check_against_onnxruntime(build(*case), seed=9, extra=(level,))


def host_has(flag):
    with open("/proc/cpuinfo") as cpuinfo:
        return any(line.startswith("flags") and flag in line.split() for line in cpuinfo)


# The register tile follows the target: 16 vector registers with AVX2
# (x86-64-v3), 32 with AVX-512 (x86-64-v4); widths that the tile does not
# divide end each row with a narrower tile.
@pytest.mark.parametrize("cpu", ["x86-64-v3", "x86-64-v4"])
@pytest.mark.parametrize("case", CASES + [(16, 16, 14, 3, 1, 1, 1), (64, 64, 7, 3, 1, 1, 1),
                                          (16, 16, 56, 1, 1, 0, 1)],
                         ids=lambda c: "c%d_f%d_s%d_k%d_st%d_p%d_d%d" % c)
def test_conv_register_tiles_per_target(case, cpu):
    if not host_has({"x86-64-v3": "avx2", "x86-64-v4": "avx512f"}[cpu]):
        pytest.skip("this machine cannot run %s code" % cpu)
    check_against_onnxruntime(build(*case), seed=10, extra=("-O3", "--mcpu", cpu))


def test_threads_give_the_same_outputs():
    """The parallel loops split work, not arithmetic: 1 and 2 threads give
    bit-identical outputs."""
    work = h.new_work_dir()
    path = os.path.join(work, "conv.onnx")
    onnx.save(build(32, 64, 28, 3, 1, 1, 1), path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="conv")
    x = np.random.RandomState(3).randn(1, 32, 28, 28).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    results = []
    for threads in ("1", "2"):
        out = os.path.join(work, "out" + threads)
        h.run_dlc("run", library, "--input", "x=" + os.path.join(work, "x.npy"),
                  "--output-dir", out, "--threads", threads)
        results.append(np.load(os.path.join(out, "out.npy")))
    assert np.array_equal(results[0], results[1])


def test_many_runs_unload_cleanly():
    """dlc run loads the library, runs it on 2 threads and unloads it: the
    runtime must stop its workers before the code goes away. Many runs at
    once make a leftover worker crash likely."""
    work = h.new_work_dir()
    path = os.path.join(work, "conv.onnx")
    onnx.save(build(*CASES[1]), path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="conv")
    x = np.random.RandomState(4).randn(1, 16, 14, 14).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    runs = [subprocess.Popen([h.dlc_binary(), "run", library, "--input",
                              "x=" + os.path.join(work, "x.npy"), "--output-dir",
                              os.path.join(work, "out%d" % i), "--threads", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for i in range(24)]
    codes = [run.wait() for run in runs]
    assert codes == [0] * len(runs)
