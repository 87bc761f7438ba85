// server-bench: trace-server under load from N concurrent clients on loopback, each sending
// protobuf batches over its own kept-alive connection and waiting for the answer (which the
// server sends only once the batch is durable). Beside it, in the same run, the mmap store's
// own durable append rate (append + sync per batch, one thread, same batches, same volume):
// the figure the server is compared with.
//
//   server-bench --server build/dev/examples/trace-server/trace-server [--clients 8]
//                [--seconds 5] [--batch 200]
//     starts the server on a free port with a fresh store in $TMPDIR, measures, stops it with
//     SIGTERM, and checks the store holds exactly the acknowledged spans.
//   server-bench --url http://127.0.0.1:PORT [--clients N] [--seconds S] [--batch B] --acked FILE
//     load only, against a running server; every acknowledged batch is appended to FILE as
//     "<trace id> <spans>" before the next is sent (the fault tests kill the server meanwhile).
//
// Reported: spans/s acknowledged, p50/p99 ack latency, the server's CPU time over wall time,
// and the ratio to the store's durable append rate.

#include <trace/io/otlp_protobuf.hpp>
#include <trace/net/http_client.hpp>
#include <trace/store/mmap.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <signal.h>        // kill
#include <sys/resource.h>  // getrusage: the server's CPU time once it has exited
#include <sys/wait.h>      // waitpid
#include <unistd.h>        // fork, execv, pipe

namespace {

using clock_type = std::chrono::steady_clock;

struct bench_options {
  std::string server, url, acked;
  unsigned clients = 8;
  double seconds = 5;
  std::size_t batch = 200;
};

// One batch with ids unique to (client, sequence): one trace of `size` spans.
std::vector<trace::span> make_batch(unsigned client, std::uint64_t sequence, std::size_t size) {
  std::vector<trace::span> out(size);
  const trace::trace_id trace{0x5e4e4000ull + client + 1, sequence + 1};
  for (std::size_t i = 0; i < size; ++i) {
    auto& s = out[i];
    s.trace = trace;
    s.id = trace::span_id{(std::uint64_t{client + 1} << 48) | (sequence << 16) | (i + 1)};
    s.parent = trace::span_id{i == 0 ? 0 : (std::uint64_t{client + 1} << 48) | (sequence << 16) | 1};
    s.resource.service_name = "service-" + std::to_string(i % 4);
    s.name = "GET /api/items/" + std::to_string(i % 50);
    s.kind = trace::span_kind::server;
    s.start = 1'700'000'000'000'000'000 + sequence * 1'000'000 + i * 1000;
    s.end = s.start + 250'000;
    s.attributes.set("http.method", std::string("GET"));
    s.attributes.set("http.status_code", std::int64_t{200});
    s.attributes.set("http.route", "/api/items/{id}");
    if (i % 4 == 0) s.events.push_back({.time = s.start + 100, .name = "cache miss"});
  }
  return out;
}

struct load_result {
  std::uint64_t spans = 0, batches = 0, refused = 0, failed = 0;
  std::vector<double> latencies_ms;
  double wall_s = 0;
};

load_result run_load(const bench_options& o, const trace::net::http_endpoint& endpoint) {
  std::FILE* acked = o.acked.empty() ? nullptr : std::fopen(o.acked.c_str(), "a");
  if (!o.acked.empty() && !acked) throw std::runtime_error("cannot open " + o.acked);
  std::mutex mutex;
  load_result total;
  const auto start = clock_type::now();
  const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      load_result mine;
      trace::net::http_client client(endpoint);
      for (std::uint64_t sequence = 0; clock_type::now() < deadline; ++sequence) {
        const auto batch = make_batch(c, sequence, o.batch);
        const std::string body = trace::otlp::proto::encode_request(batch);
        trace::net::http_request request;
        request.method = "POST";
        request.target = "/v1/traces";
        request.body = body;
        request.headers = {{"Content-Type", "application/x-protobuf"}};
        const auto sent = clock_type::now();
        trace::net::http_response response;
        try {
          response = client.request(request);
        } catch (const trace::error&) {
          ++mine.failed;  // the server went away (the fault tests kill it): this client stops
          break;
        }
        if (response.status == 503) {
          ++mine.refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        if (response.status != 200) {
          std::fprintf(stderr, "server-bench: unexpected status %d: %s\n", response.status, response.body.c_str());
          ++mine.failed;
          break;
        }
        mine.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
        mine.spans += batch.size();
        ++mine.batches;
        if (acked) {
          std::lock_guard lock(mutex);
          std::fprintf(acked, "%s %zu\n", batch[0].trace.to_hex().c_str(), batch.size());
          std::fflush(acked);  // on record before the next batch goes out
        }
      }
      std::lock_guard lock(mutex);
      total.spans += mine.spans, total.batches += mine.batches, total.refused += mine.refused, total.failed += mine.failed;
      total.latencies_ms.insert(total.latencies_ms.end(), mine.latencies_ms.begin(), mine.latencies_ms.end());
    });
  }
  for (auto& t : threads) t.join();
  total.wall_s = std::chrono::duration<double>(clock_type::now() - start).count();
  if (acked) std::fclose(acked);
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

// The store's durable append rate: one thread, append + sync per batch, for `seconds`.
double store_rate(const std::filesystem::path& dir, const bench_options& o) {
  trace::mmap_store store({.path = dir, .sync = trace::sync_policy::none});
  std::uint64_t spans = 0;
  const auto start = clock_type::now();
  const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  for (std::uint64_t sequence = 0; clock_type::now() < deadline; ++sequence) {
    const auto batch = make_batch(0, sequence, o.batch);
    store.append(batch);
    store.sync();
    spans += batch.size();
  }
  return static_cast<double>(spans) / std::chrono::duration<double>(clock_type::now() - start).count();
}

struct running_server {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

running_server start_server(const std::string& program, const std::filesystem::path& data) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    const std::string data_path = data.string();
    execl(program.c_str(), program.c_str(), "--data-path", data_path.c_str(), "--listen", "127.0.0.1:0", nullptr);
    std::perror("server-bench: exec trace-server");
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);  // the server's later lines go nowhere: it ignores a closed stdout (printf)
  const auto at = line.find("127.0.0.1:");
  if (at == std::string::npos) throw std::runtime_error("trace-server did not say where it listens: \"" + line + "\"");
  return {pid, static_cast<std::uint16_t>(std::stoi(line.substr(at + 10)))};
}

bench_options parse(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--server") o.server = value;
    else if (flag == "--url") o.url = value;
    else if (flag == "--acked") o.acked = value;
    else if (flag == "--clients") o.clients = static_cast<unsigned>(std::stoul(value));
    else if (flag == "--seconds") o.seconds = std::stod(value);
    else if (flag == "--batch") o.batch = std::stoul(value);
    else throw std::runtime_error("unknown flag " + std::string(flag));
  }
  if (argc % 2 == 0) throw std::runtime_error(std::string(argv[argc - 1]) + " needs a value");
  if (o.server.empty() == o.url.empty()) throw std::runtime_error("give --server PATH or --url URL");
  if (o.clients == 0 || o.batch == 0 || o.batch > 60000) throw std::runtime_error("--clients and --batch (1..60000) must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const bench_options o = parse(argc, argv);
  if (!o.url.empty()) {  // load only
    const load_result r = run_load(o, trace::net::parse_http_endpoint(o.url));
    std::printf("acknowledged %llu spans in %llu batches, %llu refused (503), %llu failed\n",
                static_cast<unsigned long long>(r.spans), static_cast<unsigned long long>(r.batches),
                static_cast<unsigned long long>(r.refused), static_cast<unsigned long long>(r.failed));
    return 0;
  }

  const auto work = std::filesystem::temp_directory_path() / ("server-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const double baseline = store_rate(work / "baseline", o);
  std::filesystem::remove_all(work / "baseline");

  running_server server = start_server(o.server, work / "server");
  const load_result r = run_load(o, {.host = "127.0.0.1", .port = server.port});
  kill(server.pid, SIGTERM);
  int status = 0;
  waitpid(server.pid, &status, 0);
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  const double server_cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::size_t stored = 0;
  {
    trace::mmap_store store({.path = work / "server", .mode = trace::open_mode::read_only});
    stored = store.size();
  }
  std::filesystem::remove_all(work);

  const double rate = static_cast<double>(r.spans) / r.wall_s;
  std::printf("server-bench: %u clients, batches of %zu spans, %.1f s\n", o.clients, o.batch, r.wall_s);
  std::printf("  mmap store, append + sync per batch   %10.0f spans/s\n", baseline);
  std::printf("  trace-server, acknowledged (durable)  %10.0f spans/s  (%.2fx the store)\n", rate, rate / baseline);
  std::printf("  ack latency  p50 %.2f ms  p99 %.2f ms  (%llu batches, %llu refused, %llu failed)\n",
              percentile(r.latencies_ms, 0.50), percentile(r.latencies_ms, 0.99),
              static_cast<unsigned long long>(r.batches), static_cast<unsigned long long>(r.refused),
              static_cast<unsigned long long>(r.failed));
  std::printf("  server CPU   %.2f s over %.2f s wall (%.2f cores)\n", server_cpu, r.wall_s, server_cpu / r.wall_s);
  std::printf("  store holds %zu spans, acknowledged %llu: %s\n", stored, static_cast<unsigned long long>(r.spans),
              stored == r.spans ? "equal" : "DIFFERENT");
  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean_exit) std::printf("  trace-server did not exit 0 after SIGTERM (status %d)\n", status);
  return stored == r.spans && r.failed == 0 && clean_exit ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "server-bench: %s\n", e.what());
  return 2;
}
