#pragma once
// The attribute columns of an mmap block, derived from its bytes the first time a query
// asks for them. The file keeps a span's attributes in its extras, not in columns, so the
// optional members of `column_block` that make attribute tests fast (a text lookup,
// attribute slots, interned resources and scopes) are built once per block and kept beside
// it while it is mapped. No format change: blocks of every version (2 to 5) get them.
//
// Cost: one pass over the block's extras on first use, then 8 bytes per span attribute
// and 13 per row; texts are views into the mapped file, not copies.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/store/column_block.hpp"  // attribute_slot
#include "trace/store/mmap/block.hpp"
#include "trace/store/mmap/codec.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// The block's service and operation names by text, with their ids in the segment's table.
class block_names {
 public:
  explicit block_names(const block_view& b);
  std::optional<std::uint32_t> find(std::string_view text) const {
    auto found = ids_.find(text);
    if (found == ids_.end()) return std::nullopt;
    return found->second;
  }
  // The block's distinct name ids, in order of first row: a group-by by name need not read
  // the name column twice.
  std::span<const std::uint32_t> name_ids() const noexcept { return name_ids_; }

 private:
  std::unordered_map<std::string_view, std::uint32_t> ids_;  // views into the mapped block
  std::vector<std::uint32_t> name_ids_;
};

// Slots of the span attributes of every row (their key and short string value as ids), and
// each row's resource and scope as an index into the block's distinct ones. A text that is
// no service or name of the block gets an id past the segment's table (from
// `b.refs().end`), so one text has one id across names and attributes.
class block_attributes {
 public:
  static constexpr std::size_t short_text = 32;  // longer values are rarely repeated: no id

  block_attributes(const block_view& b, const block_names& names);

  std::optional<std::uint32_t> find(std::string_view text) const {
    auto found = ids_.find(text);
    if (found == ids_.end()) return std::nullopt;
    return found->second;
  }
  std::span<const attribute_slot> slots(std::uint32_t row) const noexcept {
    return std::span(slots_).subspan(begin_[row], begin_[row + 1] - begin_[row]);
  }
  // Asks the CPU to start loading a row's slots (tests over sparse rows overlap their misses).
  void prefetch(std::uint32_t row) const noexcept { __builtin_prefetch(slots_.data() + begin_[row]); }
  std::uint32_t resource_index(std::uint32_t row) const noexcept { return resource_of_row_[row]; }
  std::uint32_t scope_index(std::uint32_t row) const noexcept { return scope_of_row_[row]; }
  std::span<const resource> resources() const noexcept { return resources_; }
  std::span<const scope> scopes() const noexcept { return scopes_; }
  // False when the row has no event and no link: their attributes need no read of its extras.
  bool has_events_or_links(std::uint32_t row) const noexcept { return has_events_or_links_[row] != 0; }
  // False when no row has an event or a link.
  bool has_event_or_link_attributes() const noexcept { return any_events_or_links_; }
  // For key id `key`, each row's value as `column_block::attribute_text_column` gives it:
  // built from the slots the first time a query asks for the key, then kept.
  const std::uint32_t* text_column(std::uint32_t key) const;

 private:
  mutable std::mutex text_columns_mutex_;
  mutable std::map<std::uint32_t, std::vector<std::uint32_t>> text_columns_;  // by key id: a node never moves
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::vector<std::uint32_t> begin_;  // row r's slots are [begin_[r], begin_[r + 1])
  std::vector<attribute_slot> slots_;
  std::vector<std::uint32_t> resource_of_row_, scope_of_row_;
  std::vector<std::uint8_t> has_events_or_links_;
  bool any_events_or_links_ = false;
  std::vector<resource> resources_;
  std::vector<scope> scopes_;
};

// The row's span attributes read in place by position, in the order of its slots.
class extras_attribute_values {
 public:
  explicit extras_attribute_values(const block_view& b, std::uint32_t row) noexcept : block_(&b), row_(row) {}
  basic_attribute_value<std::string_view> operator[](std::size_t i) const;

 private:
  const block_view* block_;
  std::uint32_t row_;
};

// The block's lazy columns, built by the first caller (others wait for it).
const block_names& names_of(const block_view& b);
const block_attributes& attributes_of(const block_view& b);

// ---------------------------------------------------------------------------------------

inline block_names::block_names(const block_view& b) {
  // Each distinct id is hashed once, not once per row: a block has millions of rows and a
  // few hundred names.
  constexpr std::uint8_t as_service = 1, as_name = 2;
  std::vector<std::uint8_t> seen(b.refs().end);
  auto add = [&](std::uint32_t id, std::uint8_t as) {
    if (seen[id] & as) return;
    if (!seen[id]) ids_.try_emplace(b.string(id), id);
    if (as == as_name) name_ids_.push_back(id);
    seen[id] |= as;
  };
  for (std::uint32_t row = 0; row < b.rows(); ++row) {
    add(b.id_column(packed_column::service, row), as_service);
    add(b.id_column(packed_column::name, row), as_name);
  }
}

inline block_attributes::block_attributes(const block_view& b, const block_names& names) {
  std::uint32_t next_id = b.refs().end;
  auto id_of = [&](std::string_view text) {
    if (auto id = names.find(text)) return *id;
    auto [at, fresh] = ids_.try_emplace(text, next_id);
    if (fresh) ++next_id;
    return at->second;
  };
  auto add_slot = [&](attribute_scope, std::string_view key, const basic_attribute_value<std::string_view>& value) {
    attribute_slot slot;
    slot.key = id_of(key);
    if (const auto* text = std::get_if<std::string_view>(&value); text && text->size() <= short_text) slot.text = id_of(*text);
    slots_.push_back(slot);
    return false;
  };
  std::unordered_map<std::uint32_t, std::uint32_t> resource_index, scope_index;  // string id → index
  begin_.reserve(std::size_t{b.rows()} + 1);
  resource_of_row_.reserve(b.rows());
  scope_of_row_.reserve(b.rows());
  has_events_or_links_.reserve(b.rows());
  begin_.push_back(0);
  for (std::uint32_t row = 0; row < b.rows(); ++row) {
    has_events_or_links_.push_back(visit_own_attributes_noting_rest(b.extras_reader(row), add_slot));
    any_events_or_links_ = any_events_or_links_ || has_events_or_links_.back();
    begin_.push_back(static_cast<std::uint32_t>(slots_.size()));
    const std::uint32_t resource_id = b.id_column(packed_column::resource, row);
    auto [r, new_resource] = resource_index.try_emplace(resource_id, static_cast<std::uint32_t>(resources_.size()));
    if (new_resource) resources_.push_back(decode_resource(b.string(resource_id)));
    resource_of_row_.push_back(r->second);
    const std::uint32_t scope_id = b.id_column(packed_column::scope, row);
    auto [s, new_scope] = scope_index.try_emplace(scope_id, static_cast<std::uint32_t>(scopes_.size()));
    if (new_scope) scopes_.push_back(decode_scope(b.string(scope_id)));
    scope_of_row_.push_back(s->second);
  }
}

inline const std::uint32_t* block_attributes::text_column(std::uint32_t key) const {
  std::lock_guard lock(text_columns_mutex_);
  auto [column, fresh] = text_columns_.try_emplace(key);
  if (fresh) {
    const auto rows = static_cast<std::uint32_t>(resource_of_row_.size());
    column->second.resize(rows, attribute_slot::no_text);
    for (std::uint32_t row = 0; row < rows; ++row)
      for (const attribute_slot& slot : slots(row))
        if (slot.key == key) {
          column->second[row] = slot.text == attribute_slot::no_text ? attribute_slot::other_value : slot.text;
          break;
        }
  }
  return column->second.data();
}

inline basic_attribute_value<std::string_view> extras_attribute_values::operator[](std::size_t i) const {
  basic_attribute_value<std::string_view> out;
  std::size_t at = 0;
  auto pick = [&](attribute_scope, std::string_view, const basic_attribute_value<std::string_view>& value) {
    if (at++ != i) return false;
    out = value;
    return true;
  };
  visit_extras_attributes(block_->extras_reader(row_), true, pick);
  return out;
}

inline const block_names& names_of(const block_view& b) {
  block_lazy_columns& lazy = b.lazy_columns();
  std::call_once(lazy.names_once, [&] { lazy.names = std::make_shared<const block_names>(b); });
  return *lazy.names;
}

inline const block_attributes& attributes_of(const block_view& b) {
  block_lazy_columns& lazy = b.lazy_columns();
  std::call_once(lazy.attributes_once, [&] { lazy.attributes = std::make_shared<const block_attributes>(b, names_of(b)); });
  return *lazy.attributes;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
