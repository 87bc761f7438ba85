#pragma once
// Time on the wire and in stores: nanoseconds since the Unix epoch, unsigned 64-bit,
// as OpenTelemetry's `*_unix_nano` fields. Durations are nanoseconds too.

#include <charconv>
#include <cstdint>
#include <ctime>  // std::timespec_get: the system clock without <chrono>, for every includer of core
#include <string>

namespace trace {
inline namespace v0 {

using timestamp_ns = std::uint64_t;
using duration_ns = std::uint64_t;

// The latest time the readers accept: 2^63-1 ns (2262-04-11). Later values fit the unsigned
// type but read back as dates before 1970 wherever time is signed (std::chrono, most
// formats' readers), so they are refused at the door.
inline constexpr timestamp_ns max_timestamp = 9'223'372'036'854'775'807ULL;

inline constexpr duration_ns nanosecond = 1;
inline constexpr duration_ns microsecond = 1'000;
inline constexpr duration_ns millisecond = 1'000'000;
inline constexpr duration_ns second = 1'000'000'000;
inline constexpr duration_ns minute = 60 * second;
inline constexpr duration_ns hour = 60 * minute;

// The system clock as a timestamp.
inline timestamp_ns now_ns() noexcept {
  std::timespec now{};
  std::timespec_get(&now, TIME_UTC);
  return static_cast<timestamp_ns>(now.tv_sec) * second + static_cast<timestamp_ns>(now.tv_nsec);
}

// Human-readable duration with three significant digits: "850ns", "12.3us", "1.25ms", "4.01s".
inline std::string format_duration(duration_ns value) {
  struct unit { duration_ns scale; const char* suffix; };
  constexpr unit units[] = {{second, "s"}, {millisecond, "ms"}, {microsecond, "us"}};
  for (const unit& u : units) {
    if (value < u.scale) continue;
    double scaled = static_cast<double>(value) / static_cast<double>(u.scale);
    int decimals = scaled >= 100 ? 0 : scaled >= 10 ? 1 : 2;
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, scaled, std::chars_format::fixed, decimals);
    return std::string(buffer, result.ptr) + u.suffix;
  }
  return std::to_string(value) + "ns";
}

}  // namespace v0
}  // namespace trace
