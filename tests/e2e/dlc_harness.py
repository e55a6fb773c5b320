"""Drives the dlc binary from the end-to-end tests: compile, run, compare."""
import os
import re
import subprocess
import tempfile

import numpy as np
import onnx
import onnx.checker
import onnx.helper
from onnx import numpy_helper


def dlc_binary():
    """The dlc binary: $DLC_BIN, else Bazel's runfiles, else bazel-bin."""
    if os.environ.get("DLC_BIN"):
        return os.environ["DLC_BIN"]
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        return os.path.join(srcdir, "dlc", "tools", "dlc", "dlc")
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "bazel-bin", "tools", "dlc", "dlc")


def run_dlc(*args, check=True):
    result = subprocess.run([dlc_binary(), *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError("dlc %s failed (%d):\n%s" % (" ".join(args), result.returncode,
                                                         result.stderr))
    return result


def compile_model(model_path, out_dir, name="model", extra=()):
    run_dlc("compile", model_path, "-o", out_dir, "--name", name, *extra)
    return os.path.join(out_dir, "lib%s.so" % name)


def run_library(library, inputs, work_dir, threads=None):
    """Runs a compiled library on {name: array}; returns {output name: array}."""
    args = ["run", library, "--output-dir", os.path.join(work_dir, "outputs")]
    if threads is not None:
        args += ["--threads", str(threads)]
    for i, (name, value) in enumerate(inputs.items()):
        path = os.path.join(work_dir, "input%d.npy" % i)
        np.save(path, value)
        args += ["--input", "%s=%s" % (name, path)]
    run_dlc(*args)
    out_dir = os.path.join(work_dir, "outputs")
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in os.listdir(out_dir)}


def relative_l2(expected, actual):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    norm = np.linalg.norm(expected)
    return np.linalg.norm(expected - actual) / (norm if norm > 0 else 1.0)


def output_file_stem(name):
    """How `dlc run` names the file of an output tensor."""
    stem = "".join(c if (c.isalnum() or c in "_-.") else "_" for c in name)
    return "_" + stem if (not stem or stem[0] == ".") else stem


BIND_HINT = re.compile(r"--bind-input ([^\s=]+)=FILE")


def _compile_case(model_path, out_dir, bound):
    """Compiles a node-test model with `bound` ({input: file}) compiled in;
    an input the compiler asks for (a shape or axes given as a graph input)
    is bound from `files` and the compile retried. Returns (returncode,
    stderr)."""
    args = ["compile", model_path, "-o", out_dir, "--name", "case"]
    if os.environ.get("DLC_TARGET"):  # conformance.py --target
        args.append("--target=" + os.environ["DLC_TARGET"])
        if os.environ.get("DLC_PTXAS"):
            args.append("--emit=ptx,lib")
    for name, path in bound.items():
        args += ["--bind-input", "%s=%s" % (name, path)]
    result = run_dlc(*args, check=False)
    return result.returncode, result.stderr


def run_node_case(case_dir, work_dir, bound_names=None):
    """Compiles an ONNX backend-test case and checks every test_data_set_N
    against its expected outputs with the ONNX backend tolerances (rtol 1e-3,
    atol 1e-7). Inputs that the compiler needs at compile time (ONNX gives
    shapes, axes, sizes as graph inputs in these tests) are bound with
    --bind-input to the data set's value, so such a case compiles once per
    data set; their names are appended to `bound_names` when given (a case
    that binds none passes as a user's runtime would run it, every input
    given at run time). Returns None on success, else the reason."""
    model_path = os.path.join(case_dir, "model.onnx")
    model = onnx.load(model_path)
    initializers = {t.name for t in model.graph.initializer}
    input_names = [i.name for i in model.graph.input if i.name not in initializers]
    output_names = [o.name for o in model.graph.output]
    sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
    if bound_names is None:
        bound_names = []  # inputs the compiler asked for, in the order asked
    library = None
    for data_set in sets:
        data_dir = os.path.join(case_dir, data_set)
        files = {name: os.path.join(data_dir, "input_%d.pb" % i)
                 for i, name in enumerate(input_names)}
        if library is None or bound_names:
            lib_dir = os.path.join(work_dir, "lib_" + data_set)
            while True:
                code, stderr = _compile_case(
                    model_path, lib_dir, {name: files[name] for name in bound_names})
                if code == 0:
                    break
                asked = [name for name in BIND_HINT.findall(stderr)
                         if name in files and name not in bound_names]
                if not asked:
                    return "compile error: " + stderr.strip().replace("\n", " | ")[:300]
                bound_names += asked
            library = os.path.join(lib_dir, "libcase.so")
        if os.environ.get("DLC_PTXAS"):  # conformance.py --ptxas: assemble, no run
            chip = os.environ["DLC_TARGET"].partition(":")[2] or "sm_90"
            result = subprocess.run([os.environ["DLC_PTXAS"], "-arch=" + chip,
                                     os.path.join(lib_dir, "case.ptx"), "-o", os.devnull],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                return "ptxas error: " + result.stderr.strip().replace("\n", " | ")[:300]
            continue
        args = ["run", library, "--output-dir", os.path.join(work_dir, data_set)]
        for name in input_names:
            if name not in bound_names:
                args += ["--input", "%s=%s" % (name, files[name])]
        result = run_dlc(*args, check=False)
        if result.returncode != 0:
            return "run error: " + result.stderr.strip()[:300]
        for k, name in enumerate(output_names):
            expected = numpy_helper.to_array(
                onnx.load_tensor(os.path.join(data_dir, "output_%d.pb" % k)))
            actual = np.load(os.path.join(work_dir, data_set, output_file_stem(name) + ".npy"))
            if (actual.dtype.kind == "V" and actual.dtype.itemsize == 2
                    and expected.dtype == np.uint16):
                # Older test data (Debian's) stores a bfloat16 output's bit
                # patterns as UINT16.
                import ml_dtypes
                expected = expected.view(ml_dtypes.bfloat16)
            if (actual.dtype.kind == "V"
                    and expected.dtype.type.__module__.startswith("ml_dtypes")
                    and actual.dtype.itemsize == expected.dtype.itemsize):
                # bfloat16, float8, int4, int2 (ml_dtypes): `dlc run` saves
                # raw bytes, as numpy does; compare them as float64 / int64
                # (ml_dtypes' int4 keeps its value in the low bits).
                narrow = expected.dtype
                actual = actual.view(narrow)
                wide = np.int64 if "int" in narrow.name else np.float64
                expected, actual = expected.astype(wide), actual.astype(wide)
            else:
                narrow = None
            if expected.shape != actual.shape:
                return "shape mismatch on output %s: %s vs %s" % (name, expected.shape,
                                                                 actual.shape)
            if expected.dtype != actual.dtype:
                return "dtype mismatch on output %s: %s vs %s" % (name, expected.dtype,
                                                                 actual.dtype)
            if not np.allclose(actual, expected, rtol=1e-3, atol=1e-7, equal_nan=True):
                error = np.max(np.abs(actual.astype(np.float64) - expected))
                message = "mismatch on output %s: max abs error %g" % (name, error)
                if (expected.dtype in (np.float16, np.float32) and expected.size
                        and np.all(np.isfinite(expected))):
                    # In units of the last place at the output's largest
                    # magnitude: float16 keeps 11 bits where the tolerance
                    # asks 10, and a float32 sum that cancels to ~0 misses
                    # the fixed atol by its rounding at the sum's scale.
                    ulp = np.spacing(expected.dtype.type(np.max(np.abs(expected))))
                    message += " (%s: %.1f ulp)" % (expected.dtype.name,
                                                    error / float(ulp))
                elif (narrow is not None and narrow.name == "bfloat16"
                      and expected.size and np.all(np.isfinite(expected))):
                    # bfloat16 keeps 8 bits: ONNX's reference rounds a bf16
                    # model's intermediates where dlc computes them in f32.
                    largest = float(np.max(np.abs(expected)))
                    ulp = 2.0 ** (np.floor(np.log2(largest)) - 7) if largest else 2.0 ** -133
                    message += " (bfloat16: %.1f ulp)" % (error / ulp)
                return message
    return None


def new_work_dir():
    return tempfile.mkdtemp(prefix="dlc-e2e-", dir=os.environ.get("TEST_TMPDIR"))


def check_against_onnxruntime(nodes, inputs, outputs, feeds, inits=(), opset=18):
    """Compiles the one-graph model, runs dlc and onnxruntime on `feeds` and
    compares every output: integers exactly, floats to 1e-6 relative L2
    (NaN at the same places)."""
    import onnxruntime  # only the tests that compare with it need it

    graph = onnx.helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    work = new_work_dir()
    path = os.path.join(work, "g.onnx")
    onnx.save(model, path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)
    library = compile_model(path, os.path.join(work, "lib"), name="g")
    actual = run_library(library, feeds, work)
    for info, want in zip(outputs, expected):
        got = actual[output_file_stem(info.name)]
        assert got.dtype == want.dtype and got.shape == want.shape, info.name
        if np.issubdtype(want.dtype, np.integer):
            np.testing.assert_array_equal(got, want, err_msg=info.name)
        else:
            # NaN where onnxruntime has NaN, the rest within 1e-6.
            nan = np.isnan(want)
            np.testing.assert_array_equal(np.isnan(got), nan, err_msg=info.name)
            assert relative_l2(want[~nan], got[~nan]) < 1e-6, info.name
