#pragma once
// A filter compiled for the `column_block`s of a `columnar_store`. A block whose bounds (its
// zone map: start and duration ranges, services present) rule the filter out is skipped
// without reading a row. Otherwise rows are tested a chunk at a time, each condition as one
// tight loop over its column writing a byte per row, and/or/not combining those bytes.
// Service and operation tests compare interned ids (or, in a block that cannot look a text
// up, decide each distinct id once); attribute, substring and regular-expression tests go
// row by row, through the block's attribute slots and interned resources and scopes when it
// has them, otherwise through the stored span. In a block with tag indexes (a sealed mmap
// segment whose index rules cover the tag), an attribute, start-time, service, operation,
// status or kind condition the index can answer tests only the rows the index names, and
// when the whole filter needs such rows (an `and` with one, an `or` of them), chunks
// without any are not read at all.
//
//   trace::row_filter rows(f);
//   for (const auto& block : store.blocks())
//     rows.for_each_match(block, [&](std::uint32_t row) { ... block.span(row) ... });
//
// It refers to the filter it was built from, which must outlive it.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/store/mmap/indexed_tag.hpp"  // indexed_field: which tag index answers a test
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {

class row_filter {
 public:
  explicit row_filter(const filter& f) {
    root_ = compile(f);
    scratch_.resize(nodes_.size() * chunk);
  }

  // False when no row of `b` can match, by its bounds alone.
  template <column_block B>
  bool may_match(const B& b) const {
    return b.rows() != 0 && may_match(root_, b, b.bounds());
  }

  // Calls `f(row)` for every matching row of `b`, in ascending order.
  template <column_block B, class F>
  void for_each_match(const B& b, F&& f) {
    if (!may_match(b)) return;
    for (node& n : nodes_) {
      n.indexed.reset();
      if constexpr (requires { b.tag_index(); })
        if (const auto* index = b.tag_index()) bind_index(n, *index);
    }
    const auto wanted = candidates(root_);
    // With few rows to read, attribute tests go row by row: building the block's attribute
    // columns would decode every row.
    for (node& n : nodes_) bind(n, b, wanted.has_value());
    const std::uint32_t rows = b.rows();
    if (wanted) {
      // Only the chunks holding a candidate row, each with the others masked out.
      std::vector<std::uint8_t> mask(chunk);
      for (std::size_t at = 0; at < wanted->size();) {
        const std::uint32_t first = (*wanted)[at] / chunk * chunk, count = std::min(chunk, rows - first);
        std::fill(mask.begin(), mask.end(), std::uint8_t{0});
        for (; at < wanted->size() && (*wanted)[at] < first + count; ++at) mask[(*wanted)[at] - first] = 1;
        const std::uint8_t* hits = evaluate(root_, b, first, count, mask.data());
        for (std::uint32_t i = 0; i < count; ++i)
          if (hits[i] && mask[i]) f(first + i);
      }
      return;
    }
    for (std::uint32_t first = 0; first < rows; first += chunk) {
      const std::uint32_t count = std::min(chunk, rows - first);
      for_each_hit(evaluate(root_, b, first, count), first, count, f);
    }
  }

 private:
  enum class op : std::uint8_t {
    always, never, all, any, negate, trace, service, name, name_contains, status, kind, scope, duration, start,
    attribute, text,
    generic  // evaluated through the stored span, row by row
  };
  struct node {
    op kind = op::always;
    std::uint32_t code = 0;  // status or kind value
    std::uint64_t low = 0, high = 0;  // inclusive bounds
    trace_id trace{};
    std::string_view text{};         // service or operation name, or the substring
    const filter* source = nullptr;  // the original node, for scope and attribute tests
    std::vector<std::uint32_t> children{};

    // Bound to the current block:
    bool columns = false;                 // the block has what the column test needs
    std::optional<std::uint32_t> id{};    // the text's string id, when the block looks texts up
    std::vector<std::uint8_t> decided{};  // by string id: 0 not yet, 1 fails, 2 passes
    std::optional<std::uint32_t> key_id{}, text_id{};
    bool equal_short_text = false;
    const std::uint32_t* text_column = nullptr;  // the block's column of the key's short texts, if it has one
    bool others_may_pass = true;  // some resource, scope, event or link attribute of the block may pass
    std::vector<std::uint8_t> resource_passes{}, scope_passes{};  // by resource / scope index
    std::optional<std::vector<std::uint32_t>> indexed{};  // the block's rows a tag index says may pass, sorted
    std::uint32_t group_rows = 0;  // text: rows per group of `decided` (0: no index, every row is tested)
  };

  // Rows per evaluation step: the scratch bytes of all nodes stay in the cache.
  static constexpr std::uint32_t chunk = 1024;

  // Calls f(first + i) for each nonzero byte of hits[0, count), skipping 8 rows at once
  // where none matches (matches are usually few).
  template <class F>
  static void for_each_hit(const std::uint8_t* hits, std::uint32_t first, std::uint32_t count, F& f) {
    std::uint32_t i = 0;
    for (; i + 8 <= count; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, hits + i, sizeof word);
      if (!word) continue;
      for (std::uint32_t j = i; j < i + 8; ++j)
        if (hits[j]) f(first + j);
    }
    for (; i < count; ++i)
      if (hits[i]) f(first + i);
  }

  std::uint32_t add(node n) {
    nodes_.push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  std::uint32_t compile(const filter& f) {
    return std::visit(
        [&](const auto& n) -> std::uint32_t {
          using N = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<N, filters::match_all>) return add({.kind = op::always});
          else if constexpr (std::is_same_v<N, filters::trace_is>) return add({.kind = op::trace, .trace = n.id});
          else if constexpr (std::is_same_v<N, filters::service_is>) return add({.kind = op::service, .text = n.name});
          else if constexpr (std::is_same_v<N, filters::operation_is>) return add({.kind = op::name, .text = n.name});
          else if constexpr (std::is_same_v<N, filters::operation_contains>)
            return add({.kind = op::name_contains, .text = n.text});
          else if constexpr (std::is_same_v<N, filters::regex_test>) return add({.kind = op::generic, .source = &f});
          else if constexpr (std::is_same_v<N, filters::text_match>) return add({.kind = op::text, .source = &f});
          else if constexpr (std::is_same_v<N, filters::status_is>)
            return add({.kind = op::status, .code = static_cast<std::uint32_t>(n.code)});
          else if constexpr (std::is_same_v<N, filters::kind_is>)
            return add({.kind = op::kind, .code = static_cast<std::uint32_t>(n.kind)});
          else if constexpr (std::is_same_v<N, filters::scope_is>) return add({.kind = op::scope, .source = &f});
          else if constexpr (std::is_same_v<N, filters::duration_within>)
            return add({.kind = op::duration, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::start_within>)
            return add({.kind = op::start, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::attribute_test>) return add({.kind = op::attribute, .source = &f});
          else if constexpr (std::is_same_v<N, filters::negation>) {
            std::uint32_t child = compile(*n.item);
            return add({.kind = op::negate, .children = {child}});
          } else {
            node group{.kind = std::is_same_v<N, filters::all_of> ? op::all : op::any};
            for (const filter& item : n.items) group.children.push_back(compile(item));
            // Column tests first: in an `and`, later row-by-row tests then skip rows already out.
            std::ranges::stable_sort(group.children, {}, [this](std::uint32_t child) { return cost(child); });
            return add(std::move(group));
          }
        },
        f.get());
  }

  // 0: one column read per row; 1: a combination; 2: row by row through attributes or text.
  int cost(std::uint32_t index) const {
    switch (nodes_[index].kind) {
      case op::all: case op::any: case op::negate: return 1;
      case op::generic: case op::attribute: case op::scope: case op::text: return 2;
      default: return 0;
    }
  }

  // Whether node `index` may hold for some row inside `bounds` (negations: always may).
  template <column_block B>
  bool may_match(std::uint32_t index, const B& b, const block_bounds& bounds) const {
    const node& n = nodes_[index];
    switch (n.kind) {
      case op::never: return false;
      case op::all:
        return std::ranges::all_of(n.children, [&](std::uint32_t c) { return may_match(c, b, bounds); });
      case op::any:
        return std::ranges::any_of(n.children, [&](std::uint32_t c) { return may_match(c, b, bounds); });
      case op::start: return n.low <= bounds.max_start && n.high >= bounds.min_start;
      case op::duration: return n.low <= bounds.max_duration && n.high >= bounds.min_duration;
      case op::service:
        for (std::uint32_t k = 0; k < b.service_count(); ++k)
          if (b.string(b.service_at(k)) == n.text) return true;
        return false;
      default: return true;
    }
  }

  // Prepares node `n` for the rows of block `b`: string ids, per-id answers, and per
  // resource or scope answers where the block interns those. `sparse`: a tag index leaves
  // few rows to read, so nothing is built over the whole block for them.
  template <column_block B>
  void bind(node& n, const B& b, bool sparse) {
    switch (n.kind) {
      case op::service:
      case op::name:
        if constexpr (requires { b.find_string(n.text); }) {
          n.columns = true;
          n.id = b.find_string(n.text);
        } else {
          n.columns = false;
          n.decided.assign(b.string_count(), 0);
        }
        break;
      case op::name_contains: n.decided.assign(b.string_count(), 0); break;
      case op::text:
        n.group_rows = 0;
        if constexpr (requires { b.text_index(); })
          if (const auto* index = b.text_index()) {
            // The groups that may hold a match; rows outside them are not read.
            n.decided = std::get<filters::text_match>(n.source->get()).query->candidate_groups(*index);
            n.group_rows = index->group_rows();
          }
        break;
      case op::scope:
        n.columns = false;
        if (sparse) break;
        if constexpr (requires { b.scope_id(0); b.scopes(); }) {
          n.columns = true;
          const auto& t = std::get<filters::scope_is>(n.source->get());
          n.scope_passes.clear();
          for (const scope& candidate : b.scopes()) n.scope_passes.push_back(detail::scope_passes(t, candidate.name, candidate.version));
        }
        break;
      case op::attribute:
        n.columns = false;
        if (sparse || n.indexed) break;
        if constexpr (requires {
                        b.attribute_slots(0);
                        b.attribute_values(0);
                        b.find_string(n.text);
                        b.resource_id(0);
                        b.scope_id(0);
                        b.resources();
                        b.scopes();
                        B::short_text;
                      }) {
          bind_attribute(n, b);
        }
        break;
      default: break;
    }
  }

  template <column_block B>
  void bind_attribute(node& n, const B& b) {
    const auto& t = std::get<filters::attribute_test>(n.source->get());
    n.columns = true;
    n.key_id = b.find_string(t.key);
    n.equal_short_text = false;
    n.text_id.reset();
    if (const auto* text = std::get_if<std::string>(&t.value); t.op == compare_op::eq && text && text->size() <= B::short_text) {
      n.equal_short_text = true;
      n.text_id = b.find_string(*text);
    }
    n.text_column = nullptr;
    if constexpr (requires { b.attribute_text_column(std::uint32_t{}); })
      if (n.key_id && n.equal_short_text && (t.scopes & static_cast<std::uint8_t>(attribute_scope::span)))
        n.text_column = b.attribute_text_column(*n.key_id);
    auto passes_in = [&t](attribute_scope where, const attributes& items) {
      if (!(t.scopes & static_cast<std::uint8_t>(where))) return std::uint8_t{0};
      for (const auto& item : items)
        if (item.key == t.key && detail::attribute_passes(item.value, t.op, t.value)) return std::uint8_t{1};
      return std::uint8_t{0};
    };
    n.resource_passes.clear();
    n.scope_passes.clear();
    for (const resource& r : b.resources()) n.resource_passes.push_back(passes_in(attribute_scope::resource, r.attributes));
    for (const scope& candidate : b.scopes()) n.scope_passes.push_back(passes_in(attribute_scope::scope, candidate.attributes));
    constexpr auto rare = static_cast<std::uint8_t>(attribute_scope::event) | static_cast<std::uint8_t>(attribute_scope::link);
    bool rare_may_pass = (t.scopes & rare) != 0;
    if constexpr (requires { b.has_event_or_link_attributes(); }) rare_may_pass = rare_may_pass && b.has_event_or_link_attributes();
    n.others_may_pass = rare_may_pass || std::ranges::any_of(n.resource_passes, [](std::uint8_t p) { return p != 0; }) ||
                        std::ranges::any_of(n.scope_passes, [](std::uint8_t p) { return p != 0; });
  }

  // Asks the block's tag indexes for the rows an attribute, start-time, service, operation,
  // status or kind test may pass.
  template <class Index>
  static void bind_index(node& n, const Index& index) {
    auto equal = [&](indexed_field field, attribute_value wanted) {
      if (const auto* e = index.find(field, {})) n.indexed = e->candidates(compare_op::eq, wanted);
    };
    switch (n.kind) {
      case op::attribute: {
        const auto& t = std::get<filters::attribute_test>(n.source->get());
        if (const auto* e = index.find(indexed_field::attribute, t.key)) n.indexed = e->candidates(t.op, t.value);
        break;
      }
      case op::start:
        if (const auto* e = index.find(indexed_field::start, {})) n.indexed = e->start_rows(n.low, n.high);
        break;
      case op::service: equal(indexed_field::service, std::string(n.text)); break;
      case op::name: equal(indexed_field::name, std::string(n.text)); break;
      case op::status: equal(indexed_field::status, static_cast<std::int64_t>(n.code)); break;
      case op::kind: equal(indexed_field::kind, static_cast<std::int64_t>(n.code)); break;
      default: break;
    }
  }

  // The rows outside which node `index` holds for no row of the bound block, sorted; nullopt
  // when every row may (no index answers it).
  std::optional<std::vector<std::uint32_t>> candidates(std::uint32_t index) const {
    const node& n = nodes_[index];
    switch (n.kind) {
      case op::never: return std::vector<std::uint32_t>{};
      case op::attribute:
      case op::start:
      case op::service:
      case op::name:
      case op::status:
      case op::kind: return n.indexed;
      case op::all: {
        std::optional<std::vector<std::uint32_t>> out;
        for (std::uint32_t child : n.children)
          if (auto rows = candidates(child)) {
            if (!out) {
              out = std::move(rows);
            } else {
              std::vector<std::uint32_t> both;
              std::ranges::set_intersection(*out, *rows, std::back_inserter(both));
              out = std::move(both);
            }
          }
        return out;
      }
      case op::any: {
        std::vector<std::uint32_t> out;
        for (std::uint32_t child : n.children) {
          auto rows = candidates(child);
          if (!rows) return std::nullopt;
          std::vector<std::uint32_t> either;
          std::ranges::set_union(out, *rows, std::back_inserter(either));
          out = std::move(either);
        }
        return out;
      }
      default: return std::nullopt;
    }
  }

  // Fills `out` for rows [first, first + count): 0 but where the node's indexed rows are,
  // which get `test(row)` (when wanted).
  template <class Test>
  static void fill_indexed(const node& n, std::uint8_t* out, std::uint32_t first, std::uint32_t count,
                           const std::uint8_t* only, Test&& test) {
    std::fill_n(out, count, std::uint8_t{0});
    const auto& rows = *n.indexed;
    for (auto it = std::ranges::lower_bound(rows, first); it != rows.end() && *it < first + count; ++it)
      if (!only || only[*it - first]) out[*it - first] = test(*it);
  }

  // out[i] = whether row first + i of a packed id column holds `id`: a loop per width, so
  // that each reads its ids with plain loads, which vectorize.
  static void equal_ids(packed_ids column, std::uint32_t id, std::size_t first, std::uint32_t count, std::uint8_t* out) {
    auto compare = [&]<class T, std::size_t width>(T mask, std::integral_constant<std::size_t, width>) {
      const std::byte* ids = column.data + width * first;
      for (std::size_t i = 0; i < count; ++i) {
        T value;
        std::memcpy(&value, ids + width * i, sizeof value);
        out[i] = static_cast<std::uint32_t>(value & mask) == id;
      }
    };
    switch (column.width) {
      case 1: compare(std::uint8_t{0xff}, std::integral_constant<std::size_t, 1>{}); break;
      case 2: compare(std::uint16_t{0xffff}, std::integral_constant<std::size_t, 2>{}); break;
      case 3: compare(std::uint32_t{0xffffff}, std::integral_constant<std::size_t, 3>{}); break;  // the 4th byte masked off
      default: compare(std::uint32_t{0xffffffff}, std::integral_constant<std::size_t, 4>{}); break;
    }
  }

  // The answer for a string id, decided once per id and block.
  template <column_block B>
  static bool text_passes(node& n, const B& b, std::uint32_t id) {
    std::uint8_t& answer = n.decided[id];
    if (!answer) {
      const std::string_view text = b.string(id);
      answer = 1 + (n.kind == op::name_contains ? text.find(n.text) != std::string_view::npos : text == n.text);
    }
    return answer == 2;
  }

  // Evaluates node `index` over rows [first, first + count) of `b` into its scratch bytes.
  // Where `only` is given and 0, the result does not matter, and row-by-row tests skip the row.
  template <column_block B>
  const std::uint8_t* evaluate(std::uint32_t index, const B& block, std::uint32_t first, std::uint32_t count,
                               const std::uint8_t* only = nullptr) {
    node& n = nodes_[index];
    std::uint8_t* out = scratch_.data() + std::size_t{index} * chunk;
    const B b = block;
    auto fill = [&](auto&& test) {
      for (std::uint32_t i = 0; i < count; ++i) out[i] = test(first + i);
    };
    // A one-column test: `out` is bytes, which may alias anything the compiler cannot see
    // is private, so the test reads a copy of the block that nothing else sees (its column
    // pointers stay in registers) and constants copied out of the node; the loop then
    // vectorizes instead of reloading both for every row.
    auto fill_column = [&](auto&& test) {
      const B c = block;
      for (std::size_t i = 0; i < count; ++i) out[i] = test(c, first + i);  // a 64-bit row: see memory_store::block
    };
    const std::uint32_t code = n.code;
    const std::uint64_t low = n.low, high = n.high;
    auto fill_wanted = [&](auto&& test) {
      for (std::uint32_t i = 0; i < count; ++i) out[i] = (!only || only[i]) && test(first + i);
    };
    switch (n.kind) {
      case op::always: std::fill_n(out, count, std::uint8_t{1}); break;
      case op::never: std::fill_n(out, count, std::uint8_t{0}); break;
      case op::all: {
        if (only)
          std::copy_n(only, count, out);
        else
          std::fill_n(out, count, std::uint8_t{1});
        for (std::uint32_t child : n.children) {
          const std::uint8_t* part = evaluate(child, b, first, count, out);
          for (std::uint32_t i = 0; i < count; ++i) out[i] &= part[i];
        }
        break;
      }
      case op::any: {
        std::fill_n(out, count, std::uint8_t{0});
        for (std::uint32_t child : n.children) {
          const std::uint8_t* part = evaluate(child, b, first, count, only);
          for (std::uint32_t i = 0; i < count; ++i) out[i] |= part[i];
        }
        break;
      }
      case op::negate: {
        const std::uint8_t* part = evaluate(n.children[0], b, first, count, only);
        for (std::uint32_t i = 0; i < count; ++i) out[i] = !part[i];
        break;
      }
      case op::trace: {
        const trace_id wanted = n.trace;
        fill_column([wanted](const B& c, std::size_t row) { return c.trace(row) == wanted; });
        break;
      }
      case op::service:
      case op::name: {
        const bool service = n.kind == op::service;
        if (n.columns && !n.id) {
          std::fill_n(out, count, std::uint8_t{0});  // no row of the block carries the text
        } else if (n.columns) {
          const std::uint32_t id = *n.id;
          if constexpr (requires { b.service_ids(); b.name_ids(); }) {
            equal_ids(service ? b.service_ids() : b.name_ids(), id, first, count, out);
            break;
          }
          if (service) fill_column([id](const B& c, std::size_t row) { return c.service_id(row) == id; });
          else fill_column([id](const B& c, std::size_t row) { return c.name_id(row) == id; });
        } else if (service) {
          fill([&](std::uint32_t row) { return text_passes(n, b, b.service_id(row)); });
        } else {
          fill([&](std::uint32_t row) { return text_passes(n, b, b.name_id(row)); });
        }
        break;
      }
      case op::name_contains: fill([&](std::uint32_t row) { return text_passes(n, b, b.name_id(row)); }); break;
      case op::status:
        fill_column([code](const B& c, std::size_t row) { return static_cast<std::uint32_t>(c.status(row)) == code; });
        break;
      case op::kind:
        fill_column([code](const B& c, std::size_t row) { return static_cast<std::uint32_t>(c.kind(row)) == code; });
        break;
      case op::duration:
        fill_column([low, high](const B& c, std::size_t row) { return c.duration(row) >= low && c.duration(row) <= high; });
        break;
      case op::start:
        if (n.indexed)
          fill_indexed(n, out, first, count, only, [&](std::uint32_t row) { return b.start(row) >= low && b.start(row) <= high; });
        else
          fill_column([low, high](const B& c, std::size_t row) { return c.start(row) >= low && c.start(row) <= high; });
        break;
      case op::scope:
        if constexpr (requires { b.scope_id(0); }) {
          if (n.columns) {
            fill([&](std::uint32_t row) { return n.scope_passes[b.scope_id(row)]; });
            break;
          }
        }
        fill_wanted([&](std::uint32_t row) { return matches(*n.source, b.span(row)); });
        break;
      case op::attribute:
        if (n.indexed) {
          if constexpr (requires { b.attribute_slots(0); b.resource_id(0); b.scope_id(0); })
            if (n.columns) {
              fill_indexed(n, out, first, count, only, [&](std::uint32_t row) { return test_attribute(n, b, row); });
              break;
            }
          fill_indexed(n, out, first, count, only, [&](std::uint32_t row) { return matches(*n.source, b.span(row)); });
          break;
        }
        if constexpr (requires { b.attribute_slots(0); b.resource_id(0); b.scope_id(0); }) {
          if (n.text_column) {
            // Equality with a short text, read from the key's column in one branch-free pass;
            // then only rows whose value is not a short text (attribute_slot::other_value) go
            // through the slots, and the others through their resource, scope, events and
            // links when any of those could pass.
            const std::uint32_t* texts = n.text_column + first;
            const std::uint32_t wanted = n.text_id ? *n.text_id : attribute_slot::other_value - 1;  // none: no row has it
            for (std::uint32_t i = 0; i < count; ++i) out[i] = (!only || only[i]) & (texts[i] == wanted);
            for (std::uint32_t i = 0; i < count; ++i) {
              if (out[i] || (only && !only[i])) continue;
              if (texts[i] == attribute_slot::other_value) out[i] = test_attribute(n, b, first + i);
              else if (n.others_may_pass) out[i] = test_other_scopes(n, b, first + i);
            }
            break;
          }
          if (n.columns) {
            // Wanted rows are often sparse, so each test would wait for its own cache miss:
            // ask for all their attribute slots first, and the misses overlap.
            if constexpr (requires { b.prefetch_attributes(0); })
              if (only)
                for (std::uint32_t i = 0; i < count; ++i)
                  if (only[i]) b.prefetch_attributes(first + i);
            fill_wanted([&](std::uint32_t row) { return test_attribute(n, b, row); });
            break;
          }
        }
        fill_wanted([&](std::uint32_t row) { return matches(*n.source, b.span(row)); });
        break;
      case op::generic: fill_wanted([&](std::uint32_t row) { return matches(*n.source, b.span(row)); }); break;
      case op::text:
        if (n.group_rows)
          fill_wanted([&](std::uint32_t row) { return n.decided[row / n.group_rows] && matches(*n.source, b.span(row)); });
        else
          fill_wanted([&](std::uint32_t row) { return matches(*n.source, b.span(row)); });
        break;
    }
    return out;
  }

  template <column_block B>
  static bool test_attribute(const node& n, const B& b, std::uint32_t row) {
    const auto& t = std::get<filters::attribute_test>(n.source->get());
    if (n.key_id && (t.scopes & static_cast<std::uint8_t>(attribute_scope::span))) {
      auto slots = b.attribute_slots(row);
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].key != *n.key_id) continue;
        if (t.op == compare_op::exists) return true;
        // A short string equals the wanted short text exactly when their ids are equal (a
        // long one never does); other types follow the generic rules (int 200 == "200").
        if (n.equal_short_text && slots[i].text != attribute_slot::no_text) {
          if (slots[i].text == n.text_id) return true;
          continue;
        }
        if (detail::attribute_passes(b.attribute_values(row)[i], t.op, t.value)) return true;
      }
    }
    return test_other_scopes(n, b, row);
  }

  // The attribute test over a row's resource, scope, event and link attributes.
  template <column_block B>
  static bool test_other_scopes(const node& n, const B& b, std::uint32_t row) {
    const auto& t = std::get<filters::attribute_test>(n.source->get());
    if (n.resource_passes[b.resource_id(row)] || n.scope_passes[b.scope_id(row)]) return true;
    constexpr auto rare = static_cast<std::uint8_t>(attribute_scope::event) | static_cast<std::uint8_t>(attribute_scope::link);
    if (!(t.scopes & rare)) return false;
    return b.visit_event_and_link_attributes(row, [&t](attribute_scope where, std::string_view key, const auto& value) {
      return (static_cast<std::uint8_t>(where) & t.scopes) && key == t.key && detail::attribute_passes(value, t.op, t.value);
    });
  }

  std::vector<node> nodes_;
  std::vector<std::uint8_t> scratch_;  // `chunk` bytes per node
  std::uint32_t root_ = 0;
};

// Calls `f(block, row)` for every span of a columnar store that matches `where`, block by
// block, skipping the blocks whose bounds rule it out.
template <columnar_store Store, class F>
void for_each_match(const Store& store, const filter& where, F&& f) {
  row_filter rows(where);
  for (const auto& b : store.blocks())
    rows.for_each_match(b, [&](std::uint32_t row) { f(b, row); });
}

}  // namespace v0
}  // namespace trace
