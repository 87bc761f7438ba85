// trace_replica: the receiving end of trace-server's --replicate-to (docs/REPLICATION.md).
// Applies the primary's batches to the mmap store in DIR, each exactly once and in order,
// and acknowledges each once it is durable. Query the replica's spans with
// `tracectl ... --store DIR` (read-only beside it) or start trace-server on DIR after a failover.
//
//   trace_replica --data-path DIR --listen HOST:PORT
//
// Exit status: 0 after SIGTERM or SIGINT, 2 for a bad command line, 3 when the store cannot
// be opened or the port cannot be listened on.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <thread>

#include "trace/store/replication/replica.hpp"
#include "trace/store/replication/tcp.hpp"

namespace {
std::atomic<bool> stop_requested{false};
void request_stop(int) { stop_requested = true; }
}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a primary gone mid-answer is an error to handle, not a death
  std::string path, listen;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--data-path") == 0) path = argv[i + 1];
    else if (std::strcmp(argv[i], "--listen") == 0) listen = argv[i + 1];
  }
  if (path.empty() || listen.empty() || argc % 2 == 0) {
    std::fputs("usage: trace_replica --data-path DIR --listen HOST:PORT\n", stderr);
    return 2;
  }
  try {
    trace::mmap_options options;
    options.path = path;
    trace::replication::replica_store replica(options);
    trace::replication::replica_server server(replica, trace::net::tcp_address::parse(listen));
    std::printf("trace_replica: %s on port %u, applied up to batch %llu\n", path.c_str(), server.port(),
                static_cast<unsigned long long>(replica.applied()));
    std::fflush(stdout);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGINT, request_stop);
    std::thread serving([&server] { server.run(); });
    std::string reported;
    while (!stop_requested) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::string problem = server.last_error(); problem != reported) {
        std::fprintf(stderr, "trace_replica: %s\n", problem.c_str());
        reported = problem;
      }
    }
    server.stop();
    serving.join();
    std::printf("trace_replica: stopped at batch %llu, %zu spans\n", static_cast<unsigned long long>(replica.applied()),
                replica.store().size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_replica: %s\n", e.what());
    return 3;
  }
}
