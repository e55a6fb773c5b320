#!/usr/bin/env bash
# Installs what dlc needs on Debian 12, skipping what is already there:
# Debian packages (LLVM/MLIR 19, Bazel, ONNX, protobuf, GoogleTest, ONNX test
# data) and a Python venv with the test packages. Safe to run again.
set -euo pipefail

DEBIAN_PACKAGES=(
  g++ python3 python3-venv
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  bazel-bootstrap bazel-rules-java bazel-platforms
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler libgtest-dev
  graphviz
)
VENV="${DLC_VENV:-$HOME/.cache/dlc/venv}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[install] Debian packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[install] Python venv at $VENV" >&2
  python3 -m venv "$VENV"
fi
stamp="$VENV/.dlc-requirements"
if ! cmp -s "$HERE/requirements.txt" "$stamp" 2>/dev/null; then
  echo "[install] Python packages: $(grep -v '^#' "$HERE/requirements.txt" | tr '\n' ' ')" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$stamp"
fi

# The onnx wheel's node tests, written out as backend-test folders beside the
# venv's onnx (tools/conformance, //tests/e2e:onnx_node).
"$VENV/bin/python" "$HERE/conformance/write_wheel_node_cases.py" "$VENV/onnx-wheel-node"
