#!/usr/bin/env python3
"""Runs and times on an NVIDIA GPU what tools/gpu-bench/prepare.py built.

For every model: the CUDA library's output against onnxruntime's on the CPU
(computed by prepare.py; relative L2 <= 1e-4 in fp32), and the median latency of
<N>_run (host tensors: copies in and out included) and <N>_run_device
(tensors already on the GPU, through PyTorch), and the first call: loading
the library and its first <N>_run in a fresh process with the driver's JIT
cache off, once as built (the fatbin's machine code) and once with
CUDA_FORCE_PTX_JIT=1 (the driver compiles the PTX, as for a library built
without ptxas). Peers on the same GPU: ResNet-50 (torchvision, fp32 with
TF32 off, batch 1), the transformer block (torch.nn.TransformerEncoderLayer,
768 wide, 12 heads, 3072 GELU feed-forward, post-norm, as the model) and a
4096^3 fp32 matmul (torch.matmul, cuBLAS, TF32 off). Needs PyTorch with CUDA.

  python3 tools/gpu-bench/run.py .gpu-bench [--iters 50]
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import subprocess

import numpy as np

torch = None  # imported in main(): a first-call process must not start CUDA first


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


def library_path(folder, name, entry):
    """The library's file, joined once from the parts the device tool carried."""
    parts = [os.path.join(folder, p) for p in entry["library"]]
    if len(parts) == 1:
        return parts[0]
    path = os.path.join(folder, "cuda", "lib%s.so" % name)
    if not os.path.exists(path) or os.path.getsize(path) != sum(map(os.path.getsize, parts)):
        with open(path, "wb") as whole:
            for part in parts:
                whole.write(open(part, "rb").read())
    return path


class Library:
    def __init__(self, path, name):
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


def first_call(folder, name):
    """In this process (started for it): loads the library and runs it once
    on host tensors; prints the milliseconds of both and of a second run."""
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    entry = manifest["models"][name]
    work = os.path.join(folder, name)
    feeds = [np.load(os.path.join(work, f)) for _, f in entry["inputs"].items()]
    outputs = [np.empty_like(np.load(os.path.join(work, f))) for _, f in entry["reference"]]
    host_inputs = [(v.ctypes.data, v.shape, v.dtype) for v in feeds]
    host_outputs = [(v.ctypes.data, v.shape, v.dtype) for v in outputs]
    path = library_path(work, name, entry)
    begin = time.perf_counter()
    library = Library(path, name)
    loaded = time.perf_counter()
    library.call("_run", host_inputs, host_outputs)
    first = time.perf_counter()
    library.call("_run", host_inputs, host_outputs)
    second = time.perf_counter()
    print(json.dumps({"load_ms": (loaded - begin) * 1e3, "first_run_ms": (first - loaded) * 1e3,
                      "first_call_ms": (first - begin) * 1e3,
                      "second_run_ms": (second - first) * 1e3}))


def first_call_in_fresh_process(folder, name, force_ptx_jit):
    env = dict(os.environ, CUDA_CACHE_DISABLE="1")
    if force_ptx_jit:
        env["CUDA_FORCE_PTX_JIT"] = "1"
    result = subprocess.run([sys.executable, os.path.abspath(__file__), folder,
                             "--first-call", name], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("first call of %s: %s" % (name, result.stderr.strip()[-500:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


def kernel_profile(function, iters=5, top=12):
    """The kernels one call runs, by GPU time (torch.profiler, through CUPTI),
    as text lines: milliseconds per call, launches per call, name."""
    from torch.profiler import ProfilerActivity, profile
    function()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(iters):
            function()
        torch.cuda.synchronize()
    rows = []
    for event in prof.key_averages():
        us = getattr(event, "device_time_total", None)
        if us is None:
            us = getattr(event, "cuda_time_total", 0)
        if us > 0:
            rows.append((us / iters / 1e3, event.count / iters, event.key))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    lines = ["  GPU time per call %.3f ms in %d kernels%s" % (
        total, round(sum(r[1] for r in rows)), "; the largest:" if rows else "")]
    for ms, count, key in rows[:top]:
        lines.append("    %8.3f ms  %4.0fx  %s" % (ms, count, key[:90]))
    return lines


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
    parser.add_argument("--first-call", metavar="MODEL",
                        help="(internal) time loading MODEL and its first run in this process")
    parser.add_argument("--only", nargs="*", help="these models of the manifest")
    parser.add_argument("--profile", action="store_true",
                        help="list each model's kernels by GPU time (torch.profiler)")
    args = parser.parse_args()
    if args.first_call:
        first_call(args.folder, args.first_call)
        return
    global torch
    import torch as torch_module
    torch = torch_module
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    manifest = json.load(open(os.path.join(args.folder, "manifest.json")))
    device = torch.cuda.get_device_name(0)
    rows, results, failed = [], {"device": device, "models": {}}, False
    for name, entry in manifest["models"].items():
        if args.only and name not in args.only:
            continue
        folder = os.path.join(args.folder, name)
        path = library_path(folder, name, entry)
        result = results["models"][name] = {}
        if name == "matmul4096":
            library = Library(path, name)
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
        # Before this process touches the GPU for the model: fresh processes.
        result["first_call"] = first_call_in_fresh_process(args.folder, name, False)
        result["first_call_ptx_jit"] = first_call_in_fresh_process(args.folder, name, True)
        library = Library(path, name)
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
        peer = None
        if name == "resnet50":
            import torchvision
            peer = torchvision.models.resnet50().eval().cuda()
        elif name == "transformer":
            peer = torch.nn.TransformerEncoderLayer(
                768, 12, dim_feedforward=3072, dropout=0.0, activation="gelu",
                layer_norm_eps=1e-12, batch_first=True).eval().cuda()
        if peer is not None:
            x = torch.from_numpy(next(iter(feeds.values()))).cuda()
            with torch.no_grad():
                result["torch_ms"] = median_ms(lambda: peer(x), args.iters, cuda_events=True)
            line += "  PyTorch %.3f ms  dlc/PyTorch %.2f" % (
                result["torch_ms"], result["run_device_ms"] / result["torch_ms"])
        if args.profile:
            try:
                line += "\n" + "\n".join(kernel_profile(
                    lambda: library.call("_run_device", device_inputs, device_outputs)))
            except Exception as failure:  # the figures above stand without it
                line += "\n  (no kernel profile: %s)" % failure
        line += "\n%-12s first call %.0f ms (load %.0f, first run %.0f, second run %.1f); " \
                "with the PTX JIT-compiled: %.0f ms" % (
                    "", result["first_call"]["first_call_ms"], result["first_call"]["load_ms"],
                    result["first_call"]["first_run_ms"], result["first_call"]["second_run_ms"],
                    result["first_call_ptx_jit"]["first_call_ms"])
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
