#!/usr/bin/env bash
# ThreadSanitizer over the concurrent code: the instrumentation tests (threads starting
# spans, context hand-off, the batch processor's worker, a store read while appended), the
# mmap store's readers running alongside its writer, the alert monitor (a span listener
# called from many threads), the OTLP/HTTP exporter (its sending thread against a test
# server thread), replication (the replicator's sender threads against loopback replica
# servers and the writer waiting for acknowledgements), the multi-threaded instrumented_app
# example, and trace-server: concurrent ingest from several clients (its group-commit writer
# thread, the HTTP threads) with queries, /metrics and a snapshot while it ingests, then a
# graceful stop on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/../.."

compiler=${TSAN_CXX:-clang++}  # TSAN_CXX=g++ works as well
build=build/tsan-$(basename "$compiler")
# One runner holds them all (tests/CMakeLists.txt, tests-concurrent), compiled as one batch.
# Ninja builds the three programs side by side (make would build one after another).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER="$compiler" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -O1 -gline-tables-only" \
  -DTRACE_BUILD_EXAMPLES=ON -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL=OFF >/dev/null
cmake --build "$build" -j2 --target tests-concurrent instrumented_app trace-server
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
echo "-- tests-concurrent under TSan"
"$build/tests/tests-concurrent"
echo "-- instrumented_app under TSan"
"$build/examples/instrumented_app" >/dev/null

echo "-- trace-server under TSan: 6 clients ingesting, queries meanwhile, SIGTERM"
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$build/examples/trace-server/trace-server" --data-path "$work/data" \
  --listen 127.0.0.1:0 --threads 4 --flush-timeout 50ms >"$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/server.log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "trace-server under TSan did not listen in 20 s"; exit 1; }
url=http://127.0.0.1:$port
client() {  # client N: 10 batches, protobuf and JSON in turn, each answered 200
  for i in $(seq 10); do
    if [ $((i % 2)) = 0 ]; then type=application/json file=fuzz/corpus/otlp/sdk.json
    else type=application/x-protobuf file=fuzz/corpus/otlp_protobuf/library-shop.pb; fi
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: $type" --data-binary "@$file" "$url/v1/traces")
    [ "$status" = 200 ] || { echo "client $1 batch $i: $status"; return 1; }
  done
}
clients=()
for n in $(seq 6); do client "$n" & clients+=($!); done
for _ in $(seq 5); do  # readers while the writer appends
  for target in /api/services /api/search/tags /api/traces?service=shop "/api/search?q=%7B%7D" /metrics; do
    curl -s -o /dev/null "$url$target"
  done
done
curl -sf -X POST "$url/api/snapshot" >/dev/null
for c in "${clients[@]}"; do wait "$c"; done
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [ "$status" != 0 ] || grep -q "ThreadSanitizer" "$work/server.log"; then
  cat "$work/server.log"
  echo "trace-server under TSan: exit $status"
  exit 1
fi
echo "ok: trace-server under TSan: 60 batches from 6 clients with queries meanwhile, exit 0, no report"
