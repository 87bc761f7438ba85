#pragma once
// Span events (timestamped, named, with attributes and an optional severity level, debug
// to critical) and links to other spans.

#include <cstdint>
#include <optional>
#include <string_view>

#include "trace/core/attribute.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

enum class event_level : std::uint8_t { debug, info, warn, error, critical };

constexpr std::string_view to_string(event_level level) noexcept {
  switch (level) {
    case event_level::debug: return "debug";
    case event_level::info: return "info";
    case event_level::warn: return "warn";
    case event_level::error: return "error";
    case event_level::critical: return "critical";
  }
  return "info";
}

constexpr std::optional<event_level> event_level_from_string(std::string_view text) noexcept {
  for (auto level : {event_level::debug, event_level::info, event_level::warn,
                     event_level::error, event_level::critical})
    if (to_string(level) == text) return level;
  return std::nullopt;
}

template <class String>
struct basic_event {
  timestamp_ns time = 0;
  String name{};
  basic_attributes<String> attributes{};
  std::optional<event_level> level{};
  std::uint32_t dropped_attributes = 0;

  friend bool operator==(const basic_event&, const basic_event&) = default;
};

template <class String>
struct basic_link {
  trace_id trace{};
  span_id span{};
  String trace_state{};  // W3C tracestate of the linked context
  basic_attributes<String> attributes{};
  std::uint32_t dropped_attributes = 0;
  std::uint32_t flags = 0;  // as the span's: W3C trace flags of the linked context, remote bits

  friend bool operator==(const basic_link&, const basic_link&) = default;
};

using event = basic_event<std::string>;
using link = basic_link<std::string>;

}  // namespace v0
}  // namespace trace
