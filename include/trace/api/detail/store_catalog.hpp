#pragma once
// What the query APIs list about a store: its services, the operations of a service with
// their span kinds, the attribute keys it holds and the values of one key. Columnar stores
// answer services and operations from their string columns (one id per row, texts once per
// block); other stores are scanned.

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
#include "trace/store/columnar_store.hpp"

namespace trace {
inline namespace v0 {
namespace api {
namespace detail {

struct operation_entry {
  std::string name;
  span_kind kind = span_kind::unspecified;
  friend auto operator<=>(const operation_entry&, const operation_entry&) = default;
};

// Every service, sorted.
template <span_store S>
std::vector<std::string> services_of(const S& store) {
  std::set<std::string, std::less<>> names;
  if constexpr (columnar_store<S>) {
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

// The distinct (operation, kind) pairs of one service (every service when empty), sorted.
template <span_store S>
std::vector<operation_entry> operations_of(const S& store, std::string_view service) {
  std::set<operation_entry> found;
  if constexpr (columnar_store<S>) {
    for (const auto& block : store.blocks()) {
      std::set<std::pair<std::uint32_t, span_kind>> ids;  // per block: ids, then texts once
      for (std::uint32_t row = 0; row < block.rows(); ++row)
        if (service.empty() || block.string(block.service_id(row)) == service) ids.emplace(block.name_id(row), block.kind(row));
      for (const auto& [name, kind] : ids) found.insert({std::string(block.string(name)), kind});
    }
  } else {
    for (auto&& s : store.scan())
      if (service.empty() || service_of(s) == service) found.insert({std::string(name_of(s)), kind_of(s)});
  }
  return {found.begin(), found.end()};
}

// Attribute keys of spans and of resources (where "service.name" is one), sorted.
struct attribute_keys {
  std::vector<std::string> span, resource;
};

template <span_store S>
attribute_keys attribute_keys_of(const S& store) {
  std::set<std::string, std::less<>> span_keys, resource_keys{"service.name"};
  for (auto&& s : store.scan())
    visit_attributes(s, [&](attribute_scope where, std::string_view key, const auto&) {
      auto& keys = where == attribute_scope::span ? span_keys : resource_keys;
      if ((where == attribute_scope::span || where == attribute_scope::resource) && keys.find(key) == keys.end())
        keys.emplace(key);
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
// attribute_scope), sorted, at most `limit` of them; "service.name" in the resource scope
// also gives the services.
template <span_store S>
std::vector<typed_value> attribute_values_of(const S& store, std::string_view key, std::uint8_t scopes, std::size_t limit) {
  std::set<typed_value> found;
  const bool services = key == "service.name" && (scopes & static_cast<std::uint8_t>(attribute_scope::resource));
  for (auto&& s : store.scan()) {
    if (found.size() >= limit) break;
    if (services) found.insert({"string", std::string(service_of(s))});
    visit_attributes(s, [&](attribute_scope where, std::string_view k, const auto& value) {
      if (k == key && (scopes & static_cast<std::uint8_t>(where))) found.insert(typed_value_of(value));
      return false;
    });
  }
  std::vector<typed_value> out(found.begin(), found.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace detail
}  // namespace api
}  // namespace v0
}  // namespace trace
