#!/usr/bin/env bash
# Interop and fuzzing for include/trace/io:
#  1. regenerate tests/data/otel-js-sdk.json with the OpenTelemetry JS SDK and require it
#     unchanged (the C++ tests read the committed copy, so they run without npm);
#  2. export that file again with the library (examples/convert) and load the export with the
#     SDK's generated protobuf definitions: encode, decode, compare;
#  3. OTLP protobuf both ways: the SDK's protobuf encoding (regenerated, compared with the
#     committed tests/data/otel-js-sdk.pb) read by the library must give the same export as
#     the SDK's JSON; the library's protobuf read by the SDK must equal the library's JSON
#     field for field and re-encode byte for byte; protoc (Debian's protobuf-compiler, an
#     independent implementation) must decode it without unknown fields and re-encode it to
#     the same bytes;
#  4. Parquet: the library's export read by hyparquet and DuckDB (tests/interop/parquet.mjs:
#     every column, GROUP BY service, percentiles against tracectl stats), DuckDB's COPY of it
#     read by the library as the same spans, tracectl import of the export;
#  5. run each libFuzzer target briefly over its seed corpus (fuzz_store: the mmap store's
#     files, fuzz_server_request: the OTLP/HTTP receiver, fuzz_http_response: the OTLP/HTTP
#     exporter's reading of server answers, fuzz_replication: the replica's reading of the replication
#     stream; not include/trace/io, but run the same way; fuzz_otlp_logs: the OTLP logs
#     protobuf decoder into the log store and its body index; fuzz_comment_routes: the
#     server's comment routes and their JSON bodies; fuzz_record_files: comments.log and
#     logs.log holding well-framed records of any bytes, torn and flipped; fuzz_logs_json: the
#     OTLP logs JSON / JSON Lines reader and the plain JSON Lines logs reader; fuzz_database_catalog:
#     the database's CATALOG file under a valid checksum).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source .ci/lib/apt.sh
apt_install protobuf-compiler
source .ci/lib/node-packages.sh
node_packages  # already done by bench-smoke when it ran first

echo "-- OpenTelemetry JS SDK: regenerate the fixture and compare"
node tests/interop/generate.mjs > "$work/otel-js-sdk.json"
if ! cmp -s "$work/otel-js-sdk.json" tests/data/otel-js-sdk.json; then
  diff -u tests/data/otel-js-sdk.json "$work/otel-js-sdk.json" | head -40
  echo "interop: the SDK's output differs from tests/data/otel-js-sdk.json" >&2
  exit 1
fi

echo "-- the library's OTLP JSON export through the SDK's protobuf definitions"
# The README's build (preset test, optimised) already has convert; build it alone otherwise.
convert=build/test/examples/convert
if [ ! -x "$convert" ]; then
  cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$work/build" -j2 --target convert >/dev/null
  convert="$work/build/examples/convert"
fi
"$convert" tests/data/otel-js-sdk.json "$work/export.json" --to otlp
node tests/interop/verify.mjs "$work/export.json"

echo "-- OTLP protobuf: the SDK's bytes read by the library, the library's bytes read by the SDK and protoc"
node tests/interop/protobuf.mjs encode > "$work/otel-js-sdk.pb"
if ! cmp -s "$work/otel-js-sdk.pb" tests/data/otel-js-sdk.pb; then
  echo "interop: the SDK's protobuf differs from tests/data/otel-js-sdk.pb" >&2
  exit 1
fi
"$convert" tests/data/otel-js-sdk.pb "$work/from-pb.json" --to otlp
if ! cmp -s "$work/from-pb.json" "$work/export.json"; then
  diff -u "$work/export.json" "$work/from-pb.json" | head -40
  echo "interop: the SDK's protobuf reads differently from its JSON" >&2
  exit 1
fi
for input in tests/data/otel-js-sdk.json examples/tracectl/sample/shop.otlp.json; do
  name=$(basename "$input" .json)
  "$convert" "$input" "$work/$name.pb" --to otlp-proto
  "$convert" "$input" "$work/$name.export.json" --to otlp
  node tests/interop/protobuf.mjs check "$work/$name.pb" "$work/$name.export.json"
  proto=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest
  protoc --decode=$proto -I ../shared/conformance/otlp-proto opentelemetry/proto/collector/trace/v1/trace_service.proto \
    < "$work/$name.pb" > "$work/$name.txt"
  if grep -qE '^ *[0-9]+[:{ ]' "$work/$name.txt"; then
    grep -nE '^ *[0-9]+[:{ ]' "$work/$name.txt" | head
    echo "interop: protoc sees fields unknown to OTLP in the library's $name.pb" >&2
    exit 1
  fi
  protoc --encode=$proto -I ../shared/conformance/otlp-proto opentelemetry/proto/collector/trace/v1/trace_service.proto \
    < "$work/$name.txt" > "$work/$name.again.pb"
  cmp "$work/$name.pb" "$work/$name.again.pb"
  echo "protoc: $name.pb decodes ($(grep -c '^ *spans {' "$work/$name.txt") spans) and re-encodes byte for byte"
done
grep -q 'flags: 257' "$work/otel-js-sdk.txt" && grep -q 'name: "GET /checkout"' "$work/otel-js-sdk.txt" &&
  grep -q 'trace_state: "vendor=abc,other=1"' "$work/otel-js-sdk.txt" ||
  { echo "interop: protoc's text of otel-js-sdk.pb lacks expected fields" >&2; exit 1; }

echo "-- Parquet: the library's files read by hyparquet and DuckDB, DuckDB's file read by the library"
tracectl=build/test/examples/tracectl/tracectl
if [ ! -x "$tracectl" ]; then
  cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$work/build" -j2 --target tracectl >/dev/null
  tracectl="$work/build/examples/tracectl/tracectl"
fi
"$tracectl" import examples/tracectl/sample/shop.otlp.json tests/data/otel-js-sdk.json --store "$work/pq" --quiet >/dev/null
# Small row groups, so that readers cross row-group boundaries.
"$tracectl" export --store "$work/pq" --to parquet --row-group-rows 64 -o "$work/spans.parquet"
"$tracectl" export --store "$work/pq" --to otlp -o "$work/spans.otlp.json"
"$tracectl" stats --store "$work/pq" --by service --json > "$work/stats.json"
node tests/interop/parquet.mjs check "$work/spans.parquet" "$work/spans.otlp.json" "$work/stats.json"
node tests/interop/parquet.mjs rewrite "$work/spans.parquet" "$work/duckdb.parquet"
"$convert" "$work/spans.parquet" "$work/ours.json" --to otlp
"$convert" "$work/duckdb.parquet" "$work/duckdb.json" --to otlp
if ! cmp -s "$work/ours.json" "$work/duckdb.json"; then
  diff -u "$work/ours.json" "$work/duckdb.json" | head -40
  echo "interop: DuckDB's rewrite of the spans reads differently from the library's file" >&2
  exit 1
fi
echo "DuckDB's Parquet file (COPY ... TO) reads back as the same spans"
"$tracectl" import "$work/spans.parquet" --store "$work/pq-again" --quiet >/dev/null
"$tracectl" export --store "$work/pq-again" --to otlp -o "$work/again.otlp.json"
cmp "$work/spans.otlp.json" "$work/again.otlp.json"
echo "tracectl import of the Parquet export gives the same store"

echo "-- libFuzzer targets, ${TRACE_FUZZ_SECONDS:-20}s each (the HTTP layers 10s), two at a time"
# Three programs, each one translation unit holding a group of targets; fuzz_<target> is a
# link to its group's program and runs that target alone (fuzz/CMakeLists.txt).
cmake -S fuzz -B "$work/fuzz" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$work/fuzz" -j2 >/dev/null
fuzz() {
  local target=$1 seconds=${TRACE_FUZZ_SECONDS:-20} tmp=${TMPDIR:-/tmp}
  # The HTTP layers: their decoders and queries have targets of their own, 10 s covers them;
  # parquet: its metadata and pages are small formats, checked byte by byte in unit-parquet too;
  # replication: 24-byte frame headers and one batch decoder, as small; otlp_logs: one
  # message on the spans decoder's cursor, which otlp_protobuf fuzzes for its 20 s.
  # comment_routes and record_files: a few routes over one JSON reader (fuzzed for its own 20 s),
  # and two small record decoders behind checksummed framing.
  # logs_json: two small readers over the JSON reader; database_catalog: a few text lines.
  if [[ $target =~ ^(server_request|http_response|query_routes|parquet|replication|otlp_logs|comment_routes|record_files|logs_json|database_catalog)$ ]] && [ "$seconds" -gt 10 ]; then seconds=10; fi
  if [[ $target =~ ^(store|record_files|database_catalog)$ ]] && [ -w /dev/shm ]; then tmp=/dev/shm; fi  # they write files (and sync them): more runs on a RAM disk
  mkdir -p "$work/corpus-$target"
  if ! TMPDIR="$tmp" "$work/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      "$work/corpus-$target" "fuzz/corpus/$target" >"$work/fuzz-$target.log" 2>&1; then
    tail -60 "$work/fuzz-$target.log"
    echo "interop: fuzz_$target failed" >&2
    return 1
  fi
  echo "fuzz_$target: $(grep -E '^Done' "$work/fuzz-$target.log")"
}
running=0
for target in json otlp otlp_protobuf otlp_logs jaeger zipkin parquet query store server_request http_response query_routes \
    comment_routes record_files replication logs_json database_catalog; do
  if [ "$running" -ge 2 ]; then
    wait -n
    running=$((running - 1))
  fi
  fuzz "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n
  running=$((running - 1))
done
