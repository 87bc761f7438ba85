#!/usr/bin/env bash
# tracectl's waterfall page in a real browser: headless Chromium renders the page written by
# `tracectl html`, and tests/html/check_waterfall.py checks the bars in its DOM and screenshot.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib/apt.sh
apt_install chromium

# The README's build (preset test) already has tracectl; build it alone otherwise.
tracectl=build/test/examples/tracectl/tracectl
if [ ! -x "$tracectl" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cmake -S . -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DTRACE_BUILD_TESTS=OFF -DTRACE_BUILD_BENCH=OFF >/dev/null
  cmake --build "$work/build" -j2 --target tracectl >/dev/null
  tracectl="$work/build/examples/tracectl/tracectl"
fi

python3 tests/html/check_waterfall.py "$tracectl" examples/tracectl/sample/shop.otlp.json 005a000000000000000000000000003d
