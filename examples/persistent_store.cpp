// The memory-mapped store survives a crash: a child process appends batches, durable each
// time `append` returns, and is killed with SIGKILL in the middle of its work; the parent
// then reopens the store, which keeps every acknowledged batch, drops a torn tail if the kill
// left one (and says so), and answers queries as before. Last, a reader thread takes views
// of the store while the main thread appends: each view holds whole batches only.
//
//   persistent_store [DIR]      (default: ./persistent-spans; each run adds to it)

#include <trace/trace.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, write, read

namespace {

trace::mmap_store open_store(const std::string& dir) {
  trace::mmap_options options;
  options.path = dir;
  options.sync = trace::sync_policy::every_batch;  // durable when append returns
  options.on_dropped = [](const trace::dropped_log_tail& tail) {
    std::cout << "recovery dropped " << tail.bytes << " bytes of " << tail.file.filename().string() << ": "
              << tail.reason << '\n';
  };
  return trace::mmap_store(options);
}

// One trace of a root and three children: a batch.
std::vector<trace::span> job_trace(int n) {
  const trace::trace_id id = trace::random_trace_id();
  const trace::timestamp_ns now = trace::now_ns();
  std::vector<trace::span> spans(4);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    trace::span& s = spans[i];
    s.trace = id;
    s.id = trace::random_span_id();
    s.parent = i == 0 ? trace::span_id{} : spans[0].id;
    s.name = i == 0 ? "nightly export" : "write part " + std::to_string(i);
    s.resource.service_name = "exporter";
    s.start = now + i * trace::millisecond;
    s.end = s.start + (i == 0 ? 40 : 10) * trace::millisecond;
    s.attributes.set("job", std::int64_t{n});
  }
  return spans;
}

// The child: append batches until killed, telling the parent after each acknowledged one.
[[noreturn]] void write_until_killed(const std::string& dir, int report) {
  trace::mmap_store store = open_store(dir);
  for (int n = 0;; ++n) {
    store.append(job_trace(n));
    char acknowledged = 1;
    if (::write(report, &acknowledged, 1) != 1) _exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "persistent-spans";
  std::size_t before = open_store(dir).size();  // opened and closed: the writer lock is free again
  std::cout << "opened " << dir << ": " << before << " spans\n";

  int channel[2];
  if (::pipe(channel) != 0) return 1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(channel[0]);
    write_until_killed(dir, channel[1]);
  }
  ::close(channel[1]);
  int acknowledged = 0;
  char byte;
  while (acknowledged < 25 && ::read(channel[0], &byte, 1) == 1) ++acknowledged;
  ::kill(child, SIGKILL);  // in the middle of whatever the child was doing
  ::waitpid(child, nullptr, 0);
  while (::read(channel[0], &byte, 1) == 1) ++acknowledged;  // acknowledgements already sent
  std::cout << "writer killed after " << acknowledged << " acknowledged batches\n";

  trace::mmap_store store = open_store(dir);
  const std::size_t kept = store.size() - before;
  std::cout << "reopened: " << kept << " new spans, " << (kept >= 4u * acknowledged ? "every" : "NOT every")
            << " acknowledged batch kept\n";

  using namespace trace::where;
  auto traces = trace::find_traces(store, {operation("nightly export"), std::nullopt, 0, 1});
  if (!traces.empty())
    std::cout << "\nthe newest job:\n" << trace::render_text(trace::build_tree(traces.front()));
  auto report = trace::summarize(store.scan());
  std::cout << "\nthe store holds " << report.spans.count << " spans in " << report.trace_count << " traces\n";

  // A dashboard thread reads while this thread appends: every view is a committed prefix.
  std::atomic<bool> appending{true};
  std::size_t views = 0, torn = 0;
  std::thread dashboard([&] {
    do {
      trace::mmap_store::reader view = store.read();
      std::unordered_map<trace::trace_id, int> spans_per_job;
      for (trace::mmap_span s : view.scan()) ++spans_per_job[s.trace()];
      bool whole = true;
      for (const auto& [trace, spans] : spans_per_job) whole = whole && spans == 4;
      torn += !whole;
      ++views;
    } while (appending);
  });
  for (int n = 0; n < 20; ++n) store.append(job_trace(1000 + n));
  appending = false;
  dashboard.join();
  std::cout << "a reader thread took " << views << " views during 20 more appends; " << torn
            << " of them showed part of a batch\n";
  return kept >= 4u * acknowledged && torn == 0 ? 0 : 1;
}
