#pragma once
// A filter compiled against the columns of a `memory_store`: names become interned ids
// once, so that testing a row reads a few integers instead of comparing strings. Attribute
// tests find span attributes by key id and fall back to the generic walk for the other
// scopes. Queries over a whole store use it through `prepare_rows` (found by ADL).
// It refers to the filter it was built from, which must outlive it.

#include <cstdint>
#include <optional>
#include <vector>

#include "trace/query/filter.hpp"
#include "trace/store/memory.hpp"

namespace trace {
inline namespace v0 {

class memory_row_filter {
 public:
  memory_row_filter(const memory_store& store, const filter& f) : store_(&store) { root_ = compile(f); }

  bool operator()(std::uint32_t row) const { return test(root_, row); }

 private:
  enum class op : std::uint8_t {
    always, never, all, any, negate, trace, service, name, status, kind, duration, start, name_contains, attribute
  };
  struct node {
    op kind = op::always;
    std::uint32_t id = 0;  // string id, status or kind value
    std::uint64_t low = 0, high = 0;  // inclusive bounds
    trace_id trace{};
    std::optional<std::uint32_t> key_id{};  // attribute key's string id, when interned
    const filter* source = nullptr;         // the original node, for text and attribute tests
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

  std::uint32_t compile(const filter& f) {
    return std::visit(
        [&](const auto& n) -> std::uint32_t {
          using N = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<N, filters::match_all>) return add({.kind = op::always});
          else if constexpr (std::is_same_v<N, filters::trace_is>) return add({.kind = op::trace, .trace = n.id});
          else if constexpr (std::is_same_v<N, filters::service_is>) return name_node(op::service, n.name);
          else if constexpr (std::is_same_v<N, filters::operation_is>) return name_node(op::name, n.name);
          else if constexpr (std::is_same_v<N, filters::operation_contains>)
            return add({.kind = op::name_contains, .source = &f});
          else if constexpr (std::is_same_v<N, filters::status_is>)
            return add({.kind = op::status, .id = static_cast<std::uint32_t>(n.code)});
          else if constexpr (std::is_same_v<N, filters::kind_is>)
            return add({.kind = op::kind, .id = static_cast<std::uint32_t>(n.kind)});
          else if constexpr (std::is_same_v<N, filters::duration_within>)
            return add({.kind = op::duration, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::start_within>)
            return add({.kind = op::start, .low = n.min, .high = n.max});
          else if constexpr (std::is_same_v<N, filters::attribute_test>)
            return add({.kind = op::attribute, .key_id = store_->find_string_id(n.key), .source = &f});
          else if constexpr (std::is_same_v<N, filters::negation>) {
            std::uint32_t child = compile(*n.item);
            return add({.kind = op::negate, .children = {child}});
          } else {
            node group{.kind = std::is_same_v<N, filters::all_of> ? op::all : op::any};
            for (const filter& item : n.items) group.children.push_back(compile(item));
            return add(std::move(group));
          }
        },
        f.get());
  }

  bool test(std::uint32_t index, std::uint32_t row) const {
    const node& n = nodes_[index];
    switch (n.kind) {
      case op::always: return true;
      case op::never: return false;
      case op::all:
        for (std::uint32_t child : n.children)
          if (!test(child, row)) return false;
        return true;
      case op::any:
        for (std::uint32_t child : n.children)
          if (test(child, row)) return true;
        return false;
      case op::negate: return !test(n.children[0], row);
      case op::trace: return store_->trace_column()[row] == n.trace;
      case op::service: return store_->service_column()[row] == n.id;
      case op::name: return store_->name_column()[row] == n.id;
      case op::status: return static_cast<std::uint32_t>(store_->status_column()[row]) == n.id;
      case op::kind: return static_cast<std::uint32_t>(store_->kind_column()[row]) == n.id;
      case op::duration: {
        duration_ns d = store_->duration_column()[row];
        return d >= n.low && d <= n.high;
      }
      case op::start: {
        timestamp_ns t = store_->start_column()[row];
        return t >= n.low && t <= n.high;
      }
      case op::name_contains: return matches(*n.source, memory_store::span_ref(store_, row));
      case op::attribute: return test_attribute(n, row);
    }
    return false;
  }

  bool test_attribute(const node& n, std::uint32_t row) const {
    const auto& t = std::get<filters::attribute_test>(n.source->get());
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::span)) {
      if (n.key_id)
        for (const auto& item : store_->span_attributes(row))
          if (item.key == *n.key_id && detail::attribute_passes(item.value, t.op, t.value)) return true;
      if (t.scopes == static_cast<std::uint8_t>(attribute_scope::span)) return false;
    }
    return visit_attributes(memory_store::span_ref(store_, row),
                            [&t](attribute_scope where, std::string_view key, const auto& value) {
                              return where != attribute_scope::span &&
                                     (static_cast<std::uint8_t>(where) & t.scopes) && key == t.key &&
                                     detail::attribute_passes(value, t.op, t.value);
                            });
  }

  const memory_store* store_;
  std::vector<node> nodes_;
  std::uint32_t root_ = 0;
};

// The hook whole-store queries look for: a predicate on row numbers.
inline memory_row_filter prepare_rows(const memory_store& store, const filter& f) { return {store, f}; }

}  // namespace v0
}  // namespace trace
