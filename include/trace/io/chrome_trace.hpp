#pragma once
// Export to the Chrome trace-event format, which ui.perfetto.dev and chrome://tracing open:
// one process (pid) per service, named by a metadata event; each span a complete event
// (`"ph":"X"`, `ts`/`dur` in microseconds from the earliest span, fractions keep the
// nanoseconds); span attributes and ids as `args`; span events as instant events.
//
// Spans of a service are packed into lanes (tids) so that the slices on one lane nest
// strictly: a slice either ends before the next begins or contains it whole. Perfetto
// would otherwise move overlapping slices to an overflow track. Packing is greedy, first
// fitting lane, over spans ordered by start (longer first on ties).
//
//   std::string text = trace::chrome::to_json(spans);   // any range of span_like values

#include <algorithm>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trace/core/span_traits.hpp"
#include "trace/io/json_attribute.hpp"
#include "trace/io/json_writer.hpp"

namespace trace {
inline namespace v0 {
namespace chrome {

// Lane (0-based) of each span, in input order, for spans given as [start, end] pairs of
// one service: the packing the exporter uses, exposed so it can be tested on its own.
std::vector<std::uint32_t> pack_lanes(const std::vector<std::pair<timestamp_ns, timestamp_ns>>& intervals);

template <std::ranges::forward_range R>
  requires span_like<std::ranges::range_value_t<R>>
void write(std::string& out, const R& spans);

template <std::ranges::forward_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::string to_json(const R& spans) {
  std::string out;
  write(out, spans);
  return out;
}

// ---------------------------------------------------------------------------------------

inline std::vector<std::uint32_t> pack_lanes(const std::vector<std::pair<timestamp_ns, timestamp_ns>>& intervals) {
  std::vector<std::size_t> order(intervals.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::stable_sort(order, [&intervals](std::size_t a, std::size_t b) {
    const auto& [sa, ea] = intervals[a];
    const auto& [sb, eb] = intervals[b];
    return sa != sb ? sa < sb : ea > eb;  // an outer slice comes before what it contains
  });
  std::vector<std::vector<timestamp_ns>> open_ends;  // per lane: ends of the slices still open
  std::vector<std::uint32_t> lane_of(intervals.size(), 0);
  for (std::size_t i : order) {
    const auto [start, end] = intervals[i];
    std::uint32_t lane = 0;
    for (; lane < open_ends.size(); ++lane) {
      auto& stack = open_ends[lane];
      while (!stack.empty() && stack.back() <= start) stack.pop_back();  // ended before this starts
      if (stack.empty() || end <= stack.back()) break;                   // fits inside the open slice
    }
    if (lane == open_ends.size()) open_ends.emplace_back();
    open_ends[lane].push_back(end);
    lane_of[i] = lane;
  }
  return lane_of;
}

namespace detail {

inline double micros_since(timestamp_ns origin, timestamp_ns t) { return static_cast<double>(t - origin) / 1000.0; }

}  // namespace detail

template <std::ranges::forward_range R>
  requires span_like<std::ranges::range_value_t<R>>
void write(std::string& out, const R& spans) {
  using S = std::ranges::range_value_t<R>;
  // Hold the spans: by address when the range has lvalues, by copy when it makes values.
  std::vector<S> copies;
  std::vector<const S*> items;
  if constexpr (std::is_lvalue_reference_v<std::ranges::range_reference_t<const R>>) {
    for (const auto& s : spans) items.push_back(&s);
  } else {
    for (auto&& s : spans) copies.push_back(s);
    for (const auto& s : copies) items.push_back(&s);
  }

  timestamp_ns origin = items.empty() ? 0 : start_of(*items.front());
  std::vector<std::string_view> services;
  std::vector<std::uint32_t> pid_of(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    origin = std::min(origin, start_of(*items[i]));
    auto found = std::ranges::find(services, service_of(*items[i]));
    pid_of[i] = static_cast<std::uint32_t>(found - services.begin()) + 1;
    if (found == services.end()) services.push_back(service_of(*items[i]));
  }
  std::vector<std::uint32_t> tid_of(items.size());
  std::vector<std::uint32_t> lanes_per_service(services.size(), 0);
  for (std::uint32_t pid = 1; pid <= services.size(); ++pid) {
    std::vector<std::size_t> members;
    std::vector<std::pair<timestamp_ns, timestamp_ns>> intervals;
    for (std::size_t i = 0; i < items.size(); ++i)
      if (pid_of[i] == pid) members.push_back(i), intervals.emplace_back(start_of(*items[i]), std::max(start_of(*items[i]), end_of(*items[i])));
    auto lanes = pack_lanes(intervals);
    for (std::size_t k = 0; k < members.size(); ++k) {
      tid_of[members[k]] = lanes[k] + 1;
      lanes_per_service[pid - 1] = std::max(lanes_per_service[pid - 1], lanes[k] + 1);
    }
  }

  json::writer w(out);
  w.begin_object().key("displayTimeUnit").string("ns");
  w.key("otherData").begin_object().member("trace_start_unix_ns", std::to_string(origin)).end_object();
  w.key("traceEvents").begin_array();
  for (std::uint32_t pid = 1; pid <= services.size(); ++pid) {
    w.begin_object().member("ph", "M").member("pid", pid).member("name", "process_name");
    w.key("args").begin_object().member("name", services[pid - 1]).end_object().end_object();
    for (std::uint32_t tid = 1; tid <= lanes_per_service[pid - 1]; ++tid) {
      w.begin_object().member("ph", "M").member("pid", pid).member("tid", tid).member("name", "thread_name");
      w.key("args").begin_object().member("name", "lane " + std::to_string(tid)).end_object().end_object();
    }
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const S& s = *items[i];
    w.begin_object().member("ph", "X").member("pid", pid_of[i]).member("tid", tid_of[i]);
    w.member("name", name_of(s)).member("cat", to_string(kind_of(s)));
    w.member("ts", detail::micros_since(origin, start_of(s))).member("dur", static_cast<double>(duration_of(s)) / 1000.0);
    w.key("args").begin_object();
    w.member("trace_id", trace_id_of(s).to_hex()).member("span_id", span_id_of(s).to_hex());
    if (parent_id_of(s).valid()) w.member("parent_id", parent_id_of(s).to_hex());
    if (status_of(s) != status_code::unset) w.member("status", to_string(status_of(s)));
    if (!status_message_of(s).empty()) w.member("status_message", status_message_of(s));
    visit_attributes(s, [&w](attribute_scope where, std::string_view key, const auto& value) {
      if (where == attribute_scope::span) {
        w.key(key);
        json::write_attribute_value(w, value);
      }
      return false;
    });
    w.end_object().end_object();
    if constexpr (requires { s.events; }) {
      for (const auto& e : s.events) {
        w.begin_object().member("ph", "i").member("s", "t").member("pid", pid_of[i]).member("tid", tid_of[i]);
        w.member("name", std::string_view(e.name)).member("ts", detail::micros_since(origin, std::max(e.time, origin)));
        w.end_object();
      }
    }
  }
  w.end_array().end_object();
}

}  // namespace chrome
}  // namespace v0
}  // namespace trace
