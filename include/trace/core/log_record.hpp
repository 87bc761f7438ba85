#pragma once
// A log record, as OpenTelemetry's logs data model has it: when, how severe, what it says,
// and which trace and span (if any) it was written in. Logs are kept beside spans
// (store/log_store.hpp) so that an investigation can go from a trace to its logs and back
// (query/correlate.hpp, docs/LOGS.md).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trace/core/attribute.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

struct log_record {
  timestamp_ns time = 0;         // when it happened (the observed time when the source gave none)
  std::uint8_t severity = 0;     // OTLP SeverityNumber: 0 unspecified, 1..24 TRACE..FATAL4
  std::string severity_text{};   // as the source spelled it ("ERROR", "warn")
  std::string body{};            // a non-text OTLP body is kept as its JSON text
  trace_id trace{};              // invalid (zero): written outside any trace
  span_id span{};                // invalid (zero): no span named
  std::string service{};         // the resource's service.name
  basic_attributes<std::string> attributes{};
  friend bool operator==(const log_record&, const log_record&) = default;
};

inline constexpr std::uint8_t max_log_severity = 24;

// The severity number of a level's name, OTLP's first of each range (TRACE 1, DEBUG 5,
// INFO 9, WARN 13, ERROR 17, FATAL 21), in any case; common spellings ("warning",
// "critical", "err") too. Empty for a name it does not know.
inline std::optional<std::uint8_t> log_severity_from_text(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  struct name { std::string_view text; std::uint8_t number; };
  static constexpr std::array<name, 11> names = {{{"trace", 1}, {"debug", 5}, {"info", 9}, {"information", 9},
                                                  {"warn", 13}, {"warning", 13}, {"error", 17}, {"err", 17},
                                                  {"fatal", 21}, {"critical", 21}, {"crit", 21}}};
  for (const name& n : names)
    if (n.text == lower) return n.number;
  return std::nullopt;
}

// The range name of a severity number: "TRACE" .. "FATAL", "UNSPECIFIED" for 0.
constexpr std::string_view log_severity_name(std::uint8_t severity) noexcept {
  if (severity == 0 || severity > max_log_severity) return "UNSPECIFIED";
  constexpr std::string_view ranges[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  return ranges[(severity - 1) / 4];
}

// What breaks the model's rules for a log record, or nothing: it needs a time, a severity
// OTLP defines, and a span only inside a trace.
inline std::optional<std::string> log_problem(const log_record& r) {
  if (r.time == 0) return "log record has no time (neither a time nor an observed time)";
  if (r.time > max_timestamp) return "log record time " + std::to_string(r.time) + " is past 2262";
  if (r.severity > max_log_severity)
    return "log record severity " + std::to_string(r.severity) + " is not an OTLP severity number (0..24)";
  if (r.span.valid() && !r.trace.valid()) return "log record names span " + r.span.to_hex() + " but no trace";
  return std::nullopt;
}

}  // namespace v0
}  // namespace trace
