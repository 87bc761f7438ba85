#pragma once
// `mmap_span`: one stored span of the mmap store, read in place from the mapped file. It is
// two words (a block and a row); every accessor reads the column it needs and nothing else.
// It stays valid while the segment holding it is part of the store (retention or eviction
// may drop a segment; a store closing drops them all).

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/stored_span.hpp"

namespace trace {
inline namespace v0 {

// Its members are those of every stored span (stored_span.hpp).
class mmap_span {
 public:
  mmap_span() = default;
  mmap_span(const detail::block_view* block, std::uint32_t row) noexcept : block_(block), row_(row) {}

  trace_id trace() const noexcept { return block_->trace_of_row(row_); }
  span_id id() const noexcept { return block_->id_at(row_); }
  span_id parent() const noexcept { return block_->parent_at(row_); }
  std::string_view name() const noexcept { return block_->name_at(row_); }
  std::string_view service() const noexcept { return block_->service_at_row(row_); }
  timestamp_ns start() const noexcept { return block_->start_at(row_); }
  duration_ns duration() const noexcept { return block_->duration_at(row_); }
  timestamp_ns end() const noexcept { return start() + duration(); }
  status_code status() const noexcept { return block_->status_at(row_); }
  span_kind kind() const noexcept { return block_->kind_at(row_); }
  std::string_view status_message() const {
    detail::byte_reader r = block_->extras_reader(row_);
    return detail::read_extras_head(r).status_message;
  }
  std::string_view scope_name() const { return detail::read_scope_identity(block_->scope_at(row_)).name; }
  std::string_view scope_version() const { return detail::read_scope_identity(block_->scope_at(row_)).version; }
  std::string_view trace_state() const {
    detail::byte_reader r = block_->extras_reader(row_);
    return detail::read_extras_head(r).trace_state;
  }

  // Calls f(scope, key, value) over span, resource, scope, event and link attributes, in
  // that order; values are `basic_attribute_value<std::string_view>` into the mapping.
  template <class F>
  bool visit_attributes(F&& f) const {
    return detail::visit_extras_attributes(block_->extras_reader(row_), true, f) ||
           detail::visit_resource_attributes(block_->resource_at(row_), f) ||
           detail::visit_scope_attributes(block_->scope_at(row_), f) ||
           detail::visit_extras_attributes(block_->extras_reader(row_), false, f);
  }

  // Calls f(text) for each text full-text search reads (visit_span_text, which calls this):
  // the name, the status message and the string attribute values, in an order of its own that
  // reads the extras once. Sealing builds the text index with it too, so the index and a scan
  // cannot disagree.
  template <class F>
  void visit_text(F&& f) const {
    auto text_values = [&f](attribute_scope, std::string_view, const basic_attribute_value<std::string_view>& value) {
      if (const auto* one = std::get_if<std::string_view>(&value)) f(*one);
      else if (const auto* many = std::get_if<std::vector<std::string_view>>(&value))
        for (std::string_view item : *many) f(item);
      return false;
    };
    f(name());
    detail::byte_reader extras = block_->extras_reader(row_);
    const detail::extras_head head = detail::read_extras_head(extras);
    if (!head.status_message.empty()) f(head.status_message);
    detail::visit_every_extras_attribute(extras, head, text_values);
    detail::visit_resource_attributes(block_->resource_at(row_), text_values);
    detail::visit_scope_attributes(block_->scope_at(row_), text_values);
  }

  // A full owning copy of the span.
  span materialize() const {
    span s;
    s.trace = trace();
    s.id = id();
    s.parent = parent();
    s.name = std::string(name());
    s.kind = kind();
    s.start = start();
    s.end = end();
    s.status.code = status();
    s.resource = detail::decode_resource(block_->resource_at(row_));
    s.scope = detail::decode_scope(block_->scope_at(row_));
    detail::byte_reader extras = block_->extras_reader(row_);
    detail::decode_extras(extras, s);  // after start: event times are relative to it
    return s;
  }

  friend bool operator==(const mmap_span& a, const mmap_span& b) noexcept {
    return a.block_ == b.block_ && a.row_ == b.row_;
  }

 private:
  const detail::block_view* block_ = nullptr;
  std::uint32_t row_ = 0;
};

template <>
struct span_traits<mmap_span> : stored_span_traits<mmap_span> {};

static_assert(attributed_span_like<mmap_span>);
static_assert(scoped_span_like<mmap_span>);

}  // namespace v0
}  // namespace trace
