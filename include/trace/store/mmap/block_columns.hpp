#pragma once
// `mmap_block`: a block of the mmap store (a sealed segment, or one batch of the active
// log) as a `column_block`, read in place: the packed columns, the segment's string table up
// to the block's own strings, and the zone map as the block's bounds; and the optional
// members for fast attribute tests, derived on first use (block_attributes.hpp).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>  // call_once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trace/store/column_block.hpp"
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/block_attributes.hpp"
#include "trace/store/mmap/span_view.hpp"
#include "trace/store/mmap/text_index.hpp"
#include "trace/store/mmap/tag_index.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// A log batch's tag indexes: the log is not sealed yet, so the first query that asks builds
// them from the batch's rows (once, whichever reader asks first), and they are kept while
// the batch is mapped. Later queries read only the rows they name, as in a sealed segment.
struct batch_tag_index {
  std::string bytes;
  tag_index_view view;
};

// The block's tag indexes: a sealed segment's, a log batch's, or null when it has none.
inline const tag_index_view* tag_index_of(const block_view& b) {
  if (const auto* sealed = b.tag_index()) return sealed;
  const std::vector<indexed_tag>* tags = b.log_tags();
  if (!tags || tags->empty() || !b.rows()) return nullptr;
  block_lazy_columns& lazy = b.lazy_columns();
  std::call_once(lazy.tag_index_once, [&] {
    tag_index_builder builder(*tags);
    for (std::uint32_t row = 0; row < b.rows(); ++row) builder.add(row, mmap_span(&b, row));
    auto index = std::make_shared<batch_tag_index>();
    index->bytes = builder.finish(b.rows());
    index->view = tag_index_view::open(reinterpret_cast<const std::byte*>(index->bytes.data()), index->bytes.size(), b.rows(),
                                       0, "log batch");
    lazy.tag_index = std::move(index);
  });
  return &lazy.tag_index->view;
}

}  // namespace detail

class mmap_block {
 public:
  mmap_block() = default;
  explicit mmap_block(const detail::block_view* block) noexcept
      : block_(block),
        start_(column(detail::packed_column::start)),
        duration_(column(detail::packed_column::duration)),
        ordinal_(column(detail::packed_column::ordinal)),
        service_(column(detail::packed_column::service)),
        name_(column(detail::packed_column::name)),
        status_(block->status_column()),
        kind_(block->kind_column()),
        status_mask_(block->status_mask()),
        kind_shift_(block->kind_shift()),
        min_start_(block->min_start()),
        rows_(block->rows()) {}

  // The column accessors read the copies below, not the block view: a loop over rows keeps
  // them in registers, where through the view it would reload them after each store that
  // might alias them. Rows are std::size_t for the reason memory_store::block gives.
  std::uint32_t rows() const noexcept { return rows_; }
  trace_id trace(std::size_t row) const noexcept { return block_->trace_at(static_cast<std::uint32_t>(read(ordinal_, row))); }
  timestamp_ns start(std::size_t row) const noexcept { return min_start_ + read(start_, row); }
  duration_ns duration(std::size_t row) const noexcept { return read(duration_, row); }
  status_code status(std::size_t row) const noexcept {
    return static_cast<status_code>(detail::load<std::uint8_t>(status_ + row) & status_mask_);
  }
  span_kind kind(std::size_t row) const noexcept { return static_cast<span_kind>(detail::load<std::uint8_t>(kind_ + row) >> kind_shift_); }
  std::uint32_t service_id(std::size_t row) const noexcept { return static_cast<std::uint32_t>(read(service_, row)); }
  std::uint32_t name_id(std::size_t row) const noexcept { return static_cast<std::uint32_t>(read(name_, row)); }
  packed_ids service_ids() const noexcept { return {service_.data, service_.width}; }
  packed_ids name_ids() const noexcept { return {name_.data, name_.width}; }
  std::uint32_t string_count() const noexcept { return block_->refs().end; }
  std::string_view string(std::uint32_t id) const noexcept { return block_->string(id); }
  // The segment's table: the blocks of one log read it, each up to its own strings.
  const void* string_table() const noexcept { return block_->refs().table; }
  mmap_span span(std::uint32_t row) const noexcept { return mmap_span(block_, row); }
  block_bounds bounds() const noexcept {
    return {block_->min_start(), block_->max_start(), block_->min_duration(), block_->max_duration()};
  }
  std::uint32_t service_count() const noexcept { return block_->service_count(); }
  std::uint32_t service_at(std::uint32_t k) const noexcept { return block_->service_at(k); }
  // The distinct name ids, from the block's name table (built on first use).
  std::uint32_t name_count() const { return static_cast<std::uint32_t>(detail::names_of(*block_).name_ids().size()); }
  std::uint32_t name_at(std::uint32_t k) const { return detail::names_of(*block_).name_ids()[k]; }
  // The block's trace index: each trace of the block once.
  std::uint32_t distinct_trace_count() const noexcept { return block_->trace_count(); }
  trace_id distinct_trace_at(std::uint32_t k) const noexcept { return block_->trace_at(k); }

  // The block's tag indexes (null for segments sealed without index rules, a damaged index,
  // and the batches of a log whose store has none): conditions on an indexed tag test only
  // the rows they name.
  const detail::tag_index_view* tag_index() const { return detail::tag_index_of(*block_); }
  // The text index of a sealed segment's block (null for a log's batches and older segments):
  // full-text conditions test only the rows of the groups it names.
  const detail::text_index_view* text_index() const noexcept { return block_->text_index(); }

  // Attribute tests on columns (see column_block.hpp); the first use builds them.
  static constexpr std::size_t short_text = detail::block_attributes::short_text;
  std::optional<std::uint32_t> find_string(std::string_view text) const {
    // A service is found among the zone map's few ids, with no name table built (one text
    // has one id in a block, whatever column names it).
    for (std::uint32_t k = 0; k < service_count(); ++k)
      if (string(service_at(k)) == text) return service_at(k);
    if (auto id = detail::names_of(*block_).find(text)) return id;
    return detail::attributes_of(*block_).find(text);
  }
  std::span<const attribute_slot> attribute_slots(std::uint32_t row) const { return detail::attributes_of(*block_).slots(row); }
  void prefetch_attributes(std::uint32_t row) const { detail::attributes_of(*block_).prefetch(row); }
  detail::extras_attribute_values attribute_values(std::uint32_t row) const {
    return detail::extras_attribute_values(*block_, row);
  }
  std::uint32_t resource_id(std::uint32_t row) const { return detail::attributes_of(*block_).resource_index(row); }
  std::uint32_t scope_id(std::uint32_t row) const { return detail::attributes_of(*block_).scope_index(row); }
  const std::uint32_t* attribute_text_column(std::uint32_t key) const { return detail::attributes_of(*block_).text_column(key); }
  bool has_event_or_link_attributes() const { return detail::attributes_of(*block_).has_event_or_link_attributes(); }
  std::span<const resource> resources() const { return detail::attributes_of(*block_).resources(); }
  std::span<const scope> scopes() const { return detail::attributes_of(*block_).scopes(); }
  template <class F>
  bool visit_event_and_link_attributes(std::uint32_t row, F&& f) const {
    if (!detail::attributes_of(*block_).has_events_or_links(row)) return false;
    return detail::visit_extras_attributes(block_->extras_reader(row), false, f);
  }

 private:
  struct packed_column {
    const std::byte* data = nullptr;
    std::uint64_t mask = 0;
    std::uint32_t width = 1;
  };
  packed_column column(detail::packed_column c) const noexcept {
    const std::uint32_t width = block_->column_width(c);
    return {block_->column_data(c), width == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * width)) - 1, width};
  }
  // 8 bytes loaded at the value and masked to its width (the block's slack keeps the last load inside it).
  static std::uint64_t read(const packed_column& c, std::size_t row) noexcept {
    return detail::load<std::uint64_t>(c.data + c.width * row) & c.mask;
  }

  const detail::block_view* block_ = nullptr;
  packed_column start_, duration_, ordinal_, service_, name_;
  const std::byte* status_ = nullptr;
  const std::byte* kind_ = nullptr;
  std::uint8_t status_mask_ = 0xff, kind_shift_ = 0;
  timestamp_ns min_start_ = 0;
  std::uint32_t rows_ = 0;
};

static_assert(column_block<mmap_block>);

}  // namespace v0
}  // namespace trace
