#!/usr/bin/env bash
# Builds the benchmarks and runs trace-bench at a small size so that it cannot rot.
# Reports figures; asserts none (trace-bench fails only when answers disagree).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --workflow --preset bench
./build/bench/bench/trace-bench --smoke
