#!/usr/bin/env bash
# CI's fixed-seed smoke run of the fuzz target: every model of Debian's ONNX
# node suite and 16 mutants of each (about 16,000 inputs, under a minute).
set -euo pipefail
replay="$1"
# First the inputs the fuzzer once crashed on (tools/fuzz.sh findings).
"$replay" --mutations=0 "$(dirname "$0")/regressions"
suite=/usr/share/libonnx-testdata/data/node
seeds=("$suite"/*/model.onnx)
[ "${#seeds[@]}" -gt 50 ] || { echo "too few seed models under $suite"; exit 1; }
"$replay" --seed=16 --mutations=16 --timeout=60 "${seeds[@]}"
