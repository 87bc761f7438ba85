#pragma once
// Trace and span identifiers: 128-bit trace ids and 64-bit span ids as in W3C Trace
// Context and OpenTelemetry. Written as lower-case hex; upper-case hex is accepted on
// input; an all-zero id is invalid. Fresh random ids come from
// trace/instrument/random_ids.hpp, which keeps <random> out of everything that only reads ids.

#include <array>
#include <cstdint>
#include <optional>  // also declares std::hash, specialised below
#include <string>
#include <string_view>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

namespace detail {

constexpr int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses exactly 16 hex digits; nullopt on any other character.
constexpr std::optional<std::uint64_t> parse_hex64(std::string_view text) noexcept {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    int digit = hex_digit_value(c);
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

inline void write_hex64(std::uint64_t value, char* out) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = digits[value & 0xf];
    value >>= 4;
  }
}

// Fibonacci-style mixer: spreads id bits over a hash table's buckets.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace detail

class span_id {
 public:
  constexpr span_id() noexcept = default;
  constexpr explicit span_id(std::uint64_t value) noexcept : value_(value) {}

  // Exactly 16 hex digits, not all zero; nullopt otherwise.
  static constexpr std::optional<span_id> from_hex(std::string_view text) noexcept {
    auto value = detail::parse_hex64(text);
    if (!value || *value == 0) return std::nullopt;
    return span_id{*value};
  }
  // As from_hex, but throws `error(errc::invalid_id)` quoting the text.
  static span_id parse(std::string_view text) {
    if (auto id = from_hex(text)) return *id;
    throw error(errc::invalid_id, "span id \"" + std::string(text) +
                                      "\" is not 16 hex digits with at least one non-zero");
  }

  constexpr std::uint64_t value() const noexcept { return value_; }
  constexpr bool valid() const noexcept { return value_ != 0; }
  constexpr explicit operator bool() const noexcept { return valid(); }

  std::string to_hex() const {
    std::string out(16, '0');
    detail::write_hex64(value_, out.data());
    return out;
  }

  friend constexpr auto operator<=>(span_id, span_id) noexcept = default;

 private:
  std::uint64_t value_ = 0;
};

class trace_id {
 public:
  constexpr trace_id() noexcept = default;
  constexpr trace_id(std::uint64_t high, std::uint64_t low) noexcept : high_(high), low_(low) {}

  // Exactly 32 hex digits, not all zero; nullopt otherwise.
  static constexpr std::optional<trace_id> from_hex(std::string_view text) noexcept {
    if (text.size() != 32) return std::nullopt;
    auto high = detail::parse_hex64(text.substr(0, 16));
    auto low = detail::parse_hex64(text.substr(16));
    if (!high || !low || (*high == 0 && *low == 0)) return std::nullopt;
    return trace_id{*high, *low};
  }
  // As from_hex, but throws `error(errc::invalid_id)` quoting the text.
  static trace_id parse(std::string_view text) {
    if (auto id = from_hex(text)) return *id;
    throw error(errc::invalid_id, "trace id \"" + std::string(text) +
                                      "\" is not 32 hex digits with at least one non-zero");
  }

  constexpr std::uint64_t high() const noexcept { return high_; }
  constexpr std::uint64_t low() const noexcept { return low_; }
  constexpr bool valid() const noexcept { return (high_ | low_) != 0; }
  constexpr explicit operator bool() const noexcept { return valid(); }

  std::string to_hex() const {
    std::string out(32, '0');
    detail::write_hex64(high_, out.data());
    detail::write_hex64(low_, out.data() + 16);
    return out;
  }

  friend constexpr auto operator<=>(const trace_id&, const trace_id&) noexcept = default;

 private:
  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
};

}  // namespace v0
}  // namespace trace

template <>
struct std::hash<trace::span_id> {
  std::size_t operator()(trace::span_id id) const noexcept {
    return static_cast<std::size_t>(trace::detail::mix64(id.value()));
  }
};

template <>
struct std::hash<trace::trace_id> {
  std::size_t operator()(const trace::trace_id& id) const noexcept {
    return static_cast<std::size_t>(trace::detail::mix64(id.low() ^ (id.high() * 0x9e3779b97f4a7c15ULL)));
  }
};
