#pragma once
// A ClickHouse backend named by one URL, as trace-server's --backend takes it:
//
//   clickhouse://HOST[:PORT]/DATABASE[?table=NAME][&cluster=NAME&shards=HOST:PORT,HOST:PORT...]
//                                     [&user=NAME][&password=TEXT]
//
// PORT is the server's HTTP interface (default 8123). With `cluster`, `table` is the
// Distributed table over `<table>_local` on each shard; `shards` lists the shards' HTTP
// endpoints (ClickHouse 18.16 without ZooKeeper has no ON CLUSTER statements, so the tables
// are created on each shard in turn). Values may be percent-encoded (%40 for '@').
//
//   trace::clickhouse_options o = trace::clickhouse::parse_backend_url("clickhouse://127.0.0.1:8123/traces");
//
// A URL that cannot be used throws `error(errc::invalid_option)` quoting the URL and naming
// the part that is wrong.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/store/clickhouse.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

inline constexpr std::string_view backend_url_scheme = "clickhouse://";

clickhouse_options parse_backend_url(std::string_view url);

// ---------------------------------------------------------------------------------------

namespace detail {

[[noreturn]] inline void bad_backend_url(std::string_view url, const std::string& why) {
  throw error(errc::invalid_option, "backend \"" + std::string(url) + "\": " + why +
                                        " (expected clickhouse://HOST[:PORT]/DATABASE[?table=...&cluster=...&shards=...])");
}

inline std::string backend_url_decode(std::string_view url, std::string_view text, std::string_view part) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 2 < text.size() ? digit(text[i + 1]) : -1;
    const int low = high >= 0 ? digit(text[i + 2]) : -1;
    if (low < 0) bad_backend_url(url, "a malformed percent-escape in " + std::string(part));
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// HOST or HOST:PORT; ClickHouse's HTTP port 8123 when the port is left out.
inline http_endpoint backend_endpoint(std::string_view url, std::string_view text, std::string_view part) {
  if (text.empty()) bad_backend_url(url, std::string(part) + " is empty");
  http_endpoint e;
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    e.host = std::string(text);
    return e;
  }
  std::uint32_t port = 0;
  const std::string_view digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (colon == 0 || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
    bad_backend_url(url, std::string(part) + " \"" + std::string(text) + "\" is not HOST:PORT with a port from 1 to 65535");
  e.host = std::string(text.substr(0, colon));
  e.port = static_cast<std::uint16_t>(port);
  return e;
}

}  // namespace detail

inline clickhouse_options parse_backend_url(std::string_view url) {
  using detail::bad_backend_url;
  if (!url.starts_with(backend_url_scheme)) {
    const auto colon = url.find("://");
    bad_backend_url(url, colon == std::string_view::npos ? std::string("no scheme")
                                                         : "scheme \"" + std::string(url.substr(0, colon)) +
                                                               "\" is not one this server knows (clickhouse)");
  }
  std::string_view rest = url.substr(backend_url_scheme.size());
  const auto question = rest.find('?');
  const std::string_view parameters = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  rest = rest.substr(0, question);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) bad_backend_url(url, "no /DATABASE after the host");
  clickhouse_options o;
  o.server = detail::backend_endpoint(url, rest.substr(0, slash), "the host");
  o.database = detail::backend_url_decode(url, rest.substr(slash + 1), "the database");
  if (o.database.empty()) bad_backend_url(url, "the database name is empty");
  if (o.database.find('/') != std::string::npos) bad_backend_url(url, "the path has more than one part: only /DATABASE");

  for (std::size_t from = 0; from < parameters.size();) {
    const std::size_t amp = std::min(parameters.find('&', from), parameters.size());
    const std::string_view pair = parameters.substr(from, amp - from);
    from = amp + 1;
    const auto equals = pair.find('=');
    const std::string name(pair.substr(0, equals));
    if (equals == std::string_view::npos) bad_backend_url(url, "parameter \"" + name + "\" has no value (name=value)");
    const std::string value = detail::backend_url_decode(url, pair.substr(equals + 1), "parameter \"" + name + "\"");
    if (value.empty()) bad_backend_url(url, "parameter \"" + name + "\" is empty");
    if (name == "table") o.table = value;
    else if (name == "cluster") o.cluster = value;
    else if (name == "user") o.user = value;
    else if (name == "password") o.password = value;
    else if (name == "shards") {
      for (std::size_t at = 0; at <= value.size();) {
        const std::size_t comma = std::min(value.find(',', at), value.size());
        o.shards.push_back(detail::backend_endpoint(url, std::string_view(value).substr(at, comma - at), "a shard"));
        at = comma + 1;
      }
    } else {
      bad_backend_url(url, "unknown parameter \"" + name + "\" (known: table, cluster, shards, user, password)");
    }
  }
  if (!o.cluster.empty() && o.shards.size() < 2)
    bad_backend_url(url, "cluster \"" + o.cluster + "\" needs shards=HOST:PORT,HOST:PORT...: the HTTP endpoints of its shards, two or more");
  if (o.cluster.empty() && !o.shards.empty()) bad_backend_url(url, "shards are given without the cluster that names them");
  return o;
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
