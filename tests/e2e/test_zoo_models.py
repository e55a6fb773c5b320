"""Models as torch's default (dynamo) exporter writes them, opset 20:
small variants of zoo architectures (tools/zoo/models.py CI_MODELS, made by
`tools/zoo/zoo.py --export-ci tests/e2e/zoo`, random weights). Each is
compiled at -O3 and at -O2, run on seeded inputs and compared with
onnxruntime (relative L2 <= 1e-4), and the two levels with each other, so an
optimization that miscompiles shows itself."""
import os

import numpy as np
import onnx
import pytest

import dlc_harness as h

ZOO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zoo")
MODELS = sorted(f[:-5] for f in os.listdir(ZOO) if f.endswith(".onnx"))
TOLERANCE = 1e-4


def seeded_inputs(model):
    rng = np.random.RandomState(0)
    feeds = {}
    for value in model.graph.input:
        tensor = value.type.tensor_type
        shape = [d.dim_value for d in tensor.shape.dim]
        if tensor.elem_type == onnx.TensorProto.INT64:
            feeds[value.name] = rng.randint(0, 100, size=shape).astype(np.int64)
        else:
            feeds[value.name] = rng.randn(*shape).astype(np.float32)
    return feeds


def test_the_models_are_there():
    assert MODELS == ["bert", "llama", "mobilenet_v3_small", "mobilevit_xxs"]


@pytest.mark.parametrize("name", MODELS)
def test_matches_onnxruntime_at_O3_and_O2(name):
    import onnxruntime
    path = os.path.join(ZOO, name + ".onnx")
    model = onnx.load(path)
    feeds = seeded_inputs(model)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    expected = dict(zip(names, session.run(None, feeds)))
    work = h.new_work_dir()
    results = {}
    for level in ("-O3", "-O2"):
        library = h.compile_model(path, os.path.join(work, level), name="m", extra=(level,))
        run_dir = os.path.join(work, "run" + level)
        os.makedirs(run_dir)
        actual = h.run_library(library, feeds, run_dir)
        for output, want in expected.items():
            got = actual[h.output_file_stem(output)]
            assert got.shape == want.shape, (level, output)
            error = h.relative_l2(want, got)
            assert error <= TOLERANCE, "%s %s: relative L2 %.3g" % (level, output, error)
        results[level] = actual
    for output in results["-O3"]:
        assert h.relative_l2(results["-O3"][output], results["-O2"][output]) <= TOLERANCE
