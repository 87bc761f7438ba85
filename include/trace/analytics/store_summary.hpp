#pragma once
// `summarize` over a whole memory_store, read from its columns: groups are found by
// interned service and operation ids rather than by hashing strings, and the trace count
// comes from the store's index. The report equals `summarize(store.scan())`.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "trace/analytics/summary.hpp"
#include "trace/store/memory.hpp"

namespace trace {
inline namespace v0 {

inline summary_report summarize(const memory_store& store, const summary_options& options = {}) {
  constexpr std::uint32_t none = 0xffffffffu;
  const auto services = store.service_column();
  const auto names = store.name_column();
  const auto durations = store.duration_column();
  const auto statuses = store.status_column();

  detail::stats_accumulator all(options);
  std::vector<std::uint32_t> service_group(store.string_count(), none);  // string id -> group
  std::vector<std::uint32_t> service_of_group;
  std::vector<detail::stats_accumulator> service_stats;
  std::unordered_map<std::uint64_t, std::uint32_t> operation_group;  // (service id, name id) -> group
  std::vector<std::uint64_t> operation_of_group;
  std::vector<detail::stats_accumulator> operation_stats;
  detail::error_pattern_counter errors;

  std::uint64_t last_key = ~std::uint64_t{0};
  std::uint32_t last_group = none;
  for (std::uint32_t row = 0; row < store.size(); ++row) {
    const duration_ns duration = durations[row];
    const bool error = statuses[row] == status_code::error;
    all.add(duration, error);

    std::uint32_t& sg = service_group[services[row]];
    if (sg == none) {
      sg = static_cast<std::uint32_t>(service_stats.size());
      service_of_group.push_back(services[row]);
      service_stats.emplace_back(options);
    }
    service_stats[sg].add(duration, error);

    const std::uint64_t key = (std::uint64_t{services[row]} << 32) | names[row];
    if (key != last_key) {  // spans of one operation tend to come in runs
      auto [it, inserted] = operation_group.try_emplace(key, static_cast<std::uint32_t>(operation_stats.size()));
      if (inserted) {
        operation_of_group.push_back(key);
        operation_stats.emplace_back(options);
      }
      last_key = key;
      last_group = it->second;
    }
    operation_stats[last_group].add(duration, error);

    if (error) errors.add(store.string_of_id(names[row]), store.at(row).status_message());
  }

  summary_report report;
  report.spans = all.finish();
  report.trace_count = store.trace_count();
  for (std::size_t g = 0; g < service_stats.size(); ++g)
    report.services.push_back({std::string(store.string_of_id(service_of_group[g])), service_stats[g].finish()});
  for (std::size_t g = 0; g < operation_stats.size(); ++g) {
    auto service = static_cast<std::uint32_t>(operation_of_group[g] >> 32);
    auto name = static_cast<std::uint32_t>(operation_of_group[g]);
    report.operations.push_back({std::string(store.string_of_id(service)), std::string(store.string_of_id(name)),
                                 operation_stats[g].finish()});
  }
  errors.emit(report.error_patterns);
  detail::order_report(report, options);
  return report;
}

}  // namespace v0
}  // namespace trace
