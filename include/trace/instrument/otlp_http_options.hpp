#pragma once
// Configuration of the OTLP/HTTP span exporter (otlp_http_exporter.hpp): in code, through
// `otlp_http_options`, and from OpenTelemetry's standard environment variables through
// `otlp_http_options_from_env`, where a signal-specific variable wins over the general one:
//
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   full URL, used as is
//   OTEL_EXPORTER_OTLP_ENDPOINT          base URL; "/v1/traces" is appended
//   OTEL_EXPORTER_OTLP[_TRACES]_HEADERS  "key=value,key2=value2", percent-decoded
//   OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT  milliseconds per request
//   OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL http/protobuf (default) | http/json
//   OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION none (default) | gzip (needs TRACE_WITH_ZLIB)
//
// A value that cannot be used is refused with `error(errc::invalid_option)` naming the
// variable and quoting the value; `grpc` is refused as unsupported rather than ignored.

#include <chrono>
#include <cstddef>
#include <cstdlib>  // getenv
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/net/gzip.hpp"         // gzip_available
#include "trace/net/http_client.hpp"  // http_header, parse_http_url

namespace trace {
inline namespace v0 {

enum class otlp_protocol { http_protobuf, http_json };
enum class otlp_compression { none, gzip };

// When and how often a failed request is sent again (only for 429, 502, 503, 504 and
// failures to connect or to get an answer; see otlp_http_exporter.hpp).
struct otlp_retry_options {
  std::size_t max_attempts = 5;  // first request included; 1: never retry
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double backoff_multiplier = 1.5;
  // One batch's whole budget, counted from its first request: attempts, waits between them
  // and Retry-After included. A wait that would overrun it is not started.
  std::chrono::milliseconds total_timeout{30000};
};

struct otlp_http_options {
  std::string endpoint = "http://localhost:4318/v1/traces";  // the full URL, path included
  otlp_protocol protocol = otlp_protocol::http_protobuf;
  otlp_compression compression = otlp_compression::none;
  std::vector<net::http_header> headers{};  // sent with every request (authentication, tenant, ...)
  std::chrono::milliseconds timeout{10000};  // each request: connect, send and the whole answer
  otlp_retry_options retry{};
  // Spans encoded and waiting for the sending thread; a batch that would go beyond is
  // dropped and counted, never waited for.
  std::size_t max_queue_spans = 8192;
  // OTLP/HTTP's recommended limits: a bigger request is not sent; a bigger answer is an
  // error that is not retried.
  std::size_t max_request_bytes = 64 * 1024 * 1024;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  // How long force_flush waits for the queue to empty, and shutdown for it to be sent
  // before what is left is dropped.
  std::chrono::milliseconds flush_timeout{10000};
};

// `base` with the OTEL_EXPORTER_OTLP_* variables that are set applied over it.
otlp_http_options otlp_http_options_from_env(otlp_http_options base = {});

// Same, looking variables up through `lookup(name)`, which returns the value or nullptr
// when unset: for tests, and for settings kept somewhere other than the environment.
template <class Lookup>
otlp_http_options otlp_http_options_from(Lookup&& lookup, otlp_http_options base = {});

// "k=v,k2=v2" as OTEL_EXPORTER_OTLP_HEADERS holds it (W3C baggage's list form): keys and
// values trimmed and percent-decoded, empty members skipped. `variable` names the source
// in errors.
std::vector<net::http_header> parse_otlp_headers(std::string_view text, std::string_view variable);

// ---------------------------------------------------------------------------------------

namespace detail {

[[noreturn]] inline void refuse_variable(std::string_view variable, std::string_view value, std::string_view why) {
  throw error(errc::invalid_option,
              std::string(variable) + "=\"" + std::string(value) + "\": " + std::string(why));
}

inline int hex_digit(char c) noexcept {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// Percent-decoding; `whole` and `variable` only for the error.
inline std::string percent_decode(std::string_view text, std::string_view variable, std::string_view whole) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0)
      refuse_variable(variable, whole, "'%' at \"" + std::string(text.substr(i, 3)) + "\" is not followed by two hex digits");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// RFC 9110 token characters: what a header name may be made of.
inline bool is_token(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

inline std::string_view trim_spaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace detail

inline std::vector<net::http_header> parse_otlp_headers(std::string_view text, std::string_view variable) {
  std::vector<net::http_header> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    const auto comma = text.find(',', from);
    std::string_view member = text.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
    from = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    member = detail::trim_spaces(member);
    if (member.empty()) continue;
    const auto equals = member.find('=');
    if (equals == std::string_view::npos)
      detail::refuse_variable(variable, text, "\"" + std::string(member) + "\" is not key=value");
    std::string key = detail::percent_decode(detail::trim_spaces(member.substr(0, equals)), variable, text);
    std::string value = detail::percent_decode(detail::trim_spaces(member.substr(equals + 1)), variable, text);
    if (!detail::is_token(key))
      detail::refuse_variable(variable, text, "\"" + key + "\" is not a valid header name");
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos)
      detail::refuse_variable(variable, text, "the value of \"" + key + "\" contains a line break or a NUL");
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

template <class Lookup>
otlp_http_options otlp_http_options_from(Lookup&& lookup, otlp_http_options base) {
  // The signal-specific variable when set, else the general one; returns the name used.
  auto pick = [&](std::string_view suffix, std::string& name) -> const char* {
    name = "OTEL_EXPORTER_OTLP_TRACES_" + std::string(suffix);
    if (const char* value = lookup(name.c_str())) return value;
    name = "OTEL_EXPORTER_OTLP_" + std::string(suffix);
    return lookup(name.c_str());
  };
  std::string name;

  if (const char* traces = lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    name = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    base.endpoint = traces;
  } else if (const char* general = lookup("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    name = "OTEL_EXPORTER_OTLP_ENDPOINT";
    std::string url = general;
    if (url.find('?') != std::string::npos) detail::refuse_variable(name, general, "a base URL takes no query");
    base.endpoint = url + (url.ends_with('/') ? "v1/traces" : "/v1/traces");
  }
  if (net::http_url url; !name.empty())
    if (const char* problem = net::split_http_url(base.endpoint, url)) detail::refuse_variable(name, lookup(name.c_str()), problem);

  if (const char* value = pick("HEADERS", name)) base.headers = parse_otlp_headers(value, name);

  if (const char* value = pick("TIMEOUT", name)) {
    std::string_view text = detail::trim_spaces(value);
    long long ms = 0;
    bool ok = !text.empty() && text.size() <= 9;
    for (char c : text) {
      ok = ok && c >= '0' && c <= '9';
      ms = ms * 10 + (c - '0');
    }
    if (!ok || ms == 0) detail::refuse_variable(name, value, "not a positive whole number of milliseconds");
    base.timeout = std::chrono::milliseconds(ms);
  }

  if (const char* value = pick("PROTOCOL", name)) {
    std::string_view text = detail::trim_spaces(value);
    if (text == "http/protobuf")
      base.protocol = otlp_protocol::http_protobuf;
    else if (text == "http/json")
      base.protocol = otlp_protocol::http_json;
    else if (text == "grpc")
      detail::refuse_variable(name, value, "OTLP/gRPC is not supported; use http/protobuf or http/json");
    else
      detail::refuse_variable(name, value, "expected http/protobuf or http/json");
  }

  if (const char* value = pick("COMPRESSION", name)) {
    std::string_view text = detail::trim_spaces(value);
    if (text == "none") {
      base.compression = otlp_compression::none;
    } else if (text == "gzip") {
      if (!net::gzip_available)
        detail::refuse_variable(name, value, "gzip needs zlib: build with TRACE_WITH_ZLIB defined and link zlib");
      base.compression = otlp_compression::gzip;
    } else {
      detail::refuse_variable(name, value, "expected none or gzip");
    }
  }
  return base;
}

inline otlp_http_options otlp_http_options_from_env(otlp_http_options base) {
  return otlp_http_options_from([](const char* name) -> const char* { return std::getenv(name); }, std::move(base));
}

}  // namespace v0
}  // namespace trace
