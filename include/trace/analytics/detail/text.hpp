#pragma once
// Number, percentage and time texts shared by the analytics reports and messages.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// Shortest text that reads back as the same double: "0.01", "1.5", "inf".
inline std::string format_number(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// A fraction as a percentage with one decimal: 0.125 → "12.5%".
inline std::string percent_text(double fraction) {
  char buffer[32];
  auto end = std::to_chars(buffer, buffer + sizeof buffer, fraction * 100, std::chars_format::fixed, 1).ptr;
  return std::string(buffer, end) + "%";
}

// UTC to the second: "2024-03-01T12:05:00Z".
inline std::string format_timestamp(timestamp_ns t) {
  using namespace std::chrono;
  sys_seconds at{seconds{static_cast<std::int64_t>(t / second)}};
  auto day = floor<days>(at);
  year_month_day date{day};
  hh_mm_ss clock{at - day};
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
