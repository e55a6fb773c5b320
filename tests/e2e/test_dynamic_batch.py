"""A symbolic batch: one library for every batch size, against onnxruntime.

A model whose inputs share a symbolic dim 0 compiles once and runs at any
batch size, sample by sample; models that mix samples or compute with the
batch size are refused with a message naming the node.
"""
import ctypes
import os

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

import model_zoo
from dlc_harness import compile_model, new_work_dir, relative_l2, run_dlc, run_library


def symbolic_batch(model, symbol="batch"):
    """The model with dim 0 of its inputs and outputs named `symbol`."""
    for value in list(model.graph.input) + list(model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = symbol
    return model


def save(model, work, name):
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    return path


def reference(path, inputs):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, inputs)))


def check_batches(path, library, input_shape, batches, tolerance):
    for batch in batches:
        work = new_work_dir()
        x = np.random.RandomState(batch).randn(batch, *input_shape).astype(np.float32)
        got = run_library(library, {"input": x}, work)
        want = reference(path, {"input": x})
        assert set(got) == set(want)
        for name, expected in want.items():
            assert got[name].shape == expected.shape, (batch, name)
            assert relative_l2(expected, got[name]) < tolerance, (batch, name)


def test_small_cnn_any_batch():
    work = new_work_dir()
    path = save(symbolic_batch(model_zoo.small_cnn()), work, "cnn")
    library = compile_model(path, os.path.join(work, "out"), "cnn")
    header = open(os.path.join(work, "out", "cnn.h")).read()
    assert '#define CNN_INPUT0_BATCH_SYMBOL "batch"' in header
    assert "#define CNN_INPUT0_SHAPE {-1, 3, 16, 16}" in header
    assert "#define CNN_INPUT0_SAMPLE_ELEMENTS 768" in header
    assert "CNN_INPUT0_NUM_ELEMENTS" not in header
    check_batches(path, library, (3, 16, 16), [1, 2, 5, 16], 1e-5)
    # Samples side by side on two threads (4 of 5), or one after another
    # on one: the same bits.
    x = np.random.RandomState(7).randn(5, 3, 16, 16).astype(np.float32)
    one = run_library(library, {"input": x}, new_work_dir(), threads=1)
    two = run_library(library, {"input": x}, new_work_dir(), threads=2)
    for name in one:
        np.testing.assert_array_equal(one[name], two[name])


@pytest.mark.parametrize("builder,batches", [
    (model_zoo.mobilenet_v2, [1, 3, 8, 32]),
    (model_zoo.resnet50, [1, 3, 8, 32]),
])
def test_models_any_batch(builder, batches):
    """The issue's sizes: one library each, against onnxruntime."""
    work = new_work_dir()
    path = save(symbolic_batch(builder()), work, "model")
    library = compile_model(path, os.path.join(work, "out"), "model")
    check_batches(path, library, (3, 224, 224), batches, 1e-4)


def test_bert_encoder_any_batch():
    """Attention per sample: batched matmuls over [batch, heads, seq, dh],
    the projections on [batch * seq, hidden] rows, softmax and LayerNorm
    along the last dim; opset 12 spells LayerNorm out in reductions."""
    for opset in (17, 12):
        work = new_work_dir()
        path = save(symbolic_batch(model_zoo.bert_encoder(opset=opset, any_batch=True)),
                    work, "bert")
        library = compile_model(path, os.path.join(work, "out"), "bert")
        check_batches(path, library, (16, 64), [1, 2, 5], 1e-5)


def test_batch_kept_while_the_sequence_is_fixed():
    """An exporter's [batch, seq] input: --input-shape input=batch,16,64
    fixes the sequence and keeps the batch symbolic."""
    model = model_zoo.bert_encoder(any_batch=True)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        for d, symbol in ((0, "batch"), (1, "seq")):
            dims[d].ClearField("dim_value")
            dims[d].dim_param = symbol
    work = new_work_dir()
    path = save(model, work, "bert")
    result = run_dlc("compile", path, "-o", os.path.join(work, "none"), check=False)
    assert result.returncode == 1 and "batch,128" in result.stderr, result.stderr
    library = compile_model(path, os.path.join(work, "out"), "bert",
                            extra=["--input-shape", "input=batch,16,64"])
    header = open(os.path.join(work, "out", "bert.h")).read()
    assert "#define BERT_INPUT0_SHAPE {-1, 16, 64}" in header
    check_batches(path, library, (16, 64), [1, 3], 1e-5)
    result = run_dlc("compile", path, "-o", os.path.join(work, "bad"),
                     "--input-shape", "input=16,batch,64", check=False)
    assert result.returncode == 2 and "D0 may be a name" in result.stderr


def test_exporters_shape_arithmetic():
    """torch's dynamic-batch export: Reshape's shape is built from Shape(x)
    at run time (Shape -> Gather -> Unsqueeze -> Concat). The importer folds
    it per batch size, and its dead constants must not count as a
    difference between sizes."""
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array([0], np.int64), "axes"),
             numpy_helper.from_array(np.array([48], np.int64), "rest"),
             numpy_helper.from_array(
                 np.random.RandomState(3).randn(48, 5).astype(np.float32), "w")]
    nodes = [helper.make_node("Shape", ["input"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
             helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
             helper.make_node("Concat", ["n1", "rest"], ["target"], axis=0),
             helper.make_node("Reshape", ["input", "target"], ["flat"]),
             helper.make_node("MatMul", ["flat", "w"], ["y"])]
    graph = helper.make_graph(
        nodes, "exported",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], inits)
    work = new_work_dir()
    path = save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                work, "exported")
    library = compile_model(path, os.path.join(work, "out"), "exported")
    check_batches(path, library, (3, 4, 4), [1, 4], 1e-5)


def test_fixed_batch_stays_static():
    """--input-shape specialises the batch as before."""
    work = new_work_dir()
    path = save(symbolic_batch(model_zoo.small_cnn()), work, "cnn")
    compile_model(path, os.path.join(work, "out"), "cnn",
                  extra=["--input-shape", "input=4,3,16,16"])
    header = open(os.path.join(work, "out", "cnn.h")).read()
    assert "BATCH_SYMBOL" not in header
    assert "#define CNN_INPUT0_SHAPE {4, 3, 16, 16}" in header


def two_input_model():
    """y = relu(a * b + w) and c = tanh(w): c holds no samples."""
    w = numpy_helper.from_array(np.linspace(-1, 1, 6, dtype=np.float32).reshape(1, 6), "w")
    nodes = [helper.make_node("Mul", ["a", "b"], ["ab"]),
             helper.make_node("Add", ["ab", "w"], ["s"]),
             helper.make_node("Relu", ["s"], ["y"]),
             helper.make_node("Tanh", ["w"], ["c"])]
    graph = helper.make_graph(
        nodes, "two", [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 6]),
                       helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 6]),
         helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 6])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_inputs_must_agree_and_batch_zero():
    work = new_work_dir()
    path = save(two_input_model(), work, "two")
    library = compile_model(path, os.path.join(work, "out"), "two")
    rng = np.random.RandomState(0)
    for batch in [0, 1, 4]:
        a = rng.randn(batch, 6).astype(np.float32)
        b = rng.randn(batch, 6).astype(np.float32)
        got = run_library(library, {"a": a, "b": b}, new_work_dir())
        want = reference(path, {"a": a, "b": b})
        assert got["y"].shape == (batch, 6)
        np.testing.assert_allclose(got["y"], want["y"], rtol=1e-6)
        # Computed even without samples.
        np.testing.assert_allclose(got["c"], want["c"], rtol=1e-6)
    np.save(os.path.join(work, "a.npy"), np.zeros((2, 6), np.float32))
    np.save(os.path.join(work, "b.npy"), np.zeros((3, 6), np.float32))
    result = run_dlc("run", library, "--input", "a=" + os.path.join(work, "a.npy"),
                     "--input", "b=" + os.path.join(work, "b.npy"),
                     "--output-dir", os.path.join(work, "bad"), check=False)
    assert result.returncode == 1
    assert ("input 1 ('b') has dim 0 ('n') = 3, but input 0 ('a') gives 'n' = 2"
            in result.stderr), result.stderr
    assert not os.path.exists(os.path.join(work, "bad"))


# The C ABI: dlc_tensor_info's dim symbols, <N>_output_shape, <N>_run.
class Tensor(ctypes.Structure):  # runtime/include/dlc/runtime.h
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]


class TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("dim_symbols", ctypes.POINTER(ctypes.c_char_p))]


class DimRange(ctypes.Structure):
    _fields_ = [("symbol", ctypes.c_char_p), ("min", ctypes.c_int64), ("max", ctypes.c_int64)]


class ModelInfo(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("num_inputs", ctypes.c_int32), ("inputs", ctypes.POINTER(TensorInfo)),
                ("num_outputs", ctypes.c_int32), ("outputs", ctypes.POINTER(TensorInfo)),
                ("entry", ctypes.c_void_p), ("run", ctypes.c_void_p),
                ("num_value_checks", ctypes.c_int32), ("value_checks", ctypes.c_void_p),
                ("library_outputs", ctypes.c_void_p),
                ("num_dim_ranges", ctypes.c_int32), ("dim_ranges", ctypes.POINTER(DimRange))]


class Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


def test_c_abi():
    work = new_work_dir()
    path = save(two_input_model(), work, "two")
    lib = ctypes.CDLL(compile_model(path, os.path.join(work, "out"), "two"))
    lib.two_info.restype = ctypes.POINTER(ModelInfo)
    info = lib.two_info().contents
    assert info.abi_version == 4
    assert info.num_dim_ranges == 0 and not info.dim_ranges
    a_info, y_info, c_info = info.inputs[0], info.outputs[0], info.outputs[1]
    assert [a_info.shape[0], a_info.shape[1]] == [-1, 6]
    assert a_info.dim_symbols[0] == b"n" and a_info.dim_symbols[1] is None
    assert not c_info.dim_symbols  # static: NULL
    keep = []

    def tensor(array):
        shape = (ctypes.c_int64 * array.ndim)(*array.shape)
        keep.extend([array, shape])
        return Tensor(array.ctypes.data, shape, array.ndim, 1)

    a = np.random.RandomState(1).randn(5, 6).astype(np.float32)
    b = np.random.RandomState(2).randn(5, 6).astype(np.float32)
    inputs = (Tensor * 2)(tensor(a), tensor(b))
    status = Status()
    shape = (ctypes.c_int64 * 2)()
    assert lib.two_output_shape(inputs, 2, 0, shape, ctypes.byref(status)) == 0
    assert list(shape) == [5, 6]
    assert lib.two_output_shape(inputs, 2, 1, shape, ctypes.byref(status)) == 0
    assert list(shape) == [1, 6]
    y, c = np.empty((5, 6), np.float32), np.empty((1, 6), np.float32)
    outputs = (Tensor * 2)(tensor(y), tensor(c))
    assert lib.two_run(inputs, 2, outputs, 2, ctypes.byref(status)) == 0, status.message
    np.testing.assert_allclose(y, reference(path, {"a": a, "b": b})["y"], rtol=1e-6)
    # An output of another batch than the inputs'.
    short = np.empty((4, 6), np.float32)
    outputs = (Tensor * 2)(tensor(short), tensor(c))
    assert lib.two_run(inputs, 2, outputs, 2, ctypes.byref(status)) == 2  # shape mismatch
    assert status.message.decode() == \
        "output 0 ('y') has dim 0 ('n') = 4, but input 0 ('a') gives 'n' = 5"


def test_dim_range_bounds_the_batch():
    """--dim-range n=2:4: the header and info give the range, a run outside it
    is refused naming the input, and runs inside it match onnxruntime."""
    work = new_work_dir()
    path = save(two_input_model(), work, "two")
    out = os.path.join(work, "out")
    library = compile_model(path, out, "two", extra=["--dim-range", "n=2:4"])
    header = open(os.path.join(out, "two.h")).read()
    assert "dim 0 is the batch 'n': any size from 2 to 4" in header
    assert "#define TWO_INPUT0_BATCH_MIN 2" in header
    assert "#define TWO_INPUT0_BATCH_MAX 4" in header
    lib = ctypes.CDLL(library)
    lib.two_info.restype = ctypes.POINTER(ModelInfo)
    info = lib.two_info().contents
    assert info.num_dim_ranges == 1
    assert (info.dim_ranges[0].symbol, info.dim_ranges[0].min, info.dim_ranges[0].max) == \
        (b"n", 2, 4)
    rng = np.random.RandomState(3)
    for batch in [2, 4]:
        a = rng.randn(batch, 6).astype(np.float32)
        b = rng.randn(batch, 6).astype(np.float32)
        got = run_library(library, {"a": a, "b": b}, new_work_dir())
        np.testing.assert_allclose(got["y"], reference(path, {"a": a, "b": b})["y"], rtol=1e-6)
    for batch in [1, 5]:
        for name in "ab":
            np.save(os.path.join(work, name + ".npy"), np.zeros((batch, 6), np.float32))
        bad = os.path.join(work, "bad%d" % batch)
        result = run_dlc("run", library, "--input", "a=" + os.path.join(work, "a.npy"),
                         "--input", "b=" + os.path.join(work, "b.npy"),
                         "--output-dir", bad, check=False)
        assert result.returncode == 1
        assert ("input 0 ('a') gives 'n' = %d, but this library serves 'n' from 2 to 4 "
                "(compiled with --dim-range)" % batch) in result.stderr, result.stderr
        assert not os.path.exists(bad)
    # _output_shape checks the range too; a minimum alone.
    out = os.path.join(work, "out_min")
    library = compile_model(path, out, "least", extra=["--dim-range=n=3:"])
    header = open(os.path.join(out, "least.h")).read()
    assert "any size of at least 3" in header and "#define LEAST_INPUT0_BATCH_MAX -1" in header
    lib = ctypes.CDLL(library)
    a = np.zeros((2, 6), np.float32)
    shape2 = (ctypes.c_int64 * 2)(2, 6)
    inputs = (Tensor * 2)(Tensor(a.ctypes.data, shape2, 2, 1), Tensor(a.ctypes.data, shape2, 2, 1))
    status, shape = Status(), (ctypes.c_int64 * 2)()
    assert lib.least_output_shape(inputs, 2, 0, shape, ctypes.byref(status)) == 2
    assert "serves 'n' of at least 3" in status.message.decode()


@pytest.mark.parametrize("flag,message", [
    (["--dim-range", "n=4:2"], "--dim-range expects SYMBOL=MIN:MAX"),
    (["--dim-range", "n=4"], "--dim-range expects SYMBOL=MIN:MAX"),
    (["--dim-range", "n=-1:2"], "--dim-range expects SYMBOL=MIN:MAX"),
    (["--dim-range", "seq=1:8"],
     "--dim-range names 'seq', but the only dim that stays symbolic is the batch 'n'"),
    (["--input-shape", "a=2,6", "--input-shape", "b=2,6", "--dim-range", "n=1:8"],
     "--dim-range names 'n', but no dim of the model stays symbolic"),
])
def test_dim_range_errors(flag, message):
    work = new_work_dir()
    path = save(two_input_model(), work, "two")
    out = os.path.join(work, "out")
    result = run_dlc("compile", path, "-o", out, *flag, check=False)
    assert result.returncode in (1, 2), result.stderr
    assert message in result.stderr, result.stderr
    assert not os.path.exists(out) or not os.listdir(out)


def refused(model, fragment):
    work = new_work_dir()
    path = save(model, work, "m")
    out = os.path.join(work, "out")
    result = run_dlc("compile", path, "-o", out, check=False)
    assert result.returncode == 1, result.stderr
    assert "cannot stay symbolic" in result.stderr and fragment in result.stderr, result.stderr
    assert "--input-shape" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one message
    assert not os.path.exists(out) or not os.listdir(out)


def single_input(nodes, output_shape, inits=(), opset=17):
    graph = helper.make_graph(
        nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output_shape)], list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_refuses_a_sum_over_the_batch():
    axes = numpy_helper.from_array(np.array([0], np.int64), "axes")
    model = single_input([helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0,
                                           name="total")], [4], [axes])
    refused(model, "node 'total': 'dlc.reduce_sum' reduces over the batch")


def test_refuses_the_batch_size_as_a_value():
    """y = x * batch: the same ops at every size, but another constant."""
    index = numpy_helper.from_array(np.array(0, np.int64), "zero")
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
             helper.make_node("Cast", ["n"], ["nf"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["x", "nf"], ["y"], name="scale")]
    refused(single_input(nodes, ["batch", 4], [index]), "the graph depends on the batch size")


def test_refuses_a_reshape_of_a_fixed_batch():
    """A static exporter's Reshape to [1, -1]."""
    shape = numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["flat"], name="flatten"),
             helper.make_node("MatMul", ["flat", "w"], ["y"], name="head")]
    refused(single_input(nodes, ["batch", 3], [shape, w]), "at batch 2")


def test_other_symbolic_dims_keep_the_old_message():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "m",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq"])])
    work = new_work_dir()
    path = save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), work, "m")
    result = run_dlc("compile", path, "-o", os.path.join(work, "out"), check=False)
    assert result.returncode == 1
    assert "symbolic dimension" in result.stderr and "--input-shape" in result.stderr
