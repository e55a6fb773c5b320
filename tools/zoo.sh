#!/usr/bin/env bash
# The model zoo (tools/zoo/zoo.py): installs torch, torchvision, timm and
# transformers in their own venv (~/.cache/dlc/zoo-venv, several GB: the main
# test suite does not need them), builds dlc, then exports every zoo model
# with both torch exporters, compiles it with dlc and checks it against
# onnxruntime. Arguments go to zoo.py (--only NAME..., --markdown FILE, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/install.sh
ZOO_VENV="${DLC_ZOO_VENV:-$HOME/.cache/dlc/zoo-venv}"
if [ ! -x "$ZOO_VENV/bin/python" ]; then
  echo "[zoo] Python venv at $ZOO_VENV" >&2
  python3 -m venv "$ZOO_VENV"
fi
stamp="$ZOO_VENV/.dlc-requirements"
if ! cmp -s tools/zoo/requirements.txt "$stamp" 2>/dev/null; then
  echo "[zoo] Python packages (torch and its CUDA wheels: a few GB)" >&2
  "$ZOO_VENV/bin/pip" install -q --disable-pip-version-check -r tools/zoo/requirements.txt
  cp tools/zoo/requirements.txt "$stamp"
fi
tools/bazel.sh build //tools/dlc
exec "$ZOO_VENV/bin/python" tools/zoo/zoo.py "$@"
