"""What tools/bench/nms.py and tools/bench/sort.py share: their flags, and
timing a dlc library against an onnxruntime session in alternating blocks
(`dlc bench --threads 1`, then session.run on one intra-op thread)."""
import argparse
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parser(description):
    """The flags both scripts take: --dlc, --blocks, --iters."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--dlc", default=os.path.join(ROOT, "bazel-bin", "tools", "dlc", "dlc"))
    result.add_argument("--blocks", type=int, default=5)
    result.add_argument("--iters", type=int, default=10)
    return result


def time_alternating(dlc, library, files, session, feeds, blocks, iters):
    """The medians, in ms, of `blocks` alternating blocks of `iters` runs of
    dlc (`dlc bench LIBRARY FILES`) and of the onnxruntime session."""
    dlc_ms, ort_ms = [], []
    for _ in range(blocks):
        out = subprocess.run([dlc, "bench", library, *files, "--iters", str(iters),
                              "--warmup", "1", "--threads", "1"],
                             check=True, capture_output=True, text=True).stdout
        dlc_ms.append(float(out.split("median:")[1].split()[0]))
        session.run(None, feeds)
        times = []
        for _ in range(iters):
            start = time.perf_counter()
            session.run(None, feeds)
            times.append((time.perf_counter() - start) * 1e3)
        ort_ms.append(statistics.median(times))
    return statistics.median(dlc_ms), statistics.median(ort_ms)
