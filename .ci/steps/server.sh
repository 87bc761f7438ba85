#!/usr/bin/env bash
# trace-server end to end (docs/SERVER.md), every server on 127.0.0.1, started and stopped by
# its own PID with bounded waits:
#  1. bad flags are refused with exit 2 and a message naming the flag;
#  2. ingest with curl: protobuf, JSON, gzip; keep-alive and pipelining; a partly invalid
#     request is a 200 with partial_success and its valid span stored; bad input (malformed
#     protobuf and JSON, wrong content type, oversized body, header flood, a request that
#     never finishes, path traversal) gets its status and the server keeps serving;
#  3. the library's own OTLP/HTTP exporter (examples/instrumented_app) exports to it;
#  4. /metrics, a snapshot on SIGUSR1 and on POST /api/snapshot, exit 0 on SIGTERM; then the
#     OpenTelemetry JS SDK's exporters (http/protobuf, http/json) export to fresh servers and
#     every field the SDK set is in the store (read back with tracectl) and comes back from
#     the query routes (Tempo's /api/v2/traces/{id} whole, Jaeger's /api/traces/{id});
#  5. kill -9 under load from server-bench, restart: every acknowledged span is there and
#     tracectl check finds nothing corrupt;
#  6. disk budget on a 64 MiB tmpfs (root only): 503 with Retry-After, then 200 once space frees;
#  7. server-bench for 2 s: the store holds exactly the acknowledged spans.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  mountpoint -q "$work/tmpfs" 2>/dev/null && umount "$work/tmpfs"
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "server: FAILED: $*" >&2
  [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2
  exit 1
}

source .ci/lib/apt.sh
for tool in curl node npm; do  # node 20 may come with its own npm, not Debian's package
  command -v $tool >/dev/null || apt_install "$([ $tool = node ] && echo nodejs || echo $tool)"
done

# The README's build (preset test) has the programs already.
[ -d build/test ] || cmake --preset test >/dev/null
cmake --build build/test -j2 --target trace-server tracectl instrumented_app >/dev/null
server=build/test/examples/trace-server/trace-server
tracectl=build/test/examples/tracectl/tracectl
if [ ! -x build/bench-smoke/bench/server-bench ]; then
  cmake --preset bench-smoke >/dev/null
  cmake --build build/bench-smoke -j2 --target server-bench >/dev/null
fi
bench=build/bench-smoke/bench/server-bench

# start_server DATA [flags...]: sets $pid and $url once the server answers /ready.
start_server() {
  local data=$1
  shift
  "$server" --data-path "$data" --listen 127.0.0.1:0 "$@" >"$work/server.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/server.log")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "trace-server exited at start: $(cat "$work/server.log")"
    sleep 0.1
  done
  [ -n "$port" ] || fail "trace-server did not start listening in 10 s"
  url=http://127.0.0.1:$port
  curl -sf "$url/ready" >/dev/null || fail "/ready does not answer"
}
# stop_server: SIGTERM, then it must exit 0 within 10 s.
stop_server() {
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "trace-server still running 10 s after SIGTERM"
  local status=0
  wait "$pid" || status=$?
  [ "$status" = 0 ] || fail "trace-server exited $status after SIGTERM"
}
# post TYPE FILE [curl args...]: prints the HTTP status.
post() {
  local type=$1 file=$2
  shift 2
  curl -s -o "$work/body" -w '%{http_code}' -H "Content-Type: $type" --data-binary "@$file" "$@" "$url/v1/traces"
}
expect() {  # expect WHAT GOT WANTED
  [ "$2" = "$3" ] || fail "$1: got $2, expected $3 (body: $(head -c 300 "$work/body" 2>/dev/null))"
  echo "ok: $1 -> $2"
}
span_count() {  # span_count STORE: spans in a stopped server's store
  "$tracectl" export --store "$1" --to csv | tail -n +2 | wc -l
}

echo "-- 1. flags"
for bad in "--listen nowhere" "--max-disk-usage 150%" "--flush-timeout 1" "--max-body 0" "--frobnicate 1" "--ttl"; do
  status=0
  # shellcheck disable=SC2086
  timeout 10 "$server" --data-path "$work/flags" $bad >"$work/out" 2>&1 || status=$?
  [ "$status" = 2 ] || fail "trace-server $bad exited $status, expected 2"
  grep -q -- "${bad%% *}" "$work/out" || fail "trace-server $bad: the message does not name the flag"
  echo "ok: '$bad' refused: $(head -1 "$work/out")"
done
status=0
timeout 10 "$server" >"$work/out" 2>&1 || status=$?
[ "$status" = 2 ] && grep -q "data-path is required" "$work/out" || fail "no --data-path: exited $status, $(head -1 "$work/out")"

echo "-- 2. ingest with curl and bad input"
start_server "$work/data" --max-body 1MiB --read-timeout 2s
pb=fuzz/corpus/otlp_protobuf/library-shop.pb
json=fuzz/corpus/otlp/sdk.json
expect "protobuf" "$(post application/x-protobuf $pb)" 200
expect "JSON" "$(post application/json $json)" 200
[ "$(cat "$work/body")" = "{}" ] || fail "JSON answer is $(cat "$work/body")"
gzip -c "$json" >"$work/sdk.json.gz"
expect "gzip JSON" "$(post application/json "$work/sdk.json.gz" -H 'Content-Encoding: gzip')" 200
head -c 100 $pb >"$work/cut.pb"
expect "malformed protobuf" "$(post application/x-protobuf "$work/cut.pb")" 400
echo '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":' >"$work/bad.json"
expect "malformed JSON" "$(post application/json "$work/bad.json")" 400
grep -q '"message":"the request body is not a valid ExportTraceServiceRequest' "$work/body" || fail "no Status message: $(cat "$work/body")"
# Partial success: of three spans, one ends before it starts and one has an all-zero span id.
good='"traceId":"5b8efff798038103d269b633813fc60c","startTimeUnixNano":"1700000000000000000"'
printf '{"resourceSpans":[{"scopeSpans":[{"spans":[{%s,"spanId":"eee19b7ec3c1b174","endTimeUnixNano":"1700000000000000005"},{%s,"spanId":"eee19b7ec3c1b175","endTimeUnixNano":"1"},{%s,"spanId":"0000000000000000","endTimeUnixNano":"1700000000000000005"}]}]}]}' \
  "$good" "$good" "$good" >"$work/partial.json"
expect "partly invalid JSON" "$(post application/json "$work/partial.json")" 200
grep -q '"partialSuccess":{"rejectedSpans":"2","errorMessage":"2 of 3 spans refused; the first, span #1: ' "$work/body" ||
  fail "no partialSuccess naming span #1: $(cat "$work/body")"
[ "$(curl -s "$url/api/v2/traces/5b8efff798038103d269b633813fc60c" | grep -o '"spanId"' | wc -l)" = 1 ] || fail "the valid span of the partial success is not stored"
expect "wrong content type" "$(post text/plain $json)" 415
head -c 2000000 /dev/zero >"$work/big"
expect "oversized body" "$(post application/x-protobuf "$work/big")" 413
gzip -c "$work/big" >"$work/big.gz"
expect "gzip bomb (small body, large inflated)" "$(post application/x-protobuf "$work/big.gz" -H 'Content-Encoding: gzip')" 413
flood=$(head -c 100000 /dev/zero | tr '\0' a)
status=$(curl -s -o "$work/body" -w '%{http_code}' -H "X-Flood: $flood" "$url/ready")
expect "header flood" "$status" 431
for target in "/../../etc/passwd" "/static/..%2f..%2fetc%2fpasswd" "/api/traces/..%2f..%2f..%2fetc%2fpasswd"; do
  status=$(curl -s --path-as-is -o "$work/body" -w '%{http_code}' "$url$target")
  grep -q "root:" "$work/body" && fail "path traversal $target served a system file"
  [ "$status" -ge 400 ] || fail "path traversal $target answered $status"
  echo "ok: path traversal $target -> $status"
done
# A request that never finishes: headers started, never ended. The server drops it after
# --read-timeout (2 s) and answers others meanwhile.
exec 3<>"/dev/tcp/127.0.0.1/${url##*:}"
printf 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100\r\n\r\nabc' >&3
expect "another client while one stalls" "$(post application/x-protobuf $pb)" 200
if timeout 6 cat <&3 >"$work/stalled"; then echo "ok: the stalled connection was closed by the server"; else fail "the stalled connection was still open after 6 s"; fi
exec 3<&-
# Keep-alive: two requests, one connection.
curl -sv -o /dev/null -o /dev/null "$url/ready" "$url/api/echo" 2>"$work/verbose"
grep -qi "re-using existing connection" "$work/verbose" || fail "keep-alive: the connection was not reused"
echo "ok: keep-alive"
# Pipelining: two requests in one write, two answers in order.
exec 3<>"/dev/tcp/127.0.0.1/${url##*:}"
printf 'GET /ready HTTP/1.1\r\nHost: x\r\n\r\nGET /api/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
timeout 5 cat <&3 >"$work/pipelined" || true
exec 3<&-
[ "$(grep -c '^HTTP/1.1 200' "$work/pipelined")" = 2 ] && grep -q 'ready' "$work/pipelined" && grep -q 'echo' "$work/pipelined" ||
  fail "pipelining: $(cat "$work/pipelined")"
echo "ok: pipelining"
expect "still serving after bad input" "$(curl -s -o /dev/null -w '%{http_code}' "$url/ready")" 200

echo "-- the query pages from the running server, in headless Chromium"
expect "shop sample" "$(post application/json examples/tracectl/sample/shop.otlp.json)" 200
python3 tests/html/check_query_pages.py "$url" 005a000000000000000000000000003d payments

echo "-- 3. the library's OTLP/HTTP exporter"
build/test/examples/instrumented_app --otlp-endpoint "$url" >"$work/app.log" 2>&1 || fail "instrumented_app: $(tail -5 "$work/app.log")"
app_spans=$(curl -s "$url/metrics" | sed -n 's/^trace_server_spans_received_total //p')
[ "$app_spans" -gt 100 ] || fail "instrumented_app's spans did not arrive ($app_spans acknowledged in all)"
echo "ok: instrumented_app exported to the server ($app_spans spans acknowledged in all)"

echo "-- 4. metrics, snapshots, graceful stop"
curl -s "$url/metrics" >"$work/metrics"
grep -q '^trace_server_spans_received_total [1-9]' "$work/metrics" || fail "metrics: no spans received"
grep -q '^trace_server_http_requests_total{code="413"} 2' "$work/metrics" || fail "metrics: 413s not counted"
grep -q '^trace_server_ingest_latency_seconds_count [1-9]' "$work/metrics" || fail "metrics: no latency histogram"
echo "ok: /metrics"
curl -sf -X POST "$url/api/snapshot" | grep -q '"snapshot"' || fail "POST /api/snapshot"
kill -USR1 "$pid"
for _ in $(seq 50); do grep -q "snapshot in" "$work/server.log" && break; sleep 0.1; done
grep -q "snapshot in" "$work/server.log" || fail "no snapshot on SIGUSR1"
[ "$(ls "$work/data/snapshots" | wc -l)" = 2 ] || fail "expected 2 snapshots"
echo "ok: snapshots"
received=$(sed -n 's/^trace_server_spans_received_total //p' "$work/metrics")
stop_server
stored=$(span_count "$work/data")
[ "$stored" -ge "$received" ] || fail "the store holds $stored spans, $received were acknowledged"
echo "ok: stopped with exit 0; $stored spans stored, $received acknowledged"

echo "-- the OpenTelemetry JS SDK's exporters, http/protobuf and http/json: every field stored and served"
# The interop step installs the same pinned packages just before; only a lone run needs npm ci.
[ -d tests/interop/node_modules/@opentelemetry/exporter-trace-otlp-proto ] ||
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
cmake --build build/test -j2 --target convert >/dev/null
build/test/examples/convert tests/data/otel-js-sdk.json "$work/sdk-expected.json" --to otlp
for protocol in http/protobuf http/json; do
  data="$work/sdk-${protocol#http/}"
  start_server "$data"
  node tests/interop/server-export.mjs "$url" "$protocol" || fail "the JS SDK could not export over $protocol"
  node tests/interop/server-check.mjs "$work/sdk-expected.json" --server "$url" ||
    fail "the spans the JS SDK sent over $protocol differ in /tempo/api/v2/traces or /api/traces"
  stop_server
  "$tracectl" export --store "$data" --to otlp >"$work/sdk-actual.json"
  node tests/interop/server-check.mjs "$work/sdk-expected.json" "$work/sdk-actual.json" ||
    fail "the spans the JS SDK sent over $protocol differ in the store"
done

echo "-- retention: --ttl drops sealed segments of old spans (the sample's spans are from the past)"
start_server "$work/ttl" --ttl 10s --segment-size 64KiB
for _ in $(seq 80); do [ "$(post application/x-protobuf $pb)" = 200 ] || fail "ingest with --ttl"; done
metrics=$(curl -s "$url/metrics")
acked=$(echo "$metrics" | sed -n 's/^trace_server_spans_received_total //p')
kept=$(echo "$metrics" | sed -n 's/^trace_server_store_spans //p')
stop_server
[ "$kept" -lt "$acked" ] || fail "retention: all $acked spans kept"
echo "ok: retention kept $kept of $acked old spans (the active log's)"

echo "-- 5. kill -9 under load, then restart"
start_server "$work/crash"
"$bench" --url "$url" --clients 4 --seconds 20 --batch 50 --acked "$work/acked" >"$work/bench.log" 2>&1 &
bench_pid=$!
pids+=("$bench_pid")
for _ in $(seq 100); do [ "$(wc -l <"$work/acked" 2>/dev/null || echo 0)" -ge 40 ] && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
wait "$bench_pid" || fail "server-bench: $(cat "$work/bench.log")"
acked=$(awk '{n += $2} END {print n + 0}' "$work/acked")
[ "$acked" -gt 0 ] || fail "no batch was acknowledged before the kill"
start_server "$work/crash"
stop_server
stored=$(span_count "$work/crash")
[ "$stored" -ge "$acked" ] || fail "after kill -9: $stored spans stored, $acked acknowledged"
shuf -n 20 --random-source=<(yes) "$work/acked" | while read -r trace spans; do
  got=$("$tracectl" export --store "$work/crash" --to csv --trace "$trace" | tail -n +2 | wc -l)
  [ "$got" = "$spans" ] || fail "acknowledged trace $trace: $got of $spans spans after kill -9"
done
"$tracectl" check --store "$work/crash" >"$work/check" || fail "tracectl check after kill -9: $(cat "$work/check")"
echo "ok: kill -9: $acked spans acknowledged, $stored stored, 20 sampled traces whole, check clean"

echo "-- 6. disk budget"
if [ "$(id -u)" = 0 ] && mkdir -p "$work/tmpfs" && mount -t tmpfs -o size=64m tmpfs "$work/tmpfs" 2>/dev/null; then
  start_server "$work/tmpfs/store" --segment-size 1MiB --max-disk-usage 50%
  expect "under the budget" "$(post application/x-protobuf $pb)" 200
  head -c 40000000 /dev/zero >"$work/tmpfs/filler"
  status=$(curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' -H "Content-Type: application/x-protobuf" \
    --data-binary "@$pb" "$url/v1/traces")
  expect "over the budget" "$status" 503
  grep -qi '^retry-after: [0-9]' "$work/headers" || fail "503 without Retry-After"
  rm "$work/tmpfs/filler"
  expect "space freed" "$(post application/x-protobuf $pb)" 200
  received=$(curl -s "$url/metrics" | sed -n 's/^trace_server_spans_received_total //p')
  stop_server
  stored=$(span_count "$work/tmpfs/store")
  [ "$stored" = "$received" ] || fail "disk budget: $stored spans stored, $received acknowledged"
  echo "ok: disk budget: 503 with Retry-After while full, nothing lost ($stored spans)"
  umount "$work/tmpfs"
else
  echo "server: disk budget SKIPPED: not root or cannot mount a tmpfs"
fi
echo "-- 7. server-bench, briefly (a debug server: the figures are a smoke test, docs/SERVER.md has real ones)"
"$bench" --server "$server" --clients 4 --seconds 2 --batch 100 || fail "server-bench: the store does not hold the acknowledged spans"
echo "server: passed"
