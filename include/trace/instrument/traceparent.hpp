#pragma once
// W3C Trace Context headers: `traceparent` parsed and written strictly by the
// specification's rules, and `tracestate` checked so that a malformed one is dropped
// rather than passed on.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                ^v ^trace id (32 hex)                ^parent id (16)  ^flags

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/instrument/context.hpp"

namespace trace {
inline namespace v0 {

// The context a traceparent value carries (marked remote), or nullopt when it breaks a rule.
std::optional<span_context> try_parse_traceparent(std::string_view value) noexcept;
// As try_parse_traceparent, but throws `error(errc::parse_error)` quoting the value and
// naming the rule it breaks.
span_context parse_traceparent(std::string_view value);
// Version 00 text of a valid context; only the defined flag bits are written.
std::string format_traceparent(const span_context& context);

// The first rule a tracestate value breaks, in words, or nullopt for a valid one.
std::optional<std::string> tracestate_problem(std::string_view value);

namespace detail {

inline constexpr std::size_t traceparent_v00_length = 55;

inline bool is_lower_hex(std::string_view text) noexcept {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

inline bool is_all_zero(std::string_view text) noexcept { return text.find_first_not_of('0') == std::string_view::npos; }

// HTTP allows optional spaces and tabs around a header value.
inline std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Reads a traceparent into `out`; returns the broken rule, or nullptr when valid. Static
// strings only, so the non-throwing path never allocates for a bad header.
inline const char* read_traceparent(std::string_view value, span_context& out) noexcept {
  std::string_view text = trim_ows(value);
  if (text.size() < traceparent_v00_length) return "shorter than the 55 characters of version 00";
  std::string_view version = text.substr(0, 2);
  if (!is_lower_hex(version)) return "version is not two lower-case hex digits";
  if (version == "ff") return "version ff is forbidden";
  if (version == "00" && text.size() != traceparent_v00_length)
    return "version 00 must be exactly 55 characters long";
  // A later version may append fields, but only after another '-'.
  if (text.size() > traceparent_v00_length && text[traceparent_v00_length] != '-')
    return "a future version's extra fields must follow a '-'";
  if (text[2] != '-' || text[35] != '-' || text[52] != '-')
    return "fields must be separated by '-' at positions 2, 35 and 52";
  std::string_view trace_hex = text.substr(3, 32), parent_hex = text.substr(36, 16), flags_hex = text.substr(53, 2);
  if (!is_lower_hex(trace_hex)) return "trace id is not 32 lower-case hex digits";
  if (is_all_zero(trace_hex)) return "trace id is all zero";
  if (!is_lower_hex(parent_hex)) return "parent id is not 16 lower-case hex digits";
  if (is_all_zero(parent_hex)) return "parent id is all zero";
  if (!is_lower_hex(flags_hex)) return "trace flags are not two lower-case hex digits";
  out.trace = *trace_id::from_hex(trace_hex);
  out.span = *span_id::from_hex(parent_hex);
  // Unknown flag bits are ignored, not refused, and never passed on.
  out.flags = static_cast<std::uint8_t>(hex_digit_value(flags_hex[1]) & span_context::sampled_flag);
  out.remote = true;
  return nullptr;
}

inline bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

// simple-key = lcalpha 0*255(keychar); multi-tenant-key = tenant-id "@" system-id with a
// tenant of up to 241 characters starting with lcalpha or digit and a system of up to 14
// starting with lcalpha.
inline bool valid_tracestate_key(std::string_view key) noexcept {
  auto all_key_chars = [](std::string_view part) {
    for (char c : part)
      if (!is_key_char(c)) return false;
    return true;
  };
  auto at = key.find('@');
  if (at == std::string_view::npos)
    return !key.empty() && key.size() <= 256 && key[0] >= 'a' && key[0] <= 'z' && all_key_chars(key);
  std::string_view tenant = key.substr(0, at), system = key.substr(at + 1);
  return !tenant.empty() && tenant.size() <= 241 && ((tenant[0] >= 'a' && tenant[0] <= 'z') || (tenant[0] >= '0' && tenant[0] <= '9')) &&
         all_key_chars(tenant) && !system.empty() && system.size() <= 14 && system[0] >= 'a' && system[0] <= 'z' &&
         all_key_chars(system);
}

// Up to 256 printable ASCII characters other than ',' and '=', not ending in a space.
inline bool valid_tracestate_value(std::string_view value) noexcept {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  for (char c : value)
    if (c < 0x20 || c > 0x7e || c == ',' || c == '=') return false;
  return true;
}

}  // namespace detail

inline std::optional<span_context> try_parse_traceparent(std::string_view value) noexcept {
  span_context context;
  if (detail::read_traceparent(value, context)) return std::nullopt;
  return context;
}

inline span_context parse_traceparent(std::string_view value) {
  span_context context;
  if (const char* problem = detail::read_traceparent(value, context))
    throw error(errc::parse_error, "traceparent \"" + std::string(value) + "\": " + problem);
  return context;
}

inline std::string format_traceparent(const span_context& context) {
  if (!context.valid()) throw error(errc::invalid_id, "format_traceparent: the context's trace or span id is all zero");
  std::string out = "00-" + context.trace.to_hex() + "-" + context.span.to_hex() + (context.sampled() ? "-01" : "-00");
  return out;
}

inline std::optional<std::string> tracestate_problem(std::string_view value) {
  constexpr std::size_t max_members = 32;
  std::size_t members = 0;
  std::vector<std::string_view> keys;
  std::string_view rest = value;
  while (true) {
    auto comma = rest.find(',');
    std::string_view member = detail::trim_ows(rest.substr(0, comma));
    if (!member.empty()) {  // empty members between commas are allowed
      auto equals = member.find('=');
      if (equals == std::string_view::npos) return "list member \"" + std::string(member) + "\" has no '='";
      std::string_view key = member.substr(0, equals), item = member.substr(equals + 1);
      if (!detail::valid_tracestate_key(key)) return "key \"" + std::string(key) + "\" is not a valid tracestate key";
      if (!detail::valid_tracestate_value(item))
        return "value of key \"" + std::string(key) + "\" is not 1-256 printable characters without ',' or '='";
      for (std::string_view seen : keys)
        if (seen == key) return "key \"" + std::string(key) + "\" appears twice";
      keys.push_back(key);
      if (++members > max_members) return "more than 32 list members";
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace v0
}  // namespace trace
