#pragma once
// OTLP logs in JSON: OpenTelemetry's protobuf JSON mapping of `ExportLogsServiceRequest`
// (resourceLogs → scopeLogs → logRecords), as the Collector's file exporter writes it, one
// request or one per line.
//
//   std::vector<trace::log_record> logs = trace::otlp::read_logs(text);
//
// The spans reader's rules apply (otlp_reader.hpp): hex or base64 ids, 64-bit integers as
// strings or numbers, enums as integers or names, unknown fields ignored. A record takes
// the resource's `service.name`; its time is `timeUnixNano`, or `observedTimeUnixNano`
// when that is zero (OTLP allows either alone); a string body is its text, any other body
// its plain JSON. Errors are `errc::parse_error` naming line and column.

#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/log_record.hpp"
#include "trace/io/json_documents.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_reader.hpp"

namespace trace {
inline namespace v0 {
namespace otlp {

namespace detail {

inline void log_record_fields(const decoder& d, const json::value& v, log_record& r) {
  timestamp_ns observed = 0;
  for (const auto& m : d.members(v, "logRecord")) {
    const std::string& k = m.key;
    if (k == "timeUnixNano") r.time = d.nanos(m.val, "logRecord timeUnixNano");
    else if (k == "observedTimeUnixNano") observed = d.nanos(m.val, "logRecord observedTimeUnixNano");
    else if (k == "severityNumber") {
      const int n = d.enumeration(m.val, "logRecord severityNumber",
          {"SEVERITY_NUMBER_UNSPECIFIED", "SEVERITY_NUMBER_TRACE", "SEVERITY_NUMBER_TRACE2", "SEVERITY_NUMBER_TRACE3",
           "SEVERITY_NUMBER_TRACE4", "SEVERITY_NUMBER_DEBUG", "SEVERITY_NUMBER_DEBUG2", "SEVERITY_NUMBER_DEBUG3",
           "SEVERITY_NUMBER_DEBUG4", "SEVERITY_NUMBER_INFO", "SEVERITY_NUMBER_INFO2", "SEVERITY_NUMBER_INFO3",
           "SEVERITY_NUMBER_INFO4", "SEVERITY_NUMBER_WARN", "SEVERITY_NUMBER_WARN2", "SEVERITY_NUMBER_WARN3",
           "SEVERITY_NUMBER_WARN4", "SEVERITY_NUMBER_ERROR", "SEVERITY_NUMBER_ERROR2", "SEVERITY_NUMBER_ERROR3",
           "SEVERITY_NUMBER_ERROR4", "SEVERITY_NUMBER_FATAL", "SEVERITY_NUMBER_FATAL2", "SEVERITY_NUMBER_FATAL3",
           "SEVERITY_NUMBER_FATAL4"});
      r.severity = static_cast<std::uint8_t>(n);
    } else if (k == "severityText") r.severity_text = d.text(m.val, "logRecord severityText");
    else if (k == "body") {
      const auto& fields = d.members(m.val, "logRecord body");
      if (!fields.empty() && fields.front().key == "stringValue") {
        r.body = d.text(fields.front().val, "logRecord body");
      } else if (!fields.empty()) {
        json::writer w(r.body);
        d.plain_json(w, m.val);
      }
    } else if (k == "attributes") r.attributes = d.key_values(m.val, "logRecord attributes");
    else if (k == "traceId") {
      if (!d.text(m.val, "logRecord traceId").empty()) r.trace = d.trace_of(m.val, "logRecord traceId");
    } else if (k == "spanId") r.span = d.span_of(m.val, "logRecord spanId", true);
  }
  if (r.time == 0) r.time = observed;
  if (auto problem = log_problem(r)) d.fail(v, "logRecord", *problem);
}

// The records of one ExportLogsServiceRequest document.
inline void read_logs_document(std::string_view text, std::size_t first_line, std::vector<log_record>& out) {
  const json::value doc = json::parse(text, {.first_line = first_line});
  decoder d(text, first_line);
  for (const auto& rl : d.items(decoder::member_or_null(doc, "resourceLogs"), "resourceLogs")) {
    std::string service;
    if (const json::value* res = rl.find("resource")) service = d.resource_of(*res, {}).service_name;
    for (const auto& sl : d.items(decoder::member_or_null(rl, "scopeLogs"), "scopeLogs"))
      for (const auto& lr : d.items(decoder::member_or_null(sl, "logRecords"), "logRecords")) {
        log_record& r = out.emplace_back();
        r.service = service;
        log_record_fields(d, lr, r);
      }
  }
}

}  // namespace detail

// Every log record of the text (one request, or several, one per line), in document order.
inline std::vector<log_record> read_logs(std::string_view text) {
  std::vector<log_record> out;
  std::istringstream in{std::string(text)};
  json::for_each_document(in, [&out](std::string_view document, std::size_t first_line) {
    detail::read_logs_document(document, first_line, out);
  });
  return out;
}

}  // namespace otlp
}  // namespace v0
}  // namespace trace
