#!/usr/bin/env bash
# Analytics: the alert monitor (a span listener called from many threads) under
# ThreadSanitizer, and analytics-bench at a small size so that it cannot rot. Reports
# figures; asserts none.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build/analytics-tsan
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="${TSAN_CXX:-g++}" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -O1" \
  -DTRACE_BUILD_EXAMPLES=OFF -DTRACE_BUILD_BENCH=OFF -DTRACE_INSTALL=OFF >/dev/null
cmake --build "$build" -j2 --target unit-alert
echo "-- unit-alert under TSan"
TSAN_OPTIONS="halt_on_error=1" "$build/tests/unit-alert"

echo "-- analytics-bench (smoke: 200k spans)"
mkdir -p build/analytics-bench
g++ -std=c++20 -O2 -DNDEBUG -Wall -Wextra -Wpedantic -Werror -Iinclude bench/analytics_bench.cpp \
  -o build/analytics-bench/analytics-bench
build/analytics-bench/analytics-bench 200000
