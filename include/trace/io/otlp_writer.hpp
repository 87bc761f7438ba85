#pragma once
// OTLP JSON export: spans as one `ExportTraceServiceRequest`, grouped by resource and then
// by scope (in first-seen order; spans keep their input order within a group). 64-bit
// integers are written as decimal strings and enums as integers, as the OTLP/JSON
// specification asks; `event.level` travels as the event attribute `event.level`.
//
//   std::string text = trace::otlp::to_json(spans);
//   trace::otlp::write_line(stream, spans);   // one JSON Lines record
//
// Reading the text back with `otlp::read` gives spans equal to the input.

#include <cmath>
#include <cstdint>
#include <ostream>
#include <ranges>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_groups.hpp"
#include "trace/io/otlp_reader.hpp"  // event_level_key

namespace trace {
inline namespace v0 {
namespace otlp {

// A range whose elements are `basic_span<String>` lvalues (a vector, a span, ...).
template <class R>
concept span_lvalue_range = std::ranges::forward_range<const R> &&
                            std::is_lvalue_reference_v<std::ranges::range_reference_t<const R>>;

// Appends one request holding `spans` to `out`.
template <span_lvalue_range R>
void write(std::string& out, const R& spans);

template <span_lvalue_range R>
std::string to_json(const R& spans) {
  std::string out;
  write(out, spans);
  return out;
}

// One request on one line, then '\n': a record of a JSON Lines file.
template <span_lvalue_range R>
void write_line(std::ostream& out, const R& spans) {
  std::string text;
  write(text, spans);
  text += '\n';
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// ---------------------------------------------------------------------------------------

namespace detail {

template <class String>
void write_any_value(json::writer& w, const basic_attribute_value<String>& value) {
  auto scalar = [&w](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    w.begin_object();
    if constexpr (std::is_same_v<T, bool>) w.member("boolValue", v);
    else if constexpr (std::is_same_v<T, std::int64_t>) w.member("intValue", std::to_string(v));
    else if constexpr (std::is_same_v<T, double>) {
      w.key("doubleValue");
      if (std::isnan(v)) w.string("NaN");
      else if (std::isinf(v)) w.string(v > 0 ? "Infinity" : "-Infinity");
      else w.number(v);
    } else {
      w.member("stringValue", std::string_view(v));
    }
    w.end_object();
  };
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (::trace::detail::is_vector<V>::value) {
          w.begin_object().key("arrayValue").begin_object().key("values").begin_array();
          for (const auto& item : v) scalar(static_cast<typename V::value_type>(item));
          w.end_array().end_object().end_object();
        } else {
          scalar(v);
        }
      },
      value);
}

template <class String>
void write_key_values(json::writer& w, const basic_attributes<String>& items) {
  for (const auto& item : items) {
    w.begin_object().member("key", std::string_view(item.key)).key("value");
    write_any_value(w, item.value);
    w.end_object();
  }
}

inline void write_dropped(json::writer& w, std::string_view key, std::uint32_t count) {
  if (count) w.member(key, static_cast<std::uint64_t>(count));
}

template <class String>
void write_span(json::writer& w, const basic_span<String>& s) {
  w.begin_object();
  w.member("traceId", s.trace.to_hex()).member("spanId", s.id.to_hex());
  if (!std::string_view(s.trace_state).empty()) w.member("traceState", std::string_view(s.trace_state));
  if (s.parent.valid()) w.member("parentSpanId", s.parent.to_hex());
  if (s.flags) w.member("flags", static_cast<std::uint64_t>(s.flags));
  w.member("name", std::string_view(s.name));
  w.member("kind", static_cast<std::uint64_t>(s.kind));
  w.member("startTimeUnixNano", std::to_string(s.start)).member("endTimeUnixNano", std::to_string(s.end));
  if (!s.attributes.empty()) {
    w.key("attributes").begin_array();
    write_key_values(w, s.attributes);
    w.end_array();
  }
  write_dropped(w, "droppedAttributesCount", s.dropped_attributes);
  if (!s.events.empty()) {
    w.key("events").begin_array();
    for (const auto& e : s.events) {
      w.begin_object().member("timeUnixNano", std::to_string(e.time)).member("name", std::string_view(e.name));
      if (!e.attributes.empty() || e.level) {
        w.key("attributes").begin_array();
        write_key_values(w, e.attributes);
        if (e.level)
          w.begin_object().member("key", event_level_key).key("value").begin_object()
              .member("stringValue", to_string(*e.level)).end_object().end_object();
        w.end_array();
      }
      write_dropped(w, "droppedAttributesCount", e.dropped_attributes);
      w.end_object();
    }
    w.end_array();
  }
  write_dropped(w, "droppedEventsCount", s.dropped_events);
  if (!s.links.empty()) {
    w.key("links").begin_array();
    for (const auto& l : s.links) {
      w.begin_object().member("traceId", l.trace.to_hex()).member("spanId", l.span.to_hex());
      if (!std::string_view(l.trace_state).empty()) w.member("traceState", std::string_view(l.trace_state));
      if (!l.attributes.empty()) {
        w.key("attributes").begin_array();
        write_key_values(w, l.attributes);
        w.end_array();
      }
      write_dropped(w, "droppedAttributesCount", l.dropped_attributes);
      if (l.flags) w.member("flags", static_cast<std::uint64_t>(l.flags));
      w.end_object();
    }
    w.end_array();
  }
  write_dropped(w, "droppedLinksCount", s.dropped_links);
  w.key("status").begin_object();
  if (s.status.code != status_code::unset) w.member("code", static_cast<std::uint64_t>(s.status.code));
  if (!std::string_view(s.status.message).empty()) w.member("message", std::string_view(s.status.message));
  w.end_object();
  w.end_object();
}

}  // namespace detail

template <span_lvalue_range R>
void write(std::string& out, const R& spans) {
  using S = std::ranges::range_value_t<R>;
  std::vector<const S*> pointers;
  for (const S& s : spans) pointers.push_back(&s);
  const auto groups = detail::group_by_source(pointers);

  json::writer w(out);
  w.begin_object().key("resourceSpans").begin_array();
  for (const auto& g : groups) {
    w.begin_object().key("resource").begin_object().key("attributes").begin_array();
    if (!std::string_view(g.resource->service_name).empty())
      w.begin_object().member("key", "service.name").key("value").begin_object()
          .member("stringValue", std::string_view(g.resource->service_name)).end_object().end_object();
    detail::write_key_values(w, g.resource->attributes);
    w.end_array();
    detail::write_dropped(w, "droppedAttributesCount", g.resource->dropped_attributes);
    w.end_object().key("scopeSpans").begin_array();
    for (const auto& c : g.scopes) {
      w.begin_object().key("scope").begin_object();
      w.member("name", std::string_view(c.scope->name));
      if (!std::string_view(c.scope->version).empty()) w.member("version", std::string_view(c.scope->version));
      if (!c.scope->attributes.empty()) {
        w.key("attributes").begin_array();
        detail::write_key_values(w, c.scope->attributes);
        w.end_array();
      }
      detail::write_dropped(w, "droppedAttributesCount", c.scope->dropped_attributes);
      w.end_object().key("spans").begin_array();
      for (const S* s : c.spans) detail::write_span(w, *s);
      w.end_array();
      if (!std::string_view(c.scope->schema_url).empty()) w.member("schemaUrl", std::string_view(c.scope->schema_url));
      w.end_object();
    }
    w.end_array();
    if (!std::string_view(g.resource->schema_url).empty()) w.member("schemaUrl", std::string_view(g.resource->schema_url));
    w.end_object();
  }
  w.end_array().end_object();
}

}  // namespace otlp
}  // namespace v0
}  // namespace trace
