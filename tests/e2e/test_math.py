"""Accuracy of the polynomial approximations dlc-approximate-math puts in
place of libm's exp, log, tanh and erf (f32), against a float64 reference:
the error in units in the last place (ulp) of the float32 result, over each
function's whole useful range, plus the values at its ends (overflow to
inf, underflow to 0, log of 0 and of negatives)."""
import os
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import dlc_harness as h

N = 20000
RNG = np.random.RandomState(7)


def spread(low, high):
    """Evenly spaced points plus random ones in [low, high]."""
    return np.concatenate([np.linspace(low, high, N // 2),
                           RNG.uniform(low, high, N // 2)]).astype(np.float32)


LOG_INPUTS = np.concatenate([np.logspace(-37, 38, N // 2),
                             RNG.uniform(0.5, 2.0, N // 2)]).astype(np.float32)
from math import erf as _erf  # noqa: E402

# op: (inputs, float64 reference, largest error in ulp allowed)
CASES = {
    "Exp": (spread(-87.0, 88.0), np.exp, 2),
    "Log": (LOG_INPUTS, np.log, 2),
    "Tanh": (spread(-12.0, 12.0), np.tanh, 5),
    "Erf": (spread(-5.0, 5.0), np.vectorize(_erf), 5),
}
# Ends of the ranges: (op, input, exact float32 result).
ENDS = [("Exp", 100.0, np.inf), ("Exp", -120.0, 0.0), ("Log", 0.0, -np.inf),
        ("Tanh", 50.0, 1.0), ("Tanh", -50.0, -1.0), ("Erf", 9.0, 1.0),
        ("Erf", -9.0, -1.0), ("Exp", 0.0, 1.0), ("Log", 1.0, 0.0)]


def build(count):
    nodes, inputs, outputs = [], [], []
    for op in CASES:
        inputs.append(helper.make_tensor_value_info("x_" + op, TensorProto.FLOAT, [count]))
        outputs.append(helper.make_tensor_value_info("y_" + op, TensorProto.FLOAT, [count]))
        nodes.append(helper.make_node(op, ["x_" + op], ["y_" + op]))
    model = helper.make_model(helper.make_graph(nodes, "math", inputs, outputs),
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def ulp_error(actual, reference):
    expected = reference.astype(np.float32)
    spacing = np.spacing(np.abs(expected)).astype(np.float64)
    return np.abs(actual.astype(np.float64) - reference) / spacing


@pytest.fixture(scope="module")
def results():
    work = h.new_work_dir()
    path = os.path.join(work, "math.onnx")
    onnx.save(build(N), path)
    feeds = {"x_" + op: CASES[op][0] for op in CASES}
    out = {}
    for label, extra in (("approximate", ()),
                         ("libm", ("--disable-pass=dlc-approximate-math",))):
        lib_dir = os.path.join(work, label)
        library = h.compile_model(path, lib_dir, name="math", extra=("--emit=lib,asm",) + extra)
        out[label] = h.run_library(library, feeds, lib_dir)
        out[label]["asm"] = open(os.path.join(lib_dir, "math.s")).read()
    return out


def test_no_libm_calls(results):
    """The approximations are inline code: no calls to libm's functions."""
    for name in ("expf", "logf", "tanhf", "erff"):
        call = re.compile(r"\bcall[q]?\s+%s\b" % name)
        assert not call.search(results["approximate"]["asm"]), name
        assert call.search(results["libm"]["asm"]), name


@pytest.mark.parametrize("op", list(CASES))
def test_error_in_ulp(op, results):
    inputs, reference, bound = CASES[op]
    expected = reference(inputs.astype(np.float64))
    approximate = ulp_error(results["approximate"]["y_" + op], expected)
    libm = ulp_error(results["libm"]["y_" + op], expected)
    print("%s: max error %.2f ulp (libm %.2f ulp)" % (op, approximate.max(), libm.max()))
    assert approximate.max() <= bound


def test_ends_of_ranges():
    work = h.new_work_dir()
    path = os.path.join(work, "ends.onnx")
    onnx.save(build(len(ENDS)), path)
    feeds = {"x_" + op: np.ones(len(ENDS), np.float32) for op in CASES}
    for i, (op, x, _) in enumerate(ENDS):
        feeds["x_" + op][i] = x
    library = h.compile_model(path, os.path.join(work, "lib"), name="ends")
    actual = h.run_library(library, feeds, work)
    for i, (op, x, expected) in enumerate(ENDS):
        assert actual["y_" + op][i] == expected, (op, x)
    # Outside the domain: log of a negative is NaN, as in libm.
    feeds["x_Log"][:] = -1.0
    assert np.isnan(h.run_library(library, feeds, work)["y_Log"]).all()
