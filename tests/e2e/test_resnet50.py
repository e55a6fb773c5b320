"""ResNet-50 and MobileNetV2 (the architectures, random weights) end to end:
for ResNet-50 one kernel per conv, pool and gemm and an arena at most half
the naive sum of intermediates; outputs matching onnxruntime."""
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


def test_mobilenet_v2_outputs():
    """Depthwise and strided convs, ReLU6, inverted residuals: against
    onnxruntime (kernel counts aside: depthwise convs leave the blocked
    layout)."""
    work = h.new_work_dir()
    model = model_zoo.mobilenet_v2()
    path = os.path.join(work, "mobilenet_v2.onnx")
    onnx.save(model, path)
    x = np.random.RandomState(5).randn(1, 3, 224, 224).astype(np.float32)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    expected = session.run(None, {"input": x})[0]
    library = h.compile_model(path, os.path.join(work, "lib"), name="mobilenet_v2")
    actual = h.run_library(library, {"input": x}, work)["logits"]
    assert h.relative_l2(expected, actual) < 1e-4
