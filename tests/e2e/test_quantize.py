"""Post-training int8 quantization: dlc quantize and dlc compile --quantize.

A CNN trained on scikit-learn's digits (tools/quantize/train_digits.py) is
quantized with dlc's calibration; the QDQ model it writes is checked by
onnx.checker and run by onnxruntime (the reference), its accuracy on the
held-out digits compared with the fp32 model's, and dlc's library of it
compared with onnxruntime element by element. A QDQ model made by
onnxruntime's own quantize_static goes through dlc the same way.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from dlc_harness import new_work_dir, output_file_stem, run_dlc

BATCH = 540  # the held-out images, all in one run


def train_script():
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        return os.path.join(srcdir, "dlc", "tools", "quantize", "train_digits.py")
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "tools", "quantize", "train_digits.py")


@pytest.fixture(scope="module")
def digits():
    work = new_work_dir()
    result = subprocess.run([sys.executable, train_script(), work],
                            capture_output=True, text=True, check=True)
    print(result.stdout)
    return work


def reference_options():
    """onnxruntime's options for a reference run. On x86 without VNNI its
    u8 x s8 kernels sum pairs of products with vpmaddubsw, which saturates
    at 32767 (255 * -128 * 1100 came out as -18022400, not -35904000, on
    an AVX2 EPYC); "session.x64quantprecision" makes them exact."""
    options = ort.SessionOptions()
    options.add_session_config_entry("session.x64quantprecision", "1")
    return options


def ort_run(model, images):
    session = ort.InferenceSession(model, reference_options(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {"image": images})[0]


def dlc_run(library, images, work):
    np.save(os.path.join(work, "images.npy"), images)
    out = os.path.join(work, "outputs")
    run_dlc("run", library, "--input", "image=" + os.path.join(work, "images.npy"),
            "--output-dir", out)
    return np.load(os.path.join(out, "logits.npy"))


def accuracy(logits, labels):
    return float((logits.argmax(1) == labels).mean())


def ort_and_dlc(model, feeds, compile_args=()):
    """Saves `model`, runs it on {input name: array} with onnxruntime and
    with dlc's library of it (compiled with `compile_args`); returns
    (onnxruntime's, dlc's) first output."""
    work = new_work_dir()
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    reference = ort.InferenceSession(path, reference_options(),
                                     providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    run_dlc("compile", path, "-o", os.path.join(work, "lib"), *compile_args)
    args = []
    for name, value in feeds.items():
        np.save(os.path.join(work, name + ".npy"), value)
        args += ["--input", "%s=%s" % (name, os.path.join(work, name + ".npy"))]
    run_dlc("run", os.path.join(work, "lib", "libmodel.so"), "--output-dir",
            os.path.join(work, "out"), *args)
    ours = np.load(os.path.join(work, "out",
                                output_file_stem(model.graph.output[0].name) + ".npy"))
    assert ours.dtype == reference.dtype and ours.shape == reference.shape
    return reference, ours


def output_step(model_path):
    """The quantization step of the model's output (its last DequantizeLinear)."""
    model = onnx.load(model_path)
    producer = {o: n for n in model.graph.node for o in n.output}
    node = producer["logits"]
    assert node.op_type == "DequantizeLinear", node.op_type
    scales = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return float(scales[node.input[1]])


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
def test_quantize_writes_a_qdq_model_as_accurate_as_fp32(digits, method):
    work = new_work_dir()
    quantized = os.path.join(work, "digits.int8.onnx")
    result = run_dlc("quantize", os.path.join(digits, "digits.onnx"), "--calibration",
                     os.path.join(digits, "calibration"), "-o", quantized,
                     "--calibration-method", method, "--report")
    assert "quantized 3 of 3 Conv/MatMul/Gemm nodes" in result.stdout, result.stdout
    model = onnx.load(quantized)
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QuantizeLinear") >= 4 and ops.count("Conv") == 2, ops
    weights = {t.name: t for t in model.graph.initializer}
    assert weights["conv2.weight_quantized"].data_type == onnx.TensorProto.INT8
    assert weights["conv2.bias_quantized"].data_type == onnx.TensorProto.INT32
    assert "conv2.weight" not in weights  # the fp32 copy is gone

    images = np.load(os.path.join(digits, "test_images.npy"))
    labels = np.load(os.path.join(digits, "test_labels.npy"))
    fp32 = accuracy(ort_run(os.path.join(digits, "digits.onnx"), images), labels)
    reference = ort_run(quantized, images)
    int8 = accuracy(reference, labels)
    print(f"{method}: fp32 {fp32:.4f}, int8 (onnxruntime) {int8:.4f}")
    assert fp32 > 0.95, fp32  # the model learned digits
    assert int8 >= fp32 - 0.01, (fp32, int8)

    # dlc's library of the QDQ model against onnxruntime's run of it: the
    # logits lie on the output's grid; within one step of it everywhere.
    library = os.path.join(work, "lib", "libdigits_int8.so")
    run_dlc("compile", quantized, "-o", os.path.dirname(library), "--input-shape",
            f"image={BATCH},1,8,8")
    ours = dlc_run(library, images, work)
    step = output_step(quantized)
    difference = np.abs(ours - reference)
    print(f"{method}: max |dlc - onnxruntime| = {difference.max():.6g} "
          f"({difference.max() / step:.3f} steps), {int((difference > 0).sum())} "
          f"of {difference.size} elements differ")
    assert difference.max() <= step * 1.001, (difference.max(), step)
    assert accuracy(ours, labels) >= fp32 - 0.01


def test_compile_quantize_int8_matches_the_written_model(digits):
    work = new_work_dir()
    model = os.path.join(digits, "digits.onnx")
    calibration = os.path.join(digits, "calibration")
    quantized = os.path.join(work, "digits.int8.onnx")
    run_dlc("quantize", model, "--calibration", calibration, "-o", quantized)
    result = run_dlc("compile", model, "-o", os.path.join(work, "lib"), "--quantize=int8",
                     "--calibration", calibration, "--input-shape", f"image={BATCH},1,8,8",
                     "--report")
    assert "int8   Conv    conv1" in result.stdout, result.stdout
    images = np.load(os.path.join(digits, "test_images.npy"))
    ours = dlc_run(os.path.join(work, "lib", "libdigits.so"), images, work)
    reference = ort_run(quantized, images)
    assert np.abs(ours - reference).max() <= output_step(quantized) * 1.001


def test_batchnorm_after_conv_folds_into_it(digits):
    """conv1 split into Conv -> BatchNormalization computing the same function
    (as exporters write unfused models): the QDQ model has the
    BatchNormalization folded into the Conv, and keeps the accuracy."""
    model = onnx.load(os.path.join(digits, "digits.onnx"))
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 2.0, 16).astype(np.float32)
    beta = rng.uniform(-0.2, 0.2, 16).astype(np.float32)
    mean = rng.uniform(-0.2, 0.2, 16).astype(np.float32)
    var = rng.uniform(0.5, 2.0, 16).astype(np.float32)
    g = scale / np.sqrt(var + 1e-5)
    # conv'(x) = (conv(x) - beta) / g + mean, so that BN(conv'(x)) = conv(x).
    w = weights["conv1.weight"] / g[:, None, None, None]
    b = (weights["conv1.bias"] - beta) / g + mean
    replaced = {"conv1.weight": w, "conv1.bias": b}
    for t in model.graph.initializer:
        if t.name in replaced:
            t.CopyFrom(numpy_helper.from_array(replaced[t.name].astype(np.float32), t.name))
    for name, value in [("bn.scale", scale), ("bn.beta", beta), ("bn.mean", mean),
                        ("bn.var", var)]:
        model.graph.initializer.append(numpy_helper.from_array(value, name))
    conv1 = next(n for n in model.graph.node if n.name == "conv1")
    conv1.output[0] = "conv1_pre_bn"
    bn = onnx.helper.make_node("BatchNormalization",
                               ["conv1_pre_bn", "bn.scale", "bn.beta", "bn.mean", "bn.var"],
                               ["conv1"], name="bn1")
    nodes = list(model.graph.node)
    nodes.insert(nodes.index(conv1) + 1, bn)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    work = new_work_dir()
    fp32_path = os.path.join(work, "digits_bn.onnx")
    onnx.save(model, fp32_path)
    quantized = os.path.join(work, "digits_bn.int8.onnx")
    run_dlc("quantize", fp32_path, "--calibration", os.path.join(digits, "calibration"), "-o",
            quantized)
    ops = [n.op_type for n in onnx.load(quantized).graph.node]
    assert "BatchNormalization" not in ops, ops
    images = np.load(os.path.join(digits, "test_images.npy"))
    labels = np.load(os.path.join(digits, "test_labels.npy"))
    fp32 = accuracy(ort_run(fp32_path, images), labels)
    reference = ort_run(quantized, images)
    assert accuracy(reference, labels) >= fp32 - 0.01
    library = os.path.join(work, "lib", "libq.so")
    run_dlc("compile", quantized, "-o", os.path.dirname(library), "--name", "q",
            "--input-shape", f"image={BATCH},1,8,8")
    ours = dlc_run(library, images, work)
    assert np.abs(ours - reference).max() <= output_step(quantized) * 1.001


@pytest.mark.parametrize("name", ["bert_encoder", "mlp", "small_cnn"])
def test_zoo_models_quantize_and_match_onnxruntime(name):
    """The random-weight test models (a 2-layer BERT encoder, whose attention
    quantizes MatMuls of two activations; an MLP of Gemms; a CNN) through
    dlc quantize: dlc's library of the QDQ model against onnxruntime's run
    of it, and the int8 error against fp32."""
    import model_zoo
    model = getattr(model_zoo, name)()
    work = new_work_dir()
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(0)

    def sample():
        return {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
                .astype(np.float32) for i in model.graph.input}

    for k in range(16):
        folder = os.path.join(work, "calibration", "%02d" % k)
        os.makedirs(folder)
        for input_name, value in sample().items():
            np.save(os.path.join(folder, input_name + ".npy"), value)
    quantized = os.path.join(work, name + ".int8.onnx")
    result = run_dlc("quantize", path, "--calibration", os.path.join(work, "calibration"),
                     "-o", quantized, "--report")
    assert "fp32 " not in result.stdout, result.stdout  # every candidate quantized
    feeds = sample()
    reference, ours = ort_and_dlc(onnx.load(quantized), feeds)
    fp32 = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    relative = np.linalg.norm(ours - reference) / np.linalg.norm(reference)
    error = np.linalg.norm(reference - fp32) / np.linalg.norm(fp32)
    print(f"{name}: dlc vs onnxruntime {relative:.2e}, int8 vs fp32 {error:.2e}")
    assert relative < 1e-5, relative
    assert error < 0.05, error
    # Every MatMul/Gemm by a quantized weight runs on 8-bit integers
    # (dlc-quantized-matmul); attention's products of two activations stay f32.
    model_q = onnx.load(quantized)
    weights = {t.name for t in model_q.graph.initializer}
    producer = {o: n for n in model_q.graph.node for o in n.output}
    by_weight = sum(1 for n in model_q.graph.node if n.op_type in ("MatMul", "Gemm")
                    and producer.get(n.input[1]) is not None
                    and producer[n.input[1]].input[0] in weights)
    assert integer_matmuls(quantized) == by_weight and by_weight > 0


def integer_matmuls(path, *args):
    """How many dlc.matmul_integer ops dlc's graph of the model at `path` has."""
    out = os.path.join(new_work_dir(), "graph")
    run_dlc("compile", path, "-o", out, "--emit=graph", "--name", "m", *args)
    with open(os.path.join(out, "m.graph.mlir")) as graph:
        return graph.read().count("dlc.matmul_integer ")


@pytest.mark.parametrize("mcpu", ["haswell", "alderlake", "icelake-server"])
def test_qdq_mlp_on_each_int8_dot_matches_onnxruntime(mcpu):
    """dlc's QDQ MLP on the 8-bit micro-kernel of each target (vpmaddwd,
    AVX-VNNI's and AVX512-VNNI's vpdpbusd) against onnxruntime on the same
    model: within 1e-5 (the sums are exact; only the f32 scaling rounds)."""
    import model_zoo
    needs = {"haswell": {"avx2"}, "alderlake": {"avx2", "avx_vnni"},
             "icelake-server": {"avx512f", "avx512_vnni", "avx512bw"}}[mcpu]
    if not needs <= host_cpu_flags():
        pytest.skip("this host cannot run %s code" % mcpu)
    model = model_zoo.mlp()
    work = new_work_dir()
    path = os.path.join(work, "mlp.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(1)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    for k in range(8):
        folder = os.path.join(work, "calibration", "%d" % k)
        os.makedirs(folder)
        np.save(os.path.join(folder, model.graph.input[0].name + ".npy"),
                rng.standard_normal(shape).astype(np.float32))
    quantized = os.path.join(work, "mlp.int8.onnx")
    run_dlc("quantize", path, "--calibration", os.path.join(work, "calibration"),
            "-o", quantized)
    feeds = {model.graph.input[0].name: rng.standard_normal(shape).astype(np.float32)}
    reference, ours = ort_and_dlc(onnx.load(quantized), feeds, ["--mcpu=" + mcpu])
    relative = np.linalg.norm(ours - reference) / np.linalg.norm(reference)
    assert relative < 1e-5, relative
    assert integer_matmuls(quantized, "--mcpu=" + mcpu) > 0


@pytest.mark.parametrize("quant_format,per_channel,activations", [
    ("QDQ", True, "QUInt8"), ("QDQ", False, "QUInt8"), ("QDQ", True, "QInt8"),
    ("QOperator", True, "QUInt8")])
def test_onnxruntime_quantize_static_bert_matches(quant_format, per_channel, activations):
    """onnxruntime's quantize_static of a 2-layer BERT encoder (uint8 or
    int8 activations, int8 weights, per channel or per tensor): dlc's library of
    it against onnxruntime's run. Its QDQ MatMuls by weights run on dlc's
    8-bit kernel; rounding at the grids then differs from onnxruntime's
    integer kernels by a step here and there, which later layers carry, as
    between onnxruntime's own optimized and unoptimized runs of the model:
    dlc must stay as close as those two are to each other."""
    import model_zoo
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)
    model = model_zoo.bert_encoder()
    work = new_work_dir()
    path = os.path.join(work, "bert.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(7)

    def sample():
        return {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
                .astype(np.float32) for i in model.graph.input}

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter([sample() for _ in range(8)])

        def get_next(self):
            return next(self.samples, None)

    quantized = os.path.join(work, "bert.int8.onnx")
    quantize_static(path, quantized, Reader(), quant_format=getattr(QuantFormat, quant_format),
                    per_channel=per_channel, activation_type=getattr(QuantType, activations),
                    weight_type=QuantType.QInt8)
    feeds = sample()
    reference, ours = ort_and_dlc(onnx.load(quantized), feeds)
    literal_options = reference_options()
    literal_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    literal = ort.InferenceSession(quantized, literal_options,
                                   providers=["CPUExecutionProvider"]).run(None, feeds)[0]

    def distance(x):
        return np.linalg.norm(x - reference) / np.linalg.norm(reference)

    print(f"dlc {distance(ours):.2e}, onnxruntime unoptimized {distance(literal):.2e}")
    assert distance(ours) <= max(2 * distance(literal), 1e-5)
    if quant_format == "QDQ":
        assert integer_matmuls(quantized) > 0


def test_onnxruntime_quantize_dynamic_bert_matches():
    """onnxruntime's dynamic quantization (DynamicQuantizeLinear +
    MatMulInteger), what it recommends for transformers."""
    import model_zoo
    from onnxruntime.quantization import QuantType, quantize_dynamic
    model = model_zoo.bert_encoder()
    work = new_work_dir()
    path = os.path.join(work, "bert.onnx")
    onnx.save(model, path)
    quantized = os.path.join(work, "bert.dynamic.onnx")
    quantize_dynamic(path, quantized, weight_type=QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(quantized).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops, ops
    x = np.random.default_rng(1).standard_normal(
        [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]).astype(np.float32)
    reference, ours = ort_and_dlc(onnx.load(quantized), {model.graph.input[0].name: x})
    relative = np.linalg.norm(ours - reference) / np.linalg.norm(reference)
    assert relative < 1e-5, relative


def test_excluded_nodes_stay_fp32(digits):
    work = new_work_dir()
    quantized = os.path.join(work, "q.onnx")
    result = run_dlc("quantize", os.path.join(digits, "digits.onnx"), "--calibration",
                     os.path.join(digits, "calibration"), "-o", quantized,
                     "--quantize-exclude=conv1,fc", "--report")
    assert "fp32   Conv    conv1: excluded" in result.stdout, result.stdout
    assert "quantized 1 of 3" in result.stdout
    model = onnx.load(quantized)
    conv1 = next(n for n in model.graph.node if n.name == "conv1")
    assert list(conv1.input) == ["image", "conv1.weight", "conv1.bias"]


@pytest.mark.parametrize("quant_format", ["QDQ", "QOperator"])
def test_onnxruntime_quantize_static_model_compiles_and_matches(digits, quant_format):
    """Models from onnxruntime's quantizer, per channel: QDQ pairs, or
    QLinearConv/QLinearMatMul-style operators."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            folder = os.path.join(digits, "calibration")
            self.samples = iter(
                [{"image": np.load(os.path.join(folder, s, "image.npy"))}
                 for s in sorted(os.listdir(folder))])

        def get_next(self):
            return next(self.samples, None)

    work = new_work_dir()
    quantized = os.path.join(work, "ort.int8.onnx")
    quantize_static(os.path.join(digits, "digits.onnx"), quantized, Reader(),
                    quant_format=getattr(QuantFormat, quant_format), per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    ops = {n.op_type for n in onnx.load(quantized).graph.node}
    assert ("QLinearConv" in ops) == (quant_format == "QOperator"), ops
    images = np.load(os.path.join(digits, "test_images.npy"))
    labels = np.load(os.path.join(digits, "test_labels.npy"))
    reference = ort_run(quantized, images)
    run_dlc("compile", quantized, "-o", os.path.join(work, "lib"), "--name", "ortq",
            "--input-shape", f"image={BATCH},1,8,8")
    ours = dlc_run(os.path.join(work, "lib", "libortq.so"), images, work)
    step = output_step(quantized)
    print(f"{quant_format}: int8 top-1 {accuracy(ours, labels):.4f}, max |dlc - onnxruntime| "
          f"= {np.abs(ours - reference).max() / step:.3f} steps")
    assert np.abs(ours - reference).max() <= step * 1.001


@pytest.mark.parametrize("trans_a,trans_b,alpha,bias,quantized_output,k", [
    (0, 1, 1.0, True, True, 12),     # what onnxruntime's quantizer writes
    (1, 0, 0.5, False, False, 12),   # fp32 output, transposed A, alpha
    (0, 0, 1.0, True, False, 12),
    (0, 1, 1.0, True, False, 600),   # three f32 chunks along K
])
def test_qgemm_matches_onnxruntime(trans_a, trans_b, alpha, bias, quantized_output, k):
    """com.microsoft.QGemm (onnxruntime's contrib op) against onnxruntime."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(trans_a * 4 + trans_b * 2 + int(bias) + k)
    m, n = 5, 7
    a = rng.integers(0, 256, (k, m) if trans_a else (m, k), dtype=np.uint8)
    b = rng.integers(-127, 128, (n, k) if trans_b else (k, n), dtype=np.int8)
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "a_scale"),
             numpy_helper.from_array(np.array(131, np.uint8), "a_zero_point"),
             numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(rng.uniform(0.01, 0.03, n).astype(np.float32), "b_scale"),
             numpy_helper.from_array(np.zeros(n, np.int8), "b_zero_point")]
    inputs = ["a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point"]
    if bias or quantized_output:
        inputs.append("c" if bias else "")
    if bias:
        inits.append(numpy_helper.from_array(rng.integers(-5000, 5000, n).astype(np.int32), "c"))
    out_type = TensorProto.FLOAT
    if quantized_output:
        inputs += ["y_scale", "y_zero_point"]
        inits += [numpy_helper.from_array(np.array(0.4, np.float32), "y_scale"),
                  numpy_helper.from_array(np.array(120, np.uint8), "y_zero_point")]
        out_type = TensorProto.UINT8
    node = helper.make_node("QGemm", inputs, ["y"], domain="com.microsoft", transA=trans_a,
                            transB=trans_b, alpha=alpha)
    graph = helper.make_graph([node], "qgemm",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, a.shape)],
                              [helper.make_tensor_value_info("y", out_type, [m, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    reference, ours = ort_and_dlc(model, {"a": a})
    if quantized_output:
        assert np.abs(ours.astype(np.int32) - reference.astype(np.int32)).max() <= 1
    else:
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("a_shape,b_shape,extreme", [
    ([2, 5, 768], [768, 40], True),    # 3 chunks of 256, batch dims
    ([6, 3072], [3072, 9], True),      # 12 chunks
    ([4, 300], [2, 300, 7], False),    # chunks of 150, B batched
    ([3, 257], [257, 5], True),        # no chunking divides 257: int32
])
def test_matmul_integer_is_exact(a_shape, b_shape, extreme):
    """MatMulInteger's int32 result, which dlc computes in f32 chunks along K
    small enough to be exact, equals onnxruntime's exactly; `extreme` makes
    every product -255 * 255, the largest partial sums."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(len(a_shape) * 1000 + a_shape[-1])
    if extreme:
        a = np.full(a_shape, 255, np.uint8)
        b = np.full(b_shape, -128, np.int8)
        a_zero, b_zero = np.uint8(0), np.int8(127)
    else:
        a = rng.integers(0, 256, a_shape, dtype=np.uint8)
        b = rng.integers(-128, 128, b_shape, dtype=np.int8)
        a_zero, b_zero = np.uint8(131), np.int8(-3)
    node = helper.make_node("MatMulInteger", ["a", "b", "a_zero", "b_zero"], ["y"])
    graph = helper.make_graph(
        [node], "mmi", [helper.make_tensor_value_info("a", TensorProto.UINT8, a_shape)],
        [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
        [numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(np.array(a_zero), "a_zero"),
         numpy_helper.from_array(np.array(b_zero), "b_zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    reference, ours = ort_and_dlc(model, {"a": a})
    np.testing.assert_array_equal(ours, reference)
    np.testing.assert_array_equal(ours, exact_matmul_integer(a, b, a_zero, b_zero))
    if extreme and a_shape[-1] > 258:
        assert reference.min() < -(1 << 24)  # beyond what one f32 sum holds


def exact_matmul_integer(a, b, a_zero=None, b_zero=None):
    """MatMulInteger in int64 numpy: the exact result, independent of
    onnxruntime (whose u8 x s8 kernels saturate pairs of products on x86
    without VNNI where a session option cannot reach them: B at run time)."""
    a = a.astype(np.int64) - (0 if a_zero is None else int(a_zero))
    b = b.astype(np.int64) - (0 if b_zero is None else int(b_zero))
    return np.matmul(a, b).astype(np.int32)


def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# The 8-bit micro-kernel's dot products (dlc-matmul-microkernel's int8-dot),
# each chosen through --mcpu; a kernel runs only where the host has it.
INT8_DOTS = [
    ("host", [], set()),                                   # what the host has
    ("avx2-vpmaddwd", ["--mcpu=haswell"], {"avx2"}),
    ("avx-vnni", ["--mcpu=alderlake"], {"avx2", "avx_vnni"}),
    ("avx512-vnni", ["--mcpu=icelake-server"], {"avx512f", "avx512_vnni", "avx512bw"}),
    ("portable", ["--mcpu=x86-64"], set()),
]


@pytest.mark.parametrize("dot,mcpu,flags", INT8_DOTS, ids=[d[0] for d in INT8_DOTS])
@pytest.mark.parametrize("a_type,b_type,a_shape,n,a_zero,b_const,extreme", [
    # u8 x s8 (vpdpbusd where the target has VNNI), K not a multiple of 4,
    # M and N not multiples of the tile, batch dims, per-tensor a_zero_point.
    (np.uint8, np.int8, [2, 13, 77], 45, 131, True, False),
    # Three K blocks of 512 and every product 255 * -128.
    (np.uint8, np.int8, [5, 1100], 33, 255, True, True),
    # B at run time (packed by the kernel), no zero points.
    (np.uint8, np.int8, [19, 130], 70, None, False, False),
    # s8 A and u8 B widen to i16 (vpmaddwd) on every x86 target.
    (np.int8, np.uint8, [17, 300], 24, -7, True, True),
    (np.int8, np.int8, [3, 64], 96, None, True, False),
])
def test_matmul_integer_microkernel_is_exact(dot, mcpu, flags, a_type, b_type, a_shape,
                                             n, a_zero, b_const, extreme):
    """MatMulInteger with no (or a zero) b_zero_point runs on dlc's 8-bit
    micro-kernel; its int32 result equals numpy's exact one (and
    onnxruntime's, with constant weights) for every dot product the target
    may use and every sign combination."""
    from onnx import TensorProto, helper
    if not flags <= host_cpu_flags():
        pytest.skip("this host cannot run %s code" % dot)
    rng = np.random.default_rng(a_shape[-1] * 100 + n)
    info = np.iinfo
    k = a_shape[-1]
    if extreme:
        a = np.full(a_shape, info(a_type).max, a_type)
        b = np.full([k, n], info(b_type).min if b_type == np.int8 else 255, b_type)
    else:
        a = rng.integers(info(a_type).min, info(a_type).max + 1, a_shape, dtype=a_type)
        b = rng.integers(info(b_type).min, info(b_type).max + 1, [k, n], dtype=b_type)
    onnx_type = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}
    inputs = [helper.make_tensor_value_info("a", onnx_type[a_type], a_shape)]
    inits, names, feeds = [], ["a", "b"], {"a": a}
    if b_const:
        inits.append(numpy_helper.from_array(b, "b"))
    else:
        inputs.append(helper.make_tensor_value_info("b", onnx_type[b_type], [k, n]))
        feeds["b"] = b
    if a_zero is not None:
        inits += [numpy_helper.from_array(np.array(a_zero, a_type), "a_zero"),
                  numpy_helper.from_array(np.array(0, b_type), "b_zero")]
        names += ["a_zero", "b_zero"]
    node = helper.make_node("MatMulInteger", names, ["y"])
    graph = helper.make_graph(
        [node], "mmi", inputs, [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    reference, ours = ort_and_dlc(model, feeds, mcpu)
    np.testing.assert_array_equal(ours, exact_matmul_integer(a, b, a_zero))
    if b_const:  # onnxruntime is exact on constant weights (reference_options)
        np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("channels,kernel,extreme", [
    (64, 3, True),     # 4 chunks of 16 channels x 9 taps
    (48, 3, False),
    (3, 7, True),      # 147 taps: one chunk
    (29, 3, True),     # 261 taps, no divisor of 29 fits: int32
])
def test_conv_integer_is_exact(channels, kernel, extreme):
    """ConvInteger, computed by dlc in f32 chunks of input channels small
    enough to be exact, equals onnxruntime's int32 result exactly."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(channels * 10 + kernel)
    x_shape, w_shape = [1, channels, 9, 9], [8, channels, kernel, kernel]
    if extreme:
        x = np.full(x_shape, 255, np.uint8)
        w = np.zeros(w_shape, np.uint8)
        x_zero, w_zero = np.uint8(0), np.uint8(255)
    else:
        x = rng.integers(0, 256, x_shape, dtype=np.uint8)
        w = rng.integers(0, 256, w_shape, dtype=np.uint8)
        x_zero, w_zero = np.uint8(100), np.uint8(140)
    node = helper.make_node("ConvInteger", ["x", "w", "x_zero", "w_zero"], ["y"],
                            pads=[1, 1, 1, 1])
    graph = helper.make_graph(
        [node], "convi", [helper.make_tensor_value_info("x", TensorProto.UINT8, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(x_zero), "x_zero"),
         numpy_helper.from_array(np.array(w_zero), "w_zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    reference, ours = ort_and_dlc(model, {"x": x})
    np.testing.assert_array_equal(ours, reference)
    if extreme and channels * kernel * kernel > 258:
        assert reference.min() < -(1 << 24)


@pytest.mark.parametrize("op,dtype,attrs", [
    ("QLinearAdd", np.uint8, {}),
    ("QLinearAdd", np.int8, {}),
    ("QLinearMul", np.uint8, {}),
    ("QLinearGlobalAveragePool", np.uint8, {"channels_last": 0}),
    ("QLinearGlobalAveragePool", np.int8, {"channels_last": 1}),
    ("QLinearSoftmax", np.uint8, {"axis": -1, "opset": 13}),
    ("QLinearSoftmax", np.int8, {"axis": 1, "opset": 11}),
])
def test_contrib_qlinear_ops_match_onnxruntime(op, dtype, attrs):
    """onnxruntime's com.microsoft QLinear ops that its quantizer writes in
    QOperator format (residual adds, global pooling, attention's softmax):
    against a float64
    numpy reference of their definition, and against onnxruntime, whose
    fixed-point arithmetic rounds some values one step apart."""
    from onnx import TensorProto, helper
    elem = TensorProto.UINT8 if dtype == np.uint8 else TensorProto.INT8
    info = np.iinfo(dtype)
    rng = np.random.default_rng(7)
    shape = [2, 6, 5, 5]
    x = rng.integers(info.min, info.max + 1, shape, dtype=dtype)
    def scalar(value, name, t=np.float32):
        return numpy_helper.from_array(np.array(value, t), name)
    if op == "QLinearGlobalAveragePool":
        inputs = ["x", "x_scale", "x_zero", "y_scale", "y_zero"]
        inits = [scalar(0.0517, "x_scale"), scalar(3, "x_zero", dtype), scalar(0.0213, "y_scale"),
                 scalar(-2 if dtype == np.int8 else 9, "y_zero", dtype)]
        out_shape = None
    elif op == "QLinearSoftmax":
        # Probabilities on onnxruntime's grid for them: 1/256, zero point
        # at the type's minimum.
        inputs = ["x", "x_scale", "x_zero", "y_scale", "y_zero"]
        inits = [scalar(0.0517, "x_scale"), scalar(3, "x_zero", dtype),
                 scalar(1 / 256, "y_scale"), scalar(info.min, "y_zero", dtype)]
        out_shape = shape
    else:
        b = rng.integers(info.min, info.max + 1, [6, 1, 1], dtype=dtype)
        inputs = ["x", "x_scale", "x_zero", "b", "b_scale", "b_zero", "y_scale", "y_zero"]
        inits = [scalar(0.0517, "x_scale"), scalar(3, "x_zero", dtype),
                 numpy_helper.from_array(b, "b"), scalar(0.0293, "b_scale"),
                 scalar(-5 if dtype == np.int8 else 7, "b_zero", dtype),
                 scalar(0.317 if op == "QLinearMul" else 0.0771, "y_scale"),
                 scalar(1 if dtype == np.int8 else 128, "y_zero", dtype)]
        out_shape = shape
    node = helper.make_node(op, inputs, ["y"], domain="com.microsoft", **attrs)
    graph = helper.make_graph([node], "contrib",
                              [helper.make_tensor_value_info("x", elem, shape)],
                              [helper.make_tensor_value_info("y", elem, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    reference, ours = ort_and_dlc(model, {"x": x})
    difference = np.abs(ours.astype(np.int32) - reference.astype(np.int32))
    assert difference.max() <= 1, difference.max()
    # The definition in float64: dequantize, compute, quantize (round half
    # to even, saturate). The scales are not round decimals, so that exact
    # ties (where f32 and f64 may round apart) are rare.
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in inits}
    def dequantize(v, scale, zero):
        return (v.astype(np.float64) - values[zero]) * values[scale]
    xf = dequantize(x, "x_scale", "x_zero")
    if op == "QLinearGlobalAveragePool":
        axes = (1, 2) if attrs["channels_last"] else (2, 3)
        exact = xf.mean(axis=axes, keepdims=True)
    elif op == "QLinearSoftmax":
        # Before opset 13, over the input flattened to 2-d at `axis`.
        rows = xf.reshape(int(np.prod(shape[:attrs["axis"]])), -1) if attrs["opset"] < 13 \
            else xf
        e = np.exp(rows - rows.max(axis=-1, keepdims=True))
        exact = (e / e.sum(axis=-1, keepdims=True)).reshape(shape)
    else:
        bf = dequantize(numpy_helper.to_array(inits[2]), "b_scale", "b_zero")
        exact = xf + bf if op == "QLinearAdd" else xf * bf
    expected = np.clip(np.round(exact / values["y_scale"]) + values["y_zero"], info.min,
                       info.max).astype(dtype)
    off = np.abs(ours.astype(np.int32) - expected.astype(np.int32))
    assert off.max() <= 1 and (off > 0).mean() < 0.005, (off.max(), (off > 0).mean())


def test_bad_calibration_input_is_one_clear_error(digits):
    work = new_work_dir()
    model = os.path.join(digits, "digits.onnx")
    out = os.path.join(work, "q.onnx")
    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    result = run_dlc("quantize", model, "--calibration", empty, "-o", out, check=False)
    assert result.returncode == 1 and "holds no sample folders" in result.stderr
    os.makedirs(os.path.join(empty, "s0"))
    result = run_dlc("quantize", model, "--calibration", empty, "-o", out, check=False)
    assert result.returncode == 1
    assert "has no image.npy or image.pb for graph input 'image'" in result.stderr
    np.save(os.path.join(empty, "s0", "image.npy"), np.zeros((1, 1, 9, 9), np.float32))
    result = run_dlc("quantize", model, "--calibration", empty, "-o", out, check=False)
    assert result.returncode == 1, result.stderr
    assert "has shape [1,1,9,9]; graph input 'image' is [batch,1,8,8]" in result.stderr
    # The first sample fixes the batch; a later one of another shape is
    # refused by the library's input check, naming the sample.
    np.save(os.path.join(empty, "s0", "image.npy"), np.zeros((1, 1, 8, 8), np.float32))
    np.save(os.path.join(empty, "s1.npy"), np.zeros(1))  # a file, not a sample
    os.makedirs(os.path.join(empty, "s1"))
    np.save(os.path.join(empty, "s1", "image.npy"), np.zeros((2, 1, 8, 8), np.float32))
    result = run_dlc("quantize", model, "--calibration", empty, "-o", out, check=False)
    assert result.returncode == 1 and "s1" in result.stderr, result.stderr
    assert "image" in result.stderr, result.stderr
    result = run_dlc("quantize", model, "--calibration", os.path.join(digits, "calibration"),
                     "-o", out, "--quantize-exclude", "nope", check=False)
    assert result.returncode == 1 and "no node named 'nope'" in result.stderr
    result = run_dlc("compile", model, "-o", os.path.join(work, "lib"), "--calibration",
                     empty, check=False)
    assert result.returncode == 2 and "apply with --quantize=int8" in result.stderr
    result = run_dlc("compile", model, "-o", os.path.join(work, "lib"), "--quantize=int4",
                     check=False)
    assert result.returncode == 2 and "--quantize expects int8" in result.stderr
    assert not os.path.exists(out) and not os.path.exists(os.path.join(work, "lib"))
    assert not [f for f in os.listdir(work) if "partial" in f]


def qdq_cnn():
    """A CNN whose convs cover the integer conv kernel's cases: a padded 3x3
    of the input (a nonzero zero point: left f32 on bytes, integer on AVX2's
    words, which hold q - z), a strided 1x1 and a
    dilated, padded 3x3 after ReLUs (zero point 0), a 1x1 of a residual sum
    (nonzero zero point, no padding) into 24 channels (with 16-lane blocks,
    3 blocks of 8: ymm vpdpbusd), pooling and a Gemm."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(11)
    inits, nodes = [], []

    def conv(name, x, cin, cout, k, stride=1, pad=0, dilation=1, relu=True):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal([cout, cin, k, k]) / np.sqrt(cin * k * k))
            .astype(np.float32), name + ".w"))
        inits.append(numpy_helper.from_array(
            (0.1 * rng.standard_normal(cout)).astype(np.float32), name + ".b"))
        nodes.append(helper.make_node("Conv", [x, name + ".w", name + ".b"], [name],
                                      name=name, kernel_shape=[k, k], strides=[stride] * 2,
                                      pads=[pad] * 4, dilations=[dilation] * 2))
        if not relu:
            return name
        nodes.append(helper.make_node("Relu", [name], [name + ".relu"]))
        return name + ".relu"

    x = conv("c1", "image", 16, 32, 3, pad=1)
    x = conv("c2", x, 32, 48, 1, stride=2)
    y = conv("c3", x, 48, 48, 3, pad=2, dilation=2, relu=False)
    nodes.append(helper.make_node("Add", [x, y], ["sum"]))
    z = conv("c4", "sum", 48, 24, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [z], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"]))
    inits.append(numpy_helper.from_array(
        (0.1 * rng.standard_normal([10, 24])).astype(np.float32), "fc.w"))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w"], ["logits"], transB=1))
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [2, 16, 12, 12])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [2, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


CONV_DOTS = [
    ("avx512-vnni", "icelake-server", {"avx512f", "avx512_vnni", "avx512bw"}, 3),
    ("avx-vnni", "alderlake", {"avx2", "avx_vnni"}, 3),
    # vpmaddwd on i16 words holding q - z: the padded conv of the input
    # (z != 0) is integer too.
    ("avx2", "haswell", {"avx2"}, 4),
]


@pytest.mark.parametrize("dot,mcpu,flags,integer_convs", CONV_DOTS, ids=[d[0] for d in CONV_DOTS])
@pytest.mark.parametrize("activations", ["QUInt8", "QInt8"])
def test_qdq_cnn_convs_on_each_int8_dot_match_onnxruntime(dot, mcpu, flags, integer_convs,
                                                          activations):
    """onnxruntime's quantize_static of qdq_cnn (per-channel int8 weights,
    uint8 or int8 activations) compiled for each target: its QDQ convs run
    on the integer conv kernel (vpdpbusd, or AVX2's vpmaddwd; counted in
    dlc's graph), and the logits match onnxruntime's within one step of
    their grid (the sums are exact; the f32 requantization may round a
    value at a grid's half-way point the other way)."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                          QuantType, quantize_static)
    if not flags <= host_cpu_flags():
        pytest.skip("this host cannot run %s code" % mcpu)
    model = qdq_cnn()
    work = new_work_dir()
    path = os.path.join(work, "cnn.onnx")
    onnx.save(model, path)
    rng = np.random.default_rng(5)

    def sample():
        return {"image": rng.standard_normal([2, 16, 12, 12]).astype(np.float32)}

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter([sample() for _ in range(8)])

        def get_next(self):
            return next(self.samples, None)

    quantized = os.path.join(work, "cnn.int8.onnx")
    quantize_static(path, quantized, Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=getattr(QuantType, activations),
                    weight_type=QuantType.QInt8)
    feeds = sample()
    reference, ours = ort_and_dlc(onnx.load(quantized), feeds, ["--mcpu=" + mcpu])
    step = output_step(quantized)
    print(f"{dot} {activations}: max |dlc - onnxruntime| = "
          f"{np.abs(ours - reference).max() / step:.3f} steps")
    assert np.abs(ours - reference).max() <= step * 1.001
    out = os.path.join(new_work_dir(), "graph")
    run_dlc("compile", quantized, "-o", out, "--emit=graph", "--name", "m", "--mcpu=" + mcpu)
    with open(os.path.join(out, "m.graph.mlir")) as graph:
        text = graph.read()
    assert text.count("dlc.conv_integer_blocked ") == integer_convs, text.count(
        "dlc.conv_integer_blocked ")


@pytest.mark.parametrize("mcpu", ["x86-64-v3", "x86-64-v4", "x86-64"])
@pytest.mark.parametrize("scale", [0.0123, 1 / 255, 0.1, 3.7, 2.0 ** -7, 1e-5,
                                   float(np.frombuffer(b"\xff\xff\xff\x3f", np.float32)[0])])
def test_quantize_linear_rounds_as_division(scale, mcpu):
    """QuantizeLinear's round(x / scale): with FMA dlc computes the quotient
    as a product corrected by its remainder; it must round exactly as the
    correctly rounded division does (numpy's, in float32), here on values
    one or two ulps from every half-step of the grid, where a plain product
    by 1 / scale rounds the other way. The last scale (1.99999988, an
    all-ones significand) keeps the division."""
    from onnx import TensorProto, helper
    if mcpu != "x86-64" and not any(
            line.startswith("flags") and ("avx512f" if mcpu == "x86-64-v4" else "avx2")
            in line.split() for line in open("/proc/cpuinfo")):
        pytest.skip("this machine cannot run %s code" % mcpu)
    s = np.float32(scale)
    halves = ((np.arange(-140, 140, dtype=np.float32) + np.float32(0.5)) * s).astype(np.float32)
    near = [halves]
    for direction in (np.float32(np.inf), np.float32(-np.inf)):
        step = halves
        for _ in range(2):
            step = np.nextafter(step, direction)
            near.append(step)
    rng = np.random.default_rng(5)
    values = np.concatenate(near + [
        (rng.uniform(-300, 300, 4000) * s).astype(np.float32),
        np.array([0.0, -0.0, 1e30, -1e30, np.inf, -np.inf], np.float32)])
    x = values.reshape(1, -1)
    node = helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["y"])
    graph = helper.make_graph(
        [node], "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.UINT8, list(x.shape))],
        [numpy_helper.from_array(np.array(s, np.float32), "scale"),
         numpy_helper.from_array(np.array(128, np.uint8), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    _, ours = ort_and_dlc(model, {"x": x}, compile_args=("--mcpu", mcpu))
    with np.errstate(over="ignore"):
        expected = np.clip(np.rint(x / s) + np.float32(128), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(ours, expected)
