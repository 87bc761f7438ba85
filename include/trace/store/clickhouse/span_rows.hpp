#pragma once
// Spans to and from the rows of schema.hpp: RowBinary both ways (ClickHouse's native
// row format: little-endian numbers, LEB128-length-prefixed strings and arrays) and
// JSONEachRow for inserts, written with the library's own JSON writer.
//
// Attribute values travel as (key, text, type): the type is the index of the value's
// alternative in `attribute_value`; the text is `to_string(value)` (what Jaeger compares
// and what group-by shows), except arrays of strings, written as a JSON array so that
// commas inside the strings survive.

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/store/clickhouse/schema.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

// ---- RowBinary primitives ----

class row_binary_writer {
 public:
  explicit row_binary_writer(std::string& out) : out_(out) {}

  template <class T>
    requires std::is_arithmetic_v<T>
  void number(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only, as ClickHouse itself
    out_.append(bytes, sizeof(T));
  }
  void length(std::uint64_t n) {
    do {
      auto byte = static_cast<unsigned char>(n & 0x7f);
      n >>= 7;
      if (n) byte |= 0x80;
      out_ += static_cast<char>(byte);
    } while (n);
  }
  void string(std::string_view text) {
    length(text.size());
    out_.append(text);
  }

 private:
  std::string& out_;
};

class row_binary_reader {
 public:
  explicit row_binary_reader(std::string_view data) : data_(data) {}

  bool at_end() const noexcept { return pos_ >= data_.size(); }
  std::size_t offset() const noexcept { return pos_; }

  template <class T>
    requires std::is_arithmetic_v<T>
  T number() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::uint64_t length() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw error(errc::corrupt_data, "RowBinary length at byte " + std::to_string(pos_) + " runs past 64 bits");
  }
  std::string_view string() {
    std::uint64_t n = length();
    need(n);
    std::string_view text = data_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return text;
  }

 private:
  void need(std::uint64_t n) const {
    if (n > data_.size() - pos_)
      throw error(errc::corrupt_data, "RowBinary data ends at byte " + std::to_string(data_.size()) +
                                          " where " + std::to_string(n) + " more bytes were expected (at byte " +
                                          std::to_string(pos_) + ")");
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

// ---- attribute values as text ----

template <class String>
std::string attribute_text(const basic_attribute_value<String>& value) {
  if (const auto* strings = std::get_if<std::vector<String>>(&value)) {
    std::string out;
    json::writer w(out);
    w.begin_array();
    for (const auto& s : *strings) w.string(std::string_view(s));
    w.end_array();
    return out;
  }
  return to_string(value);
}

inline attribute_value parse_attribute(std::uint8_t type, std::string_view text) {
  auto bad = [&](const char* what) -> error {
    return error(errc::corrupt_data, std::string("stored attribute value \"") + std::string(text.substr(0, 60)) +
                                         "\" is not " + what);
  };
  auto number = [&]<class T>(std::string_view digits, T) {
    T value{};
    auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (result.ec != std::errc() || result.ptr != digits.data() + digits.size())
      throw bad(std::is_integral_v<T> ? "an integer" : "a number");
    return value;
  };
  auto boolean = [&](std::string_view word) {
    if (word == "true") return true;
    if (word == "false") return false;
    throw bad("a bool");
  };
  auto items = [&](auto parse_one) {
    if (text.size() < 2 || text.front() != '[' || text.back() != ']') throw bad("an array");
    std::vector<decltype(parse_one(std::string_view()))> out;
    std::string_view inner = text.substr(1, text.size() - 2);
    while (!inner.empty()) {
      auto comma = inner.find(',');
      out.push_back(parse_one(inner.substr(0, comma)));
      inner = comma == std::string_view::npos ? std::string_view() : inner.substr(comma + 1);
    }
    return out;
  };
  switch (type) {
    case 0: return boolean(text);
    case 1: return number(text, std::int64_t{});
    case 2: return number(text, double{});
    case 3: return std::string(text);
    case 4: return items(boolean);
    case 5: return items([&](std::string_view t) { return number(t, std::int64_t{}); });
    case 6: return items([&](std::string_view t) { return number(t, double{}); });
    case 7: {
      json::value doc = json::parse(text);
      const auto* array = doc.get_if<json::array>();
      if (!array) throw bad("a JSON array");
      std::vector<std::string> out;
      for (const auto& item : *array) {
        const auto* s = item.get_if<std::string>();
        if (!s) throw bad("a JSON array of strings");
        out.push_back(*s);
      }
      return out;
    }
  }
  throw error(errc::corrupt_data, "stored attribute type " + std::to_string(type) + " is not one of 0..7");
}

// ---- one span as one row ----

namespace detail {
template <class String>
void write_attribute_arrays(row_binary_writer& w, const basic_attributes<String>& items) {
  w.length(items.size());
  for (const auto& item : items) w.string(std::string_view(item.key));
  w.length(items.size());
  for (const auto& item : items) w.string(attribute_text(item.value));
  w.length(items.size());
  for (const auto& item : items) w.number(static_cast<std::uint8_t>(item.value.index()));
}

template <class Items, class Get>
void write_nested_attributes(row_binary_writer& w, const Items& owners, Get attributes_of) {
  w.length(owners.size());
  for (const auto& o : owners) {
    w.length(attributes_of(o).size());
    for (const auto& item : attributes_of(o)) w.string(std::string_view(item.key));
  }
  w.length(owners.size());
  for (const auto& o : owners) {
    w.length(attributes_of(o).size());
    for (const auto& item : attributes_of(o)) w.string(attribute_text(item.value));
  }
  w.length(owners.size());
  for (const auto& o : owners) {
    w.length(attributes_of(o).size());
    for (const auto& item : attributes_of(o)) w.number(static_cast<std::uint8_t>(item.value.index()));
  }
}

inline std::string hex_or_empty(span_id id) { return id.valid() ? id.to_hex() : std::string(); }
}  // namespace detail

template <class String>
void append_row_binary(std::string& out, const basic_span<String>& s) {
  row_binary_writer w(out);
  w.number<std::uint64_t>(s.start);
  w.string(s.trace.to_hex());
  w.string(s.id.to_hex());
  w.string(detail::hex_or_empty(s.parent));
  w.string(std::string_view(s.trace_state));
  w.string(std::string_view(s.name));
  w.number(static_cast<std::uint8_t>(s.kind));
  w.string(std::string_view(s.resource.service_name));
  detail::write_attribute_arrays(w, s.resource.attributes);
  w.string(std::string_view(s.scope.name));
  w.string(std::string_view(s.scope.version));
  detail::write_attribute_arrays(w, s.scope.attributes);
  detail::write_attribute_arrays(w, s.attributes);
  w.number<std::uint64_t>(s.duration());
  w.number(static_cast<std::uint8_t>(s.status.code));
  w.string(std::string_view(s.status.message));
  w.length(s.events.size());
  for (const auto& e : s.events) w.number<std::uint64_t>(e.time);
  w.length(s.events.size());
  for (const auto& e : s.events) w.string(std::string_view(e.name));
  w.length(s.events.size());
  for (const auto& e : s.events) w.number<std::int8_t>(e.level ? static_cast<std::int8_t>(*e.level) : -1);
  detail::write_nested_attributes(w, s.events, [](const auto& e) -> const auto& { return e.attributes; });
  w.length(s.links.size());
  for (const auto& l : s.links) w.string(l.trace.to_hex());
  w.length(s.links.size());
  for (const auto& l : s.links) w.string(l.span.to_hex());
  w.length(s.links.size());
  for (const auto& l : s.links) w.string(std::string_view(l.trace_state));
  detail::write_nested_attributes(w, s.links, [](const auto& l) -> const auto& { return l.attributes; });
  w.number<std::uint32_t>(s.dropped_attributes);
  w.number<std::uint32_t>(s.dropped_events);
  w.number<std::uint32_t>(s.dropped_links);
}

namespace detail {
template <class String>
void write_json_attributes(json::writer& w, const char* prefix, const basic_attributes<String>& items) {
  std::string name(prefix);
  w.key(name + "AttributeKeys").begin_array();
  for (const auto& item : items) w.string(std::string_view(item.key));
  w.end_array().key(name + "AttributeValues").begin_array();
  for (const auto& item : items) w.string(attribute_text(item.value));
  w.end_array().key(name + "AttributeTypes").begin_array();
  for (const auto& item : items) w.number(static_cast<std::uint64_t>(item.value.index()));
  w.end_array();
}

template <class Items, class Get>
void write_json_nested_attributes(json::writer& w, const char* prefix, const Items& owners, Get attributes_of) {
  std::string name(prefix);
  w.key(name + "AttributeKeys").begin_array();
  for (const auto& o : owners) {
    w.begin_array();
    for (const auto& item : attributes_of(o)) w.string(std::string_view(item.key));
    w.end_array();
  }
  w.end_array().key(name + "AttributeValues").begin_array();
  for (const auto& o : owners) {
    w.begin_array();
    for (const auto& item : attributes_of(o)) w.string(attribute_text(item.value));
    w.end_array();
  }
  w.end_array().key(name + "AttributeTypes").begin_array();
  for (const auto& o : owners) {
    w.begin_array();
    for (const auto& item : attributes_of(o)) w.number(static_cast<std::uint64_t>(item.value.index()));
    w.end_array();
  }
  w.end_array();
}
}  // namespace detail

// One JSONEachRow line. Refuses (errc::invalid_argument) text that is not valid UTF-8,
// which JSON cannot carry; RowBinary has no such limit.
template <class String>
void append_json_row(std::string& out, const basic_span<String>& s) {
  json::writer w(out);
  w.begin_object();
  w.member("Timestamp", static_cast<std::uint64_t>(s.start));
  w.member("TraceId", s.trace.to_hex());
  w.member("SpanId", s.id.to_hex());
  w.member("ParentSpanId", detail::hex_or_empty(s.parent));
  w.member("TraceState", std::string_view(s.trace_state));
  w.member("SpanName", std::string_view(s.name));
  w.member("SpanKind", static_cast<std::uint64_t>(s.kind));
  w.member("ServiceName", std::string_view(s.resource.service_name));
  detail::write_json_attributes(w, "Resource", s.resource.attributes);
  w.member("ScopeName", std::string_view(s.scope.name));
  w.member("ScopeVersion", std::string_view(s.scope.version));
  detail::write_json_attributes(w, "Scope", s.scope.attributes);
  detail::write_json_attributes(w, "Span", s.attributes);
  w.member("Duration", static_cast<std::uint64_t>(s.duration()));
  w.member("StatusCode", static_cast<std::uint64_t>(s.status.code));
  w.member("StatusMessage", std::string_view(s.status.message));
  w.key("Events.Timestamp").begin_array();
  for (const auto& e : s.events) w.number(static_cast<std::uint64_t>(e.time));
  w.end_array().key("Events.Name").begin_array();
  for (const auto& e : s.events) w.string(std::string_view(e.name));
  w.end_array().key("Events.Level").begin_array();
  for (const auto& e : s.events) w.number(static_cast<std::int64_t>(e.level ? static_cast<int>(*e.level) : -1));
  w.end_array();
  detail::write_json_nested_attributes(w, "Events.", s.events, [](const auto& e) -> const auto& { return e.attributes; });
  w.key("Links.TraceId").begin_array();
  for (const auto& l : s.links) w.string(l.trace.to_hex());
  w.end_array().key("Links.SpanId").begin_array();
  for (const auto& l : s.links) w.string(l.span.to_hex());
  w.end_array().key("Links.TraceState").begin_array();
  for (const auto& l : s.links) w.string(std::string_view(l.trace_state));
  w.end_array();
  detail::write_json_nested_attributes(w, "Links.", s.links, [](const auto& l) -> const auto& { return l.attributes; });
  w.member("DroppedAttributesCount", static_cast<std::uint64_t>(s.dropped_attributes));
  w.member("DroppedEventsCount", static_cast<std::uint64_t>(s.dropped_events));
  w.member("DroppedLinksCount", static_cast<std::uint64_t>(s.dropped_links));
  w.end_object();
  out += '\n';
}

namespace detail {
inline void read_attribute_arrays(row_binary_reader& r, attributes& out) {
  std::uint64_t n = r.length();
  std::vector<std::string_view> keys, values;
  for (std::uint64_t i = 0; i < n; ++i) keys.push_back(r.string());
  if (r.length() != n) throw error(errc::corrupt_data, "attribute keys and values differ in length");
  for (std::uint64_t i = 0; i < n; ++i) values.push_back(r.string());
  if (r.length() != n) throw error(errc::corrupt_data, "attribute keys and types differ in length");
  for (std::uint64_t i = 0; i < n; ++i) out.set(std::string(keys[i]), parse_attribute(r.number<std::uint8_t>(), values[i]));
}

template <class Owner>
void read_nested_attributes(row_binary_reader& r, std::vector<Owner>& owners) {
  auto expect_count = [&](std::uint64_t n) {
    if (n != owners.size()) throw error(errc::corrupt_data, "nested attribute arrays differ in length");
  };
  expect_count(r.length());
  std::vector<std::vector<std::string_view>> keys(owners.size()), values(owners.size());
  for (auto& k : keys)
    for (std::uint64_t i = 0, n = r.length(); i < n; ++i) k.push_back(r.string());
  expect_count(r.length());
  for (auto& v : values)
    for (std::uint64_t i = 0, n = r.length(); i < n; ++i) v.push_back(r.string());
  expect_count(r.length());
  for (std::size_t o = 0; o < owners.size(); ++o) {
    std::uint64_t n = r.length();
    if (n != keys[o].size() || n != values[o].size())
      throw error(errc::corrupt_data, "nested attribute keys, values and types differ in length");
    for (std::uint64_t i = 0; i < n; ++i)
      owners[o].attributes.set(std::string(keys[o][i]), parse_attribute(r.number<std::uint8_t>(), values[o][i]));
  }
}

inline span_id parse_span_id_or_zero(std::string_view hex) { return hex.empty() ? span_id() : span_id::parse(hex); }
}  // namespace detail

// Reads the next row (all columns of `span_columns`, in order) into an owning span.
inline span read_row_binary(row_binary_reader& r) {
  span s;
  s.start = r.number<std::uint64_t>();
  s.trace = trace_id::parse(r.string());
  s.id = span_id::parse(r.string());
  s.parent = detail::parse_span_id_or_zero(r.string());
  s.trace_state = r.string();
  s.name = r.string();
  s.kind = static_cast<span_kind>(r.number<std::uint8_t>());
  s.resource.service_name = r.string();
  detail::read_attribute_arrays(r, s.resource.attributes);
  s.scope.name = r.string();
  s.scope.version = r.string();
  detail::read_attribute_arrays(r, s.scope.attributes);
  detail::read_attribute_arrays(r, s.attributes);
  s.end = s.start + r.number<std::uint64_t>();
  s.status.code = static_cast<status_code>(r.number<std::uint8_t>());
  s.status.message = r.string();
  s.events.resize(r.length());
  for (auto& e : s.events) e.time = r.number<std::uint64_t>();
  if (r.length() != s.events.size()) throw error(errc::corrupt_data, "event arrays differ in length");
  for (auto& e : s.events) e.name = r.string();
  if (r.length() != s.events.size()) throw error(errc::corrupt_data, "event arrays differ in length");
  for (auto& e : s.events) {
    auto level = r.number<std::int8_t>();
    if (level >= 0) e.level = static_cast<event_level>(level);
  }
  detail::read_nested_attributes(r, s.events);
  s.links.resize(r.length());
  for (auto& l : s.links) l.trace = trace_id::parse(r.string());
  if (r.length() != s.links.size()) throw error(errc::corrupt_data, "link arrays differ in length");
  for (auto& l : s.links) l.span = span_id::parse(r.string());
  if (r.length() != s.links.size()) throw error(errc::corrupt_data, "link arrays differ in length");
  for (auto& l : s.links) l.trace_state = r.string();
  detail::read_nested_attributes(r, s.links);
  s.dropped_attributes = r.number<std::uint32_t>();
  s.dropped_events = r.number<std::uint32_t>();
  s.dropped_links = r.number<std::uint32_t>();
  return s;
}

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
