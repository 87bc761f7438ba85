#!/usr/bin/env bash
# ThreadSanitizer over the concurrent code: the instrumentation tests (threads starting
# spans, context hand-off, the batch processor's worker, a store read while appended), the
# mmap store's readers running alongside its writer, the alert monitor (a span listener
# called from many threads), the OTLP/HTTP exporter (its sending thread against a test
# server thread), replication (the replicator's sender threads against loopback replica
# servers and the writer waiting for acknowledgements), and the multi-threaded instrumented_app example.
set -euo pipefail
cd "$(dirname "$0")/../.."

compiler=${TSAN_CXX:-clang++}  # TSAN_CXX=g++ works as well
build=build/tsan-$(basename "$compiler")
# The instrumentation layer's runner holds most of them (its files compiled in batches); the
# others are built alone, as `unit-<feature>` programs.
runner=tests-instrument
alone=(unit-mmap-concurrent unit-alert unit-otlp-http-exporter unit-store-replication)

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER="$compiler" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -O1 -gline-tables-only" \
  -DTRACE_BUILD_EXAMPLES=ON -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL=OFF >/dev/null
cmake --build "$build" -j2 --target "$runner" "${alone[@]}" instrumented_app
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
for target in "$runner" "${alone[@]}"; do
  echo "-- $target under TSan"
  "$build/tests/$target"
done
echo "-- instrumented_app under TSan"
"$build/examples/instrumented_app" >/dev/null
