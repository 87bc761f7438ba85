// memory-store-bench: the memory store alone, on trace-bench's workload, in seconds rather
// than trace-bench's minutes: ingest rate (10k-span batches), bytes per span by part
// (memory_usage(), beside the heap's growth), and the filtered count, filtered search and
// group-by (service, operation) beside the plain scans that answer them (bench/limits.hpp),
// each query and its plain scan timed in alternation. Figures, never assertions; answers are
// checked against the plain scans (exit 2 when they differ).
//
//   memory-store-bench [--spans N] [--reps R] [--cpu-time] [--smoke] [--only ingest|search]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>


#include "limits.hpp"
#include "trace/analytics/store_group_by.hpp"
#include "trace/query.hpp"
#include "trace/store/memory.hpp"
#include "workload.hpp"

namespace {

struct options {
  std::size_t spans = 1'000'000;
  int reps = 5;
  std::string only;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The median time of ours and of the plain scan, and the range of their ratio repetition by
// repetition (each pair ran back to back, so a burst of load shows in one ratio, not all).
void report(const char* what, const std::vector<double>& ours, const std::vector<double>& plain) {
  double low = 1e300, high = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    low = std::min(low, ours[i] / plain[i]);
    high = std::max(high, ours[i] / plain[i]);
  }
  std::printf("%s: %.3f ms, plain scan %.3f ms (%.2fx; per repetition %.2fx .. %.2fx)\n", what, median(ours), median(plain),
              median(ours) / median(plain), low, high);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "memory-store-bench: answers differ: %s\n", what.c_str());
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--spans" && has_value) o.spans = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--reps" && has_value) o.reps = std::atoi(argv[++i]);
    else if (arg == "--only" && has_value) o.only = argv[++i];
    else if (arg == "--cpu-time") bench::bench_clock::cpu_time = true;
    else if (arg == "--smoke") o.spans = 20'000, o.reps = 2;
    else {
      std::fprintf(stderr, "usage: memory-store-bench [--spans N] [--reps R] [--cpu-time] [--smoke] [--only ingest|search]\n");
      std::exit(64);
    }
  }
  if (o.spans == 0 || o.reps < 1) {
    std::fprintf(stderr, "memory-store-bench: --spans and --reps must be positive\n");
    std::exit(64);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  const bench::workload data = bench::generate({42, opt.spans, 0.015});
  const std::vector<trace::span>& spans = data.spans;
  const double n = static_cast<double>(spans.size());
  std::printf("memory-store-bench: %zu spans in %zu traces, %d repetitions, %s time\n", spans.size(),
              data.trace_ids.size(), opt.reps, bench::bench_clock::cpu_time ? "CPU" : "wall");

  std::unique_ptr<trace::memory_store> store;
  std::vector<double> rates;
  std::size_t heap_growth = 0;
  for (int rep = 0; rep < (opt.only == "search" ? 1 : opt.reps); ++rep) {
    store.reset();
    const std::size_t heap_before = bench::heap_in_use();
    auto fresh = std::make_unique<trace::memory_store>();
    const auto start = bench::bench_clock::now();
    for (std::size_t begin = 0; begin < spans.size(); begin += 10'000)
      fresh->append(std::span<const trace::span>(spans.data() + begin, std::min<std::size_t>(10'000, spans.size() - begin)));
    rates.push_back(n / bench::seconds_since(start));
    heap_growth = bench::heap_in_use() - heap_before;
    store = std::move(fresh);
  }
  const trace::memory_store_usage usage = store->memory_usage();
  std::printf("ingest: %.0f spans/s (median; %.0f .. %.0f), %.1f ns/span\n", median(rates),
              *std::min_element(rates.begin(), rates.end()), *std::max_element(rates.begin(), rates.end()),
              1e9 / median(rates));
  std::printf("bytes/span: heap growth %.1f; memory_usage %.1f = columns %.1f + attributes %.1f + long texts %.1f + "
              "extras %.1f + strings %.1f + traces %.1f + resources %.1f\n",
              static_cast<double>(heap_growth) / n, static_cast<double>(usage.total()) / n,
              static_cast<double>(usage.columns) / n, static_cast<double>(usage.attributes) / n,
              static_cast<double>(usage.long_texts) / n, static_cast<double>(usage.extras) / n,
              static_cast<double>(usage.strings) / n, static_cast<double>(usage.traces) / n,
              static_cast<double>(usage.resources) / n);
  if (opt.only == "ingest") return 0;

  const bench::plain_columns plain(spans);
  using namespace trace::where;
  const std::string operation_name = bench::operation_name(0, 0);
  const std::string service_name = bench::service_names()[3];
  const std::string tenant = bench::tenant_name(9);
  const trace::filter count_filter = status(trace::status_code::error) && operation(operation_name);
  trace::trace_query query;
  query.where = service(service_name) && attribute("tenant") == tenant;
  query.limit = 100;
  const std::uint32_t plain_operation = bench::plain_columns::find(plain.operation_names, operation_name);
  const std::uint32_t plain_service = bench::plain_columns::find(plain.service_names, service_name);
  const std::uint32_t plain_tenant = bench::plain_columns::find(plain.tenant_names, tenant);

  trace::group_by_options grouping;  // as trace-bench asks: count, errors, average; no percentiles
  grouping.keys = {trace::by::service(), trace::by::operation()};
  grouping.percentiles = trace::percentile_method::none;

  std::vector<double> count_ours, count_plain, search_ours, search_plain, group_ours, group_plain;
  for (int rep = 0; rep < opt.reps; ++rep) {
    auto start = bench::bench_clock::now();
    const std::size_t ours = trace::count_matching(*store, count_filter);
    count_ours.push_back(bench::seconds_since(start) * 1e3);
    start = bench::bench_clock::now();
    const std::size_t expected = plain.count_errors(plain_operation);
    count_plain.push_back(bench::seconds_since(start) * 1e3);
    if (ours != expected) fail("filtered count " + std::to_string(ours) + " / " + std::to_string(expected));

    start = bench::bench_clock::now();
    const auto traces = trace::find_traces(*store, query);
    std::uint64_t sum = 0;
    for (const auto& t : traces)
      for (const auto& s : t) sum += s.id().value() + s.start();
    search_ours.push_back(bench::seconds_since(start) * 1e3);
    start = bench::bench_clock::now();
    const auto plain_traces = plain.search(plain_service, plain_tenant, 100);
    std::uint64_t plain_sum = 0;
    for (const auto& id : plain_traces) plain_sum += plain.lookup(id);
    search_plain.push_back(bench::seconds_since(start) * 1e3);
    bench::keep(sum + plain_sum);
    if (traces.size() != plain_traces.size()) fail("filtered search: trace count");
    for (std::size_t i = 0; i < traces.size(); ++i)
      if (traces[i].empty() || traces[i].front().trace() != plain_traces[i]) fail("filtered search: trace #" + std::to_string(i));

    start = bench::bench_clock::now();
    const trace::group_page groups = trace::group_spans(*store, grouping);
    group_ours.push_back(bench::seconds_since(start) * 1e3);
    start = bench::bench_clock::now();
    const auto plain_groups = plain.group_by();
    group_plain.push_back(bench::seconds_since(start) * 1e3);
    std::size_t plain_nonempty = 0;
    for (const auto& g : plain_groups) plain_nonempty += g.count != 0;
    if (groups.rows.size() != plain_nonempty) fail("group-by: group count");
    for (const auto& row : groups.rows) {
      const std::uint32_t s = bench::plain_columns::find(plain.service_names, row.key[0]);
      const std::uint32_t o = bench::plain_columns::find(plain.operation_names, row.key[1]);
      if (s == ~0u || o == ~0u) fail("group-by: unknown key " + row.key[0] + " / " + row.key[1]);
      const auto& expected = plain_groups[s * plain.operation_names.size() + o];
      if (row.stats.count != expected.count || row.stats.errors != expected.errors)
        fail("group-by: counts of " + row.key[0] + " / " + row.key[1]);
    }
  }
  report("filtered count", count_ours, count_plain);
  report("filtered search", search_ours, search_plain);
  report("group-by", group_ours, group_plain);
  return 0;
}
