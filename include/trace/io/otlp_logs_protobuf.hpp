#pragma once
// OTLP logs in protobuf: `ExportLogsServiceRequest` (the body OTLP/HTTP posts to /v1/logs)
// to log records, with the spans codec's cursor and rules (otlp_protobuf.hpp): fields in any
// order, unknown fields skipped, damage refused with `errc::parse_error` naming the field
// path and byte offset ("OTLP protobuf ExportLogsServiceRequest resource_logs[0].scope_logs[0]
// .log_records[2].trace_id at byte 93: is 3 bytes, not 16").
//
//   std::vector<trace::log_record> logs = trace::otlp::proto::decode_logs_request(bytes);
//
// The mapping is the JSON reader's (otlp_logs_json.hpp): service.name from the resource,
// the observed time when the time is zero, a non-text body as its plain JSON.

#include <string>
#include <string_view>
#include <vector>

#include "trace/core/log_record.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_protobuf.hpp"

namespace trace {
inline namespace v0 {
namespace otlp {
namespace proto {

namespace detail {

// LogRecord: time_unix_nano 1 (fixed64), severity_number 2, severity_text 3, body 5,
// attributes 6, dropped_attributes_count 7, flags 8 (fixed32), trace_id 9, span_id 10,
// observed_time_unix_nano 11 (fixed64), event_name 12.
inline void log_record_fields(decoder& d, cursor c, log_record& r, const char* at) {
  timestamp_ns observed = 0;
  pieces body;
  field f;
  std::int64_t n = 0;
  while (d.next(c, f)) {
    switch (f.number) {
      case 1: r.time = d.fixed64(c, f, "time_unix_nano"); break;
      case 11: observed = d.fixed64(c, f, "observed_time_unix_nano"); break;
      case 2: r.severity = static_cast<std::uint8_t>(d.enumeration(c, f, "severity_number", max_log_severity)); break;
      case 3: d.text(c, f, "severity_text", r.severity_text); break;
      case 5: body.add(d.len(c, f, "body")); break;
      case 6: {
        cursor inner = cursor_of(d.len(c, f, "attributes"));
        d.push("attributes", n++, f.at);
        d.key_value(inner, r.attributes, 1);
        d.pop();
        break;
      }
      case 9: d.trace_of(c, f, "trace_id", r.trace); break;
      case 10: d.span_of(c, f, "span_id", r.span, true); break;
      default: d.skip(c, f);
    }
  }
  if (body.present) {
    d.push("body", -1, body.first.data());
    attribute_value v = d.any_value<std::string>(body, 1);
    if (auto* text = std::get_if<std::string>(&v)) {
      r.body = std::move(*text);
    } else {
      json::writer w(r.body);
      d.plain_json(w, body, 1);
    }
    d.pop();
  }
  if (r.time > max_timestamp || observed > max_timestamp) d.fail(at, "", "time is past the latest accepted (2^63-1 ns, in 2262)");
  if (r.time == 0) r.time = observed;
  if (auto problem = log_problem(r)) d.fail(at, "", *problem);
}

inline void resource_logs(decoder& d, cursor c, std::vector<log_record>& out) {
  const std::size_t first = out.size();
  basic_resource<std::string> res;
  field f;
  std::int64_t n = 0;
  while (d.next(c, f)) {
    if (f.number == 1) {
      cursor inner = cursor_of(d.len(c, f, "resource"));
      d.push("resource", -1, f.at);
      d.resource_fields(inner, res);
      d.pop();
    } else if (f.number == 2) {
      cursor scope = cursor_of(d.len(c, f, "scope_logs"));
      d.push("scope_logs", n++, f.at);
      field g;
      std::int64_t records = 0;
      while (d.next(scope, g)) {
        if (g.number != 2) {
          d.skip(scope, g);
          continue;
        }
        cursor record = cursor_of(d.len(scope, g, "log_records"));
        d.push("log_records", records++, g.at);
        log_record_fields(d, record, out.emplace_back(), g.at);
        d.pop();
      }
      d.pop();
    } else {
      d.skip(c, f);
    }
  }
  // The resource may come after its records on the wire: their service is set at the end.
  std::string service;
  if (const auto* name = res.attributes.find("service.name"))
    if (const auto* text = std::get_if<std::string>(name)) service = *text;
  for (std::size_t i = first; i < out.size(); ++i) out[i].service = service;
}

}  // namespace detail

inline std::vector<log_record> decode_logs_request(std::string_view bytes) {
  detail::decoder d(bytes, "OTLP protobuf ExportLogsServiceRequest");
  detail::cursor c = detail::cursor_of(bytes);
  detail::field f;
  std::int64_t n = 0;
  std::vector<log_record> out;
  while (d.next(c, f)) {
    if (f.number != 1) {
      d.skip(c, f);
      continue;
    }
    detail::cursor inner = detail::cursor_of(d.len(c, f, "resource_logs"));
    d.push("resource_logs", n++, f.at);
    detail::resource_logs(d, inner, out);
    d.pop();
  }
  return out;
}

}  // namespace proto
}  // namespace otlp
}  // namespace v0
}  // namespace trace
