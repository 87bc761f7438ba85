#!/usr/bin/env bash
# Stops the clickhouse-server that start.sh started in <folder>, by the PID it recorded:
# SIGTERM, then at most ~20 s of waiting, then SIGKILL.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 <folder>" >&2
  exit 2
fi
pidfile="$1/pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "stop.sh: pid $pid ignored SIGTERM for 20 s; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
fi
rm -f "$pidfile"
