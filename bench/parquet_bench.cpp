// Parquet beside the mmap store, in one run: bytes per span (Parquet uncompressed and snappy,
// the store's sealed segments, default size), write and read throughput, and GROUP BY service with p50/p99
// asked of the store, whose answer is printed for DuckDB's to be compared
// (`node tests/interop/parquet.mjs query FILE` times DuckDB over the file written here).
// Then the store's cold tier: its sealed segments moved into Parquet files (move_to_cold),
// and the same three questions asked of them as of the sealed segments: GROUP BY service,
// a count in a 1% time window of one service (row groups pruned by their statistics), and
// 1000 trace lookups. The answers must be equal. Asked of the cold tier twice: first on a
// store just opened (the question decodes the row groups it reads), then again (they stay
// decoded while the store is open).
//
//   parquet-bench [spans=1000000] [repeats=3] [--smoke] [--keep FILE]
//
// CPU time, best of `repeats` (the machine may be shared); ratios against the store's
// append of the same spans (write) and its scan (read).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "trace/analytics/store_group_by.hpp"
#include "trace/io/parquet.hpp"
#include "trace/query/span_query.hpp"
#include "trace/store/mmap.hpp"
#include "workload.hpp"

namespace {

double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string write_parquet(const std::vector<trace::span>& spans, trace::parquet::compression codec) {
  std::ostringstream out;
  trace::parquet::writer w(out, {.row_group_rows = 100'000, .codec = codec});
  for (const auto& s : spans) w.write(s);
  w.close();
  return std::move(out).str();
}

// The questions asked of both tiers, and their answers.
struct tier_answers {
  trace::group_page groups;
  std::size_t in_window = 0, looked_up = 0;
  bool operator==(const tier_answers& o) const {
    if (in_window != o.in_window || looked_up != o.looked_up || groups.rows.size() != o.groups.rows.size()) return false;
    for (std::size_t i = 0; i < groups.rows.size(); ++i)
      if (groups.rows[i].key != o.groups.rows[i].key || groups.rows[i].stats.count != o.groups.rows[i].stats.count ||
          groups.rows[i].stats.p99 != o.groups.rows[i].stats.p99)
        return false;
    return true;
  }
};
struct tier_times {
  double group = 1e300, window = 1e300, one_lookup = 1e300, lookups = 1e300;
};

// Asks the three questions of `store`; with `fresh`, each of a read-only store opened anew
// (not timed), so that nothing is decoded before the question.
void ask(const trace::mmap_store& store, bool fresh, const trace::cold_pruning& window,
         const std::vector<trace::trace_id>& ids, tier_answers& a, tier_times& t) {
  auto options = store.options();
  options.mode = trace::open_mode::read_only;
  std::optional<trace::mmap_store> reopened;
  auto target = [&]() -> const trace::mmap_store& {
    if (!fresh) return store;
    reopened.reset();
    reopened.emplace(options);
    return *reopened;
  };
  const trace::mmap_store* s = &target();
  double start = cpu_now();
  a.groups = trace::group_spans(*s, trace::group_by_options{.keys = {trace::by::service()}, .order = trace::group_order::key});
  t.group = std::min(t.group, cpu_now() - start);
  s = &target();
  start = cpu_now();
  using namespace trace::where;
  a.in_window = trace::count_matching(s->read(window).scan(),
                                      service(window.service) && started_between(window.window.begin, window.window.end - 1));
  t.window = std::min(t.window, cpu_now() - start);
  s = &target();
  start = cpu_now();
  a.looked_up = s->find_trace(ids.front()).size();  // alone: on the cold tier, one row group decoded per file
  t.one_lookup = std::min(t.one_lookup, cpu_now() - start);
  s = &target();
  start = cpu_now();
  a.looked_up = 0;
  for (const auto& id : ids) a.looked_up += s->find_trace(id).size();
  t.lookups = std::min(t.lookups, cpu_now() - start);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 1'000'000;
  int repeats = 3;
  std::string keep;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") count = 20'000, repeats = 1;
    else if (arg == "--keep" && i + 1 < argc) keep = argv[++i];
    else positional.push_back(arg);
  }
  if (!positional.empty()) count = std::strtoull(positional[0].c_str(), nullptr, 10);
  if (positional.size() > 1) repeats = std::atoi(positional[1].c_str());
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "trace-parquet-bench";
  const std::vector<trace::span> spans = bench::generate({42, count, 0.015}).spans;

  double append_s = 1e300, scan_s = 1e300, group_s = 1e300;
  double write_plain_s = 1e300, write_snappy_s = 1e300, read_plain_s = 1e300, read_snappy_s = 1e300;
  std::uint64_t segment_bytes = 0;
  std::string plain, snappy;
  trace::group_page answer;
  // The cold tier's questions: a 1% window in the middle of the spans' start times, one service.
  auto [first_span, last_span] = std::ranges::minmax(spans, {}, &trace::span::start);
  const trace::timestamp_ns span_range = last_span.start - first_span.start;
  const trace::cold_pruning window{{first_span.start + span_range / 2, first_span.start + span_range / 2 + span_range / 100},
                                   spans[spans.size() / 2].resource.service_name};
  std::vector<trace::trace_id> ids;
  for (std::size_t i = 0; i < 1000; ++i) ids.push_back(spans[(i * 7919) % spans.size()].trace);
  tier_answers hot_answers, cold_answers, cached_answers;
  tier_times hot, cold, cached;
  double move_s = 1e300;
  std::uint64_t cold_bytes = 0;
  std::size_t cold_groups = 0;
  for (int r = 0; r < repeats; ++r) {
    fs::remove_all(dir);
    trace::mmap_options o;
    o.path = dir;
    o.sync = trace::sync_policy::none;
    trace::mmap_store store(o);
    double t = cpu_now();
    for (std::size_t first = 0; first < spans.size(); first += 4096)
      store.append(std::vector<trace::span>(spans.begin() + static_cast<std::ptrdiff_t>(first),
                                            spans.begin() + static_cast<std::ptrdiff_t>(std::min(spans.size(), first + 4096))));
    store.roll();
    append_s = std::min(append_s, cpu_now() - t);
    segment_bytes = 0;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".seg") segment_bytes += entry.file_size();
    t = cpu_now();
    std::size_t scanned = 0;
    for (trace::mmap_span s : store.scan()) scanned += s.materialize().name.size() > 0;
    scan_s = std::min(scan_s, cpu_now() - t);
    t = cpu_now();
    answer = trace::group_spans(store, trace::group_by_options{.keys = {trace::by::service()}, .order = trace::group_order::key});
    group_s = std::min(group_s, cpu_now() - t);

    t = cpu_now();
    plain = write_parquet(spans, trace::parquet::compression::uncompressed);
    write_plain_s = std::min(write_plain_s, cpu_now() - t);
    t = cpu_now();
    snappy = write_parquet(spans, trace::parquet::compression::snappy);
    write_snappy_s = std::min(write_snappy_s, cpu_now() - t);
    t = cpu_now();
    const auto back_plain = trace::parquet::reader(plain).read_all();
    read_plain_s = std::min(read_plain_s, cpu_now() - t);
    t = cpu_now();
    const auto back_snappy = trace::parquet::reader(snappy).read_all();
    read_snappy_s = std::min(read_snappy_s, cpu_now() - t);
    if (back_plain != spans || back_snappy != spans || scanned > spans.size()) {
      std::fprintf(stderr, "parquet-bench: the spans read back differ from those written\n");
      return 1;
    }

    ask(store, false, window, ids, hot_answers, hot);
    t = cpu_now();
    store.move_to_cold(last_span.start + 2, 1);  // every sealed segment is older than that
    move_s = std::min(move_s, cpu_now() - t);
    cold_bytes = 0, cold_groups = 0;
    for (const auto& c : store.cold_files()) cold_bytes += c.bytes, cold_groups += c.row_groups;
    ask(store, true, window, ids, cold_answers, cold);
    ask(store, false, window, ids, cached_answers, cached);  // the store's own: decoded by the first pass
    ask(store, false, window, ids, cached_answers, cached);  // ... now every question finds its row groups decoded
    if (store.segments().size() != 0 || !(cold_answers == hot_answers) || !(cached_answers == hot_answers) ||
        hot_answers.looked_up < ids.size()) {
      std::fprintf(stderr, "parquet-bench: the cold tier answers differently from the sealed segments\n");
      return 1;
    }
  }
  fs::remove_all(dir);
  if (!keep.empty()) std::ofstream(keep, std::ios::binary) << snappy;

  const double n = static_cast<double>(spans.size());
  std::printf("%zu spans of the benchmark workload, CPU time, best of %d\n", spans.size(), repeats);
  std::printf("%-36s %10.1f bytes/span  1.00x\n", "mmap store, sealed segments", static_cast<double>(segment_bytes) / n);
  std::printf("%-36s %10.1f bytes/span  %.2fx\n", "parquet, uncompressed", static_cast<double>(plain.size()) / n,
              static_cast<double>(plain.size()) / static_cast<double>(segment_bytes));
  std::printf("%-36s %10.1f bytes/span  %.2fx\n", "parquet, snappy", static_cast<double>(snappy.size()) / n,
              static_cast<double>(snappy.size()) / static_cast<double>(segment_bytes));
  std::printf("%-36s %10.0f spans/s    1.00x\n", "mmap store append (+ seal)", n / append_s);
  std::printf("%-36s %10.0f spans/s    %.2fx\n", "parquet write, uncompressed", n / write_plain_s, append_s / write_plain_s);
  std::printf("%-36s %10.0f spans/s    %.2fx\n", "parquet write, snappy", n / write_snappy_s, append_s / write_snappy_s);
  std::printf("%-36s %10.0f spans/s    1.00x\n", "mmap store scan (materialized)", n / scan_s);
  std::printf("%-36s %10.0f spans/s    %.2fx\n", "parquet read, uncompressed", n / read_plain_s, scan_s / read_plain_s);
  std::printf("%-36s %10.0f spans/s    %.2fx\n", "parquet read, snappy", n / read_snappy_s, scan_s / read_snappy_s);
  std::printf("store GROUP BY service, p50/p99: %.3f ms CPU\n", group_s * 1000);
  for (const auto& row : answer.rows)
    std::printf("  %-12s count %8zu  p50 %10llu  p99 %10llu\n", row.key[0].c_str(), static_cast<std::size_t>(row.stats.count),
                static_cast<unsigned long long>(row.stats.p50), static_cast<unsigned long long>(row.stats.p99));
  std::printf("cold tier: %zu row groups, %.1f bytes/span, moved at %.0f spans/s; the same answers as the sealed segments\n",
              cold_groups, static_cast<double>(cold_bytes) / n, n / move_s);
  std::printf("%-40s %12s %12s %7s %12s %7s\n", "question (CPU time)", "sealed", "cold, first", "ratio", "cold, again", "ratio");
  auto row = [](const std::string& what, double a, double b, double c) {
    std::printf("%-40s %9.3f ms %9.3f ms %6.1fx %9.3f ms %6.1fx\n", what.c_str(), a * 1000, b * 1000, b / a, c * 1000, c / a);
  };
  row("GROUP BY service, p50/p99", hot.group, cold.group, cached.group);
  row("1% window of " + window.service + ": " + std::to_string(hot_answers.in_window) + " spans", hot.window, cold.window, cached.window);
  row("1 find_trace", hot.one_lookup, cold.one_lookup, cached.one_lookup);
  row("1000 find_trace", hot.lookups, cold.lookups, cached.lookups);
}
