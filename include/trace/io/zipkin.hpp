#pragma once
// Zipkin v2 JSON (the `/api/v2/spans` model): a top-level array of spans, or one span object.
//
//   std::vector<trace::span> spans = trace::zipkin::read(text);
//   trace::zipkin::read(text, [](std::vector<trace::span>&& batch) {...});  // batches, as they are read
//   trace::zipkin::read_lines(stream, sink);             // a stream, a document at a time
//   std::string text = trace::zipkin::to_json(spans);
//
// Mapping (docs/FORMATS.md): `timestamp`/`duration` are microseconds; `localEndpoint.
// serviceName` is the service; `remoteEndpoint.serviceName` ↔ attribute `peer.service`;
// `kind` absent ↔ internal; tags are strings both ways (other types are written in their
// string form); tag `error` (its value the status message) and `otel.status_code` ↔ status;
// `otel.scope.name`/`otel.scope.version` ↔ scope; `shared: true` ↔ attribute
// `zipkin.shared`; annotations ↔ events (name only). Zipkin has no place for resource or
// event attributes, links, trace state, levels or dropped counts: export leaves them out.
// A double tag is its shortest decimal form, and a non-finite one "nan", "inf" or "-inf"
// (a string, as every Zipkin tag). An empty text (nothing but whitespace) holds no spans; a
// text may hold several documents, one per line; times past 2^63-1 ns are refused. The
// array is read a span at a time; each span is checked against the model's rules
// (`span_problem`) where it is read. Batches: see span_batches.hpp.

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/core/validate.hpp"
#include "trace/io/hex_ids.hpp"
#include "trace/io/json_fields.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/span_batches.hpp"

namespace trace {
inline namespace v0 {
namespace zipkin {

// Every span of the text, in document order.
std::vector<span> read(std::string_view text, json::parse_options options = {});

// Hands the spans to `sink(std::vector<span>&&)` in batches of `batch_spans`
// (span_batches.hpp); returns the number of spans handed over.
template <class Sink>
std::size_t read(std::string_view text, Sink&& sink, json::parse_options options = {},
                 std::size_t batch_spans = default_batch_spans);

// The same from a stream of documents (one per line, or each over several lines), holding
// one document in memory at a time.
template <class Sink>
std::size_t read_lines(std::istream& in, Sink&& sink, json::parse_options options = {},
                       std::size_t batch_spans = default_batch_spans);

template <class R>
void write(std::string& out, const R& spans);

template <class R>
std::string to_json(const R& spans) {
  std::string out;
  write(out, spans);
  return out;
}

// ---------------------------------------------------------------------------------------

namespace detail {

class decoder : public json::field_reader {
 public:
  decoder(std::string_view text, std::size_t first_line) : field_reader(text, first_line, "Zipkin") {}

  span decode(const json::value& v) const {
    span s;
    s.kind = span_kind::internal;
    bool has_trace = false, has_id = false, failed = false;
    std::string error_message;
    const json::value* duration = nullptr;
    for (const auto& m : members(v, "span")) {
      const std::string& k = m.key;
      if (k == "traceId") {
        auto id = ::trace::detail::trace_id_from_short_hex(text(m.val, "traceId"));
        if (!id) fail(m.val, "traceId", "\"" + text(m.val, "traceId") + "\" is not 16 or 32 hex digits with a non-zero");
        s.trace = *id, has_trace = true;
      } else if (k == "id" || k == "parentId") {
        auto id = ::trace::detail::span_id_from_short_hex(text(m.val, k));
        if (!id) fail(m.val, k, "\"" + text(m.val, k) + "\" is not 16 hex digits with a non-zero");
        (k == "id" ? s.id : s.parent) = *id;
        has_id |= k == "id";
      } else if (k == "name") {
        s.name = text(m.val, "name");
      } else if (k == "kind") {
        std::string kind = text(m.val, "kind");
        if (kind == "CLIENT") s.kind = span_kind::client;
        else if (kind == "SERVER") s.kind = span_kind::server;
        else if (kind == "PRODUCER") s.kind = span_kind::producer;
        else if (kind == "CONSUMER") s.kind = span_kind::consumer;
        else fail(m.val, "kind", "unknown kind \"" + kind + "\"");
      } else if (k == "timestamp") {
        s.start = micros(m.val, "timestamp");
      } else if (k == "duration") {
        duration = &m.val;
      } else if (k == "localEndpoint") {
        s.resource.service_name = text(member_or_null(m.val, "serviceName"), "localEndpoint.serviceName");
      } else if (k == "remoteEndpoint") {
        std::string peer = text(member_or_null(m.val, "serviceName"), "remoteEndpoint.serviceName");
        if (!peer.empty()) s.attributes.set("peer.service", peer);
      } else if (k == "shared") {
        if (boolean(m.val, "shared")) s.attributes.set("zipkin.shared", true);
      } else if (k == "annotations") {
        for (const auto& a : items(m.val, "annotations")) {
          event& e = s.events.emplace_back();
          e.time = micros(member_or_null(a, "timestamp"), "annotation timestamp");
          e.name = text(member_or_null(a, "value"), "annotation value");
        }
      } else if (k == "tags") {
        for (const auto& tag : members(m.val, "tags")) {
          std::string value = text(tag.val, "tags");
          if (tag.key == "error") failed = true, error_message = value;
          else if (tag.key == "otel.status_code") {
            if (value == "ERROR") failed = true;
            else if (value == "OK") s.status.code = status_code::ok;
            else fail(tag.val, "tags", "unknown otel.status_code \"" + value + "\"");
          } else if (tag.key == "otel.scope.name") s.scope.name = value;
          else if (tag.key == "otel.scope.version") s.scope.version = value;
          else s.attributes.set(tag.key, value);
        }
      }
    }
    if (!has_trace) fail(v, "span", "has no traceId");
    if (!has_id) fail(v, "span", "has no id");
    if (failed) s.status = {status_code::error, error_message};
    s.end = span_end(duration ? *duration : v, "duration", s.start, duration ? micros(*duration, "duration") : 0);
    if (auto problem = span_problem(s)) fail(v, "span", *problem);
    return s;
  }
};

// Reads the documents of `text` (an array of spans, or one span) into the batcher's
// pending spans, a span at a time.
template <class Batcher>
void read_into(std::string_view text, json::parse_options options, Batcher& batcher) {
  json::reader r(text, options);
  decoder decode(text, options.first_line);
  while (!r.at_end()) {
    const char first = r.text()[r.offset()];
    if (first == '{') {
      batcher.pending().push_back(decode.decode(r.read_value()));
      batcher.unit_done();
      continue;
    }
    if (first != '[') decode.items(r.read_value(), "document");  // names what it is instead
    r.begin_array();
    while (r.next_element()) {
      batcher.pending().push_back(decode.decode(r.read_value()));
      batcher.unit_done();
    }
  }
}


inline std::string tag_text(const attribute_value& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  return to_string(value);
}

}  // namespace detail

inline std::vector<span> read(std::string_view text, json::parse_options options) {
  return ::trace::detail::read_all(text, options,
                                   [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

template <class Sink>
std::size_t read(std::string_view text, Sink&& sink, json::parse_options options, std::size_t batch_spans) {
  return ::trace::detail::read_batches(text, sink, options, batch_spans,
                                       [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

template <class Sink>
std::size_t read_lines(std::istream& in, Sink&& sink, json::parse_options options, std::size_t batch_spans) {
  return ::trace::detail::read_batches(in, sink, options, batch_spans,
                                       [](std::string_view t, json::parse_options o, auto& b) { detail::read_into(t, o, b); });
}

template <class R>
void write(std::string& out, const R& spans) {
  json::writer w(out);
  w.begin_array();
  for (const auto& s : spans) {
    w.begin_object().member("traceId", s.trace.to_hex()).member("id", s.id.to_hex());
    if (s.parent.valid()) w.member("parentId", s.parent.to_hex());
    w.member("name", std::string_view(s.name));
    switch (s.kind) {
      case span_kind::client: w.member("kind", "CLIENT"); break;
      case span_kind::server: w.member("kind", "SERVER"); break;
      case span_kind::producer: w.member("kind", "PRODUCER"); break;
      case span_kind::consumer: w.member("kind", "CONSUMER"); break;
      default: break;
    }
    w.member("timestamp", s.start / 1000).member("duration", s.duration() / 1000);
    w.key("localEndpoint").begin_object().member("serviceName", std::string_view(s.resource.service_name)).end_object();
    std::string peer;
    bool shared = false;
    w.key("tags").begin_object();
    for (const auto& item : s.attributes) {
      if (item.key == "peer.service") peer = detail::tag_text(convert_value<std::string>(item.value));
      else if (item.key == "zipkin.shared") shared = to_string(item.value) == "true";
      else w.member(std::string_view(item.key), detail::tag_text(convert_value<std::string>(item.value)));
    }
    if (s.status.code == status_code::ok) w.member("otel.status_code", "OK");
    if (s.status.code == status_code::error)
      w.member("otel.status_code", "ERROR").member("error", std::string_view(s.status.message));
    if (!std::string_view(s.scope.name).empty()) w.member("otel.scope.name", std::string_view(s.scope.name));
    if (!std::string_view(s.scope.version).empty()) w.member("otel.scope.version", std::string_view(s.scope.version));
    w.end_object();
    if (!peer.empty()) w.key("remoteEndpoint").begin_object().member("serviceName", peer).end_object();
    if (shared) w.member("shared", true);
    if (!s.events.empty()) {
      w.key("annotations").begin_array();
      for (const auto& e : s.events)
        w.begin_object().member("timestamp", e.time / 1000).member("value", std::string_view(e.name)).end_object();
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
}

}  // namespace zipkin
}  // namespace v0
}  // namespace trace
