#pragma once
// RFC 3339 timestamps ("2017-01-26T16:46:31.639875Z", "2017-01-26T18:46:31+02:00") as
// nanoseconds since the Unix epoch, as Jaeger's API and its fixtures write time windows.

#include <cstdint>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// Proleptic Gregorian calendar arithmetic, written out rather than taken from <chrono>'s
// calendar, which would add ~12k lines to every includer of core.hpp.
constexpr bool leap_year(std::int64_t year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr std::int64_t days_in_month(std::int64_t year, std::int64_t month) noexcept {
  constexpr std::int64_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

// Days from 1970-01-01 to a valid date. Years are counted from March, so that the leap day
// ends a year, in 400-year eras of 146097 days.
constexpr std::int64_t days_since_epoch(std::int64_t year, std::int64_t month, std::int64_t day) noexcept {
  if (month <= 2) --year;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}
static_assert(days_since_epoch(1970, 1, 1) == 0 && days_since_epoch(2000, 3, 1) == 11017);

}  // namespace detail

// Throws `error(errc::parse_error)` quoting the text and naming the first bad character.
inline timestamp_ns parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  auto fail = [&text, &pos](const char* what) {
    throw error(errc::parse_error, "RFC 3339 time \"" + std::string(text) + "\" at character " +
                                       std::to_string(pos + 1) + ": " + what);
  };
  auto digits = [&](std::size_t count) {
    std::int64_t value = 0;
    for (std::size_t i = 0; i < count; ++i, ++pos) {
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') fail("expected a digit");
      value = value * 10 + (text[pos] - '0');
    }
    return value;
  };
  auto literal = [&](char a, char b = '\0') {
    if (pos >= text.size() || (text[pos] != a && (b == '\0' || text[pos] != b)))
      fail((std::string("expected '") + a + "'").c_str());
    ++pos;
  };
  std::int64_t year = digits(4);
  literal('-');
  std::int64_t month = digits(2);
  literal('-');
  std::int64_t day = digits(2);
  literal('T', 't');
  std::int64_t hours = digits(2);
  literal(':');
  std::int64_t minutes = digits(2);
  literal(':');
  std::int64_t seconds = digits(2);
  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t first = pos, scale = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale < 9) nanos = nanos * 10 + (text[pos] - '0'), ++scale;  // finer digits are dropped
      ++pos;
    }
    if (pos == first) fail("expected a digit");
    for (; scale < 9; ++scale) nanos *= 10;
  }
  std::int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    std::int64_t sign = text[pos++] == '-' ? -1 : 1;
    std::int64_t oh = digits(2);
    literal(':');
    std::int64_t om = digits(2);
    offset_minutes = sign * (oh * 60 + om);
  } else {
    fail("expected 'Z' or a UTC offset");
  }
  if (pos != text.size()) fail("unexpected text after the time");
  if (month < 1 || month > 12 || day < 1 || day > detail::days_in_month(year, month) || hours > 23 ||
      minutes > 59 || seconds > 60) {
    pos = 0;
    fail("not a valid date and time");
  }
  std::int64_t since_epoch = detail::days_since_epoch(year, month, day) * 86'400 +
                             hours * 3600 + minutes * 60 + seconds - offset_minutes * 60;
  if (since_epoch < 0) {
    pos = 0;
    fail("before the Unix epoch");
  }
  return static_cast<timestamp_ns>(since_epoch) * second + static_cast<timestamp_ns>(nanos);
}

}  // namespace v0
}  // namespace trace
