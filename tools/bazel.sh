#!/usr/bin/env bash
# Runs Bazel with the shared disk cache (reused across clones and CI runs).
set -euo pipefail
mkdir -p "$HOME/.cache/dlc/bazel-disk"
command="$1"
shift
exec bazel "$command" --disk_cache="$HOME/.cache/dlc/bazel-disk" "$@"
