#pragma once
// Writes spans as a Parquet file, one row per span, in the schema of span_schema.hpp: rows
// are gathered into a row group of `row_group_rows` spans, each group written as one column
// chunk per leaf with statistics, and `close` writes the footer.
//
//   std::ofstream out("spans.parquet", std::ios::binary);
//   trace::parquet::writer w(out, {.row_group_rows = 50'000});
//   for (const auto& s : spans) w.write(s);
//   w.close();

#include <cmath>
#include <charconv>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/parquet/column_chunk.hpp"
#include "trace/io/parquet/metadata.hpp"
#include "trace/io/parquet/span_schema.hpp"
#include "trace/version.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

enum class compression { uncompressed, snappy };

struct write_options {
  std::size_t row_group_rows = 100'000;  // spans per row group (readers prune and parallelise by group)
  compression codec = compression::snappy;
};

namespace detail {

inline void append_fixed(std::string& out, std::uint64_t v) {
  for (int b = 7; b >= 0; --b) out.push_back(static_cast<char>((v >> (8 * b)) & 0xff));  // big-endian, as the hex
}

inline void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

inline void append_json_double(std::string& out, double v) {
  if (std::isnan(v)) out += "\"NaN\"";
  else if (std::isinf(v)) out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  else trace::detail::append_double(out, v);
}

// The attribute value's type name in the `type` column.
template <class String>
std::string_view value_type_name(const basic_attribute_value<String>& v) {
  constexpr std::string_view names[] = {"bool", "int", "double", "string", "bool[]", "int[]", "double[]", "string[]"};
  return names[v.index()];
}

}  // namespace detail

class writer {
 public:
  explicit writer(std::ostream& out, write_options options = {});

  template <class String>
  void write(const basic_span<String>& s);

  // Writes the rows gathered so far as a row group (nothing when there are none).
  void flush_row_group();
  // Flushes and writes the footer; the file is complete only after it. Further writes throw.
  void close();

  std::uint64_t rows_written() const noexcept { return total_rows_; }
  std::uint64_t bytes_written() const noexcept { return static_cast<std::uint64_t>(offset_); }

 private:
  struct leaf {
    column_descriptor descriptor;
    column_values values;
  };
  struct map_leaves {
    leaf* key;
    leaf* type;
    leaf* fields[5];  // bool, int, double, string, array
    node_levels entry;  // of key_value
  };

  leaf& find(const std::string& path);
  map_leaves map_at(const std::string& path);
  static void push(leaf& l, int rep, int def) {
    if (l.descriptor.max_repetition) l.values.repetition_levels.push_back(static_cast<std::uint8_t>(rep));
    if (l.descriptor.max_definition) l.values.definition_levels.push_back(static_cast<std::uint8_t>(def));
    ++l.values.entries;
  }
  template <class String>
  void write_map(map_leaves& m, const basic_attributes<String>& attributes, int first_rep, int absent);
  void write_output(std::string_view bytes);

  std::ostream& out_;
  write_options options_;
  file_metadata metadata_;
  schema_layout layout_;
  std::vector<leaf> leaves_;
  std::int64_t offset_ = 0;
  std::size_t rows_ = 0;
  std::uint64_t total_rows_ = 0;
  bool closed_ = false;
  // Leaves by role, looked up once.
  leaf *trace_id_, *span_id_, *parent_, *trace_state_, *name_, *kind_, *start_, *end_, *duration_, *status_code_,
      *status_message_, *flags_, *dropped_attributes_, *dropped_events_, *dropped_links_, *service_,
      *resource_dropped_, *resource_schema_, *scope_name_, *scope_version_, *scope_dropped_, *scope_schema_;
  map_leaves attributes_, resource_attributes_, scope_attributes_, event_attributes_, link_attributes_;
  leaf *event_time_, *event_name_, *event_level_, *event_dropped_;
  leaf *link_trace_, *link_span_, *link_state_, *link_flags_, *link_dropped_;
  node_levels event_entry_, link_entry_;      // of the repeated `list`
  int event_element_ = 0, link_element_ = 0;  // definition level of a present `element`
};

inline writer::writer(std::ostream& out, write_options options) : out_(out), options_(options) {
  if (options_.row_group_rows == 0) throw error(errc::invalid_option, "parquet writer: row_group_rows must be at least 1");
  metadata_.schema = span_schema();
  metadata_.created_by = "trace version " TRACE_VERSION_STRING;
  layout_ = layout_of(metadata_.schema);
  leaves_.reserve(layout_.leaves.size());
  for (const auto& d : layout_.leaves) leaves_.push_back({d, {}});
  trace_id_ = &find("trace_id"), span_id_ = &find("span_id"), parent_ = &find("parent_span_id");
  trace_state_ = &find("trace_state"), name_ = &find("name"), kind_ = &find("kind");
  start_ = &find("start_time"), end_ = &find("end_time"), duration_ = &find("duration_ns");
  status_code_ = &find("status_code"), status_message_ = &find("status_message"), flags_ = &find("flags");
  dropped_attributes_ = &find("dropped_attributes_count"), dropped_events_ = &find("dropped_events_count");
  dropped_links_ = &find("dropped_links_count"), service_ = &find("service_name");
  resource_dropped_ = &find("resource_dropped_attributes_count"), resource_schema_ = &find("resource_schema_url");
  scope_name_ = &find("scope_name"), scope_version_ = &find("scope_version");
  scope_dropped_ = &find("scope_dropped_attributes_count"), scope_schema_ = &find("scope_schema_url");
  attributes_ = map_at("attributes"), resource_attributes_ = map_at("resource_attributes");
  scope_attributes_ = map_at("scope_attributes"), event_attributes_ = map_at("events.list.element.attributes");
  link_attributes_ = map_at("links.list.element.attributes");
  event_time_ = &find("events.list.element.time"), event_name_ = &find("events.list.element.name");
  event_level_ = &find("events.list.element.level");
  event_dropped_ = &find("events.list.element.dropped_attributes_count");
  link_trace_ = &find("links.list.element.trace_id"), link_span_ = &find("links.list.element.span_id");
  link_state_ = &find("links.list.element.trace_state"), link_flags_ = &find("links.list.element.flags");
  link_dropped_ = &find("links.list.element.dropped_attributes_count");
  event_entry_ = layout_.levels("events.list"), link_entry_ = layout_.levels("links.list");
  event_element_ = layout_.levels("events.list.element").definition;
  link_element_ = layout_.levels("links.list.element").definition;
  write_output("PAR1");
}

inline writer::leaf& writer::find(const std::string& path) { return leaves_[layout_.leaf_index.at(path)]; }

inline writer::map_leaves writer::map_at(const std::string& path) {
  const std::string value = path + ".key_value.value.";
  return {&find(path + ".key_value.key"),
          &find(value + "type"),
          {&find(value + "bool_value"), &find(value + "int_value"), &find(value + "double_value"),
           &find(value + "string_value"), &find(value + "array_value")},
          layout_.levels(path + ".key_value")};
}

template <class String>
void writer::write_map(map_leaves& m, const basic_attributes<String>& attributes, int first_rep, int absent) {
  // `absent`: the definition level of an empty map (its parent there), or of a missing parent
  // (an empty list of events holds no map at all).
  if (attributes.empty()) {
    push(*m.key, first_rep, absent), push(*m.type, first_rep, absent);
    for (leaf* f : m.fields) push(*f, first_rep, absent);
    return;
  }
  int rep = first_rep;
  for (const auto& item : attributes) {
    push(*m.key, rep, m.entry.definition);
    m.key->values.add_bytes(item.key);
    push(*m.type, rep, m.entry.definition);
    m.type->values.add_bytes(detail::value_type_name(item.value));
    const std::size_t kind = item.value.index() < 4 ? item.value.index() : 4;
    for (std::size_t f = 0; f < 5; ++f) push(*m.fields[f], rep, m.entry.definition + (f == kind ? 1 : 0));
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, bool>) {
            m.fields[0]->values.bools.push_back(v);
          } else if constexpr (std::is_same_v<V, std::int64_t>) {
            m.fields[1]->values.ints.push_back(v);
          } else if constexpr (std::is_same_v<V, double>) {
            m.fields[2]->values.doubles.push_back(v);
          } else if constexpr (std::is_same_v<V, String>) {
            m.fields[3]->values.add_bytes(std::string_view(v));
          } else {
            std::string json = "[";
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (i) json.push_back(',');
              using E = typename V::value_type;
              if constexpr (std::is_same_v<E, bool>) json += v[i] ? "true" : "false";
              else if constexpr (std::is_same_v<E, std::int64_t>) json += std::to_string(v[i]);
              else if constexpr (std::is_same_v<E, double>) detail::append_json_double(json, v[i]);
              else detail::append_json_string(json, std::string_view(v[i]));
            }
            json.push_back(']');
            m.fields[4]->values.add_bytes(json);
          }
        },
        item.value);
    rep = m.entry.repetition;
  }
}

template <class String>
void writer::write(const basic_span<String>& s) {
  if (closed_) throw error(errc::invalid_argument, "parquet writer: write after close");
  auto fixed = [](leaf* l, std::uint64_t high, std::uint64_t low, bool with_low) {
    std::string bytes;
    detail::append_fixed(bytes, high);
    if (with_low) detail::append_fixed(bytes, low);
    l->values.add_bytes(bytes);
  };
  auto text = [](leaf* l, std::string_view v) { push(*l, 0, 0), l->values.add_bytes(v); };
  auto integer = [](leaf* l, std::int64_t v) { push(*l, 0, 0), l->values.ints.push_back(v); };
  push(*trace_id_, 0, 0), fixed(trace_id_, s.trace.high(), s.trace.low(), true);
  push(*span_id_, 0, 0), fixed(span_id_, s.id.value(), 0, false);
  push(*parent_, 0, s.parent.valid() ? 1 : 0);
  if (s.parent.valid()) fixed(parent_, s.parent.value(), 0, false);
  text(trace_state_, s.trace_state);
  text(name_, s.name);
  text(kind_, to_string(s.kind));
  integer(start_, static_cast<std::int64_t>(s.start));
  integer(end_, static_cast<std::int64_t>(s.end));
  integer(duration_, static_cast<std::int64_t>(s.duration()));
  text(status_code_, to_string(s.status.code));
  text(status_message_, s.status.message);
  integer(flags_, s.flags);
  integer(dropped_attributes_, s.dropped_attributes);
  integer(dropped_events_, s.dropped_events);
  integer(dropped_links_, s.dropped_links);
  write_map(attributes_, s.attributes, 0, attributes_.entry.definition - 1);
  text(service_, s.resource.service_name);
  write_map(resource_attributes_, s.resource.attributes, 0, resource_attributes_.entry.definition - 1);
  integer(resource_dropped_, s.resource.dropped_attributes);
  text(resource_schema_, s.resource.schema_url);
  text(scope_name_, s.scope.name);
  text(scope_version_, s.scope.version);
  write_map(scope_attributes_, s.scope.attributes, 0, scope_attributes_.entry.definition - 1);
  integer(scope_dropped_, s.scope.dropped_attributes);
  text(scope_schema_, s.scope.schema_url);

  // Lists: one entry at the list's parent level when empty, else one per element.
  const int no_event = event_entry_.definition - 1;
  if (s.events.empty()) {
    for (leaf* l : {event_time_, event_name_, event_level_, event_dropped_}) push(*l, 0, no_event);
    write_map(event_attributes_, basic_attributes<String>{}, 0, no_event);
  }
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    const auto& e = s.events[i];
    const int rep = i == 0 ? 0 : event_entry_.repetition;
    const int def = event_element_;
    push(*event_time_, rep, def), event_time_->values.ints.push_back(static_cast<std::int64_t>(e.time));
    push(*event_name_, rep, def), event_name_->values.add_bytes(e.name);
    push(*event_level_, rep, def + (e.level ? 1 : 0));
    if (e.level) event_level_->values.add_bytes(to_string(*e.level));
    push(*event_dropped_, rep, def), event_dropped_->values.ints.push_back(e.dropped_attributes);
    write_map(event_attributes_, e.attributes, rep, event_element_);
  }
  const int no_link = link_entry_.definition - 1;
  if (s.links.empty()) {
    for (leaf* l : {link_trace_, link_span_, link_state_, link_flags_, link_dropped_}) push(*l, 0, no_link);
    write_map(link_attributes_, basic_attributes<String>{}, 0, no_link);
  }
  for (std::size_t i = 0; i < s.links.size(); ++i) {
    const auto& l = s.links[i];
    const int rep = i == 0 ? 0 : link_entry_.repetition;
    const int def = link_element_;
    push(*link_trace_, rep, def), fixed(link_trace_, l.trace.high(), l.trace.low(), true);
    push(*link_span_, rep, def), fixed(link_span_, l.span.value(), 0, false);
    push(*link_state_, rep, def), link_state_->values.add_bytes(l.trace_state);
    push(*link_flags_, rep, def), link_flags_->values.ints.push_back(l.flags);
    push(*link_dropped_, rep, def), link_dropped_->values.ints.push_back(l.dropped_attributes);
    write_map(link_attributes_, l.attributes, rep, link_element_);
  }
  ++total_rows_;
  if (++rows_ >= options_.row_group_rows) flush_row_group();
}

inline void writer::flush_row_group() {
  if (rows_ == 0) return;
  row_group group;
  group.num_rows = static_cast<std::int64_t>(rows_);
  std::string buffer;
  const codec c = options_.codec == compression::snappy ? codec::snappy : codec::uncompressed;
  for (auto& l : leaves_) {
    group.columns.push_back(write_column_chunk(buffer, offset_, l.values, l.descriptor, c));
    group.total_byte_size += group.columns.back().total_uncompressed_size;
    l.values.clear();
  }
  write_output(buffer);
  metadata_.row_groups.push_back(std::move(group));
  metadata_.num_rows += static_cast<std::int64_t>(rows_);
  rows_ = 0;
}

inline void writer::close() {
  if (closed_) return;
  flush_row_group();
  std::string footer;
  write_file_metadata(footer, metadata_);
  std::string tail;
  detail::put_u32(tail, static_cast<std::uint32_t>(footer.size()));
  tail += "PAR1";
  write_output(footer);
  write_output(tail);
  out_.flush();
  if (!out_) throw error(errc::io_error, "parquet writer: the output stream failed at the footer");
  closed_ = true;
}

inline void writer::write_output(std::string_view bytes) {
  out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw error(errc::io_error, "parquet writer: the output stream failed at byte " + std::to_string(offset_));
  offset_ += static_cast<std::int64_t>(bytes.size());
}

}  // namespace parquet
}  // namespace v0
}  // namespace trace
