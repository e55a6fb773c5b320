#!/usr/bin/env python3
"""Sorting ops, dlc against onnxruntime on one thread, in one run.

Three cases, each one node with its data as a run-time input:
  topk_all    TopK of [8, 4096] float32 with k = 4096 (an argsort), values
              on 64 levels (ties, which go in index order);
  topk_1000   TopK of [1, 20000] float32 with k = 1000 (a detector's
              pre-NMS selection);
  unique      Unique of 65536 float32 with about 1000 distinct values
              (all four outputs).
Each is checked against onnxruntime (every output equal), then timed in
alternating blocks (`dlc bench --threads 1`, and onnxruntime's session.run
with one intra-op thread); the script prints the medians and their ratio.

  tools/bench/sort.py [--dlc PATH] [--blocks N] [--iters N] [--only CASE ...]

Run it after `tools/bazel.sh build //tools/dlc`, with the venv of
tools/install.sh (numpy, onnx, onnxruntime).
"""
import os
import subprocess
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

import one_op


def top_k_case(rows, size, k, levels):
    rng = np.random.RandomState(1)
    x = (rng.randint(0, levels, size=(rows, size)) / levels).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], ["values", "indices"])], "topk",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, size])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, [rows, k]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, [rows, k])],
        [numpy_helper.from_array(np.array([k], np.int64), "k")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), {"x": x}


def unique_case(size, distinct):
    rng = np.random.RandomState(2)
    x = (rng.randint(0, distinct, size=size) / 8).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Unique", ["x"], ["y", "indices", "inverse", "counts"])], "unique",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info("inverse", TensorProto.INT64, [size]),
         helper.make_tensor_value_info("counts", TensorProto.INT64, ["n"])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), {"x": x}


CASES = {
    "topk_all": lambda: top_k_case(8, 4096, 4096, 64),
    "topk_1000": lambda: top_k_case(1, 20000, 1000, 1 << 20),
    "unique": lambda: unique_case(1 << 16, 1000),
}


def time_case(name, dlc, blocks, iters):
    model, feeds = CASES[name]()
    work = tempfile.mkdtemp(prefix="dlc-sort-")
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    files = []
    for input_name, value in feeds.items():
        np.save(os.path.join(work, input_name + ".npy"), value)
        files += ["--input", "%s=%s" % (input_name, os.path.join(work, input_name + ".npy"))]
    subprocess.run([dlc, "compile", path, "-o", os.path.join(work, "out"), "--name", name],
                   check=True)
    library = os.path.join(work, "out", "lib%s.so" % name)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    want = session.run(None, feeds)
    subprocess.run([dlc, "run", library, *files, "--output-dir", os.path.join(work, "outputs")],
                   check=True, capture_output=True)
    for output, expected in zip(session.get_outputs(), want):
        got = np.load(os.path.join(work, "outputs", output.name + ".npy"))
        if got.shape != expected.shape or not np.array_equal(got, expected):
            raise SystemExit("%s: dlc's %s differs from onnxruntime's" % (name, output.name))
    return one_op.time_alternating(dlc, library, files, session, feeds, blocks, iters)

def main():
    parser = one_op.parser(__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), default=list(CASES))
    args = parser.parse_args()
    print("| case | dlc ms | onnxruntime ms | dlc / ort |")
    print("|---|---|---|---|")
    for name in args.only:
        dlc, ort = time_case(name, args.dlc, args.blocks, args.iters)
        print("| %s | %.3f | %.3f | %.2f |" % (name, dlc, ort, dlc / ort), flush=True)


if __name__ == "__main__":
    main()
