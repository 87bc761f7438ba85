#pragma once
// Plain JSON Lines logs, one object per line, as applications write them:
//
//   {"timestamp":"2024-04-30T12:00:00.5Z","severity":"ERROR","body":"card declined",
//    "trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174",
//    "service":"payments","attributes":{"order":"A-17","retry":false}}
//
// Fields (docs/LOGS.md): `timestamp` (RFC 3339 text, or integer nanoseconds since the
// epoch), `severity` (a level name, or an OTLP severity number 0..24), `body`, `trace_id`
// and `span_id` (hex; absent or empty: none), `service`, `attributes` (an object). Common
// spellings are taken too: `time`, `level`, `message`/`msg`. Any other field joins the
// attributes. An attribute that is an array or object is kept as its JSON text.
//
//   std::vector<trace::log_record> logs = trace::read_log_lines(text);
//
// A line that is not JSON, or breaks the model's rules (log_problem), is an
// `errc::parse_error` naming its line and column.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/log_record.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/io/json_documents.hpp"
#include "trace/io/json_fields.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"

namespace trace {
inline namespace v0 {

namespace detail {

class log_line_reader : public json::field_reader {
 public:
  log_line_reader(std::string_view text, std::size_t first_line) : field_reader(text, first_line, "log line") {}

  log_record read(const json::value& doc) const {
    log_record r;
    for (const auto& m : members(doc, "log")) {
      const std::string& k = m.key;
      if (k == "timestamp" || k == "time") r.time = time_of(m.val, k);
      else if (k == "severity" || k == "level") severity_of(m.val, k, r);
      else if (k == "body" || k == "message" || k == "msg") r.body = text(m.val, k);
      else if (k == "trace_id") r.trace = id_of<trace_id>(m.val, k);
      else if (k == "span_id") r.span = id_of<span_id>(m.val, k);
      else if (k == "service") r.service = text(m.val, k);
      else if (k == "attributes")
        for (const auto& a : members(m.val, k)) r.attributes.set(a.key, attribute_of(a.val));
      else r.attributes.set(k, attribute_of(m.val));
    }
    if (auto problem = log_problem(r)) fail(doc, "log", *problem);
    return r;
  }

 private:
  timestamp_ns time_of(const json::value& v, std::string_view field) const {
    if (const auto* s = v.get_if<std::string>()) {
      try {
        return parse_rfc3339(*s);
      } catch (const error& e) {
        fail(v, field, e.what());
      }
    }
    return nanos(v, field);
  }
  void severity_of(const json::value& v, std::string_view field, log_record& r) const {
    if (const auto* s = v.get_if<std::string>()) {
      auto number = log_severity_from_text(*s);
      if (!number) fail(v, field, "\"" + *s + "\" is not a level (trace, debug, info, warn, error, fatal)");
      r.severity = *number;
      r.severity_text = *s;
      return;
    }
    const std::uint64_t n = u64(v, field);
    if (n > max_log_severity) fail(v, field, std::to_string(n) + " is not an OTLP severity number (0..24)");
    r.severity = static_cast<std::uint8_t>(n);
  }
  template <class Id>
  Id id_of(const json::value& v, std::string_view field) const {
    const std::string& hex = text(v, field);
    if (hex.empty()) return {};
    auto id = Id::from_hex(hex);
    if (!id) fail(v, field, "\"" + hex + "\" is not " + std::to_string(sizeof(Id) * 2) + " hex digits, with one non-zero");
    return *id;
  }
  static attribute_value attribute_of(const json::value& v) {
    if (const auto* s = v.get_if<std::string>()) return *s;
    if (const auto* b = v.get_if<bool>()) return *b;
    if (const auto* i = v.get_if<std::int64_t>()) return *i;
    if (const auto* u = v.get_if<std::uint64_t>())
      if (*u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*u);
    if (const auto* d = v.get_if<double>()) return *d;
    return json::serialize(v);  // arrays, objects, null and integers past int64
  }
};

}  // namespace detail

// Every log of the text, one JSON object per line (blank lines skipped).
inline std::vector<log_record> read_log_lines(std::string_view text) {
  std::vector<log_record> out;
  std::istringstream in{std::string(text)};
  json::for_each_document(in, [&out](std::string_view document, std::size_t first_line) {
    const json::value doc = json::parse(document, {.first_line = first_line});
    out.push_back(detail::log_line_reader(document, first_line).read(doc));
  });
  return out;
}

}  // namespace v0
}  // namespace trace
