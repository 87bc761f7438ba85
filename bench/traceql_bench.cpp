// TraceQL beside the plain code a user would write for the same question, on the memory
// store (1M spans of bench/workload.hpp by default):
//
//   structural  { kind = server } >> { status = error }         error spans under a server span
//   pipeline    { service = "checkout" } | count() > 3         traces with more than 3 checkout spans
//   metrics     { } | quantile_over_time(duration, .99) by (resource.service.name), 60 steps
//
// Each is timed (best of the repetitions) and its answer compared with the plain loop's; a
// disagreement fails the run. Figures only: the ratio is TraceQL's time over the loop's.
//
//   traceql-bench [--spans N] [--repeat R] [--smoke]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <trace/analytics/sketch.hpp>
#include <trace/query/traceql.hpp>
#include <trace/query/traceql/metrics.hpp>
#include <trace/query/traceql/search.hpp>
#include <trace/store/memory.hpp>

#include "workload.hpp"

namespace {

double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

int failures = 0;

void report(const char* name, double ours, double plain, bool agree) {
  std::printf("%-12s traceql %9.3f ms   plain loop %9.3f ms   ratio %6.2fx%s\n", name, ours * 1e3, plain * 1e3,
              ours / plain, agree ? "" : "   ANSWERS DIFFER");
  if (!agree) ++failures;
}

// One span as the plain loops read it.
struct row {
  trace::span_id id, parent;
  trace::span_kind kind;
  trace::status_code status;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t spans = 1'000'000;
  int repeat = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") {
      spans = 20'000;
      repeat = 1;
    } else if (arg == "--spans" && i + 1 < argc) {
      spans = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: traceql-bench [--spans N] [--repeat R] [--smoke]\n");
      return 2;
    }
  }
  bench::workload_config config;
  config.spans = spans;
  const bench::workload data = bench::generate(config);
  trace::memory_store store;
  store.append(data.spans);
  std::printf("traceql-bench: %zu spans, %zu traces, best of %d\n", store.size(), data.trace_ids.size(), repeat);

  trace::traceql_search_options all;
  all.limit = std::numeric_limits<std::size_t>::max();
  all.spans_per_spanset = std::numeric_limits<std::size_t>::max();

  // ---- structural ----
  {
    const auto q = trace::parse_traceql_query("{ kind = server } >> { status = error }");
    std::size_t ours = 0, plain = 0;
    const double t_ours = best_seconds(repeat, [&] {
      ours = 0;
      for (const auto& t : trace::search_traceql(store, q, all))
        for (const auto& set : t.spansets) ours += set.matched;
    });
    const double t_plain = best_seconds(repeat, [&] {
      plain = 0;
      std::unordered_map<trace::trace_id, std::vector<row>> traces;
      for (const auto& s : store.scan()) traces[s.trace()].push_back({s.id(), s.parent(), s.kind(), s.status()});
      for (const auto& [id, rows] : traces) {
        std::unordered_map<trace::span_id, const row*> by_id;
        for (const row& r : rows) by_id.emplace(r.id, &r);
        for (const row& r : rows) {
          if (r.status != trace::status_code::error) continue;
          for (auto up = by_id.find(r.parent); up != by_id.end(); up = by_id.find(up->second->parent))
            if (up->second->kind == trace::span_kind::server) {
              ++plain;
              break;
            }
        }
      }
    });
    report("structural", t_ours, t_plain, ours == plain);
  }

  // ---- pipeline ----
  {
    const auto q = trace::parse_traceql_query("{ service = \"checkout\" } | count() > 3");
    std::size_t ours = 0, plain = 0;
    const double t_ours = best_seconds(repeat, [&] { ours = trace::search_traceql(store, q, all).size(); });
    const double t_plain = best_seconds(repeat, [&] {
      std::unordered_map<trace::trace_id, std::size_t> counts;
      for (const auto& s : store.scan())
        if (s.service() == "checkout") ++counts[s.trace()];
      plain = 0;
      for (const auto& [id, n] : counts) plain += n > 3;
    });
    report("pipeline", t_ours, t_plain, ours == plain);
  }

  // ---- metrics ----
  {
    const auto q = trace::parse_traceql_query("{ } | quantile_over_time(duration, .99) by (resource.service.name)");
    trace::timestamp_ns first = std::numeric_limits<trace::timestamp_ns>::max(), last = 0;
    for (const auto& s : store.scan()) {
      first = std::min(first, s.start());
      last = std::max(last, s.start());
    }
    trace::traceql_metrics_range range;
    range.start = first;
    range.step = (last - first) / 60 + 1;
    range.end = first + 60 * range.step;
    std::vector<trace::traceql_series> ours;
    std::map<std::string, std::vector<trace::quantile_sketch>> plain;
    const double t_ours = best_seconds(repeat, [&] { ours = trace::traceql_metrics(store, q, range); });
    const double t_plain = best_seconds(repeat, [&] {
      plain.clear();
      for (const auto& s : store.scan()) {
        auto& row = plain[std::string(s.service())];
        if (row.empty()) row.resize(60);
        row[(s.start() - range.start) / range.step].add(static_cast<double>(s.duration()) / 1e9);
      }
    });
    bool agree = ours.size() == plain.size();
    for (const auto& series : ours) {
      const auto& sketches = plain[series.labels.front().second];
      for (const auto& [t, v] : series.points)
        agree = agree && std::fabs(sketches[(t - range.start) / range.step].quantile(0.99) - v) <= 1e-9 * std::fabs(v);
    }
    report("metrics", t_ours, t_plain, agree);
  }
  return failures == 0 ? 0 : 1;
}
