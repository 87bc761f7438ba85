#pragma once
// Grafana Tempo's query HTTP API over any `span_store`, as Grafana's Tempo data source calls
// it (docs/QUERY_API.md shows each route with an example):
//
//   GET /api/traces/{id}                 {"batches":[ResourceSpans...]}     (Tempo's v1 shape)
//   GET /api/v2/traces/{id}              {"trace":{"resourceSpans":[...]}}   (Tempo's v2 shape)
//   GET /api/search?q=&tags=&start=&end=&limit=&spss=&minDuration=&maxDuration=
//        {"traces":[{traceID, rootServiceName, rootTraceName, startTimeUnixNano, durationMs,
//                    spanSet:{spans:[{spanID, name, startTimeUnixNano, durationNanos, attributes}], matched},
//                    spanSets:[...]}], "metrics":{...}}
//   GET /api/metrics/query_range?q=&start=&end=&step=
//        {"series":[{"labels":[{"key","value":{"stringValue"}}], "promLabels",
//                    "samples":[{"timestampMs","value"}]}]}     (TraceQL metrics, docs/QUERY.md)
//   GET /api/search/tags?start=&end=                 {"tagNames":[...]}
//   GET /api/v2/search/tags?scope=&start=&end=       {"scopes":[{"name":"span","tags":[...]},...]}
//   GET /api/search/tag/{name}/values?start=&end=    {"tagValues":["a","b"]}
//   GET /api/v2/search/tag/{name}/values?start=&end= {"tagValues":[{"type":"string","value":"a"}]}
//   GET /api/echo  "echo"    GET /ready  "ready"    GET /api/status/buildinfo  {"version":...}
//
// `q` in braces is TraceQL whole (spansets, structure, pipelines: trace::search_traceql);
// without braces it is a filter over single spans (trace::parse_traceql), a trace
// matching when one of its spans satisfies q, the `tags` (logfmt: `service.name=api
// http.status_code=500`, compared as Jaeger's tags are) and the window [start, end] (unix
// seconds) together; minDuration and maxDuration bound the whole trace's duration, as
// Tempo's do. The tag routes read the spans starting in [start, end] (unix seconds), by
// default the last `default_tag_window` before now: Tempo without them answers from its
// recent data only, and so a large store does not make a listing slow. Trace bodies are OTLP JSON (trace::otlp::write); a request whose Accept asks
// for application/protobuf (Grafana's data source sends it) gets the same trace as protobuf
// (Tempo's `Trace` message shares OTLP's wire form: field 1 holds the ResourceSpans).
// Errors are plain text, as Tempo's.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "trace/api/detail/param_values.hpp"
#include "trace/api/detail/responses.hpp"
#include "trace/api/detail/store_catalog.hpp"
#include "trace/api/http_exchange.hpp"
#include "trace/api/url_query.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/query/jaeger.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/metrics.hpp"
#include "trace/query/traceql/search.hpp"

namespace trace {
inline namespace v0 {
namespace api {

// The version /api/status/buildinfo reports: Grafana's Tempo data source turns on the
// features of a Tempo this recent (TraceQL search, v2 tags).
inline constexpr std::string_view tempo_compatible_version = "2.6.0";

// The most values a tag-values route lists.
inline constexpr std::size_t max_tag_values = 1000;
// What the tag routes read without start and end: the spans of the last hour.
inline constexpr duration_ns default_tag_window = hour;

// `v2`: the `{"trace":...}` shape of /api/v2/traces; `accept`: the request's Accept header.
template <span_store S>
http_response tempo_trace(const S& store, std::string_view id, bool v2, std::string_view accept);
template <span_store S>
http_response tempo_search(const S& store, const url_target& target);
// start and end: unix seconds (required); step: a Go duration, by default a hundredth of the range.
template <span_store S>
http_response tempo_metrics(const S& store, const url_target& target);
// The tag routes: `target` gives start, end (and scope for tempo_tags_v2); `now` ends the
// default window.
template <span_store S>
http_response tempo_tags(const S& store, const url_target& target, timestamp_ns now = now_ns());
template <span_store S>
http_response tempo_tags_v2(const S& store, const url_target& target, timestamp_ns now = now_ns());
template <span_store S>
http_response tempo_tag_values(const S& store, std::string_view name, const url_target& target, timestamp_ns now = now_ns());
template <span_store S>
http_response tempo_tag_values_v2(const S& store, std::string_view scoped_name, const url_target& target,
                                  timestamp_ns now = now_ns());
http_response tempo_echo();
http_response tempo_ready();
http_response tempo_buildinfo();

// ---------------------------------------------------------------------------------------

namespace detail {

// `key=value key2="a value"` (logfmt, as Tempo's `tags` parameter) into Jaeger-style tags;
// service.name is the span's service.
inline void add_logfmt_tags(std::string_view text, jaeger::query& q) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const std::size_t equals = text.find('=', i);
    const std::size_t space = text.find(' ', i);
    if (equals == std::string_view::npos || equals == i || (space != std::string_view::npos && space < equals))
      bad_parameter("tags", text, "logfmt tags such as service.name=api http.status_code=500");
    std::string key(text.substr(i, equals - i)), value;
    i = equals + 1;
    if (i < text.size() && text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value += text[i];
      }
      if (i >= text.size()) bad_parameter("tags", text, "logfmt tags: a quoted value is not closed");
      ++i;
    } else {
      const std::size_t end = std::min(text.find(' ', i), text.size());
      value = std::string(text.substr(i, end - i));
      i = end;
    }
    if (key == "service.name") q.service = value;
    else q.tags.emplace_back(std::move(key), std::move(value));
  }
}

inline http_response otlp_trace_body(const std::vector<span>& spans, bool v2, std::string_view accept) {
  if (accept.find("application/protobuf") != std::string_view::npos ||
      accept.find("application/x-protobuf") != std::string_view::npos) {
    std::string bytes = otlp::proto::encode_request(spans);
    if (v2) {  // TraceByIDResponse: the Trace in field 1
      std::string wrapped(1, '\x0a');
      for (std::uint64_t n = bytes.size(); ; n >>= 7) {
        if (n < 0x80) {
          wrapped += static_cast<char>(n);
          break;
        }
        wrapped += static_cast<char>((n & 0x7f) | 0x80);
      }
      bytes = wrapped + bytes;
    }
    http_response out = json_response(200, std::move(bytes));
    out.content_type = "application/protobuf";
    return out;
  }
  const std::string json = writing_stored([&] { return otlp::to_json(spans); });
  if (v2) return json_response(200, "{\"trace\":" + json + "}");
  constexpr std::string_view head = "{\"resourceSpans\":";
  return json_response(200, "{\"batches\":" + json.substr(head.size()));
}

template <class String>
void write_search_span(json::writer& w, const basic_span<String>& s) {
  w.begin_object().member("spanID", s.id.to_hex()).member("name", printable(s.name));
  w.member("startTimeUnixNano", std::to_string(s.start)).member("durationNanos", std::to_string(s.duration()));
  w.key("attributes").begin_array();
  otlp::detail::write_key_values(w, s.attributes);
  w.end_array().end_object();
}

}  // namespace detail

template <span_store S>
http_response tempo_trace(const S& store, std::string_view id, bool v2, std::string_view accept) {
  const auto found = store.find_trace(detail::hex_trace_id("trace id", id));
  if (found.empty()) return detail::text_response(404, "trace " + quote_value(id) + " not found");
  return detail::otlp_trace_body(detail::owned_spans(found), v2, accept);
}

namespace detail {

// The parameters of /api/search other than q and tags.
struct tempo_search_window {
  timestamp_ns start = 0, end = 0;  // 0: unbounded
  duration_ns min_duration = 0, max_duration = std::numeric_limits<duration_ns>::max();
  std::size_t limit = 20, spans_per_set = 3;  // Tempo's defaults

  bool bounds_duration() const noexcept {
    return min_duration > 0 || max_duration != std::numeric_limits<duration_ns>::max();
  }
  bool admits(duration_ns trace_duration) const noexcept {
    return trace_duration >= min_duration && trace_duration <= max_duration;
  }
};

inline tempo_search_window search_window_of(const url_target& target) {
  tempo_search_window window;
  if (auto text = target.value("start"); text && !text->empty()) window.start = whole_number("start", *text, max_timestamp / second) * second;
  if (auto text = target.value("end"); text && !text->empty()) window.end = whole_number("end", *text, max_timestamp / second) * second;
  if (window.end && window.start > window.end)
    bad_parameter("start", *target.value("start"), "before end (" + std::string(*target.value("end")) + ")");
  if (auto text = target.value("minDuration"); text && !text->empty()) window.min_duration = go_duration("minDuration", *text);
  if (auto text = target.value("maxDuration"); text && !text->empty()) {
    window.max_duration = go_duration("maxDuration", *text);
    if (window.max_duration < window.min_duration) bad_parameter("maxDuration", *text, "at least minDuration");
  }
  if (auto text = target.value("limit"); text && !text->empty()) window.limit = whole_number("limit", *text, 100'000);
  if (window.limit == 0) window.limit = 20;
  if (auto text = target.value("spss"); text && !text->empty()) window.spans_per_set = whole_number("spss", *text, 100'000);
  return window;
}

// The spans a tag route reads: start and end (unix seconds, end's whole second included) as
// given; a missing end is now, a missing start `default_tag_window` before the end.
inline start_window tag_window_of(const url_target& target, timestamp_ns now) {
  start_window window;
  const auto start = target.value("start"), end = target.value("end");
  const bool has_start = start && !start->empty(), has_end = end && !end->empty();
  window.end = has_end ? whole_number("end", *end, max_timestamp / second) * second + (second - 1) : now;
  window.begin = has_start ? whole_number("start", *start, max_timestamp / second) * second
                           : (window.end > default_tag_window ? window.end - default_tag_window : 0);
  if (window.begin > window.end)
    bad_parameter("start", *start, "at most end (" + (has_end ? std::string(*end) : "now, " + std::to_string(now / second)) + ")");
  return window;
}

// A query in braces is TraceQL whole (spansets, structure, pipelines); anything else is a
// bare filter over single spans, which combines with `tags`.
inline bool is_spanset_query(std::string_view q) noexcept {
  const auto first = q.find_first_not_of(" \t\r\n(");
  return first != std::string_view::npos && q[first] == '{';
}

[[noreturn]] inline void bad_query(const query_syntax_error& e) {  // names the parameter, shows where
  throw error(errc::parse_error, "parameter \"q\": " + std::string(e.message()) + "\n" + printable(e.caret()));
}

// One entry of "traces": Tempo repeats the first spanset as "spanSet" beside "spanSets".
template <class WriteSpanSets>
void write_search_trace(json::writer& w, const trace_id& id, const std::string* root_service, const std::string* root_name,
                        timestamp_ns start, duration_ns duration, WriteSpanSets&& write_span_sets) {
  w.begin_object().member("traceID", id.to_hex());
  w.member("rootServiceName", root_service ? printable(*root_service) : "<root span not yet received>");
  w.member("rootTraceName", root_name ? printable(*root_name) : "");
  w.member("startTimeUnixNano", std::to_string(start)).member("durationMs", duration / millisecond);
  write_span_sets(w);
  w.end_object();
}

inline void write_search_metrics(json::writer& w, std::size_t inspected_traces, std::size_t inspected_spans) {
  w.end_array().key("metrics").begin_object();
  w.member("inspectedTraces", inspected_traces).member("inspectedSpans", std::to_string(inspected_spans));
  w.member("completedJobs", 1).member("totalJobs", 1).end_object().end_object();
}

template <span_store S>
http_response tempo_traceql_search(const S& store, const url_target& target, std::string_view q) {
  if (!target.values("tags").empty())
    bad_parameter("tags", target.values("tags").front(), "absent beside a TraceQL query in q: write its conditions inside q");
  traceql::query query;
  try {
    query = parse_traceql_query(q);
  } catch (const query_syntax_error& e) {
    bad_query(e);
  }
  if (query.metrics) bad_parameter("q", q, "a spanset query: metrics queries are answered by /api/metrics/query_range");
  const tempo_search_window window = search_window_of(target);
  traceql_search_options options;
  options.spans_per_spanset = window.spans_per_set;
  options.limit = window.bounds_duration() ? std::numeric_limits<std::size_t>::max() : window.limit;
  if (window.start) options.start = window.start;
  if (window.end) options.end = window.end + second;
  const auto traces = search_traceql(store, query, options);

  std::string body;
  json::writer w(body);
  w.begin_object().key("traces").begin_array();
  std::size_t listed = 0;
  for (const auto& t : traces) {
    if (listed >= window.limit) break;
    if (!window.admits(t.duration)) continue;
    ++listed;
    writing_stored([&] {
      write_search_trace(w, t.id, t.root_service.empty() ? nullptr : &t.root_service,
                         t.root_service.empty() ? nullptr : &t.root_name, t.start, t.duration, [&](json::writer& out) {
        auto span_set = [&](const auto& set) {
          out.begin_object().key("spans").begin_array();
          for (const auto& s : set.spans) write_search_span(out, owned(s));
          out.end_array().member("matched", set.matched).end_object();
        };
        if (!t.spansets.empty()) {
          out.key("spanSet");
          span_set(t.spansets.front());
        }
        out.key("spanSets").begin_array();
        for (const auto& set : t.spansets) span_set(set);
        out.end_array();
      });
    });
  }
  write_search_metrics(w, traces.size(), store.size());
  return json_response(200, std::move(body));
}

}  // namespace detail

template <span_store S>
http_response tempo_search(const S& store, const url_target& target) {
  using namespace detail;
  const std::string_view q = target.value("q").value_or("");
  if (is_spanset_query(q)) return tempo_traceql_search(store, target, q);
  jaeger::query tags;
  for (std::string_view text : target.values("tags")) add_logfmt_tags(text, tags);
  filter condition;
  try {
    condition = parse_traceql(q);
  } catch (const query_syntax_error& e) {
    bad_query(e);
  }
  if (!tags.service.empty() || !tags.tags.empty()) {
    try {
      condition = std::move(condition) && jaeger::to_filter(tags);
    } catch (const error& e) {
      throw e.with_context("parameter \"tags\"");
    }
  }
  const tempo_search_window window = search_window_of(target);
  if (window.start || window.end)
    condition = std::move(condition) && where::started_between(window.start, window.end ? window.end + second - 1 : max_timestamp);

  trace_query candidates;
  candidates.where = condition;
  candidates.limit = window.bounds_duration() ? std::numeric_limits<std::size_t>::max() : window.limit;  // checked per trace
  const std::vector<trace_id> ids = find_trace_ids(store, candidates);

  std::string body;
  json::writer w(body);
  w.begin_object().key("traces").begin_array();
  std::size_t listed = 0;
  for (const trace_id& id : ids) {
    if (listed >= window.limit) break;
    const std::vector<span> spans = owned_spans(store.find_trace(id));
    if (spans.empty()) continue;
    timestamp_ns first = spans.front().start, last = spans.front().end;
    const span* root = nullptr;
    for (const span& s : spans) {
      first = std::min(first, s.start);
      last = std::max(last, s.end);
      if (s.is_root() && (!root || s.start < root->start)) root = &s;
    }
    const duration_ns duration = last > first ? last - first : 0;
    if (!window.admits(duration)) continue;
    std::vector<const span*> matched;
    for (const span& s : spans)
      if (matches(condition, s)) matched.push_back(&s);
    std::ranges::sort(matched, [](const span* a, const span* b) { return a->start < b->start; });
    ++listed;
    writing_stored([&] {
      write_search_trace(w, id, root ? &root->resource.service_name : nullptr, root ? &root->name : nullptr, first, duration,
                         [&](json::writer& out) {
        auto span_set = [&] {
          out.begin_object().key("spans").begin_array();
          for (std::size_t k = 0; k < matched.size() && k < window.spans_per_set; ++k) write_search_span(out, *matched[k]);
          out.end_array().member("matched", matched.size()).end_object();
        };
        out.key("spanSet");
        span_set();
        out.key("spanSets").begin_array();
        span_set();
        out.end_array();
      });
    });
  }
  write_search_metrics(w, ids.size(), store.size());
  return json_response(200, std::move(body));
}

template <span_store S>
http_response tempo_metrics(const S& store, const url_target& target) {
  using namespace detail;
  const std::string_view q = target.value("q").value_or("");
  traceql::query query;
  try {
    query = parse_traceql_query(q);
  } catch (const query_syntax_error& e) {
    bad_query(e);
  }
  if (!query.metrics) bad_parameter("q", q, "a metrics query (rate(), count_over_time(), ...): spansets are answered by /api/search");
  traceql_metrics_range range;
  for (const char* name : {"start", "end"}) {
    const auto text = target.value(name);
    if (!text || text->empty()) bad_parameter(name, "", "unix seconds");
    (std::string_view(name) == "start" ? range.start : range.end) = whole_number(name, *text, max_timestamp / second) * second;
  }
  if (range.end <= range.start) bad_parameter("end", *target.value("end"), "after start (" + std::string(*target.value("start")) + ")");
  range.step = std::max<duration_ns>((range.end - range.start) / 100, second);
  if (auto text = target.value("step"); text && !text->empty()) {
    range.step = go_duration("step", *text);
    if (range.step == 0) bad_parameter("step", *text, "a positive duration");
    if ((range.end - range.start) / range.step >= max_metrics_steps)
      bad_parameter("step", *text, "at most " + std::to_string(max_metrics_steps) + " steps over the range");
  }
  const std::vector<traceql_series> series = traceql_metrics(store, query, range);

  std::string body;
  json::writer w(body);
  w.begin_object().key("series").begin_array();
  for (const traceql_series& one : series) {
    std::string prom_labels = "{";
    w.begin_object().key("labels").begin_array();
    for (const auto& [key, value] : one.labels) {
      w.begin_object().member("key", printable(key)).key("value").begin_object().member("stringValue", printable(value));
      w.end_object().end_object();
      prom_labels += (prom_labels.size() > 1 ? ", " : "") + printable(key) + "=\"" + printable(value) + "\"";
    }
    w.end_array().member("promLabels", prom_labels + "}").key("samples").begin_array();
    for (const auto& [time, value] : one.points)
      w.begin_object().member("timestampMs", std::to_string(time / millisecond)).member("value", value).end_object();
    w.end_array().end_object();
  }
  w.end_array().key("metrics").begin_object().member("inspectedSpans", std::to_string(store.size()));
  w.member("completedJobs", 1).member("totalJobs", 1).end_object().end_object();
  return json_response(200, std::move(body));
}

template <span_store S>
http_response tempo_tags(const S& store, const url_target& target, timestamp_ns now) {
  auto keys = detail::attribute_keys_of(store, detail::tag_window_of(target, now));
  std::vector<std::string> names = std::move(keys.span);
  names.insert(names.end(), keys.resource.begin(), keys.resource.end());
  std::ranges::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return detail::json_response(200, "{\"tagNames\":" + detail::json_strings(names) + "}");
}

template <span_store S>
http_response tempo_tags_v2(const S& store, const url_target& target, timestamp_ns now) {
  const std::string_view scope = target.value("scope").value_or("all");
  if (scope != "all" && scope != "span" && scope != "resource" && scope != "intrinsic" && !scope.empty())
    detail::bad_parameter("scope", scope, "one of span, resource, intrinsic or all");
  const bool all = scope == "all" || scope.empty();
  const auto keys = detail::attribute_keys_of(store, detail::tag_window_of(target, now));
  // The intrinsics this library's query language knows.
  const std::vector<std::string> intrinsics = {"duration", "kind", "name", "status"};
  std::string body = "{\"scopes\":[";
  bool first = true;
  for (const auto& [name, tags] : {std::pair{std::string_view("span"), &keys.span},
                                   std::pair{std::string_view("resource"), &keys.resource},
                                   std::pair{std::string_view("intrinsic"), &intrinsics}}) {
    if (!all && scope != name) continue;
    if (!first) body += ',';
    first = false;
    body += "{\"name\":\"" + std::string(name) + "\",\"tags\":" + detail::json_strings(*tags) + "}";
  }
  return detail::json_response(200, body + "]}");
}

template <span_store S>
http_response tempo_tag_values(const S& store, std::string_view name, const url_target& target, timestamp_ns now) {
  const detail::start_window window = detail::tag_window_of(target, now);
  const std::uint8_t scopes = static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
  std::vector<std::string> texts;
  for (auto& v : detail::attribute_values_of(store, name, scopes, max_tag_values, window))
    if (texts.empty() || texts.back() != v.text) texts.push_back(std::move(v.text));
  std::ranges::sort(texts);
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  return detail::json_response(200, "{\"tagValues\":" + detail::json_strings(texts) + "}");
}

template <span_store S>
http_response tempo_tag_values_v2(const S& store, std::string_view scoped_name, const url_target& target, timestamp_ns now) {
  const detail::start_window window = detail::tag_window_of(target, now);
  std::vector<detail::typed_value> values;
  auto keyword = [&values](std::string_view text) {
    detail::typed_value v{"keyword", std::string(text)};
    if (std::ranges::find(values, v) == values.end()) values.push_back(std::move(v));
  };
  if (scoped_name == "name") {
    for (auto& op : detail::operations_of(store, "", window))
      if (values.empty() || values.back().text != op.name) values.push_back({"string", std::move(op.name)});
  } else if (scoped_name == "status" || scoped_name == "kind") {
    detail::for_each_span_in(store, window, [&](const auto& s) {
      keyword(scoped_name == "status" ? to_string(status_of(s)) : to_string(kind_of(s)));
      return values.size() >= 6;  // every kind seen
    });
    std::ranges::sort(values);
  } else {
    std::uint8_t scopes = static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
    std::string_view key = scoped_name;
    if (key.starts_with("span.")) key.remove_prefix(5), scopes = static_cast<std::uint8_t>(attribute_scope::span);
    else if (key.starts_with("resource.")) key.remove_prefix(9), scopes = static_cast<std::uint8_t>(attribute_scope::resource);
    else if (key.starts_with(".")) key.remove_prefix(1);
    else detail::bad_parameter("tag name", scoped_name,
                               "a scoped tag (span.<key>, resource.<key>, .<key>) or an intrinsic (name, status, kind)");
    values = detail::attribute_values_of(store, key, scopes, max_tag_values, window);
  }
  std::string body;
  json::writer w(body);
  w.begin_object().key("tagValues").begin_array();
  for (const auto& v : values) w.begin_object().member("type", v.type).member("value", printable(v.text)).end_object();
  w.end_array().end_object();
  return detail::json_response(200, std::move(body));
}

inline http_response tempo_echo() { return detail::text_response(200, "echo"); }
inline http_response tempo_ready() { return detail::text_response(200, "ready"); }

inline http_response tempo_buildinfo() {
  std::string body;
  json::writer w(body);
  w.begin_object().member("version", tempo_compatible_version).member("revision", "trace")
      .member("branch", "").member("buildUser", "").member("buildDate", "").member("goVersion", "").end_object();
  return detail::json_response(200, std::move(body));
}

}  // namespace api
}  // namespace v0
}  // namespace trace
