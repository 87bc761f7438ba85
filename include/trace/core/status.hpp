#pragma once
// Span status and span kind, with the numeric values of OpenTelemetry's protocol.

#include <cstdint>
#include <optional>
#include <string_view>

namespace trace {
inline namespace v0 {

enum class status_code : std::uint8_t { unset = 0, ok = 1, error = 2 };

template <class String>
struct basic_status {
  status_code code = status_code::unset;
  String message{};  // meaningful with `error` only, as in OpenTelemetry

  friend bool operator==(const basic_status&, const basic_status&) = default;
};

enum class span_kind : std::uint8_t {
  unspecified = 0,
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5,
};

constexpr std::string_view to_string(status_code code) noexcept {
  switch (code) {
    case status_code::unset: return "unset";
    case status_code::ok: return "ok";
    case status_code::error: return "error";
  }
  return "unset";
}

constexpr std::string_view to_string(span_kind kind) noexcept {
  switch (kind) {
    case span_kind::unspecified: return "unspecified";
    case span_kind::internal: return "internal";
    case span_kind::server: return "server";
    case span_kind::client: return "client";
    case span_kind::producer: return "producer";
    case span_kind::consumer: return "consumer";
  }
  return "unspecified";
}

// Inverse of to_string, case-sensitive (the names are lower case).
constexpr std::optional<status_code> status_code_from_string(std::string_view text) noexcept {
  for (auto code : {status_code::unset, status_code::ok, status_code::error})
    if (to_string(code) == text) return code;
  return std::nullopt;
}

constexpr std::optional<span_kind> span_kind_from_string(std::string_view text) noexcept {
  for (auto kind : {span_kind::unspecified, span_kind::internal, span_kind::server,
                    span_kind::client, span_kind::producer, span_kind::consumer})
    if (to_string(kind) == text) return kind;
  return std::nullopt;
}

}  // namespace v0
}  // namespace trace
