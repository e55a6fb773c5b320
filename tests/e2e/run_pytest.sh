#!/usr/bin/env bash
# Runs end-to-end pytest files with the test venv; the first argument is the
# dlc binary, the rest are the test files.
set -euo pipefail
VENV="${DLC_VENV:-$HOME/.cache/dlc/venv}"
DLC_BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
export DLC_BIN
shift
cd "$(dirname "${BASH_SOURCE[0]}")"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
  --basetemp="${TEST_TMPDIR:-/tmp}/pytest" \
  --junitxml="${XML_OUTPUT_FILE:-/dev/null}" "$@"
