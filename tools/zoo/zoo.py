#!/usr/bin/env python3
"""The model zoo: real architectures exported with both torch exporters,
compiled by dlc and checked against onnxruntime.

For every model of tools/zoo/models.py and each exporter (TorchScript at
opset 17, and torch's default dynamo exporter at its default opset):
  1. export the model (random seeded weights) to OUT/<model>/<exporter>.onnx;
  2. compile it with dlc at -O3 and at -O2, timing each compile and reading
     the compiler's peak memory (the child's max RSS);
  3. run both libraries and onnxruntime on the same seeded inputs and compare
     every output: relative L2 <= 1e-4 against onnxruntime passes, and the
     -O2 and -O3 outputs must agree to the same tolerance (an optimization
     that miscompiles shows itself even where onnxruntime is unavailable).
Prints one line per model and exporter and a summary; --markdown FILE writes
the table (docs/model-zoo.md). Exits non-zero when any check fails.

  zoo.py [--only NAME ...] [--exporter torchscript|dynamo] [--out DIR]
         [--dlc PATH] [--markdown FILE] [--levels O3,O2]
  zoo.py --export-ci tests/e2e/zoo
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOLERANCE = 1e-4
EXPORTERS = ("torchscript", "dynamo")


def export(name, exporter, path, table=None):
    """Exports the zoo model `name` (of MODELS, or `table`); returns
    {input name: array}."""
    import torch
    from models import MODELS
    torch.manual_seed(0)
    model, inputs = (table or MODELS)[name]()
    model.eval()
    names = list(inputs)
    args = tuple(inputs[n] for n in names)
    with torch.no_grad():
        if exporter == "torchscript":
            torch.onnx.export(model, args, path, dynamo=False, opset_version=17,
                              input_names=names, output_names=["output"])
        else:
            program = torch.onnx.export(model, args, dynamo=True, input_names=names,
                                        output_names=["output"])
            program.save(path)
    return {n: inputs[n].numpy() for n in names}


def opset_of(path):
    import onnx
    model = onnx.load(path, load_external_data=False)
    return max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


PEAK = re.compile(r"peak memory (\d+) MB")


def run_measured(args):
    """Runs `dlc compile ... -v`; returns (returncode, stderr, seconds, peak
    memory in MB). The peak is the compiler's own (its -v lines read
    /proc/self/status): a child's rusage would count the memory of this
    Python process, which it shares until exec."""
    start = time.monotonic()
    result = subprocess.run(args + ["-v"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    seconds = time.monotonic() - start
    peaks = [float(p) for p in PEAK.findall(result.stderr)]
    stderr = "\n".join(line for line in result.stderr.splitlines()
                       if not line.startswith("[dlc]"))
    return result.returncode, stderr, seconds, max(peaks, default=float("nan"))


def output_stem(name):
    stem = "".join(c if (c.isalnum() or c in "_-.") else "_" for c in name)
    return "_" + stem if (not stem or stem[0] == ".") else stem


def relative_l2(expected, actual):
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    norm = np.linalg.norm(expected)
    return float(np.linalg.norm(expected - actual) / (norm if norm > 0 else 1.0))


def check(dlc, path, inputs, work, levels):
    """Compiles `path` at each level, runs it and onnxruntime; returns a
    result dict (error set when anything failed)."""
    import onnx
    import onnxruntime
    result = {"opset": opset_of(path), "levels": {}}
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    output_names = [o.name for o in session.get_outputs()]
    expected = dict(zip(output_names, session.run(None, inputs)))
    graph_inputs = [i.name for i in onnx.load(path, load_external_data=False).graph.input]
    input_files = []
    for k, name in enumerate(n for n in graph_inputs if n in inputs):
        file = os.path.join(work, "input%d.npy" % k)
        np.save(file, inputs[name])
        input_files += ["--input", "%s=%s" % (name, file)]
    outputs = {}
    for level in levels:
        lib_dir = os.path.join(work, level)
        code, stderr, seconds, peak = run_measured(
            [dlc, "compile", path, "-o", lib_dir, "--name", "model", "-" + level])
        entry = {"compile_s": seconds, "peak_mb": peak}
        result["levels"][level] = entry
        if code != 0:
            result["error"] = "-%s compile failed: %s" % (level, stderr.strip()[:400])
            return result
        run_dir = os.path.join(work, "out_" + level)
        run = subprocess.run([dlc, "run", os.path.join(lib_dir, "libmodel.so"),
                              "--output-dir", run_dir] + input_files,
                             capture_output=True, text=True)
        if run.returncode != 0:
            result["error"] = "-%s run failed: %s" % (level, run.stderr.strip()[:400])
            return result
        outputs[level] = {}
        worst_l2, worst_abs = 0.0, 0.0
        for name, want in expected.items():
            got = np.load(os.path.join(run_dir, output_stem(name) + ".npy"))
            if got.shape != want.shape:
                result["error"] = "-%s output %s: shape %s, onnxruntime %s" % (
                    level, name, got.shape, want.shape)
                return result
            outputs[level][name] = got
            worst_l2 = max(worst_l2, relative_l2(want, got))
            worst_abs = max(worst_abs, float(np.max(np.abs(
                got.astype(np.float64) - want.astype(np.float64)), initial=0.0)))
        entry["rel_l2"], entry["max_abs"] = worst_l2, worst_abs
        if worst_l2 > TOLERANCE:
            result["error"] = "-%s differs from onnxruntime: relative L2 %.3g" % (level,
                                                                              worst_l2)
    if len(levels) > 1 and "error" not in result:
        first = outputs[levels[0]]
        for level in levels[1:]:
            gap = max(relative_l2(first[n], outputs[level][n]) for n in first)
            result["levels_gap"] = max(result.get("levels_gap", 0.0), gap)
            if gap > TOLERANCE:
                result["error"] = "-%s and -%s differ: relative L2 %.3g" % (
                    levels[0], level, gap)
    return result


def markdown(rows, levels, command):
    lines = [
        "# Model zoo",
        "",
        "Generated by `%s` on %s (%s, %d cores); do not edit by hand." % (
            command, datetime.date.today().isoformat(), platform.machine(), os.cpu_count()),
        "",
        "Real architectures with random seeded weights (tools/zoo/models.py: torchvision,",
        "timm and transformers; transformer configs are small), exported by torch's",
        "TorchScript exporter at opset 17 and by its default dynamo exporter, compiled",
        "by dlc at %s, run on the same inputs as onnxruntime and compared: a row" % (
            " and ".join("-" + level for level in levels)),
        "passes when every output is within relative L2 %g of onnxruntime at every" % TOLERANCE,
        "level and the levels agree with each other. Compile time is the wall time of",
        "`dlc compile` at -%s on this machine; memory is the compiler's peak RSS." % levels[0],
        "",
        "| model | exporter | opset | result | rel. L2 | max abs | compile s | peak MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        first = row.get("levels", {}).get(levels[0], {})
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            row["model"], row["exporter"], row.get("opset", "-"),
            "pass" if "error" not in row else "FAIL: " + row["error"].replace("|", "/")[:160],
            "%.2g" % first["rel_l2"] if "rel_l2" in first else "-",
            "%.2g" % first["max_abs"] if "max_abs" in first else "-",
            "%.1f" % first["compile_s"] if "compile_s" in first else "-",
            "%.0f" % first["peak_mb"] if "peak_mb" in first else "-"))
    passed = sum("error" not in row for row in rows)
    lines += ["", "%d of %d pass." % (passed, len(rows)), ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sys.path.insert(0, HERE)
    from models import MODELS
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), metavar="NAME",
                        help="models to run (default: all): " + ", ".join(MODELS))
    parser.add_argument("--exporter", choices=EXPORTERS, action="append")
    parser.add_argument("--out", default=os.path.expanduser("~/.cache/dlc/zoo"),
                        help="exported models and inputs are kept here (reused)")
    parser.add_argument("--dlc", default=os.path.join(ROOT, "bazel-bin", "tools", "dlc", "dlc"))
    parser.add_argument("--levels", default="O3,O2")
    parser.add_argument("--markdown", help="write the table here (docs/model-zoo.md)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--export-ci", metavar="DIR",
                        help="only export the small models of models.CI_MODELS (dynamo "
                        "exporter) to DIR/<name>.onnx, for tests/e2e/zoo")
    args = parser.parse_args()
    if args.export_ci:
        from models import CI_MODELS
        os.makedirs(args.export_ci, exist_ok=True)
        for name in CI_MODELS:
            path = os.path.join(args.export_ci, name + ".onnx")
            export(name, "dynamo", path, CI_MODELS)
            print("%s: %.1f MB, opset %d" % (path, os.path.getsize(path) / 1e6,
                                              opset_of(path)))
        return 0
    levels = args.levels.split(",")
    names = args.only or list(MODELS)
    exporters = args.exporter or list(EXPORTERS)
    rows = []
    for name in names:
        for exporter in exporters:
            row = {"model": name, "exporter": exporter}
            folder = os.path.join(args.out, name)
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, exporter + ".onnx")
            inputs_path = os.path.join(folder, exporter + ".inputs.npz")
            try:
                if not (os.path.exists(path) and os.path.exists(inputs_path)):
                    inputs = export(name, exporter, path)
                    np.savez(inputs_path, **inputs)
                inputs = dict(np.load(inputs_path))
            except Exception as error:
                row["error"] = "export failed: %s" % str(error).strip().splitlines()[-1][:200]
                traceback.print_exc(limit=2)
                rows.append(row)
                print("%-22s %-11s %s" % (name, exporter, row["error"]), flush=True)
                continue
            work = tempfile.mkdtemp(prefix="dlc-zoo-")
            try:
                row.update(check(args.dlc, path, inputs, work, levels))
            except Exception as error:
                row["error"] = "harness: %s" % error
            finally:
                shutil.rmtree(work, ignore_errors=True)
            rows.append(row)
            first = row.get("levels", {}).get(levels[0], {})
            print("%-22s %-11s opset %-3s %-5s rel.L2 %-9s max abs %-9s compile %6.1f s %6.0f MB%s"
                  % (name, exporter, row.get("opset", "-"),
                     "ok" if "error" not in row else "FAIL",
                     "%.2g" % first.get("rel_l2", float("nan")),
                     "%.2g" % first.get("max_abs", float("nan")),
                     first.get("compile_s", float("nan")), first.get("peak_mb", float("nan")),
                     "" if "error" not in row else "  " + row["error"]), flush=True)
    passed = sum("error" not in row for row in rows)
    print("\n%d passed, %d failed" % (passed, len(rows) - passed))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, levels, "tools/zoo.sh --markdown docs/model-zoo.md"))
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
