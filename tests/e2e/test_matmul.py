"""Matrix products large enough for the packed micro-kernel
(dlc-matmul-microkernel), with sizes that are not multiples of its tiles,
against onnxruntime."""
import os

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h

# (M, K, N): edges in every dimension (mr = 12, nr = 32, kc = 256, mc = 144),
# K below and above one kc block, several mc blocks.
SHAPES = [(37, 300, 45), (130, 257, 70), (12, 32, 256), (300, 64, 33), (64, 1000, 96)]


def build(m, k, n, gemm):
    rng = np.random.RandomState(m + k + n)
    inits, nodes = [], []
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])]
    if gemm:
        # Constant weights, bias and relu: a fused group around the kernel.
        inits += [numpy_helper.from_array(rng.randn(k, n).astype(np.float32), "w"),
                  numpy_helper.from_array(rng.randn(n).astype(np.float32), "bias")]
        nodes += [helper.make_node("Gemm", ["a", "w", "bias"], ["y"]),
                  helper.make_node("Relu", ["y"], ["c"])]
    else:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n]))
        nodes.append(helper.make_node("MatMul", ["a", "b"], ["c"]))
    graph = helper.make_graph(nodes, "mm", inputs,
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("gemm", [False, True], ids=["matmul", "gemm_bias_relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_matches_onnxruntime(shape, gemm):
    m, k, n = shape
    work = h.new_work_dir()
    path = os.path.join(work, "mm.onnx")
    onnx.save(build(m, k, n, gemm), path)
    rng = np.random.RandomState(1)
    inputs = {"a": rng.randn(m, k).astype(np.float32)}
    if not gemm:
        inputs["b"] = rng.randn(k, n).astype(np.float32)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, inputs)[0]
    library = h.compile_model(path, os.path.join(work, "lib"), name="mm")
    actual = h.run_library(library, inputs, work)["c"]
    assert h.relative_l2(expected, actual) < 1e-5


def test_kernel_is_used():
    """The large product runs the vector micro-kernel (its FMAs are in the
    assembly), not the scalar loops."""
    work = h.new_work_dir()
    path = os.path.join(work, "mm.onnx")
    onnx.save(build(130, 257, 70, False), path)
    out = os.path.join(work, "out")
    h.run_dlc("compile", path, "-o", out, "--name", "mm", "--emit=asm,loops")
    assert "vector.fma" in open(os.path.join(out, "mm.loops.mlir")).read()
    out0 = os.path.join(work, "out0")
    h.run_dlc("compile", path, "-o", out0, "--name", "mm", "--emit=loops",
              "--disable-pass=dlc-matmul-microkernel")
    assert "vector.fma" not in open(os.path.join(out0, "mm.loops.mlir")).read()


# Batched products (attention's Q x K^T and P x V) run the micro-kernel once
# per batch index: (batch dims, M, K, N), edges in M, N and K.
BATCHED = [((2, 3), 37, 300, 45), ((12,), 128, 64, 128), ((1, 4), 20, 80, 70)]


def build_batched(batch, m, k, n):
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, list(batch) + [m, k])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, list(batch) + [k, n])
    scale = numpy_helper.from_array(np.array(0.125, np.float32), "scale")
    nodes = [helper.make_node("MatMul", ["a", "b"], ["ab"]),
             helper.make_node("Mul", ["ab", "scale"], ["c"])]
    graph = helper.make_graph(nodes, "bmm", [a, b], [helper.make_tensor_value_info(
        "c", TensorProto.FLOAT, list(batch) + [m, n])], [scale])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("case", BATCHED, ids=["x".join(map(str, c[0] + c[1:])) for c in BATCHED])
def test_batched_matches_onnxruntime(case):
    batch, m, k, n = case
    work = h.new_work_dir()
    path = os.path.join(work, "bmm.onnx")
    onnx.save(build_batched(batch, m, k, n), path)
    rng = np.random.RandomState(3)
    inputs = {"a": rng.randn(*batch, m, k).astype(np.float32),
              "b": rng.randn(*batch, k, n).astype(np.float32)}
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, inputs)[0]
    out = os.path.join(work, "lib")
    h.run_dlc("compile", path, "-o", out, "--name", "bmm", "--emit=lib,loops")
    assert "vector.fma" in open(os.path.join(out, "bmm.loops.mlir")).read()
    for threads in (1, 2):
        actual = h.run_library(os.path.join(out, "libbmm.so"), inputs, work,
                               threads=threads)["c"]
        assert h.relative_l2(expected, actual) < 1e-5
