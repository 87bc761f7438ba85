#pragma once
// RFC 3339 timestamps ("2017-01-26T16:46:31.639875Z", "2017-01-26T18:46:31+02:00") as
// nanoseconds since the Unix epoch, as Jaeger's API and its fixtures write time windows.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

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
  using namespace std::chrono;
  year_month_day date{std::chrono::year(static_cast<int>(year)), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hours > 23 || minutes > 59 || seconds > 60) {
    pos = 0;
    fail("not a valid date and time");
  }
  std::int64_t since_epoch = static_cast<std::int64_t>(sys_days(date).time_since_epoch().count()) * 86'400 +
                             hours * 3600 + minutes * 60 + seconds - offset_minutes * 60;
  if (since_epoch < 0) {
    pos = 0;
    fail("before the Unix epoch");
  }
  return static_cast<timestamp_ns>(since_epoch) * second + static_cast<timestamp_ns>(nanos);
}

}  // namespace v0
}  // namespace trace
