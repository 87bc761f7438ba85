#pragma once
// trace-server as a liaison (--backend clickhouse://...): no store of its own. OTLP ingest
// becomes one INSERT per request into the span table (the Distributed one with a cluster),
// answered 200 once ClickHouse acknowledged it; the query routes and the comment routes are
// the standalone server's, run on a clickhouse_store, whose filters, TraceQL candidates and
// aggregates are pushed down to the servers. Routes that need the mmap store (snapshots)
// answer 501 naming why. docs/SERVER.md, "Liaison".

#include "server_options.hpp"

namespace trace_server {

// Creates the tables when missing, then serves until SIGTERM or SIGINT. Returns main's exit
// status: 0 after a graceful shutdown, 3 when ClickHouse cannot be reached or refuses the
// tables, 1 when the server cannot listen.
int run_liaison(const server_options& options);

}  // namespace trace_server
