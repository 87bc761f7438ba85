#pragma once
// Trace search in Jaeger's sense: the whole traces (every span, even those outside the
// window) of which at least ONE span satisfies the filter on its own, newest first, at most
// `limit` of them. A trace-level condition (has errors) and an offset apply on top.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <ranges>
#include <unordered_map>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/query/row_filter.hpp"  // the columnar stores' fast path
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {

struct trace_query {
  filter where{};                  // one span must satisfy all of it
  std::optional<bool> has_errors{};  // trace-level: some span (any span) has status error, or none has
  std::size_t offset = 0;
  std::size_t limit = 20;
};

// Ids of the matching traces, ordered by their latest matching span's start, newest first.
template <span_store Store>
std::vector<trace_id> find_trace_ids(const Store& store, const trace_query& q) {
  std::unordered_map<trace_id, timestamp_ns> latest;
  auto keep = [&latest](const auto& s) {
    auto [it, inserted] = latest.emplace(trace_id_of(s), start_of(s));
    if (!inserted) it->second = std::max(it->second, start_of(s));
  };
  if constexpr (columnar_store<Store>) {
    // Matches come in row order, and a trace's rows mostly sit together (a sealed mmap
    // segment groups them; batches arrive trace by trace): the previous match's trace is
    // checked before the map is asked. An element's address survives rehashing.
    trace_id previous{};
    timestamp_ns* previous_start = nullptr;
    for_each_match(store, q.where, [&](const auto& block, std::uint32_t row) {
      const trace_id id = block.trace(row);
      const timestamp_ns start = block.start(row);
      if (!previous_start || id != previous) {
        previous = id;
        previous_start = &latest.try_emplace(id, start).first->second;
      }
      *previous_start = std::max(*previous_start, start);
    });
  } else if constexpr (requires { store.scan(q.where); }) {
    // A store that filters on its own side (ClickHouse) sends back only the matching spans.
    for (auto&& s : store.scan(q.where)) keep(s);
  } else {
    for (auto&& s : store.scan())
      if (matches(q.where, s)) keep(s);
  }
  std::vector<std::pair<timestamp_ns, trace_id>> ranked;
  ranked.reserve(latest.size());
  for (const auto& [id, start] : latest) ranked.emplace_back(start, id);
  // Newest first (ids break ties, so the order is total): without an error test, only the
  // page and what it skips need sorting.
  const std::size_t wanted =
      q.offset >= ranked.size() || q.limit >= ranked.size() - q.offset ? ranked.size() : q.offset + q.limit;
  if (q.has_errors || wanted == ranked.size())
    std::ranges::sort(ranked, std::greater<>{});
  else
    std::ranges::partial_sort(ranked, ranked.begin() + static_cast<std::ptrdiff_t>(wanted), std::greater<>{});

  std::vector<trace_id> out;
  std::size_t skipped = 0;
  for (const auto& [start, id] : ranked) {
    if (out.size() >= q.limit) break;
    if (q.has_errors) {
      bool errors = false;
      for (auto&& s : store.find_trace(id))
        if (status_of(s) == status_code::error) {
          errors = true;
          break;
        }
      if (errors != *q.has_errors) continue;
    }
    if (skipped++ < q.offset) continue;
    out.push_back(id);
  }
  return out;
}

// The matching traces themselves, each as the store's spans of that trace.
template <span_store Store>
std::vector<std::vector<store_span_t<Store>>> find_traces(const Store& store, const trace_query& q) {
  std::vector<std::vector<store_span_t<Store>>> out;
  for (const trace_id& id : find_trace_ids(store, q)) {
    auto& trace = out.emplace_back();
    for (auto&& s : store.find_trace(id)) trace.push_back(s);
  }
  return out;
}

}  // namespace v0
}  // namespace trace
