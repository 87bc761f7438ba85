// The TraceQL commands: `search --where '{ ... }'` (structural queries, pipelines) and
// `metrics QUERY` (series over a time range).

#include <cstdio>
#include <string>
#include <vector>

#include <trace/query/traceql.hpp>
#include <trace/query/traceql/metrics.hpp>
#include <trace/query/traceql/search.hpp>

#include "commands.hpp"

namespace tracectl {

namespace {

trace::traceql::query parse_query(std::string_view where, const std::string& text) {
  try {
    return trace::parse_traceql_query(text);
  } catch (const trace::query_syntax_error& e) {
    std::string indented = "  ";
    for (char c : e.caret()) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    throw usage_error(std::string(where) + ": " + e.what() + "\n" + indented);
  }
}

}  // namespace

bool is_traceql(std::string_view query) {
  std::size_t i = 0;
  while (i < query.size() && (query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '(')) ++i;
  return i < query.size() && query[i] == '{';
}

int run_traceql_search(const arguments& args) {
  for (const char* narrowing : {"service", "name", "status", "kind", "errors", "text"})
    if (args.value(narrowing) || args.flag(narrowing))
      throw usage_error(std::string("--") + narrowing + " does not combine with a TraceQL --where; say it in the query");
  const trace::traceql::query q = parse_query("--where", args.required("where"));
  if (q.metrics) throw usage_error("--where: a metrics query returns series; run it with tracectl metrics");
  const trace::mmap_store store = open_store(args);
  trace::traceql_search_options options;
  options.limit = limit_of(args, 20);
  const auto traces = trace::search_traceql(store, q, options);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& t : traces) {
      w.begin_object()
          .member("trace_id", t.id.to_hex())
          .member("root_service", t.root_service)
          .member("root_name", t.root_name)
          .member("start", t.start)
          .member("duration", t.duration);
      w.key("spansets").begin_array();
      for (const auto& set : t.spansets) {
        w.begin_object().member("matched", set.matched);
        w.key("by").begin_object();
        for (const auto& [label, value] : set.by) w.member(label, value);
        w.end_object();
        w.key("spans").begin_array();
        for (std::size_t k = 0; k < set.spans.size(); ++k) {
          const auto& s = set.spans[k];
          w.begin_object()
              .member("span_id", s.id().to_hex())
              .member("service", std::string(s.service()))
              .member("name", std::string(s.name()))
              .member("start", s.start())
              .member("duration", s.duration());
          if (k < set.selected.size()) {
            w.key("selected").begin_object();
            for (const auto& [field, value] : set.selected[k]) w.member(field, value);
            w.end_object();
          }
          w.end_object();
        }
        w.end_array().end_object();
      }
      w.end_array().end_object();
    }
    w.end_array();
    print_json(out);
  } else if (!traces.empty()) {
    const palette colours{use_colour(stdout)};
    std::vector<std::vector<std::string>> cells{{"TRACE", "START", "ROOT", "DURATION", "MATCHED"}};
    for (const auto& t : traces) {
      std::size_t matched = 0;
      for (const auto& set : t.spansets) matched += set.matched;
      const std::string root = t.root_name.empty() ? "(no root)" : t.root_service + ": " + t.root_name;
      cells.push_back({t.id.to_hex(), format_time(t.start), root, trace::format_duration(t.duration), std::to_string(matched)});
    }
    print(table(cells, colours));
  }
  if (traces.empty()) std::fputs("tracectl search: no matching traces\n", stderr);
  return traces.empty() ? exit_not_found : exit_ok;
}

int run_metrics(const arguments& args) {
  if (args.positional.size() != 1) throw usage_error("metrics needs exactly one QUERY, such as '{ } | rate() by (resource.service.name)'");
  const trace::traceql::query q = parse_query("QUERY", args.positional.front());
  if (!q.metrics) throw usage_error("QUERY has no metrics function: end it with | rate(), | count_over_time(), ...");
  const trace::duration_ns since = args.value("since") ? parse_duration_option("since", *args.value("since")) : trace::hour;
  const trace::duration_ns step = args.value("step") ? parse_duration_option("step", *args.value("step")) : since / 60;
  if (step == 0) throw usage_error("--step must be more than 0");
  trace::traceql_metrics_range range;
  range.end = now_of(args);
  range.start = range.end > since ? range.end - since : 0;
  range.step = step;
  range.exact_quantiles = args.flag("exact");
  const trace::mmap_store store = open_store(args);
  const auto series = trace::traceql_metrics(store, q, range);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& s : series) {
      w.begin_object();
      w.key("labels").begin_object();
      for (const auto& [label, value] : s.labels) w.member(label, value);
      w.end_object();
      w.key("points").begin_array();
      for (const auto& [t, v] : s.points) w.begin_array().number(static_cast<std::uint64_t>(t)).number(v).end_array();
      w.end_array().end_object();
    }
    w.end_array();
    print_json(out);
  } else {
    std::string text;
    for (const auto& s : series) {
      std::string labels;
      for (const auto& [label, value] : s.labels) labels += (labels.empty() ? "" : ", ") + label + "=\"" + value + "\"";
      text += "{" + labels + "}\n";
      for (const auto& [t, v] : s.points) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", v);
        text += "  " + format_time(t) + "  " + value + "\n";
      }
    }
    print(text);
  }
  if (series.empty()) std::fputs("tracectl metrics: no matching spans in the range\n", stderr);
  return series.empty() ? exit_not_found : exit_ok;
}

}  // namespace tracectl
