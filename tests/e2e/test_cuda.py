"""--target=cuda: PTX that ptxas accepts, a runtime that reports a missing
driver, and (through --target=cuda-emulate, which runs the same kernels as
loops on the CPU) outputs that match onnxruntime."""
import ctypes
import os
import re
import shutil
import sys
import subprocess

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

import dlc_harness as h
import model_zoo


def transformer_block(seed=7):
    """One encoder layer (attention, LayerNorm, GELU feed-forward)."""
    return model_zoo.bert_encoder(opset=17, seed=seed, layers=1, hidden=64, heads=4, seq=16,
                                  inter=128)


MODELS = {
    "cnn": lambda: model_zoo.small_cnn(opset=13, seed=1),
    # Convolutions that take the tiled kernel (implicit GEMM) with M, N and
    # K not multiples of its tiles.
    "convnet": lambda: model_zoo.small_cnn(opset=13, seed=3, channels=48, size=20),
    # Depthwise and strided convolutions, at a small resolution.
    "mobilenet": lambda: model_zoo.mobilenet_v2(opset=13, seed=4, size=32, classes=100),
    "mlp": lambda: model_zoo.mlp(opset=13, seed=2),
    "transformer": transformer_block,
}


def save(model, name):
    work = h.new_work_dir()
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    return work, path


def inputs_for(path, seed=0):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    rng = np.random.RandomState(seed)
    feeds = {}
    for spec in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in spec.shape]
        if spec.type == "tensor(int64)":
            feeds[spec.name] = rng.randint(0, 8, size=shape).astype(np.int64)
        else:
            feeds[spec.name] = rng.randn(*shape).astype(np.float32)
    names = [o.name for o in session.get_outputs()]
    return feeds, dict(zip(names, session.run(None, feeds)))


def ptxas():
    found = os.environ.get("PTXAS") or shutil.which("ptxas")
    if not found and os.path.exists("/usr/local/cuda/bin/ptxas"):
        found = "/usr/local/cuda/bin/ptxas"
    if not found:
        pytest.fail("ptxas (the CUDA toolkit's PTX assembler) is needed to check the PTX; "
                    "install the CUDA toolkit or set PTXAS")
    return found


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_ptx_assembles(name, chip):
    work, path = save(MODELS[name](), name)
    out = os.path.join(work, "out")
    h.run_dlc("compile", path, "-o", out, "--name", name, "--target=cuda:" + chip,
              "--emit=ptx,lib")
    ptx = os.path.join(out, name + ".ptx")
    text = open(ptx).read()
    assert ".target " + chip in text
    assert ".entry" in text
    result = subprocess.run([ptxas(), "-arch=" + chip, ptx, "-o", os.path.join(work, "k.cubin")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.path.exists(os.path.join(out, "lib%s.so" % name))


def matmul_model(a_shape, b_shape, epilogue):
    """MatMul (+ bias and Relu): a contraction with an epilogue."""
    n = b_shape[-1]
    out_shape = list(a_shape[:-1]) + [n]
    nodes = [helper.make_node("MatMul", ["a", "b"], ["c" if epilogue else "y"])]
    inits = []
    if epilogue:
        nodes += [helper.make_node("Add", ["c", "bias"], ["d"]),
                  helper.make_node("Relu", ["d"], ["y"])]
        inits = [onnx.numpy_helper.from_array(
            np.random.RandomState(5).randn(n).astype(np.float32), "bias")]
    graph = helper.make_graph(
        nodes, "matmul",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, list(a_shape)),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, list(b_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


# Contractions with enough 128 x 128 tiles to give each of sm_90's 132
# multiprocessors two (264): they take the large tile, whose threads read
# the next K step's tiles into registers before computing on the staged
# ones. M, N and K not multiples of the tiles: 17 x 18 tiles of
# 2050 x 2180 (K = 24), and a batch of 66 of 2 x 2 tiles (K = 20).
LARGE_TILE_CASES = {
    "plain": ((2050, 24), (24, 2180), True),
    "batched": ((66, 130, 20), (66, 20, 200), False),
}


@pytest.mark.parametrize("case", sorted(LARGE_TILE_CASES))
def test_large_tile_contractions_match_onnxruntime(case):
    a_shape, b_shape, epilogue = LARGE_TILE_CASES[case]
    work, path = save(matmul_model(a_shape, b_shape, epilogue), "mm")
    result = h.run_dlc("compile", path, "-o", os.path.join(work, "ir"), "--name", "mm",
                       "--target=cuda-emulate", "--print-ir-after=dlc-gpu-map-kernels")
    assert "memref<16x129xf32, #gpu.address_space<workgroup>>" in result.stderr
    feeds, expected = inputs_for(path)
    library = h.compile_model(path, os.path.join(work, "lib"), name="mm",
                              extra=("--target=cuda-emulate",))
    actual = h.run_library(library, feeds, work)
    assert actual["y"].shape == expected["y"].shape
    assert h.relative_l2(expected["y"], actual["y"]) < 1e-5


def test_large_tile_assembles_without_spills():
    """The 128 x 128 tile keeps 64 sums a thread and the next tiles in
    registers: ptxas must fit them without spilling, for both chips."""
    work, path = save(matmul_model((4096, 4096), (4096, 4096), False), "mm")
    for chip in ("sm_80", "sm_90"):
        out = os.path.join(work, chip)
        h.run_dlc("compile", path, "-o", out, "--name", "mm", "--target=cuda:" + chip,
                  "--emit=ptx")
        result = subprocess.run([ptxas(), "-arch=" + chip, "-v", os.path.join(out, "mm.ptx"),
                                 "-o", os.devnull], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "16448 bytes smem" in result.stderr, result.stderr  # the large tile's
        spills = re.findall(r"(\d+) bytes spill stores, (\d+) bytes spill loads", result.stderr)
        assert spills and all(s == ("0", "0") for s in spills), result.stderr


FATBIN_MAGIC = b"\x50\xed\x55\xba"  # the CUDA fatbin header, little-endian
EM_CUDA = 190


def cuda_machine_code_chips(library):
    """The sm of each CUDA ELF image (cubin) in the file: e_machine EM_CUDA,
    the architecture in e_flags (bits 8..15 from ELF ABI version 8, as
    CUDA 12+ writes; bits 0..7 before)."""
    data = open(library, "rb").read()
    chips, at = [], data.find(b"\x7fELF", 1)
    while at >= 0:
        machine = int.from_bytes(data[at + 18:at + 20], "little")
        if machine == EM_CUDA:
            flags = int.from_bytes(data[at + 48:at + 52], "little")
            chips.append("sm_%d" % ((flags >> 8) & 0xFF if data[at + 8] >= 8 else flags & 0xFF))
        at = data.find(b"\x7fELF", at + 1)
    return chips


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_library_carries_machine_code_for_its_chip(chip):
    # ptxas runs at compile time: the library holds a fatbin with the chip's
    # machine code, loaded as a binary (no JIT-compiled PTX at the first run).
    work, path = save(MODELS["cnn"](), "cnn")
    out = os.path.join(work, "out")
    result = h.run_dlc("compile", path, "-o", out, "--name", "cnn", "--target=cuda:" + chip,
                       "--emit=llvm,lib")
    assert "warning" not in result.stderr
    library = os.path.join(out, "libcnn.so")
    assert FATBIN_MAGIC in open(library, "rb").read()
    assert cuda_machine_code_chips(library) == [chip]
    llvm = open(os.path.join(out, "cnn.ll")).read()
    assert "call ptr @mgpuModuleLoad(" in llvm
    assert "mgpuModuleLoadJIT" not in llvm


def fake_toolkit(work, ptxas_script=None):
    """A CUDA toolkit folder with the real libdevice and, if given, a ptxas
    of our own (no fatbinary unless ptxas is given)."""
    real = os.path.dirname(os.path.dirname(ptxas()))
    root = os.path.join(work, "toolkit")
    os.makedirs(os.path.join(root, "nvvm"))
    os.symlink(os.path.join(real, "nvvm", "libdevice"), os.path.join(root, "nvvm", "libdevice"))
    if ptxas_script is not None:
        os.makedirs(os.path.join(root, "bin"))
        for tool, text in (("ptxas", ptxas_script),
                           ("fatbinary", "#!/bin/sh\nexec %s \"$@\"\n" % os.path.join(
                               real, "bin", "fatbinary"))):
            with open(os.path.join(root, "bin", tool), "w") as f:
                f.write(text)
            os.chmod(os.path.join(root, "bin", tool), 0o755)
    return root


def compile_with_toolkit(toolkit, work, emit="llvm,lib"):
    path = os.path.join(work, "cnn.onnx")
    onnx.save(MODELS["cnn"](), path)
    out = os.path.join(work, "out")
    env = dict(os.environ, CUDA_ROOT=toolkit)
    result = subprocess.run([h.dlc_binary(), "compile", path, "-o", out, "--name", "cnn",
                             "--target=cuda", "--emit=" + emit], capture_output=True,
                            text=True, env=env)
    return result, out


def test_without_ptxas_the_library_carries_ptx_and_says_so():
    work = h.new_work_dir()
    result, out = compile_with_toolkit(fake_toolkit(work), work)
    assert result.returncode == 0, result.stderr
    assert "warning: no ptxas and fatbinary found" in result.stderr
    assert "the driver compiles when it first loads the model" in result.stderr
    library = os.path.join(out, "libcnn.so")
    assert FATBIN_MAGIC not in open(library, "rb").read()
    assert b".entry" in open(library, "rb").read()  # the PTX, as text
    assert "@mgpuModuleLoadJIT(" in open(os.path.join(out, "cnn.ll")).read()


def test_ptxas_failure_is_a_compile_error_with_no_output():
    work = h.new_work_dir()
    failing = "#!/bin/sh\necho \"ptxas fatal   : register allocation failed\" >&2\nexit 3\n"
    result, out = compile_with_toolkit(fake_toolkit(work, failing), work)
    assert result.returncode != 0
    assert "assembling the kernels for sm_90: ptxas failed with exit code 3" in result.stderr
    assert "register allocation failed" in result.stderr
    assert not os.path.exists(out) or os.listdir(out) == []


@pytest.mark.parametrize("name", sorted(MODELS))
def test_emulated_kernels_match_onnxruntime(name):
    work, path = save(MODELS[name](), name)
    feeds, expected = inputs_for(path)
    library = h.compile_model(path, os.path.join(work, "lib"), name=name,
                              extra=("--target=cuda-emulate",))
    actual = h.run_library(library, feeds, work)
    assert sorted(actual) == sorted(expected)
    for output, value in expected.items():
        assert actual[output].shape == value.shape
        assert h.relative_l2(value, actual[output]) < 1e-4, output


def test_sorting_top_k_runs_on_the_gpu_mapping():
    """TopK of long rows with a large k (a merge sort), a k of at most a
    quarter of the row (a heap, then a sort) and a small k (selection
    rounds): the PTX assembles for sm_90 and the emulated kernels give
    onnxruntime's values and indices exactly (ties in index order)."""
    rng = np.random.RandomState(9)
    x = np.where(rng.rand(3, 1031) < 0.5, rng.randint(-3, 3, size=(3, 1031)),
                 rng.randn(3, 1031)).astype(np.float32)
    nodes, outputs = [], []
    for k in (1031, 200, 5):
        nodes.append(helper.make_node("TopK", ["x", "k%d" % k], ["v%d" % k, "i%d" % k],
                                      largest=int(k != 200)))
        outputs += [helper.make_tensor_value_info("v%d" % k, TensorProto.FLOAT, [3, k]),
                    helper.make_tensor_value_info("i%d" % k, TensorProto.INT64, [3, k])]
    graph = helper.make_graph(
        nodes, "top_k", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 1031])],
        outputs, [helper.make_tensor("k%d" % k, TensorProto.INT64, [1], [k])
                  for k in (1031, 200, 5)])
    work, path = save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                      "top_k")
    out = os.path.join(work, "ptx")
    h.run_dlc("compile", path, "-o", out, "--name", "top_k", "--target=cuda:sm_90",
              "--emit=ptx,lib")
    result = subprocess.run([ptxas(), "-arch=sm_90", os.path.join(out, "top_k.ptx"), "-o",
                             os.path.join(work, "k.cubin")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    library = h.compile_model(path, os.path.join(work, "lib"), name="top_k",
                              extra=("--target=cuda-emulate",))
    actual = h.run_library(library, {"x": x}, work)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    for spec, want in zip(session.get_outputs(), session.run(None, {"x": x})):
        np.testing.assert_array_equal(actual[spec.name], want, err_msg=spec.name)


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]


class Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


DLC_ERROR_UNAVAILABLE = 5


def compile_cuda_mlp():
    work, path = save(MODELS["mlp"](), "mlp")
    out = os.path.join(work, "out")
    h.run_dlc("compile", path, "-o", out, "--name", "mlp", "--target=cuda")
    return work, path, os.path.join(out, "libmlp.so")


def run_through_abi(library, entry, env_driver):
    """Calls mlp_<entry> in a fresh process (the driver is looked up once per
    process) and returns (status code, message)."""
    script = """
import ctypes, sys
import numpy as np
sys.path.insert(0, %r)
from test_cuda import Tensor, Status
lib = ctypes.CDLL(%r)
x = np.zeros((4, 32), np.float32)
y = np.zeros((4, 10), np.float32)
xs = (ctypes.c_int64 * 2)(4, 32)
ys = (ctypes.c_int64 * 2)(4, 10)
inputs = (Tensor * 1)(Tensor(x.ctypes.data, xs, 2, 1))
outputs = (Tensor * 1)(Tensor(y.ctypes.data, ys, 2, 1))
status = Status()
code = getattr(lib, "mlp_" + %r)(inputs, 1, outputs, 1, ctypes.byref(status))
print(code)
print(status.message.decode())
""" % (os.path.dirname(os.path.abspath(__file__)), library, entry)
    env = dict(os.environ)
    if env_driver is None:
        env.pop("DLC_CUDA_DRIVER", None)
    else:
        env["DLC_CUDA_DRIVER"] = env_driver
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    code, message = result.stdout.split("\n", 1)
    return int(code), message.strip()


@pytest.mark.parametrize("entry", ["run", "run_device"])
def test_missing_driver_is_a_clear_error(entry):
    """A CUDA library loads and runs on a machine without the driver, and says
    why it cannot run (DLC_CUDA_DRIVER names a library that does not exist)."""
    _, _, library = compile_cuda_mlp()
    code, message = run_through_abi(library, entry, "/nonexistent/libcuda.so.1")
    assert code == DLC_ERROR_UNAVAILABLE
    assert "model 'mlp' was compiled for an NVIDIA GPU (sm_90)" in message
    assert "CUDA driver cannot be loaded (/nonexistent/libcuda.so.1)" in message


def test_driver_without_the_driver_api_is_a_clear_error():
    """A library that is not the CUDA driver (no cuInit): an error, not a crash."""
    _, _, library = compile_cuda_mlp()
    code, message = run_through_abi(library, "run", "libm.so.6")
    assert code == DLC_ERROR_UNAVAILABLE
    assert "the CUDA driver libm.so.6 has no cuInit" in message


def test_shape_errors_come_before_the_driver():
    """The tensors are checked first, as on the CPU."""
    _, _, library = compile_cuda_mlp()
    lib = ctypes.CDLL(library)
    x = np.zeros((4, 31), np.float32)
    y = np.zeros((4, 10), np.float32)
    inputs = (Tensor * 1)(Tensor(x.ctypes.data, (ctypes.c_int64 * 2)(4, 31), 2, 1))
    outputs = (Tensor * 1)(Tensor(y.ctypes.data, (ctypes.c_int64 * 2)(4, 10), 2, 1))
    status = Status()
    assert lib.mlp_run(inputs, 1, outputs, 1, ctypes.byref(status)) == 2
    assert b"input 0 ('input') has shape [4,31], expected [4,32]" in status.message


@pytest.mark.skipif(os.path.exists("/dev/nvidiactl"), reason="this machine has an NVIDIA driver")
def test_dlc_run_without_a_gpu_fails_cleanly():
    work, _, library = compile_cuda_mlp()
    x = os.path.join(work, "x.npy")
    np.save(x, np.zeros((4, 32), np.float32))
    out = os.path.join(work, "outputs")
    result = h.run_dlc("run", library, "--input", "input=" + x, "--output-dir", out, check=False)
    assert result.returncode == 1
    assert "was compiled for an NVIDIA GPU (sm_90)" in result.stderr
    assert not os.path.exists(out) or not os.listdir(out)
    bench = h.run_dlc("bench", library, "--iters", "2", check=False)
    assert bench.returncode == 1
    assert "was compiled for an NVIDIA GPU (sm_90)" in bench.stderr
