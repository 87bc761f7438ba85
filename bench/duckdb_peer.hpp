#pragma once
// DuckDB beside the library in trace-bench (`trace-bench --duckdb`, or TRACE_DUCKDB_PEER=1).
//
// DuckDB runs in its own process: bench/duckdb_peer.mjs under Node, with @duckdb/node-api
// from tests/interop/node_modules. trace-bench writes the workload as CSV and the trace ids
// to look up as hex, starts the script, and reads back what it printed: load times, each
// question's time per repetition (measured inside DuckDB's process, around the query and
// the reading of its rows), and its answers on the first repetition. The same questions are
// asked of our stores here, on the same clock, one thread; every answer must agree.
//
// Nothing is skipped: when asked for, a missing node or package is an error naming what
// to install.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "limits.hpp"
#include "trace/analytics.hpp"
#include "trace/core.hpp"
#include "trace/query.hpp"

extern char** environ;

namespace bench {

// The questions, by the names the script prints.
inline constexpr std::array<std::string_view, 9> duckdb_questions = {
    "lookup_median", "lookup_p99", "query_floor", "count", "search", "group", "percentiles", "service_percentiles",
    "service_percentiles_native"};

// What both sides are asked.
struct duckdb_questions_spec {
  std::vector<trace::trace_id> ids;  // traces to look up, each timed alone
  std::string operation;             // filtered count: status = error AND operation
  std::string service, tenant;       // filtered search: service AND tenant attribute
  std::size_t limit = 100;
};

// One side's answers, comparable field by field.
struct duckdb_answers {
  std::size_t lookup_rows = 0;
  std::size_t count = 0;
  std::vector<std::pair<std::string, std::size_t>> search;  // trace id (hex), spans fetched; newest first
  struct group {
    std::size_t count = 0;
    double average_ns = 0, error_rate = 0;
  };
  std::map<std::pair<std::string, std::string>, group> groups;  // by (service, operation)
  std::array<std::uint64_t, 3> percentiles{};                    // p50, p95, p99
  std::map<std::string, std::array<std::uint64_t, 3>> service_percentiles;
  // DuckDB's quantile_disc per service, its own rank (see sql_rank_percentiles).
  std::map<std::string, std::array<std::uint64_t, 3>> service_percentiles_native;
};

// Times per question (ms; us for the two lookup figures), one sample per repetition.
using duckdb_times = std::map<std::string, std::vector<double>, std::less<>>;

struct duckdb_run {
  std::string version;
  int threads = 0;
  std::vector<double> appender_ms, csv_ms, index_ms;
  duckdb_times times;  // on trace-bench's clock
  duckdb_times wall;   // the same on the wall clock, where DuckDB's threads show
  duckdb_answers answers;
};

// ---- input files ----

inline void write_csv_text(std::ostream& out, std::string_view text) {
  out << '"';
  for (char c : text) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

// The spans as CSV, the columns bench/duckdb_peer.mjs declares; an absent value is an empty
// field (NULL), a string is always quoted (so "" is an empty string).
inline void write_duckdb_csv(const std::vector<trace::span>& spans, const std::filesystem::path& file) {
  std::ofstream out(file, std::ios::binary);
  if (!out) throw trace::error(trace::errc::io_error, "duckdb peer: cannot write " + file.string());
  out << "trace_high,trace_low,span_id,parent_span_id,name,service,kind,start_ns,duration_ns,status,status_message,"
         "http_method,http_status_code,tenant,region,payload_bytes\n";
  auto text_attribute = [&](const trace::span& s, std::string_view key) {
    const auto* value = s.attributes.find(key);
    if (const auto* text = value ? std::get_if<std::string>(value) : nullptr) write_csv_text(out, *text);
  };
  auto int_attribute = [&](const trace::span& s, std::string_view key) {
    const auto* value = s.attributes.find(key);
    if (const auto* number = value ? std::get_if<std::int64_t>(value) : nullptr) out << *number;
  };
  for (const trace::span& s : spans) {
    out << s.trace.high() << ',' << s.trace.low() << ',' << s.id.value() << ',';
    if (s.parent.valid()) out << s.parent.value();
    out << ',';
    write_csv_text(out, s.name);
    out << ',';
    write_csv_text(out, s.resource.service_name);
    out << ',' << static_cast<unsigned>(s.kind) << ',' << s.start << ',' << (s.end - s.start) << ',';
    write_csv_text(out, trace::to_string(s.status.code));
    out << ',';
    if (!s.status.message.empty()) write_csv_text(out, s.status.message);
    out << ',';
    text_attribute(s, "http.method");
    out << ',';
    int_attribute(s, "http.status_code");
    out << ',';
    text_attribute(s, "tenant");
    out << ',';
    text_attribute(s, "region");
    out << ',';
    int_attribute(s, "payload.bytes");
    out << '\n';
  }
  if (!out.flush()) throw trace::error(trace::errc::io_error, "duckdb peer: writing " + file.string() + " failed");
}

// ---- the peer process ----

// The first executable `name` on PATH, or "" when there is none.
inline std::string find_on_path(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "";
  while (!dirs.empty()) {
    std::size_t colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

namespace detail {

inline double parse_number(const std::string& text, std::size_t line) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || !end || *end)
    throw trace::error(trace::errc::parse_error,
                       "duckdb peer output, line " + std::to_string(line) + ": \"" + text + "\" is not a number");
  return value;
}

inline std::uint64_t parse_count(const std::string& text, std::size_t line) {
  char* end = nullptr;
  auto value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || !end || *end)
    throw trace::error(trace::errc::parse_error,
                       "duckdb peer output, line " + std::to_string(line) + ": \"" + text + "\" is not a count");
  return value;
}

// The script's tab-separated lines into a run.
inline duckdb_run parse_peer_output(std::istream& in) {
  duckdb_run run;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
    auto need = [&](std::size_t n) {
      if (f.size() < n)
        throw trace::error(trace::errc::parse_error, "duckdb peer output, line " + std::to_string(number) + ": \"" +
                                                         line + "\" has too few fields");
    };
    need(2);
    const std::string& kind = f[0];
    if (kind == "version") {
      need(3);
      run.version = f[1];
      run.threads = static_cast<int>(parse_count(f[2], number));
    } else if (kind == "load") {
      need(3);
      auto& into = f[1] == "appender" ? run.appender_ms : f[1] == "csv" ? run.csv_ms : run.index_ms;
      into.push_back(parse_number(f[2], number));
    } else if (kind == "time") {
      need(3);
      need(4);
      run.times[f[1]].push_back(parse_number(f[2], number));
      run.wall[f[1]].push_back(parse_number(f[3], number));
    } else if (kind == "answer") {
      duckdb_answers& a = run.answers;
      const std::string& what = f[1];
      if (what == "lookup_rows") {
        need(3);
        a.lookup_rows = parse_count(f[2], number);
      } else if (what == "count") {
        need(3);
        a.count = parse_count(f[2], number);
      } else if (what == "search") {
        need(4);
        a.search.emplace_back(f[2], parse_count(f[3], number));
      } else if (what == "group") {
        need(7);
        a.groups[{f[2], f[3]}] = {parse_count(f[4], number), parse_number(f[5], number), parse_number(f[6], number)};
      } else if (what == "percentiles") {
        need(5);
        for (std::size_t i = 0; i < 3; ++i) a.percentiles[i] = parse_count(f[2 + i], number);
      } else if (what == "service_percentiles" || what == "service_percentiles_native") {
        need(6);
        auto& p = (what == "service_percentiles" ? a.service_percentiles : a.service_percentiles_native)[f[2]];
        for (std::size_t i = 0; i < 3; ++i) p[i] = parse_count(f[3 + i], number);
      } else {
        throw trace::error(trace::errc::parse_error, "duckdb peer output, line " + std::to_string(number) +
                                                         ": unknown answer \"" + what + "\"");
      }
    } else {
      throw trace::error(trace::errc::parse_error,
                         "duckdb peer output, line " + std::to_string(number) + ": unknown kind \"" + kind + "\"");
    }
  }
  for (std::string_view q : duckdb_questions)
    if (run.times.find(q) == run.times.end())
      throw trace::error(trace::errc::parse_error, "duckdb peer output: no time for " + std::string(q));
  if (run.appender_ms.empty() || run.csv_ms.empty())
    throw trace::error(trace::errc::parse_error, "duckdb peer output: no load time");
  return run;
}

}  // namespace detail

struct duckdb_peer_options {
  std::filesystem::path script;  // bench/duckdb_peer.mjs
  std::filesystem::path dir;     // scratch directory for the CSV, the ids and the output
  int reps = 3, load_reps = 1, threads = 2;
  bool cpu_time = false;
};

// node's path, once node, the script and @duckdb/node-api (beside it in tests/interop) are
// all there; otherwise trace::error naming what to install. trace-bench asks at its start, so
// a long run does not fail at its end.
inline std::string require_duckdb_peer(const std::filesystem::path& script) {
  std::string node = find_on_path("node");
  if (node.empty())
    throw trace::error(trace::errc::invalid_option,
                       "--duckdb: node is not on PATH; install Node.js 20 (NodeSource nodejs, or apt-get install "
                       "nodejs npm), then `npm ci` in tests/interop");
  if (!std::filesystem::exists(script))
    throw trace::error(trace::errc::invalid_option, "--duckdb: the peer script " + script.string() + " is missing");
  const auto package = script.parent_path() / ".." / "tests" / "interop" / "node_modules" / "@duckdb" / "node-api";
  if (!std::filesystem::exists(package / "package.json"))
    throw trace::error(trace::errc::invalid_option,
                       "--duckdb: @duckdb/node-api is not installed in " + package.lexically_normal().string() +
                           "; run `npm ci` in tests/interop (or source .ci/lib/node-packages.sh && node_packages)");
  return node;
}

// Writes the inputs, runs the script to its end and reads what it printed. Throws
// trace::error when something is missing or the script fails (its own message is on stderr).
inline duckdb_run run_duckdb_peer(const duckdb_peer_options& o, const std::vector<trace::span>& spans,
                                  const duckdb_questions_spec& q) {
  std::string node = require_duckdb_peer(o.script);
  const auto csv = o.dir / "duckdb-spans.csv", ids = o.dir / "duckdb-ids.txt", output = o.dir / "duckdb-out.tsv";
  write_duckdb_csv(spans, csv);
  {
    std::ofstream out(ids);
    for (const trace::trace_id& id : q.ids) out << id.to_hex() << '\n';
    if (!out.flush()) throw trace::error(trace::errc::io_error, "duckdb peer: writing " + ids.string() + " failed");
  }
  std::vector<std::string> args = {node,
                                   o.script.string(),
                                   "--csv",
                                   csv.string(),
                                   "--ids",
                                   ids.string(),
                                   "--reps",
                                   std::to_string(o.reps),
                                   "--load-reps",
                                   std::to_string(o.load_reps),
                                   "--threads",
                                   std::to_string(o.threads),
                                   "--operation",
                                   q.operation,
                                   "--service",
                                   q.service,
                                   "--tenant",
                                   q.tenant,
                                   "--limit",
                                   std::to_string(q.limit),
                                   "--quantiles",
                                   "0.5,0.95,0.99"};
  if (o.cpu_time) args.emplace_back("--cpu-time");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, node.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw trace::error(trace::errc::io_error, "--duckdb: cannot start " + node + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw trace::error(trace::errc::io_error, "--duckdb: waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw trace::error(trace::errc::remote_error,
                       "--duckdb: " + o.script.string() + " failed (exit status " +
                           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                           "); its message is above");
  std::ifstream in(output);
  duckdb_run run = detail::parse_peer_output(in);
  std::error_code ec;
  for (const auto& file : {csv, ids, output}) std::filesystem::remove(file, ec);
  return run;
}

// p50/p95/p99 of each service's durations as SQL's PERCENTILE_DISC ranks them (the first value
// whose cumulative share reaches q: index ceil(n q) - 1), to check DuckDB's own quantile_disc.
inline std::map<std::string, std::array<std::uint64_t, 3>> sql_rank_percentiles(const std::vector<trace::span>& spans) {
  std::map<std::string, std::vector<std::uint64_t>> durations;
  for (const trace::span& s : spans) durations[s.resource.service_name].push_back(s.end - s.start);
  std::map<std::string, std::array<std::uint64_t, 3>> out;
  for (auto& [service, d] : durations) {
    std::sort(d.begin(), d.end());
    const auto n = static_cast<double>(d.size());
    const std::array<double, 3> qs = {0.5, 0.95, 0.99};
    for (std::size_t i = 0; i < qs.size(); ++i)
      out[service][i] = d[static_cast<std::size_t>(std::max(1.0, std::ceil(n * qs[i]))) - 1];
  }
  return out;
}

// ---- our side ----

// Asks `store` the same questions `reps` times on bench_clock; answers from the first time.
template <class Store>
duckdb_answers ask_ours(const Store& store, const duckdb_questions_spec& q, int reps, duckdb_times& times) {
  using namespace trace::where;
  const trace::filter count_filter = status(trace::status_code::error) && operation(q.operation);
  trace::trace_query search;
  search.where = service(q.service) && attribute("tenant") == q.tenant;
  search.limit = q.limit;
  trace::group_by_options by_operation;
  by_operation.keys = {trace::by::service(), trace::by::operation()};
  by_operation.percentiles = trace::percentile_method::none;
  trace::group_by_options by_service;  // exact p50/p95/p99 per service
  by_service.keys = {trace::by::service()};
  const double ms = 1e3;
  duckdb_answers a;
  std::vector<double> latencies(q.ids.size());
  for (int rep = 0; rep < reps; ++rep) {
    std::uint64_t sum = 0;
    std::size_t rows = 0;
    for (std::size_t i = 0; i < q.ids.size(); ++i) {
      auto start = bench_clock::now();
      for (const auto& s : store.find_trace(q.ids[i])) {
        sum += trace::span_id_of(s).value() + trace::parent_id_of(s).value() + trace::name_of(s).size() +
               trace::start_of(s) + trace::duration_of(s) + static_cast<std::uint64_t>(trace::status_of(s));
        ++rows;
      }
      latencies[i] = seconds_since(start) * 1e6;
    }
    std::vector<double> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    times["lookup_median"].push_back(n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
    times["lookup_p99"].push_back(sorted[static_cast<std::size_t>(std::max(1.0, std::ceil(0.99 * static_cast<double>(n)))) - 1]);

    auto start = bench_clock::now();
    std::size_t counted = trace::count_matching(store, count_filter);
    times["count"].push_back(seconds_since(start) * ms);
    start = bench_clock::now();
    auto found = trace::find_traces(store, search);
    for (const auto& t : found)
      for (const auto& s : t) sum += trace::span_id_of(s).value() + trace::start_of(s);
    times["search"].push_back(seconds_since(start) * ms);
    start = bench_clock::now();
    trace::group_page groups = trace::group_spans(store, by_operation);
    times["group"].push_back(seconds_since(start) * ms);
    start = bench_clock::now();
    trace::span_stats overall = trace::summarize_spans(store);
    times["percentiles"].push_back(seconds_since(start) * ms);
    start = bench_clock::now();
    trace::group_page services = trace::group_spans(store, by_service);
    times["service_percentiles"].push_back(seconds_since(start) * ms);
    keep(sum);

    if (rep != 0) continue;
    a.lookup_rows = rows;
    a.count = counted;
    for (const auto& t : found)
      if (!t.empty()) a.search.emplace_back(trace::trace_id_of(t.front()).to_hex(), t.size());
    for (const auto& row : groups.rows)
      a.groups[{row.key[0], row.key[1]}] = {row.stats.count, row.stats.average, row.stats.error_rate};
    a.percentiles = {overall.p50, overall.p95, overall.p99};
    for (const auto& row : services.rows) a.service_percentiles[row.key[0]] = {row.stats.p50, row.stats.p95, row.stats.p99};
  }
  return a;
}

// Where two sides' answers differ, one line each: counts, trace ids and their span counts
// exactly, group counts exactly and averages and error rates within rounding, percentiles
// exactly.
inline std::vector<std::string> compare_answers(const duckdb_answers& ours, const duckdb_answers& theirs) {
  std::vector<std::string> out;
  if (ours.lookup_rows != theirs.lookup_rows)
    out.push_back("trace by id: " + std::to_string(ours.lookup_rows) + " spans found, DuckDB " +
                  std::to_string(theirs.lookup_rows));
  if (ours.count != theirs.count)
    out.push_back("filtered count: " + std::to_string(ours.count) + ", DuckDB " + std::to_string(theirs.count));
  if (ours.search.size() != theirs.search.size())
    out.push_back("filtered search: " + std::to_string(ours.search.size()) + " traces, DuckDB " +
                  std::to_string(theirs.search.size()));
  for (std::size_t i = 0; i < std::min(ours.search.size(), theirs.search.size()); ++i)
    if (ours.search[i] != theirs.search[i])
      out.push_back("filtered search: trace #" + std::to_string(i) + " " + ours.search[i].first + " (" +
                    std::to_string(ours.search[i].second) + " spans), DuckDB " + theirs.search[i].first + " (" +
                    std::to_string(theirs.search[i].second) + " spans)");
  if (ours.groups.size() != theirs.groups.size())
    out.push_back("group-by: " + std::to_string(ours.groups.size()) + " groups, DuckDB " +
                  std::to_string(theirs.groups.size()));
  for (const auto& [key, mine] : ours.groups) {
    auto it = theirs.groups.find(key);
    const std::string name = key.first + " / " + key.second;
    if (it == theirs.groups.end()) {
      out.push_back("group-by: " + name + " missing in DuckDB's answer");
      continue;
    }
    const auto& other = it->second;
    if (mine.count != other.count || std::fabs(mine.average_ns - other.average_ns) > 1e-9 * mine.average_ns ||
        std::fabs(mine.error_rate - other.error_rate) > 1e-12)
      out.push_back("group-by: " + name + " differs (count, average, error rate)");
  }
  if (ours.percentiles != theirs.percentiles) out.push_back("p50/p95/p99 overall differ");
  if (ours.service_percentiles != theirs.service_percentiles) out.push_back("p50/p95/p99 per service differ");
  return out;
}

// The side-by-side rows, into trace-bench's report: ratio = DuckDB's time / ours (above 1:
// ours is faster), for the memory store and the sealed mmap store. Ingest: ours against
// DuckDB's Appender (with its trace id index, as our stores index while they ingest) and
// against read_csv, DuckDB's fastest load here.
template <class Report>
void add_duckdb_rows(Report& results, const duckdb_run& peer, const duckdb_times& memory, const duckdb_times& mmap,
                     const std::vector<double>& memory_ingest, const std::vector<double>& mmap_ingest, double spans,
                     std::size_t lookups) {
  const std::string duckdb = "DuckDB " + peer.version + ", " + std::to_string(peer.threads) + " threads";
  auto rate = [spans](const std::vector<double>& ms) {
    std::vector<double> out;
    for (double v : ms) out.push_back(spans / (v / 1e3));
    return out;
  };
  std::vector<double> appender_and_index = peer.appender_ms;
  for (std::size_t i = 0; i < appender_and_index.size() && i < peer.index_ms.size(); ++i)
    appender_and_index[i] += peer.index_ms[i];
  auto& by_appender = results.add("ingest (memory_store vs DuckDB Appender)", "spans/s", true);
  by_appender.ours = memory_ingest;
  by_appender.baseline = rate(appender_and_index);
  auto& by_csv = results.add("ingest (memory_store vs DuckDB read_csv)", "spans/s", true);
  by_csv.ours = memory_ingest;
  by_csv.baseline = rate(peer.csv_ms);
  auto& mmap_by_appender = results.add("ingest (mmap sync none vs DuckDB Appender)", "spans/s", true);
  mmap_by_appender.ours = mmap_ingest;
  mmap_by_appender.baseline = by_appender.baseline;
  auto& mmap_by_csv = results.add("ingest (mmap sync none vs DuckDB read_csv)", "spans/s", true);
  mmap_by_csv.ours = mmap_ingest;
  mmap_by_csv.baseline = by_csv.baseline;
  for (auto* m : {&by_appender, &by_csv, &mmap_by_appender, &mmap_by_csv}) m->baseline_name = duckdb;
  auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  auto whole = [](double v) { return std::to_string(static_cast<long long>(std::llround(v))); };
  auto three_digits = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", v);
    return std::string(text);
  };
  by_appender.note = "DuckDB: Appender from Node, one call per value (" + whole(median_of(peer.appender_ms)) +
                     " ms) + CREATE INDEX on trace_id (" + whole(median_of(peer.index_ms)) +
                     " ms); ours: one thread, 10k-span appends, trace index built as it goes";
  by_csv.note = "DuckDB: INSERT INTO spans SELECT ... FROM read_csv(the same spans), no index; its fastest load here";
  struct question {
    std::string_view key;
    const char* name;
    const char* unit;
    std::string_view theirs = {};  // DuckDB's figure, when it is not `key`
  };
  decltype(&by_appender) first_row = nullptr, native_row = nullptr;
  for (const question& q : {question{"lookup_median", "trace by id, median", "us"},
                            question{"lookup_p99", "trace by id, p99", "us"},
                            question{"count", "filtered count", "ms"},
                            question{"search", "filtered search, 100 traces", "ms"},
                            question{"group", "group-by service+operation", "ms"},
                            question{"percentiles", "p50/p95/p99 overall", "ms"},
                            question{"service_percentiles", "p50/p95/p99 per service", "ms"},
                            question{"service_percentiles", "p50/p95/p99 per service, DuckDB rank", "ms",
                                     "service_percentiles_native"}}) {
    const std::string theirs(q.theirs.empty() ? q.key : q.theirs);
    for (const auto& [store, samples] : {std::pair{"memory", &memory}, std::pair{"mmap sealed", &mmap}}) {
      auto& m = results.add(std::string(q.name) + " (" + store + " vs DuckDB)", q.unit, false);
      m.ours = samples->find(q.key)->second;
      m.baseline = peer.times.at(theirs);
      m.baseline_name = duckdb;
      if (!first_row) first_row = &m;
      if (!q.theirs.empty() && !native_row) native_row = &m;
      if (samples == &memory) m.note = "DuckDB on the wall clock: " + three_digits(median_of(peer.wall.at(theirs))) + " " + q.unit;
    }
  }
  native_row->note =
      native_row->note + "; DuckDB: quantile_disc(duration_ns, [0.5, 0.95, 0.99]) GROUP BY service, which ranks by ceil(n q) - 1 "
      "(checked against that rank), not ours: its fastest form; the row above gives ours exactly, by list_sort";
  first_row->note = first_row->note + "; over " + std::to_string(lookups) +
               " random trace ids on both sides (fewer than ours above: each DuckDB lookup is a prepared query "
               "through Node); ours one thread, DuckDB " +
               std::to_string(peer.threads) + " threads; DuckDB timed in its process around each query and the "
               "reading of its rows; any query there costs at least " + whole(median_of(peer.times.at("query_floor"))) +
               " us (SELECT 1, median)";
}

}  // namespace bench
