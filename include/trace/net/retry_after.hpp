#pragma once
// The wait a `Retry-After` response header asks for (RFC 9110 section 10.2.3): either
// delta-seconds ("120") or an HTTP-date, in any of the three forms a recipient must accept
// (RFC 9110 section 5.6.7):
//
//   Sun, 06 Nov 1994 08:49:37 GMT    IMF-fixdate, what servers send today
//   Sunday, 06-Nov-94 08:49:37 GMT   obsolete RFC 850 form (two-digit year)
//   Sun Nov  6 08:49:37 1994         obsolete asctime() form
//
// A date is measured from `now`; one in the past means "retry now" (zero).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace trace {
inline namespace v0 {
namespace net {

// Seconds since the epoch of an HTTP-date; nullopt when the text is not one.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) noexcept;

// The delay asked for; nullopt when the value is neither delta-seconds nor an HTTP-date.
// Delta-seconds beyond a day are read as a day: the caller's own time bound decides anyway.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) noexcept;

// ---------------------------------------------------------------------------------------

namespace detail {

// Reads `width` digits at `at` (advancing it); -1 when they are not all digits.
inline int read_digits(std::string_view text, std::size_t& at, std::size_t width) noexcept {
  if (at + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    char c = text[at + i];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  at += width;
  return value;
}

inline bool read_literal(std::string_view text, std::size_t& at, std::string_view literal) noexcept {
  if (text.substr(at, literal.size()) != literal) return false;
  at += literal.size();
  return true;
}

// "Jan".."Dec" to 1..12; 0 when not a month.
inline unsigned read_month(std::string_view text, std::size_t& at) noexcept {
  constexpr std::string_view months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (at + 3 > text.size()) return 0;
  for (unsigned m = 0; m < 12; ++m)
    if (text.substr(at, 3) == months.substr(m * 3, 3)) {
      at += 3;
      return m + 1;
    }
  return 0;
}

// "HH:MM:SS"; -1 when malformed or out of range.
inline long read_time_of_day(std::string_view text, std::size_t& at) noexcept {
  int h = read_digits(text, at, 2);
  if (h < 0 || h > 23 || !read_literal(text, at, ":")) return -1;
  int m = read_digits(text, at, 2);
  if (m < 0 || m > 59 || !read_literal(text, at, ":")) return -1;
  int s = read_digits(text, at, 2);
  if (s < 0 || s > 60) return -1;  // 60: a leap second, as RFC 9110 allows
  return h * 3600L + m * 60L + s;
}

inline std::optional<std::chrono::sys_seconds> make_time(int year, unsigned month, int day, long seconds) noexcept {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return sys_days(date) + std::chrono::seconds(seconds);
}

}  // namespace detail

inline std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) noexcept {
  using namespace detail;
  std::size_t at = 0;
  const auto comma = text.find(',');
  if (comma == 3) {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    at = 4;
    if (!read_literal(text, at, " ")) return std::nullopt;
    int day = read_digits(text, at, 2);
    if (day < 0 || !read_literal(text, at, " ")) return std::nullopt;
    unsigned month = read_month(text, at);
    if (month == 0 || !read_literal(text, at, " ")) return std::nullopt;
    int year = read_digits(text, at, 4);
    if (year < 0 || !read_literal(text, at, " ")) return std::nullopt;
    long seconds = read_time_of_day(text, at);
    if (seconds < 0 || !read_literal(text, at, " GMT") || at != text.size()) return std::nullopt;
    return make_time(year, month, day, seconds);
  }
  if (comma != std::string_view::npos && comma > 3) {  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    at = comma + 1;
    if (!read_literal(text, at, " ")) return std::nullopt;
    int day = read_digits(text, at, 2);
    if (day < 0 || !read_literal(text, at, "-")) return std::nullopt;
    unsigned month = read_month(text, at);
    if (month == 0 || !read_literal(text, at, "-")) return std::nullopt;
    int year = read_digits(text, at, 2);
    if (year < 0 || !read_literal(text, at, " ")) return std::nullopt;
    long seconds = read_time_of_day(text, at);
    if (seconds < 0 || !read_literal(text, at, " GMT") || at != text.size()) return std::nullopt;
    // A two-digit year names the most recent such year not over 50 years ahead; the
    // 1970-2069 window reads every date an OTLP server can mean.
    return make_time(year < 70 ? 2000 + year : 1900 + year, month, day, seconds);
  }
  if (comma == std::string_view::npos && text.size() == 24) {  // asctime: "Sun Nov  6 08:49:37 1994"
    at = 3;
    if (!read_literal(text, at, " ")) return std::nullopt;
    unsigned month = read_month(text, at);
    if (month == 0 || !read_literal(text, at, " ")) return std::nullopt;
    // The day is two digits, or a space and one digit.
    int day = text[at] == ' ' ? (++at, read_digits(text, at, 1)) : read_digits(text, at, 2);
    if (day < 0 || !read_literal(text, at, " ")) return std::nullopt;
    long seconds = read_time_of_day(text, at);
    if (seconds < 0 || !read_literal(text, at, " ")) return std::nullopt;
    int year = read_digits(text, at, 4);
    if (year < 0 || at != text.size()) return std::nullopt;
    return make_time(year, month, day, seconds);
  }
  return std::nullopt;
}

inline std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                  std::chrono::system_clock::time_point now) noexcept {
  using namespace std::chrono;
  constexpr milliseconds a_day = hours(24);
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t secs = 0;
    for (char c : value) {
      secs = secs * 10 + (c - '0');
      if (secs > 86400) return a_day;
    }
    return milliseconds(secs * 1000);
  }
  auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  auto wait = duration_cast<milliseconds>(time_point_cast<milliseconds>(*date) - time_point_cast<milliseconds>(now));
  return std::clamp(wait, milliseconds(0), a_day);
}

}  // namespace net
}  // namespace v0
}  // namespace trace
