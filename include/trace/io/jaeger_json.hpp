#pragma once
// Jaeger JSON: the query API's and UI's trace model (`{"data":[{traceID, spans[], processes{}}]}`,
// also accepted: one bare trace object).
//
//   std::vector<trace::span> spans = trace::jaeger::read(text);
//   trace::jaeger::read(text, [](std::vector<trace::span>&& batch) {...});  // batches, as they are read
//   trace::jaeger::read_lines(stream, sink);             // a stream, a document at a time
//   std::string text = trace::jaeger::to_json(spans);   // one `data` entry per trace
//
// Mapping (docs/FORMATS.md): times are microseconds; the process is the resource; the first
// CHILD_OF reference is the parent, other references are links; typed tags (string, bool,
// int64, float64, binary as its base64 text) are attributes, except `span.kind`,
// `otel.status_code`, `otel.status_description`, `error`, `otel.scope.name`,
// `otel.scope.version` and `w3c.tracestate`, which fill the matching span fields; logs are
// events whose `event` field is the name and `event.level` field the level. Jaeger has no
// arrays, link attributes or dropped counts: arrays are written in their string form, the
// others are left out. Non-finite float64 tags are written as the strings "NaN",
// "Infinity" and "-Infinity" (JSON has no number for them), which `read` takes back. An
// empty text (nothing but whitespace) holds no spans; a text may hold several documents, one
// per line. Times past 2^63-1 ns are refused. The `data` array is read a trace at a time;
// each span is checked against the model's rules (`span_problem`) where it is read.
// Batches: see span_batches.hpp.

#include <algorithm>
#include <cmath>
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
#include "trace/io/otlp_reader.hpp"  // otlp::event_level_key, detail::is_base64
#include "trace/io/span_batches.hpp"

namespace trace {
inline namespace v0 {
namespace jaeger {

// Every span of the text, in document order.
std::vector<span> read(std::string_view text, json::parse_options options = {});

// Hands the spans to `sink(std::vector<span>&&)` in batches of `batch_spans` whole traces
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

// "p1", "p2", ...: the keys of the `processes` table. (Built by append: g++ 12 at -O2 warns
// falsely about `"p" + std::to_string(n)`, GCC bug 105329.)
inline std::string process_key(std::size_t n) {
  std::string key(1, 'p');
  key += std::to_string(n);
  return key;
}

class decoder : public json::field_reader {
 public:
  decoder(std::string_view text, std::size_t first_line) : field_reader(text, first_line, "Jaeger") {}

  void trace_entry(const json::value& v, std::vector<span>& out) const {
    std::vector<std::pair<std::string, resource>> processes;
    for (const auto& p : members(member_or_null(v, "processes"), "processes")) processes.emplace_back(p.key, process(p.val));
    for (const auto& item : items(member_or_null(v, "spans"), "spans")) {
      span& s = out.emplace_back();
      const json::value& pid = member_or_null(item, "processID");
      const json::value& embedded = member_or_null(item, "process");
      if (!embedded.is_null()) {
        s.resource = process(embedded);
      } else if (!pid.is_null()) {
        std::string id = text(pid, "processID");
        auto found = std::ranges::find_if(processes, [&id](const auto& p) { return p.first == id; });
        if (found == processes.end()) fail(pid, "processID", "no process \"" + id + "\" in the trace's processes");
        s.resource = found->second;
      }
      span_fields(item, s);
    }
  }

 private:
  resource process(const json::value& v) const {
    resource r;
    r.service_name = text(member_or_null(v, "serviceName"), "serviceName");
    for (const auto& tag : items(member_or_null(v, "tags"), "process tags")) {
      auto [key, value] = typed_tag(tag);
      r.attributes.set(std::move(key), std::move(value));
    }
    return r;
  }

  std::pair<std::string, attribute_value> typed_tag(const json::value& tag) const {
    std::string key = text(member_or_null(tag, "key"), "tag key");
    const json::value& value = member_or_null(tag, "value");
    const json::value& type_field = member_or_null(tag, "type");
    std::string type = type_field.is_null() ? "string" : text(type_field, "tag type");
    if (type == "string") return {key, text(value, "string tag")};
    if (type == "bool") {
      if (const auto* s = value.get_if<std::string>(); s && (*s == "true" || *s == "false")) return {key, *s == "true"};
      return {key, boolean(value, "bool tag")};
    }
    if (type == "int64") return {key, i64(value, "int64 tag")};
    if (type == "float64") return {key, number(value, "float64 tag")};
    if (type == "binary") {
      std::string bytes = text(value, "binary tag");
      if (!otlp::detail::is_base64(bytes)) fail(value, "binary tag", "\"" + bytes + "\" is not base64");
      return {key, bytes};
    }
    fail(type_field, "tag type", "unknown tag type \"" + type + "\"");
  }

  void span_fields(const json::value& v, span& s) const {
    bool has_trace = false, has_id = false, failed = false;
    const json::value* start = nullptr;
    const json::value* duration = nullptr;
    auto trace_of = [this](const json::value& at, std::string_view field) {
      auto id = ::trace::detail::trace_id_from_short_hex(text(at, field));
      if (!id) fail(at, field, "\"" + text(at, field) + "\" is not 1 to 32 hex digits with a non-zero");
      return *id;
    };
    auto span_of = [this](const json::value& at, std::string_view field) {
      auto id = ::trace::detail::span_id_from_short_hex(text(at, field));
      if (!id) fail(at, field, "\"" + text(at, field) + "\" is not 1 to 16 hex digits with a non-zero");
      return *id;
    };
    for (const auto& m : members(v, "span")) {
      const std::string& k = m.key;
      if (k == "traceID") s.trace = trace_of(m.val, "traceID"), has_trace = true;
      else if (k == "spanID") s.id = span_of(m.val, "spanID"), has_id = true;
      else if (k == "operationName") s.name = text(m.val, "operationName");
      else if (k == "startTime") start = &m.val;
      else if (k == "duration") duration = &m.val;
      else if (k == "references") {
        for (const auto& ref : items(m.val, "references")) {
          std::string type = text(member_or_null(ref, "refType"), "refType");
          if (type != "CHILD_OF" && type != "FOLLOWS_FROM") fail(ref, "refType", "unknown reference type \"" + type + "\"");
          trace_id linked_trace = trace_of(member_or_null(ref, "traceID"), "reference traceID");
          span_id linked_span = span_of(member_or_null(ref, "spanID"), "reference spanID");
          if (type == "CHILD_OF" && !s.parent.valid() && s.links.empty()) s.parent = linked_span;
          else s.links.push_back({linked_trace, linked_span, {}, {}, 0});
        }
      } else if (k == "tags") {
        for (const auto& tag : items(m.val, "tags")) {
          auto [key, value] = typed_tag(tag);
          std::string text_value = to_string(value);
          if (key == "span.kind") {
            auto kind = span_kind_from_string(text_value);
            if (!kind) fail(tag, "span.kind", "unknown kind \"" + text_value + "\"");
            s.kind = *kind;
          } else if (key == "otel.status_code") {
            if (text_value == "ERROR") failed = true;
            else if (text_value == "OK") s.status.code = status_code::ok;
            else fail(tag, "otel.status_code", "unknown status \"" + text_value + "\"");
          } else if (key == "otel.status_description") s.status.message = text_value;
          else if (key == "error" && text_value == "true") failed = true;
          else if (key == "otel.scope.name") s.scope.name = text_value;
          else if (key == "otel.scope.version") s.scope.version = text_value;
          else if (key == "w3c.tracestate") s.trace_state = text_value;
          else s.attributes.set(std::move(key), std::move(value));
        }
      } else if (k == "logs") {
        for (const auto& log : items(m.val, "logs")) {
          event& e = s.events.emplace_back();
          e.time = micros(member_or_null(log, "timestamp"), "log timestamp");
          for (const auto& field : items(member_or_null(log, "fields"), "log fields")) {
            auto [key, value] = typed_tag(field);
            if (key == "event") e.name = to_string(value);
            else if (key == otlp::event_level_key && event_level_from_string(to_string(value))) e.level = event_level_from_string(to_string(value));
            else e.attributes.set(std::move(key), std::move(value));
          }
        }
      }
    }
    if (!has_trace) fail(v, "span", "has no traceID");
    if (!has_id) fail(v, "span", "has no spanID");
    if (failed) s.status.code = status_code::error;
    s.start = start ? micros(*start, "startTime") : 0;
    s.end = span_end(duration ? *duration : v, "duration", s.start, duration ? micros(*duration, "duration") : 0);
    if (auto problem = span_problem(s)) fail(v, "span", *problem);
  }
};

// Reads the documents of `text` into the batcher's pending spans, a trace at a time.
template <class Batcher>
void read_into(std::string_view text, json::parse_options options, Batcher& batcher) {
  json::reader r(text, options);
  decoder decode(text, options.first_line);
  std::string key;
  while (!r.at_end()) {
    // `{"data": [trace, ...], ...}`, read a trace at a time, or one bare trace object.
    const std::size_t start = r.offset();
    if (r.text()[start] != '{') decode.fail(r.read_value(), "document", "expected an object");
    r.begin_object();
    json::object bare;
    bool has_data = false;
    while (r.next_key(key)) {
      if (key != "data") {
        bare.push_back({key, r.read_value()});
        continue;
      }
      has_data = true;
      if (r.skip_null()) continue;
      if (r.at_end() || r.text()[r.offset()] != '[') decode.items(r.read_value(), "data");  // names what it is instead
      r.begin_array();
      while (r.next_element()) {
        decode.trace_entry(r.read_value(), batcher.pending());
        batcher.unit_done();
      }
    }
    if (!has_data) {
      json::value trace(std::move(bare));
      trace.set_offset(start);
      decode.trace_entry(trace, batcher.pending());
      batcher.unit_done();
    }
  }
}


template <class String>
void write_tag(json::writer& w, std::string_view key, const basic_attribute_value<String>& value) {
  w.begin_object().member("key", key);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) w.member("type", "bool").member("value", v);
        else if constexpr (std::is_same_v<T, std::int64_t>) w.member("type", "int64").member("value", v);
        else if constexpr (std::is_same_v<T, double>) {
          w.member("type", "float64").key("value");
          if (std::isfinite(v)) w.number(v);
          else w.string(std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");  // as OTLP/JSON spells them
        }
        else if constexpr (std::is_same_v<T, String>) w.member("type", "string").member("value", std::string_view(v));
        else w.member("type", "string").member("value", to_string(value));
      },
      value);
  w.end_object();
}

inline void write_string_tag(json::writer& w, std::string_view key, std::string_view value) {
  w.begin_object().member("key", key).member("type", "string").member("value", value).end_object();
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
  using S = std::ranges::range_value_t<R>;
  std::vector<std::vector<const S*>> traces;  // spans grouped by trace, first-seen order
  for (const auto& s : spans) {
    auto found = std::ranges::find_if(traces, [&s](const auto& t) { return t.front()->trace == s.trace; });
    if (found == traces.end()) traces.push_back({&s});
    else found->push_back(&s);
  }
  json::writer w(out);
  w.begin_object().key("data").begin_array();
  for (const auto& trace_spans : traces) {
    std::vector<const decltype(S::resource)*> processes;
    auto process_of = [&processes](const S& s) {
      auto found = std::ranges::find_if(processes, [&s](const auto* r) { return *r == s.resource; });
      if (found == processes.end()) {
        processes.push_back(&s.resource);
        return processes.size();
      }
      return static_cast<std::size_t>(found - processes.begin()) + 1;
    };
    w.begin_object().member("traceID", trace_spans.front()->trace.to_hex()).key("spans").begin_array();
    for (const S* sp : trace_spans) {
      const S& s = *sp;
      w.begin_object().member("traceID", s.trace.to_hex()).member("spanID", s.id.to_hex());
      w.member("operationName", std::string_view(s.name));
      w.key("references").begin_array();
      if (s.parent.valid())
        w.begin_object().member("refType", "CHILD_OF").member("traceID", s.trace.to_hex()).member("spanID", s.parent.to_hex()).end_object();
      for (const auto& l : s.links)
        w.begin_object().member("refType", "FOLLOWS_FROM").member("traceID", l.trace.to_hex()).member("spanID", l.span.to_hex()).end_object();
      w.end_array();
      w.member("startTime", s.start / 1000).member("duration", s.duration() / 1000);
      w.key("tags").begin_array();
      for (const auto& item : s.attributes) detail::write_tag(w, item.key, item.value);
      if (s.kind != span_kind::unspecified) detail::write_string_tag(w, "span.kind", to_string(s.kind));
      if (s.status.code == status_code::ok) detail::write_string_tag(w, "otel.status_code", "OK");
      if (s.status.code == status_code::error) {
        detail::write_string_tag(w, "otel.status_code", "ERROR");
        w.begin_object().member("key", "error").member("type", "bool").member("value", true).end_object();
      }
      if (!std::string_view(s.status.message).empty()) detail::write_string_tag(w, "otel.status_description", s.status.message);
      if (!std::string_view(s.scope.name).empty()) detail::write_string_tag(w, "otel.scope.name", s.scope.name);
      if (!std::string_view(s.scope.version).empty()) detail::write_string_tag(w, "otel.scope.version", s.scope.version);
      if (!std::string_view(s.trace_state).empty()) detail::write_string_tag(w, "w3c.tracestate", s.trace_state);
      w.end_array();
      w.key("logs").begin_array();
      for (const auto& e : s.events) {
        w.begin_object().member("timestamp", e.time / 1000).key("fields").begin_array();
        detail::write_string_tag(w, "event", e.name);
        if (e.level) detail::write_string_tag(w, otlp::event_level_key, to_string(*e.level));
        for (const auto& item : e.attributes) detail::write_tag(w, item.key, item.value);
        w.end_array().end_object();
      }
      w.end_array();
      w.member("processID", detail::process_key(process_of(s)));
      w.end_object();
    }
    w.end_array().key("processes").begin_object();
    for (std::size_t i = 0; i < processes.size(); ++i) {
      w.key(detail::process_key(i + 1)).begin_object().member("serviceName", std::string_view(processes[i]->service_name));
      w.key("tags").begin_array();
      for (const auto& item : processes[i]->attributes) detail::write_tag(w, item.key, item.value);
      w.end_array().end_object();
    }
    w.end_object().end_object();
  }
  w.end_array().end_object();
}

}  // namespace jaeger
}  // namespace v0
}  // namespace trace
