// The mmap store must refuse damaged files only with trace::error, whatever their bytes, even
// when every checksum holds (a CRC only tells that bytes changed, not that they make sense).
// The input is a store directory's files: a sealed segment and a log, their checksums
// recomputed. The store is opened read-only, scanned in full, every trace looked up (the
// index must find exactly what the scan saw), then repaired and opened for writing.
//
// Input: u32 size of the sealed segment | its bytes | the log's bytes. The seed
// fuzz/corpus/store/template is a store this program builds at start-up (log-only and
// sealed-only are its two halves); to write it again:
//   TRACE_FUZZ_STORE_SEEDS=fuzz/corpus/store build/fuzz/fuzz_store -runs=0
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

namespace {

std::unique_ptr<test_support::temp_dir> work;

trace::mmap_options options(trace::open_mode mode) {
  trace::mmap_options o;
  o.path = work->path() / "store";
  o.mode = mode;
  o.segment_bytes = trace::min_segment_bytes;
  o.sync = trace::sync_policy::none;
  o.max_disk_percent = 100;
  return o;
}

// A sealed segment of one batch and a log of two, as the input this program takes.
std::string template_input() {
  const auto dir = work->path() / "template";
  trace::mmap_options o;
  o.path = dir;
  o.segment_bytes = trace::min_segment_bytes;
  {
    trace::mmap_store store(o);
    store.append(test_support::make_batch(1, 3, 4));
    store.roll();
    store.append(test_support::make_batch(4, 2, 3));
    store.append(test_support::make_batch(1, 1, 2));
    store.sync();
  }
  std::string seg = test_support::read_file(test_support::files_with(dir, "seg").at(0));
  const auto log_path = test_support::files_with(dir, "log").at(0);
  std::string log = test_support::read_file(log_path);
  log.resize(std::min<std::size_t>(log.size(), 4096));  // the written prefix: records end well before
  std::filesystem::remove_all(dir);
  const auto seg_size = static_cast<std::uint32_t>(seg.size());
  std::string input(reinterpret_cast<const char*>(&seg_size), 4);
  return input + seg + log;
}

void write_store(const std::uint8_t* data, std::size_t size) {
  const auto dir = work->path() / "store";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::uint32_t seg_size = 0;
  if (size >= 4) std::memcpy(&seg_size, data, 4);
  const std::string rest(reinterpret_cast<const char*>(data) + std::min<std::size_t>(size, 4), size - std::min<std::size_t>(size, 4));
  std::string seg = rest.substr(0, std::min<std::size_t>(seg_size, rest.size()));
  std::string log = rest.substr(seg.size());
  if (!seg.empty()) {
    test_support::fix_sealed_checksums(seg);
    test_support::write_file(dir / "0000000000000001.seg", seg);
  }
  if (!log.empty()) {
    test_support::fix_log_checksums(log);
    test_support::write_file(dir / "0000000000000002.log", log);
  }
}

// Everything a reader can do; the index must agree with the scan.
void read_everything(const trace::mmap_store& store) {
  std::map<trace::trace_id, std::size_t> per_trace;
  for (trace::mmap_span s : store.scan()) {
    (void)s.materialize();
    (void)s.status_message();
    (void)s.scope_name();
    s.visit_attributes([](auto, std::string_view, const auto&) { return false; });
    ++per_trace[s.trace()];
  }
  for (const auto& [id, count] : per_trace)
    if (store.find_trace(id).size() != count) std::abort();  // accepted bytes whose index lies
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  work = std::make_unique<test_support::temp_dir>();
  if (const char* seeds = std::getenv("TRACE_FUZZ_STORE_SEEDS")) {
    std::filesystem::create_directories(seeds);
    test_support::write_file(std::filesystem::path(seeds) / "template", template_input());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_store(data, size);
  try {
    const trace::mmap_store store(options(trace::open_mode::read_only));
    read_everything(store);
  } catch (const trace::error&) {
  }
  try {
    trace::mmap_store::repair(options(trace::open_mode::read_write));
    if (trace::mmap_store(options(trace::open_mode::read_only)).damaged()) std::abort();  // repair left damage
    trace::mmap_store store(options(trace::open_mode::read_write));
    store.append(test_support::make_batch(9, 1, 2));
    read_everything(store);
  } catch (const trace::error&) {
  }
  return 0;
}
