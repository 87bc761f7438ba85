#pragma once
// Trace-level analytics: one trace's duration, size, services, errors and the share of its
// critical path each service is responsible for; and a comparison of two traces of the same
// shape that says which spans got slower.
//
// Spans of two traces are matched by their path: the chain of "service:operation#k" from the
// root, where k counts earlier siblings with the same service and operation (in start
// order). Two traces have the same shape when they have the same set of paths.

#include <algorithm>
#include <cstdint>
#include <map>
#include <ranges>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "trace/core/span_traits.hpp"
#include "trace/tree/trace_tree.hpp"

namespace trace {
inline namespace v0 {

struct service_share {
  std::string service;
  duration_ns critical_time = 0;  // time on the critical path spent in this service's spans
  double share = 0;               // critical_time / critical path length
};

struct trace_profile {
  trace_id trace;
  duration_ns duration = 0;  // latest end − earliest start
  std::size_t span_count = 0;
  std::size_t error_count = 0;
  std::vector<std::string> services;           // sorted
  std::vector<service_share> critical_path;    // largest share first
};

// The profile of one trace's spans (all of one trace id; the first root's critical path).
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
trace_profile profile_trace(R&& spans);

// Profiles of every trace in `spans`, longest first.
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<trace_profile> profile_traces(R&& spans);

struct span_change {
  std::string path;  // "frontend:GET /buy#0/checkout:Place#0"
  duration_ns before = 0;
  duration_ns after = 0;
  std::int64_t delta() const noexcept { return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before); }
};

struct trace_comparison {
  bool same_shape = false;
  duration_ns before = 0;  // trace durations
  duration_ns after = 0;
  std::vector<span_change> slower;   // matched spans at least min_delta slower, most slowed first
  std::vector<std::string> missing;  // paths only in `before`, sorted
  std::vector<std::string> added;    // paths only in `after`, sorted
};

template <std::ranges::input_range B, std::ranges::input_range A>
  requires span_like<std::ranges::range_value_t<B>> && span_like<std::ranges::range_value_t<A>>
trace_comparison compare_traces(B&& before, A&& after, duration_ns min_delta = 1);

namespace detail {

// Path of every span of a tree (in tree order), and its duration.
template <span_like S>
std::map<std::string, duration_ns> span_paths(const trace_tree<S>& tree) {
  std::map<std::string, duration_ns> out;
  std::vector<std::string> path_of(tree.size());
  auto label = [&](std::size_t i) {
    return std::string(service_of(tree.span_at(i))) + ":" + std::string(name_of(tree.span_at(i)));
  };
  auto name_siblings = [&](const std::string& prefix, std::span<const std::size_t> siblings) {
    std::map<std::string, std::size_t> seen;
    for (std::size_t i : siblings) {
      auto base = label(i);
      path_of[i] = prefix + base + "#" + std::to_string(seen[base]++);
      out.emplace(path_of[i], duration_of(tree.span_at(i)));
    }
  };
  name_siblings("", tree.roots());
  tree.depth_first([&](std::size_t i, std::uint32_t) {
    name_siblings(path_of[i] + "/", tree.node_at(i).children);
  });
  return out;
}

}  // namespace detail

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
trace_profile profile_trace(R&& spans) {
  auto tree = build_tree(std::forward<R>(spans));
  trace_profile p;
  if (tree.empty()) return p;
  p.trace = trace_id_of(tree.span_at(0));
  p.span_count = tree.size();
  timestamp_ns first = start_of(tree.span_at(0)), last = end_of(tree.span_at(0));
  std::map<std::string, duration_ns, std::less<>> critical;
  for (const auto& s : tree.spans()) {
    first = std::min(first, start_of(s));
    last = std::max(last, end_of(s));
    p.error_count += status_of(s) == status_code::error;
    critical.try_emplace(std::string(service_of(s)), 0);
  }
  p.duration = last > first ? last - first : 0;
  for (const auto& [service, _] : critical) p.services.push_back(service);

  duration_ns path_length = 0;
  for (const auto& segment : tree.critical_path()) {
    duration_ns length = segment.end - segment.start;
    critical.find(service_of(tree.span_at(segment.node)))->second += length;
    path_length += length;
  }
  for (const auto& [service, time] : critical)
    if (time) p.critical_path.push_back({service, time, static_cast<double>(time) / static_cast<double>(path_length)});
  std::ranges::stable_sort(p.critical_path, [](const service_share& a, const service_share& b) {
    return a.critical_time > b.critical_time;
  });
  return p;
}

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::vector<trace_profile> profile_traces(R&& spans) {
  using S = std::ranges::range_value_t<R>;
  std::unordered_map<trace_id, std::vector<S>> by_trace;
  for (auto&& s : spans) by_trace[trace_id_of(s)].push_back(s);
  std::vector<trace_profile> out;
  out.reserve(by_trace.size());
  for (auto& [id, members] : by_trace) out.push_back(profile_trace(members));
  std::ranges::sort(out, [](const trace_profile& a, const trace_profile& b) {
    return std::tie(b.duration, a.trace) < std::tie(a.duration, b.trace);
  });
  return out;
}

template <std::ranges::input_range B, std::ranges::input_range A>
  requires span_like<std::ranges::range_value_t<B>> && span_like<std::ranges::range_value_t<A>>
trace_comparison compare_traces(B&& before, A&& after, duration_ns min_delta) {
  auto old_tree = build_tree(std::forward<B>(before));
  auto new_tree = build_tree(std::forward<A>(after));
  auto old_paths = detail::span_paths(old_tree), new_paths = detail::span_paths(new_tree);
  trace_comparison c;
  c.before = profile_trace(old_tree.spans()).duration;
  c.after = profile_trace(new_tree.spans()).duration;
  for (const auto& [path, was] : old_paths) {
    auto now = new_paths.find(path);
    if (now == new_paths.end()) {
      c.missing.push_back(path);
    } else if (now->second >= was + min_delta) {
      c.slower.push_back({path, was, now->second});
    }
  }
  for (const auto& [path, _] : new_paths)
    if (!old_paths.contains(path)) c.added.push_back(path);
  c.same_shape = c.missing.empty() && c.added.empty();
  std::ranges::stable_sort(c.slower, [](const span_change& a, const span_change& b) { return a.delta() > b.delta(); });
  return c;
}

}  // namespace v0
}  // namespace trace
