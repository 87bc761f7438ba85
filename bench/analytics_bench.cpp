// analytics-bench: summarising 1M and 10M spans with exact and sketch percentiles (same
// run, same store), and the quantile sketch's measured error on the test distributions.
//
//   analytics-bench [max_spans]     (default 10000000: sizes 1M and 10M up to it; below 1M,
//                                    that one size, as a smoke run)

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "trace/analytics.hpp"
#include "trace/store/memory.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// 20 services × 10 operations, log-normal durations around 2 ms, 1.5% errors.
void fill(trace::memory_store& store, std::size_t spans, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::lognormal_distribution<double> duration(std::log(2e6), 1.0);
  std::vector<std::string> services, operations;
  for (int s = 0; s < 20; ++s) services.push_back("service-" + std::to_string(s));
  for (int o = 0; o < 10; ++o) operations.push_back("operation-" + std::to_string(o));
  std::vector<trace::span> batch;
  for (std::size_t done = 0; done < spans;) {
    batch.clear();
    for (std::size_t i = 0; i < 100'000 && done < spans; ++i, ++done) {
      trace::span s;
      s.trace = trace::trace_id{1, done / 10 + 1};
      s.id = trace::span_id{done + 1};
      s.resource.service_name = services[g() % services.size()];
      s.name = operations[g() % operations.size()];
      s.start = 1'700'000'000ULL * trace::second + done * trace::millisecond;
      s.end = s.start + static_cast<trace::duration_ns>(duration(g));
      if (g() % 1000 < 15) s.status.code = trace::status_code::error;
      batch.push_back(std::move(s));
    }
    store.append(batch);
  }
}

double worst_error(const std::vector<double>& values) {
  trace::quantile_sketch sketch;
  for (double v : values) sketch.add(v);
  auto sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double worst = 0;
  for (int i = 0; i <= 1000; ++i) {
    double exact = sorted[trace::percentile_index(sorted.size(), i / 1000.0)];
    if (exact > 0) worst = std::max(worst, std::abs(sketch.quantile(i / 1000.0) - exact) / exact);
  }
  return worst;
}

void sketch_errors() {
  std::mt19937_64 g(7);
  const std::size_t n = 1'000'000;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> uniform(n), lognormal(n), bimodal(n), constant(n, 12'345'678.0), huge(n);
  for (std::size_t i = 0; i < n; ++i) {
    uniform[i] = std::round(1 + unit(g) * 1e6);
    lognormal[i] = std::round(std::exp(std::log(2e6) + 1.2 * normal(g)));
    bimodal[i] = std::max(1.0, std::round((g() % 10 == 0 ? 80e6 : 200e3) * (1 + 0.1 * normal(g))));
    huge[i] = std::round(std::pow(10.0, 18 * unit(g)));
  }
  std::printf("sketch error (alpha 1%%, 1M values, worst over p = 0, 0.001, ..., 1):\n");
  std::printf("  uniform     %.4f%%\n", worst_error(uniform) * 100);
  std::printf("  log-normal  %.4f%%\n", worst_error(lognormal) * 100);
  std::printf("  bimodal     %.4f%%\n", worst_error(bimodal) * 100);
  std::printf("  constant    %.4f%%\n", worst_error(constant) * 100);
  std::printf("  huge range  %.4f%%\n", worst_error(huge) * 100);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t max_spans = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  sketch_errors();
  std::vector<std::size_t> sizes;
  for (std::size_t spans : {std::size_t{1'000'000}, std::size_t{10'000'000}})
    if (spans <= max_spans) sizes.push_back(spans);
  if (sizes.empty()) sizes.push_back(max_spans);
  for (std::size_t spans : sizes) {
    trace::memory_store store;
    auto start = std::chrono::steady_clock::now();
    fill(store, spans, 1);
    std::printf("\n%zu spans (filled in %.2f s)\n", spans, seconds_since(start));
    for (auto method : {trace::percentile_method::exact, trace::percentile_method::sketch}) {
      trace::summary_options options;
      options.percentiles = method;
      const char* name = method == trace::percentile_method::exact ? "exact " : "sketch";
      start = std::chrono::steady_clock::now();
      auto stats = trace::summarize_spans(store.scan(), options);
      double overall = seconds_since(start);
      start = std::chrono::steady_clock::now();
      auto report = trace::summarize(store.scan(), options);
      double full = seconds_since(start);
      std::printf("  %s  summarize_spans %7.1f ms (p95 %s)   summarize %7.1f ms (%zu services, %zu operations)\n", name,
                  overall * 1e3, trace::format_duration(stats.p95).c_str(), full * 1e3, report.services.size(),
                  report.operations.size());
    }
  }
}
