#pragma once
// Jaeger's query HTTP API over any `span_store`, as Jaeger UI and Grafana's Jaeger data
// source call it (docs/QUERY_API.md shows each route with an example):
//
//   GET /api/services                          {"data":["api","db"],"total":2,"limit":0,"offset":0,"errors":null}
//   GET /api/services/{service}/operations     {"data":["GET /a","SELECT"],...}
//   GET /api/operations?service=&spanKind=     {"data":[{"name":"GET /a","spanKind":"server"}],...}
//   GET /api/traces?service=&operation=&tags=&start=&end=&minDuration=&maxDuration=&limit=&lookback=
//   GET /api/traces?traceID=a&traceID=b        {"data":[{traceID, spans, processes}],...}
//   GET /api/traces/{id}
//   GET /api/dependencies?endTs=&lookback=     {"data":[{"parent":"api","child":"db","callCount":3}],...}
//   GET /api/v3/services                       {"services":["api","db"]}
//   GET /api/v3/operations?service=&span_kind= {"operations":[{"name":"GET /a","spanKind":"server"}]}
//   GET /api/v3/traces/{id}                    {"result":{"resourceSpans":[...]}}  (OTLP JSON)
//   GET /api/v3/traces?query.service_name=...  the same, every matching trace
//
// Times are microseconds (start, end) or milliseconds (endTs, lookback) since the epoch as
// Jaeger's; durations are Go's ("1.5s", "100ms"). Errors travel in Jaeger's envelope,
// `{"data":null,...,"errors":[{"code":400,"msg":"..."}]}`, and in the v3 routes as
// `{"error":{"httpCode":400,"message":"..."}}`. The search is trace::jaeger::query's (a trace
// matches when one span satisfies everything), the JSON trace::jaeger::write's and
// trace::otlp::write's, the dependencies trace::build_service_graph's.

#include <algorithm>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "trace/analytics/service_graph.hpp"
#include "trace/api/detail/param_values.hpp"
#include "trace/api/detail/responses.hpp"
#include "trace/api/detail/store_catalog.hpp"
#include "trace/api/http_exchange.hpp"
#include "trace/api/url_query.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/io/jaeger_json.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/query/jaeger.hpp"
#include "trace/query/trace_search.hpp"

namespace trace {
inline namespace v0 {
namespace api {

// Each answers one route; parameters come from `target`, bad ones are answered with 400.
template <span_store S>
http_response jaeger_services(const S& store);
template <span_store S>
http_response jaeger_service_operations(const S& store, std::string_view service);
template <span_store S>
http_response jaeger_operations(const S& store, const url_target& target);
template <span_store S>
http_response jaeger_find_traces(const S& store, const url_target& target, timestamp_ns now = now_ns());
template <span_store S>
http_response jaeger_trace(const S& store, std::string_view id);
template <span_store S>
http_response jaeger_dependencies(const S& store, const url_target& target, timestamp_ns now = now_ns());
template <span_store S>
http_response jaeger_v3_services(const S& store);
template <span_store S>
http_response jaeger_v3_operations(const S& store, const url_target& target);
template <span_store S>
http_response jaeger_v3_trace(const S& store, std::string_view id);
template <span_store S>
http_response jaeger_v3_find_traces(const S& store, const url_target& target);

// Jaeger's error envelopes.
http_response jaeger_error(int status, std::string_view message);
http_response jaeger_v3_error(int status, std::string_view message);

// The search a `/api/traces` request asks for (also used by the pages): `now` stands for a
// missing `end` when `lookback` is given.
jaeger::query jaeger_query_of(const url_target& target, timestamp_ns now);

// ---------------------------------------------------------------------------------------

namespace detail {

// `{"data":<data>,"total":n,"limit":0,"offset":0,"errors":null}`
inline http_response jaeger_envelope(std::string_view data, std::size_t total) {
  std::string body = "{\"data\":";
  body += data;
  body += ",\"total\":" + std::to_string(total) + ",\"limit\":0,\"offset\":0,\"errors\":null}";
  return json_response(200, std::move(body));
}

// Jaeger writes the kind of an operation in lower case, and nothing for an unspecified one.
inline std::string_view jaeger_kind_name(span_kind kind) {
  return kind == span_kind::unspecified ? std::string_view() : to_string(kind);
}

inline std::optional<span_kind> kind_parameter(const url_target& target, std::string_view name) {
  auto text = target.value(name);
  if (!text || text->empty()) return std::nullopt;
  std::string folded(*text);
  std::ranges::transform(folded, folded.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (auto kind = span_kind_from_string(folded); kind && *kind != span_kind::unspecified) return kind;
  bad_parameter(name, *text, "a span kind (server, client, producer, consumer or internal)");
}

inline std::string operation_list(const std::vector<operation_entry>& operations, std::optional<span_kind> kind) {
  std::string out;
  json::writer w(out);
  w.begin_array();
  for (const auto& op : operations)
    if (!kind || op.kind == *kind)
      w.begin_object().member("name", printable(op.name)).member("spanKind", jaeger_kind_name(op.kind)).end_object();
  w.end_array();
  return out;
}

// A JSON object of tags (`{"http.status_code":"500","error":true}`), each value in its
// text form as Jaeger compares them.
inline void add_json_tags(std::string_view name, std::string_view text, jaeger::query& q) {
  json::value doc;
  try {
    doc = json::parse(text);
  } catch (const error& e) {
    bad_parameter(name, text, std::string("a JSON object of tags (") + e.message() + ")");
  }
  const auto* members = doc.get_if<json::object>();
  if (!members) bad_parameter(name, text, "a JSON object of tags such as {\"http.status_code\":\"500\"}");
  for (const auto& m : *members) {
    if (const auto* s = m.val.get_if<std::string>()) q.tags.emplace_back(m.key, *s);
    else if (m.val.get_if<json::object>() || m.val.get_if<json::array>() || m.val.is_null())
      bad_parameter(name, text, "a JSON object whose values are strings, numbers or booleans");
    else q.tags.emplace_back(m.key, json::serialize(m.val));
  }
}

// Microseconds since the epoch, as nanoseconds.
inline timestamp_ns micros_parameter(std::string_view name, std::string_view text) {
  return whole_number(name, text, max_timestamp / 1000) * 1000;
}

// Jaeger UI's lookback choices: a Go duration, or days and weeks ("2d", "1w"); "custom"
// means the window is in start and end.
inline std::optional<duration_ns> lookback_parameter(const url_target& target) {
  auto text = target.value("lookback");
  if (!text || text->empty() || *text == "custom") return std::nullopt;
  for (auto [suffix, scale] : {std::pair{'d', 24 * hour}, std::pair{'w', 7 * 24 * hour}})
    if (text->size() > 1 && text->back() == suffix)
      return whole_number("lookback", text->substr(0, text->size() - 1), max_timestamp / scale) * scale;
  return go_duration("lookback", *text);
}

// trace::jaeger::write's `{"data":[...]}` in Jaeger's full envelope.
inline http_response jaeger_traces_response(const std::vector<span>& spans, std::size_t traces) {
  const std::string written = writing_stored([&] { return jaeger::to_json(spans); });
  constexpr std::string_view head = "{\"data\":";
  return jaeger_envelope(std::string_view(written).substr(head.size(), written.size() - head.size() - 1), traces);
}

// trace::otlp::write's `{"resourceSpans":[...]}` as Jaeger's v3 API wraps it.
inline http_response otlp_result_response(const std::vector<span>& spans) {
  return json_response(200, "{\"result\":" + writing_stored([&] { return otlp::to_json(spans); }) + "}");
}

}  // namespace detail

inline http_response jaeger_error(int status, std::string_view message) {
  std::string body;
  json::writer w(body);
  w.begin_object().key("data").null().member("total", 0).member("limit", 0).member("offset", 0);
  w.key("errors").begin_array().begin_object().member("code", status).member("msg", printable(message)).end_object().end_array();
  w.end_object();
  return detail::json_response(status, std::move(body));
}

inline http_response jaeger_v3_error(int status, std::string_view message) {
  std::string body;
  json::writer w(body);
  w.begin_object().key("error").begin_object().member("httpCode", status).member("message", printable(message));
  w.end_object().end_object();
  return detail::json_response(status, std::move(body));
}

template <span_store S>
http_response jaeger_services(const S& store) {
  const auto services = detail::services_of(store);
  return detail::jaeger_envelope(detail::json_strings(services), services.size());
}

template <span_store S>
http_response jaeger_service_operations(const S& store, std::string_view service) {
  std::vector<std::string> names;
  for (auto& op : detail::operations_of(store, service))
    if (names.empty() || names.back() != op.name) names.push_back(std::move(op.name));
  return detail::jaeger_envelope(detail::json_strings(names), names.size());
}

template <span_store S>
http_response jaeger_operations(const S& store, const url_target& target) {
  const auto service = target.value("service");
  if (!service || service->empty()) return jaeger_error(400, "parameter \"service\" is required");
  const auto kind = detail::kind_parameter(target, "spanKind");
  const auto operations = detail::operations_of(store, *service);
  const auto count = static_cast<std::size_t>(std::ranges::count_if(operations, [&](const auto& op) { return !kind || op.kind == *kind; }));
  return detail::jaeger_envelope(detail::operation_list(operations, kind), count);
}

inline jaeger::query jaeger_query_of(const url_target& target, timestamp_ns now) {
  using namespace detail;
  jaeger::query q;
  q.service = std::string(target.value("service").value_or(""));
  q.operation = std::string(target.value("operation").value_or(""));
  for (std::string_view tags : target.values("tags")) add_json_tags("tags", tags, q);
  for (std::string_view tag : target.values("tag")) {  // the older form, tag=key:value
    const std::size_t colon = tag.find(':');
    if (colon == std::string_view::npos || colon == 0) bad_parameter("tag", tag, "key:value");
    q.tags.emplace_back(std::string(tag.substr(0, colon)), std::string(tag.substr(colon + 1)));
  }
  if (auto end = target.value("end"); end && !end->empty()) q.start_max = micros_parameter("end", *end);
  if (auto start = target.value("start"); start && !start->empty()) {
    q.start_min = micros_parameter("start", *start);
  } else if (auto lookback = lookback_parameter(target)) {
    const timestamp_ns end = q.start_max ? q.start_max : now;
    q.start_min = end > *lookback ? end - *lookback : 1;  // 0 would mean unbounded
  }
  if (q.start_max && q.start_min > q.start_max)
    bad_parameter("start", *target.value("start"), "before \"end\" (" + std::string(*target.value("end")) + ")");
  if (auto min = target.value("minDuration"); min && !min->empty()) q.duration_min = go_duration("minDuration", *min);
  if (auto max = target.value("maxDuration"); max && !max->empty()) {
    q.duration_max = go_duration("maxDuration", *max);
    if (q.duration_max < q.duration_min)
      bad_parameter("maxDuration", *max, "at least minDuration (" + std::string(*target.value("minDuration")) + ")");
  }
  q.num_traces = 100;  // Jaeger's default
  if (auto limit = target.value("limit"); limit && !limit->empty()) {
    q.num_traces = whole_number("limit", *limit, 100'000);
    if (q.num_traces == 0) q.num_traces = 100;
  }
  try {
    jaeger::to_filter(q);  // refuses bad special tags (error=maybe) now, as a bad parameter
  } catch (const error& e) {
    throw e.with_context("parameter \"tags\"");
  }
  return q;
}

template <span_store S>
http_response jaeger_find_traces(const S& store, const url_target& target, timestamp_ns now) {
  std::vector<span> spans;
  std::size_t traces = 0;
  if (const auto ids = target.values("traceID"); !ids.empty()) {
    for (std::string_view text : ids) {
      const auto found = store.find_trace(detail::hex_trace_id("traceID", text));
      if (found.empty()) continue;
      ++traces;
      for (const auto& s : found) spans.push_back(detail::owned(s));
    }
    return detail::jaeger_traces_response(spans, traces);
  }
  if (!target.value("service") || target.value("service")->empty())
    return jaeger_error(400, "parameter \"service\" is required (or traceID)");
  const jaeger::query q = jaeger_query_of(target, now);
  for (const trace_id& id : find_trace_ids(store, jaeger::to_trace_query(q))) {
    ++traces;
    for (auto& s : detail::owned_spans(store.find_trace(id))) spans.push_back(std::move(s));
  }
  return detail::jaeger_traces_response(spans, traces);
}

template <span_store S>
http_response jaeger_trace(const S& store, std::string_view id) {
  const auto found = store.find_trace(detail::hex_trace_id("trace id", id));
  if (found.empty()) return jaeger_error(404, "trace " + quote_value(id) + " not found");
  return detail::jaeger_traces_response(detail::owned_spans(found), 1);
}

template <span_store S>
http_response jaeger_dependencies(const S& store, const url_target& target, timestamp_ns now) {
  timestamp_ns end = now;
  duration_ns lookback = 24 * hour;  // Jaeger's default
  if (auto text = target.value("endTs"); text && !text->empty())
    end = detail::whole_number("endTs", *text, max_timestamp / millisecond) * millisecond;
  if (auto text = target.value("lookback"); text && !text->empty())
    lookback = detail::whole_number("lookback", *text, max_timestamp / millisecond) * millisecond;
  const timestamp_ns begin = end > lookback ? end - lookback : 0;
  std::vector<store_span_t<S>> in_window;  // handles into the store, not copies of spans
  detail::for_each_span_in(store, {begin, end}, [&in_window](const auto& s) {
    in_window.push_back(s);
    return false;
  });
  const service_graph graph = build_service_graph(in_window);
  std::string data;
  json::writer w(data);
  w.begin_array();
  for (const auto& edge : graph.edges)
    w.begin_object().member("parent", printable(edge.caller)).member("child", printable(edge.callee))
        .member("callCount", static_cast<std::uint64_t>(edge.stats.count)).end_object();
  w.end_array();
  return detail::jaeger_envelope(data, graph.edges.size());
}

template <span_store S>
http_response jaeger_v3_services(const S& store) {
  std::string body;
  json::writer w(body);
  w.begin_object().key("services").begin_array();
  for (const auto& s : detail::services_of(store)) w.string(printable(s));
  w.end_array().end_object();
  return detail::json_response(200, std::move(body));
}

template <span_store S>
http_response jaeger_v3_operations(const S& store, const url_target& target) {
  const auto service = target.value("service");
  if (!service || service->empty()) return jaeger_v3_error(400, "parameter \"service\" is required");
  auto kind = detail::kind_parameter(target, "span_kind");
  if (!kind) kind = detail::kind_parameter(target, "spanKind");
  return detail::json_response(
      200, "{\"operations\":" + detail::operation_list(detail::operations_of(store, *service), kind) + "}");
}

template <span_store S>
http_response jaeger_v3_trace(const S& store, std::string_view id) {
  const auto found = store.find_trace(detail::hex_trace_id("trace_id", id));
  if (found.empty()) return jaeger_v3_error(404, "No traces found");
  return detail::otlp_result_response(detail::owned_spans(found));
}

template <span_store S>
http_response jaeger_v3_find_traces(const S& store, const url_target& target) {
  using namespace detail;
  // Jaeger reads the protobuf field names in both spellings, camelCase first.
  auto param = [&target](std::string_view camel, std::string_view snake) -> std::pair<std::string_view, std::string_view> {
    if (auto v = target.value(camel)) return {camel, *v};
    if (auto v = target.value(snake)) return {snake, *v};
    return {camel, {}};
  };
  jaeger::query q;
  q.service = std::string(param("query.serviceName", "query.service_name").second);
  if (q.service.empty()) return jaeger_v3_error(400, "parameter \"query.serviceName\" is required");
  q.operation = std::string(param("query.operationName", "query.operation_name").second);
  if (auto [name, text] = param("query.attributes", "query.attributes"); !text.empty()) add_json_tags(name, text, q);
  auto time = [](std::string_view name, std::string_view text) -> timestamp_ns {
    if (text.empty()) return 0;
    try {
      return parse_rfc3339(text);
    } catch (const error&) {
      bad_parameter(name, text, "an RFC 3339 time such as 2024-05-01T12:00:00Z");
    }
  };
  if (auto [name, text] = param("query.startTimeMin", "query.start_time_min"); true) q.start_min = time(name, text);
  if (auto [name, text] = param("query.startTimeMax", "query.start_time_max"); true) q.start_max = time(name, text);
  if (auto [name, text] = param("query.durationMin", "query.duration_min"); !text.empty()) q.duration_min = go_duration(name, text);
  if (auto [name, text] = param("query.durationMax", "query.duration_max"); !text.empty()) q.duration_max = go_duration(name, text);
  q.num_traces = 20;
  if (auto [name, text] = param("query.searchDepth", "query.num_traces"); !text.empty())
    q.num_traces = std::max<std::size_t>(1, whole_number(name, text, 100'000));
  std::vector<span> spans;
  for (const trace_id& id : find_trace_ids(store, jaeger::to_trace_query(q)))
    for (auto& s : owned_spans(store.find_trace(id))) spans.push_back(std::move(s));
  if (spans.empty()) return jaeger_v3_error(404, "No traces found");
  return otlp_result_response(spans);
}

}  // namespace api
}  // namespace v0
}  // namespace trace
