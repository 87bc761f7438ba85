// append_new against plain append on the mmap store, in one run: what idempotent import
// costs on a first import (nothing present: one trace-index lookup per trace of a batch)
// and on importing the same spans again (everything present: each span compared).
//
//   append-new-bench [spans=1000000] [repeats=3]
//
// Spans come from the benchmarks' workload, appended in batches of 4096 as tracectl import
// does, into stores with sync policy none in a temporary directory. Reports spans/s of CPU
// time (the machine may be shared; best of `repeats`) and each ratio to plain append.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "trace/store/append_new.hpp"
#include "trace/store/mmap.hpp"
#include "workload.hpp"

namespace {

constexpr std::size_t batch_size = 4096;

trace::mmap_options options_for(const std::filesystem::path& path) {
  trace::mmap_options o;
  o.path = path;
  o.sync = trace::sync_policy::none;
  return o;
}

// CPU seconds to feed every span through `add(store, batch)`.
template <class Add>
double feed(trace::mmap_store& store, const std::vector<trace::span>& spans, Add&& add) {
  const std::clock_t begin = std::clock();
  for (std::size_t first = 0; first < spans.size(); first += batch_size) {
    const auto last = spans.begin() + static_cast<std::ptrdiff_t>(std::min(spans.size(), first + batch_size));
    add(store, std::vector<trace::span>(spans.begin() + static_cast<std::ptrdiff_t>(first), last));
  }
  return static_cast<double>(std::clock() - begin) / CLOCKS_PER_SEC;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "trace-append-new-bench";

  const std::vector<trace::span> spans = bench::generate({42, count, 0.015}).spans;
  double append_s = 1e300, first_s = 1e300, again_s = 1e300;
  std::size_t skipped = 0;
  for (int r = 0; r < repeats; ++r) {
    fs::remove_all(dir);
    {
      trace::mmap_store store(options_for(dir / "append"));
      append_s = std::min(append_s, feed(store, spans, [](auto& s, std::vector<trace::span>&& b) { s.append(b); }));
    }
    trace::mmap_store store(options_for(dir / "append-new"));
    first_s = std::min(first_s, feed(store, spans, [](auto& s, std::vector<trace::span>&& b) {
                         trace::append_new(s, std::move(b));
                       }));
    skipped = 0;
    again_s = std::min(again_s, feed(store, spans, [&skipped](auto& s, std::vector<trace::span>&& b) {
                         skipped += trace::append_new(s, std::move(b)).already_present;
                       }));
    if (skipped != spans.size() || store.size() != spans.size()) {
      std::fprintf(stderr, "append-new-bench: importing again skipped %zu of %zu spans, store holds %zu\n", skipped,
                   spans.size(), store.size());
      return 1;
    }
  }
  fs::remove_all(dir);

  const auto rate = [&](double seconds) { return static_cast<double>(spans.size()) / seconds; };
  std::printf("%zu spans in batches of %zu, mmap_store (sync none), best of %d\n", spans.size(), batch_size, repeats);
  std::printf("%-44s %12.0f spans/s cpu  1.00x\n", "append (baseline)", rate(append_s));
  std::printf("%-44s %12.0f spans/s cpu  %.2fx\n", "append_new, first import (nothing present)", rate(first_s),
              append_s / first_s);
  std::printf("%-44s %12.0f spans/s cpu  %.2fx\n", "append_new, same spans again (all present)", rate(again_s),
              append_s / again_s);
}
