#pragma once
// The ClickHouse store talks to its servers with the library's HTTP/1.1 client
// (trace/net/http_client.hpp); these are its names in the `clickhouse` namespace.

#include "trace/net/http_client.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

using net::http_client;
using net::http_endpoint;
using net::http_header;
using net::http_response;
using net::parse_http_endpoint;

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
