#pragma once
// A trace schema, as BanyanDB describes a trace type: its tags (name, type, required or
// optional), which tag holds the trace id and which the timestamp, and where each tag lives
// in our span model (a built-in field or an attribute). `check_schema` refuses a schema that
// contradicts itself; `validate` refuses a batch whose span lacks a required tag or carries
// one of the wrong type, naming the span's index and the tag.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {

enum class tag_type : std::uint8_t {
  string_,
  int64,
  double_,
  bool_,
  bytes,  // stored as a string attribute (the span model has no byte strings)
  timestamp,  // ns since the epoch: a start/end field or an int64 attribute
  string_array,
  int64_array,
  double_array,
  bool_array
};

// Where a tag's value is found on a span.
enum class tag_source : std::uint8_t {
  attribute,           // the span attribute named like the tag
  resource_attribute,  // the resource attribute named like the tag
  trace_id,
  span_id,
  parent_id,
  name,
  service,
  start,
  end,
  status,
  kind
};

struct tag_spec {
  std::string name;
  tag_type type = tag_type::string_;
  bool required = false;
  tag_source source = tag_source::attribute;
  friend bool operator==(const tag_spec&, const tag_spec&) = default;
};

struct trace_schema {
  std::string name;
  std::vector<tag_spec> tags;
  std::string trace_id_tag_name;
  std::string timestamp_tag_name;
  friend bool operator==(const trace_schema&, const trace_schema&) = default;

  const tag_spec* tag(std::string_view tag_name) const noexcept {
    for (const tag_spec& t : tags)
      if (t.name == tag_name) return &t;
    return nullptr;
  }
};

constexpr std::string_view to_string(tag_type t) noexcept {
  switch (t) {
    case tag_type::string_: return "string";
    case tag_type::int64: return "int64";
    case tag_type::double_: return "double";
    case tag_type::bool_: return "bool";
    case tag_type::bytes: return "bytes";
    case tag_type::timestamp: return "timestamp";
    case tag_type::string_array: return "string_array";
    case tag_type::int64_array: return "int64_array";
    case tag_type::double_array: return "double_array";
    case tag_type::bool_array: return "bool_array";
  }
  return "?";
}
inline std::optional<tag_type> parse_tag_type(std::string_view text) noexcept {
  for (auto t : {tag_type::string_, tag_type::int64, tag_type::double_, tag_type::bool_, tag_type::bytes,
                 tag_type::timestamp, tag_type::string_array, tag_type::int64_array, tag_type::double_array,
                 tag_type::bool_array})
    if (to_string(t) == text) return t;
  return std::nullopt;
}

constexpr std::string_view to_string(tag_source s) noexcept {
  switch (s) {
    case tag_source::attribute: return "attribute";
    case tag_source::resource_attribute: return "resource_attribute";
    case tag_source::trace_id: return "trace_id";
    case tag_source::span_id: return "span_id";
    case tag_source::parent_id: return "parent_id";
    case tag_source::name: return "name";
    case tag_source::service: return "service";
    case tag_source::start: return "start";
    case tag_source::end: return "end";
    case tag_source::status: return "status";
    case tag_source::kind: return "kind";
  }
  return "?";
}
inline std::optional<tag_source> parse_tag_source(std::string_view text) noexcept {
  for (auto s : {tag_source::attribute, tag_source::resource_attribute, tag_source::trace_id, tag_source::span_id,
                 tag_source::parent_id, tag_source::name, tag_source::service, tag_source::start, tag_source::end,
                 tag_source::status, tag_source::kind})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

namespace detail {

// The type a built-in field has; nullopt for attributes, whose type is the span's.
constexpr std::optional<tag_type> field_type(tag_source s) noexcept {
  switch (s) {
    case tag_source::attribute:
    case tag_source::resource_attribute: return std::nullopt;
    case tag_source::trace_id:
    case tag_source::span_id:
    case tag_source::parent_id: return tag_type::bytes;
    case tag_source::name:
    case tag_source::service:
    case tag_source::status:
    case tag_source::kind: return tag_type::string_;
    case tag_source::start:
    case tag_source::end: return tag_type::timestamp;
  }
  return std::nullopt;
}

// Whether an attribute value (variant index) has the tag's type.
inline bool value_has_type(const attribute_value& v, tag_type t) noexcept {
  switch (t) {
    case tag_type::string_:
    case tag_type::bytes: return std::holds_alternative<std::string>(v);
    case tag_type::int64:
    case tag_type::timestamp: return std::holds_alternative<std::int64_t>(v);
    case tag_type::double_: return std::holds_alternative<double>(v);
    case tag_type::bool_: return std::holds_alternative<bool>(v);
    case tag_type::string_array: return std::holds_alternative<std::vector<std::string>>(v);
    case tag_type::int64_array: return std::holds_alternative<std::vector<std::int64_t>>(v);
    case tag_type::double_array: return std::holds_alternative<std::vector<double>>(v);
    case tag_type::bool_array: return std::holds_alternative<std::vector<bool>>(v);
  }
  return false;
}

constexpr std::string_view type_name_of(const attribute_value& v) noexcept {
  constexpr std::string_view names[] = {"bool", "int64", "double", "string", "bool_array", "int64_array",
                                        "double_array", "string_array"};
  return names[v.index()];
}

}  // namespace detail

// Refuses (errc::invalid_argument) a schema with an empty or repeated tag name, a trace id or
// timestamp tag it does not have or of the wrong kind, or a built-in field given another type.
inline void check_schema(const trace_schema& s) {
  auto refuse = [&s](const std::string& what) {
    throw error(errc::invalid_argument, "trace schema \"" + s.name + "\": " + what);
  };
  if (s.name.empty()) refuse("the schema has no name");
  for (std::size_t i = 0; i < s.tags.size(); ++i) {
    const tag_spec& t = s.tags[i];
    if (t.name.empty()) refuse("tag " + std::to_string(i) + " has no name");
    for (std::size_t j = 0; j < i; ++j)
      if (s.tags[j].name == t.name) refuse("tag \"" + t.name + "\" is declared twice");
    if (auto fixed = detail::field_type(t.source); fixed && *fixed != t.type)
      refuse("tag \"" + t.name + "\" maps onto the span's " + std::string(to_string(t.source)) + ", which is " +
             std::string(to_string(*fixed)) + ", not " + std::string(to_string(t.type)));
  }
  const tag_spec* id = s.tag(s.trace_id_tag_name);
  if (!id) refuse("trace_id_tag_name \"" + s.trace_id_tag_name + "\" is not one of its tags");
  if (id->source != tag_source::trace_id)
    refuse("trace_id_tag_name \"" + id->name + "\" maps onto " + std::string(to_string(id->source)) + ", not trace_id");
  const tag_spec* time = s.tag(s.timestamp_tag_name);
  if (!time) refuse("timestamp_tag_name \"" + s.timestamp_tag_name + "\" is not one of its tags");
  if (time->type != tag_type::timestamp)
    refuse("timestamp_tag_name \"" + time->name + "\" is " + std::string(to_string(time->type)) + ", not timestamp");
}

// Refuses (errc::invalid_span, as the stores refuse other invalid spans) the whole batch at its first span that breaks `s`: a
// required tag missing (an attribute absent, an id zero, a name empty) or an attribute of
// another type, naming the span's index in the batch and the tag.
inline void validate(const trace_schema& s, std::span<const span> batch) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const span& sp = batch[i];
    auto refuse = [&](const tag_spec& t, const std::string& what) {
      throw error(errc::invalid_span, "span " + std::to_string(i) + " of the batch: tag \"" + t.name + "\" " + what +
                                              " (trace schema \"" + s.name + "\")");
    };
    for (const tag_spec& t : s.tags) {
      bool present = true;
      switch (t.source) {
        case tag_source::attribute:
        case tag_source::resource_attribute: {
          const attribute_value* v = t.source == tag_source::attribute ? sp.attributes.find(t.name)
                                                                       : sp.resource.attributes.find(t.name);
          present = v != nullptr;
          if (v && !detail::value_has_type(*v, t.type))
            refuse(t, "is " + std::string(detail::type_name_of(*v)) + ", the schema says " + std::string(to_string(t.type)));
          break;
        }
        case tag_source::trace_id: present = sp.trace.valid(); break;
        case tag_source::span_id: present = sp.id.valid(); break;
        case tag_source::parent_id: present = sp.parent.valid(); break;
        case tag_source::name: present = !sp.name.empty(); break;
        case tag_source::service: present = !sp.resource.service_name.empty(); break;
        case tag_source::start: present = sp.start != 0; break;
        case tag_source::end: present = sp.end != 0; break;
        case tag_source::status:
        case tag_source::kind: break;  // always have a value
      }
      if (t.required && !present) refuse(t, "is required but missing");
    }
  }
}

}  // namespace v0
}  // namespace trace
