#pragma once
// Query parameter values as the Jaeger and Tempo APIs write them: whole numbers, Go
// durations ("1.5s", "100ms", "1h30m"), hex trace ids that may lack their leading zeros.
// A bad value is refused with `trace::error(errc::invalid_argument)` naming the parameter
// and quoting the value, which the routes answer with 400.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "trace/api/url_query.hpp"  // quote_value
#include "trace/core/error.hpp"
#include "trace/core/time.hpp"
#include "trace/io/hex_ids.hpp"

namespace trace {
inline namespace v0 {
namespace api {
namespace detail {

[[noreturn]] inline void bad_parameter(std::string_view name, std::string_view text, std::string_view expected) {
  throw error(errc::invalid_argument,
              "parameter \"" + std::string(name) + "\": " + quote_value(text) + " is not " + std::string(expected));
}

// Decimal digits only, at most `max`.
inline std::uint64_t whole_number(std::string_view name, std::string_view text,
                                  std::uint64_t max = std::numeric_limits<std::int64_t>::max()) {
  if (text.empty() || text.size() > 19) bad_parameter(name, text, "a whole number");
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') bad_parameter(name, text, "a whole number");
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > max) bad_parameter(name, text, "a whole number up to " + std::to_string(max));
  return value;
}

// Go's time.ParseDuration without a sign: "0", or numbers with units ns, us (µs, μs), ms,
// s, m, h, each number possibly with a fraction: "1.5s", "1h30m", "250us".
inline duration_ns go_duration(std::string_view name, std::string_view text) {
  constexpr std::string_view expected = "a duration such as 250us, 100ms, 1.5s, 2m or 1h30m";
  if (text == "0") return 0;
  if (text.empty()) bad_parameter(name, text, expected);
  struct unit { std::string_view suffix; duration_ns scale; };
  // Longest suffixes first, so "ms" is not read as "m" then "s".
  constexpr unit units[] = {{"ns", nanosecond}, {"us", microsecond}, {"\xC2\xB5s", microsecond},
                            {"\xCE\xBCs", microsecond}, {"ms", millisecond}, {"s", second},
                            {"m", minute}, {"h", hour}};
  const double limit = static_cast<double>(max_timestamp);
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint64_t whole = 0, fraction = 0, fraction_scale = 1;
    std::size_t digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
      if (digits >= 19) bad_parameter(name, text, expected);
      whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits)
        if (fraction_scale < 1'000'000'000'000'000'000ull) {
          fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
          fraction_scale *= 10;
        }
    }
    if (digits == 0) bad_parameter(name, text, expected);
    const unit* found = nullptr;
    for (const unit& u : units)
      if (text.substr(i).starts_with(u.suffix) && (!found || u.suffix.size() > found->suffix.size())) found = &u;
    if (!found) bad_parameter(name, text, expected);
    i += found->suffix.size();
    total += (static_cast<double>(whole) + static_cast<double>(fraction) / static_cast<double>(fraction_scale)) *
             static_cast<double>(found->scale);
    if (total > limit) bad_parameter(name, text, "a duration below 292 years");
  }
  return static_cast<duration_ns>(total);
}

// 1 to 32 hex digits, not all zero: the full width, or the short form Jaeger writes for ids
// with leading zeros (and for 64-bit ids of older tracers).
inline trace_id hex_trace_id(std::string_view name, std::string_view text) {
  if (auto id = ::trace::detail::trace_id_from_short_hex(text)) return *id;
  bad_parameter(name, text, "a trace id (1 to 32 hex digits, not all zero)");
}

}  // namespace detail
}  // namespace api
}  // namespace v0
}  // namespace trace
