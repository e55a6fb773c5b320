"""CNN and MLP models (opsets 13-17) compiled by dlc match onnxruntime."""
import os
import subprocess

import numpy as np
import onnx
import onnxruntime
import pytest

import dlc_harness as h
import model_zoo

OPSETS = [13, 15, 17]


def reference(model_path, inputs):
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs)))


def input_shape(model):
    return [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("name", sorted(model_zoo.MODELS))
def test_matches_onnxruntime(name, opset):
    work = h.new_work_dir()
    model = model_zoo.MODELS[name](opset=opset, seed=opset)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    x = np.random.RandomState(opset).randn(*input_shape(model)).astype(np.float32)
    expected = reference(path, {"input": x})
    library = h.compile_model(path, os.path.join(work, "lib"), name=name)
    actual = h.run_library(library, {"input": x}, work)
    assert sorted(actual) == sorted(expected)
    for output, value in expected.items():
        assert actual[output].shape == value.shape
        assert h.relative_l2(value, actual[output]) < 1e-4, output


def test_c_example_links_and_runs():
    """examples/main.c builds against the generated header and library."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.join(here, "..", "..")
    work = h.new_work_dir()
    model_path = os.path.join(root, "examples", "small_cnn.onnx")
    out = os.path.join(work, "out")
    h.run_dlc("compile", model_path, "-o", out)
    app = os.path.join(work, "app")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", os.path.join(root, "examples", "main.c"),
                    "-I" + out, "-L" + out, "-lsmall_cnn", "-Wl,-rpath," + out, "-lm", "-o", app],
                   check=True)
    result = subprocess.run([app], capture_output=True, text=True, check=True)
    printed = [float(line.split("=")[1]) for line in result.stdout.splitlines()
               if line.startswith("probs[")]
    x = np.sin(np.float32(0.1) * np.arange(3 * 16 * 16, dtype=np.float32))
    expected = reference(model_path, {"input": x.reshape(1, 3, 16, 16).astype(np.float32)})
    assert h.relative_l2(expected["probs"][0], printed) < 1e-4
    assert "wrong shape refused: input 0 ('input') has shape [1,3,8,8]" in result.stdout


def test_bench_prints_median():
    work = h.new_work_dir()
    path = os.path.join(work, "mlp.onnx")
    onnx.save(model_zoo.mlp(), path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="mlp")
    result = h.run_dlc("bench", library, "--warmup", "2", "--iters", "5")
    lines = result.stdout.splitlines()
    median = [l for l in lines if l.startswith("median: ")]
    assert len(median) == 1 and median[0].endswith(" ms")
    assert float(median[0].split()[1]) > 0
    assert any(l.startswith("min: ") for l in lines)
    assert any(l.startswith("max: ") for l in lines)
