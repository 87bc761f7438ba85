#pragma once
// `summarize` over a whole store. A `columnar_store` is read block by block from its
// columns: groups are found by the block's service and operation ids (each id mapped to its
// group once per block, by text) rather than by hashing strings per span; the trace count
// comes from the store (`trace_count()`) or from the blocks' own trace lists when they
// have them. Any other store is summarized span by span. The report always equals
// `summarize(store.scan())`.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "trace/analytics/summary.hpp"
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {

template <span_store Store>
summary_report summarize(const Store& store, const summary_options& options = {});

namespace detail {

template <columnar_store Store>
summary_report summarize_blocks(const Store& store, const summary_options& options) {
  constexpr std::uint32_t none = 0xffffffffu;
  stats_accumulator all(options);
  string_map<std::uint32_t> service_group;    // service -> group
  std::vector<std::string> service_of_group;
  std::vector<stats_accumulator> service_stats;
  string_map<std::uint32_t> operation_group;  // length-prefixed service, then operation -> group
  std::vector<std::pair<std::uint32_t, std::string>> operation_of_group;  // (service group, operation)
  std::vector<stats_accumulator> operation_stats;
  error_pattern_counter errors;
  std::unordered_set<trace_id> traces;

  std::vector<std::uint32_t> local_service;                            // by block string id: group, or none
  std::unordered_map<std::uint64_t, std::uint32_t> local_operation;  // (service id, name id) -> group
  std::string key;
  const auto blocks = store.blocks();
  for (const auto& block : blocks) {
    const auto b = block;
    const std::uint32_t rows = b.rows();
    local_service.assign(b.string_count(), none);
    local_operation.clear();
    if constexpr (!requires { store.trace_count(); }) {
      if constexpr (requires { b.distinct_trace_count(); b.distinct_trace_at(0); }) {
        for (std::uint32_t t = 0; t < b.distinct_trace_count(); ++t) traces.insert(b.distinct_trace_at(t));
      } else {
        for (std::uint32_t row = 0; row < rows; ++row) traces.insert(b.trace(row));
      }
    }
    std::uint64_t last_key = ~std::uint64_t{0};
    std::uint32_t last_group = none;
    for (std::uint32_t row = 0; row < rows; ++row) {
      const duration_ns duration = b.duration(row);
      const bool error = b.status(row) == status_code::error;
      all.add(duration, error);

      const std::uint32_t service = b.service_id(row), name = b.name_id(row);
      std::uint32_t& sg = local_service[service];
      if (sg == none) {
        sg = entry(service_group, b.string(service), [&] {
          service_of_group.emplace_back(b.string(service));
          service_stats.emplace_back(options);
          return static_cast<std::uint32_t>(service_stats.size() - 1);
        });
      }
      service_stats[sg].add(duration, error);

      const std::uint64_t local_key = (std::uint64_t{service} << 32) | name;
      if (local_key != last_key) {  // spans of one operation tend to come in runs
        auto [it, fresh] = local_operation.try_emplace(local_key, none);
        if (fresh) {
          const std::string_view service_text = b.string(service), name_text = b.string(name);
          key = std::to_string(service_text.size()) + ':';
          key += service_text;
          key += name_text;
          it->second = entry(operation_group, key, [&] {
            operation_of_group.emplace_back(sg, std::string(name_text));
            operation_stats.emplace_back(options);
            return static_cast<std::uint32_t>(operation_stats.size() - 1);
          });
        }
        last_key = local_key;
        last_group = it->second;
      }
      operation_stats[last_group].add(duration, error);

      if (error) errors.add(b.string(name), status_message_of(b.span(row)));
    }
  }

  summary_report report;
  report.spans = all.finish();
  if constexpr (requires { store.trace_count(); })
    report.trace_count = store.trace_count();
  else
    report.trace_count = traces.size();
  for (std::size_t g = 0; g < service_stats.size(); ++g) report.services.push_back({service_of_group[g], service_stats[g].finish()});
  for (std::size_t g = 0; g < operation_stats.size(); ++g)
    report.operations.push_back({service_of_group[operation_of_group[g].first], operation_of_group[g].second,
                                 operation_stats[g].finish()});
  errors.emit(report.error_patterns);
  order_report(report, options);
  return report;
}

}  // namespace detail

template <span_store Store>
summary_report summarize(const Store& store, const summary_options& options) {
  if constexpr (columnar_store<Store>)
    return detail::summarize_blocks(store, options);
  else
    return summarize(store.scan(), options);
}

}  // namespace v0
}  // namespace trace
