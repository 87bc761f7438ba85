#pragma once
// A batch of spans as the block encoder takes it: the rare parts of each span (resource,
// scope, extras) encoded into one arena, and one `row_input` per span pointing into the
// arena and into the spans. Appends build their log records from it, and the cold tier its
// in-memory blocks of decoded Parquet rows.

#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/codec.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

class encoded_rows {
 public:
  // Encodes `batch`; the rows stay valid while `batch` and this object are unchanged.
  template <std::ranges::forward_range R>
  void encode(const R& batch);
  const std::vector<row_input>& rows() const noexcept { return rows_; }
  // An upper bound of the size of one block holding the rows.
  std::uint64_t block_bytes_bound() const noexcept {
    std::uint64_t bound = block_head_size + 64 + arena_.size();
    for (const auto& r : rows_) bound += 96 + r.service.size() + r.name.size();
    return bound;
  }

 private:
  struct parts { std::size_t resource, scope, extras, end; };
  std::string arena_;
  std::vector<parts> offsets_;
  std::vector<row_input> rows_;
};

template <std::ranges::forward_range R>
void encoded_rows::encode(const R& batch) {
  // The arena first, then the rows point into it (it no longer moves).
  arena_.clear();
  offsets_.clear();
  for (const auto& s : batch) {
    parts p{};
    p.resource = arena_.size();
    encode_resource(arena_, s.resource);
    p.scope = arena_.size();
    encode_scope(arena_, s.scope);
    p.extras = arena_.size();
    encode_extras(arena_, s);
    p.end = arena_.size();
    offsets_.push_back(p);
  }
  rows_.clear();
  std::size_t i = 0;
  const std::string_view arena(arena_);
  for (const auto& s : batch) {
    const parts& p = offsets_[i++];
    rows_.push_back({s.trace, s.id, s.parent, s.start, s.end - s.start, std::string_view(s.resource.service_name),
                     std::string_view(s.name), arena.substr(p.resource, p.scope - p.resource),
                     arena.substr(p.scope, p.extras - p.scope), arena.substr(p.extras, p.end - p.extras), s.status.code,
                     s.kind});
  }
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
