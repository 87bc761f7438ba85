#pragma once
// Traces and logs side by side (docs/LOGS.md): the logs of a trace, the trace and span of a
// log, and a service's traces and logs over a time window. Works with every span store and
// a log_store kept beside it.
//
//   for (const trace::correlated_log& c : trace::logs_of_trace(store, logs, id))
//     print(logs[c.index], trace::to_string(c.by));   // "trace id" or "service and time window"
//
// A log written inside a trace carries its ids and is found by them (an index lookup). A log
// without ids (a library that knows nothing of tracing) is tied to a trace only by where and
// when: same service as one of the trace's spans, and a time within that service's spans
// widened by `slack` on both sides. That is a guess, so each result says how it was found.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trace/core/log_record.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/query/filter.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/store/concepts.hpp"
#include "trace/store/log_store.hpp"

namespace trace {
inline namespace v0 {

enum class log_link : std::uint8_t { trace_id, service_window };
constexpr std::string_view to_string(log_link by) noexcept {
  return by == log_link::trace_id ? "trace id" : "service and time window";
}

struct correlated_log {
  std::size_t index;  // in the log_store
  log_link by;
  friend bool operator==(const correlated_log&, const correlated_log&) = default;
};

inline constexpr duration_ns default_correlation_slack = 1'000'000'000;  // 1 s: clocks and buffering

// The trace's logs, oldest first: those carrying its id, then (merged in time order) those
// without ids that its services wrote while it ran. The logs without ids are scanned.
template <span_store Store>
std::vector<correlated_log> logs_of_trace(const Store& store, const log_store& logs, const trace_id& id,
                                          duration_ns slack = default_correlation_slack) {
  std::vector<correlated_log> out;
  for (std::size_t i : logs.of_trace(id)) out.push_back({i, log_link::trace_id});
  std::map<std::string, std::pair<timestamp_ns, timestamp_ns>, std::less<>> windows;  // service -> its spans' time
  for (auto&& s : store.find_trace(id)) {
    auto [it, added] = windows.try_emplace(std::string(service_of(s)), start_of(s), end_of(s));
    if (!added) it->second = {std::min(it->second.first, start_of(s)), std::max(it->second.second, end_of(s))};
  }
  if (!windows.empty())
    for (std::size_t i = 0; i < logs.size(); ++i) {
      const log_record& r = logs[i];
      if (r.trace.valid()) continue;
      auto found = windows.find(r.service);
      if (found == windows.end()) continue;
      const auto [first, last] = found->second;
      const timestamp_ns from = first > slack ? first - slack : 0;
      if (r.time >= from && r.time <= last + slack) out.push_back({i, log_link::service_window});
    }
  std::ranges::stable_sort(out, {}, [&logs](const correlated_log& c) { return logs[c.index].time; });
  return out;
}

// The spans of a log's trace, and the span it names among them. Empty spans: the log has
// no trace id, or the store does not hold its trace; `span` empty: no span id, or not found.
template <span_store Store>
struct log_origin {
  std::vector<store_span_t<Store>> trace{};
  std::optional<store_span_t<Store>> span{};
};
template <span_store Store>
log_origin<Store> origin_of_log(const Store& store, const log_record& r) {
  log_origin<Store> out;
  if (!r.trace.valid()) return out;
  for (auto&& s : store.find_trace(r.trace)) {
    if (r.span.valid() && span_id_of(s) == r.span && !out.span) out.span = s;
    out.trace.push_back(s);
  }
  return out;
}

// A trace in a window: when it ran, its root's name, how many spans and linked logs it has.
struct window_trace {
  trace_id id{};
  timestamp_ns start = 0, end = 0;
  std::string root{};  // the name of its span without a parent (the earliest such), or empty
  std::size_t spans = 0, logs = 0;
};
struct correlated_window {
  std::vector<window_trace> traces{};  // oldest first
  std::vector<std::size_t> logs{};     // the service's logs in the window, oldest first
};

// The traces with a span of `service` starting in [from, to] (at most `limit`, the newest),
// and the service's logs in the same window, each list oldest first.
template <span_store Store>
correlated_window correlate_window(const Store& store, const log_store& logs, std::string_view service,
                                   timestamp_ns from, timestamp_ns to, std::size_t limit = 100) {
  correlated_window out;
  const trace_query q{where::service(service) && where::started_between(from, to), std::nullopt, 0, limit};
  for (const trace_id& id : find_trace_ids(store, q)) {
    window_trace t;
    t.id = id;
    t.start = max_timestamp;
    timestamp_ns root_start = max_timestamp;
    for (auto&& s : store.find_trace(id)) {
      ++t.spans;
      t.start = std::min(t.start, start_of(s));
      t.end = std::max(t.end, end_of(s));
      if (!parent_id_of(s).valid() && start_of(s) < root_start) {
        root_start = start_of(s);
        t.root = std::string(name_of(s));
      }
    }
    t.logs = logs.of_trace(id).size();
    out.traces.push_back(std::move(t));
  }
  std::ranges::sort(out.traces, {}, &window_trace::start);
  for (std::size_t i = 0; i < logs.size(); ++i)
    if (logs[i].service == service && logs[i].time >= from && logs[i].time <= to) out.logs.push_back(i);
  std::ranges::stable_sort(out.logs, {}, [&logs](std::size_t i) { return logs[i].time; });
  return out;
}

}  // namespace v0
}  // namespace trace
