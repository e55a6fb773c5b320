"""Hostile input: models, files and C-ABI calls built to break a compiler.

Each test is a class of crash, hang, partial output or silent acceptance
found by trying dlc as a hostile user would; each must end in one clear
message, an exit code in 1..127, and nothing left in the output folder."""
import os
import re
import signal
import stat
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import dlc_harness as h
import model_zoo


# Under --config=asan a failed allocation is also announced by the sanitizer
# (allocator_may_return_null=1); that line is not dlc's message.
SANITIZER_NOTE = re.compile(r"^==\d+==WARNING: AddressSanitizer failed to allocate .*\n",
                            re.MULTILINE)


def refused(result, *fragments):
    assert 0 < result.returncode < 128, (result.returncode, result.stderr)
    stderr = SANITIZER_NOTE.sub("", result.stderr)
    assert stderr.startswith("dlc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in stderr, result.stderr


def save(model, name="m.onnx", check=False):
    work = h.new_work_dir()
    path = os.path.join(work, name)
    onnx.save(model, path)
    return work, path


def one_node_model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def compile_refused(model, *fragments, extra=()):
    work, path = save(model)
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, *extra, check=False)
    refused(result, *fragments)
    assert not os.path.exists(out), os.listdir(out)
    assert sorted(os.listdir(work)) == ["m.onnx"]


def tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


X4 = tensor("x", [1, 1, 4, 4])
Y = tensor("y", None)


# 1. Windows of size zero segfaulted in tiling (-O2/-O3), gave -inf at -O0.
@pytest.mark.parametrize("level", ["-O0", "-O3"])
def test_pool_kernel_of_zero(level):
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[0, 0])
    compile_refused(one_node_model([node], [X4], [Y]), "node 'MaxPool#0'",
                    "kernel_shape [0,0]", extra=(level,))


def test_conv_pads_near_int64_max():
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[2**62] * 4)
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 1, 1, 1], [1.0])
    compile_refused(one_node_model([node], [X4], [Y], [w]), "node 'Conv#0'", "pads")


# 2. Huge dims with no data: std::bad_alloc before the data size was checked.
def test_initializer_dims_without_data():
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**40])
    node = helper.make_node("Add", ["x", "w"], ["y"])
    compile_refused(one_node_model([node], [tensor("x", [2**40])], [Y], [w]),
                    "initializer 'w'")


def test_external_data_dims_larger_than_file():
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**30])
    w.data_location = TensorProto.EXTERNAL
    for key, value in [("location", "w.bin"), ("offset", "0"), ("length", "16")]:
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    node = helper.make_node("Add", ["x", "w"], ["y"])
    model = one_node_model([node], [tensor("x", [2**30])], [Y], [w])
    work, path = save(model)
    with open(os.path.join(work, "w.bin"), "wb") as f:
        f.write(b"\0" * 16)
    result = h.run_dlc("compile", path, "-o", os.path.join(work, "out"), check=False)
    refused(result, "initializer 'w'")


@pytest.mark.parametrize("offset", ["-5", "99999999999999999999", "1e3"])
def test_external_data_bad_offset(offset):
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in [("location", "w.bin"), ("offset", offset)]:
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    node = helper.make_node("Add", ["x", "w"], ["y"])
    work, path = save(one_node_model([node], [tensor("x", [4])], [Y], [w]))
    with open(os.path.join(work, "w.bin"), "wb") as f:
        f.write(b"\0" * 16)
    result = h.run_dlc("compile", path, "-o", os.path.join(work, "out"), check=False)
    refused(result, "offset")


def test_external_data_many_tensors_in_one_file():
    """300 weights in one file (read once, not once per tensor): right values."""
    rng = np.random.RandomState(0)
    weights = [rng.rand(4).astype(np.float32) for _ in range(300)]
    work = h.new_work_dir()
    blob = b"".join(w.tobytes() for w in weights)
    with open(os.path.join(work, "weights.bin"), "wb") as f:
        f.write(blob)
    inits, nodes, previous = [], [], "x"
    for i in range(len(weights)):
        t = TensorProto(name="w%d" % i, data_type=TensorProto.FLOAT, dims=[4])
        t.data_location = TensorProto.EXTERNAL
        for key, value in [("location", "weights.bin"), ("offset", str(16 * i)),
                           ("length", "16")]:
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        inits.append(t)
        out = "y" if i == len(weights) - 1 else "a%d" % i
        nodes.append(helper.make_node("Add", [previous, "w%d" % i], [out]))
        previous = out
    model = one_node_model(nodes, [tensor("x", [4])], [tensor("y", [4])], inits)
    path = os.path.join(work, "m.onnx")
    onnx.save(model, path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="m")
    x = np.arange(4, dtype=np.float32)
    got = h.run_library(library, {"x": x}, work)["y"]
    np.testing.assert_allclose(got, x + np.sum(weights, axis=0), rtol=1e-5)


# 3. Constants materialised at compile time: aborted on bad_alloc.
def test_range_too_long_to_materialise():
    nodes = [helper.make_node("Range", ["a", "b", "c"], ["y"])]
    inits = [helper.make_tensor("a", TensorProto.FLOAT, [], [0.0]),
             helper.make_tensor("b", TensorProto.FLOAT, [], [1e11]),
             helper.make_tensor("c", TensorProto.FLOAT, [], [1.0])]
    compile_refused(one_node_model(nodes, [], [Y], inits), "node 'Range#0'", "2^24")


def test_expand_past_the_size_limit():
    node = helper.make_node("Expand", ["x", "s"], ["y"])
    s = helper.make_tensor("s", TensorProto.INT64, [2], [2**32, 2**32])
    compile_refused(one_node_model([node], [tensor("x", [1, 1])], [Y], [s]),
                    "node 'Expand#0'", "more than 2^48 elements")


def test_large_constant_of_shape_is_filled_not_stored():
    """A 4M-element splat: filled at run time, not a 16 MB global."""
    node = helper.make_node("ConstantOfShape", ["s"], ["y"],
                            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [2.5]))
    s = helper.make_tensor("s", TensorProto.INT64, [2], [2048, 2048])
    work, path = save(one_node_model([node], [], [tensor("y", [2048, 2048])], [s]))
    library = h.compile_model(path, os.path.join(work, "lib"), name="m")
    assert os.path.getsize(library) < 4 * 2**20, os.path.getsize(library)
    got = h.run_library(library, {}, work)["y"]
    assert got.shape == (2048, 2048) and np.all(got == np.float32(2.5))


# 4. Element counts overflowing int64 were accepted.
def test_input_shape_overflowing_int64():
    node = helper.make_node("Relu", ["x"], ["y"])
    compile_refused(one_node_model([node], [tensor("x", [2**32] * 3)], [Y]),
                    "graph input 'x'", "2^48")


def test_input_shape_flag_overflowing_int64():
    node = helper.make_node("Relu", ["x"], ["y"])
    compile_refused(one_node_model([node], [tensor("x", ["N", 4])], [Y]), "graph input 'x'",
                    extra=("--input-shape", "x=9223372036854775807,4"))


# 5. The library's allocations were not checked.
def test_library_reports_out_of_memory():
    """64 TiB of intermediates: DLC_ERROR_OUT_OF_MEMORY, not a segfault."""
    if open("/proc/sys/vm/overcommit_memory").read().strip() == "1":
        pytest.skip("this kernel grants any allocation (vm.overcommit_memory=1)")
    nodes = [helper.make_node("Expand", ["x", "s"], ["big"]),
             helper.make_node("ReduceSum", ["big"], ["y"], keepdims=0)]
    s = helper.make_tensor("s", TensorProto.INT64, [2], [2**22, 2**22])
    model = one_node_model(nodes, [tensor("x", [1, 1])], [tensor("y", [])], [s])
    work, path = save(model)
    library = h.compile_model(path, os.path.join(work, "lib"), name="m", extra=("-O0",))
    np.save(os.path.join(work, "x.npy"), np.ones((1, 1), np.float32))
    result = h.run_dlc("run", library, "--input", "x=" + os.path.join(work, "x.npy"),
                       "--output-dir", os.path.join(work, "outputs"), check=False)
    refused(result, "could not allocate")
    assert not os.path.exists(os.path.join(work, "outputs")) or \
        os.listdir(os.path.join(work, "outputs")) == []


# 6. Cross targets: LLVM fatal error, host CPU warnings.
def test_cross_target_emits_an_object():
    node = helper.make_node("Relu", ["x"], ["y"])
    work, path = save(one_node_model([node], [X4], [tensor("y", [1, 1, 4, 4])]))
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, "--mtriple=aarch64-linux-gnu",
                       "--emit=obj", "--name", "m")
    assert result.stderr == ""
    with open(os.path.join(out, "m.o"), "rb") as f:
        header = f.read(20)
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_cross_target_library_says_what_is_missing():
    node = helper.make_node("Relu", ["x"], ["y"])
    compile_refused(one_node_model([node], [X4], [tensor("y", [1, 1, 4, 4])]),
                    "--emit=obj", "aarch64-linux-gnu", extra=("--mtriple=aarch64-linux-gnu",))


# 7. The validator read `rank` dims of the caller's array for its message.
VALIDATOR_PROBE = """
import ctypes, sys
import numpy as np

class DlcTensor(ctypes.Structure):  # runtime/include/dlc/runtime.h
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]

class DlcStatus(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]

lib = ctypes.CDLL(sys.argv[1])
data_in = np.ones((2, 3), np.float32)
data_out = np.zeros((2, 3), np.float32)
# A rank far larger than the one-element shape array it points at.
short = (ctypes.c_int64 * 1)(2)
x = DlcTensor(data_in.ctypes.data, short, 1 << 30, 1)
y = DlcTensor(data_out.ctypes.data, (ctypes.c_int64 * 2)(2, 3), 2, 1)
status = DlcStatus()
code = lib.m_run(ctypes.byref(x), 1, ctypes.byref(y), 1, ctypes.byref(status))
print(code, status.code, status.message.decode())
"""


@pytest.fixture(scope="module")
def relu_library(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("relu"))
    node = helper.make_node("Relu", ["x"], ["y"])
    path = os.path.join(work, "m.onnx")
    onnx.save(one_node_model([node], [tensor("x", [2, 3])], [tensor("y", [2, 3])]), path)
    return h.compile_model(path, os.path.join(work, "lib"), name="m")


def test_validator_does_not_read_past_a_short_shape(relu_library):
    # In a process of its own: a regression crashes that process, not pytest.
    result = subprocess.run([sys.executable, "-c", VALIDATOR_PROBE, relu_library],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, (result.returncode, result.stderr)
    # DLC_ERROR_SHAPE_MISMATCH, and a message that reads no dim of x.
    assert result.stdout.strip() == \
        "2 2 input 0 ('x') has shape rank 1073741824, expected [2,3]", result.stdout


# 8. Signals left .dlc-staging-* and a new OUTDIR behind.
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_compile_leaves_nothing(sig):
    work, path = save(model_zoo.small_cnn())
    out = os.path.join(work, "out")
    process = subprocess.Popen([h.dlc_binary(), "compile", path, "-o", out, "-v"],
                               stderr=subprocess.PIPE, text=True)
    # Wait until a stage that writes into the staging folder is under way.
    for line in process.stderr:
        if "lowering to LLVM" in line or "code generation" in line:
            break
    process.send_signal(sig)
    process.wait(timeout=60)
    if process.returncode == 0:
        pytest.skip("the compilation finished before the signal")
    assert process.returncode == -sig
    assert not os.path.exists(out), os.listdir(out)


def test_signal_keeps_an_existing_outdir_as_it_was():
    work, path = save(model_zoo.small_cnn())
    out = os.path.join(work, "out")
    os.makedirs(out)
    with open(os.path.join(out, "mine.txt"), "w") as f:
        f.write("mine")
    process = subprocess.Popen([h.dlc_binary(), "compile", path, "-o", out, "-v"],
                               stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if "lowering to LLVM" in line or "code generation" in line:
            break
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    if process.returncode == 0:
        pytest.skip("the compilation finished before the signal")
    assert os.listdir(out) == ["mine.txt"]


# 9. Tensor files: stoll threw, "-4" read as 4, Fortran order ignored,
# /dev/zero read forever, a FIFO as model blocked.
def npy_with_header(header):
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text


@pytest.mark.parametrize("header,fragment", [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000000000000, 6), }",
     "not a valid .npy file"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (-4, 6), }", "not a valid .npy file"),
    ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "Fortran order"),
    ("{'descr': '<f4', 'shape': (2, 3), }", "Fortran order"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
     "2^48"),
])
def test_bad_npy_headers(relu_library, header, fragment):
    work = h.new_work_dir()
    path = os.path.join(work, "x.npy")
    with open(path, "wb") as f:
        f.write(npy_with_header(header) + b"\0" * 24)
    out = os.path.join(work, "outputs")
    result = h.run_dlc("run", relu_library, "--input", "x=" + path, "--output-dir", out,
                       check=False)
    refused(result, fragment)
    assert not os.path.exists(out) or os.listdir(out) == []


def test_device_file_as_input_is_refused_at_once(relu_library):
    result = subprocess.run([h.dlc_binary(), "run", relu_library, "--input", "x=/dev/zero",
                             "--output-dir", h.new_work_dir()],
                            capture_output=True, text=True, timeout=30)
    refused(result, "must end in .npy or .pb")


def test_fifo_as_model_is_refused_at_once():
    work = h.new_work_dir()
    fifo = os.path.join(work, "m.onnx")
    os.mkfifo(fifo)
    result = subprocess.run([h.dlc_binary(), "compile", fifo, "-o", os.path.join(work, "out")],
                            capture_output=True, text=True, timeout=30)
    refused(result, "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_fifo_named_npy_is_refused_at_once(relu_library):
    work = h.new_work_dir()
    fifo = os.path.join(work, "x.npy")
    os.mkfifo(fifo)
    result = subprocess.run([h.dlc_binary(), "run", relu_library, "--input", "x=" + fifo,
                             "--output-dir", os.path.join(work, "o")],
                            capture_output=True, text=True, timeout=30)
    refused(result, "not a regular file")


# Invalid but parsable models, refused as onnxruntime refuses them.
def test_two_nodes_writing_one_name():
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])]
    compile_refused(one_node_model(nodes, [X4], [Y]), "node 'Neg#1'",
                    "already written by node 'Relu#0'")


def test_node_overwriting_a_graph_input():
    nodes = [helper.make_node("Relu", ["x"], ["x"])]
    compile_refused(one_node_model(nodes, [X4], [tensor("x", None)]), "graph input 'x'")


def test_float_kernel_shape():
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2.0, 2.0])
    compile_refused(one_node_model([node], [X4], [Y]), "node 'MaxPool#0'", "kernel_shape")


def test_extra_inputs():
    node = helper.make_node("Relu", ["x", "x"], ["y"])
    compile_refused(one_node_model([node], [X4], [Y]), "node 'Relu#0'", "input size 2")


def test_constant_gather_index_out_of_range():
    node = helper.make_node("Gather", ["x", "i"], ["y"])
    i = helper.make_tensor("i", TensorProto.INT64, [1], [7])
    compile_refused(one_node_model([node], [tensor("x", [4])], [Y], [i]),
                    "node 'Gather#0'", "index 7 is out of range")


def test_unknown_opset():
    node = helper.make_node("Relu", ["x"], ["y"])
    compile_refused(one_node_model([node], [X4], [Y], opset=99), "opset 99")


# The constant evaluator took int64 through double: INT64_MAX became
# INT64_MIN, and Slice's "to the end" idiom cut everything.
def test_int64_max_survives_folding():
    nodes = [helper.make_node("Concat", ["end"], ["ends"], axis=0),
             helper.make_node("Slice", ["x", "starts", "ends"], ["y"])]
    inits = [helper.make_tensor("end", TensorProto.INT64, [1], [2**63 - 1]),
             helper.make_tensor("starts", TensorProto.INT64, [1], [1])]
    model = one_node_model(nodes, [tensor("x", [6])], [tensor("y", [5])], inits, opset=13)
    work, path = save(model)
    library = h.compile_model(path, os.path.join(work, "lib"), name="m")
    x = np.arange(6, dtype=np.float32)
    np.testing.assert_array_equal(h.run_library(library, {"x": x}, work)["y"], x[1:])


def test_int64_arithmetic_folds_exactly():
    """Folded int64 Add/Mul/Max wrap and stay exact as onnxruntime's do."""
    big = 2**62 + 1
    nodes = [helper.make_node("Add", ["a", "b"], ["s"]),
             helper.make_node("Mul", ["s", "two"], ["p"]),
             helper.make_node("Max", ["p", "a"], ["m"]),
             helper.make_node("Add", ["m", "x"], ["y"])]
    inits = [helper.make_tensor("a", TensorProto.INT64, [2], [big, -big]),
             helper.make_tensor("b", TensorProto.INT64, [2], [3, 5]),
             helper.make_tensor("two", TensorProto.INT64, [1], [2])]
    x = np.array([1, 2], dtype=np.int64)
    h.check_against_onnxruntime(nodes, [tensor("x", [2], TensorProto.INT64)],
                                [tensor("y", [2], TensorProto.INT64)], {"x": x}, inits,
                                opset=13)


# Tables as long as an output axis: a OneHot depth or a Resize size of 2^31
# hung the compile or was killed for memory.
def test_one_hot_depth_past_the_table_limit():
    node = helper.make_node("OneHot", ["i", "d", "v"], ["y"], axis=-1)
    inits = [helper.make_tensor("d", TensorProto.INT64, [1], [2**31]),
             helper.make_tensor("v", TensorProto.FLOAT, [2], [0.0, 1.0])]
    compile_refused(one_node_model([node], [tensor("i", [3], TensorProto.INT64)], [Y], inits),
                    "node 'OneHot#0'", "2^24")


@pytest.mark.parametrize("sizes", [[1, 1, 2**31, 4], [1, 1, 4, 2**62]])
def test_resize_past_the_table_limit(sizes):
    node = helper.make_node("Resize", ["x", "", "", "s"], ["y"], mode="nearest")
    s = helper.make_tensor("s", TensorProto.INT64, [4], sizes)
    compile_refused(one_node_model([node], [X4], [Y], [s]), "node 'Resize#0'", "2^24")


@pytest.mark.parametrize("scale,fragment", [(float("nan"), "positive and finite"),
                                            (1e30, "2^24")])
def test_resize_scale_without_an_int64_size(scale, fragment):
    node = helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest")
    s = helper.make_tensor("s", TensorProto.FLOAT, [4], [1.0, 1.0, scale, 1.0])
    compile_refused(one_node_model([node], [X4], [Y], [s]), "node 'Resize#0'", fragment)


@pytest.mark.parametrize("k", [3, -2**62])
def test_eye_like_larger_than_a_table(k):
    """A 4100x4100 identity (over 2^24 elements) compared against onnxruntime;
    k far past the matrix must not overflow."""
    node = helper.make_node("EyeLike", ["x"], ["y"], k=k)
    x = np.zeros((4100, 4100), dtype=np.float32)
    h.check_against_onnxruntime([node], [tensor("x", [4100, 4100])],
                                [tensor("y", [4100, 4100])], {"x": x}, opset=17)


@pytest.mark.parametrize("op", ["IsInf", "IsNaN"])
def test_float_test_on_integers(op):
    """Found by the fuzzer: IsInf on int32 converted infinity to int32 (undefined
    behaviour); ONNX types these ops for floats only."""
    node = helper.make_node(op, ["x"], ["y"])
    compile_refused(one_node_model([node], [tensor("x", [3], TensorProto.INT32)],
                                   [tensor("y", [3], TensorProto.BOOL)], opset=20),
                    "node '%s#0'" % op, "float tensor")


def test_input_without_a_shape_is_not_a_scalar():
    node = helper.make_node("Relu", ["x"], ["y"])
    compile_refused(one_node_model([node], [tensor("x", None)], [Y]),
                    "graph input 'x' has no shape", "--input-shape x=")


def test_input_without_a_shape_takes_the_flag():
    node = helper.make_node("Relu", ["x"], ["y"])
    work, path = save(one_node_model([node], [tensor("x", None)], [Y]))
    library = h.compile_model(path, os.path.join(work, "lib"), name="m",
                              extra=("--input-shape", "x=2,3"))
    x = np.array([[-1, 2, -3], [4, -5, 6]], dtype=np.float32)
    np.testing.assert_array_equal(h.run_library(library, {"x": x}, work)["y"],
                                  np.maximum(x, 0))


def test_attention_mask_without_a_key_axis():
    """Found by the fuzzer: a rank-0 attn_mask was padded along a last axis it
    lacks (an assertion, or a read out of bounds)."""
    node = helper.make_node("Attention", ["q", "k", "v", "m"], ["y"])
    inputs = [tensor("q", [1, 2, 3, 4]), tensor("k", [1, 2, 5, 4]), tensor("v", [1, 2, 5, 4]),
              tensor("m", [])]
    compile_refused(one_node_model([node], inputs, [Y], opset=23),
                    "node 'Attention#0'", "attn_mask has rank 0")


@pytest.mark.parametrize("op,gates", [("GRU", 3), ("LSTM", 4), ("RNN", 1)])
def test_recurrent_weights_for_another_input_size(op, gates):
    """Found by the fuzzer: W's input size was not checked against X's; the
    failed product was then used (a null value)."""
    node = helper.make_node(op, ["X", "W", "R"], ["Y"], hidden_size=5)
    inputs = [tensor("X", [3, 1, 2]), tensor("W", [1, gates * 5, 0]),
              tensor("R", [1, gates * 5, 5])]
    compile_refused(one_node_model([node], inputs, [Y], opset=22),
                    "node '%s#0'" % op, "input_size")


@pytest.mark.parametrize("name", ["dlc", "dlc_model", "dlc_tensor", "_mlir_x"])
def test_model_names_that_clash_with_the_runtime(name):
    """A model named dlc_model defined dlc_model_run (and a type clashed in
    its header); dlc's set_num_threads was the runtime's own."""
    work, path = save(one_node_model([helper.make_node("Relu", ["x"], ["y"])],
                                     [tensor("x", [2])], [tensor("y", [2])]))
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, "--name", name, check=False)
    refused(result, "--name '%s' is reserved" % name)
    assert not os.path.exists(out)


def test_default_name_from_a_reserved_file_name():
    work = h.new_work_dir()
    path = os.path.join(work, "dlc_model.onnx")
    onnx.save(one_node_model([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", [2])],
                             [tensor("y", [2])]), path)
    out = os.path.join(work, "out")
    h.run_dlc("compile", path, "-o", out)
    assert sorted(os.listdir(out)) == ["libmodel_dlc_model.so", "model_dlc_model.h"]
    x = np.array([-1, 2], dtype=np.float32)
    got = h.run_library(os.path.join(out, "libmodel_dlc_model.so"), {"x": x}, work)["y"]
    np.testing.assert_array_equal(got, np.maximum(x, 0))


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
def test_variadic_op_whose_first_pair_does_not_broadcast(op):
    """Found by the fuzzer: after a failed first pair, the next operand was
    compared with a null value (a segfault)."""
    node = helper.make_node(op, ["a", "b", "c"], ["y"])
    inputs = [tensor("a", [35]), tensor("b", [3]), tensor("c", [3])]
    compile_refused(one_node_model([node], inputs, [Y], opset=13),
                    "node '%s#0'" % op, "do not broadcast")


def test_attention_cache_of_the_wrong_rank():
    """Found by the fuzzer: a rank-1 past_key was asked for its dim 2."""
    node = helper.make_node("Attention", ["q", "k", "v", "", "pk", "pv"], ["y"])
    inputs = [tensor("q", [1, 2, 3, 4]), tensor("k", [1, 2, 5, 4]), tensor("v", [1, 2, 5, 4]),
              tensor("pk", [2]), tensor("pv", [1, 2, 3, 4])]
    compile_refused(one_node_model([node], inputs, [Y], opset=23),
                    "node 'Attention#0'", "past_key and past_value must have rank 4")


def test_stft_window_of_rank_zero():
    node = helper.make_node("STFT", ["x", "step", "w"], ["y"])
    inits = [helper.make_tensor("step", TensorProto.INT64, [], [2]),
             helper.make_tensor("w", TensorProto.FLOAT, [], [1.0])]
    compile_refused(one_node_model([node], [tensor("x", [1, 16, 1])], [Y], inits, opset=17),
                    "node 'STFT#0'", "the window must be a [frame_length] tensor")


@pytest.mark.parametrize("dims", [[2, 2**63 - 1], [-1, 2**62, 4], [0, 2**40, 2**40]])
def test_reshape_to_a_shape_whose_product_overflows(dims):
    """Found by the fuzzer: the known dims of Reshape's shape were multiplied
    unchecked (32 * INT64_MAX)."""
    node = helper.make_node("Reshape", ["x", "s"], ["y"])
    s = helper.make_tensor("s", TensorProto.INT64, [len(dims)], dims)
    compile_refused(one_node_model([node], [tensor("x", [4, 8])], [Y], [s], opset=14),
                    "node 'Reshape#0'", "more than 2^48 elements")


def test_max_unpool_strides_past_the_bound():
    node = helper.make_node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2],
                            strides=[2**62, 2])
    inputs = [tensor("x", [1, 1, 2, 2]), tensor("i", [1, 1, 2, 2], TensorProto.INT64)]
    compile_refused(one_node_model([node], inputs, [Y], opset=11),
                    "node 'MaxUnpool#0'", "from 1 to 2^30")


def test_affine_grid_too_large_to_build():
    node = helper.make_node("AffineGrid", ["theta", "size"], ["grid"])
    size = helper.make_tensor("size", TensorProto.INT64, [4], [1, 1, 2**31, 2**31])
    compile_refused(one_node_model([node], [tensor("theta", [1, 2, 3])], [Y], [size], opset=20),
                    "node 'AffineGrid#0'", "2^24 points")


def compile_with_cache(work, cache, out):
    """Compiles a Relu model with DLC_CACHE_DIR=cache; the subprocess result."""
    node = helper.make_node("Relu", ["x"], ["y"])
    path = os.path.join(work, "m.onnx")
    onnx.save(one_node_model([node], [tensor("x", [2, 3])], [tensor("y", [2, 3])]), path)
    env = dict(os.environ, DLC_CACHE_DIR=cache)
    return subprocess.run([h.dlc_binary(), "compile", path, "-o", out, "--name", "m"],
                          capture_output=True, text=True, env=env)


def relu_runs(library, work):
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.0, -7.0]], np.float32)
    os.makedirs(work)
    out = h.run_library(library, {"x": x}, work)
    np.testing.assert_array_equal(out["y"], np.maximum(x, 0))


def test_runtime_objects_are_cached_and_reused(tmp_path):
    cache = str(tmp_path / "cache")
    first = compile_with_cache(str(tmp_path), cache, str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    objects = sorted(os.listdir(os.path.join(cache, "runtime-objects")))
    assert objects and all(re.fullmatch(r"[0-9a-f]{64}\.o", o) for o in objects), objects
    stamps = {o: os.stat(os.path.join(cache, "runtime-objects", o)).st_mtime_ns
              for o in objects}
    second = compile_with_cache(str(tmp_path), cache, str(tmp_path / "b"))
    assert second.returncode == 0, second.stderr
    assert {o: os.stat(os.path.join(cache, "runtime-objects", o)).st_mtime_ns
            for o in os.listdir(os.path.join(cache, "runtime-objects"))} == stamps
    relu_runs(str(tmp_path / "b" / "libm.so"), str(tmp_path / "run"))


def test_damaged_runtime_object_is_compiled_again(tmp_path):
    cache = str(tmp_path / "cache")
    assert compile_with_cache(str(tmp_path), cache, str(tmp_path / "a")).returncode == 0
    folder = os.path.join(cache, "runtime-objects")
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "w") as f:
            f.write("not an object\n")
    result = compile_with_cache(str(tmp_path), cache, str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    relu_runs(str(tmp_path / "b" / "libm.so"), str(tmp_path / "run"))
    # The damaged objects are gone; the next compile caches good ones.
    assert not os.listdir(folder)
    assert compile_with_cache(str(tmp_path), cache, str(tmp_path / "c")).returncode == 0
    relu_runs(str(tmp_path / "c" / "libm.so"), str(tmp_path / "run2"))
    assert os.listdir(folder)


@pytest.mark.parametrize("kind", ["a file", "off", "unwritable"])
def test_unusable_runtime_cache_compiles_uncached(tmp_path, kind):
    cache = str(tmp_path / "cache")
    if kind == "a file":
        open(cache, "w").close()
    elif kind == "off":
        cache = "off"
    else:
        os.makedirs(os.path.join(cache, "runtime-objects"))
        os.chmod(os.path.join(cache, "runtime-objects"), 0o500)
    result = compile_with_cache(str(tmp_path), cache, str(tmp_path / "a"))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "a")) == ["libm.so", "m.h"]
    relu_runs(str(tmp_path / "a" / "libm.so"), str(tmp_path / "run"))
    if kind == "unwritable" and os.geteuid() != 0:
        assert not os.listdir(os.path.join(cache, "runtime-objects"))
