// The reading commands: trace, spans, search, services, operations, stats, anomalies.

#include <algorithm>
#include <charconv>
#include <limits>
#include <tuple>
#include <cstdio>
#include <string>
#include <vector>

#include <trace/analytics/anomaly.hpp>
#include <trace/analytics/group_by.hpp>
#include <trace/analytics/store_group_by.hpp>
#include <trace/analytics/summary.hpp>
#include <trace/query/span_query.hpp>
#include <trace/query/trace_search.hpp>
#include <trace/tree/render.hpp>
#include <trace/tree/trace_tree.hpp>

#include "commands.hpp"

namespace tracectl {

std::size_t limit_of(const arguments& args, std::size_t fallback) {
  auto text = args.value("limit");
  if (!text) return fallback;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size())
    throw usage_error("--limit " + *text + ": expected a whole number (0: no limit)");
  return n == 0 ? std::numeric_limits<std::size_t>::max() : n;
}

// Left-aligned columns; the last column is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows, const palette& colours, bool header) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], row[c].size());
    }
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      line += rows[r][c];
      if (c + 1 < rows[r].size()) line.append(widths[c] - rows[r][c].size() + 2, ' ');
    }
    out += (header && r == 0 ? colours.bold(line) : line) + "\n";
  }
  return out;
}

namespace {

std::string percent(double fraction) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", fraction * 100);
  return text;
}

std::vector<trace::mmap_span> matching(const trace::mmap_store& store, const trace::filter& f) {
  std::vector<trace::mmap_span> out;
  for (trace::mmap_span s : store.scan())
    if (trace::matches(f, s)) out.push_back(s);
  return out;
}

void write_stats_json(trace::json::writer& w, const trace::span_stats& s) {
  w.member("count", s.count).member("errors", s.errors).member("error_rate", s.error_rate);
  w.member("min", s.min).member("max", s.max).member("average", s.average);
  w.member("p50", s.p50).member("p95", s.p95).member("p99", s.p99);
}

std::vector<std::string> stats_cells(const trace::span_stats& s) {
  return {std::to_string(s.count), std::to_string(s.errors), percent(s.error_rate), trace::format_duration(s.p50),
          trace::format_duration(s.p95), trace::format_duration(s.p99), trace::format_duration(s.max)};
}
const std::vector<std::string> stats_header{"SPANS", "ERRORS", "ERROR%", "P50", "P95", "P99", "MAX"};

}  // namespace

int run_trace(const arguments& args) {
  if (args.positional.size() != 1) throw usage_error("trace needs exactly one trace ID");
  const trace::trace_id id = parse_trace_id_argument(args.positional[0]);
  const trace::mmap_store store = open_store(args);
  std::vector<trace::span> spans;
  for (const trace::mmap_span& s : store.find_trace(id)) spans.push_back(s.materialize());
  if (spans.empty()) {
    std::fprintf(stderr, "tracectl trace: no trace %s in %s\n", id.to_hex().c_str(), store.options().path.c_str());
    return exit_not_found;
  }
  const auto tree = trace::build_tree(spans);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_object().member("trace_id", id.to_hex()).key("spans").begin_array();
    tree.depth_first([&](std::size_t i, std::uint32_t depth) { write_span_json(w, tree.span_at(i), depth); });
    for (std::size_t i = 0; i < tree.size(); ++i)  // sharing an id with a drawn span: still spans of the trace
      if (!tree.node_at(i).in_tree) write_span_json(w, tree.span_at(i), tree.node_at(tree.find(tree.span_at(i).id)).depth);
    w.end_array().key("issues").begin_array();
    for (const auto& issue : tree.issues()) w.string(std::string(trace::to_string(issue.kind)));
    w.end_array().key("comments");
    write_comments_json(w, comments_of(args, id, false));
    w.end_object();
    print_json(out);
    return exit_ok;
  }
  trace::render_options options;
  options.bar_width = 40;
  if (auto width = args.value("bar-width")) {
    try {
      options.bar_width = static_cast<unsigned>(std::stoul(*width));
    } catch (const std::exception&) {
      throw usage_error("--bar-width " + *width + ": expected a whole number (0: no bars)");
    }
  }
  std::string text = trace::render_text(tree, options);
  // The tree draws one span per id; the others (Zipkin's shared client and server halves)
  // are named below it, so the trace shows as many spans as search and stats count.
  for (std::size_t i = 0; i < tree.size(); ++i) {
    if (tree.node_at(i).in_tree) continue;
    const trace::span& s = tree.span_at(i);
    text += "+ " + s.name + " (" + s.resource.service_name + ") " + trace::format_duration(s.duration()) + " " +
            std::string(trace::to_string(s.kind)) + ", sharing span id " + s.id.to_hex() + " with a span above\n";
  }
  const palette colours{use_colour(stdout)};
  if (colours.on) {  // the renderer writes plain text; errors are picked out afterwards
    std::string painted;
    std::size_t from = 0;
    while (from < text.size()) {
      std::size_t end = text.find('\n', from);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(from, end - from);
      if (line.find(" ERROR") != std::string::npos) line = colours.red(line);
      painted += line + "\n";
      from = end + 1;
    }
    text = painted;
  }
  print(text + comments_text(comments_of(args, id, false)));
  return exit_ok;
}

int run_spans(const arguments& args) {
  const trace::mmap_store store = open_store(args);
  trace::span_query q;
  q.where = filter_of(args);
  q.limit = limit_of(args, 100);
  const std::string order = args.value("order").value_or("oldest");
  if (order == "oldest") q.order = trace::span_order::start_ascending;
  else if (order == "newest") q.order = trace::span_order::start_descending;
  else if (order == "slowest") q.order = trace::span_order::duration_descending;
  else throw usage_error("--order " + order + ": expected oldest, newest or slowest");
  const auto hits = trace::select_spans(store.scan(), q);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& s : hits) write_span_json(w, s.materialize());
    w.end_array();
    print_json(out);
  } else if (!hits.empty()) {
    const palette colours{use_colour(stdout)};
    std::vector<std::vector<std::string>> rows{{"START", "TRACE", "SPAN", "SERVICE", "NAME", "DURATION", "STATUS"}};
    for (const auto& s : hits)
      rows.push_back({format_time(s.start()), s.trace().to_hex(), s.id().to_hex(), std::string(s.service()),
                      std::string(s.name()), trace::format_duration(s.duration()),
                      std::string(trace::to_string(s.status()))});
    print(table(rows, colours));
  }
  if (hits.empty()) std::fputs("tracectl spans: no matching spans\n", stderr);
  return hits.empty() ? exit_not_found : exit_ok;
}

int run_search(const arguments& args) {
  if (auto where = args.value("where"); where && is_traceql(*where)) return run_traceql_search(args);
  const trace::mmap_store store = open_store(args);
  trace::trace_query q;
  q.where = filter_of(args);
  q.limit = limit_of(args, 20);
  if (args.flag("errors")) q.has_errors = true;
  const auto traces = trace::find_traces(store, q);
  struct found {
    trace::trace_id id;
    std::string root, service;
    trace::timestamp_ns start = 0;
    trace::duration_ns duration = 0;
    std::size_t spans = 0, errors = 0;
  };
  std::vector<found> rows;
  for (const auto& spans : traces) {
    if (spans.empty()) continue;  // a trace with no spans has nothing to show (the store's checks keep this from happening)
    found f;
    f.id = spans.front().trace();
    trace::timestamp_ns first = std::numeric_limits<trace::timestamp_ns>::max(), last = 0;
    const trace::mmap_span* root = nullptr;
    for (const auto& s : spans) {
      first = std::min(first, s.start());
      last = std::max(last, s.end());
      if (s.status() == trace::status_code::error) ++f.errors;
      // The root: a span without a parent, else the earliest span.
      if (!root || (!s.parent().valid() && root->parent().valid()) ||
          (s.parent().valid() == root->parent().valid() && s.start() < root->start()))
        root = &s;
    }
    f.root = std::string(root->name());
    f.service = std::string(root->service());
    f.start = first;
    f.duration = last - first;
    f.spans = spans.size();
    rows.push_back(std::move(f));
  }
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& f : rows)
      w.begin_object()
          .member("trace_id", f.id.to_hex())
          .member("root_service", f.service)
          .member("root_name", f.root)
          .member("start", f.start)
          .member("duration", f.duration)
          .member("spans", f.spans)
          .member("errors", f.errors)
          .end_object();
    w.end_array();
    print_json(out);
  } else if (!rows.empty()) {
    const palette colours{use_colour(stdout)};
    std::vector<std::vector<std::string>> cells{{"TRACE", "START", "ROOT", "DURATION", "SPANS", "ERRORS"}};
    for (const auto& f : rows)
      cells.push_back({f.id.to_hex(), format_time(f.start), f.service + ": " + f.root, trace::format_duration(f.duration),
                       std::to_string(f.spans), std::to_string(f.errors)});
    print(table(cells, colours));
  }
  if (rows.empty()) std::fputs("tracectl search: no matching traces\n", stderr);
  return rows.empty() ? exit_not_found : exit_ok;
}

int run_services(const arguments& args) {
  const trace::mmap_store store = open_store(args);
  const auto report = trace::summarize(matching(store, filter_of(args)));
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& s : report.services) {
      w.begin_object().member("service", s.service);
      write_stats_json(w, s.stats);
      w.end_object();
    }
    w.end_array();
    print_json(out);
  } else if (!report.services.empty()) {
    std::vector<std::vector<std::string>> rows{{"SERVICE"}};
    rows[0].insert(rows[0].end(), stats_header.begin(), stats_header.end());
    for (const auto& s : report.services) {
      rows.push_back({s.service});
      auto cells = stats_cells(s.stats);
      rows.back().insert(rows.back().end(), cells.begin(), cells.end());
    }
    print(table(rows, palette{use_colour(stdout)}));
  }
  if (report.services.empty()) std::fputs("tracectl services: no spans\n", stderr);
  return report.services.empty() ? exit_not_found : exit_ok;
}

int run_operations(const arguments& args) {
  const trace::mmap_store store = open_store(args);
  const auto report = trace::summarize(matching(store, filter_of(args)));
  auto operations = report.operations;
  std::sort(operations.begin(), operations.end(), [](const auto& a, const auto& b) {
    return std::tie(a.service, a.operation) < std::tie(b.service, b.operation);
  });
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& o : operations) {
      w.begin_object().member("service", o.service).member("operation", o.operation);
      write_stats_json(w, o.stats);
      w.end_object();
    }
    w.end_array();
    print_json(out);
  } else if (!operations.empty()) {
    std::vector<std::vector<std::string>> rows{{"SERVICE", "OPERATION"}};
    rows[0].insert(rows[0].end(), stats_header.begin(), stats_header.end());
    for (const auto& o : operations) {
      rows.push_back({o.service, o.operation});
      auto cells = stats_cells(o.stats);
      rows.back().insert(rows.back().end(), cells.begin(), cells.end());
    }
    print(table(rows, palette{use_colour(stdout)}));
  }
  if (operations.empty()) std::fputs("tracectl operations: no spans\n", stderr);
  return operations.empty() ? exit_not_found : exit_ok;
}

int run_stats(const arguments& args) {
  const trace::mmap_store store = open_store(args);
  trace::filter f = filter_of(args);
  if (auto last = args.value("last")) {
    const trace::duration_ns window = parse_duration_option("last", *last);
    const trace::timestamp_ns now = now_of(args);
    f = std::move(f) && trace::where::started_between(now > window ? now - window : 0, now);
  }
  trace::group_by_options options;
  options.order = trace::group_order::key;
  std::string by = args.value("by").value_or("");
  if (by == "service") options.keys = {trace::by::service()};
  else if (by == "operation") options.keys = {trace::by::service(), trace::by::operation()};
  else if (by == "status") options.keys = {trace::by::status()};
  else if (!by.empty()) throw usage_error("--by " + by + ": expected service, operation or status");
  if (auto bucket = args.value("bucket")) options.bucket = parse_duration_option("bucket", *bucket);
  const auto page = trace::group_spans(store, options, f);  // the store's columns, not span by span
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& row : page.rows) {
      w.begin_object();
      if (options.bucket) w.member("bucket", format_time(row.bucket_start));
      if (!by.empty()) {
        w.key("key").begin_array();
        for (const auto& k : row.key) w.string(k);
        w.end_array();
      }
      write_stats_json(w, row.stats);
      w.end_object();
    }
    w.end_array();
    print_json(out);
  } else if (!page.rows.empty()) {
    std::vector<std::vector<std::string>> rows(1);
    if (options.bucket) rows[0].push_back("BUCKET");
    if (!by.empty()) rows[0].push_back(by == "operation" ? "SERVICE: OPERATION" : by == "status" ? "STATUS" : "SERVICE");
    rows[0].insert(rows[0].end(), stats_header.begin(), stats_header.end());
    for (const auto& row : page.rows) {
      std::vector<std::string> cells;
      if (options.bucket) cells.push_back(format_time(row.bucket_start));
      if (!by.empty()) {
        std::string key;
        for (const auto& k : row.key) key += (key.empty() ? "" : ": ") + k;
        cells.push_back(key);
      }
      auto stats = stats_cells(row.stats);
      cells.insert(cells.end(), stats.begin(), stats.end());
      rows.push_back(std::move(cells));
    }
    print(table(rows, palette{use_colour(stdout)}));
  }
  if (page.rows.empty()) std::fputs("tracectl stats: no matching spans\n", stderr);
  return page.rows.empty() ? exit_not_found : exit_ok;
}

int run_anomalies(const arguments& args) {
  const trace::mmap_store store = open_store(args);
  const trace::duration_ns current = parse_duration_option("current", args.value("current").value_or("15m"));
  const trace::duration_ns baseline = parse_duration_option("baseline", args.value("baseline").value_or("24h"));
  const trace::timestamp_ns now = now_of(args);
  if (now < current + baseline) throw usage_error("--current and --baseline reach back before 1970");
  const trace::time_window now_window{now - current, now};
  const trace::time_window before{now - current - baseline, now - current};
  trace::anomaly_options options;
  options.per_operation = args.flag("per-operation");
  const auto found = trace::detect_anomalies(matching(store, filter_of(args)), now_window, before, options);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& a : found) {
      w.begin_object().member("service", a.service);
      if (!a.operation.empty()) w.member("operation", a.operation);
      w.member("kind", trace::to_string(a.kind)).member("severity", trace::to_string(a.severity));
      w.member("current", a.current).member("baseline", a.baseline).member("description", a.description);
      w.end_object();
    }
    w.end_array();
    print_json(out);
    return exit_ok;
  }
  const palette colours{use_colour(stdout)};
  if (found.empty()) print("no anomalies: " + format_time(now_window.from) + " .. " + format_time(now) +
                           " against the " + trace::format_duration(baseline) + " before\n");
  for (const auto& a : found) {
    const std::string severity = std::string(trace::to_string(a.severity));
    print((a.severity == trace::anomaly_severity::high ? colours.red(severity) : severity) + "  " + a.description + "\n");
  }
  return exit_ok;
}

}  // namespace tracectl
