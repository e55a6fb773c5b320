#!/usr/bin/env python3
"""A sweep of hostile models: every integer a model can carry set to values
that break size arithmetic, and the lies a file can tell.

For each of a few dozen one-node models it writes variants (each integer
attribute and each int64 constant input set to 0, -1, 2^31, 2^62, INT64_MAX,
INT64_MIN; input dims of 0, 2^31 and 2^40; initializers whose dims promise
more data than they hold; attributes of the wrong type; an extra input; a
second writer of the output) and compiles each with `dlc compile` (-O3, and
-O0 for every fourth). The promise checked, case by case: dlc ends within
the time limit with exit code 0 or 1..127; a failure prints `dlc: error: ...`
and leaves nothing in the output folder (nor a staging folder anywhere); a
library that compiled runs under `dlc bench --iters 1` without a crash (a
refusal to allocate is fine). Prints one line per broken promise and the
totals; exits 1 if any.

  tools/bazel.sh build //tools/dlc
  ~/.cache/dlc/venv/bin/python tools/hostile/sweep.py [--jobs 2] [--limit N] [--only LABEL...]
"""
import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
from multiprocessing import Pool

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
DLC = os.environ.get("DLC_BIN", os.path.join(HERE, "..", "..", "bazel-bin", "tools", "dlc",
                                             "dlc"))
HOSTILE_INTS = [0, -1, 2**31, 2**62, 2**63 - 1, -2**63]
HOSTILE_DIMS = [0, 2**31, 2**40]
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def i64(name, values):
    return helper.make_tensor(name, I64, [len(values)], values)


def base_models():
    """(name, nodes, inputs, outputs, initializers, opset)."""
    x4 = vi("x", [1, 2, 6, 6])
    w = helper.make_tensor("w", F, [2, 2, 3, 3], np.ones(36, np.float32))
    y = vi("y", None)
    window = dict(kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1])
    cases = [
        ("conv", [helper.make_node("Conv", ["x", "w"], ["y"], strides=[1, 1], pads=[1, 1, 1, 1],
                                   dilations=[1, 1], group=1)], [x4], [y], [w], 17),
        ("conv_transpose", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
                                             pads=[0, 0, 0, 0], output_padding=[1, 1])],
         [x4], [y], [w], 17),
        ("maxpool", [helper.make_node("MaxPool", ["x"], ["y"], **window)], [x4], [y], [], 17),
        ("avgpool", [helper.make_node("AveragePool", ["x"], ["y"], **window)], [x4], [y], [], 17),
        ("lppool", [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 2], p=2)],
         [x4], [y], [], 17),
        ("reshape", [helper.make_node("Reshape", ["x", "s"], ["y"])], [x4], [y],
         [i64("s", [2, 36])], 17),
        ("slice", [helper.make_node("Slice", ["x", "a", "b", "ax", "st"], ["y"])], [x4], [y],
         [i64("a", [1]), i64("b", [5]), i64("ax", [2]), i64("st", [2])], 17),
        ("gather", [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)], [x4], [y],
         [i64("i", [1])], 17),
        ("concat", [helper.make_node("Concat", ["x", "x"], ["y"], axis=1)], [x4], [y], [], 17),
        ("split", [helper.make_node("Split", ["x", "s"], ["y", "z"], axis=2)], [x4],
         [y, vi("z", None)], [i64("s", [2, 4])], 17),
        ("pad", [helper.make_node("Pad", ["x", "p"], ["y"])], [x4], [y],
         [i64("p", [0, 0, 1, 1, 0, 0, 1, 1])], 17),
        ("expand", [helper.make_node("Expand", ["x", "s"], ["y"])], [x4], [y],
         [i64("s", [2, 2, 6, 6])], 17),
        ("tile", [helper.make_node("Tile", ["x", "r"], ["y"])], [x4], [y],
         [i64("r", [1, 2, 1, 1])], 17),
        ("constant_of_shape", [helper.make_node("ConstantOfShape", ["s"], ["y"])], [], [y],
         [i64("s", [3, 4])], 17),
        ("range", [helper.make_node("Range", ["a", "b", "c"], ["y"])], [], [y],
         [helper.make_tensor("a", I64, [], [0]), helper.make_tensor("b", I64, [], [10]),
          helper.make_tensor("c", I64, [], [1])], 17),
        ("transpose", [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [x4],
         [y], [], 17),
        ("reduce_sum", [helper.make_node("ReduceSum", ["x", "a"], ["y"], keepdims=1)], [x4], [y],
         [i64("a", [1])], 17),
        ("softmax", [helper.make_node("Softmax", ["x"], ["y"], axis=1)], [x4], [y], [], 17),
        ("topk", [helper.make_node("TopK", ["x", "k"], ["y", "z"], axis=3)], [x4],
         [y, vi("z", None, I64)], [i64("k", [2])], 17),
        ("squeeze", [helper.make_node("Squeeze", ["x", "a"], ["y"])], [x4], [y],
         [i64("a", [0])], 17),
        ("unsqueeze", [helper.make_node("Unsqueeze", ["x", "a"], ["y"])], [x4], [y],
         [i64("a", [0])], 17),
        ("flatten", [helper.make_node("Flatten", ["x"], ["y"], axis=2)], [x4], [y], [], 17),
        ("depth_to_space", [helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=1)], [x4],
         [y], [], 17),
        ("space_to_depth", [helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], [x4],
         [y], [], 17),
        ("onehot", [helper.make_node("OneHot", ["i", "d", "v"], ["y"], axis=-1)],
         [vi("i", [3], I64)], [y],
         [i64("d", [5]), helper.make_tensor("v", F, [2], [0.0, 1.0])], 17),
        ("cumsum", [helper.make_node("CumSum", ["x", "a"], ["y"])], [x4], [y],
         [helper.make_tensor("a", I64, [], [2])], 17),
        ("argmax", [helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=1)], [x4],
         [vi("y", None, I64)], [], 17),
        ("lrn", [helper.make_node("LRN", ["x"], ["y"], size=3)], [x4], [y], [], 17),
        ("gemm", [helper.make_node("Gemm", ["a", "b"], ["y"], transB=1)],
         [vi("a", [4, 8]), vi("b", [5, 8])], [y], [], 17),
        ("matmul", [helper.make_node("MatMul", ["a", "b"], ["y"])],
         [vi("a", [2, 4, 8]), vi("b", [8, 3])], [y], [], 17),
        ("resize", [helper.make_node("Resize", ["x", "", "", "s"], ["y"], mode="nearest")],
         [x4], [y], [i64("s", [1, 2, 12, 12])], 17),
        ("layer_norm", [helper.make_node("LayerNormalization", ["x", "g"], ["y"], axis=-1)],
         [x4], [y], [helper.make_tensor("g", F, [6], np.ones(6, np.float32))], 17),
        ("gather_elements", [helper.make_node("GatherElements", ["x", "i"], ["y"], axis=3)],
         [x4], [y], [helper.make_tensor("i", I64, [1, 2, 6, 1], np.zeros(12, np.int64))], 17),
        ("scatter_nd", [helper.make_node("ScatterND", ["x", "i", "u"], ["y"])], [x4], [y],
         [helper.make_tensor("i", I64, [1, 1], [0]),
          helper.make_tensor("u", F, [1, 2, 6, 6], np.ones(72, np.float32))], 17),
        ("eye_like", [helper.make_node("EyeLike", ["a"], ["y"], k=1)], [vi("a", [4, 5])], [y],
         [], 17),
        ("trilu", [helper.make_node("Trilu", ["a", "k"], ["y"])], [vi("a", [4, 5])], [y],
         [helper.make_tensor("k", I64, [], [1])], 17),
        ("dft", [helper.make_node("DFT", ["a", ""], ["y"], axis=1)], [vi("a", [1, 8, 1])], [y],
         [], 17),
        ("col2im", [helper.make_node("Col2Im", ["a", "s", "k"], ["y"])], [vi("a", [1, 4, 9])],
         [y], [i64("s", [4, 4]), i64("k", [2, 2])], 18),
    ]
    return cases


def make_model(nodes, inputs, outputs, inits, opset):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def variants(name, nodes, inputs, outputs, inits, opset):
    """(variant name, model) pairs."""
    yield name, make_model(nodes, inputs, outputs, inits, opset)
    for n, node in enumerate(nodes):
        for a, attr in enumerate(node.attribute):
            if attr.type == onnx.AttributeProto.INT:
                for value in HOSTILE_INTS:
                    bad = copy.deepcopy(nodes)
                    bad[n].attribute[a].i = value
                    yield "%s/%s=%d" % (name, attr.name, value), make_model(
                        bad, inputs, outputs, inits, opset)
            elif attr.type == onnx.AttributeProto.INTS and len(attr.ints):
                for value in HOSTILE_INTS:
                    for position in (0, len(attr.ints) - 1):
                        bad = copy.deepcopy(nodes)
                        bad[n].attribute[a].ints[position] = value
                        yield "%s/%s[%d]=%d" % (name, attr.name, position, value), make_model(
                            bad, inputs, outputs, inits, opset)
            # The wrong attribute type: a float where an int goes, and back.
            bad = copy.deepcopy(nodes)
            replaced = bad[n].attribute[a]
            if attr.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS):
                new = helper.make_attribute(attr.name, [1.5] * max(1, len(attr.ints)))
            else:
                new = helper.make_attribute(attr.name, [2] * 3)
            replaced.CopyFrom(new)
            yield "%s/%s:wrong-type" % (name, attr.name), make_model(bad, inputs, outputs,
                                                                     inits, opset)
    for t, init in enumerate(inits):
        if init.data_type == I64:
            values = list(onnx.numpy_helper.to_array(init).reshape(-1))
            for value in HOSTILE_INTS:
                for position in sorted({0, max(len(values) - 1, 0)}):
                    if not values:
                        continue
                    bad = list(values)
                    bad[position] = value
                    new = copy.deepcopy(inits)
                    new[t] = helper.make_tensor(init.name, I64, list(init.dims), bad)
                    yield "%s/%s[%d]=%d" % (name, init.name, position, value), make_model(
                        nodes, inputs, outputs, new, opset)
        # Dims that promise more than the data holds.
        new = copy.deepcopy(inits)
        new[t].dims[:] = [2**40] + list(init.dims[1:])
        yield "%s/%s:dims-lie" % (name, init.name), make_model(nodes, inputs, outputs, new,
                                                               opset)
    for i, value in enumerate(inputs):
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        for dim in HOSTILE_DIMS:
            for position in sorted({0, len(shape) - 1}):
                bad_shape = list(shape)
                bad_shape[position] = dim
                new = copy.deepcopy(inputs)
                new[i] = vi(value.name, bad_shape, value.type.tensor_type.elem_type)
                yield "%s/input%d[%d]=%d" % (name, i, position, dim), make_model(
                    nodes, new, outputs, inits, opset)
    extra = copy.deepcopy(nodes)
    extra[0].input.append(extra[0].input[0] if extra[0].input else "x")
    yield name + "/extra-input", make_model(extra, inputs, outputs, inits, opset)
    twice = copy.deepcopy(nodes) + [copy.deepcopy(nodes[0])]
    yield name + "/written-twice", make_model(twice, inputs, outputs, inits, opset)


def staging_left(work):
    for root, dirs, _ in os.walk(work):
        for d in dirs:
            if d.startswith(".dlc-staging"):
                return os.path.join(root, d)
    return None


def run_case(job):
    label, data, level, timeout = job
    work = tempfile.mkdtemp(prefix="dlc-sweep-")
    try:
        path = os.path.join(work, "m.onnx")
        with open(path, "wb") as f:
            f.write(data)
        out = os.path.join(work, "out")
        try:
            result = subprocess.run([DLC, "compile", path, "-o", out, level, "--name", "m"],
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return label, level, "hang (compile over %d s)" % timeout
        code = result.returncode
        if code < 0 or code > 127:
            return label, level, "crash (exit %d): %s" % (code, result.stderr[-300:])
        if staging_left(work):
            return label, level, "staging folder left behind"
        if code != 0:
            if not result.stderr.startswith("dlc: error: "):
                return label, level, "failure without a dlc error: %r" % result.stderr[:200]
            if os.path.exists(out):
                return label, level, "partial output: %s" % os.listdir(out)
            return label, level, None
        library = os.path.join(out, "libm.so")
        try:
            bench = subprocess.run([DLC, "bench", library, "--iters", "1", "--warmup", "0"],
                                   capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return label, level, "hang (run over %d s)" % timeout
        if bench.returncode < 0 or bench.returncode > 127:
            return label, level, "library crash (exit %d): %s" % (bench.returncode,
                                                                 bench.stderr[-300:])
        if bench.returncode != 0 and not bench.stderr.startswith("dlc: error: "):
            return label, level, "run failure without a dlc error: %r" % bench.stderr[:200]
        return label, level, None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="run the first N cases only")
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("--only", nargs="*", default=[],
                        help="the cases whose label starts with one of these")
    args = parser.parse_args()
    jobs = []
    for base in base_models():
        if args.only and not any(base[0].startswith(p.split("/")[0]) for p in args.only):
            continue
        for k, (label, model) in enumerate(variants(*base)):
            if args.only and not any(label.startswith(p) for p in args.only):
                continue
            data = model.SerializeToString()
            jobs.append((label, data, "-O3", args.timeout))
            if k % 4 == 0:
                jobs.append((label, data, "-O0", args.timeout))
    if args.limit:
        jobs = jobs[:args.limit]
    broken = 0
    with Pool(args.jobs) as pool:
        for label, level, problem in pool.imap_unordered(run_case, jobs):
            if problem:
                broken += 1
                print("BROKEN %s %s: %s" % (label, level, problem), flush=True)
    print("%d cases (%d models): %d broken promises" % (
        len(jobs), len({j[0] for j in jobs}), broken))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
