#!/usr/bin/env python3
"""Runs and times on an NVIDIA GPU what tools/gpu-bench/prepare.py built.

For every model: the CUDA library's output against the same model compiled
by dlc for the CPU (relative L2 <= 1e-4 in fp32), and the median latency of
<N>_run (host tensors: copies in and out included) and <N>_run_device
(tensors already on the GPU, through PyTorch). Peers on the same GPU:
ResNet-50 (torchvision, fp32 with TF32 off, batch 1) and a 4096^3 fp32
matmul (torch.matmul, cuBLAS, TF32 off). Needs PyTorch with CUDA.

  python3 tools/gpu-bench/run.py .gpu-bench [--iters 50]
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import numpy as np
import torch


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]


class Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


DTYPES = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}


def tensors(pairs, keep):
    """(pointer, shape, numpy dtype) -> a dlc_tensor array."""
    out = (Tensor * len(pairs))()
    for i, (pointer, shape, dtype) in enumerate(pairs):
        dims = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        keep.append(dims)
        out[i] = Tensor(pointer, dims, len(shape), DTYPES[np.dtype(dtype)])
    return out


class Library:
    def __init__(self, folder, name, entry):
        parts = [os.path.join(folder, p) for p in entry["library"]]
        path = parts[0]
        if len(parts) > 1:  # joined from the parts the device tool carried
            path = os.path.join(folder, "cuda", "lib%s.so" % name)
            with open(path, "wb") as whole:
                for part in parts:
                    whole.write(open(part, "rb").read())
        self.lib = ctypes.CDLL(os.path.abspath(path))
        self.name = name
        self.status = Status()

    def call(self, entry, inputs, outputs):
        keep = []
        code = getattr(self.lib, self.name + entry)(
            tensors(inputs, keep), len(inputs), tensors(outputs, keep), len(outputs),
            ctypes.byref(self.status))
        if code != 0:
            raise RuntimeError("%s%s: %s" % (self.name, entry, self.status.message.decode()))


def median_ms(function, iters, warmup=5, cuda_events=False):
    for _ in range(warmup):
        function()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        if cuda_events:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            function()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            begin = time.perf_counter()
            function()
            times.append((time.perf_counter() - begin) * 1e3)
    return statistics.median(times)


def relative_l2(expected, actual):
    expected, actual = np.asarray(expected, np.float64), np.asarray(actual, np.float64)
    return float(np.linalg.norm(expected - actual) / max(np.linalg.norm(expected), 1e-30))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--iters", type=int, default=50)
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    manifest = json.load(open(os.path.join(args.folder, "manifest.json")))
    device = torch.cuda.get_device_name(0)
    rows, results, failed = [], {"device": device, "models": {}}, False
    for name, entry in manifest["models"].items():
        folder = os.path.join(args.folder, name)
        library = Library(folder, name, entry)
        result = results["models"][name] = {}
        if name == "matmul4096":
            n = 4096
            a = torch.randn(n, n, device="cuda")
            b = torch.randn(n, n, device="cuda")
            c = torch.full((n, n), float("nan"), device="cuda")
            run = lambda: library.call(  # noqa: E731
                "_run_device", [(a.data_ptr(), (n, n), np.float32),
                                (b.data_ptr(), (n, n), np.float32)],
                [(c.data_ptr(), (n, n), np.float32)])
            run()
            torch.cuda.synchronize()
            reference = (a.double() @ b.double()).cpu().numpy()
            result["rel_l2"] = relative_l2(reference, c.cpu().numpy())
            result["dlc_ms"] = median_ms(run, args.iters, cuda_events=True)
            result["cublas_ms"] = median_ms(lambda: torch.matmul(a, b), args.iters,
                                            cuda_events=True)
            flops = 2 * n ** 3
            rows.append("%-12s rel.L2 %.1e  dlc %.2f ms (%.1f TFLOP/s)  cuBLAS %.2f ms (%.1f "
                        "TFLOP/s)  dlc/cuBLAS %.2f" % (
                            name, result["rel_l2"], result["dlc_ms"],
                            flops / result["dlc_ms"] / 1e9, result["cublas_ms"],
                            flops / result["cublas_ms"] / 1e9,
                            result["dlc_ms"] / result["cublas_ms"]))
            failed |= not result["rel_l2"] <= 1e-4
            continue
        feeds = {k: np.load(os.path.join(folder, f)) for k, f in entry["inputs"].items()}
        # In the model's output order (the library's), matched by name.
        references = {k: np.load(os.path.join(folder, f)) for k, f in entry["reference"]}
        names = [k for k, _ in entry["reference"]]
        outputs = {k: np.full_like(v, np.nan) for k, v in references.items()}
        host_inputs = [(v.ctypes.data, v.shape, v.dtype) for v in feeds.values()]
        host_outputs = [(outputs[k].ctypes.data, outputs[k].shape, outputs[k].dtype)
                        for k in names]
        library.call("_run", host_inputs, host_outputs)
        errors = {k: relative_l2(references[k], outputs[k]) for k in names}
        result["rel_l2"] = max(errors.values())
        failed |= not result["rel_l2"] <= 1e-4
        result["run_ms"] = median_ms(lambda: library.call("_run", host_inputs, host_outputs),
                                     args.iters)
        on_gpu = {k: torch.from_numpy(v).cuda() for k, v in feeds.items()}
        out_gpu = {k: torch.empty(v.shape, device="cuda") for k, v in references.items()}
        device_inputs = [(t.data_ptr(), tuple(t.shape), feeds[k].dtype)
                         for k, t in on_gpu.items()]
        device_outputs = [(out_gpu[k].data_ptr(), tuple(out_gpu[k].shape), np.float32)
                          for k in names]
        for tensor in out_gpu.values():
            tensor.fill_(float("nan"))
        library.call("_run_device", device_inputs, device_outputs)
        torch.cuda.synchronize()
        device_errors = {k: relative_l2(references[k], out_gpu[k].cpu().numpy())
                         for k in names}
        result["rel_l2_device"] = max(device_errors.values())
        failed |= not result["rel_l2_device"] <= 1e-4
        result["run_device_ms"] = median_ms(
            lambda: library.call("_run_device", device_inputs, device_outputs), args.iters,
            cuda_events=True)
        line = "%-12s rel.L2 %.1e (device %.1e)  run %.3f ms  run_device %.3f ms" % (
            name, result["rel_l2"], result["rel_l2_device"], result["run_ms"],
            result["run_device_ms"])
        if name == "resnet50":
            import torchvision
            model = torchvision.models.resnet50().eval().cuda()
            x = torch.from_numpy(next(iter(feeds.values()))).cuda()
            with torch.no_grad():
                result["torch_ms"] = median_ms(lambda: model(x), args.iters, cuda_events=True)
            line += "  PyTorch %.3f ms  dlc/PyTorch %.2f" % (
                result["torch_ms"], result["run_device_ms"] / result["torch_ms"])
        rows.append(line)
    print("device:", device)
    for row in rows:
        print(row)
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "gpu-bench.json"), "w") as out:
            json.dump(results, out, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
