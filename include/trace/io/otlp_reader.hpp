#pragma once
// OTLP JSON import: OpenTelemetry's protobuf JSON mapping of `ExportTraceServiceRequest`
// (resourceSpans → scopeSpans → spans), as SDKs, the Collector's file exporter and Jaeger's
// fixtures write it.
//
//   std::vector<trace::span> spans = trace::otlp::read(text);          // one request, or JSON Lines
//   trace::otlp::read(text, [](std::vector<trace::span>&& batch) {...});  // batches, as they are read
//   trace::otlp::read_lines(stream, sink);                              // a stream, a document at a time
//
// The text is walked with the pull reader: only one `resourceSpans` entry is a tree at a
// time, so a large request never becomes one big tree. Accepted: hex or base64 ids; 64-bit integers as
// strings or numbers; enums as integers or their names; unknown fields are ignored, as the
// OTLP specification asks of receivers. Ids may also be base64 (24 and 12 characters), as
// Go's protojson writes them. The model's mapping (docs/FORMATS.md): resource
// `service.name` → `resource.service_name`; event attribute `event.level` (debug, info, warn,
// error, critical) → `event.level`; AnyValue bytes → their base64 text; kvlists and mixed
// arrays → their plain JSON text. Each span is checked against the model's rules
// (`span_problem`) where it is read. Errors are `errc::parse_error` naming line and column.
// Batches: see span_batches.hpp.
//
// The lenient form (a `refused` callback after the sink) is for receivers that answer with
// a partial success: a span the reader would refuse (a bad or missing id, a field of the
// wrong type, an end before its start, the model's rules) is left out and handed to
// `refused(refused_span&&)` with its position and why; the others are kept. Text that is
// not JSON still throws.

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/core/validate.hpp"
#include "trace/io/base64.hpp"
#include "trace/io/file.hpp"
#include "trace/io/json_fields.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/refused_span.hpp"
#include "trace/io/span_batches.hpp"

namespace trace {
inline namespace v0 {
namespace otlp {

// The event attribute that carries `event::level` through OTLP.
inline constexpr std::string_view event_level_key = "event.level";

// Hands the spans of every request in the text (one request, or several one per line) to
// `sink(std::vector<span>&&)` in batches of `batch_spans` (span_batches.hpp). Returns the
// number of spans handed over.
template <class Sink>
std::size_t read(std::string_view text, Sink&& sink, json::parse_options options = {},
                 std::size_t batch_spans = default_batch_spans);
// Lenient: the spans the reader refuses go to `refused` instead of throwing (above).
template <class Sink, std::invocable<refused_span&&> Refused>
std::size_t read(std::string_view text, Sink&& sink, Refused&& refused, json::parse_options options = {},
                 std::size_t batch_spans = default_batch_spans);

// Every span of the text, in document order.
std::vector<span> read(std::string_view text, json::parse_options options = {});

// The same from a stream of requests (JSON Lines, or requests over several lines each),
// holding one request in memory at a time; blank lines are skipped.
template <class Sink>
std::size_t read_lines(std::istream& in, Sink&& sink, json::parse_options options = {},
                       std::size_t batch_spans = default_batch_spans);

// A file holding one request or JSON Lines.
std::vector<span> read_file(const std::filesystem::path& path);

// ---------------------------------------------------------------------------------------

namespace detail {

inline std::uint64_t json_big_endian(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::optional<trace_id> trace_id_from_text(std::string_view text);
inline std::optional<span_id> span_id_from_text(std::string_view text);

class decoder : public json::field_reader {
 public:
  decoder(std::string_view text, std::size_t first_line) : field_reader(text, first_line, "OTLP") {}

  trace_id trace_of(const json::value& v, std::string_view field) const {
    const std::string& id_text = text(v, field);
    auto id = trace_id_from_text(id_text);
    if (!id) fail(v, field, "\"" + id_text + "\" is neither 32 hex digits nor 24 base64 characters, with at least one non-zero");
    return *id;
  }
  // Empty stands for "no span" (a root's parent).
  span_id span_of(const json::value& v, std::string_view field, bool optional) const {
    const std::string& id_text = text(v, field);
    if (id_text.empty() && optional) return {};
    auto id = span_id_from_text(id_text);
    if (!id) fail(v, field, "\"" + id_text + "\" is neither 16 hex digits nor 12 base64 characters, with at least one non-zero");
    return *id;
  }

  attribute_value any_value(const json::value& v) const;
  void plain_json(json::writer& out, const json::value& any) const;
  attributes key_values(const json::value& v, std::string_view field) const {
    attributes out;
    const auto& list = items(v, field);
    out.reserve(list.size());
    for (const auto& kv : list) {
      std::string key;
      const json::value* value = nullptr;
      for (const auto& m : members(kv, field)) {
        if (m.key == "key") key = text(m.val, "attribute key");
        else if (m.key == "value") value = &m.val;
      }
      out.set(std::move(key), value ? any_value(*value) : attribute_value(std::string()));
    }
    return out;
  }

  // `schema_url` comes from the enclosing resourceSpans / scopeSpans, read before or after.
  resource resource_of(const json::value& v, std::string schema_url) const;
  scope scope_of(const json::value& v, std::string schema_url) const;
  void span_fields(const json::value& v, span& s) const;
};

// Ids in hex, as OTLP/JSON asks, or in base64, as Go's protojson (and so Tempo) writes
// them: 32 or 16 characters are hex, 24 or 12 are base64, so the length decides.
inline std::optional<trace_id> trace_id_from_text(std::string_view text) {
  if (text.size() != 24) return trace_id::from_hex(text);
  auto bytes = ::trace::detail::from_base64(text);
  if (!bytes || bytes->size() != 16) return std::nullopt;
  trace_id id{json_big_endian(bytes->data()), json_big_endian(bytes->data() + 8)};
  if (!id.valid()) return std::nullopt;
  return id;
}
inline std::optional<span_id> span_id_from_text(std::string_view text) {
  if (text.size() != 12) return span_id::from_hex(text);
  auto bytes = ::trace::detail::from_base64(text);
  if (!bytes || bytes->size() != 8) return std::nullopt;
  span_id id{json_big_endian(bytes->data())};
  if (!id.valid()) return std::nullopt;
  return id;
}

// Base64 (RFC 4648, padded): bytes travel as their text.
inline bool is_base64(std::string_view s) noexcept {
  if (s.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool padding = c == '=' && i + 2 >= s.size() && (i + 1 == s.size() || s[i + 1] == '=');
    if (!letter && !padding) return false;
  }
  return true;
}

inline attribute_value decoder::any_value(const json::value& v) const {
  const auto& fields = members(v, "AnyValue");
  if (fields.empty()) return std::string();  // an unset AnyValue
  const json::member& m = fields.front();
  if (m.key == "stringValue") return text(m.val, "stringValue");
  if (m.key == "boolValue") return boolean(m.val, "boolValue");
  if (m.key == "intValue") return i64(m.val, "intValue");
  if (m.key == "doubleValue") return number(m.val, "doubleValue");
  if (m.key == "bytesValue") {
    std::string bytes = text(m.val, "bytesValue");
    if (!is_base64(bytes)) fail(m.val, "bytesValue", "\"" + bytes + "\" is not base64");
    return bytes;
  }
  if (m.key == "arrayValue") {
    // Homogeneous arrays of scalars map onto the model's arrays; anything else is kept as JSON.
    members(m.val, "arrayValue");
    const auto& list = items(member_or_null(m.val, "values"), "arrayValue.values");
    if (list.empty()) return std::vector<std::string>{};
    auto field_of = [this](const json::value& item) -> std::string_view {
      const auto& fields = members(item, "AnyValue");
      return fields.empty() ? std::string_view() : std::string_view(fields.front().key);
    };
    std::string_view first = field_of(list.front());
    bool scalar = first == "stringValue" || first == "boolValue" || first == "intValue" || first == "doubleValue";
    for (const auto& item : list) scalar = scalar && field_of(item) == first;
    if (scalar) {
      auto collect = [&](auto tag) -> attribute_value {
        using T = decltype(tag);
        std::vector<T> out;
        out.reserve(list.size());
        for (const auto& item : list) out.push_back(std::get<T>(any_value(item)));
        return out;
      };
      if (first == "stringValue") return collect(std::string());
      if (first == "boolValue") return collect(false);
      if (first == "intValue") return collect(std::int64_t{0});
      return collect(0.0);
    }
  }
  if (m.key == "arrayValue" || m.key == "kvlistValue") {
    std::string out;
    json::writer w(out);
    plain_json(w, v);
    return out;
  }
  fail(v, "AnyValue", "unknown value field \"" + m.key + "\"");
}

// An AnyValue as plain JSON: the text kept for shapes the model has no type for.
inline void decoder::plain_json(json::writer& out, const json::value& any) const {
  const auto& fields = members(any, "AnyValue");
  if (fields.empty()) {
    out.null();
    return;
  }
  const json::member& m = fields.front();
  if (m.key == "arrayValue") {
    out.begin_array();
    for (const auto& item : items(member_or_null(m.val, "values"), "arrayValue.values")) plain_json(out, item);
    out.end_array();
  } else if (m.key == "kvlistValue") {
    out.begin_object();
    for (const auto& kv : items(member_or_null(m.val, "values"), "kvlistValue.values")) {
      const json::value* key = kv.find("key");
      const json::value* value = kv.find("value");
      out.key(key ? text(*key, "kvlistValue key") : std::string());
      if (value) plain_json(out, *value);
      else out.null();
    }
    out.end_object();
  } else {
    std::visit(
        [&out](const auto& item) {
          using T = std::decay_t<decltype(item)>;
          if constexpr (std::is_same_v<T, bool>) out.boolean(item);
          else if constexpr (std::is_same_v<T, std::int64_t>) out.number(item);
          else if constexpr (std::is_same_v<T, double>) std::isfinite(item) ? out.number(item) : out.null();
          else if constexpr (std::is_same_v<T, std::string>) out.string(item);
          else out.null();
        },
        any_value(any));
  }
}

inline void decoder::span_fields(const json::value& v, span& s) const {
  bool has_trace = false, has_id = false;
  for (const auto& m : members(v, "span")) {
    const std::string& k = m.key;
    if (k == "traceId") s.trace = trace_of(m.val, "span traceId"), has_trace = true;
    else if (k == "spanId") s.id = span_of(m.val, "span spanId", false), has_id = true;
    else if (k == "parentSpanId") s.parent = span_of(m.val, "span parentSpanId", true);
    else if (k == "traceState") s.trace_state = text(m.val, "span traceState");
    else if (k == "name") s.name = text(m.val, "span name");
    else if (k == "kind")
      s.kind = static_cast<span_kind>(enumeration(m.val, "span kind",
          {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT",
           "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}));
    else if (k == "startTimeUnixNano") s.start = nanos(m.val, "span startTimeUnixNano");
    else if (k == "endTimeUnixNano") s.end = nanos(m.val, "span endTimeUnixNano");
    else if (k == "attributes") s.attributes = key_values(m.val, "span attributes");
    else if (k == "droppedAttributesCount") s.dropped_attributes = u32(m.val, "span droppedAttributesCount");
    else if (k == "droppedEventsCount") s.dropped_events = u32(m.val, "span droppedEventsCount");
    else if (k == "droppedLinksCount") s.dropped_links = u32(m.val, "span droppedLinksCount");
    else if (k == "flags") s.flags = u32(m.val, "span flags");
    else if (k == "status") {
      for (const auto& f : members(m.val, "span status")) {
        if (f.key == "code")
          s.status.code = static_cast<status_code>(
              enumeration(f.val, "status code", {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}));
        else if (f.key == "message") s.status.message = text(f.val, "status message");
      }
    } else if (k == "events") {
      for (const auto& e : items(m.val, "span events")) {
        event& out = s.events.emplace_back();
        for (const auto& f : members(e, "event")) {
          if (f.key == "timeUnixNano") out.time = nanos(f.val, "event timeUnixNano");
          else if (f.key == "name") out.name = text(f.val, "event name");
          else if (f.key == "attributes") out.attributes = key_values(f.val, "event attributes");
          else if (f.key == "droppedAttributesCount") out.dropped_attributes = u32(f.val, "event droppedAttributesCount");
        }
        if (const auto* level = out.attributes.find(event_level_key)) {
          if (const auto* name = std::get_if<std::string>(level)) {
            if (auto parsed = event_level_from_string(*name)) {
              out.level = parsed;
              out.attributes.erase(event_level_key);
            }
          }
        }
      }
    } else if (k == "links") {
      for (const auto& l : items(m.val, "span links")) {
        link& out = s.links.emplace_back();
        bool linked_trace = false, linked_span = false;
        for (const auto& f : members(l, "link")) {
          if (f.key == "traceId") out.trace = trace_of(f.val, "link traceId"), linked_trace = true;
          else if (f.key == "spanId") out.span = span_of(f.val, "link spanId", false), linked_span = true;
          else if (f.key == "traceState") out.trace_state = text(f.val, "link traceState");
          else if (f.key == "attributes") out.attributes = key_values(f.val, "link attributes");
          else if (f.key == "droppedAttributesCount") out.dropped_attributes = u32(f.val, "link droppedAttributesCount");
          else if (f.key == "flags") out.flags = u32(f.val, "link flags");
        }
        if (!linked_trace || !linked_span) fail(l, "link", "needs both traceId and spanId");
      }
    }
  }
  if (!has_trace) fail(v, "span", "has no traceId");
  if (!has_id) fail(v, "span", "has no spanId");
  if (s.end < s.start) fail(v, "span", "ends (" + std::to_string(s.end) + ") before it starts (" + std::to_string(s.start) + ")");
  if (auto problem = span_problem(s)) fail(v, "span", *problem);
}

inline resource decoder::resource_of(const json::value& v, std::string schema_url) const {
  resource res;
  res.schema_url = std::move(schema_url);
  for (const auto& f : members(v, "resource")) {
    if (f.key == "attributes") res.attributes = key_values(f.val, "resource attributes");
    else if (f.key == "droppedAttributesCount") res.dropped_attributes = u32(f.val, "resource droppedAttributesCount");
  }
  if (const auto* name = res.attributes.find("service.name")) {
    if (const auto* text = std::get_if<std::string>(name)) {
      res.service_name = *text;
      res.attributes.erase("service.name");
    }
  }
  return res;
}

inline scope decoder::scope_of(const json::value& v, std::string schema_url) const {
  scope sc;
  sc.schema_url = std::move(schema_url);
  for (const auto& f : members(v, "scope")) {
    if (f.key == "name") sc.name = text(f.val, "scope name");
    else if (f.key == "version") sc.version = text(f.val, "scope version");
    else if (f.key == "attributes") sc.attributes = key_values(f.val, "scope attributes");
    else if (f.key == "droppedAttributesCount") sc.dropped_attributes = u32(f.val, "scope droppedAttributesCount");
  }
  return sc;
}

using refused_fn = std::function<void(refused_span&&)>;

// Reads the requests of `text` into the batcher's pending spans, a resourceSpans entry
// at a time; `refused` set: leniently.
template <class Batcher>
void read_into(std::string_view text, json::parse_options options, Batcher& batcher, const refused_fn* refused = nullptr) {
  // Walked with the pull reader down to single spans: only one span is a tree at a time.
  // Members may come in any order, so resource and scope are applied once their entry ends.
  json::reader r(text, options);
  decoder decode(text, options.first_line);
  std::size_t position = 0;  // spans read, for refused_span::position
  std::vector<span>& pending = batcher.pending();
  std::string key;
  auto each_element = [&r](auto&& body) {
    if (r.skip_null()) return;
    r.begin_array();
    while (r.next_element()) body();
  };
  auto each_member = [&r, &key](auto&& body) {
    if (r.skip_null()) return;
    r.begin_object();
    while (r.next_key(key)) body();
  };
  while (!r.at_end()) {  // one request, or one per line
    each_member([&] {
      if (key != "resourceSpans") return r.skip_value();
      each_element([&] {
        const std::size_t entry_first = pending.size();
        resource res;
        each_member([&] {
          if (key == "resource") return void(res = decode.resource_of(r.read_value(), std::move(res.schema_url)));
          if (key == "schemaUrl") return void(res.schema_url = decode.text(r.read_value(), "resourceSpans schemaUrl"));
          if (key != "scopeSpans" && key != "instrumentationLibrarySpans") return r.skip_value();  // the latter: OTLP < 0.19
          each_element([&] {
            const std::size_t first = pending.size();
            scope sc;
            each_member([&] {
              if (key == "scope" || key == "instrumentationLibrary")
                return void(sc = decode.scope_of(r.read_value(), std::move(sc.schema_url)));
              if (key == "schemaUrl") return void(sc.schema_url = decode.text(r.read_value(), "scopeSpans schemaUrl"));
              if (key != "spans") return r.skip_value();
              each_element([&] {
                json::value v = r.read_value();
                span& s = pending.emplace_back();
                s.kind = span_kind::unspecified;  // proto3: an absent enum is its zero value
                if (!refused) return decode.span_fields(v, s);
                try {  // every error of span_fields is about this span: the text around it is sound
                  decode.span_fields(v, s);
                  ++position;
                } catch (const error& e) {
                  pending.pop_back();
                  (*refused)(refused_span{position++, e.message()});
                }
              });
            });
            for (std::size_t i = first; i < pending.size(); ++i) pending[i].scope = sc;
          });
        });
        for (std::size_t i = entry_first; i < pending.size(); ++i) pending[i].resource = res;
        batcher.unit_done();
      });
    });
  }
}

}  // namespace detail

template <class Sink>
std::size_t read(std::string_view text, Sink&& sink, json::parse_options options, std::size_t batch_spans) {
  return ::trace::detail::read_batches(text, sink, options, batch_spans,
                                       [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

template <class Sink, std::invocable<refused_span&&> Refused>
std::size_t read(std::string_view text, Sink&& sink, Refused&& refused, json::parse_options options, std::size_t batch_spans) {
  const detail::refused_fn report = std::ref(refused);
  return ::trace::detail::read_batches(text, sink, options, batch_spans,
                                       [&report](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b, &report); });
}

inline std::vector<span> read(std::string_view text, json::parse_options options) {
  return ::trace::detail::read_all(text, options,
                                   [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

template <class Sink>
std::size_t read_lines(std::istream& in, Sink&& sink, json::parse_options options, std::size_t batch_spans) {
  return ::trace::detail::read_batches(in, sink, options, batch_spans,
                                       [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

inline std::vector<span> read_file(const std::filesystem::path& path) {
  std::string text = read_file_text(path);
  try {
    return read(text);
  } catch (const error& e) {
    throw e.with_context(path.string());
  }
}

}  // namespace otlp
}  // namespace v0
}  // namespace trace
