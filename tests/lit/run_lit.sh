#!/usr/bin/env bash
# Runs the lit suite with the built dlc-opt and dlc (passed as arguments).
set -euo pipefail
tool_dirs=""
for tool in "$@"; do
  tool_dirs="${tool_dirs:+$tool_dirs:}$(cd "$(dirname "$tool")" && pwd)"
done
export DLC_TOOL_DIRS="$tool_dirs"
export DLC_LIT_EXEC_ROOT="${TEST_TMPDIR:-/tmp}/lit"
exec python3 /usr/lib/llvm-19/build/utils/lit/lit.py -v \
  --xunit-xml-output="${XML_OUTPUT_FILE:-/dev/null}" \
  "$(dirname "${BASH_SOURCE[0]}")"
