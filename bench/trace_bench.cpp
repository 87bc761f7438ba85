// trace-bench: one run that tells how far ahead of SQLite (flujo's schema) the library is,
// and how close to the machine's own limits.
//
//   trace-bench [--spans N] [--seed S] [--reps R] [--sqlite-reps R] [--lookups N]
//               [--dir DIR] [--json FILE] [--smoke] [--explain] [--text-only]
//               [--duckdb [--duckdb-lookups N] [--duckdb-threads T]]
//
// Every figure is the median of R interleaved repetitions (ours, then the baseline, then
// the plain-C++ limit, R times over). Results are reported, never asserted; the only
// non-zero exit besides bad arguments is a disagreement between the answers of the
// library, SQLite and the plain code, which is a correctness problem, not a timing one.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <unistd.h>

#include "duckdb_peer.hpp"
#include "limits.hpp"
#include "sqlite_baseline.hpp"
#include "trace/analytics.hpp"
#include "trace/query.hpp"
#include "trace/store/clickhouse.hpp"
#include "trace/store/clickhouse/analytics.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"
#include "workload.hpp"

namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

struct options {
  std::size_t spans = 1'000'000;
  std::uint64_t seed = 42;
  int reps = 5;
  int sqlite_reps = -1;  // repetitions of the SQLite loads; -1: reps, or 3 above 200k spans
  std::size_t lookups = 10'000;
  std::size_t buffer_bytes = 256u << 20;
  std::filesystem::path dir;
  std::string json;
  bool smoke = false;
  bool explain = false;
  bool text_only = false;
  bool duckdb = false;  // DuckDB as a peer (bench/duckdb_peer.mjs under node)
  std::size_t duckdb_lookups = 1'000;
  int duckdb_threads = 2;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "trace-bench: %s\n"
               "usage: trace-bench [--spans N] [--seed S] [--reps R] [--sqlite-reps R] [--lookups N]\n"
               "                   [--dir DIR] [--json FILE] [--smoke] [--explain] [--cpu-time] [--text-only]\n"
               "                   [--duckdb [--duckdb-lookups N] [--duckdb-threads T]]\n"
               "  --text-only only the full-text search figures (index vs scan, index size)\n"
               "  --duckdb  DuckDB beside the stores (also TRACE_DUCKDB_PEER=1): needs node and `npm ci` in\n"
               "            tests/interop; N trace ids looked up (default 1000), T DuckDB threads (default 2)\n"
               "  --explain print SQLite's query plans\n"
               "  --cpu-time time by the process's CPU time, not the wall clock (a shared machine)\n"
               "  --smoke   20000 spans, 3 repetitions, small buffers (DuckDB: 100 lookups): a quick run for CI\n",
               message);
  std::exit(64);
}

options parse(int argc, char** argv) {
  options o;
  bool spans_given = false, reps_given = false, lookups_given = false, duckdb_lookups_given = false;
  auto number = [&](int& i) -> std::uint64_t {
    if (i + 1 >= argc) usage("missing value");
    char* end = nullptr;
    auto value = std::strtoull(argv[++i], &end, 10);
    if (!end || *end) usage("not a number");
    return value;
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--spans") {
      o.spans = number(i);
      spans_given = true;
    } else if (arg == "--seed") {
      o.seed = number(i);
    } else if (arg == "--reps") {
      o.reps = static_cast<int>(number(i));
      reps_given = true;
    } else if (arg == "--sqlite-reps") {
      o.sqlite_reps = static_cast<int>(number(i));
    } else if (arg == "--lookups") {
      o.lookups = number(i);
      lookups_given = true;
    } else if (arg == "--dir") {
      if (i + 1 >= argc) usage("missing value");
      o.dir = argv[++i];
    } else if (arg == "--json") {
      if (i + 1 >= argc) usage("missing value");
      o.json = argv[++i];
    } else if (arg == "--explain") {
      o.explain = true;
    } else if (arg == "--text-only") {
      o.text_only = true;
    } else if (arg == "--smoke") {
      o.smoke = true;
    } else if (arg == "--duckdb") {
      o.duckdb = true;
    } else if (arg == "--duckdb-lookups") {
      o.duckdb_lookups = number(i);
      duckdb_lookups_given = true;
    } else if (arg == "--duckdb-threads") {
      o.duckdb_threads = static_cast<int>(number(i));
    } else if (arg == "--cpu-time") {
      bench::bench_clock::cpu_time = true;
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage("unknown argument");
    }
  }
  if (o.smoke) {
    if (!spans_given) o.spans = 20'000;
    if (!reps_given) o.reps = 3;
    if (!lookups_given) o.lookups = 2'000;
    if (!duckdb_lookups_given) o.duckdb_lookups = 100;  // each costs DuckDB ~1-3 ms through Node
    o.buffer_bytes = 32u << 20;
  }
  if (const char* peer = std::getenv("TRACE_DUCKDB_PEER"); peer && std::string_view(peer) == "1") o.duckdb = true;
  if (o.spans == 0 || o.reps <= 0 || o.lookups == 0 || o.duckdb_lookups == 0 || o.duckdb_threads <= 0)
    usage("spans, reps, lookups and DuckDB's lookups and threads must be positive");
  if (o.sqlite_reps < 0) o.sqlite_reps = o.spans > 200'000 ? std::min(o.reps, 3) : o.reps;
  if (o.sqlite_reps == 0) o.sqlite_reps = 1;
  if (o.dir.empty()) o.dir = std::filesystem::temp_directory_path() / ("trace-bench-" + std::to_string(::getpid()));
  return o;
}

double median(std::vector<double> v) {
  if (v.empty()) return nan_value;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Nearest-rank quantile of a sample.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return nan_value;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  auto nth = v.begin() + static_cast<std::ptrdiff_t>(rank == 0 ? 0 : rank - 1);
  std::nth_element(v.begin(), nth, v.end());
  return *nth;
}

// One line of the report. `ratio`: how many times better than the baseline (speed-up for
// times, gain for rates, saving for sizes). `vs_limit`: how many times the limit's cost
// ours takes (1 = at the limit).
struct measurement {
  std::string name;
  std::string unit;
  bool higher_is_better = false;
  std::vector<double> ours, baseline, limit;
  std::string baseline_name, limit_name, note;
  double floor = nan_value;  // bytes touched / read bandwidth, for scans (same unit)

  double ours_value() const { return median(ours); }
  double baseline_value() const { return median(baseline); }
  double limit_value() const { return median(limit); }
  double ratio() const {
    double o = ours_value(), b = baseline_value();
    return higher_is_better ? o / b : b / o;
  }
  double vs_limit() const {
    double o = ours_value(), l = limit_value();
    return higher_is_better ? l / o : o / l;
  }
};

class report {
 public:
  measurement& add(std::string name, std::string unit, bool higher_is_better) {
    items_.push_back(std::make_unique<measurement>());
    measurement& m = *items_.back();
    m.name = std::move(name);
    m.unit = std::move(unit);
    m.higher_is_better = higher_is_better;
    return m;
  }
  const std::vector<std::unique_ptr<measurement>>& items() const { return items_; }

 private:
  std::vector<std::unique_ptr<measurement>> items_;
};

std::string figure(double v) {
  if (std::isnan(v)) return "-";
  char buffer[32];
  double a = std::fabs(v);
  if (a >= 1e7)
    std::snprintf(buffer, sizeof buffer, "%.3g", v);
  else if (a >= 100)
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
  else if (a >= 10)
    std::snprintf(buffer, sizeof buffer, "%.1f", v);
  else if (a >= 1)
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
  else
    std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

void print_table(const report& r) {
  std::printf("\n%-38s %10s %10s %9s %-8s %10s %9s  %s\n", "measurement", "ours", "baseline", "ratio", "unit",
              "limit", "x limit", "baseline / limit");
  std::printf("%s\n", std::string(130, '-').c_str());
  for (const auto& item : r.items()) {
    const measurement& m = *item;
    std::string ratio = std::isnan(m.ratio()) ? "-" : figure(m.ratio()) + "x";
    std::string vs = std::isnan(m.vs_limit()) ? "-" : figure(m.vs_limit()) + "x";
    std::printf("%-38s %10s %10s %9s %-8s %10s %9s  %s%s%s\n", m.name.c_str(), figure(m.ours_value()).c_str(),
                figure(m.baseline_value()).c_str(), ratio.c_str(), m.unit.c_str(), figure(m.limit_value()).c_str(),
                vs.c_str(), m.baseline_name.c_str(), m.limit_name.empty() ? "" : " / ", m.limit_name.c_str());
  }
  bool any_note = false;
  for (const auto& item : r.items()) {
    if (item->note.empty() && std::isnan(item->floor)) continue;
    if (!any_note) std::printf("\nnotes:\n");
    any_note = true;
    std::printf("  %s:", item->name.c_str());
    if (!std::isnan(item->floor)) std::printf(" bandwidth floor %s %s;", figure(item->floor).c_str(), item->unit.c_str());
    std::printf(" %s (samples: ours %zu, baseline %zu, limit %zu)\n", item->note.c_str(), item->ours.size(),
                item->baseline.size(), item->limit.size());
  }
}

void json_string(std::FILE* f, std::string_view text) {
  std::string out;
  bench::append_json_string(out, text);
  std::fputs(out.c_str(), f);
}

void json_number(std::FILE* f, double v) {
  if (std::isnan(v) || std::isinf(v))
    std::fputs("null", f);
  else
    std::fprintf(f, "%.6g", v);
}

void write_json(const report& r, const options& o, const std::string& path, const std::string& machine) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "trace-bench: cannot write %s\n", path.c_str());
    return;
  }
  std::fprintf(f, "{\n  \"spans\": %zu, \"seed\": %llu, \"reps\": %d, \"sqlite_reps\": %d, \"machine\": ", o.spans,
               static_cast<unsigned long long>(o.seed), o.reps, o.sqlite_reps);
  json_string(f, machine);
  std::fputs(",\n  \"measurements\": [\n", f);
  bool first = true;
  for (const auto& item : r.items()) {
    const measurement& m = *item;
    std::fputs(first ? "    {" : ",\n    {", f);
    first = false;
    std::fputs("\"name\": ", f);
    json_string(f, m.name);
    std::fputs(", \"ours\": ", f);
    json_number(f, m.ours_value());
    std::fputs(", \"baseline\": ", f);
    json_number(f, m.baseline_value());
    std::fputs(", \"ratio\": ", f);
    json_number(f, m.ratio());
    std::fputs(", \"unit\": ", f);
    json_string(f, m.unit);
    std::fputs(", \"limit\": ", f);
    json_number(f, m.limit_value());
    std::fputs(", \"vs_limit\": ", f);
    json_number(f, m.vs_limit());
    std::fputs(", \"higher_is_better\": ", f);
    std::fputs(m.higher_is_better ? "true" : "false", f);
    std::fputs(", \"baseline_name\": ", f);
    json_string(f, m.baseline_name);
    std::fputs(", \"limit_name\": ", f);
    json_string(f, m.limit_name);
    std::fputs(", \"floor\": ", f);
    json_number(f, m.floor);
    std::fprintf(f, ", \"samples\": [%zu, %zu, %zu]", m.ours.size(), m.baseline.size(), m.limit.size());
    std::fputs(", \"note\": ", f);
    json_string(f, m.note);
    std::fputs("}", f);
  }
  std::fputs("\n  ]\n}\n", f);
  std::fclose(f);
}

std::string machine_description() {
  std::string cpu = "unknown cpu";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  char date[32];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return std::string(date) + ", " + cpu + ", " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) +
         " cpus, SQLite " + sqlite3_libversion();
}

int failures = 0;
void check(bool ok, const std::string& what) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "MISMATCH: %s\n", what.c_str());
}

void progress(const char* what) {
  std::fprintf(stderr, "[trace-bench] %s\n", what);
  std::fflush(stderr);
}

}  // namespace

// Full-text search on a sealed mmap store of the workload in which one span in 10,000 also
// carries a rare word: the text index against a scan of the same store testing every span,
// for the rare word and a common one (http.method GET, 70 % of spans), and the index's size.
void measure_text_search(report& results, const options& opt, const std::vector<trace::span>& spans) {
  progress("full-text search: index vs scan, a rare and a common word");
  const std::filesystem::path dir = opt.dir / "text";
  std::filesystem::remove_all(dir);
  std::size_t rare_spans = 0;
  constexpr std::size_t rare_every = 10'000;
  {
    trace::mmap_options o;
    o.path = dir;
    o.sync = trace::sync_policy::none;
    trace::mmap_store store(o);
    std::vector<trace::span> batch;
    for (std::size_t begin = 0; begin < spans.size(); begin += rare_every) {
      batch.assign(spans.begin() + static_cast<std::ptrdiff_t>(begin),
                   spans.begin() + static_cast<std::ptrdiff_t>(std::min(spans.size(), begin + rare_every)));
      if (batch.size() > rare_every / 2) {
        batch[rare_every / 2].attributes.set("note", std::string("refund flagged by xylophone review"));
        ++rare_spans;
      }
      store.append(batch);
    }
    store.roll();
  }
  trace::mmap_options o;
  o.path = dir;
  o.mode = trace::open_mode::read_only;
  const trace::mmap_store store(o);
  const double n = static_cast<double>(store.size());
  std::uint64_t index_bytes = 0, block_bytes = 0;
  for (const trace::segment_info& s : store.segments()) index_bytes += s.text_index_bytes, block_bytes += s.bytes;
  auto& size = results.add("text index (mmap_store, sealed)", "B/span", false);
  size.ours = {static_cast<double>(index_bytes) / n};
  size.baseline = {static_cast<double>(block_bytes - index_bytes) / n};
  size.baseline_name = "the sealed spans themselves";
  size.note = "target <= 15 B/span; " + std::to_string(store.segments().size()) + " sealed segments";
  struct word_case {
    const char* name;
    const char* query;
  };
  for (const word_case& w : {word_case{"rare", "xylophone"}, word_case{"common", "get"}}) {
    auto& m = results.add(std::string("text search, ") + w.name + " word (mmap_store)", "ms", false);
    m.baseline_name = "scan testing every span";
    const trace::filter f = trace::where::text(w.query);
    std::size_t hits = 0;
    for (int rep = 0; rep < opt.reps; ++rep) {
      auto start = bench::bench_clock::now();
      hits = 0;
      trace::for_each_match(store, f, [&hits](const auto&, std::uint32_t) { ++hits; });
      m.ours.push_back(bench::seconds_since(start) * 1e3);
      start = bench::bench_clock::now();
      std::size_t scanned = 0;
      for (const trace::mmap_span s : store.scan()) scanned += trace::matches(f, s);
      m.baseline.push_back(bench::seconds_since(start) * 1e3);
      check(hits == scanned, std::string("text search for ") + w.query + ": the index and the scan agree");
    }
    if (std::string_view(w.name) == "rare") check(hits == rare_spans, "text search finds every rare span");
    m.note = std::to_string(hits) + " of " + std::to_string(store.size()) + " spans match \"" + w.query + "\"";
  }
}

// bench/duckdb_peer.mjs in the source tree, or TRACE_DUCKDB_SCRIPT.
std::filesystem::path duckdb_script() {
  const char* script = std::getenv("TRACE_DUCKDB_SCRIPT");
  return script ? std::filesystem::path(script) : std::filesystem::path(TRACE_BENCH_SOURCE_DIR) / "duckdb_peer.mjs";
}

int main(int argc, char** argv) try {
  const options opt = parse(argc, argv);
  if (opt.duckdb) bench::require_duckdb_peer(duckdb_script());  // now, not after the rest of the run
  std::filesystem::create_directories(opt.dir);
  const std::string machine = machine_description();
  std::printf("trace-bench: %zu spans, seed %llu, %d repetitions (SQLite loads: %d), %s\n", opt.spans,
              static_cast<unsigned long long>(opt.seed), opt.reps, opt.sqlite_reps, machine.c_str());

  // ---- the workload ----
  progress("generating the workload");
  auto t0 = bench::bench_clock::now();
  const bench::workload data = bench::generate({opt.seed, opt.spans, 0.015});
  const std::vector<trace::span>& spans = data.spans;
  std::printf("workload: %zu spans in %zu traces, generated in %.2f s\n", spans.size(), data.trace_ids.size(),
              bench::seconds_since(t0));
  if (opt.text_only) {
    report text;
    measure_text_search(text, opt, spans);
    print_table(text);
    if (!opt.json.empty()) write_json(text, opt, opt.json, machine);
    std::filesystem::remove_all(opt.dir);
    return 0;
  }
  const bench::plain_columns plain(spans);

  report results;

  // ---- machine limits ----
  progress("measuring the machine's limits");
  double read_bw, copy_bw, crc_bw;
  {
    std::vector<std::uint64_t> array(opt.buffer_bytes / sizeof(std::uint64_t));
    for (std::size_t i = 0; i < array.size(); ++i) array[i] = i * 0x9e3779b97f4a7c15ULL;
    std::vector<unsigned char> from(opt.buffer_bytes), to(opt.buffer_bytes, 1);
    for (std::size_t i = 0; i < from.size(); ++i) from[i] = static_cast<unsigned char>(i * 131);
    std::vector<double> reads, copies, crcs;
    for (int rep = 0; rep < std::max(opt.reps, 5); ++rep) {
      reads.push_back(bench::read_bandwidth(array));
      copies.push_back(bench::memcpy_bandwidth(to, from));
      crcs.push_back(bench::crc32c_throughput(from));
    }
    read_bw = median(reads);
    copy_bw = median(copies);
    crc_bw = median(crcs);
    static const unsigned char check_text[] = "123456789";
    check(bench::crc32c(check_text, 9) == 0xe3069283u, "crc32c check value");
    std::printf("limits: sequential read %.2f GB/s, memcpy %.2f GB/s, crc32c %.2f GB/s (%s), %zu MiB buffers\n",
                read_bw / 1e9, copy_bw / 1e9, crc_bw / 1e9, bench::have_sse42() ? "sse4.2" : "table",
                opt.buffer_bytes >> 20);
    auto& m1 = results.add("limit: sequential read", "GB/s", true);
    m1.ours = reads;
    for (double& v : m1.ours) v /= 1e9;
    auto& m2 = results.add("limit: memcpy", "GB/s", true);
    m2.ours = copies;
    for (double& v : m2.ours) v /= 1e9;
    auto& m3 = results.add("limit: crc32c", "GB/s", true);
    m3.ours = crcs;
    for (double& v : m3.ours) v /= 1e9;
  }

  // ---- ingest ----
  progress("ingest");
  auto& ingest_flujo = results.add("ingest (memory_store vs flujo)", "spans/s", true);
  auto& ingest_tuned = results.add("ingest (memory_store vs tuned)", "spans/s", true);
  auto& bytes_flujo = results.add("bytes/span (in memory vs flujo disk)", "B/span", false);
  auto& bytes_tuned = results.add("bytes/span (in memory vs tuned disk)", "B/span", false);
  ingest_flujo.baseline_name = "SQLite flujo";
  ingest_tuned.baseline_name = "SQLite tuned";
  ingest_flujo.limit_name = ingest_tuned.limit_name = "memcpy of the stored bytes";
  bytes_flujo.baseline_name = "SQLite flujo";
  bytes_tuned.baseline_name = "SQLite tuned";
  std::unique_ptr<trace::memory_store> store;
  std::unique_ptr<bench::sqlite_baseline> db;
  double store_bytes_per_span = nan_value;
  constexpr std::size_t batch = 10'000;
  const double n_spans = static_cast<double>(spans.size());
  for (int rep = 0; rep < opt.reps; ++rep) {
    store.reset();
    std::size_t heap_before = bench::heap_in_use();
    auto fresh = std::make_unique<trace::memory_store>();
    auto start = bench::bench_clock::now();
    for (std::size_t begin = 0; begin < spans.size(); begin += batch)
      fresh->append(std::span<const trace::span>(spans.data() + begin, std::min(batch, spans.size() - begin)));
    double elapsed = bench::seconds_since(start);
    std::size_t heap_after = bench::heap_in_use();
    ingest_flujo.ours.push_back(n_spans / elapsed);
    ingest_tuned.ours.push_back(n_spans / elapsed);
    if (heap_after > heap_before) {
      store_bytes_per_span = static_cast<double>(heap_after - heap_before) / n_spans;
      bytes_flujo.ours.push_back(store_bytes_per_span);
      bytes_tuned.ours.push_back(store_bytes_per_span);
    }
    store = std::move(fresh);

    if (rep < opt.sqlite_reps) {
      for (auto variant : {bench::sqlite_variant::flujo, bench::sqlite_variant::tuned}) {
        db.reset();
        start = bench::bench_clock::now();
        auto loaded = std::make_unique<bench::sqlite_baseline>(
            opt.dir / ("spans-" + std::string(bench::to_string(variant)) + ".db"), variant);
        loaded->load(spans);
        elapsed = bench::seconds_since(start);
        double bytes = static_cast<double>(loaded->disk_bytes()) / n_spans;
        auto& ingest = variant == bench::sqlite_variant::flujo ? ingest_flujo : ingest_tuned;
        auto& size = variant == bench::sqlite_variant::flujo ? bytes_flujo : bytes_tuned;
        ingest.baseline.push_back(n_spans / elapsed);
        size.baseline.push_back(bytes);
        if (variant == bench::sqlite_variant::tuned) db = std::move(loaded);
        std::fprintf(stderr, "[trace-bench]   rep %d: SQLite %s load %.2f s, %.0f B/span\n", rep,
                     std::string(bench::to_string(variant)).c_str(), elapsed, bytes);
      }
    }
    std::fprintf(stderr, "[trace-bench]   rep %d: memory_store %.3f s\n", rep, n_spans / ingest_flujo.ours.back());
  }
  check(store->size() == spans.size(), "memory_store size");
  check(store->trace_count() == data.trace_ids.size(), "memory_store trace count");
  if (!std::isnan(store_bytes_per_span)) {
    for (auto* m : {&ingest_flujo, &ingest_tuned}) m->limit.push_back(copy_bw / store_bytes_per_span);
  }
  ingest_flujo.note = "10k spans per append / per transaction; the limit is memcpy bandwidth over the bytes the store holds per span";
  bytes_flujo.note = "ours: heap growth of the in-memory store (mallinfo2), not a file; SQLite: database file after a WAL checkpoint";
  db->tune_reads();

  // ---- trace by id ----
  progress("trace by id");
  bench::sqlite_queries sql(db->handle());
  if (opt.explain) std::printf("SQLite query plans (tuned database):\n%s\n", bench::sqlite_queries::explain(db->handle()).c_str());
  std::vector<trace::trace_id> ids;
  std::vector<std::string> hex_ids;
  {
    bench::rng pick(opt.seed ^ 0x5eedULL);
    for (std::size_t i = 0; i < opt.lookups; ++i) {
      ids.push_back(data.trace_ids[pick.between(0, data.trace_ids.size() - 1)]);
      hex_ids.push_back(ids.back().to_hex());
    }
  }
  auto& lookup_median = results.add("trace by id, median", "us", false);
  auto& lookup_p99 = results.add("trace by id, p99", "us", false);
  for (auto* m : {&lookup_median, &lookup_p99}) {
    m->baseline_name = "SQLite tuned";
    m->limit_name = "std::unordered_map";
  }
  std::vector<double> latencies(opt.lookups);
  auto record = [&](std::vector<double>& median_out, std::vector<double>& p99_out) {
    median_out.push_back(median(latencies));
    p99_out.push_back(quantile(latencies, 0.99));
  };
  for (int rep = 0; rep < opt.reps; ++rep) {
    std::uint64_t ours_sum = 0, sql_sum = 0, plain_sum = 0;
    std::size_t ours_rows = 0, sql_rows = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto start = bench::bench_clock::now();
      for (const auto& s : store->find_trace(ids[i])) {
        ours_sum += s.id().value() + s.parent().value() + s.name().size() + s.start() + s.duration() +
                    static_cast<std::uint64_t>(s.status());
        ++ours_rows;
      }
      latencies[i] = bench::seconds_since(start) * 1e6;
    }
    record(lookup_median.ours, lookup_p99.ours);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto start = bench::bench_clock::now();
      sql_rows += sql.trace_by_id(hex_ids[i], sql_sum);
      latencies[i] = bench::seconds_since(start) * 1e6;
    }
    record(lookup_median.baseline, lookup_p99.baseline);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto start = bench::bench_clock::now();
      plain_sum += plain.lookup(ids[i]);
      latencies[i] = bench::seconds_since(start) * 1e6;
    }
    record(lookup_median.limit, lookup_p99.limit);
    bench::keep(ours_sum + sql_sum + plain_sum);
    if (rep == 0) {
      check(ours_rows == sql_rows, "trace by id: rows found by the store and by SQLite");
      check(ours_sum == plain_sum, "trace by id: store and plain map read different values");
    }
  }
  lookup_median.note = "over " + std::to_string(opt.lookups) +
                       " random trace ids, each timed alone (clock overhead included in all three)";

  // ---- the memory-mapped store ----
  progress("memory-mapped store: ingest per sync policy, bytes on disk, reopen, trace by id");
  const std::filesystem::path mmap_dir = opt.dir / "mmap";
  auto open_mmap = [&mmap_dir](trace::sync_policy sync) {
    trace::mmap_options o;
    o.path = mmap_dir;
    o.sync = sync;
    return std::make_unique<trace::mmap_store>(o);
  };
  struct policy_row {
    trace::sync_policy sync;
    measurement* m;
  };
  std::vector<policy_row> policies{
      {trace::sync_policy::none, &results.add("ingest (mmap_store, sync none)", "spans/s", true)},
      {trace::sync_policy::interval, &results.add("ingest (mmap_store, sync every 1 s)", "spans/s", true)},
      {trace::sync_policy::every_batch, &results.add("ingest (mmap_store, sync every batch)", "spans/s", true)}};
  auto& mmap_bytes = results.add("bytes/span (mmap sealed vs flujo disk)", "B/span", false);
  auto& mmap_reopen = results.add("reopen (mmap_store, all sealed)", "ms", false);
  auto& mmap_lookup = results.add("trace by id, median (mmap_store)", "us", false);
  for (auto& p : policies) {
    p.m->baseline = ingest_flujo.baseline;  // the same run's SQLite flujo loads
    p.m->limit = ingest_flujo.ours;         // the same run's memory_store ingest
    p.m->baseline_name = "SQLite flujo";
    p.m->limit_name = "memory_store ingest";
  }
  mmap_bytes.baseline = bytes_flujo.baseline;
  mmap_bytes.baseline_name = "SQLite flujo";
  mmap_lookup.baseline = lookup_median.baseline;
  mmap_lookup.limit = lookup_median.limit;
  mmap_lookup.baseline_name = "SQLite tuned";
  mmap_lookup.limit_name = "std::unordered_map";
  for (int rep = 0; rep < opt.reps; ++rep) {
    for (auto& p : policies) {
      std::filesystem::remove_all(mmap_dir);
      auto stored = open_mmap(p.sync);
      auto start = bench::bench_clock::now();
      for (std::size_t begin = 0; begin < spans.size(); begin += batch)
        stored->append(std::span<const trace::span>(spans.data() + begin, std::min(batch, spans.size() - begin)));
      stored->sync();
      p.m->ours.push_back(n_spans / bench::seconds_since(start));
    }
    // The last policy's store stays on disk: seal it, measure it, reopen it, look traces up.
    {
      auto stored = open_mmap(trace::sync_policy::none);
      stored->roll();
      mmap_bytes.ours.push_back(static_cast<double>(stored->disk_usage()) / n_spans);
    }
    auto start = bench::bench_clock::now();
    auto reopened = open_mmap(trace::sync_policy::none);
    mmap_reopen.ours.push_back(bench::seconds_since(start) * 1e3);
    check(reopened->size() == spans.size(), "mmap_store size after reopen");
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto lookup_start = bench::bench_clock::now();
      for (const auto& s : reopened->find_trace(ids[i])) sum += trace::span_id_of(s).value() + trace::duration_of(s);
      latencies[i] = bench::seconds_since(lookup_start) * 1e6;
    }
    mmap_lookup.ours.push_back(median(latencies));
    bench::keep(sum);
    std::fprintf(stderr, "[trace-bench]   rep %d: mmap_store ingest %.0f / %.0f / %.0f spans/s, %.0f B/span, reopen %.1f ms\n",
                 rep, policies[0].m->ours.back(), policies[1].m->ours.back(), policies[2].m->ours.back(),
                 mmap_bytes.ours.back(), mmap_reopen.ours.back());
  }
  policies[2].m->note = "10k spans per append, durable (fdatasync) before append returns; limit column: the in-memory store";
  mmap_bytes.note = "all segments sealed (trace index, zone maps, strings); SQLite: database file after a WAL checkpoint";
  mmap_reopen.note = "open of a store whose segments are all sealed: checksums verified, nothing rebuilt";

  // ---- queries over the whole data set ----
  progress("filtered count, filtered search, group-by summary, summarize, percentiles");
  using namespace trace::where;
  const std::string count_operation = bench::operation_name(0, 0);
  const std::string search_service = bench::service_names()[3];
  const std::string search_tenant = bench::tenant_name(9);
  const std::uint32_t plain_operation = bench::plain_columns::find(plain.operation_names, count_operation);
  const std::uint32_t plain_service = bench::plain_columns::find(plain.service_names, search_service);
  const std::uint32_t plain_tenant = bench::plain_columns::find(plain.tenant_names, search_tenant);
  const trace::filter count_filter = status(trace::status_code::error) && operation(count_operation);
  trace::trace_query search_query;
  search_query.where = service(search_service) && attribute("tenant") == search_tenant;
  search_query.limit = 100;
  trace::group_by_options grouping;  // SQLite's GROUP BY: count, average and error rate, no percentiles
  grouping.keys = {trace::by::service(), trace::by::operation()};
  grouping.percentiles = trace::percentile_method::none;
  const std::vector<double> quantiles = {0.50, 0.95, 0.99};
  const double ms = 1e3;
  const double read_ms_per_byte = ms / read_bw;

  auto& count_m = results.add("filtered count", "ms", false);
  auto& search_m = results.add("filtered search, 100 traces", "ms", false);
  auto& group_m = results.add("group-by summary (group_spans)", "ms", false);
  auto& summarize_m = results.add("summarize (full report)", "ms", false);
  auto& pct_m = results.add("p50/p95/p99 (summarize_spans)", "ms", false);
  auto& pct_col_m = results.add("p50/p95/p99 (percentiles on column)", "ms", false);
  for (auto* m : {&count_m, &search_m, &group_m, &summarize_m, &pct_m, &pct_col_m}) m->baseline_name = "SQLite tuned";
  count_m.limit_name = search_m.limit_name = group_m.limit_name = summarize_m.limit_name = "plain columnar scan";
  pct_m.limit_name = pct_col_m.limit_name = "std::nth_element";
  count_m.floor = n_spans * (1 + 4) * read_ms_per_byte;
  search_m.floor = n_spans * (4 + 4) * read_ms_per_byte;
  group_m.floor = summarize_m.floor = n_spans * (4 + 4 + 1 + 8) * read_ms_per_byte;
  pct_m.floor = pct_col_m.floor = n_spans * 8 * read_ms_per_byte;
  count_m.note = "status = error AND operation = '" + count_operation + "'; library: count_matching(store, filter)";
  search_m.note = "service = '" + search_service + "' AND tenant = '" + search_tenant +
                  "', newest first, spans of each trace fetched; library: find_traces(store, query)";
  group_m.note = "count, error rate, average per (service, operation); library: group_spans(store, keys service and "
                 "operation, percentile_method::none), which also gives errors and min/max per group, no percentiles";
  summarize_m.note = "library: summarize(store), which computes more than the baseline and limit: overall, per-service "
                     "and per-operation stats with exact p50/p95/p99, distinct traces, error tables; baseline and limit "
                     "are the group-by row's (same samples)";
  pct_m.note = "library: summarize_spans(store.scan()); the limit copies the durations and runs nth_element 3 times";
  pct_col_m.note = "library: trace::percentiles over a copy of store.duration_column()";

  for (int rep = 0; rep < opt.reps; ++rep) {
    // filtered count
    auto start = bench::bench_clock::now();
    std::size_t ours_count = trace::count_matching(*store, count_filter);
    count_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    std::int64_t sql_count = sql.count_errors(count_operation);
    count_m.baseline.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    std::size_t plain_count = plain.count_errors(plain_operation);
    count_m.limit.push_back(bench::seconds_since(start) * ms);

    // filtered search, with the spans of every trace found
    start = bench::bench_clock::now();
    auto ours_traces = trace::find_traces(*store, search_query);
    std::uint64_t ours_sum = 0;
    for (const auto& t : ours_traces)
      for (const auto& s : t) ours_sum += s.id().value() + s.start();
    search_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    auto sql_traces = sql.search(search_service, search_tenant, 100);
    std::uint64_t sql_sum = 0;
    std::size_t sql_rows = 0;
    for (const auto& id : sql_traces) sql_rows += sql.trace_by_id(id, sql_sum);
    search_m.baseline.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    auto plain_traces = plain.search(plain_service, plain_tenant, 100);
    std::uint64_t plain_sum = 0;
    for (const auto& id : plain_traces) plain_sum += plain.lookup(id);
    search_m.limit.push_back(bench::seconds_since(start) * ms);
    bench::keep(ours_sum + sql_sum + plain_sum);

    // group-by summary, and the full report
    start = bench::bench_clock::now();
    trace::group_page ours_groups = trace::group_spans(*store, grouping);
    group_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    trace::summary_report ours_summary = trace::summarize(*store);
    summarize_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    auto sql_groups = sql.group_by();
    group_m.baseline.push_back(bench::seconds_since(start) * ms);
    summarize_m.baseline.push_back(group_m.baseline.back());
    start = bench::bench_clock::now();
    auto plain_groups = plain.group_by();
    group_m.limit.push_back(bench::seconds_since(start) * ms);
    summarize_m.limit.push_back(group_m.limit.back());

    // exact percentiles of every duration
    start = bench::bench_clock::now();
    trace::span_stats ours_stats = trace::summarize_spans(store->scan());
    pct_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    std::vector<trace::duration_ns> column(store->duration_column().begin(), store->duration_column().end());
    auto ours_column = trace::percentiles(std::span<trace::duration_ns>(column), std::span<const double>(quantiles));
    pct_col_m.ours.push_back(bench::seconds_since(start) * ms);
    start = bench::bench_clock::now();
    auto sql_pct = sql.percentiles(quantiles);
    pct_m.baseline.push_back(bench::seconds_since(start) * ms);
    pct_col_m.baseline.push_back(pct_m.baseline.back());
    start = bench::bench_clock::now();
    auto plain_pct = bench::nth_element_quantiles(plain.durations, quantiles);
    pct_m.limit.push_back(bench::seconds_since(start) * ms);
    pct_col_m.limit.push_back(pct_m.limit.back());

    if (rep != 0) continue;
    // The three must give the same answers (SQLite's times are doubles: a microsecond of slack).
    check(ours_count == plain_count && static_cast<std::int64_t>(ours_count) == sql_count,
          "filtered count: " + std::to_string(ours_count) + " / " + std::to_string(sql_count) + " / " +
              std::to_string(plain_count));
    check(ours_traces.size() == plain_traces.size() && sql_traces.size() == plain_traces.size(),
          "filtered search: trace counts " + std::to_string(ours_traces.size()) + " / " +
              std::to_string(sql_traces.size()) + " / " + std::to_string(plain_traces.size()));
    std::size_t ours_rows = 0;
    for (std::size_t i = 0; i < ours_traces.size() && i < plain_traces.size(); ++i) {
      ours_rows += ours_traces[i].size();
      check(!ours_traces[i].empty() && ours_traces[i].front().trace() == plain_traces[i],
            "filtered search: trace #" + std::to_string(i) + " differs from the plain scan");
      if (i < sql_traces.size()) check(sql_traces[i] == plain_traces[i].to_hex(), "filtered search: SQLite trace #" + std::to_string(i));
    }
    check(ours_rows == sql_rows, "filtered search: spans fetched by the store and by SQLite");
    std::size_t plain_group_count = 0;
    for (const auto& g : plain_groups) plain_group_count += g.count != 0;
    check(ours_groups.total_groups == sql_groups.size() && ours_summary.operations.size() == sql_groups.size() &&
              sql_groups.size() == plain_group_count,
          "group-by: group counts " + std::to_string(ours_groups.total_groups) + " / " +
              std::to_string(ours_summary.operations.size()) + " / " + std::to_string(sql_groups.size()) + " / " +
              std::to_string(plain_group_count));
    auto our_group = [&](const std::string& service, const std::string& operation) -> const trace::span_stats* {
      for (const auto& row : ours_groups.rows)
        if (row.key[0] == service && row.key[1] == operation) return &row.stats;
      return nullptr;
    };
    for (const auto& row : sql_groups) {
      const trace::span_stats* grouped = our_group(row.service, row.operation);
      auto found = std::find_if(ours_summary.operations.begin(), ours_summary.operations.end(), [&](const auto& op) {
        return op.service == row.service && op.operation == row.operation;
      });
      const trace::span_stats* summarized = found == ours_summary.operations.end() ? nullptr : &found->stats;
      for (const trace::span_stats* stats : {grouped, summarized}) {
        bool same = stats && static_cast<std::int64_t>(stats->count) == row.count &&
                    std::fabs(stats->error_rate - row.error_rate) < 1e-9 &&
                    std::fabs(stats->average / 1e9 - row.average_seconds) < 1e-6;
        check(same, std::string(stats == grouped ? "group_spans" : "summarize") + " vs SQLite: " + row.service +
                        " / " + row.operation);
      }
    }
    for (std::size_t g = 0; g < plain_groups.size(); ++g) {
      const auto& expected = plain_groups[g];
      if (expected.count == 0) continue;
      const std::size_t width = plain.operation_names.size();
      const std::string& service = plain.service_names[g / width];
      const std::string& operation = plain.operation_names[g % width];
      const trace::span_stats* grouped = our_group(service, operation);
      const double average = static_cast<double>(expected.duration_sum) / static_cast<double>(expected.count);
      check(grouped && grouped->count == expected.count && grouped->errors == expected.errors &&
                std::fabs(grouped->average - average) <= 1e-9 * average,
            "group_spans vs the plain scan: " + service + " / " + operation);
    }
    check(ours_summary.spans.count == spans.size(), "group-by: total span count");
    for (std::size_t i = 0; i < quantiles.size(); ++i) {
      trace::duration_ns mine = i == 0 ? ours_stats.p50 : i == 1 ? ours_stats.p95 : ours_stats.p99;
      check(mine == plain_pct[i] && ours_column[i] == plain_pct[i] &&
                std::fabs(static_cast<double>(mine) / 1e9 - sql_pct[i]) < 1e-6,
            "percentile " + figure(quantiles[i]) + ": " + std::to_string(mine) + " / " + figure(sql_pct[i] * 1e9) +
                " / " + std::to_string(plain_pct[i]));
    }
    std::fprintf(stderr, "[trace-bench]   count %zu, search %zu traces (%zu spans), %zu groups, p99 %s\n", ours_count,
                 ours_traces.size(), ours_rows, ours_summary.operations.size(),
                 trace::format_duration(ours_stats.p99).c_str());
  }

  // ---- the same queries on the mmap store, beside the memory store ----
  // Sealed: the store written above, reopened with every segment sealed (one block each).
  // Log: the workload appended to one active log and reopened (a block per 10k-span batch).
  progress("the same queries on the mmap store (sealed segments, active log) beside the memory store");
  {
    const std::filesystem::path log_dir = opt.dir / "mmap-log";
    std::filesystem::remove_all(log_dir);
    trace::mmap_options log_options;
    log_options.path = log_dir;
    log_options.sync = trace::sync_policy::none;
    log_options.segment_bytes = trace::max_segment_bytes;  // sparse: one log holds the whole workload
    {
      trace::mmap_store writer(log_options);
      for (std::size_t begin = 0; begin < spans.size(); begin += batch)
        writer.append(std::span<const trace::span>(spans.data() + begin, std::min(batch, spans.size() - begin)));
    }
    auto sealed = open_mmap(trace::sync_policy::none);
    trace::mmap_store log_store(log_options);
    check(sealed->size() == spans.size() && log_store.size() == spans.size(), "mmap stores hold the workload");
    struct query {
      std::string name;
      measurement *on_sealed, *on_log;
    };
    std::vector<query> queries;
    for (const char* name : {"filtered count", "filtered search", "group-by (group_spans)", "summarize"}) {
      query q{name, &results.add(std::string(name) + " (mmap sealed)", "ms", false),
              &results.add(std::string(name) + " (mmap log)", "ms", false)};
      for (auto* m : {q.on_sealed, q.on_log}) m->baseline_name = "memory_store, same run";
      queries.push_back(q);
    }
    // Each query, timed on one store; the answers must agree across the three stores.
    auto run = [&](const auto& s, std::vector<std::string>& answers) {
      std::vector<double> times;
      auto start = bench::bench_clock::now();
      std::size_t counted = trace::count_matching(s, count_filter);
      times.push_back(bench::seconds_since(start) * ms);
      start = bench::bench_clock::now();
      auto found = trace::find_traces(s, search_query);
      std::uint64_t sum = 0;
      for (const auto& t : found)
        for (const auto& one : t) sum += trace::span_id_of(one).value() + trace::start_of(one);
      times.push_back(bench::seconds_since(start) * ms);
      start = bench::bench_clock::now();
      trace::group_page groups = trace::group_spans(s, grouping);
      times.push_back(bench::seconds_since(start) * ms);
      start = bench::bench_clock::now();
      trace::summary_report summary = trace::summarize(s);
      times.push_back(bench::seconds_since(start) * ms);
      answers = {std::to_string(counted), std::to_string(found.size()) + "/" + std::to_string(sum),
                 std::to_string(groups.total_groups), std::to_string(summary.operations.size()) + "/" +
                                                          std::to_string(summary.trace_count) + "/" +
                                                          std::to_string(summary.spans.p99)};
      return times;
    };
    for (int rep = 0; rep < opt.reps; ++rep) {
      std::vector<std::string> in_memory, in_sealed, in_log;
      auto memory_times = run(*store, in_memory);
      auto sealed_times = run(*sealed, in_sealed);
      auto log_times = run(log_store, in_log);
      for (std::size_t i = 0; i < queries.size(); ++i) {
        queries[i].on_sealed->ours.push_back(sealed_times[i]);
        queries[i].on_log->ours.push_back(log_times[i]);
        queries[i].on_sealed->baseline.push_back(memory_times[i]);
        queries[i].on_log->baseline.push_back(memory_times[i]);
        if (rep == 0)
          check(in_sealed[i] == in_memory[i] && in_log[i] == in_memory[i],
                queries[i].name + ": mmap answers " + in_sealed[i] + " (sealed), " + in_log[i] + " (log), memory " +
                    in_memory[i]);
      }
    }
    queries[0].on_sealed->note = "ratio = memory_store time / mmap_store time (below 1: the mmap store is slower)";
  }

  // ---- DuckDB, the analytics peer (only when asked) ----
  // Our side asked here, the memory store and the sealed mmap store in turn; DuckDB's side in
  // its own process afterwards (loaded from the CSV this writes), each on its own clock.
  if (opt.duckdb) {
    progress("DuckDB: the same questions of our stores, then DuckDB's load and answers in its process");
    bench::duckdb_questions_spec spec;
    spec.ids.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(opt.duckdb_lookups, ids.size())));
    spec.operation = count_operation;
    spec.service = search_service;
    spec.tenant = search_tenant;
    bench::duckdb_times on_memory, on_mmap;
    const bench::duckdb_answers ours = bench::ask_ours(*store, spec, opt.reps, on_memory);
    const bench::duckdb_answers on_disk = bench::ask_ours(*open_mmap(trace::sync_policy::none), spec, opt.reps, on_mmap);
    for (const std::string& d : bench::compare_answers(ours, on_disk)) check(false, "mmap sealed vs memory_store: " + d);
    bench::duckdb_peer_options peer;
    peer.script = duckdb_script();
    peer.dir = opt.dir;
    peer.reps = opt.reps;
    peer.load_reps = opt.smoke ? 1 : opt.sqlite_reps;  // CI: one load each is enough to keep it from rotting
    peer.threads = opt.duckdb_threads;
    peer.cpu_time = bench::bench_clock::cpu_time;
    const auto peer_start = std::chrono::steady_clock::now();
    const bench::duckdb_run theirs = bench::run_duckdb_peer(peer, spans, spec);
    const std::chrono::duration<double> peer_wall = std::chrono::steady_clock::now() - peer_start;
    for (const std::string& d : bench::compare_answers(ours, theirs.answers)) check(false, "DuckDB: " + d);
    check(theirs.answers.service_percentiles_native == bench::sql_rank_percentiles(spans),
          "DuckDB: quantile_disc per service differs from its rank (ceil(n q) - 1) over the workload");
    std::fprintf(stderr, "[trace-bench]   DuckDB %s: Appender %.0f ms + index %.0f ms, read_csv %.0f ms; the peer ran %.1f s (wall)\n",
                 theirs.version.c_str(), median(theirs.appender_ms), median(theirs.index_ms), median(theirs.csv_ms),
                 peer_wall.count());
    bench::add_duckdb_rows(results, theirs, on_memory, on_mmap, ingest_flujo.ours, policies[0].m->ours, n_spans,
                           spec.ids.size());
  }

  // ---- ClickHouse, the scale-out peer (only when a server is named) ----
  if (const char* url = std::getenv("TRACE_CLICKHOUSE_URL")) {
    progress("ClickHouse: ingest (RowBinary), group-by and percentiles computed by the server");
    trace::clickhouse_options ch;
    ch.server = trace::clickhouse::parse_http_endpoint(url);
    ch.database = "trace_bench";
    ch.table = "spans";
    trace::clickhouse_store server(ch);
    auto& ch_ingest = results.add("ingest (ClickHouse RowBinary)", "spans/s", true);
    auto& ch_group = results.add("group-by (ClickHouse, by service and operation)", "ms", false);
    auto& ch_pct = results.add("p50/p95/p99 (ClickHouse)", "ms", false);
    ch_ingest.baseline = ingest_flujo.baseline;
    ch_ingest.limit = ingest_flujo.ours;
    ch_ingest.baseline_name = "SQLite flujo";
    ch_ingest.limit_name = "memory_store ingest";
    ch_group.baseline = group_m.baseline;
    ch_group.limit = summarize_m.ours;
    ch_pct.baseline = pct_m.baseline;
    ch_pct.limit = pct_m.ours;
    ch_group.baseline_name = ch_pct.baseline_name = "SQLite tuned";
    ch_group.limit_name = "summarize(memory_store)";
    ch_pct.limit_name = "summarize_spans(memory_store)";
    server.drop_schema();
    server.create_schema();
    auto start = bench::bench_clock::now();
    for (std::size_t begin = 0; begin < spans.size(); begin += batch)
      server.append(std::span<const trace::span>(spans.data() + begin, std::min(batch, spans.size() - begin)));
    ch_ingest.ours.push_back(n_spans / bench::seconds_since(start));
    trace::group_by_options server_grouping;  // exact percentiles, as the server computes them
    server_grouping.keys = {trace::by::service(), trace::by::operation()};
    for (int rep = 0; rep < opt.reps; ++rep) {
      start = bench::bench_clock::now();
      auto groups = trace::group_spans(server, server_grouping);
      ch_group.ours.push_back(bench::seconds_since(start) * ms);
      start = bench::bench_clock::now();
      auto stats = trace::summarize_spans(server);
      ch_pct.ours.push_back(bench::seconds_since(start) * ms);
      if (rep == 0) {
        check(groups.total_groups == trace::summarize(*store).operations.size(), "ClickHouse group count");
        auto mine = trace::summarize_spans(store->scan());
        check(stats.count == spans.size() && stats.p50 == mine.p50 && stats.p95 == mine.p95 && stats.p99 == mine.p99,
              "ClickHouse percentiles differ from the library's");
      }
    }
    ch_ingest.note = "one load of the workload in 10k-span INSERTs (RowBinary), server on this machine";
    ch_group.note = "group_spans(clickhouse_store): count, errors, average and exact p50/p95/p99 per group, in SQL";
    server.drop_schema();
  }

  // ---- report ----
  std::printf("\n");
  measure_text_search(results, opt, spans);

  print_table(results);
  if (!opt.json.empty()) write_json(results, opt, opt.json, machine);
  db.reset();
  std::error_code ec;
  std::filesystem::remove_all(opt.dir, ec);
  if (failures) {
    std::fprintf(stderr, "trace-bench: %d answers disagreed\n", failures);
    return 2;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "trace-bench: %s\n", e.what());
  return 1;
}
