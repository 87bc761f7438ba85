#!/usr/bin/env bash
# Builds the benchmarks and runs each at a small size so that they cannot rot.
# Reports figures; asserts none (trace-bench and append-new-bench fail only when answers
# disagree, otlp-http-bench when a span did not arrive).
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --workflow --preset bench
./build/bench/bench/trace-bench --smoke
./build/bench/bench/analytics-bench 200000
./build/bench/bench/regex-bench --smoke
./build/bench/bench/traceql-bench --smoke
./build/bench/bench/append-new-bench 20000 1
./build/bench/bench/parquet-bench --smoke
./build/bench/bench/io-bench --smoke
./build/bench/bench/otlp-http-bench 20000
