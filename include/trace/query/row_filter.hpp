#pragma once
// A filter compiled against the columns of a `memory_store`: names become interned ids
// once, and rows are tested a block at a time, each condition as one tight loop over its
// column writing a byte per row, and/or/not combining those bytes. Attribute, substring and
// regular-expression tests go row by row. Tests on what is interned per resource or scope
// (an instrumentation-scope test, attribute tests in those scopes) are decided once per
// distinct resource or scope, then read through the row's resource or scope column; span
// attributes are found by key id, and only events and links are walked.
// Queries over a whole store use it through `prepare_rows` (found by ADL).
// It refers to the filter it was built from, which must outlive it, and to the store's
// columns, which must not grow while it is used.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/store/memory.hpp"

namespace trace {
inline namespace v0 {

class memory_row_filter {
 public:
  memory_row_filter(const memory_store& store, const filter& f) : store_(&store) {
    root_ = compile(f);
    scratch_.resize(nodes_.size() * block);
  }

  // Calls `f(row)` for every matching row, in ascending order.
  template <class F>
  void for_each_match(F&& f) {
    const auto rows = static_cast<std::uint32_t>(store_->size());
    for (std::uint32_t first = 0; first < rows; first += block) {
      const std::uint32_t count = std::min(block, rows - first);
      const std::uint8_t* hits = evaluate(root_, first, count);
      for (std::uint32_t i = 0; i < count; ++i)
        if (hits[i]) f(first + i);
    }
  }

 private:
  enum class op : std::uint8_t {
    always, never, all, any, negate, trace, service, name, status, kind, scope, duration, start, attribute,
    generic  // evaluated through the span, row by row
  };
  struct node {
    op kind = op::always;
    std::uint32_t id = 0;  // string id, status or kind value
    std::uint64_t low = 0, high = 0;  // inclusive bounds
    trace_id trace{};
    std::optional<std::uint32_t> key_id{};  // attribute key's string id, when interned
    const filter* source = nullptr;         // the original node, for text and attribute tests
    std::vector<std::uint8_t> resource_passes{}, scope_passes{};  // by resource / scope id: does it pass
    // Attribute test `== "short text"`: the text's string id (none: no stored short string
    // equals it), so string values are compared by slot and other types by the generic rules.
    bool equal_short_text = false;
    std::optional<std::uint32_t> text_id{};
    std::vector<std::uint32_t> children{};
  };

  std::uint32_t add(node n) {
    nodes_.push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  std::uint32_t name_node(op kind, std::string_view text) {
    auto id = store_->find_string_id(text);
    return id ? add({.kind = kind, .id = *id}) : add({.kind = op::never});
  }

  // The store keeps each distinct scope once: test those, then rows look up their scope's answer.
  std::uint32_t scope_node(const filters::scope_is& t) {
    node n{.kind = op::scope};
    for (const scope& candidate : store_->scopes())
      n.scope_passes.push_back(detail::scope_passes(t, candidate.name, candidate.version));
    return add(std::move(n));
  }

  std::uint32_t compile(const filter& f) {
    return std::visit(
        [&](const auto& n) -> std::uint32_t {
          using N = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<N, filters::match_all>) return add({.kind = op::always});
          else if constexpr (std::is_same_v<N, filters::trace_is>) return add({.kind = op::trace, .trace = n.id});
          else if constexpr (std::is_same_v<N, filters::service_is>) return name_node(op::service, n.name);
          else if constexpr (std::is_same_v<N, filters::operation_is>) return name_node(op::name, n.name);
          else if constexpr (std::is_same_v<N, filters::operation_contains> || std::is_same_v<N, filters::regex_test>)
            return add({.kind = op::generic, .source = &f});
          else if constexpr (std::is_same_v<N, filters::status_is>)
            return add({.kind = op::status, .id = static_cast<std::uint32_t>(n.code)});
          else if constexpr (std::is_same_v<N, filters::kind_is>)
            return add({.kind = op::kind, .id = static_cast<std::uint32_t>(n.kind)});
          else if constexpr (std::is_same_v<N, filters::scope_is>) return scope_node(n);
          else if constexpr (std::is_same_v<N, filters::duration_within>)
            return add({.kind = op::duration, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::start_within>)
            return add({.kind = op::start, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::attribute_test>)
            return attribute_node(n, f);
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

  std::uint32_t attribute_node(const filters::attribute_test& t, const filter& f) {
    node n{.kind = op::attribute, .key_id = store_->find_string_id(t.key), .source = &f};
    if (const auto* text = std::get_if<std::string>(&t.value);
        t.op == compare_op::eq && text && text->size() <= memory_store::short_text) {
      n.equal_short_text = true;
      n.text_id = store_->find_string_id(*text);
    }
    auto passes_in = [&t](attribute_scope where, const attributes& items) {
      if (!(t.scopes & static_cast<std::uint8_t>(where))) return std::uint8_t{0};
      auto test = [&t](attribute_scope, std::string_view key, const attribute_value& value) {
        return key == t.key && detail::attribute_passes(value, t.op, t.value);
      };
      return static_cast<std::uint8_t>(detail::visit_attribute_list(where, items, test));
    };
    for (const resource& r : store_->resources()) n.resource_passes.push_back(passes_in(attribute_scope::resource, r.attributes));
    for (const scope& candidate : store_->scopes()) n.scope_passes.push_back(passes_in(attribute_scope::scope, candidate.attributes));
    return add(std::move(n));
  }

  // 0: one column read per row; 1: a combination; 2: row by row through attributes or text.
  int cost(std::uint32_t index) const {
    switch (nodes_[index].kind) {
      case op::all: case op::any: case op::negate: return 1;
      case op::generic: case op::attribute: return 2;
      default: return 0;
    }
  }

  // Evaluates node `index` over rows [first, first + count) into its scratch bytes. Where
  // `only` is given and 0, the result does not matter, and row-by-row tests skip the row.
  const std::uint8_t* evaluate(std::uint32_t index, std::uint32_t first, std::uint32_t count,
                               const std::uint8_t* only = nullptr) {
    const node& n = nodes_[index];
    std::uint8_t* out = scratch_.data() + std::size_t{index} * block;
    auto fill = [&](auto&& test) {
      for (std::uint32_t i = 0; i < count; ++i) out[i] = test(first + i);
    };
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
          const std::uint8_t* part = evaluate(child, first, count, out);
          for (std::uint32_t i = 0; i < count; ++i) out[i] &= part[i];
        }
        break;
      }
      case op::any: {
        std::fill_n(out, count, std::uint8_t{0});
        for (std::uint32_t child : n.children) {
          const std::uint8_t* part = evaluate(child, first, count, only);
          for (std::uint32_t i = 0; i < count; ++i) out[i] |= part[i];
        }
        break;
      }
      case op::negate: {
        const std::uint8_t* part = evaluate(n.children[0], first, count, only);
        for (std::uint32_t i = 0; i < count; ++i) out[i] = !part[i];
        break;
      }
      case op::trace: {
        const trace_id* traces = store_->trace_column().data();
        fill([&](std::uint32_t row) { return traces[row] == n.trace; });
        break;
      }
      case op::service: {
        const std::uint32_t* services = store_->service_column().data();
        fill([&](std::uint32_t row) { return services[row] == n.id; });
        break;
      }
      case op::name: {
        const std::uint32_t* names = store_->name_column().data();
        fill([&](std::uint32_t row) { return names[row] == n.id; });
        break;
      }
      case op::status: {
        const status_code* statuses = store_->status_column().data();
        fill([&](std::uint32_t row) { return static_cast<std::uint32_t>(statuses[row]) == n.id; });
        break;
      }
      case op::kind: {
        const span_kind* kinds = store_->kind_column().data();
        fill([&](std::uint32_t row) { return static_cast<std::uint32_t>(kinds[row]) == n.id; });
        break;
      }
      case op::scope: {
        const std::uint32_t* scopes = store_->scope_column().data();
        fill([&](std::uint32_t row) { return n.scope_passes[scopes[row]]; });
        break;
      }
      case op::duration: {
        const duration_ns* durations = store_->duration_column().data();
        fill([&](std::uint32_t row) { return durations[row] >= n.low && durations[row] <= n.high; });
        break;
      }
      case op::start: {
        const timestamp_ns* starts = store_->start_column().data();
        fill([&](std::uint32_t row) { return starts[row] >= n.low && starts[row] <= n.high; });
        break;
      }
      case op::generic:
        fill_wanted([&](std::uint32_t row) { return matches(*n.source, memory_store::span_ref(store_, row)); });
        break;
      case op::attribute: {
        // Wanted rows are often sparse, so each test would wait for its own cache miss: ask
        // for all their attribute slots first, and the misses overlap.
        if (only)
          for (std::uint32_t i = 0; i < count; ++i)
            if (only[i]) store_->prefetch_span_attributes(first + i);
        fill_wanted([&](std::uint32_t row) { return test_attribute(n, row); });
        break;
      }
    }
    return out;
  }

  bool test_attribute(const node& n, std::uint32_t row) const {
    const auto& t = std::get<filters::attribute_test>(n.source->get());
    if (n.key_id && (t.scopes & static_cast<std::uint8_t>(attribute_scope::span))) {
      auto slots = store_->span_attribute_slots(row);
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].key != *n.key_id) continue;
        if (t.op == compare_op::exists) return true;
        // A short string equals the wanted short text exactly when their ids are equal (a
        // long one never does); other types follow the generic rules (int 200 == "200").
        if (n.equal_short_text && slots[i].text != memory_store::attribute_slot::no_text) {
          if (slots[i].text == n.text_id) return true;
          continue;
        }
        if (detail::attribute_passes(store_->span_attribute_values(row)[i], t.op, t.value)) return true;
      }
    }
    if (n.resource_passes[store_->resource_column()[row]] || n.scope_passes[store_->scope_column()[row]]) return true;
    constexpr auto rare = static_cast<std::uint8_t>(attribute_scope::event) | static_cast<std::uint8_t>(attribute_scope::link);
    if (!(t.scopes & rare)) return false;
    return store_->visit_event_and_link_attributes(row, [&t](attribute_scope where, std::string_view key, const auto& value) {
      return (static_cast<std::uint8_t>(where) & t.scopes) && key == t.key && detail::attribute_passes(value, t.op, t.value);
    });
  }

  static constexpr std::uint32_t block = 1024;

  const memory_store* store_;
  std::vector<node> nodes_;
  std::vector<std::uint8_t> scratch_;  // `block` bytes per node
  std::uint32_t root_ = 0;
};

// The hook whole-store queries look for: an object whose `for_each_match(f)` calls f(row)
// for the matching rows.
inline memory_row_filter prepare_rows(const memory_store& store, const filter& f) { return {store, f}; }

}  // namespace v0
}  // namespace trace
