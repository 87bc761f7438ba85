// Replication of the mmap store, two programs in one:
//
//   replication-bench failover [--iterations N] [--acks 0|1] [--smoke] [--keep DIR]
//     A primary process appends batches with `required_acks` (default 1) to a replica on
//     loopback TCP and reports each batch it was acknowledged; it is SIGKILLed after a random
//     few milliseconds, N times (default 100; --smoke: 5), restarting each time on the same
//     folders (so each restart also catches the replica up from the primary's log). After each
//     kill the replica is checked as `tracectl check` checks a store (every record valid,
//     every span decoded, the trace index agreeing with the scan), every span id must be
//     there once, and every acknowledged span must be there: with --acks 1 a missing one
//     fails the run (exit 1); with --acks 0 the missing ones are counted and reported.
//
//   replication-bench rate [--batches N] [--spans S] [--rounds R] [--smoke]
//     Durable appends (sync every batch) of N batches (default 200) of S spans (default
//     100) with no replication, then with two loopback replicas and required_acks 0, 1 and
//     all, in the same run, R rounds (default 3) taking turns; spans/s of wall time (best
//     round) and each ratio to no replication.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/store/mmap.hpp"
#include "trace/store/replication.hpp"

namespace {

namespace fs = std::filesystem;
namespace rep = trace::replication;
using clock_type = std::chrono::steady_clock;

// Batch `k` of `spans` spans: ids unique across batches, so a span applied twice shows.
std::vector<trace::span> make_batch(std::uint64_t k, std::size_t spans) {
  std::vector<trace::span> out(spans);
  for (std::size_t i = 0; i < spans; ++i) {
    trace::span& s = out[i];
    s.trace = trace::trace_id(k + 1, i / 10 + 1);
    s.id = trace::span_id(k * 100'000 + i + 1);
    s.parent = i % 10 ? trace::span_id(k * 100'000 + i / 10 * 10 + 1) : trace::span_id();
    s.name = i % 3 ? "GET /api/items" : "SELECT items";
    s.kind = i % 10 ? trace::span_kind::client : trace::span_kind::server;
    s.start = 1'700'000'000'000'000'000ull + k * 1'000'000 + i * 1000;
    s.end = s.start + 250'000 + i * 17;
    s.resource.service_name = i % 2 ? "frontend" : "inventory";
    s.attributes.set("http.status_code", std::int64_t{200});
    s.attributes.set("batch", static_cast<std::int64_t>(k));
  }
  return out;
}

trace::mmap_options store_at(const fs::path& path) {
  trace::mmap_options o;
  o.path = path;
  o.sync = trace::sync_policy::every_batch;
  o.segment_bytes = 1 << 20;  // small segments: kills land in rolls and seals too
  return o;
}

std::string argument(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const char* name) {
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

// The primary: appends batches first, first + 1, ... and writes each acknowledged batch
// number to `acks` once append returned. Never returns; the parent kills it.
[[noreturn]] void run_primary(const fs::path& dir, std::uint16_t port, unsigned acks, std::uint64_t first, int ack_fd) {
  try {
    rep::replication_options r;
    r.sinks.push_back(std::make_shared<rep::tcp_sink>(trace::net::tcp_address{"127.0.0.1", port}, std::chrono::seconds(5)));
    r.required_acks = acks;
    r.retry_interval = std::chrono::milliseconds(5);
    r.ack_timeout = std::chrono::seconds(30);
    rep::replicated_store primary(store_at(dir / "primary"), r);
    for (std::uint64_t k = first;; ++k) {
      primary.append(make_batch(k, 20 + k % 50));
      if (::write(ack_fd, &k, sizeof k) != sizeof k) std::_Exit(3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "primary: %s\n", e.what());
    std::_Exit(2);
  }
}

// What `tracectl check` verifies, on a store opened read-only; returns the problems.
std::vector<std::string> check_store(const fs::path& path, std::map<std::uint64_t, int>& ids) {
  std::vector<std::string> problems;
  trace::mmap_options o = store_at(path);
  o.mode = trace::open_mode::read_only;
  o.on_dropped = [&](const trace::dropped_log_tail& d) { problems.push_back(trace::describe(d)); };
  try {
    const trace::mmap_store store(o);
    std::map<trace::trace_id, std::size_t> per_trace;
    for (trace::mmap_span s : store.scan()) {
      (void)s.materialize();
      ++per_trace[s.trace()];
      ++ids[s.id().value()];
    }
    for (const auto& [id, count] : per_trace)
      if (store.find_trace(id).size() != count) problems.push_back("trace " + id.to_hex() + ": index and scan disagree");
  } catch (const trace::error& e) {
    problems.push_back(e.what());
  }
  return problems;
}

int failover(int argc, char** argv) {
  const bool smoke = flag(argc, argv, "--smoke");
  const int iterations = std::atoi(argument(argc, argv, "--iterations", smoke ? "5" : "100").c_str());
  const unsigned acks = static_cast<unsigned>(std::atoi(argument(argc, argv, "--acks", "1").c_str()));
  const std::string keep = argument(argc, argv, "--keep", "");
  const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("trace-failover-" + std::to_string(::getpid())) : fs::path(keep);
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::mt19937_64 random(20261201);
  std::set<std::uint64_t> acked;  // every acknowledged batch so far
  std::uint64_t next_batch = 0, lost_spans = 0, lost_batches = 0, acked_spans = 0, acked_batches = 0;
  std::uint16_t port = 0;
  int failures = 0;

  for (int it = 0; it < iterations; ++it) {
    trace::net::tcp_listener listener({"127.0.0.1", port});
    port = listener.port();
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return 2;
    const std::uint64_t first = next_batch;
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(pipe_fds[0]);
      ::close(listener.fd());
      run_primary(dir, port, acks, first, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    // The replica, served from this process (its threads start after the fork). The kill
    // comes 20-400 ms later: a durable batch takes several fsyncs (primary store and log,
    // replica store and position), so a primary gets from none to a few dozen batches acknowledged.
    auto replica = std::make_unique<rep::replica_store>(store_at(dir / "replica"));
    rep::replica_server server(*replica, std::move(listener), std::chrono::seconds(5));
    std::thread serving([&] { server.run(); });
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(20'000, 400'000)(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::vector<std::uint64_t> now_acked;
    for (std::uint64_t k; ::read(pipe_fds[0], &k, sizeof k) == sizeof k;) now_acked.push_back(k);
    ::close(pipe_fds[0]);
    // The connection is gone with the primary; whatever reached the replica is applied.
    server.stop();
    serving.join();
    const std::uint64_t duplicates = replica->duplicates();
    replica.reset();

    std::map<std::uint64_t, int> ids;
    const std::vector<std::string> problems = check_store(dir / "replica", ids);
    for (const auto& p : problems) std::fprintf(stderr, "iteration %d: replica check: %s\n", it, p.c_str());
    for (const auto& [id, count] : ids)
      if (count != 1) {
        std::fprintf(stderr, "iteration %d: span %llu on the replica %d times\n", it, static_cast<unsigned long long>(id), count);
        ++failures;
      }
    acked.insert(now_acked.begin(), now_acked.end());
    std::uint64_t missing_spans = 0, missing_batches = 0;
    for (std::uint64_t k : acked) {
      const auto batch = make_batch(k, 20 + k % 50);
      const auto absent = std::ranges::count_if(batch, [&](const trace::span& s) { return !ids.contains(s.id.value()); });
      if (absent) ++missing_batches;
      missing_spans += static_cast<std::uint64_t>(absent);
    }
    for (std::uint64_t k : now_acked) acked_spans += 20 + k % 50;
    acked_batches += now_acked.size();
    if (acks >= 1 && missing_spans) {
      std::fprintf(stderr, "iteration %d: %llu acknowledged spans missing on the replica\n", it,
                   static_cast<unsigned long long>(missing_spans));
      ++failures;
    }
    // With acks 0 the next restart catches the replica up: count losses at the kill only.
    if (acks == 0) {
      lost_spans += missing_spans;
      lost_batches += missing_batches;
    }
    if (!problems.empty()) ++failures;
    if (WIFEXITED(status)) {
      std::fprintf(stderr, "iteration %d: the primary exited with %d before the kill\n", it, WEXITSTATUS(status));
      ++failures;
    }
    next_batch = now_acked.empty() ? first + 1 : now_acked.back() + 2;  // past a possibly unacknowledged in-flight batch
    if (duplicates) std::printf("iteration %d: %llu resent batches skipped by the replica\n", it, static_cast<unsigned long long>(duplicates));
    // With acks 0, catch the replica up before the next kill so each iteration counts its own losses.
    if (acks == 0) acked.clear();
  }
  std::printf("failover: %d iterations, required_acks %u: %zu batches (%llu spans) acknowledged, replica checked after every kill\n",
              iterations, acks, static_cast<std::size_t>(acked_batches), static_cast<unsigned long long>(acked_spans));
  if (acks == 0)
    std::printf("  acknowledged but not on the replica when the primary died: %llu spans in %llu batches (%.2f %% of acknowledged spans)\n",
                static_cast<unsigned long long>(lost_spans), static_cast<unsigned long long>(lost_batches),
                acked_spans ? 100.0 * static_cast<double>(lost_spans) / static_cast<double>(acked_spans) : 0.0);
  std::printf("  %s\n", failures ? "FAILED" : "every acknowledged span on the replica, each once, the replica's store checked");
  if (keep.empty()) fs::remove_all(dir);
  return failures ? 1 : 0;
}

// Seconds to append `work` durably with `acks` to two loopback replicas; no sinks at all
// when `acks` is empty. The replicas are checked to hold every span afterwards.
double timed_run(const fs::path& dir, const std::vector<std::vector<trace::span>>& work, std::optional<unsigned> acks) {
  auto seconds_since = [](clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); };
  if (!acks) {
    trace::mmap_store store(store_at(dir / "plain"));
    const auto t = clock_type::now();
    for (const auto& b : work) store.append(b);
    return seconds_since(t);
  }
  std::vector<std::unique_ptr<rep::replica_store>> replicas;
  std::vector<std::unique_ptr<rep::replica_server>> servers;
  std::vector<std::thread> threads;
  rep::replication_options r;
  for (int i = 0; i < 2; ++i) {
    replicas.push_back(std::make_unique<rep::replica_store>(store_at(dir / ("replica-" + std::to_string(i)))));
    servers.push_back(std::make_unique<rep::replica_server>(*replicas.back(), trace::net::tcp_address{"127.0.0.1", 0}));
    r.sinks.push_back(std::make_shared<rep::tcp_sink>(trace::net::tcp_address{"127.0.0.1", servers.back()->port()}));
    threads.emplace_back([s = servers.back().get()] { s->run(); });
  }
  r.required_acks = *acks;
  double took = 0;
  std::size_t spans = 0;
  for (const auto& b : work) spans += b.size();
  {
    rep::replicated_store primary(store_at(dir / "primary"), r);
    const auto t = clock_type::now();
    for (const auto& b : work) primary.append(b);
    took = seconds_since(t);
    // Not timed: with 0 acks the replicas finish in the background; wait so the run ends clean.
    while (std::ranges::any_of(primary.replication().status(), [&](const rep::sink_status& s) { return s.acked < work.size(); }))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& s : servers) s->stop();
  for (auto& t : threads) t.join();
  for (auto& replica : replicas)
    if (replica->store().size() != spans)
      throw std::runtime_error("a replica holds " + std::to_string(replica->store().size()) + " spans, not " + std::to_string(spans));
  return took;
}

int rate(int argc, char** argv) {
  const bool smoke = flag(argc, argv, "--smoke");
  const std::uint64_t batches = std::strtoull(argument(argc, argv, "--batches", smoke ? "20" : "200").c_str(), nullptr, 10);
  const std::size_t spans = std::strtoull(argument(argc, argv, "--spans", "100").c_str(), nullptr, 10);
  const int rounds = std::atoi(argument(argc, argv, "--rounds", smoke ? "1" : "3").c_str());
  const fs::path dir = fs::temp_directory_path() / ("trace-replication-rate-" + std::to_string(::getpid()));
  std::vector<std::vector<trace::span>> work;
  for (std::uint64_t k = 0; k < batches; ++k) work.push_back(make_batch(k, spans));

  // The modes take turns, round after round, so that a disk busy with others' work slows
  // each alike; the best round of each mode is reported.
  const std::vector<std::pair<std::string, std::optional<unsigned>>> modes = {
      {"no replication", std::nullopt}, {"required_acks 0", 0u}, {"required_acks 1", 1u}, {"required_acks all", rep::all_replicas}};
  std::vector<double> best(modes.size(), 1e300);
  for (int round = 0; round < rounds; ++round)
    for (std::size_t m = 0; m < modes.size(); ++m) {
      fs::remove_all(dir);
      best[m] = std::min(best[m], timed_run(dir, work, modes[m].second));
    }
  fs::remove_all(dir);
  std::printf("durable appends (sync every batch), %llu batches of %zu spans, two loopback replicas, best of %d rounds:\n",
              static_cast<unsigned long long>(batches), spans, rounds);
  const double baseline = static_cast<double>(batches * spans) / best[0];
  for (std::size_t m = 0; m < modes.size(); ++m) {
    const double per_second = static_cast<double>(batches * spans) / best[m];
    std::printf("  %-20s %8.0f spans/s  %6.1f batches/s  %5.2fx\n", modes[m].first.c_str(), per_second,
                static_cast<double>(batches) / best[m], per_second / baseline);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "failover") return failover(argc, argv);
    if (mode == "rate") return rate(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replication-bench: %s\n", e.what());
    return 2;
  }
  std::fprintf(stderr, "usage: replication-bench failover [--iterations N] [--acks 0|1] [--smoke] [--keep DIR]\n"
                       "       replication-bench rate [--batches N] [--spans S] [--rounds R] [--smoke]\n");
  return 2;
}
