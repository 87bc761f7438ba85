#pragma once
// Finding log records in a log_store by service, time, severity, trace and words of the
// body. A text condition uses the full-text tokenizer and query language of the spans
// (text_query.hpp), so `"card declined"`, `decl*`, AND/OR/NOT mean the same on logs as on
// spans; the store's body index (log_store::body_index) narrows it to the groups of records
// that may match, each of which is then tested, so the index changes the speed, never the
// answer. Without a text condition, or within one trace's records, it is a scan.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trace/core/log_record.hpp"
#include "trace/core/time.hpp"
#include "trace/query/text_query.hpp"
#include "trace/store/log_store.hpp"

namespace trace {
inline namespace v0 {

struct log_query {
  std::optional<std::string> service{};
  timestamp_ns from = 0, to = max_timestamp;  // inclusive
  std::uint8_t min_severity = 0;              // 17: ERROR and above
  std::optional<trace_id> trace{};
  std::optional<text_query> text{};           // over the body
  std::size_t limit = 0;                      // 0: all
};

inline bool matches(const log_query& q, const log_record& r) {
  if (r.time < q.from || r.time > q.to || r.severity < q.min_severity) return false;
  if (q.service && r.service != *q.service) return false;
  if (q.trace && r.trace != *q.trace) return false;
  return !q.text || q.text->matches_text(r.body);
}

// Positions of the matching records in the store, oldest first (ties in appended order).
inline std::vector<std::size_t> find_logs(const log_store& logs, const log_query& q) {
  std::vector<std::size_t> out;
  if (q.trace) {
    for (std::size_t i : logs.of_trace(*q.trace))
      if (matches(q, logs[i])) out.push_back(i);
  } else if (q.text) {
    const text_postings& index = logs.body_index();
    const std::vector<std::uint8_t> groups = q.text->candidate_groups(index);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (!groups[g]) continue;
      const std::size_t first = g * index.group_rows(), last = std::min<std::size_t>(first + index.group_rows(), index.rows());
      for (std::size_t i = first; i < last; ++i)
        if (matches(q, logs[i])) out.push_back(i);
    }
    std::ranges::stable_sort(out, {}, [&logs](std::size_t i) { return logs[i].time; });
  } else {
    for (std::size_t i = 0; i < logs.size(); ++i)
      if (matches(q, logs[i])) out.push_back(i);
    std::ranges::stable_sort(out, {}, [&logs](std::size_t i) { return logs[i].time; });
  }
  if (q.limit && out.size() > q.limit) out.resize(q.limit);
  return out;
}

}  // namespace v0
}  // namespace trace
