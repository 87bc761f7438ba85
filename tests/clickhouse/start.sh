#!/usr/bin/env bash
# Starts one clickhouse-server for the tests, on 127.0.0.1 only:
#   start.sh <folder> <http port> <tcp port> <interserver port> <shard1 tcp port> <shard2 tcp port>
# Writes <folder>/config.xml from server.xml.in, keeps data and logs in <folder>, records the
# server's PID in <folder>/pid, and waits (at most ~30 s) until the HTTP interface answers.
set -euo pipefail
if [ $# -ne 6 ]; then
  echo "usage: $0 <folder> <http port> <tcp port> <interserver port> <shard1 tcp port> <shard2 tcp port>" >&2
  exit 2
fi
dir=$(mkdir -p "$1" && cd "$1" && pwd)
http_port=$2
here=$(cd "$(dirname "$0")" && pwd)
server=$(command -v clickhouse-server || true)
if [ -z "$server" ]; then
  echo "start.sh: no clickhouse-server binary on PATH" >&2
  exit 3
fi
if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
  echo "start.sh: a server from $dir already runs (pid $(cat "$dir/pid"))" >&2
  exit 4
fi
mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
sed -e "s|@DIR@|$dir|g" -e "s|@HTTP_PORT@|$2|g" -e "s|@TCP_PORT@|$3|g" -e "s|@INTERSERVER_PORT@|$4|g" \
    -e "s|@SHARD1_TCP_PORT@|$5|g" -e "s|@SHARD2_TCP_PORT@|$6|g" "$here/server.xml.in" >"$dir/config.xml"

# True when the HTTP interface answers /ping with "Ok.".
ping_server() (
  exec 3<>"/dev/tcp/127.0.0.1/$http_port"
  printf 'GET /ping HTTP/1.0\r\n\r\n' >&3
  grep -q "Ok." <&3
)

"$server" --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
pid=$!
echo "$pid" >"$dir/pid"
for _ in $(seq 1 150); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: clickhouse-server exited during start-up; its log:" >&2
    tail -n 20 "$dir/server.err.log" "$dir/stdout.log" >&2 2>/dev/null || true
    rm -f "$dir/pid"
    exit 1
  fi
  if ping_server 2>/dev/null; then
    echo "clickhouse-server pid $pid answers on http://127.0.0.1:$http_port"
    exit 0
  fi
  sleep 0.2
done
echo "start.sh: clickhouse-server pid $pid did not answer on port $http_port within 30 s; stopping it" >&2
kill "$pid" 2>/dev/null || true
rm -f "$dir/pid"
exit 1
