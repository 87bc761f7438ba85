// Quickstart: record one small multi-service trace in memory, print it as a tree, list the
// slow spans of one service, and summarise the store.

#include <trace/trace.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

// Fixed ids and times, so that the output is the same on every run.
trace::span make_span(const char* service, const char* operation, std::uint64_t id, std::uint64_t parent,
                      trace::timestamp_ns start_ms, trace::timestamp_ns end_ms) {
  trace::span s;
  s.trace = trace::trace_id::parse("4bf92f3577b34da6a3ce929d0e0e4736");
  s.id = trace::span_id{id};
  s.parent = trace::span_id{parent};
  s.name = operation;
  s.resource.service_name = service;
  s.start = 1'700'000'000'000'000'000 + start_ms * trace::millisecond;
  s.end = 1'700'000'000'000'000'000 + end_ms * trace::millisecond;
  s.kind = parent ? trace::span_kind::internal : trace::span_kind::server;
  return s;
}

}  // namespace

int main() {
  std::vector<trace::span> spans{
      make_span("frontend", "GET /checkout", 1, 0, 0, 120),
      make_span("auth", "authorize", 2, 1, 5, 17),
      make_span("cart", "load cart", 3, 1, 18, 40),
      make_span("cart", "SELECT items", 4, 3, 20, 38),
      make_span("payments", "charge", 5, 1, 41, 115),
      make_span("payments", "fraud check", 6, 5, 43, 60),
      make_span("payments", "call bank", 7, 5, 61, 113),
  };
  spans[0].status = {trace::status_code::ok, ""};
  spans[6].status = {trace::status_code::error, "card declined"};
  spans[6].attributes.set("http.status_code", std::int64_t{402});
  spans[6].events.push_back({spans[6].end, "retry exhausted", {{"attempts", std::int64_t{3}}}, trace::event_level::warn});

  trace::memory_store store;
  store.append(spans);

  // 1. The trace as a tree.
  auto tree = trace::build_tree(store.find_trace(spans[0].trace));
  std::cout << "== trace " << spans[0].trace.to_hex() << " (" << tree.size() << " spans, depth "
            << tree.depth() << ")\n"
            << trace::render_text(tree, {.show_service = true, .show_self_time = true, .bar_width = 24});

  std::cout << "\n== critical path\n";
  for (const auto& segment : tree.critical_path())
    std::cout << "  " << trace::name_of(tree.span_at(segment.node)) << "  "
              << trace::format_duration(segment.end - segment.start) << '\n';

  // 2. A filtered span list: payments spans slower than 20 ms, slowest first.
  using namespace trace::where;
  trace::span_query slow_payments{service("payments") && min_duration(20 * trace::millisecond),
                                  trace::span_order::duration_descending};
  std::cout << "\n== payments spans >= 20ms\n";
  for (const auto& s : trace::select_spans(store.scan(), slow_payments))
    std::cout << "  " << s.name() << "  " << trace::format_duration(s.duration()) << "  "
              << trace::to_string(s.status()) << '\n';

  // 3. A summary of everything in the store.
  auto report = trace::summarize(store);
  std::cout << "\n== summary\n"
            << "  spans " << report.spans.count << ", traces " << report.trace_count << ", errors "
            << report.spans.errors << '\n'
            << "  p50 " << trace::format_duration(report.spans.p50) << ", p95 "
            << trace::format_duration(report.spans.p95) << ", max " << trace::format_duration(report.spans.max)
            << '\n';
  for (const auto& service : report.services)
    std::cout << "  " << service.service << ": " << service.stats.count << " spans, p95 "
              << trace::format_duration(service.stats.p95) << '\n';
  for (const auto& op : report.top_error_operations)
    std::cout << "  errors in " << op.service << "/" << op.operation << ": " << op.errors << '\n';
}
