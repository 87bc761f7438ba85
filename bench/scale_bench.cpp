// scale-bench: how the mmap store's costs grow with its size. One run ingests a synthetic
// stream into one store and, each time the store reaches a checkpoint size, measures:
//
//   ingest rate          spans/s of the appends since the previous checkpoint (10k-span batches),
//                        by the wall clock and by the process's CPU time (generating the spans included)
//   bytes per span       the store's files over its spans
//   reopen               opening the store read-only (page cache warm: the writer just closed it),
//                        checking every sealed region (the default), and with the checks deferred to
//                        each segment's first use (check_sealed_at_open = false), then its first lookup
//   (reopen, the window and the tag queries are also given in the process's CPU time; the
//   table prints the tag queries' CPU times and their ratio, scan over index)
//   find_trace           median and p99 of one lookup of a stored trace, and of an absent id
//   one-hour window      counting the spans that started in one hour in the middle of the data
//   tag equality         counting the spans whose `customer` attribute is one value (1 in 10k),
//                        through the segments' inverted index on `customer` (an index rule), and the
//                        same question with the indexes unused (use_tag_indexes = false): a scan. The
//                        first indexed query also indexes the active log's batches (a log is indexed
//                        by the first query that asks); the figure is the next one, the first beside it
//   peak RSS             of the query phase (reset before it) and of the whole process
//
//   scale-bench [--sizes N,N,...] [--lookups N] [--dir DIR] [--json FILE] [--smoke]
//
// The spans are generated as they are appended (never all in memory): traces of 5..15 spans,
// 100 spans per second of span time, so one hour holds 360,000 spans at every store size.
// Figures are reported, never asserted; the exit code is non-zero only when an answer is
// wrong (a stored trace not found, an absent one found, a count off).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "trace/query.hpp"
#include "trace/store/mmap.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }
// CPU time of the process: on a shared machine the wall clock also counts other processes.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

constexpr std::uint64_t spans_per_second = 100;  // of span time
constexpr std::uint64_t customers = 10'000;      // `customer` values: equality selects 1 in 10k spans
constexpr trace::timestamp_ns base_time = 1'735'689'600ULL * trace::second;  // 2025-01-01T00:00:00Z

// Trace number k, its id and shape, all derived from k: a lookup recomputes the id of any
// trace ingested so far instead of keeping millions of ids in memory.
trace::trace_id trace_id_of(std::uint64_t k) {
  return trace::trace_id(trace::detail::mix64(2 * k + 1), trace::detail::mix64(2 * k + 2) | 1);
}
std::uint64_t spans_in_trace(std::uint64_t k) { return 5 + trace::detail::mix64(k ^ 0x5eed) % 11; }

// Appends spans of traces from `next_trace` on until the store holds `target` spans (the
// last trace may be cut short); `first_start` of trace k follows from the spans before it.
struct generator {
  std::uint64_t next_trace = 0, spans = 0;
  std::vector<std::string> services, operations;

  generator() {
    for (int s = 0; s < 20; ++s) services.push_back("service-" + std::to_string(s));
    for (int o = 0; o < 200; ++o) operations.push_back("operation-" + std::to_string(o));
  }

  void fill(std::vector<trace::span>& batch, std::uint64_t target, std::size_t batch_size) {
    batch.clear();
    while (batch.size() < batch_size && spans < target) {
      const std::uint64_t k = next_trace++;
      const trace::trace_id id = trace_id_of(k);
      const std::uint64_t n = std::min(spans_in_trace(k), target - spans);
      const trace::timestamp_ns start = base_time + spans * (trace::second / spans_per_second);
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t h = trace::detail::mix64(k * 64 + i);
        trace::span s;
        s.trace = id;
        s.id = trace::span_id(h | 1);
        if (i) s.parent = trace::span_id(trace::detail::mix64(k * 64) | 1);
        s.start = start + i * trace::millisecond;
        s.end = s.start + (h % 50'000) * trace::microsecond;
        s.name = operations[h % operations.size()];
        s.resource.service_name = services[(h >> 8) % services.size()];
        s.kind = i ? trace::span_kind::internal : trace::span_kind::server;
        s.attributes.set("customer", "customer-" + std::to_string((spans + i) % customers));
        s.attributes.set("http.status_code", std::int64_t(h % 97 == 0 ? 500 : 200));
        batch.push_back(std::move(s));
      }
      spans += n;
    }
  }
};

// Peak resident set size so far, in MiB (VmHWM), and its reset (Linux: clear_refs 5).
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}
bool reset_peak_rss() {
  std::ofstream refs("/proc/self/clear_refs");
  refs << "5";
  return static_cast<bool>(refs);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct checkpoint {
  std::uint64_t spans = 0, segments = 0;
  double ingest_per_s = 0, ingest_cpu_per_s = 0, bytes_per_span = 0, reopen_ms = 0;
  double find_median_us = 0, find_p99_us = 0, absent_median_us = 0, absent_p99_us = 0;
  double window_ms = 0, tag_scan_ms = 0, reopen_cpu_ms = 0, window_cpu_ms = 0, tag_scan_cpu_ms = 0;
  double reopen_deferred_ms = 0, first_find_ms = 0, tag_index_ms = 0, tag_index_cpu_ms = 0, tag_index_first_cpu_ms = 0;
  double reopen_deferred_cpu_ms = 0, first_find_cpu_ms = 0;
  std::uint64_t window_spans = 0, tag_matches = 0;
  double query_rss_mib = 0, process_rss_mib = 0;
};

struct options {
  std::vector<std::uint64_t> sizes{1'000'000, 10'000'000};
  std::size_t lookups = 2000;
  std::filesystem::path dir;
  std::string json;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "scale-bench: %s\n"
               "usage: scale-bench [--sizes N,N,...] [--lookups N] [--dir DIR] [--json FILE] [--smoke]\n"
               "  --sizes   checkpoint store sizes in spans, increasing (default 1000000,10000000)\n"
               "  --dir     where the store is written (default: a new directory under the temp dir), removed after\n"
               "  --smoke   sizes 20000,100000 and 200 lookups: a quick run for CI\n",
               why.c_str());
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--sizes") {
      o.sizes.clear();
      const std::string list = value();
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        o.sizes.push_back(std::stoull(list.substr(at, comma - at)));
        at = comma + 1;
      }
    } else if (arg == "--lookups") {
      o.lookups = std::stoull(value());
    } else if (arg == "--dir") {
      o.dir = value();
    } else if (arg == "--json") {
      o.json = value();
    } else if (arg == "--smoke") {
      o.sizes = {20'000, 100'000};
      o.lookups = 200;
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.sizes.empty() || !std::is_sorted(o.sizes.begin(), o.sizes.end()) || o.sizes.front() == 0)
    usage("--sizes must be increasing and positive");
  if (o.lookups == 0) usage("--lookups must be positive");
  return o;
}

int failures = 0;
void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "scale-bench: WRONG ANSWER: %s\n", what.c_str());
    ++failures;
  }
}

void measure_queries(const trace::mmap_store& store, const trace::mmap_store& unindexed, const generator& g,
                     std::size_t lookups, checkpoint& c) {
  std::vector<double> found_us, absent_us;
  for (std::size_t i = 0; i < lookups; ++i) {
    const std::uint64_t k = trace::detail::mix64(i * 7 + c.spans) % g.next_trace;
    const trace::trace_id id = trace_id_of(k);
    auto t = clock_type::now();
    const std::size_t n = store.find_trace(id).size();
    found_us.push_back(seconds_since(t) * 1e6);
    expect(n > 0 && n <= spans_in_trace(k), "trace " + std::to_string(k) + " not found whole");
    const trace::trace_id absent(trace::detail::mix64(i + 0xab5e), trace::detail::mix64(i) | 2);
    t = clock_type::now();
    const std::size_t none = store.find_trace(absent).size();
    absent_us.push_back(seconds_since(t) * 1e6);
    expect(none == 0, "an absent trace id was found");
  }
  c.find_median_us = percentile(found_us, 0.5);
  c.find_p99_us = percentile(found_us, 0.99);
  c.absent_median_us = percentile(absent_us, 0.5);
  c.absent_p99_us = percentile(absent_us, 0.99);

  // One hour in the middle of the data (the whole store when it holds less than an hour).
  const trace::timestamp_ns end = base_time + c.spans * (trace::second / spans_per_second);
  const trace::timestamp_ns middle = base_time + (end - base_time) / 2;
  const trace::timestamp_ns from = middle - base_time > 30 * trace::minute ? middle - 30 * trace::minute : base_time;
  const trace::filter window = trace::where::started_between(from, from + trace::hour - 1);
  auto t = clock_type::now();
  double cpu = cpu_seconds();
  c.window_spans = trace::count_matching(store, window);
  c.window_ms = seconds_since(t) * 1e3;
  c.window_cpu_ms = (cpu_seconds() - cpu) * 1e3;
  expect(c.window_spans > 0, "the one-hour window is empty");

  const trace::filter tag = trace::where::attribute("customer") == "customer-42";
  cpu = cpu_seconds();
  const std::uint64_t first = trace::count_matching(store, tag);
  c.tag_index_first_cpu_ms = (cpu_seconds() - cpu) * 1e3;
  t = clock_type::now();
  cpu = cpu_seconds();
  c.tag_matches = trace::count_matching(store, tag);
  c.tag_index_ms = seconds_since(t) * 1e3;
  c.tag_index_cpu_ms = (cpu_seconds() - cpu) * 1e3;
  expect(c.tag_matches == c.spans / customers + (c.spans % customers > 42), "customer-42 count");
  t = clock_type::now();
  cpu = cpu_seconds();
  const std::uint64_t scanned = trace::count_matching(unindexed, tag);
  c.tag_scan_ms = seconds_since(t) * 1e3;
  c.tag_scan_cpu_ms = (cpu_seconds() - cpu) * 1e3;
  expect(scanned == c.tag_matches && first == c.tag_matches, "customer-42 count of the scan");
}

void write_json(const options& o, const std::vector<checkpoint>& results) {
  std::FILE* f = std::fopen(o.json.c_str(), "w");
  if (!f) usage("cannot write " + o.json);
  std::fprintf(f, "{\n  \"bench\": \"scale-bench\",\n  \"lookups\": %zu,\n  \"checkpoints\": [\n", o.lookups);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const checkpoint& c = results[i];
    std::fprintf(f,
                 "    {\"spans\": %llu, \"segments\": %llu, \"ingest_spans_per_s\": %.0f, \"ingest_cpu_spans_per_s\": %.0f, \"bytes_per_span\": %.2f, "
                 "\"reopen_ms\": %.3f, \"find_trace_median_us\": %.2f, \"find_trace_p99_us\": %.2f, "
                 "\"absent_median_us\": %.2f, \"absent_p99_us\": %.2f, \"window_ms\": %.3f, \"window_spans\": %llu, "
                 "\"tag_scan_ms\": %.3f, \"tag_matches\": %llu, \"reopen_cpu_ms\": %.3f, \"window_cpu_ms\": %.3f, \"tag_scan_cpu_ms\": %.3f, "
                 "\"tag_index_ms\": %.3f, \"tag_index_cpu_ms\": %.3f, \"tag_index_first_cpu_ms\": %.3f, \"reopen_deferred_ms\": %.3f, "
                 "\"first_find_ms\": %.3f, \"reopen_deferred_cpu_ms\": %.3f, \"first_find_cpu_ms\": %.3f, "
                 "\"query_rss_mib\": %.1f, \"process_rss_mib\": %.1f}%s\n",
                 static_cast<unsigned long long>(c.spans), static_cast<unsigned long long>(c.segments), c.ingest_per_s,
                 c.ingest_cpu_per_s, c.bytes_per_span, c.reopen_ms, c.find_median_us, c.find_p99_us, c.absent_median_us, c.absent_p99_us,
                 c.window_ms, static_cast<unsigned long long>(c.window_spans), c.tag_scan_ms,
                 static_cast<unsigned long long>(c.tag_matches), c.reopen_cpu_ms, c.window_cpu_ms, c.tag_scan_cpu_ms,
                 c.tag_index_ms, c.tag_index_cpu_ms, c.tag_index_first_cpu_ms, c.reopen_deferred_ms, c.first_find_ms,
                 c.reopen_deferred_cpu_ms, c.first_find_cpu_ms, c.query_rss_mib, c.process_rss_mib,
                 i + 1 < results.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) try {
  options o = parse(argc, argv);
  const bool own_dir = o.dir.empty();
  if (own_dir) o.dir = std::filesystem::temp_directory_path() / ("scale-bench-" + std::to_string(::getpid()));
  if (std::filesystem::exists(o.dir) && !std::filesystem::is_empty(o.dir)) usage(o.dir.string() + " is not empty");

  trace::mmap_options store_options;
  store_options.path = o.dir;
  store_options.sync = trace::sync_policy::interval;
  store_options.retention_ttl = 0;  // span times are in the past: keep them all
  // The index rule of a schema with an inverted `customer` tag, as trace::database would pass it.
  store_options.indexed_tags = std::vector<trace::indexed_tag>{
      {trace::indexed_field::attribute, "customer", trace::indexed_type::string, trace::index_kind::inverted}};

  std::printf("scale-bench: store %s, %zu lookups per checkpoint\n", o.dir.c_str(), o.lookups);
  std::printf("%12s %8s %12s %12s %10s %10s %10s %10s %12s %12s %12s %12s %10s %12s %12s %8s %10s %10s\n", "spans", "segments",
              "ingest/s", "ingest/cpu-s", "bytes/span", "reopen ms", "deferred", "1st find", "find med us", "find p99 us",
              "absent med", "absent p99", "1h win ms", "tag idx cpu", "tag scan cpu", "x", "query RSS", "peak RSS");
  generator g;
  std::vector<checkpoint> results;
  std::vector<trace::span> batch;
  for (const std::uint64_t target : o.sizes) {
    checkpoint c;
    {
      trace::mmap_store store(store_options);
      const std::uint64_t before = g.spans;
      const auto t = clock_type::now();
      const double cpu = cpu_seconds();
      for (g.fill(batch, target, 10'000); !batch.empty(); g.fill(batch, target, 10'000)) store.append(batch);
      store.sync();
      c.ingest_per_s = static_cast<double>(g.spans - before) / seconds_since(t);
      c.ingest_cpu_per_s = static_cast<double>(g.spans - before) / (cpu_seconds() - cpu);
      c.spans = store.size();
      c.bytes_per_span = static_cast<double>(store.disk_usage()) / static_cast<double>(c.spans);
      c.segments = store.segments().size();
      expect(c.spans == target, "the store holds " + std::to_string(c.spans) + " spans");
    }
    batch.clear();
    batch.shrink_to_fit();
    c.process_rss_mib = peak_rss_mib();
    const bool reset = reset_peak_rss();
    trace::mmap_options read_only = store_options;
    read_only.mode = trace::open_mode::read_only;
    {
      trace::mmap_options deferred = read_only;
      deferred.check_sealed_at_open = false;
      auto t = clock_type::now();
      double cpu = cpu_seconds();
      const trace::mmap_store store(deferred);
      c.reopen_deferred_ms = seconds_since(t) * 1e3;
      c.reopen_deferred_cpu_ms = (cpu_seconds() - cpu) * 1e3;
      t = clock_type::now();
      cpu = cpu_seconds();
      expect(!store.find_trace(trace_id_of(g.next_trace / 2)).empty(), "a trace after a deferred open");
      c.first_find_ms = seconds_since(t) * 1e3;
      c.first_find_cpu_ms = (cpu_seconds() - cpu) * 1e3;
    }
    const auto t = clock_type::now();
    const double cpu = cpu_seconds();
    const trace::mmap_store store(read_only);
    c.reopen_ms = seconds_since(t) * 1e3;
    c.reopen_cpu_ms = (cpu_seconds() - cpu) * 1e3;
    trace::mmap_options scan_only = read_only;
    scan_only.use_tag_indexes = false;
    const trace::mmap_store unindexed(scan_only);
    measure_queries(store, unindexed, g, o.lookups, c);
    c.query_rss_mib = reset ? peak_rss_mib() : -1;
    std::printf("%12llu %8llu %12.0f %12.0f %10.1f %10.2f %10.2f %10.2f %12.2f %12.2f %12.2f %12.2f %10.2f %12.2f %12.1f %7.0fx %9.0fM %9.0fM\n",
                static_cast<unsigned long long>(c.spans), static_cast<unsigned long long>(c.segments), c.ingest_per_s,
                c.ingest_cpu_per_s, c.bytes_per_span, c.reopen_ms, c.reopen_deferred_ms, c.first_find_ms, c.find_median_us,
                c.find_p99_us, c.absent_median_us, c.absent_p99_us, c.window_ms, c.tag_index_cpu_ms, c.tag_scan_cpu_ms,
                c.tag_scan_cpu_ms / std::max(c.tag_index_cpu_ms, 1e-3), c.query_rss_mib, c.process_rss_mib);
    std::fflush(stdout);
    results.push_back(c);
  }
  if (!o.json.empty()) write_json(o, results);
  if (own_dir) std::filesystem::remove_all(o.dir);
  return failures ? 1 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scale-bench: %s\n", e.what());
  return 1;
}
