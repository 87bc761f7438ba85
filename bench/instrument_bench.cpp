// instrument-bench: what a span costs the instrumented thread, start to end with three
// attributes, in each mode the instrumentation can run in, at 1 and 2 threads:
//
//   compiled out     TRACE_DISABLE_INSTRUMENTATION: the macros leave a `noop_span`
//   disabled         a provider switched off at run time
//   not sampled      a parent-based sampler whose root is always off
//   sampled, batch   recorded and queued in the batching processor (exporter discards),
//                    with a 64K queue per thread and batches of 4096 (drops when the
//                    worker falls behind), and with a queue holding a whole round (no drops)
//   sampled, rich    the same with 10 attributes and 2 events
//   sampled, simple  recorded and appended synchronously to a memory_store
//
// with two baselines in the same run: a wall-clock read (what a span paid twice before it
// read the TSC instead),
// and a bare memory_store append of a prebuilt span. Figures are the best of 5 rounds, in
// the calling thread's CPU time.
//
// `--peer otel-cpp` measures opentelemetry-cpp beside us instead, its rounds alternating
// with ours in the same run (a binary configured with -DTRACE_BENCH_OTEL_CPP=ON, which
// builds opentelemetry-cpp once under build/peers): sampled with 3 attributes into a
// batching processor whose exporter drops, not sampled (parent-based, ratio 0), disabled
// (ours switched off, theirs the API's no-op tracer), and 10 attributes + 2 events.
//
// `--only MODE` runs one mode's loop once on the calling thread, untimed, for counting
// instructions (valgrind --tool=callgrind --toggle-collect='*_loop*'): a count does not move
// with the machine's load as times do.
//
//   instrument-bench [spans per thread per round, default 200000] [--peer otel-cpp | --only MODE] | --smoke | --help

#include <trace/instrument.hpp>
#include <trace/store/memory.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <time.h>  // clock_gettime, CLOCK_THREAD_CPUTIME_ID
#include <vector>

#if defined(TRACE_BENCH_OTEL_CPP)
#include "otel_cpp_peer.hpp"
#endif

namespace {

// The thread's own CPU time, not wall time: the machine is shared, and time spent
// descheduled by someone else's build is not the span's cost.
double thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

// Counts and discards: isolates the instrumentation's cost from any sink's.
class discarding_exporter : public trace::span_exporter {
 public:
  void export_spans(std::span<const trace::span> batch) override { spans += batch.size(); }
  std::size_t spans = 0;
};

// Keeps the optimiser from deleting work whose result is otherwise unused.
std::atomic<std::uint64_t> sink_value{0};

// ns per iteration of one round of `threads` threads each running `body(n)`: the slowest
// thread's.
template <class Body>
double round_ns(int threads, std::size_t n, Body& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> per_thread(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      double begin = thread_cpu_ns();
      body(n);
      per_thread[t] = (thread_cpu_ns() - begin) / static_cast<double>(n);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go = true;
  for (auto& thread : pool) thread.join();
  return *std::max_element(per_thread.begin(), per_thread.end());
}

// Best ns per iteration over 5 rounds.
template <class Body, class AfterRound = void (*)()>
double best_ns(int threads, std::size_t n, Body body, AfterRound after_round = [] {}) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) {
    best = std::min(best, round_ns(threads, n, body));
    after_round();
  }
  return best;
}

// The instrumented operation every mode runs: a span with three attributes, started and ended.
template <class Tracer>
[[gnu::noinline]] void instrumented_loop(const Tracer& tracer, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    TRACE_SPAN(span, tracer, "GET /items");
    TRACE_SET_ATTRIBUTE(span, "http.method", "GET");
    TRACE_SET_ATTRIBUTE(span, "http.status_code", 200);
    TRACE_SET_ATTRIBUTE(span, "item.count", static_cast<std::int64_t>(i));
  }
}

// A richer span: 10 attributes of every scalar type and 2 events with an attribute each.
template <class Tracer>
[[gnu::noinline]] void rich_loop(const Tracer& tracer, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    TRACE_SPAN(span, tracer, "GET /items");
    TRACE_SET_ATTRIBUTE(span, "http.method", "GET");
    TRACE_SET_ATTRIBUTE(span, "http.status_code", 200);
    TRACE_SET_ATTRIBUTE(span, "http.route", "/items/{id}");
    TRACE_SET_ATTRIBUTE(span, "http.scheme", "https");
    TRACE_SET_ATTRIBUTE(span, "net.peer.port", 443);
    TRACE_SET_ATTRIBUTE(span, "user.id", static_cast<std::int64_t>(i));
    TRACE_SET_ATTRIBUTE(span, "item.count", static_cast<std::int64_t>(i % 7));
    TRACE_SET_ATTRIBUTE(span, "cache.hit", i % 2 == 0);
    TRACE_SET_ATTRIBUTE(span, "retry.ratio", 0.25);
    TRACE_SET_ATTRIBUTE(span, "tenant", "acme");
    TRACE_ADD_EVENT(span, "cache lookup", trace::event_level::info, {{"key", std::string("item:42")}});
    TRACE_ADD_EVENT(span, "db query", trace::event_level::info, {{"rows", static_cast<std::int64_t>(i % 10)}});
  }
}

// What TRACE_SPAN and TRACE_SET_ATTRIBUTE expand to under TRACE_DISABLE_INSTRUMENTATION.
void compiled_out_loop(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    [[maybe_unused]] trace::noop_span span;
    static_cast<void>(0);
    static_cast<void>(0);
    static_cast<void>(0);
  }
}

void report(const char* mode, double one, double two) {
  std::printf("  %-34s %9.1f ns %9.1f ns\n", mode, one, two);
}

}  // namespace

// Our provider as the side-by-side comparison sets both up: the sampler given, a batching
// processor with a queue holding a whole round (drained between rounds, so each figure is
// the accepting path, not dropping) into the discarding exporter.
struct batch_pipeline {
  std::shared_ptr<trace::batch_span_processor> processor;
  std::unique_ptr<trace::tracer_provider> provider;
  trace::tracer tracer;

  batch_pipeline(std::shared_ptr<const trace::sampler> sampler, std::size_t queue)
      : processor(std::make_shared<trace::batch_span_processor>(
            std::make_shared<discarding_exporter>(),
            trace::batch_options{.max_queue_size = queue, .max_export_batch_size = 4096, .schedule_delay = std::chrono::milliseconds(50)})),
        provider(std::make_unique<trace::tracer_provider>(trace::provider_options{
            .service_name = "bench", .resource_attributes = {{"host.name", std::string("bench-host")}}, .sampler = std::move(sampler), .processor = processor})),
        tracer(provider->get_tracer("bench", "1.0")) {}
  void flush() { processor->force_flush(std::chrono::minutes(1)); }
};

#if defined(TRACE_BENCH_OTEL_CPP)
// One row: at 1 and then 2 threads, 5 rounds of ours and 5 of theirs, alternating, so that
// both meet the same load on this shared machine; best round of each.
template <class Ours, class Theirs, class OursDone, class TheirsDone>
void side_by_side(const char* mode, std::size_t n, Ours ours, Theirs theirs, OursDone ours_done, TheirsDone theirs_done) {
  std::printf("  %-38s", mode);
  for (int threads : {1, 2}) {
    double best_ours = 1e300, best_theirs = 1e300;
    for (int round = 0; round < 5; ++round) {
      best_ours = std::min(best_ours, round_ns(threads, n, ours));
      ours_done();
      best_theirs = std::min(best_theirs, round_ns(threads, n, theirs));
      theirs_done();
    }
    std::printf(" %8.1f %8.1f %7.3fx", best_ours, best_theirs, best_ours / best_theirs);
  }
  std::printf("\n");
  std::fflush(stdout);
}

int ours_and_otel_cpp(std::size_t n) {
  std::printf("instrument-bench --peer otel-cpp: ns per span in the calling thread's CPU time, best of 5 rounds of %zu\n"
              "spans per thread, ours and opentelemetry-cpp's rounds alternating; ratio = ours / theirs\n",
              n);
  std::printf("  %-38s %8s %8s %8s %8s %8s %8s\n", "mode", "ours 1t", "otel 1t", "ratio", "ours 2t", "otel 2t", "ratio");
  auto nothing = [] {};
  {
    batch_pipeline ours(std::make_shared<trace::always_on_sampler>(), 2 * n);
    otel_peer::pipeline theirs(otel_peer::always_on(), 2 * n);
    side_by_side("sampled, 3 attributes, batch", n, [&](std::size_t c) { instrumented_loop(ours.tracer, c); },
                 [&](std::size_t c) { otel_peer::three_attributes(*theirs.tracer, c); }, [&] { ours.flush(); }, [&] { theirs.flush(); });
    side_by_side("sampled, 10 attributes + 2 events", n, [&](std::size_t c) { rich_loop(ours.tracer, c); },
                 [&](std::size_t c) { otel_peer::ten_attributes_two_events(*theirs.tracer, c); }, [&] { ours.flush(); },
                 [&] { theirs.flush(); });
    ours.flush();
    theirs.flush();
    std::printf("    (exported, none dropped: ours %llu, theirs %llu)\n", static_cast<unsigned long long>(ours.processor->exported()),
                static_cast<unsigned long long>(theirs.exported->load()));
  }
  {
    batch_pipeline ours(std::make_shared<trace::parent_based_sampler>(std::make_shared<trace::trace_id_ratio_sampler>(0.0)), 2 * n);
    otel_peer::pipeline theirs(otel_peer::parent_based_ratio_zero(), 2 * n);
    side_by_side("not sampled (parent-based, ratio 0)", n, [&](std::size_t c) { instrumented_loop(ours.tracer, c); },
                 [&](std::size_t c) { otel_peer::three_attributes(*theirs.tracer, c); }, nothing, nothing);
  }
  {
    batch_pipeline ours(std::make_shared<trace::always_on_sampler>(), 2 * n);
    ours.provider->set_enabled(false);
    auto theirs = otel_peer::noop_tracer();
    side_by_side("disabled (theirs: the no-op tracer)", n, [&](std::size_t c) { instrumented_loop(ours.tracer, c); },
                 [&](std::size_t c) { otel_peer::three_attributes(*theirs, c); }, nothing, nothing);
  }
  trace::detail::init_span_clock();
  double tick = best_ns(1, n, [](std::size_t count) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < count; ++i) sum += trace::detail::span_ticks();
    sink_value += sum;
  });
  std::printf("  clock floor: a sampled span reads the clock twice (start, end): 2 x %.1f ns (%s)\n", tick,
              trace::detail::use_tsc.load() ? "TSC" : "steady_clock");
  return sink_value.load() == 42 ? 1 : 0;
}
#endif

// One mode's loop, 4 times n spans on the calling thread, untimed (see --only).
int only_mode(const char* mode, std::size_t n) {
  const bool disabled = std::strcmp(mode, "disabled") == 0, not_sampled = std::strcmp(mode, "not-sampled") == 0;
  const bool sampled = std::strcmp(mode, "sampled") == 0, rich = std::strcmp(mode, "rich") == 0;
  if (!disabled && !not_sampled && !sampled && !rich) {
    std::fprintf(stderr, "instrument-bench: --only takes disabled, not-sampled, sampled or rich, not %s\n", mode);
    return 2;
  }
  std::shared_ptr<const trace::sampler> sampler = std::make_shared<trace::always_on_sampler>();
  if (not_sampled) sampler = std::make_shared<trace::parent_based_sampler>(std::make_shared<trace::trace_id_ratio_sampler>(0.0));
  batch_pipeline pipeline(std::move(sampler), 2 * n);
  if (disabled) pipeline.provider->set_enabled(false);
  for (int round = 0; round < 4; ++round) {
    if (rich) rich_loop(pipeline.tracer, n);
    else instrumented_loop(pipeline.tracer, n);
    pipeline.flush();
  }
  std::printf("instrument-bench --only %s: %zu spans, %llu exported\n", mode, 4 * n,
              static_cast<unsigned long long>(pipeline.processor->exported()));
  return 0;
}

int main(int argc, char** argv) {
  std::size_t n = 200'000;
  bool otel_cpp = false;
  const char* only = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf(
          "usage: instrument-bench [spans per thread per round, default 200000] [--peer otel-cpp | --only MODE] | --smoke\n"
          "ns per span (start + 3 attributes + end) in the calling thread's CPU time, best of 5 rounds,\n"
          "at 1 and 2 threads, for each mode: compiled out, disabled at run time, not sampled, sampled\n"
          "into the batching processor (a 64K queue per thread, and one holding a whole round), the same\n"
          "with 10 attributes and 2 events, and sampled into the simple processor and a memory_store;\n"
          "with a clock read and a bare memory_store append as baselines. --smoke: 5000 spans (CI).\n"
          "--peer otel-cpp: opentelemetry-cpp beside us, rounds alternating (a build configured with\n"
          "-DTRACE_BENCH_OTEL_CPP=ON). The machine is shared: repeat runs, compare medians.\n"
          "--only disabled|not-sampled|sampled|rich: that mode's loop, 4 x n spans on this thread, untimed,\n"
          "for counting instructions under valgrind --tool=callgrind --toggle-collect='*_loop*'.\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--smoke") == 0) n = 5'000;
    else if (std::strcmp(argv[i], "--peer") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "otel-cpp") == 0) otel_cpp = true, ++i;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else if (argv[i][0] != '-') n = std::strtoull(argv[i], nullptr, 10);
    else {
      std::fprintf(stderr, "instrument-bench: unknown argument %s (--help)\n", argv[i]);
      return 2;
    }
  }
  if (only) return only_mode(only, n);
  if (otel_cpp) {
#if defined(TRACE_BENCH_OTEL_CPP)
    return ours_and_otel_cpp(n);
#else
    std::fprintf(stderr, "instrument-bench: built without opentelemetry-cpp; configure with -DTRACE_BENCH_OTEL_CPP=ON\n");
    return 2;
#endif
  }
  std::printf("instrument-bench: ns per span (start + 3 attributes + end), best of 5 rounds of %zu spans per thread\n", n);
  std::printf("  %-34s %12s %12s\n", "mode", "1 thread", "2 threads");

  auto run = [n](auto&& body) { return std::pair{best_ns(1, n, body), best_ns(2, n, body)}; };

  {
    auto [one, two] = run([](std::size_t count) {
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < count; ++i) sum += trace::now_ns();
      sink_value += sum;
    });
    report("baseline: one clock read", one, two);
  }
  {
    trace::detail::init_span_clock();
    auto [one, two] = run([](std::size_t count) {
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < count; ++i) sum += trace::detail::span_ticks();
      sink_value += sum;
    });
    report(trace::detail::use_tsc.load() ? "baseline: one tick read (TSC)" : "baseline: one tick read (steady)", one, two);
  }
  {
    // A prebuilt span appended n times to a store of the calling thread's own.
    trace::span prebuilt;
    prebuilt.trace = trace::trace_id{1, 2};
    prebuilt.id = trace::span_id{3};
    prebuilt.name = "GET /items";
    prebuilt.start = 1;
    prebuilt.end = 2;
    prebuilt.attributes = {{"http.method", std::string("GET")}, {"http.status_code", std::int64_t{200}},
                           {"item.count", std::int64_t{7}}};
    prebuilt.resource.service_name = "bench";
    auto [one, two] = run([&prebuilt](std::size_t count) {
      trace::memory_store store;
      for (std::size_t i = 0; i < count; ++i) store.append(prebuilt);
      sink_value += store.size();
    });
    report("baseline: memory_store append", one, two);
  }
  {
    auto [one, two] = run([](std::size_t count) { compiled_out_loop(count); });
    report("compiled out", one, two);
  }
  {
    trace::tracer_provider provider({.processor = std::make_shared<trace::batch_span_processor>(
                                         std::make_shared<discarding_exporter>())});
    provider.set_enabled(false);
    auto tracer = provider.get_tracer("bench");
    auto [one, two] = run([&tracer](std::size_t count) { instrumented_loop(tracer, count); });
    report("disabled at run time", one, two);
  }
  {
    trace::tracer_provider provider(
        {.sampler = std::make_shared<trace::parent_based_sampler>(std::make_shared<trace::always_off_sampler>()),
         .processor = std::make_shared<trace::batch_span_processor>(std::make_shared<discarding_exporter>())});
    auto tracer = provider.get_tracer("bench");
    auto [one, two] = run([&tracer](std::size_t count) { instrumented_loop(tracer, count); });
    report("not sampled", one, two);
  }
  {
    auto exporter = std::make_shared<discarding_exporter>();
    auto processor = std::make_shared<trace::batch_span_processor>(
        exporter, trace::batch_options{.max_queue_size = 1 << 16, .max_export_batch_size = 4096,
                                       .schedule_delay = std::chrono::milliseconds(50)});
    trace::tracer_provider provider({.service_name = "bench",
                                     .resource_attributes = {{"host.name", std::string("bench-host")}},
                                     .processor = processor});
    auto tracer = provider.get_tracer("bench", "1.0");
    auto [one, two] = run([&tracer](std::size_t count) { instrumented_loop(tracer, count); });
    provider.shutdown();
    report("sampled, batch processor", one, two);
    std::printf("    (batch processor: %llu exported, %llu dropped on a full queue)\n",
                static_cast<unsigned long long>(processor->exported()),
                static_cast<unsigned long long>(processor->dropped()));
  }
  {
    // A queue that holds a whole round, drained between rounds: every span is accepted, so
    // the figure is the accepting path alone.
    auto exporter = std::make_shared<discarding_exporter>();
    auto processor = std::make_shared<trace::batch_span_processor>(
        exporter, trace::batch_options{.max_queue_size = 2 * n, .max_export_batch_size = 4096,
                                       .schedule_delay = std::chrono::milliseconds(50)});
    trace::tracer_provider provider({.service_name = "bench",
                                     .resource_attributes = {{"host.name", std::string("bench-host")}},
                                     .processor = processor});
    auto tracer = provider.get_tracer("bench", "1.0");
    auto body = [&tracer](std::size_t count) { instrumented_loop(tracer, count); };
    auto drain = [&processor] { processor->force_flush(std::chrono::minutes(1)); };
    double one = best_ns(1, n, body, drain), two = best_ns(2, n, body, drain);
    provider.shutdown();
    report("sampled, batch, nothing dropped", one, two);
    std::printf("    (batch processor: %llu exported, %llu dropped)\n",
                static_cast<unsigned long long>(processor->exported()),
                static_cast<unsigned long long>(processor->dropped()));
  }
  {
    batch_pipeline rich(std::make_shared<trace::always_on_sampler>(), 2 * n);
    double one = best_ns(1, n, [&rich](std::size_t count) { rich_loop(rich.tracer, count); }, [&rich] { rich.flush(); });
    double two = best_ns(2, n, [&rich](std::size_t count) { rich_loop(rich.tracer, count); }, [&rich] { rich.flush(); });
    report("sampled, 10 attributes + 2 events", one, two);
  }
  {
    auto sink = std::make_shared<trace::store_exporter<trace::memory_store>>();
    trace::tracer_provider provider({.service_name = "bench",
                                     .resource_attributes = {{"host.name", std::string("bench-host")}},
                                     .processor = std::make_shared<trace::simple_span_processor>(sink)});
    auto tracer = provider.get_tracer("bench", "1.0");
    auto [one, two] = run([&tracer](std::size_t count) { instrumented_loop(tracer, count / 10); });
    report("sampled, simple -> memory_store", one * 10, two * 10);
  }
  return sink_value.load() == 42 ? 1 : 0;
}
