#!/usr/bin/env bash
# The example: installs what is missing, builds dlc, compiles the bundled
# model examples/small_cnn.onnx, builds the C program examples/main.c
# against the generated header and library, and runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/install.sh
tools/bazel.sh build //tools/dlc
out="out/example"
rm -rf "$out"
echo "+ dlc compile examples/small_cnn.onnx -o $out"
bazel-bin/tools/dlc/dlc compile examples/small_cnn.onnx -o "$out" --verbose
ls -l "$out"
echo "+ cc examples/main.c -I$out -L$out -lsmall_cnn"
cc -std=c11 -Wall -Werror examples/main.c -I"$out" -L"$out" -lsmall_cnn \
  -Wl,-rpath,"$PWD/$out" -lm -o "$out/example_app"
echo "+ $out/example_app"
"$out/example_app"
echo "+ dlc bench $out/libsmall_cnn.so"
bazel-bin/tools/dlc/dlc bench "$out/libsmall_cnn.so" --iters 50
