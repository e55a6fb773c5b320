#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs `bazel test //...`
# (GoogleTest units, the lit suite, the end-to-end tests) and ends with one
# line "N passed, N failed", counted over the individual test cases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/install.sh || { echo "install failed"; echo "0 passed, 1 failed"; exit 1; }
VENV="${DLC_VENV:-$HOME/.cache/dlc/venv}"

tools/bazel.sh test //... --test_env=DLC_VENV="$VENV" "$@"
status=$?

# Only this run's targets count: bazel-testlogs keeps the results of targets
# since removed or renamed.
targets="$(mktemp)"
trap 'rm -f "$targets"' EXIT
bazel query 'tests(//...) except attr("tags", "manual", tests(//...))' \
  > "$targets" 2>/dev/null || : > "$targets"

# Bazel exits 1 when something did not build, 3 when tests failed.
if [ -s "$targets" ]; then
  "$VENV/bin/python" tools/count_test_results.py bazel-testlogs "$status" "$targets"
else
  "$VENV/bin/python" tools/count_test_results.py bazel-testlogs "$status"
fi
