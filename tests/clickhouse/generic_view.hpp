#pragma once
// The ClickHouse store seen only through `span_store`: the generic path, nothing pushed down.
// The TraceQL tests compare their answers with it, and the benchmark times it.

#include <cstddef>
#include <vector>

#include "trace/store/clickhouse.hpp"

namespace trace_test {

class generic_view {
 public:
  explicit generic_view(trace::clickhouse_store& store) : store_(&store) {}
  template <class Batch>
  void append(const Batch& batch) { store_->append(batch); }
  std::size_t size() const { return store_->size(); }
  std::vector<trace::span> scan() const { return store_->scan(); }
  std::vector<trace::span> find_trace(const trace::trace_id& id) const { return store_->find_trace(id); }

 private:
  trace::clickhouse_store* store_;
};

}  // namespace trace_test
