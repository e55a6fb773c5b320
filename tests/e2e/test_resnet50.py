"""ResNet-50 (the architecture, random weights) end to end: one kernel per
conv, pool and gemm, an arena at most half the naive sum of intermediates,
and outputs matching onnxruntime."""
import os

import onnx

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
