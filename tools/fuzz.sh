#!/usr/bin/env bash
# Fuzzes dlc with libFuzzer, AddressSanitizer and UBSan: ONNX model bytes ->
# importer (and ONNX's checker) -> graph pipeline -> loop pipeline, the
# target in tests/fuzz/ImportFuzzer.cpp.
#
#   tools/fuzz.sh [MINUTES]     (default 10)
#
# Builds the target with clang-19 (installed from Debian when missing) in an
# output base of its own, seeds the corpus with the models of both ONNX node
# suites, runs for MINUTES and prints the executions and what was found.
# Corpus: ~/.cache/dlc/fuzz/corpus (kept between runs); crashes, timeouts and
# out-of-memory inputs: ~/.cache/dlc/fuzz/artifacts. Replay one with
# `tools/fuzz.sh --replay FILE`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
for package in clang-19 libclang-rt-19-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

work="$HOME/.cache/dlc/fuzz"
mkdir -p "$work/corpus" "$work/artifacts" "$HOME/.cache/dlc/bazel-disk"
bazel_fuzz() {
  CC=clang-19 CXX=clang++-19 bazel --output_base="$HOME/.cache/dlc/bazel-fuzz" "$@"
}
# --symlink_prefix=/: the workspace's bazel-bin stays gcc's.
bazel_fuzz build --disk_cache="$HOME/.cache/dlc/bazel-disk" --config=fuzz \
  --symlink_prefix=/ //tests/fuzz:import_fuzzer >&2
fuzzer="$(bazel_fuzz info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz/import_fuzzer"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [ "${1:-}" = "--replay" ]; then
  shift
  exec "$fuzzer" "$@"
fi
minutes="${1:-10}"

# Seeds: every model of Debian's and the onnx wheel's node suites.
if [ -z "$(ls -A "$work/corpus")" ]; then
  venv_cases="${DLC_VENV:-$HOME/.cache/dlc/venv}/onnx-wheel-node"
  for model in /usr/share/libonnx-testdata/data/node/*/model.onnx \
               "$venv_cases"/*/model.onnx; do
    [ -f "$model" ] || continue
    cp "$model" "$work/corpus/seed-$(basename "$(dirname "$model")").onnx"
  done
fi
echo "[fuzz] $(ls "$work/corpus" | wc -l) inputs in the corpus; $minutes minutes" >&2
before=$(ls "$work/artifacts" | wc -l)
set +e
# -fork=1: a crash, timeout or out-of-memory input is saved and the run goes
# on, so that one run reports everything it finds in its time.
"$fuzzer" "$work/corpus" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
  -ignore_ooms=1 -max_total_time=$((minutes * 60)) -timeout=30 \
  -rss_limit_mb=6144 -malloc_limit_mb=6144 -max_len=262144 \
  -artifact_prefix="$work/artifacts/" 2>&1 |
  tee "$work/last-run.log" | grep -E "^#[0-9]+:|ERROR|SUMMARY|crash|INFO: exiting" >&2
status=${PIPESTATUS[0]}
set -e
# The fork loop's last status line ("#N: cov: ... exec/s: ...") counts the
# executions of all its jobs.
executions=$(grep -oE "^#[0-9]+:" "$work/last-run.log" | tail -1 | tr -d '#:' ||
  echo "?")
[ -n "$executions" ] || executions="?"
found=$(( $(ls "$work/artifacts" | wc -l) - before ))
echo "[fuzz] $executions executions in $minutes minutes; corpus $(ls "$work/corpus" | wc -l) inputs; $found new finding(s) in $work/artifacts (fuzzer exit $status)"
[ "$status" -eq 0 ] && [ "$found" -eq 0 ]
