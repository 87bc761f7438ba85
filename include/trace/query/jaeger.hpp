#pragma once
// Jaeger's trace search (the query service's FindTraces: service, operation, tags, start
// window, duration bounds, number of traces) translated into the library's `trace_query`,
// with the matching rules of Jaeger's reference store: one span must satisfy everything;
// tags are looked up in span, scope, resource, event and link attributes and compared by
// their string form; some keys are special:
//
//   error=true|false            the span's status is (not) error
//   span.status=ok|error|unset  the span's status (also OTLP's STATUS_CODE_* names)
//   span.kind=server|...        the span's kind (also SPAN_KIND_* names)
//   resource.<key>=v            only the resource's attribute <key> (resource.service.name: the service)
//   scope.name=v, scope.version=v  the span's instrumentation scope name / version, exactly

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/query/filter.hpp"
#include "trace/query/trace_search.hpp"

namespace trace {
inline namespace v0 {
namespace jaeger {

struct query {
  std::string service;    // empty: any
  std::string operation;  // empty: any
  std::vector<std::pair<std::string, std::string>> tags;
  timestamp_ns start_min = 0;  // inclusive; 0: unbounded
  timestamp_ns start_max = 0;  // inclusive; 0: unbounded
  duration_ns duration_min = 0;  // inclusive; 0: unset
  duration_ns duration_max = 0;  // inclusive; 0: unset
  std::size_t num_traces = 20;
};

// The span filter of the query (tags, window, bounds, names).
filter to_filter(const query& q);

// The whole search, ready for `find_traces(store, ...)`.
inline trace_query to_trace_query(const query& q) {
  trace_query out;
  out.where = to_filter(q);
  out.limit = q.num_traces == 0 ? 20 : q.num_traces;
  return out;
}

// ---------------------------------------------------------------------------------------

namespace detail {

inline std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

inline filter tag_filter(const std::string& key, const std::string& value) {
  using namespace where;
  const std::string folded = lower(value);
  if (key == "error") {
    if (folded == "true") return status(status_code::error);
    if (folded == "false") return !status(status_code::error);
    throw error(errc::invalid_argument, "Jaeger tag error=\"" + value + "\": expected true or false");
  }
  if (key == "span.status") {
    std::string_view name = folded;
    if (name.starts_with("status_code_")) name.remove_prefix(12);
    if (auto code = status_code_from_string(name)) return status(*code);
    throw error(errc::invalid_argument, "Jaeger tag span.status=\"" + value + "\": expected ok, error or unset");
  }
  if (key == "span.kind") {
    std::string_view name = folded;
    if (name.starts_with("span_kind_")) name.remove_prefix(10);
    if (auto k = span_kind_from_string(name)) return kind(*k);
    throw error(errc::invalid_argument,
                "Jaeger tag span.kind=\"" + value + "\": expected internal, server, client, producer or consumer");
  }
  if (key == "scope.name") return scope_name(value);
  if (key == "scope.version") return scope_version(value);
  if (key.starts_with("resource.")) {
    std::string_view resource_key = std::string_view(key).substr(9);
    if (resource_key == "service.name") return service(value);
    return attribute(resource_key, attribute_scope::resource) == value;
  }
  return attribute(key) == value;
}

}  // namespace detail

inline filter to_filter(const query& q) {
  using namespace where;
  filters::all_of all;
  if (!q.service.empty()) all.items.push_back(service(q.service));
  if (!q.operation.empty()) all.items.push_back(operation(q.operation));
  if (q.start_min || q.start_max)
    all.items.push_back(started_between(q.start_min, q.start_max ? q.start_max : std::numeric_limits<timestamp_ns>::max()));
  if (q.duration_min || q.duration_max)
    all.items.push_back(duration_between(q.duration_min, q.duration_max ? q.duration_max : std::numeric_limits<duration_ns>::max()));
  for (const auto& [key, value] : q.tags) all.items.push_back(detail::tag_filter(key, value));
  if (all.items.empty()) return any();
  return all;
}

}  // namespace jaeger
}  // namespace v0
}  // namespace trace
