#pragma once
// Every query route of the server in one function from request to response, socket-free:
//
//   if (auto response = trace::api::answer_query(store.read(), request)) send(*response);
//
// `store`: any `span_store`, or a read view of one (`readable_store`, as mmap_store::reader).
//   else ... (not a query route: ingest, /metrics, 404)
//
// The pages (pages.hpp) at /, /search and /trace/{id}; Jaeger's API (jaeger_api.hpp) at
// /api/... and /api/v3/...; Tempo's (tempo_api.hpp) at its
// own paths (/api/search..., /api/v2/..., /api/echo, /ready, /api/status/buildinfo) and,
// whole, under /tempo: both Jaeger and Tempo answer /api/traces/{id}, in different shapes,
// so Grafana's Tempo data source is pointed at http://host:port/tempo. A request for
// /api/traces/{id} whose Accept asks for protobuf (only Tempo's clients do) gets Tempo's
// answer there too.
//
// nullopt: the path is none of these. A known path with another method than GET: 405 with
// `Allow: GET`. A bad parameter or id: 400 naming it; an unknown trace: 404; each in the
// error shape of the API the route belongs to. A target whose path under /api/ or /tempo/
// has a malformed escape: 400.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/api/detail/read_only_store.hpp"
#include "trace/api/http_exchange.hpp"
#include "trace/api/jaeger_api.hpp"
#include "trace/api/pages.hpp"
#include "trace/api/tempo_api.hpp"
#include "trace/api/url_query.hpp"

namespace trace {
inline namespace v0 {
namespace api {

template <readable_store S>
std::optional<http_response> answer_query(const S& store, const http_request& request);

// ---------------------------------------------------------------------------------------

namespace detail {

enum class api_family { jaeger, jaeger_v3, tempo, pages };

inline http_response family_error(api_family family, int status, std::string_view message) {
  switch (family) {
    case api_family::jaeger: return jaeger_error(status, message);
    case api_family::jaeger_v3: return jaeger_v3_error(status, message);
    case api_family::tempo:
    case api_family::pages: break;
  }
  return text_response(status, printable(message));
}

// Does `segments` (from `first` on) read `pattern`? "*" matches any one segment.
inline bool route_is(const std::vector<std::string>& segments, std::size_t first,
                     std::initializer_list<std::string_view> pattern) {
  if (segments.size() - first != pattern.size()) return false;
  std::size_t i = first;
  for (std::string_view part : pattern) {
    if (part != "*" && segments[i] != part) return false;
    ++i;
  }
  return true;
}

enum class route_name {
  jaeger_services, jaeger_service_operations, jaeger_operations, jaeger_find_traces, jaeger_trace,
  jaeger_dependencies, v3_services, v3_operations, v3_find_traces, v3_trace,
  tempo_trace, tempo_trace_v2, tempo_search, tempo_tags, tempo_tags_v2, tempo_tag_values,
  tempo_tag_values_v2, tempo_metrics, tempo_echo, tempo_ready, tempo_buildinfo, search_page, trace_page
};

struct route {
  route_name name;
  api_family family;
  std::string argument;  // the path's variable part: a service, trace id or tag name
};

// The Tempo routes, read from segment `first` on (0 at the root, 1 under /tempo); only under
// /tempo does /api/traces/{id} belong to Tempo.
inline std::optional<route> tempo_route_of(const std::vector<std::string>& seg, std::size_t first) {
  using enum route_name;
  const auto at = [&](std::size_t i) { return seg[first + i]; };
  if (first == 1 && route_is(seg, first, {"api", "traces", "*"})) return route{tempo_trace, api_family::tempo, at(2)};
  if (route_is(seg, first, {"api", "v2", "traces", "*"})) return route{tempo_trace_v2, api_family::tempo, at(3)};
  if (route_is(seg, first, {"api", "search"})) return route{tempo_search, api_family::tempo, {}};
  if (route_is(seg, first, {"api", "search", "tags"})) return route{tempo_tags, api_family::tempo, {}};
  if (route_is(seg, first, {"api", "v2", "search", "tags"})) return route{tempo_tags_v2, api_family::tempo, {}};
  if (route_is(seg, first, {"api", "search", "tag", "*", "values"})) return route{tempo_tag_values, api_family::tempo, at(3)};
  if (route_is(seg, first, {"api", "v2", "search", "tag", "*", "values"}))
    return route{tempo_tag_values_v2, api_family::tempo, at(4)};
  if (route_is(seg, first, {"api", "metrics", "query_range"})) return route{tempo_metrics, api_family::tempo, {}};
  if (route_is(seg, first, {"api", "echo"})) return route{tempo_echo, api_family::tempo, {}};
  if (route_is(seg, first, {"ready"})) return route{tempo_ready, api_family::tempo, {}};
  if (route_is(seg, first, {"api", "status", "buildinfo"})) return route{tempo_buildinfo, api_family::tempo, {}};
  return std::nullopt;
}

inline std::optional<route> route_of(const std::vector<std::string>& seg) {
  using enum route_name;
  if (seg.empty() || route_is(seg, 0, {"search"})) return route{search_page, api_family::pages, {}};
  if (route_is(seg, 0, {"trace", "*"})) return route{trace_page, api_family::pages, seg[1]};
  if (!seg.empty() && seg.front() == "tempo") return tempo_route_of(seg, 1);
  if (auto tempo = tempo_route_of(seg, 0)) return tempo;
  const auto j = api_family::jaeger;
  const auto v3 = api_family::jaeger_v3;
  if (route_is(seg, 0, {"api", "services"})) return route{jaeger_services, j, {}};
  if (route_is(seg, 0, {"api", "services", "*", "operations"})) return route{jaeger_service_operations, j, seg[2]};
  if (route_is(seg, 0, {"api", "operations"})) return route{jaeger_operations, j, {}};
  if (route_is(seg, 0, {"api", "traces"})) return route{jaeger_find_traces, j, {}};
  if (route_is(seg, 0, {"api", "traces", "*"})) return route{jaeger_trace, j, seg[2]};
  if (route_is(seg, 0, {"api", "dependencies"})) return route{jaeger_dependencies, j, {}};
  if (route_is(seg, 0, {"api", "v3", "services"})) return route{v3_services, v3, {}};
  if (route_is(seg, 0, {"api", "v3", "operations"})) return route{v3_operations, v3, {}};
  if (route_is(seg, 0, {"api", "v3", "traces"})) return route{v3_find_traces, v3, {}};
  if (route_is(seg, 0, {"api", "v3", "traces", "*"})) return route{v3_trace, v3, seg[3]};
  return std::nullopt;
}

template <span_store S>
http_response answer_route(const S& store, const route& r, const url_target& t, const http_request& request) {
  using enum route_name;
  const std::string_view accept = request.header("Accept");
  switch (r.name) {
    case jaeger_services: return api::jaeger_services(store);
    case jaeger_service_operations: return api::jaeger_service_operations(store, r.argument);
    case jaeger_operations: return api::jaeger_operations(store, t);
    case jaeger_find_traces: return api::jaeger_find_traces(store, t);
    case jaeger_trace:
      // Only Tempo's clients ask for protobuf: they get Tempo's answer.
      if (accept.find("protobuf") != std::string_view::npos) return api::tempo_trace(store, r.argument, false, accept);
      return api::jaeger_trace(store, r.argument);
    case jaeger_dependencies: return api::jaeger_dependencies(store, t);
    case v3_services: return api::jaeger_v3_services(store);
    case v3_operations: return api::jaeger_v3_operations(store, t);
    case v3_find_traces: return api::jaeger_v3_find_traces(store, t);
    case v3_trace: return api::jaeger_v3_trace(store, r.argument);
    case tempo_trace: return api::tempo_trace(store, r.argument, false, accept);
    case tempo_trace_v2: return api::tempo_trace(store, r.argument, true, accept);
    case tempo_search: return api::tempo_search(store, t);
    case tempo_tags: return api::tempo_tags(store, t);
    case tempo_tags_v2: return api::tempo_tags_v2(store, t);
    case tempo_tag_values: return api::tempo_tag_values(store, r.argument, t);
    case tempo_tag_values_v2: return api::tempo_tag_values_v2(store, r.argument, t);
    case tempo_metrics: return api::tempo_metrics(store, t);
    case tempo_echo: return api::tempo_echo();
    case tempo_ready: return api::tempo_ready();
    case tempo_buildinfo: return api::tempo_buildinfo();
    case search_page: return api::search_page();
    case trace_page:
      hex_trace_id("trace id", r.argument);  // refused here rather than by the page's fetch
      return api::trace_page();
  }
  return family_error(r.family, 500, "unrouted request");
}

// The family a raw path belongs to, before it is decoded (so that a malformed escape is
// answered in the right shape); nullopt: not under /api/ or /tempo/, nor /ready or a page.
inline std::optional<api_family> family_of(std::string_view path) {
  if (path.starts_with("/tempo/") || path == "/ready" || path.starts_with("/api/search") ||
      path.starts_with("/api/v2/") || path.starts_with("/api/metrics/") || path == "/api/echo" || path.starts_with("/api/status/"))
    return api_family::tempo;
  if (path.starts_with("/api/v3/")) return api_family::jaeger_v3;
  if (path.starts_with("/api/")) return api_family::jaeger;
  if (path == "/" || path == "/search" || path.starts_with("/trace/")) return api_family::pages;
  return std::nullopt;
}

}  // namespace detail

template <readable_store S>
std::optional<http_response> answer_query(const S& store, const http_request& request) {
  const std::string_view raw_path = std::string_view(request.target).substr(0, request.target.find('?'));
  const auto family = detail::family_of(raw_path);
  if (!family) return std::nullopt;
  try {
    const url_target t = parse_target(request.target);
    const auto r = detail::route_of(t.segments);
    if (!r) return std::nullopt;
    if (request.method != "GET") {
      http_response refused = detail::family_error(r->family, 405, "method " + request.method + " is not allowed on " + t.path + "; use GET");
      refused.headers.emplace_back("Allow", "GET");
      return refused;
    }
    return detail::with_span_store(store, [&](const auto& s) { return detail::answer_route(s, *r, t, request); });
  } catch (const error& e) {
    return detail::family_error(*family, detail::status_for(e), e.message());
  }
}

}  // namespace api
}  // namespace v0
}  // namespace trace
