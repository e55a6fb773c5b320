#!/usr/bin/env python3
"""dlc against onnxruntime, side by side on this machine, in one run.

Prints one table: for each fp32 GEMM (N x N x N) and model, the median
latency of dlc and of onnxruntime (same inputs, same thread count), their
ratio (dlc / onnxruntime: below 1 is dlc faster) with its spread (the
lowest and highest ratio of one round's block medians), and for the GEMMs GFLOP/s
and the share of one core's measured FMA peak (tools/bench/fma_peak.c).
It also reports the compile time and peak compiler memory of ResNet-50 and
BERT-base (an encoder over token embeddings, batch 1, sequence 128).

With --int8, the models instead go through post-training quantization
(`dlc quantize`, minmax, on 8 random-input calibration samples) and the
table compares dlc fp32, dlc on the QDQ model and onnxruntime on the same
QDQ model (and its fp32), with the int8 output's error against fp32 and
dlc's largest difference from onnxruntime on the QDQ model, in steps of the
output's grid. BERT gets one more row, "(ort dynamic)": onnxruntime's
quantize_dynamic of it (int8 weights, DynamicQuantizeLinear + MatMulInteger)
run by dlc and by onnxruntime.

With --batch-sizes, the models are compiled once more with a symbolic batch
(dim 0 of input and output named `batch`; BERT-base's Reshapes copy dim 0),
and that one library is timed at each batch size against onnxruntime on the
same model, and at batch 1 against the static library too.

  tools/bench/bench.py [--iters N] [--threads T ...] [--only NAME ...] [--int8]
                       [--batch-sizes B ...] [--mcpu CPU]

--mcpu compiles dlc's libraries for another CPU than the host (haswell:
the AVX2 code an AVX2-only machine would run, timed on this one);
onnxruntime still dispatches its kernels for the host.

Run it after `tools/bazel.sh build //tools/dlc`; Python from the venv of
tools/install.sh (numpy, onnx, onnxruntime).
"""
import argparse
import ctypes
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import model_zoo  # noqa: E402

DLC = os.environ.get("DLC_BIN", os.path.join(ROOT, "bazel-bin", "tools", "dlc", "dlc"))
DLC_FLAGS = []  # extra `dlc compile` flags (--mcpu)


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def fma_peak(work):
    binary = os.path.join(work, "fma_peak")
    subprocess.run(["cc", "-O2", "-march=native", os.path.join(HERE, "fma_peak.c"), "-o",
                    binary], check=True)
    # The best of five: a shared machine's slow spells only ever lower it.
    best = 0.0
    for _ in range(5):
        out = subprocess.run([binary], capture_output=True, text=True).stdout
        best = max(best, float(re.search(r"fma_peak_gflops: ([0-9.]+)", out).group(1)))
    return best


def gemm_model(n):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm%d" % n,
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def compile_dlc(path, out_dir, name):
    """Compiles; returns (library, seconds, peak RSS of the compiler in MB)."""
    start = time.perf_counter()
    # A child of its own, so that its peak RSS is not mixed with others'.
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run(sys.argv[1:]).returncode; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r)")
    result = subprocess.run([sys.executable, "-c", probe, DLC, "compile", path, "-o", out_dir,
                             "--name", name] + DLC_FLAGS, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit("dlc compile %s failed:\n%s" % (path, result.stderr))
    peak_mb = int(result.stdout.split()[-1]) / 1024.0
    return os.path.join(out_dir, "lib%s.so" % name), seconds, peak_mb


# The C structures of runtime/include/dlc/runtime.h.
class CTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("rank", ctypes.c_int32), ("dtype", ctypes.c_int)]

class CTensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("dim_symbols", ctypes.POINTER(ctypes.c_char_p))]

class CModelInfo(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("num_inputs", ctypes.c_int32), ("inputs", ctypes.POINTER(CTensorInfo)),
                ("num_outputs", ctypes.c_int32), ("outputs", ctypes.POINTER(CTensorInfo)),
                ("entry", ctypes.c_void_p)]

class CStatus(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 512)]


class DlcLibrary:
    """A compiled model library called in this process through its C ABI
    (docs/runtime-abi.md): <N>_info, <N>_run and <N>_set_num_threads."""

    def __init__(self, path, name, inputs):
        self.lib = ctypes.CDLL(path)
        get_info = getattr(self.lib, name + "_info")
        get_info.restype = ctypes.POINTER(CModelInfo)
        info = get_info().contents
        self.run_fn = getattr(self.lib, name + "_run")
        self.threads_fn = getattr(self.lib, name + "_set_num_threads")
        self.keep = []  # arrays the tensors point into

        def tensor(array):
            array = np.ascontiguousarray(array)
            shape = (ctypes.c_int64 * max(array.ndim, 1))(*array.shape)
            self.keep += [array, shape]
            return CTensor(array.ctypes.data, shape, array.ndim, 1)

        self.inputs = (CTensor * info.num_inputs)(
            *[tensor(inputs[info.inputs[i].name.decode()]) for i in range(info.num_inputs)])
        outputs = []
        output_shape = getattr(self.lib, name + "_output_shape")
        status = CStatus()
        for i in range(info.num_outputs):
            out = info.outputs[i]
            # Dynamic dims (a symbolic batch) take the inputs' sizes.
            shape = (ctypes.c_int64 * max(out.rank, 1))()
            if output_shape(self.inputs, info.num_inputs, i, shape, ctypes.byref(status)) != 0:
                raise RuntimeError(status.message.decode())
            outputs.append(tensor(np.empty(list(shape)[:out.rank], np.float32)))
        self.outputs = (CTensor * info.num_outputs)(*outputs)
        self.num_inputs, self.num_outputs = info.num_inputs, info.num_outputs
        self.status = CStatus()

    def set_threads(self, threads):
        self.threads_fn(ctypes.c_int32(threads))

    def run(self):
        code = self.run_fn(self.inputs, self.num_inputs, self.outputs, self.num_outputs,
                           ctypes.byref(self.status))
        if code != 0:
            raise RuntimeError(self.status.message.decode())


def time_side_by_side(library, path, inputs, iters, threads, rounds=5, spread=False):
    """Median milliseconds of dlc and of onnxruntime over `iters` runs each,
    taken in alternating blocks (dlc, ort, ort, dlc, ...; `rounds` blocks a
    side) so that a slow spell of a shared machine falls on both. Runs within
    a block follow each other as in a serving loop. Before each block the
    machine rests for 0.2 s (onnxruntime's idle threads spin for about
    50 ms after a run, and would take a core from dlc), and the first run
    of the block is not counted (it wakes the side's threads). With
    `spread`, also returns the lowest and highest ratio dlc / onnxruntime of
    the blocks' medians, one ratio a round."""
    library.set_threads(threads)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    sides = [("dlc", library.run), ("ort", lambda: session.run(None, inputs))]
    times = {"dlc": [], "ort": []}
    ratios = []
    per_block = max(1, -(-iters // rounds))
    for block in range(rounds):
        medians = {}
        for side, run in (sides if block % 2 == 0 else sides[::-1]):
            time.sleep(0.2)
            run()
            block_times = []
            for _ in range(per_block):
                start = time.perf_counter()
                run()
                block_times.append((time.perf_counter() - start) * 1e3)
            times[side] += block_times
            medians[side] = statistics.median(block_times)
        ratios.append(medians["dlc"] / medians["ort"])
    result = (statistics.median(times["dlc"]), statistics.median(times["ort"]))
    return result + (min(ratios), max(ratios)) if spread else result


def time_alternating(sides, iters, rounds=5):
    """Median milliseconds of each (name, run) side over `iters` runs, in
    alternating blocks as time_side_by_side takes them."""
    times = {name: [] for name, _ in sides}
    per_block = max(1, -(-iters // rounds))
    for block in range(rounds):
        for name, run in (sides if block % 2 == 0 else sides[::-1]):
            time.sleep(0.2)
            run()
            for _ in range(per_block):
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(values) for name, values in times.items()}


def symbolic_batch(model, symbol="batch"):
    """The model with dim 0 of its inputs and outputs the symbol `symbol`."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for value in list(model.graph.input) + list(model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = symbol
    return model


def bench_batches(args, work, cases):
    """One library for every batch size (a symbolic batch) against
    onnxruntime at each size, and against the static batch-1 library."""
    rows = []
    for name, model, _ in cases:
        if name == "bert_base":  # its Reshapes copy dim 0, as exporters write them
            model = model_zoo.bert_encoder(layers=12, hidden=768, heads=12, seq=128,
                                           inter=3072, any_batch=True)
        static_path = os.path.join(work, name + ".onnx")
        dynamic_path = os.path.join(work, name + "_batch.onnx")
        onnx.save(model, static_path)
        onnx.save(symbolic_batch(model), dynamic_path)
        static_library, _, _ = compile_dlc(static_path, os.path.join(work, name), name)
        dynamic_library, _, _ = compile_dlc(dynamic_path, os.path.join(work, name + "_batch"),
                                            name + "_batch")
        for batch in args.batch_sizes:
            rng = np.random.RandomState(batch)
            inputs = {i.name: rng.randn(batch, *[d.dim_value for d in
                                                 i.type.tensor_type.shape.dim][1:])
                      .astype(np.float32) for i in model.graph.input}
            dynamic = DlcLibrary(dynamic_library, name + "_batch", inputs)
            static = DlcLibrary(static_library, name, inputs) if batch == 1 else None
            dynamic.run()
            expected = onnxruntime.InferenceSession(
                dynamic_path, providers=["CPUExecutionProvider"]).run(None, inputs)[0]
            got = np.ctypeslib.as_array(ctypes.cast(dynamic.outputs[0].data,
                                                    ctypes.POINTER(ctypes.c_float)),
                                        shape=expected.shape)
            error = float(np.linalg.norm(got - expected) / np.linalg.norm(expected))
            for threads in args.threads:
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                session = onnxruntime.InferenceSession(dynamic_path, options,
                                                       providers=["CPUExecutionProvider"])
                dynamic.set_threads(threads)
                sides = [("dynamic", dynamic.run), ("ort", lambda: session.run(None, inputs))]
                if static:
                    static.set_threads(threads)
                    sides.append(("static", static.run))
                medians = time_alternating(sides, args.iters)
                rows.append((name, batch, threads, medians["dynamic"], medians.get("static"),
                             medians["ort"], error))
    print()
    print("| model | batch | threads | dlc, one library ms | dlc static batch-1 ms | "
          "onnxruntime ms | dlc / ort | one library / static | rel. L2 vs ort |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, batch, threads, dynamic_ms, static_ms, ort_ms, error in rows:
        print("| %s | %d | %d | %.2f | %s | %.2f | %.2f | %s | %.1e |"
              % (name, batch, threads, dynamic_ms, "%.2f" % static_ms if static_ms else "-",
                 ort_ms, dynamic_ms / ort_ms,
                 "%.3f" % (dynamic_ms / static_ms) if static_ms else "-", error))


def random_inputs(model, seed):
    rng = np.random.RandomState(seed)
    return {i.name: rng.randn(*[d.dim_value for d in i.type.tensor_type.shape.dim])
            .astype(np.float32) for i in model.graph.input}


def output_step(path):
    """The grid step of the first output of a QDQ model (None if not quantized)."""
    model = onnx.load(path)
    producer = {o: n for n in model.graph.node for o in n.output}
    node = producer.get(model.graph.output[0].name)
    if node is None or node.op_type != "DequantizeLinear":
        return None
    scales = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    return float(scales[node.input[1]])


def bench_int8(args, work, cases):
    """dlc fp32, dlc int8 (QDQ) and onnxruntime int8 on the same QDQ model."""
    rows = []
    for name, model, _ in cases:
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        calibration = os.path.join(work, name + "-calibration")
        for k in range(8):
            os.makedirs(os.path.join(calibration, "%d" % k))
            for input_name, value in random_inputs(model, 100 + k).items():
                np.save(os.path.join(calibration, "%d" % k, input_name + ".npy"), value)
        qdq = os.path.join(work, name + ".int8.onnx")
        start = time.perf_counter()
        result = subprocess.run([DLC, "quantize", path, "--calibration", calibration, "-o", qdq,
                                 "--report"], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit("dlc quantize %s failed:\n%s" % (path, result.stderr))
        print("%s: dlc quantize %.1f s, %s" % (name, time.perf_counter() - start,
                                                result.stdout.strip().splitlines()[-1]))
        library, _, _ = compile_dlc(path, os.path.join(work, name), name)
        qlibrary, _, _ = compile_dlc(qdq, os.path.join(work, name + "_int8"), name + "_int8")
        inputs = random_inputs(model, 0)
        fp32_runner = DlcLibrary(library, name, inputs)
        int8_runner = DlcLibrary(qlibrary, name + "_int8", inputs)
        int8_runner.run()
        ours = np.ctypeslib.as_array(ctypes.cast(int8_runner.outputs[0].data,
                                                 ctypes.POINTER(ctypes.c_float)),
                                     shape=(int(np.prod(
                                         [int8_runner.outputs[0].shape[d]
                                          for d in range(int8_runner.outputs[0].rank)])),))
        session = onnxruntime.InferenceSession(qdq, providers=["CPUExecutionProvider"])
        reference = session.run(None, inputs)[0].reshape(-1)
        fp32 = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
            None, inputs)[0].reshape(-1)
        step = output_step(qdq)
        # On the output's grid when the output is quantized (at most one
        # step apart is agreement); else the relative L2 distance.
        if step:
            agreement = "%.2f steps" % (np.abs(ours - reference).max() / step)
        else:
            # Rounding differences flip grid steps that later layers carry
            # on; onnxruntime's own optimized and literal runs of the QDQ
            # graph show how far that goes.
            literal_options = onnxruntime.SessionOptions()
            literal_options.graph_optimization_level = (
                onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL)
            literal = onnxruntime.InferenceSession(
                qdq, literal_options, providers=["CPUExecutionProvider"]).run(
                    None, inputs)[0].reshape(-1)
            agreement = "rel. L2 %.1e (ort optimized vs literal: %.1e)" % (
                np.linalg.norm(ours - reference) / np.linalg.norm(reference),
                np.linalg.norm(literal - reference) / np.linalg.norm(reference))
        error = np.linalg.norm(reference - fp32) / np.linalg.norm(fp32)
        # BERT's matmuls also as onnxruntime's dynamic quantization writes
        # them (DynamicQuantizeLinear + MatMulInteger, int8 weights): the
        # format its docs recommend for transformers.
        dynamic = None
        if name.startswith("bert"):
            from onnxruntime.quantization import QuantType, quantize_dynamic
            dynamic_path = os.path.join(work, name + ".dynamic.onnx")
            quantize_dynamic(path, dynamic_path, weight_type=QuantType.QInt8)
            dynamic_library, _, _ = compile_dlc(dynamic_path, os.path.join(work, name + "_dyn"),
                                                name + "_dyn")
            dynamic_runner = DlcLibrary(dynamic_library, name + "_dyn", inputs)
            dynamic_runner.run()
            theirs = onnxruntime.InferenceSession(
                dynamic_path, providers=["CPUExecutionProvider"]).run(None, inputs)[0].reshape(-1)
            mine = np.ctypeslib.as_array(ctypes.cast(dynamic_runner.outputs[0].data,
                                                     ctypes.POINTER(ctypes.c_float)),
                                         shape=(theirs.size,))
            dynamic = (dynamic_path, dynamic_runner,
                       np.linalg.norm(theirs - fp32) / np.linalg.norm(fp32),
                       "rel. L2 %.1e" % (np.linalg.norm(mine - theirs) / np.linalg.norm(theirs)))
        for threads in args.threads:
            dlc_int8, ort_int8 = time_side_by_side(int8_runner, qdq, inputs, args.iters, threads)
            dlc_fp32, ort_fp32 = time_side_by_side(fp32_runner, path, inputs, args.iters,
                                                   threads)
            rows.append((name, threads, dlc_fp32, dlc_int8, ort_fp32, ort_int8, error,
                         agreement))
            if dynamic:
                dynamic_path, dynamic_runner, dynamic_error, dynamic_agreement = dynamic
                dlc_dyn, ort_dyn = time_side_by_side(dynamic_runner, dynamic_path, inputs,
                                                     args.iters, threads)
                rows.append((name + " (ort dynamic)", threads, dlc_fp32, dlc_dyn, ort_fp32,
                             ort_dyn, dynamic_error, dynamic_agreement))
    print()
    print("| model | threads | dlc fp32 ms | dlc int8 ms | ort fp32 ms | ort int8 ms | "
          "dlc int8 / dlc fp32 | dlc int8 / ort int8 | int8 rel. L2 vs fp32 | "
          "dlc vs ort int8 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, threads, dlc_fp32, dlc_int8, ort_fp32, ort_int8, error, agreement in rows:
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.4f | %s |"
              % (name, threads, dlc_fp32, dlc_int8, ort_fp32, ort_int8, dlc_int8 / dlc_fp32,
                 dlc_int8 / ort_int8, error, agreement))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=10)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="+", help="gemm512 gemm1024 gemm2048 resnet50 "
                        "mobilenet_v2 bert_base")
    parser.add_argument("--int8", action="store_true",
                        help="post-training int8 quantization: dlc fp32, dlc int8 and "
                        "onnxruntime int8 on the same QDQ model (the models only)")
    parser.add_argument("--batch-sizes", type=int, nargs="+",
                        help="compile each model once with a symbolic batch and time it at "
                        "these batch sizes against onnxruntime (and at batch 1 against the "
                        "static library)")
    parser.add_argument("--mcpu", help="compile dlc's libraries for this CPU (e.g. haswell: "
                        "AVX2 code on a newer host); onnxruntime still picks its kernels "
                        "for the host")
    args = parser.parse_args()
    if args.mcpu:
        DLC_FLAGS.append("--mcpu=" + args.mcpu)
    work = tempfile.mkdtemp(prefix="dlc-bench-")
    peak = fma_peak(work)
    print("machine: %s, %d cores; one-core fp32 FMA peak %.1f GFLOP/s (tools/bench/fma_peak.c, "
          "best of 5)"
          % (cpu_name(), os.cpu_count(), peak))
    print("onnxruntime %s; dlc %s%s; median of %d runs each, in 5 alternating blocks a side"
          % (onnxruntime.__version__, DLC, " " + " ".join(DLC_FLAGS) if DLC_FLAGS else "",
             -(-args.iters // 5) * 5))

    cases = [("gemm%d" % n, gemm_model(n), 2.0 * n ** 3) for n in (512, 1024, 2048)]
    cases += [("resnet50", model_zoo.resnet50(), None),
              ("mobilenet_v2", model_zoo.mobilenet_v2(), None),
              ("bert_base", model_zoo.bert_encoder(layers=12, hidden=768, heads=12, seq=128,
                                                   inter=3072), None)]
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    if args.int8:
        bench_int8(args, work, [c for c in cases if not c[0].startswith("gemm")])
        return
    if args.batch_sizes:
        bench_batches(args, work, [c for c in cases if not c[0].startswith("gemm")])
        return

    rows = []
    for name, model, flops in cases:
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        library, seconds, peak_mb = compile_dlc(path, os.path.join(work, name), name)
        if name in ("resnet50", "bert_base"):
            print("%s compile: %.1f s, peak compiler memory %.0f MB" % (name, seconds, peak_mb))
        rng = np.random.RandomState(0)
        inputs = {i.name: rng.randn(*[d.dim_value for d in i.type.tensor_type.shape.dim])
                  .astype(np.float32) for i in model.graph.input}
        runner = DlcLibrary(library, name, inputs)
        for threads in args.threads:
            dlc_ms, ort_ms, low, high = time_side_by_side(runner, path, inputs, args.iters,
                                                          threads, spread=True)
            rows.append((name, threads, dlc_ms, ort_ms, low, high, flops))

    print()
    print("| case | threads | dlc ms | onnxruntime ms | dlc / ort | spread across blocks "
          "| dlc GFLOP/s | % of 1-core peak |")
    print("|---|---|---|---|---|---|---|---|")
    for name, threads, dlc_ms, ort_ms, low, high, flops in rows:
        gflops = "%.1f" % (flops / dlc_ms / 1e6) if flops else "-"
        share = "%.0f %%" % (100 * flops / dlc_ms / 1e6 / peak) if flops and threads == 1 else "-"
        print("| %s | %d | %.3f | %.3f | %.2f | %.2f-%.2f | %s | %s |"
              % (name, threads, dlc_ms, ort_ms, dlc_ms / ort_ms, low, high, gflops, share))


if __name__ == "__main__":
    main()
