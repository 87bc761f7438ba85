#pragma once
// The Parquet schema of a span file (one row per span; docs/FORMAT.md, "Parquet") and the
// walk from a flat schema list (depth first, groups giving their child count) to the leaf
// columns with their paths and maximum levels, and the levels of every group on the way.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/io/parquet/column_chunk.hpp"
#include "trace/io/parquet/metadata.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

// The repetition and definition level a node (group or leaf) has when it is present.
struct node_levels {
  int repetition = 0;
  int definition = 0;
};

struct schema_layout {
  std::vector<column_descriptor> leaves;           // in the file's column order
  std::map<std::string, node_levels> node_levels_by_path;  // dotted paths, groups and leaves
  std::map<std::string, std::size_t> leaf_index;   // dotted path -> index in `leaves`

  const column_descriptor* find_leaf(const std::string& path) const {
    auto it = leaf_index.find(path);
    return it == leaf_index.end() ? nullptr : &leaves[it->second];
  }
  // Levels of the node at `path`; throws naming the file's missing column.
  node_levels levels(const std::string& path) const {
    auto it = node_levels_by_path.find(path);
    if (it == node_levels_by_path.end()) throw error(errc::corrupt_data, "parquet file has no column " + path);
    return it->second;
  }
};

namespace detail {

inline void walk_schema(const std::vector<schema_element>& schema, std::size_t& index, std::vector<std::string>& path,
                        node_levels levels, int depth, schema_layout& out) {
  if (index >= schema.size()) throw error(errc::corrupt_data, "parquet schema: a group claims more children than the list holds");
  if (depth > 32) throw error(errc::corrupt_data, "parquet schema: nested deeper than 32 groups");
  const schema_element& e = schema[index++];
  const auto rep = e.repetition_type.value_or(repetition::required);
  if (rep == repetition::repeated) ++levels.repetition;
  if (rep != repetition::required) ++levels.definition;
  path.push_back(e.name);
  std::string dotted;
  for (const auto& part : path) dotted += (dotted.empty() ? "" : ".") + part;
  out.node_levels_by_path[dotted] = levels;
  if (e.type) {
    column_descriptor d;
    d.path = path;
    d.type = *e.type;
    d.type_length = e.type_length;
    d.max_repetition = levels.repetition;
    d.max_definition = levels.definition;
    d.logical = e.logical;
    if (levels.repetition > 255 || levels.definition > 255) throw error(errc::corrupt_data, "parquet schema: levels over 255");
    out.leaf_index[dotted] = out.leaves.size();
    out.leaves.push_back(std::move(d));
  } else {
    if (e.num_children < 0) throw error(errc::corrupt_data, "parquet schema: group " + dotted + " has a negative child count");
    for (std::int32_t i = 0; i < e.num_children; ++i) walk_schema(schema, index, path, levels, depth + 1, out);
  }
  path.pop_back();
}

}  // namespace detail

// Leaves and levels of a file's schema; the root (the first element) is not part of paths.
inline schema_layout layout_of(const std::vector<schema_element>& schema) {
  if (schema.empty()) throw error(errc::corrupt_data, "parquet schema is empty");
  schema_layout out;
  std::size_t index = 1;
  std::vector<std::string> path;
  if (schema[0].num_children < 0) throw error(errc::corrupt_data, "parquet schema: negative child count at the root");
  for (std::int32_t i = 0; i < schema[0].num_children; ++i) detail::walk_schema(schema, index, path, {}, 0, out);
  if (index != schema.size()) throw error(errc::corrupt_data, "parquet schema: elements left over after the root's children");
  return out;
}

// ---- the span file's schema ----------------------------------------------------------------

namespace detail {

inline schema_element leaf(std::string name, physical_type type, repetition rep = repetition::required,
                           logical_type::kind kind = logical_type::kind::none) {
  schema_element e;
  e.name = std::move(name);
  e.type = type;
  e.repetition_type = rep;
  e.logical.type = kind;
  if (kind == logical_type::kind::string) e.converted = converted_type::utf8;
  if (kind == logical_type::kind::json) e.converted = converted_type::json;
  return e;
}
inline schema_element text(std::string name, repetition rep = repetition::required) {
  return leaf(std::move(name), physical_type::byte_array, rep, logical_type::kind::string);
}
inline schema_element fixed(std::string name, std::int32_t length, repetition rep = repetition::required) {
  schema_element e = leaf(std::move(name), physical_type::fixed_len_byte_array, rep);
  e.type_length = length;
  return e;
}
inline schema_element timestamp_nanos(std::string name) {
  schema_element e = leaf(std::move(name), physical_type::int64, repetition::required, logical_type::kind::timestamp);
  e.logical.unit = 2;
  // Unix nanoseconds, UTC; flagged not adjusted to UTC because DuckDB reads adjusted ones as its
  // TIMESTAMPTZ, which holds microseconds, and would drop the nanoseconds.
  e.logical.utc = false;
  return e;
}
inline schema_element group(std::string name, repetition rep, std::int32_t children,
                            logical_type::kind kind = logical_type::kind::none) {
  schema_element e;
  e.name = std::move(name);
  e.repetition_type = rep;
  e.num_children = children;
  e.logical.type = kind;
  if (kind == logical_type::kind::map) e.converted = converted_type::map;
  if (kind == logical_type::kind::list) e.converted = converted_type::list;
  return e;
}

// MAP<string, value>: the value says its type and fills the one field of that type; arrays
// are JSON text (non-finite doubles as the strings "NaN", "Infinity", "-Infinity").
inline void attribute_map(std::vector<schema_element>& out, std::string name) {
  out.push_back(group(std::move(name), repetition::required, 1, logical_type::kind::map));
  out.push_back(group("key_value", repetition::repeated, 2));
  out.push_back(text("key"));
  out.push_back(group("value", repetition::required, 6));
  out.push_back(text("type"));
  out.push_back(leaf("bool_value", physical_type::boolean, repetition::optional));
  out.push_back(leaf("int_value", physical_type::int64, repetition::optional));
  out.push_back(leaf("double_value", physical_type::double_, repetition::optional));
  out.push_back(text("string_value", repetition::optional));
  out.push_back(leaf("array_value", physical_type::byte_array, repetition::optional, logical_type::kind::json));
}

}  // namespace detail

inline std::vector<schema_element> span_schema() {
  using namespace detail;
  using pt = physical_type;
  std::vector<schema_element> s;
  s.push_back(group("span", repetition::required, 27));
  s.front().repetition_type.reset();  // the root has none
  s.push_back(fixed("trace_id", 16));
  s.push_back(fixed("span_id", 8));
  s.push_back(fixed("parent_span_id", 8, repetition::optional));
  s.push_back(text("trace_state"));
  s.push_back(text("name"));
  s.push_back(text("kind"));
  s.push_back(timestamp_nanos("start_time"));
  s.push_back(timestamp_nanos("end_time"));
  s.push_back(leaf("duration_ns", pt::int64));
  s.push_back(text("status_code"));
  s.push_back(text("status_message"));
  s.push_back(leaf("flags", pt::int64));
  s.push_back(leaf("dropped_attributes_count", pt::int64));
  s.push_back(leaf("dropped_events_count", pt::int64));
  s.push_back(leaf("dropped_links_count", pt::int64));
  attribute_map(s, "attributes");
  s.push_back(text("service_name"));
  attribute_map(s, "resource_attributes");
  s.push_back(leaf("resource_dropped_attributes_count", pt::int64));
  s.push_back(text("resource_schema_url"));
  s.push_back(text("scope_name"));
  s.push_back(text("scope_version"));
  attribute_map(s, "scope_attributes");
  s.push_back(leaf("scope_dropped_attributes_count", pt::int64));
  s.push_back(text("scope_schema_url"));
  s.push_back(group("events", repetition::required, 1, logical_type::kind::list));
  s.push_back(group("list", repetition::repeated, 1));
  // Optional though never null: DuckDB reads an empty list of required elements as one null element.
  s.push_back(group("element", repetition::optional, 5));
  s.push_back(timestamp_nanos("time"));
  s.push_back(text("name"));
  s.push_back(text("level", repetition::optional));
  s.push_back(leaf("dropped_attributes_count", pt::int64));
  attribute_map(s, "attributes");
  s.push_back(group("links", repetition::required, 1, logical_type::kind::list));
  s.push_back(group("list", repetition::repeated, 1));
  s.push_back(group("element", repetition::optional, 6));
  s.push_back(fixed("trace_id", 16));
  s.push_back(fixed("span_id", 8));
  s.push_back(text("trace_state"));
  s.push_back(leaf("flags", pt::int64));
  s.push_back(leaf("dropped_attributes_count", pt::int64));
  attribute_map(s, "attributes");
  return s;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
