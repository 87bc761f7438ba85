#pragma once
// What the query APIs list about a store: its services, the operations of a service with
// their span kinds, the attribute keys it holds and the values of one key. Columnar stores
// answer services and operations from their string columns (one id per row, texts once per
// block); a store that lists them itself (ClickHouse: SELECT DISTINCT) is asked, for the
// attribute keys and values too; other stores are scanned. Listings bounded by a window of start times read only the blocks
// whose zone map meets it, or, from a store that filters on its side, only the window's
// spans, so their cost follows the window, not the store.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/core/time.hpp"
#include "trace/query/filter.hpp"
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {
namespace api {
namespace detail {

// Span start times from `begin` to `end`, both included.
struct start_window {
  timestamp_ns begin = 0, end = max_timestamp;
  bool holds(timestamp_ns t) const noexcept { return t >= begin && t <= end; }
  bool meets(const block_bounds& b) const noexcept { return b.min_start <= end && b.max_start >= begin; }
};

// Calls f(span) for each span of the store starting within `window`, until f returns true.
template <span_store S, class F>
void for_each_span_in(const S& store, start_window window, F&& f) {
  if constexpr (columnar_store<S>) {
    for (const auto& block : store.blocks()) {
      if (!window.meets(block.bounds())) continue;
      for (std::uint32_t row = 0; row < block.rows(); ++row)
        if (window.holds(block.start(row)) && f(block.span(row))) return;
    }
  } else if constexpr (requires { store.scan(where::started_between(window.begin, window.end)); }) {
    for (auto&& s : store.scan(where::started_between(window.begin, window.end)))
      if (f(s)) return;
  } else {
    for (auto&& s : store.scan())
      if (window.holds(start_of(s)) && f(s)) return;
  }
}

struct operation_entry {
  std::string name;
  span_kind kind = span_kind::unspecified;
  friend auto operator<=>(const operation_entry&, const operation_entry&) = default;
};

// Every service, sorted.
template <span_store S>
std::vector<std::string> services_of(const S& store) {
  std::set<std::string, std::less<>> names;
  if constexpr (requires { store.distinct_services(); }) {
    for (auto& name : store.distinct_services()) names.insert(std::move(name));
  } else if constexpr (columnar_store<S>) {
    for (const auto& block : store.blocks())
      for (std::uint32_t k = 0; k < block.service_count(); ++k) {
        const std::string_view name = block.string(block.service_at(k));
        if (names.find(name) == names.end()) names.emplace(name);
      }
  } else {
    for (auto&& s : store.scan())
      if (names.find(service_of(s)) == names.end()) names.emplace(service_of(s));
  }
  return {names.begin(), names.end()};
}

// The distinct (operation, kind) pairs of one service (every service when empty) among the
// spans starting in `window`, sorted.
template <span_store S>
std::vector<operation_entry> operations_of(const S& store, std::string_view service, start_window window = {}) {
  std::set<operation_entry> found;
  if constexpr (requires { store.distinct_operations(service, window.begin, window.end); }) {
    for (auto& [name, kind] : store.distinct_operations(service, window.begin, window.end)) found.insert({std::move(name), kind});
  } else if constexpr (columnar_store<S>) {
    for (const auto& block : store.blocks()) {
      if (!window.meets(block.bounds())) continue;
      std::set<std::pair<std::uint32_t, span_kind>> ids;  // per block: ids, then texts once
      for (std::uint32_t row = 0; row < block.rows(); ++row)
        if ((service.empty() || block.string(block.service_id(row)) == service) && window.holds(block.start(row)))
          ids.emplace(block.name_id(row), block.kind(row));
      for (const auto& [name, kind] : ids) found.insert({std::string(block.string(name)), kind});
    }
  } else {
    for (auto&& s : store.scan())
      if ((service.empty() || service_of(s) == service) && window.holds(start_of(s)))
        found.insert({std::string(name_of(s)), kind_of(s)});
  }
  return {found.begin(), found.end()};
}

// Attribute keys of spans and of resources (where "service.name" is one), sorted.
struct attribute_keys {
  std::vector<std::string> span, resource;
};

// Of the spans starting in `window`.
template <span_store S>
attribute_keys attribute_keys_of(const S& store, start_window window = {}) {
  std::set<std::string, std::less<>> span_keys, resource_keys{"service.name"};
  if constexpr (requires { store.distinct_attribute_keys(window.begin, window.end); }) {
    auto listed = store.distinct_attribute_keys(window.begin, window.end);
    span_keys.insert(listed.span.begin(), listed.span.end());
    resource_keys.insert(listed.resource.begin(), listed.resource.end());
    return {{span_keys.begin(), span_keys.end()}, {resource_keys.begin(), resource_keys.end()}};
  }
  for_each_span_in(store, window, [&](const auto& s) {
    visit_attributes(s, [&](attribute_scope where, std::string_view key, const auto&) {
      auto& keys = where == attribute_scope::span ? span_keys : resource_keys;
      if ((where == attribute_scope::span || where == attribute_scope::resource) && keys.find(key) == keys.end())
        keys.emplace(key);
      return false;
    });
    return false;
  });
  return {{span_keys.begin(), span_keys.end()}, {resource_keys.begin(), resource_keys.end()}};
}

// A value as Tempo lists it: its text and its TraceQL type.
struct typed_value {
  std::string type;  // "string", "int", "float", "bool"
  std::string text;
  friend auto operator<=>(const typed_value&, const typed_value&) = default;
};

template <class String>
typed_value typed_value_of(const basic_attribute_value<String>& value) {
  const char* type = std::holds_alternative<bool>(value)           ? "bool"
                     : std::holds_alternative<std::int64_t>(value) ? "int"
                     : std::holds_alternative<double>(value)       ? "float"
                                                                   : "string";
  return {type, to_string(value)};
}

// The distinct values of attribute `key` in the scopes `scopes` (a bit set of
// attribute_scope) among the spans starting in `window`, sorted, at most `limit` of them
// (the reading stops there); "service.name" in the resource scope also gives the services.
template <span_store S>
std::vector<typed_value> attribute_values_of(const S& store, std::string_view key, std::uint8_t scopes, std::size_t limit,
                                             start_window window = {}) {
  std::set<typed_value> found;
  constexpr std::uint8_t span_and_resource =
      static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
  if constexpr (requires { store.distinct_attribute_values(key, scopes, limit, window.begin, window.end); }) {
    if (!(scopes & ~span_and_resource)) {
      for (const auto& value : store.distinct_attribute_values(key, scopes, limit, window.begin, window.end))
        found.insert(typed_value_of(value));
      std::vector<typed_value> out(found.begin(), found.end());
      if (out.size() > limit) out.resize(limit);
      return out;
    }
  }
  const bool services = key == "service.name" && (scopes & static_cast<std::uint8_t>(attribute_scope::resource));
  for_each_span_in(store, window, [&](const auto& s) {
    if (services) found.insert({"string", std::string(service_of(s))});
    visit_attributes(s, [&](attribute_scope where, std::string_view k, const auto& value) {
      if (k == key && (scopes & static_cast<std::uint8_t>(where))) found.insert(typed_value_of(value));
      return false;
    });
    return found.size() >= limit;
  });
  std::vector<typed_value> out(found.begin(), found.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace detail
}  // namespace api
}  // namespace v0
}  // namespace trace
