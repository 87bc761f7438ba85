#pragma once
// The service dependency graph: who calls whom, how often, how badly, how slowly.
//
// An edge caller → callee is counted for:
//   * every span whose parent (same trace) belongs to another service: a CLIENT span of
//     the caller with a SERVER child in the callee, or any cross-service parent/child;
//   * every CLIENT span whose callee is not traced but named by a `peer.service`
//     attribute, when the span has no child in another service (so one call counts once).
// An edge's errors and latencies are those of the callee-side span (the server span, or
// the client span when only the peer attribute names the callee). Parents missing from
// the range (partial traces) contribute no edge.

#include <algorithm>
#include <cstdint>
#include <ranges>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "trace/analytics/detail/text.hpp"  // percent_text
#include "trace/analytics/summary.hpp"  // span_stats, detail::stats_accumulator, string keys
#include "trace/core/attribute.hpp"
#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

struct service_edge {
  std::string caller;
  std::string callee;
  span_stats stats;  // calls = stats.count
};

struct service_graph {
  std::vector<std::string> services;  // every service seen, sorted
  std::vector<service_edge> edges;    // sorted by caller, then callee
};

struct service_graph_options {
  percentile_method percentiles = percentile_method::sketch;
  std::string peer_attribute = "peer.service";  // empty: no edges from attributes
};

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
service_graph build_service_graph(R&& spans, const service_graph_options& options = {});

// Graphviz DOT: one node per service, one edge per call relation labelled with calls,
// error rate and p95.
std::string to_dot(const service_graph& graph);

namespace detail {

struct span_address {
  trace_id trace;
  span_id span;
  friend bool operator==(const span_address&, const span_address&) = default;
};

struct span_address_hash {
  std::size_t operator()(const span_address& a) const noexcept {
    return std::hash<trace_id>{}(a.trace) ^ (std::hash<span_id>{}(a.span) * 0x9e3779b97f4a7c15ULL);
  }
};

// What the graph needs of one span, with names interned to small integers.
struct graph_record {
  trace_id trace;
  span_id parent;
  std::uint32_t service;
  std::uint32_t peer;  // no_peer when absent
  span_kind kind;
  bool error;
  bool calls_out = false;  // has a child in another service
  duration_ns duration;
};

inline constexpr std::uint32_t no_peer = 0xffffffff;

}  // namespace detail

template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
service_graph build_service_graph(R&& spans, const service_graph_options& options) {
  std::vector<std::string> names;
  detail::string_map<std::uint32_t> ids;
  auto intern = [&](std::string_view name) {
    return detail::entry(ids, name, [&] {
      names.emplace_back(name);
      return static_cast<std::uint32_t>(names.size() - 1);
    });
  };
  std::vector<detail::graph_record> records;
  std::unordered_map<detail::span_address, std::size_t, detail::span_address_hash> by_address;
  std::vector<bool> is_service;
  for (auto&& s : spans) {
    std::uint32_t peer = detail::no_peer;
    if (!options.peer_attribute.empty() && kind_of(s) == span_kind::client)
      visit_attributes(s, [&](attribute_scope where, std::string_view key, const auto& value) {
        if (where != attribute_scope::span || key != options.peer_attribute) return false;
        peer = intern(to_string(value));
        return true;
      });
    std::uint32_t service = intern(service_of(s));
    if (is_service.size() <= service) is_service.resize(service + 1, false);
    is_service[service] = true;
    by_address.emplace(detail::span_address{trace_id_of(s), span_id_of(s)}, records.size());
    records.push_back({trace_id_of(s), parent_id_of(s), service, peer, kind_of(s), status_of(s) == status_code::error,
                       false, duration_of(s)});
  }

  summary_options accumulate;
  accumulate.percentiles = options.percentiles;
  std::unordered_map<std::uint64_t, detail::stats_accumulator> edges;
  auto edge = [&](std::uint32_t from, std::uint32_t to) -> detail::stats_accumulator& {
    auto key = (static_cast<std::uint64_t>(from) << 32) | to;
    auto found = edges.find(key);
    if (found == edges.end()) found = edges.emplace(key, detail::stats_accumulator(accumulate)).first;
    return found->second;
  };
  for (const auto& r : records) {
    if (!r.parent.valid()) continue;
    auto parent = by_address.find({r.trace, r.parent});
    if (parent == by_address.end()) continue;
    auto& p = records[parent->second];
    if (p.service == r.service) continue;
    p.calls_out = true;
    edge(p.service, r.service).add(r.duration, r.error);
  }
  for (const auto& r : records)
    if (r.peer != detail::no_peer && !r.calls_out && r.peer != r.service) edge(r.service, r.peer).add(r.duration, r.error);

  service_graph graph;
  for (std::uint32_t i = 0; i < names.size(); ++i)
    if (i < is_service.size() && is_service[i]) graph.services.push_back(names[i]);
  for (auto& [key, stats] : edges) {
    auto from = static_cast<std::uint32_t>(key >> 32), to = static_cast<std::uint32_t>(key & 0xffffffff);
    graph.edges.push_back({names[from], names[to], stats.finish()});
    if (!(to < is_service.size() && is_service[to])) graph.services.push_back(names[to]);  // untraced peer
  }
  std::ranges::sort(graph.services);
  graph.services.erase(std::unique(graph.services.begin(), graph.services.end()), graph.services.end());
  std::ranges::sort(graph.edges, [](const service_edge& a, const service_edge& b) {
    return std::tie(a.caller, a.callee) < std::tie(b.caller, b.callee);
  });
  return graph;
}

namespace detail {

inline std::string dot_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace detail

inline std::string to_dot(const service_graph& graph) {
  std::string out = "digraph services {\n  rankdir=LR;\n  node [shape=box];\n";
  for (const auto& s : graph.services) out += "  " + detail::dot_quoted(s) + ";\n";
  for (const auto& e : graph.edges) {
    std::string label = std::to_string(e.stats.count) + " calls, " + detail::percent_text(e.stats.error_rate) +
                        " errors, p95 " + format_duration(e.stats.p95);
    out += "  " + detail::dot_quoted(e.caller) + " -> " + detail::dot_quoted(e.callee) + " [label=" +
           detail::dot_quoted(label) + "];\n";
  }
  return out + "}\n";
}

}  // namespace v0
}  // namespace trace
