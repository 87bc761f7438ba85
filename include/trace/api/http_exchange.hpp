#pragma once
// One HTTP request and its answer, as plain values: the routes of the server (ingest, the
// Jaeger and Tempo query APIs, the pages) are functions from `http_request` to
// `http_response`, testable and fuzzable without sockets; the server program only moves
// these values between a connection and the functions.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trace {
inline namespace v0 {
namespace api {

namespace detail {
inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace detail

using header_list = std::vector<std::pair<std::string, std::string>>;

// The first value of a header, by case-insensitive name; empty when absent.
inline std::string_view find_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers)
    if (detail::equals_ignoring_case(key, name)) return value;
  return {};
}

struct http_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as sent: "/api/traces?service=shop&limit=20"
  header_list headers;
  std::string body;    // already decompressed when the request was gzip

  std::string_view header(std::string_view name) const noexcept { return find_header(headers, name); }
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  header_list headers;  // beyond Content-Type and Content-Length, e.g. Retry-After
};

}  // namespace api
}  // namespace v0
}  // namespace trace
