#!/usr/bin/env python3
"""Builds what tools/gpu-bench/run.py measures on a machine with an NVIDIA GPU.

Runs where dlc builds (this machine needs no GPU): for each model it writes
the CUDA library (dlc compile --target=cuda:CHIP), the input, and
onnxruntime's outputs (the reference the GPU results must match), listed in
the model's output order under their names; for the 4096^3 matmul only the
library (both operands are inputs). Libraries over --chunk-mib are split into parts (the device tool
carries at most 64 MiB a call); run.py joins them.

  tools/bazel.sh build //tools/dlc
  ~/.cache/dlc/venv/bin/python tools/gpu-bench/prepare.py -o .gpu-bench
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import model_zoo  # noqa: E402
from bench import gemm_model  # noqa: E402


MODELS = {
    "cnn": lambda: model_zoo.small_cnn(opset=13, seed=1, channels=32, size=32),
    "mlp": lambda: model_zoo.mlp(opset=13, seed=2),
    "transformer": lambda: model_zoo.bert_encoder(opset=17, seed=7, layers=1, hidden=768,
                                                  heads=12, seq=128, inter=3072),
    "resnet50": lambda: model_zoo.resnet50(opset=13, seed=2),
    "matmul4096": lambda: gemm_model(4096),
}


def dlc(*args):
    binary = os.environ.get("DLC_BIN", os.path.join(HERE, "..", "..", "bazel-bin", "tools",
                                                    "dlc", "dlc"))
    subprocess.run([binary, *args], check=True)


def inputs_for(model, seed):
    rng = np.random.RandomState(seed)
    feeds = {}
    for value in model.graph.input:
        dims = [d.dim_value or 1 for d in value.type.tensor_type.shape.dim]
        if value.type.tensor_type.elem_type == TensorProto.INT64:
            feeds[value.name] = rng.randint(0, 8, size=dims).astype(np.int64)
        else:
            feeds[value.name] = rng.randn(*dims).astype(np.float32)
    return feeds


def split(path, chunk):
    size = os.path.getsize(path)
    if size <= chunk:
        return [os.path.basename(path)]
    parts = []
    with open(path, "rb") as whole:
        for i in range(0, size, chunk):
            part = "%s.part%03d" % (path, i // chunk)
            with open(part, "wb") as out:
                out.write(whole.read(chunk))
            parts.append(os.path.basename(part))
    os.remove(path)
    return parts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--only", nargs="*", default=sorted(MODELS))
    parser.add_argument("--chunk-mib", type=int, default=48)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    manifest = {"chip": args.chip, "models": {}}
    for name in args.only:
        model = MODELS[name]()
        work = os.path.join(args.output, name)
        os.makedirs(work, exist_ok=True)
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        dlc("compile", path, "-o", os.path.join(work, "cuda"), "--name", name,
            "--target=cuda:" + args.chip)
        entry = {"library": None, "inputs": {}, "reference": {}}
        if name != "matmul4096":
            feeds = inputs_for(model, seed=len(name))
            for i, (input_name, value) in enumerate(feeds.items()):
                np.save(os.path.join(work, "input%d.npy" % i), value)
                entry["inputs"][input_name] = "input%d.npy" % i
            import onnxruntime
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            names = [output.name for output in model.graph.output]
            # [name, file] pairs in the model's output order, the order of the
            # library's output tensors.
            entry["reference"] = []
            for i, (output_name, value) in enumerate(zip(names, session.run(names, feeds))):
                np.save(os.path.join(work, "reference%d.npy" % i), value)
                entry["reference"].append([output_name, "reference%d.npy" % i])
        os.remove(path)
        entry["library"] = [os.path.join("cuda", part) for part in
                            split(os.path.join(work, "cuda", "lib%s.so" % name),
                                  args.chunk_mib << 20)]
        manifest["models"][name] = entry
    with open(os.path.join(args.output, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1)
    print("wrote", args.output)


if __name__ == "__main__":
    main()
