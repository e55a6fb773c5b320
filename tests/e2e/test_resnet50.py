"""ResNet-50, MobileNetV2 and a BERT-base encoder (the architectures, random
weights) end to end: for ResNet-50 one kernel per conv, pool and gemm and an
arena at most half the naive sum of intermediates; outputs matching
onnxruntime (relative L2 < 1e-4). MobileNetV2 and BERT-base are saved with a
symbolic batch dimension and compiled with --input-shape."""
import os

import numpy as np
import onnx
import onnxruntime

import dlc_harness as h
import model_zoo
from test_passes import check_dot_renders, check_model


def test_resnet50_arena_and_outputs():
    check_model(model_zoo.resnet50(), "resnet50", h.new_work_dir(), max_arena_ratio=0.5)


def test_resnet50_inspect_dot_renders():
    work = h.new_work_dir()
    path = os.path.join(work, "resnet50.onnx")
    onnx.save(model_zoo.resnet50(), path)
    listing = check_dot_renders(path, work)
    assert listing.count("] fused conv") == 53


def symbolic_batch(model):
    """The model with its input's and output's first dim named "batch"."""
    for value in (model.graph.input[0], model.graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    return model


def check_symbolic_batch_model(model, name, x, output):
    work = h.new_work_dir()
    path = os.path.join(work, name + ".onnx")
    onnx.save(symbolic_batch(model), path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"input": x})[0]
    shape = ",".join(str(d) for d in x.shape)
    library = h.compile_model(path, os.path.join(work, "lib"), name=name,
                              extra=["--input-shape", "input=" + shape])
    actual = h.run_library(library, {"input": x}, work)[output]
    assert actual.shape == expected.shape
    assert h.relative_l2(expected, actual) < 1e-4


def test_mobilenet_v2_outputs():
    """Depthwise and strided convs, ReLU6, inverted residuals: against
    onnxruntime (kernel counts aside: depthwise convs leave the blocked
    layout)."""
    x = np.random.RandomState(5).randn(1, 3, 224, 224).astype(np.float32)
    check_symbolic_batch_model(model_zoo.mobilenet_v2(), "mobilenet_v2", x, "logits")


def test_bert_base_outputs():
    """BERT-base: 12 layers, hidden 768, 12 heads, feed forward 3072, sequence
    128."""
    model = model_zoo.bert_encoder(layers=12, hidden=768, heads=12, seq=128, inter=3072)
    x = np.random.RandomState(6).randn(1, 128, 768).astype(np.float32)
    check_symbolic_batch_model(model, "bert_base", x, "output")
