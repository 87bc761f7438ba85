// The memory-mapped store: spans written by one "run" of a program are there for the next.
// Opens (or creates) a store in a directory, appends a trace every run, then reads back
// everything it holds: a durable, crash-safe store with the same queries as memory_store.
//
//   persistent_store [DIR]      (default: ./persistent-spans; run it twice)

#include <trace/trace.hpp>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "persistent-spans";

  trace::mmap_options options;
  options.path = dir;
  options.sync = trace::sync_policy::every_batch;  // durable when append returns
  options.on_dropped = [](const trace::dropped_log_tail& tail) {
    std::cerr << "recovery dropped " << tail.bytes << " bytes of " << tail.file << ": " << tail.reason << "\n";
  };
  trace::mmap_store store(options);
  std::cout << "opened " << dir << ": " << store.size() << " spans in " << store.segments().size()
            << " segment(s)\n";

  // One small trace per run.
  const trace::trace_id id = trace::trace_id::random();
  const trace::timestamp_ns now = trace::now_ns();
  trace::span root;
  root.trace = id;
  root.id = trace::span_id::random();
  root.name = "nightly export";
  root.resource.service_name = "exporter";
  root.start = now;
  root.end = now + 42 * trace::millisecond;
  trace::span write = root;
  write.id = trace::span_id::random();
  write.parent = root.id;
  write.name = "write file";
  write.start = now + 2 * trace::millisecond;
  write.end = now + 40 * trace::millisecond;
  write.attributes.set("bytes", std::int64_t{1 << 20});
  store.append(std::vector{root, write});

  // This run's trace, read back as a tree from the mapped file.
  std::cout << "\nthis run's trace " << id.to_hex() << ":\n"
            << trace::render_text(trace::build_tree(store.find_trace(id)));

  // Everything the store holds, across runs.
  auto report = trace::summarize(store.scan());
  std::cout << "\nthe store now holds " << report.spans.count << " spans in " << report.trace_count
            << " traces; p50 " << trace::format_duration(report.spans.p50) << '\n';
  using namespace trace::where;
  std::cout << "spans writing files: " << trace::count_matching(store, operation("write file")) << '\n';
}
