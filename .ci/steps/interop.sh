#!/usr/bin/env bash
# Interop and fuzzing for include/trace/io:
#  1. regenerate tests/data/otel-js-sdk.json with the OpenTelemetry JS SDK and require it
#     unchanged (the C++ tests read the committed copy, so they run without npm);
#  2. export that file again with the library (examples/convert) and load the export with the
#     SDK's generated protobuf definitions: encode, decode, compare;
#  3. run each libFuzzer target briefly over its seed corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "interop: node/npm missing, installing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi

echo "-- OpenTelemetry JS SDK: regenerate the fixture and compare"
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
node tests/interop/generate.mjs > "$work/otel-js-sdk.json"
if ! cmp -s "$work/otel-js-sdk.json" tests/data/otel-js-sdk.json; then
  diff -u tests/data/otel-js-sdk.json "$work/otel-js-sdk.json" | head -40
  echo "interop: the SDK's output differs from tests/data/otel-js-sdk.json" >&2
  exit 1
fi

echo "-- the library's OTLP JSON export through the SDK's protobuf definitions"
cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_BENCH=OFF >/dev/null
cmake --build "$work/build" -j2 --target convert >/dev/null
"$work/build/examples/convert" tests/data/otel-js-sdk.json "$work/export.json" --to otlp
node tests/interop/verify.mjs "$work/export.json"

echo "-- libFuzzer targets, ${TRACE_FUZZ_SECONDS:-20}s each"
cmake -S fuzz -B "$work/fuzz" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$work/fuzz" -j2 >/dev/null
for target in json otlp otlp_protobuf jaeger zipkin; do
  mkdir -p "$work/corpus-$target"
  if ! "$work/fuzz/fuzz_$target" -max_total_time="${TRACE_FUZZ_SECONDS:-20}" -timeout=10 \
      "$work/corpus-$target" "fuzz/corpus/$target" >"$work/fuzz-$target.log" 2>&1; then
    tail -60 "$work/fuzz-$target.log"
    echo "interop: fuzz_$target failed" >&2
    exit 1
  fi
  echo "fuzz_$target: $(grep -E '^Done' "$work/fuzz-$target.log")"
done
