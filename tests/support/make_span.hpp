#pragma once
// Small builders for test spans: ids from short integers, times in milliseconds.

#include <trace/core.hpp>

#include <string>

namespace trace_test {

inline trace::trace_id trace_n(std::uint64_t n) { return trace::trace_id{0xabc, n}; }

inline trace::span make_span(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, std::string service,
                             std::string name, std::uint64_t start_ms, std::uint64_t end_ms,
                             trace::status_code status = trace::status_code::unset) {
  trace::span s;
  s.trace = trace_n(trace);
  s.id = trace::span_id{id};
  s.parent = trace::span_id{parent};
  s.resource.service_name = std::move(service);
  s.name = std::move(name);
  s.start = start_ms * trace::millisecond;
  s.end = end_ms * trace::millisecond;
  s.status.code = status;
  return s;
}

}  // namespace trace_test
