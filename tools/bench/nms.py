#!/usr/bin/env python3
"""NonMaxSuppression, dlc against onnxruntime on one thread, in one run.

A detection head's shape: 1 batch, 80 classes, 5000 boxes (random corners
on a 600 x 600 image, sides 10 to 120), scores skewed low (u^20: about 14 %
above the threshold), at most 100 boxes a class, IoU 0.5, score threshold
0.05. Checks that dlc's selection equals onnxruntime's, then times both in
alternating blocks (`dlc bench --threads 1`, and onnxruntime's session.run
with one intra-op thread), and prints the medians and their ratio.

  tools/bench/nms.py [--dlc PATH] [--blocks N] [--iters N]

Run it after `tools/bazel.sh build //tools/dlc`, with the venv of
tools/install.sh (numpy, onnx, onnxruntime).
"""
import os
import subprocess
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper

import one_op

BATCHES, CLASSES, BOXES = 1, 80, 5000


def model():
    inputs = [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [BATCHES, BOXES, 4]),
              helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                            [BATCHES, CLASSES, BOXES]),
              helper.make_tensor_value_info("max_boxes", TensorProto.INT64, [1]),
              helper.make_tensor_value_info("iou", TensorProto.FLOAT, [1]),
              helper.make_tensor_value_info("min_score", TensorProto.FLOAT, [1])]
    graph = helper.make_graph(
        [helper.make_node("NonMaxSuppression", [i.name for i in inputs], ["selected"])], "nms",
        inputs, [helper.make_tensor_value_info("selected", TensorProto.INT64, ["n", 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


def main():
    args = one_op.parser(__doc__.splitlines()[0]).parse_args()
    work = tempfile.mkdtemp(prefix="dlc-nms-")
    path = os.path.join(work, "nms.onnx")
    onnx.save(model(), path)
    rng = np.random.RandomState(0)
    corner = rng.uniform(0, 600, size=(BATCHES, BOXES, 2)).astype(np.float32)
    side = rng.uniform(10, 120, size=(BATCHES, BOXES, 2)).astype(np.float32)
    feeds = {"boxes": np.concatenate([corner, corner + side], axis=2),
             "scores": (rng.rand(BATCHES, CLASSES, BOXES) ** 20).astype(np.float32),
             "max_boxes": np.array([100], np.int64), "iou": np.array([0.5], np.float32),
             "min_score": np.array([0.05], np.float32)}
    files = []
    for name, value in feeds.items():
        np.save(os.path.join(work, name + ".npy"), value)
        files += ["--input", "%s=%s" % (name, os.path.join(work, name + ".npy"))]
    subprocess.run([args.dlc, "compile", path, "-o", os.path.join(work, "out")], check=True)
    library = os.path.join(work, "out", "libnms.so")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    want = session.run(None, feeds)[0]
    subprocess.run([args.dlc, "run", library, *files, "--output-dir",
                    os.path.join(work, "outputs")], check=True, capture_output=True)
    got = np.load(os.path.join(work, "outputs", "selected.npy"))
    if not np.array_equal(got, want):
        raise SystemExit("dlc's selection differs from onnxruntime's")
    print("selected: %d rows, equal to onnxruntime's" % len(want))
    dlc, ort = one_op.time_alternating(args.dlc, library, files, session, feeds, args.blocks,
                                       args.iters)
    print("dlc %.2f ms, onnxruntime %.2f ms (medians of %d blocks), dlc / ort %.2f"
          % (dlc, ort, args.blocks, dlc / ort))


if __name__ == "__main__":
    main()
