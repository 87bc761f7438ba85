#!/usr/bin/env bash
# The ClickHouse store against real servers: installs clickhouse-server when missing,
# starts two servers on 127.0.0.1 from tests/clickhouse/server.xml.in (data under the build
# tree, non-default ports), runs the single-server and the two-shard cluster tests, then
# trace-server as a liaison in front of the cluster beside a standalone one (each started
# and stopped by the test program itself), and stops the servers by their PIDs however the
# run ends. The main ctest run does not need
# ClickHouse: these two programs are not registered with it.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib/apt.sh
apt_install clickhouse-server clickhouse-client

build=build/test  # the README's build tree; the test programs are built on request
servers=$PWD/build/clickhouse/servers
http1=${TRACE_CH_HTTP1:-18123} tcp1=${TRACE_CH_TCP1:-19000} inter1=${TRACE_CH_INTER1:-19009}
http2=${TRACE_CH_HTTP2:-18124} tcp2=${TRACE_CH_TCP2:-19001} inter2=${TRACE_CH_INTER2:-19010}

[ -d "$build" ] || cmake --preset test >/dev/null
# One target depending on the three test programs and trace-server (tests/CMakeLists.txt):
# named one by one, make would build them one after another.
cmake --build "$build" -j"${TRACE_CI_JOBS:-2}" --target clickhouse-programs

stop_servers() {
  tests/clickhouse/stop.sh "$servers/shard1" || true
  tests/clickhouse/stop.sh "$servers/shard2" || true
}
trap stop_servers EXIT
stop_servers  # a server left by an interrupted run
rm -rf "$servers"
tests/clickhouse/start.sh "$servers/shard1" "$http1" "$tcp1" "$inter1" "$tcp1" "$tcp2"
tests/clickhouse/start.sh "$servers/shard2" "$http2" "$tcp2" "$inter2" "$tcp1" "$tcp2"

echo "-- one server"
TRACE_CLICKHOUSE_URL="http://127.0.0.1:$http1" "$build/tests/unit-clickhouse-server"
echo "-- two shards behind a Distributed table"
TRACE_CLICKHOUSE_SHARDS="http://127.0.0.1:$http1,http://127.0.0.1:$http2" TRACE_CLICKHOUSE_CLUSTER=trace_two_shards \
  "$build/tests/unit-clickhouse-cluster"
echo "-- trace-server as a liaison in front of the cluster, beside a standalone one"
TRACE_SERVER_BIN="$PWD/$build/examples/trace-server/trace-server" \
  TRACE_CLICKHOUSE_SHARDS="http://127.0.0.1:$http1,http://127.0.0.1:$http2" TRACE_CLICKHOUSE_CLUSTER=trace_two_shards \
  "$build/tests/unit-clickhouse-liaison"
