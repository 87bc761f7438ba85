#pragma once
// A store seen only through `span_store`: no blocks, no push-down, so every whole-store
// algorithm (count_matching, find_trace_ids, group_spans, summarize) takes its generic
// per-span path over the same spans. The fast paths are checked against it.
#include <cstddef>
#include <vector>

#include "trace/core/span.hpp"

namespace trace_test {

template <class Store>
class only_spans {
 public:
  explicit only_spans(Store& store) : store_(&store) {}
  void append(const std::vector<trace::span>& batch) { store_->append(batch); }
  std::size_t size() const { return store_->size(); }
  auto scan() const { return store_->scan(); }
  auto find_trace(const trace::trace_id& id) const { return store_->find_trace(id); }

 private:
  Store* store_;
};

}  // namespace trace_test
