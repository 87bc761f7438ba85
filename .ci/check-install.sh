#!/usr/bin/env bash
# Installs trace into a temporary prefix and builds tests/find-package/ against it, then
# builds the same consumer with add_subdirectory.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake -S . -B "$work/build" -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_EXAMPLES=OFF -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL=ON >/dev/null
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
cmake -S tests/find-package -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
cmake -S tests/find-package -B "$work/subdir" -DTRACE_SOURCE_DIR="$PWD" >/dev/null
cmake --build "$work/subdir" >/dev/null
"$work/subdir/consumer"
