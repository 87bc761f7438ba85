#pragma once
// Reads span files written by parquet/writer.hpp, and the same columns rewritten by other
// tools (DuckDB makes every field optional, turns fixed-length ids into byte arrays and may
// write other timestamp units): columns are found by path, levels come from the file's own
// schema, and every inconsistency throws `error(errc::corrupt_data)` naming the column.
//
//   trace::parquet::reader r(trace::read_file_text("spans.parquet"));
//   for (std::size_t g = 0; g < r.row_group_count(); ++g)
//     for (const trace::span& s : r.read_row_group(g)) ...

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/file.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/parquet/column_chunk.hpp"
#include "trace/io/parquet/metadata.hpp"
#include "trace/io/parquet/span_schema.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

class reader {
 public:
  // `file` is the whole file; throws `error(errc::corrupt_data)` when its frame or footer is
  // malformed or a column of the span schema is missing.
  explicit reader(std::string file);
  // Reads `file` in place (a mapped file, say); `owner` keeps those bytes alive as long as
  // the reader and its copies.
  reader(std::string_view file, std::shared_ptr<const void> owner);
  static reader open(const std::filesystem::path& path) { return reader(read_file_text(path)); }

  const file_metadata& metadata() const noexcept { return metadata_; }
  const schema_layout& layout() const noexcept { return layout_; }
  std::size_t row_group_count() const noexcept { return metadata_.row_groups.size(); }
  std::uint64_t row_count() const noexcept { return static_cast<std::uint64_t>(metadata_.num_rows); }

  std::vector<span> read_row_group(std::size_t index) const;
  std::vector<span> read_all() const;

 private:
  void parse();

  std::shared_ptr<const void> owner_;
  std::string_view file_;
  file_metadata metadata_;
  schema_layout layout_;
};

namespace detail {

// Walks one leaf's entries in step with the rows being built.
class leaf_cursor {
 public:
  leaf_cursor(const column_values& values, const column_descriptor& d) : v_(&values), d_(&d) {}

  bool at_end() const noexcept { return entry_ >= v_->entries; }
  int rep() const { return d_->max_repetition ? v_->repetition_levels[check()] : 0; }
  int def() const { return d_->max_definition ? v_->definition_levels[check()] : 0; }
  bool present() const { return def() == d_->max_definition; }
  void next() {
    if (present()) ++value_;
    ++entry_;
  }
  std::int64_t integer() const {
    if (value_ >= v_->ints.size()) fail("is not an integer column");
    return v_->ints[value_];
  }
  double real() const {
    if (value_ >= v_->doubles.size()) fail("is not a floating-point column");
    return v_->doubles[value_];
  }
  bool boolean() const {
    if (value_ >= v_->bools.size()) fail("is not a boolean column");
    return v_->bools[value_] != 0;
  }
  std::string_view bytes() const {
    if (value_ >= v_->byte_ends.size()) fail("is not a byte-array column");
    return v_->byte_value(value_);
  }
  // Times in nanoseconds whatever unit the file's logical type gives.
  std::int64_t nanoseconds() const {
    const std::int64_t v = integer();
    if (d_->logical.type != logical_type::kind::timestamp || d_->logical.unit == 2) return v;
    const std::int64_t scale = d_->logical.unit == 1 ? 1000 : 1'000'000;
    if (v > std::numeric_limits<std::int64_t>::max() / scale || v < std::numeric_limits<std::int64_t>::min() / scale)
      fail("holds a time beyond the nanosecond range");
    return v * scale;
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw error(errc::corrupt_data, "parquet column " + d_->dotted_path() + " " + message + " (entry " + std::to_string(entry_) + ")");
  }

 private:
  std::size_t check() const {
    if (at_end()) fail("ends before the other columns of its row group");
    return entry_;
  }
  const column_values* v_;
  const column_descriptor* d_;
  std::size_t entry_ = 0;
  std::size_t value_ = 0;
};

struct map_cursors {
  std::vector<leaf_cursor> leaves;  // key, type, bool, int, double, string, array
  node_levels entry;
};

inline std::uint64_t big_endian(std::string_view bytes) {
  std::uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

inline trace_id read_trace_id(const leaf_cursor& c) {
  const auto b = c.bytes();
  if (b.size() != 16) c.fail("holds a trace id of " + std::to_string(b.size()) + " bytes, not 16");
  return trace_id{big_endian(b.substr(0, 8)), big_endian(b.substr(8))};
}
inline span_id read_span_id(const leaf_cursor& c) {
  const auto b = c.bytes();
  if (b.size() != 8) c.fail("holds a span id of " + std::to_string(b.size()) + " bytes, not 8");
  return span_id{big_endian(b)};
}

inline double json_double(const json::value& v, const leaf_cursor& c) {
  if (const auto* d = v.get_if<double>()) return *d;
  if (const auto* i = v.get_if<std::int64_t>()) return static_cast<double>(*i);
  if (const auto* u = v.get_if<std::uint64_t>()) return static_cast<double>(*u);
  if (const auto* s = v.get_if<std::string>()) {
    if (*s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (*s == "Infinity") return std::numeric_limits<double>::infinity();
    if (*s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  c.fail("holds an array element that is not a number");
}

inline attribute_value read_array(const leaf_cursor& c, std::string_view type) {
  json::value parsed;
  try {
    parsed = json::parse(c.bytes());
  } catch (const error& e) {
    c.fail(std::string("holds an array that is not JSON: ") + e.message());
  }
  const auto* items = parsed.get_if<json::array>();
  if (!items) c.fail("holds an array value that is not a JSON array");
  if (type == "bool[]") {
    std::vector<bool> out;
    for (const auto& item : *items) {
      const auto* b = item.get_if<bool>();
      if (!b) c.fail("holds a bool[] element that is not a boolean");
      out.push_back(*b);
    }
    return out;
  }
  if (type == "int[]") {
    std::vector<std::int64_t> out;
    for (const auto& item : *items) {
      const auto* i = item.get_if<std::int64_t>();
      const auto* u = item.get_if<std::uint64_t>();
      if (!i && !(u && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
        c.fail("holds an int[] element that is not a 64-bit integer");
      out.push_back(i ? *i : static_cast<std::int64_t>(*u));
    }
    return out;
  }
  if (type == "double[]") {
    std::vector<double> out;
    for (const auto& item : *items) out.push_back(json_double(item, c));
    return out;
  }
  std::vector<std::string> out;
  for (const auto& item : *items) {
    const auto* s = item.get_if<std::string>();
    if (!s) c.fail("holds a string[] element that is not a string");
    out.push_back(*s);
  }
  return out;
}

// Reads one map (positioned at its first entry) into `out`, leaving the cursors after it.
inline void read_map(map_cursors& m, attributes& out) {
  auto& key = m.leaves[0];
  auto step = [&m] {
    for (auto& l : m.leaves) l.next();
  };
  if (key.def() < m.entry.definition) {
    step();
    return;
  }
  do {
    if (!key.present()) key.fail("holds a null key");
    std::string k(key.bytes());
    const auto& type_cursor = m.leaves[1];
    if (!type_cursor.present()) type_cursor.fail("holds a null type");
    const std::string_view type = type_cursor.bytes();
    const std::size_t field = type == "bool" ? 2 : type == "int" ? 3 : type == "double" ? 4 : type == "string" ? 5 : 6;
    const auto& value = m.leaves[field];
    if (field == 6 && type != "bool[]" && type != "int[]" && type != "double[]" && type != "string[]")
      type_cursor.fail("holds the unknown type \"" + std::string(type) + "\"");
    if (!value.present()) value.fail("is null where the type column says " + std::string(type));
    switch (field) {
      case 2: out.set(std::move(k), value.boolean()); break;
      case 3: out.set(std::move(k), value.integer()); break;
      case 4: out.set(std::move(k), value.real()); break;
      case 5: out.set(std::move(k), std::string(value.bytes())); break;
      default: out.set(std::move(k), read_array(value, type)); break;
    }
    step();
  } while (!key.at_end() && key.rep() == m.entry.repetition);
}

inline std::string text_of(const leaf_cursor& c) { return c.present() ? std::string(c.bytes()) : std::string(); }
inline std::int64_t int_of(const leaf_cursor& c) { return c.present() ? c.integer() : 0; }
inline std::uint32_t u32_of(const leaf_cursor& c) {
  const std::int64_t v = int_of(c);
  if (v < 0 || v > 0xffffffffLL) c.fail("holds " + std::to_string(v) + ", outside 32 unsigned bits");
  return static_cast<std::uint32_t>(v);
}

}  // namespace detail

inline reader::reader(std::string file) {
  auto owned = std::make_shared<const std::string>(std::move(file));
  file_ = *owned;
  owner_ = std::move(owned);
  parse();
}

inline reader::reader(std::string_view file, std::shared_ptr<const void> owner) : owner_(std::move(owner)), file_(file) {
  parse();
}

inline void reader::parse() {
  if (file_.size() < 12 || file_.compare(0, 4, "PAR1") != 0 || file_.compare(file_.size() - 4, 4, "PAR1") != 0)
    throw error(errc::corrupt_data, "parquet file of " + std::to_string(file_.size()) + " bytes lacks the PAR1 magic at its start or end");
  const std::uint32_t footer = detail::get_u32(file_, file_.size() - 8);
  if (footer > file_.size() - 12)
    throw error(errc::corrupt_data, "parquet footer length " + std::to_string(footer) + " exceeds the file");
  const std::size_t footer_start = file_.size() - 8 - footer;
  metadata_ = read_file_metadata(file_.substr(footer_start, footer), footer_start);
  layout_ = layout_of(metadata_.schema);
  for (std::size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    if (metadata_.row_groups[g].columns.size() != layout_.leaves.size())
      throw error(errc::corrupt_data, "parquet row group " + std::to_string(g) + " has " +
                                          std::to_string(metadata_.row_groups[g].columns.size()) + " columns, the schema " +
                                          std::to_string(layout_.leaves.size()));
    if (metadata_.row_groups[g].num_rows < 0) throw error(errc::corrupt_data, "parquet row group " + std::to_string(g) + " has a negative row count");
  }
  for (const char* required : {"trace_id", "span_id", "name", "start_time", "end_time"})
    if (!layout_.find_leaf(required)) throw error(errc::corrupt_data, std::string("parquet file has no column ") + required + ": not a span file");
}

inline std::vector<span> reader::read_row_group(std::size_t index) const {
  if (index >= metadata_.row_groups.size())
    throw error(errc::invalid_argument, "parquet row group " + std::to_string(index) + " of " + std::to_string(metadata_.row_groups.size()));
  const row_group& group = metadata_.row_groups[index];
  std::vector<column_values> columns;
  columns.reserve(layout_.leaves.size());
  for (std::size_t i = 0; i < layout_.leaves.size(); ++i) columns.push_back(read_column_chunk(file_, group.columns[i], layout_.leaves[i]));

  auto cursor = [&](const std::string& path) -> std::optional<detail::leaf_cursor> {
    auto it = layout_.leaf_index.find(path);
    if (it == layout_.leaf_index.end()) return std::nullopt;
    return detail::leaf_cursor(columns[it->second], layout_.leaves[it->second]);
  };
  auto need = [&](const std::string& path) {
    auto c = cursor(path);
    if (!c) throw error(errc::corrupt_data, "parquet file has no column " + path);
    return *c;
  };
  auto map = [&](const std::string& path) {
    detail::map_cursors m;
    const std::string value = path + ".key_value.value.";
    for (const std::string& leaf : {path + ".key_value.key", value + "type", value + "bool_value", value + "int_value",
                                    value + "double_value", value + "string_value", value + "array_value"})
      m.leaves.push_back(need(leaf));
    m.entry = layout_.levels(path + ".key_value");
    return m;
  };
  auto trace = need("trace_id"), id = need("span_id"), parent = need("parent_span_id"), state = need("trace_state");
  auto name = need("name"), kind = need("kind"), start = need("start_time"), end = need("end_time");
  auto code = need("status_code"), message = need("status_message"), flags = need("flags");
  auto dropped_attributes = need("dropped_attributes_count"), dropped_events = need("dropped_events_count");
  auto dropped_links = need("dropped_links_count"), service = need("service_name");
  auto resource_dropped = need("resource_dropped_attributes_count"), resource_schema = need("resource_schema_url");
  auto scope_name = need("scope_name"), scope_version = need("scope_version");
  auto scope_dropped = need("scope_dropped_attributes_count"), scope_schema = need("scope_schema_url");
  auto attributes = map("attributes"), resource_attributes = map("resource_attributes");
  auto scope_attributes = map("scope_attributes");
  auto event_time = need("events.list.element.time"), event_name = need("events.list.element.name");
  auto event_level = need("events.list.element.level");
  auto event_dropped = need("events.list.element.dropped_attributes_count");
  auto event_attributes = map("events.list.element.attributes");
  const node_levels event_entry = layout_.levels("events.list");
  auto link_trace = need("links.list.element.trace_id"), link_span = need("links.list.element.span_id");
  auto link_state = need("links.list.element.trace_state"), link_flags = need("links.list.element.flags");
  auto link_dropped = need("links.list.element.dropped_attributes_count");
  auto link_attributes = map("links.list.element.attributes");
  const node_levels link_entry = layout_.levels("links.list");

  std::vector<span> out;
  const auto rows = static_cast<std::size_t>(group.num_rows);
  if (rows > columns.front().entries) throw error(errc::corrupt_data, "parquet row group " + std::to_string(index) + " claims more rows than its columns hold");
  out.reserve(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    span s;
    if (!trace.present() || !id.present()) trace.fail("has a null id");
    s.trace = detail::read_trace_id(trace);
    s.id = detail::read_span_id(id);
    if (parent.present()) s.parent = detail::read_span_id(parent);
    s.trace_state = detail::text_of(state);
    s.name = detail::text_of(name);
    const std::string kind_text = detail::text_of(kind);
    const auto parsed_kind = span_kind_from_string(kind_text);
    if (!parsed_kind) kind.fail("holds the unknown span kind \"" + kind_text + "\"");
    s.kind = *parsed_kind;
    if (!start.present() || !end.present()) start.fail("has a null time");
    s.start = static_cast<timestamp_ns>(start.nanoseconds());
    s.end = static_cast<timestamp_ns>(end.nanoseconds());
    const std::string code_text = detail::text_of(code);
    const auto parsed_code = status_code_from_string(code_text);
    if (!parsed_code) code.fail("holds the unknown status \"" + code_text + "\"");
    s.status.code = *parsed_code;
    s.status.message = detail::text_of(message);
    s.flags = detail::u32_of(flags);
    s.dropped_attributes = detail::u32_of(dropped_attributes);
    s.dropped_events = detail::u32_of(dropped_events);
    s.dropped_links = detail::u32_of(dropped_links);
    detail::read_map(attributes, s.attributes);
    s.resource.service_name = detail::text_of(service);
    detail::read_map(resource_attributes, s.resource.attributes);
    s.resource.dropped_attributes = detail::u32_of(resource_dropped);
    s.resource.schema_url = detail::text_of(resource_schema);
    s.scope.name = detail::text_of(scope_name);
    s.scope.version = detail::text_of(scope_version);
    detail::read_map(scope_attributes, s.scope.attributes);
    s.scope.dropped_attributes = detail::u32_of(scope_dropped);
    s.scope.schema_url = detail::text_of(scope_schema);
    for (auto* c : {&trace, &id, &parent, &state, &name, &kind, &start, &end, &code, &message, &flags, &dropped_attributes,
                    &dropped_events, &dropped_links, &service, &resource_dropped, &resource_schema, &scope_name,
                    &scope_version, &scope_dropped, &scope_schema})
      c->next();

    if (event_time.def() < event_entry.definition) {
      for (auto* c : {&event_time, &event_name, &event_level, &event_dropped}) c->next();
      trace::attributes none;
      detail::read_map(event_attributes, none);
    } else {
      do {
        event e;
        if (!event_time.present()) event_time.fail("has a null time");
        e.time = static_cast<timestamp_ns>(event_time.nanoseconds());
        e.name = detail::text_of(event_name);
        if (event_level.present()) {
          e.level = event_level_from_string(event_level.bytes());
          if (!e.level) event_level.fail("holds an unknown level");
        }
        e.dropped_attributes = detail::u32_of(event_dropped);
        for (auto* c : {&event_time, &event_name, &event_level, &event_dropped}) c->next();
        detail::read_map(event_attributes, e.attributes);
        s.events.push_back(std::move(e));
      } while (!event_time.at_end() && event_time.rep() == event_entry.repetition);
    }
    if (link_trace.def() < link_entry.definition) {
      for (auto* c : {&link_trace, &link_span, &link_state, &link_flags, &link_dropped}) c->next();
      trace::attributes none;
      detail::read_map(link_attributes, none);
    } else {
      do {
        link l;
        if (!link_trace.present() || !link_span.present()) link_trace.fail("has a null id");
        l.trace = detail::read_trace_id(link_trace);
        l.span = detail::read_span_id(link_span);
        l.trace_state = detail::text_of(link_state);
        l.flags = detail::u32_of(link_flags);
        l.dropped_attributes = detail::u32_of(link_dropped);
        for (auto* c : {&link_trace, &link_span, &link_state, &link_flags, &link_dropped}) c->next();
        detail::read_map(link_attributes, l.attributes);
        s.links.push_back(std::move(l));
      } while (!link_trace.at_end() && link_trace.rep() == link_entry.repetition);
    }
    out.push_back(std::move(s));
  }
  return out;
}

inline std::vector<span> reader::read_all() const {
  std::vector<span> out;
  for (std::size_t g = 0; g < row_group_count(); ++g) {
    auto group = read_row_group(g);
    out.insert(out.end(), std::make_move_iterator(group.begin()), std::make_move_iterator(group.end()));
  }
  return out;
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
