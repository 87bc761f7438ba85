#!/usr/bin/env bash
# Builds the benchmarks and runs each at a small size so that they cannot rot.
# Reports figures; asserts none (trace-bench and append-new-bench fail only when answers
# disagree, trace-bench's with DuckDB's too, otlp-http-bench when a span did not arrive).
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib/node-packages.sh
node_packages  # DuckDB for trace-bench --duckdb (this step runs before interop, which reuses them)
cmake --workflow --preset bench-smoke
./build/bench-smoke/bench/trace-bench --smoke --duckdb   # DuckDB: ~6 s on a busy 2-core machine (node, 2 loads, 100 lookups)
./build/bench-smoke/bench/memory-store-bench --smoke   # ~1 s: answers checked against the plain scans
./build/bench-smoke/bench/analytics-bench 200000
./build/bench-smoke/bench/regex-bench --smoke
./build/bench-smoke/bench/traceql-bench --smoke
./build/bench-smoke/bench/append-new-bench 20000 1
./build/bench-smoke/bench/scale-bench --smoke   # the mmap store at 20k and 100k spans: trace filter, window, reopen
./build/bench-smoke/bench/seal-bench --smoke   # ~1 s: durable ingest beside the memory store, sealed bytes by part (exit 2: spans lost)
./build/bench-smoke/bench/parquet-bench --smoke
./build/bench-smoke/bench/io-bench --smoke
./build/bench-smoke/bench/instrument-bench --smoke   # our side only: opentelemetry-cpp is built only when asked
./build/bench-smoke/bench/otlp-http-bench 20000
./build/bench-smoke/bench/replication-bench failover --smoke   # 5 kill -9s of a replicating primary, ~1 s
./build/bench-smoke/bench/replication-bench rate --smoke       # 20 durable batches per mode, ~2 s
