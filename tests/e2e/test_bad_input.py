"""Bad input: one clear message, an exit code in 1..127, no partial files."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import dlc_harness as h
import model_zoo


def assert_clean_failure(result, *fragments):
    assert 0 < result.returncode < 128, result.returncode
    assert result.stderr.startswith("dlc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("cnn"))
    path = os.path.join(work, "small_cnn.onnx")
    onnx.save(model_zoo.small_cnn(), path)
    return path


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_missing_model():
    work = h.new_work_dir()
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", os.path.join(work, "nope.onnx"), "-o", out, check=False)
    assert_clean_failure(result, "cannot read")
    assert not os.path.exists(out)


def test_truncated_model(cnn):
    work = h.new_work_dir()
    data = open(cnn, "rb").read()
    path = write_bytes(os.path.join(work, "truncated.onnx"), data[: len(data) // 2])
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, check=False)
    assert_clean_failure(result, "not a valid ONNX model")
    assert not os.path.exists(out)


def test_corrupt_model_keeps_existing_outdir_untouched():
    work = h.new_work_dir()
    path = write_bytes(os.path.join(work, "noise.onnx"),
                       np.random.RandomState(0).bytes(4096))
    out = os.path.join(work, "out")
    os.makedirs(out)
    write_bytes(os.path.join(out, "keep.txt"), b"mine")
    result = h.run_dlc("compile", path, "-o", out, check=False)
    assert_clean_failure(result)
    assert sorted(os.listdir(out)) == ["keep.txt"]


def test_unsupported_ops_listed_together():
    work = h.new_work_dir()
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="fine"),
             helper.make_node("TfIdfVectorizer", ["a"], ["b"], name="first_bad"),
             helper.make_node("StringNormalizer", ["b"], ["y"], name="second_bad")]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 14)])
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, check=False)
    assert_clean_failure(result, "2 node(s) use ops dlc does not support",
                         "node 'first_bad': TfIdfVectorizer, opset 14",
                         "node 'second_bad': StringNormalizer, opset 14")
    assert not os.path.exists(out)


@pytest.fixture(scope="module")
def cnn_library(cnn, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("lib"))
    return h.compile_model(cnn, out, name="small_cnn")


def run_with(library, array, name="input"):
    work = h.new_work_dir()
    path = os.path.join(work, "x.npy")
    np.save(path, array)
    out = os.path.join(work, "results")
    result = h.run_dlc("run", library, "--input", "%s=%s" % (name, path), "--output-dir", out,
                       check=False)
    return result, out


def test_run_wrong_shape(cnn_library):
    result, out = run_with(cnn_library, np.zeros((1, 3, 8, 8), np.float32))
    assert_clean_failure(result, "input 0 ('input') has shape [1,3,8,8], expected [1,3,16,16]")
    assert not os.path.exists(out) or os.listdir(out) == []


def test_run_wrong_dtype(cnn_library):
    result, out = run_with(cnn_library, np.zeros((1, 3, 16, 16), np.float64))
    assert_clean_failure(result, "input 0 ('input') has dtype float64, expected float32")
    assert not os.path.exists(out) or os.listdir(out) == []


def test_run_unknown_input_name(cnn_library):
    result, _ = run_with(cnn_library, np.zeros((1, 3, 16, 16), np.float32), name="image")
    assert_clean_failure(result, "the model has no input named 'image'")


def test_run_missing_input(cnn_library):
    result = h.run_dlc("run", cnn_library, "--output-dir", h.new_work_dir(), check=False)
    assert_clean_failure(result, "no file given for input 'input'")


def test_run_not_a_library():
    work = h.new_work_dir()
    path = write_bytes(os.path.join(work, "libfake.so"), b"not an ELF file")
    result = h.run_dlc("run", path, "--output-dir", work, check=False)
    assert_clean_failure(result, "cannot load")
