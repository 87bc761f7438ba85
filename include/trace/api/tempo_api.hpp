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
//   GET /api/search/tags                 {"tagNames":[...]}
//   GET /api/v2/search/tags?scope=       {"scopes":[{"name":"span","tags":[...]},...]}
//   GET /api/search/tag/{name}/values    {"tagValues":["a","b"]}
//   GET /api/v2/search/tag/{name}/values {"tagValues":[{"type":"string","value":"a"}]}
//   GET /api/echo  "echo"    GET /ready  "ready"    GET /api/status/buildinfo  {"version":...}
//
// `q` is this library's query language (trace::parse_traceql, docs/QUERY.md), a trace
// matching when one of its spans satisfies q, the `tags` (logfmt: `service.name=api
// http.status_code=500`, compared as Jaeger's tags are) and the window [start, end] (unix
// seconds) together; minDuration and maxDuration bound the whole trace's duration, as
// Tempo's do. Trace bodies are OTLP JSON (trace::otlp::write); a request whose Accept asks
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

namespace trace {
inline namespace v0 {
namespace api {

// The version /api/status/buildinfo reports: Grafana's Tempo data source turns on the
// features of a Tempo this recent (TraceQL search, v2 tags).
inline constexpr std::string_view tempo_compatible_version = "2.6.0";

// The most values a tag-values route lists.
inline constexpr std::size_t max_tag_values = 1000;

// `v2`: the `{"trace":...}` shape of /api/v2/traces; `accept`: the request's Accept header.
template <span_store S>
http_response tempo_trace(const S& store, std::string_view id, bool v2, std::string_view accept);
template <span_store S>
http_response tempo_search(const S& store, const url_target& target);
template <span_store S>
http_response tempo_tags(const S& store);
template <span_store S>
http_response tempo_tags_v2(const S& store, const url_target& target);
template <span_store S>
http_response tempo_tag_values(const S& store, std::string_view name);
template <span_store S>
http_response tempo_tag_values_v2(const S& store, std::string_view scoped_name);
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

template <span_store S>
http_response tempo_search(const S& store, const url_target& target) {
  using namespace detail;
  jaeger::query tags;
  for (std::string_view text : target.values("tags")) add_logfmt_tags(text, tags);
  const std::string_view q = target.value("q").value_or("");
  filter condition;
  try {
    condition = parse_traceql(q);
  } catch (const query_syntax_error& e) {  // the message names the parameter, the text shows where
    throw error(errc::parse_error, "parameter \"q\": " + std::string(e.message()) + "\n" + printable(e.caret()));
  }
  if (!tags.service.empty() || !tags.tags.empty()) {
    try {
      condition = std::move(condition) && jaeger::to_filter(tags);
    } catch (const error& e) {
      throw e.with_context("parameter \"tags\"");
    }
  }
  timestamp_ns start = 0, end = 0;
  if (auto text = target.value("start"); text && !text->empty()) start = whole_number("start", *text, max_timestamp / second) * second;
  if (auto text = target.value("end"); text && !text->empty()) end = whole_number("end", *text, max_timestamp / second) * second;
  if (end && start > end) bad_parameter("start", *target.value("start"), "before end (" + std::string(*target.value("end")) + ")");
  if (start || end) condition = std::move(condition) && where::started_between(start, end ? end + second - 1 : max_timestamp);
  duration_ns min_duration = 0, max_duration = std::numeric_limits<duration_ns>::max();
  if (auto text = target.value("minDuration"); text && !text->empty()) min_duration = go_duration("minDuration", *text);
  if (auto text = target.value("maxDuration"); text && !text->empty()) {
    max_duration = go_duration("maxDuration", *text);
    if (max_duration < min_duration) bad_parameter("maxDuration", *text, "at least minDuration");
  }
  std::size_t limit = 20, spans_per_set = 3;  // Tempo's defaults
  if (auto text = target.value("limit"); text && !text->empty()) limit = whole_number("limit", *text, 100'000);
  if (limit == 0) limit = 20;
  if (auto text = target.value("spss"); text && !text->empty()) spans_per_set = whole_number("spss", *text, 100'000);
  const bool bounded = min_duration > 0 || max_duration != std::numeric_limits<duration_ns>::max();

  trace_query candidates;
  candidates.where = condition;
  candidates.limit = bounded ? std::numeric_limits<std::size_t>::max() : limit;  // the bound is checked per trace
  const std::vector<trace_id> ids = find_trace_ids(store, candidates);

  std::string body;
  json::writer w(body);
  w.begin_object().key("traces").begin_array();
  std::size_t listed = 0;
  for (const trace_id& id : ids) {
    if (listed >= limit) break;
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
    if (duration < min_duration || duration > max_duration) continue;
    std::vector<const span*> matched;
    for (const span& s : spans)
      if (matches(condition, s)) matched.push_back(&s);
    std::ranges::sort(matched, [](const span* a, const span* b) { return a->start < b->start; });
    ++listed;
    writing_stored([&] {
      w.begin_object().member("traceID", id.to_hex());
      w.member("rootServiceName", root ? printable(root->resource.service_name) : "<root span not yet received>");
      w.member("rootTraceName", root ? printable(root->name) : "");
      w.member("startTimeUnixNano", std::to_string(first)).member("durationMs", duration / millisecond);
      auto span_set = [&] {
        w.begin_object().key("spans").begin_array();
        for (std::size_t k = 0; k < matched.size() && k < spans_per_set; ++k) write_search_span(w, *matched[k]);
        w.end_array().member("matched", matched.size()).end_object();
      };
      w.key("spanSet");
      span_set();
      w.key("spanSets").begin_array();
      span_set();
      w.end_array().end_object();
    });
  }
  w.end_array().key("metrics").begin_object();
  w.member("inspectedTraces", ids.size()).member("inspectedSpans", std::to_string(store.size()));
  w.member("completedJobs", 1).member("totalJobs", 1).end_object().end_object();
  return json_response(200, std::move(body));
}

template <span_store S>
http_response tempo_tags(const S& store) {
  auto keys = detail::attribute_keys_of(store);
  std::vector<std::string> names = std::move(keys.span);
  names.insert(names.end(), keys.resource.begin(), keys.resource.end());
  std::ranges::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return detail::json_response(200, "{\"tagNames\":" + detail::json_strings(names) + "}");
}

template <span_store S>
http_response tempo_tags_v2(const S& store, const url_target& target) {
  const std::string_view scope = target.value("scope").value_or("all");
  if (scope != "all" && scope != "span" && scope != "resource" && scope != "intrinsic" && !scope.empty())
    detail::bad_parameter("scope", scope, "one of span, resource, intrinsic or all");
  const bool all = scope == "all" || scope.empty();
  const auto keys = detail::attribute_keys_of(store);
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
http_response tempo_tag_values(const S& store, std::string_view name) {
  const std::uint8_t scopes = static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
  std::vector<std::string> texts;
  for (auto& v : detail::attribute_values_of(store, name, scopes, max_tag_values))
    if (texts.empty() || texts.back() != v.text) texts.push_back(std::move(v.text));
  std::ranges::sort(texts);
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  return detail::json_response(200, "{\"tagValues\":" + detail::json_strings(texts) + "}");
}

template <span_store S>
http_response tempo_tag_values_v2(const S& store, std::string_view scoped_name) {
  std::vector<detail::typed_value> values;
  auto keyword = [&values](std::string_view text) {
    detail::typed_value v{"keyword", std::string(text)};
    if (std::ranges::find(values, v) == values.end()) values.push_back(std::move(v));
  };
  if (scoped_name == "name") {
    for (auto& op : detail::operations_of(store, ""))
      if (values.empty() || values.back().text != op.name) values.push_back({"string", std::move(op.name)});
  } else if (scoped_name == "status" || scoped_name == "kind") {
    for (auto&& s : store.scan()) {
      if (values.size() >= 6) break;  // every kind seen
      keyword(scoped_name == "status" ? to_string(status_of(s)) : to_string(kind_of(s)));
    }
    std::ranges::sort(values);
  } else {
    std::uint8_t scopes = static_cast<std::uint8_t>(attribute_scope::span) | static_cast<std::uint8_t>(attribute_scope::resource);
    std::string_view key = scoped_name;
    if (key.starts_with("span.")) key.remove_prefix(5), scopes = static_cast<std::uint8_t>(attribute_scope::span);
    else if (key.starts_with("resource.")) key.remove_prefix(9), scopes = static_cast<std::uint8_t>(attribute_scope::resource);
    else if (key.starts_with(".")) key.remove_prefix(1);
    else detail::bad_parameter("tag name", scoped_name,
                               "a scoped tag (span.<key>, resource.<key>, .<key>) or an intrinsic (name, status, kind)");
    values = detail::attribute_values_of(store, key, scopes, max_tag_values);
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
