// The mmap store must refuse damaged files only with trace::error, whatever their bytes, even
// when every checksum holds (a CRC only tells that bytes changed, not that they make sense).
// The input is a store directory's files: a sealed segment and a log, their checksums
// recomputed. The store is opened read-only, scanned in full, every trace looked up (the
// index must find exactly what the scan saw), its query fast paths (columns, tag indexes)
// asked a few fixed questions that the generic scan must answer alike, then it is repaired
// and opened for writing.
//
// Input: u32 size of the sealed segment | its bytes | the log's bytes. The seeds
// fuzz/corpus/store/template (no tag indexes) and tag-indexes (the sealed segment indexes
// the span's service, name, status and kind, field codes 3-6, its start and two attributes)
// are stores this program builds at start-up (log-only and sealed-only are the template's
// two halves; format-6 is the template a format-6 build wrote, so that the reader of the
// older block layout is fuzzed too); to write them again:
//   TRACE_FUZZ_STORE_SEEDS=fuzz/corpus/store build/fuzz/fuzz_store -runs=0
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/only_spans.hpp"
#include "trace/analytics/store_group_by.hpp"
#include "trace/analytics/store_summary.hpp"
#include "trace/query.hpp"
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

// A sealed segment of one batch and a log of two, as the input this program takes; the
// sealed segment holds the tag indexes `tags`.
std::string template_input(std::vector<trace::indexed_tag> tags) {
  const auto dir = work->path() / "template";
  trace::mmap_options o;
  o.path = dir;
  o.segment_bytes = trace::min_segment_bytes;
  o.indexed_tags = std::move(tags);
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

// The fast paths (the blocks' columns, a sealed segment's tag indexes and bounds) must
// answer as the generic per-span path over the same spans: no filter, and conditions the
// tag indexes answer when the segment has them (service, operation, status, kind, an
// attribute, start time) or the columns and bounds answer (a duration range).
void check_fast_paths(const trace::mmap_store& store) {
  using namespace trace::where;
  const trace_test::only_spans generic(store);
  trace::group_by_options by_operation;
  by_operation.keys = {trace::by::service(), trace::by::operation(), trace::by::status()};
  for (const trace::filter& f :
       {any(), service("svc-1"), service("svc-1") || operation("op-2"), status(trace::status_code::error),
        status(trace::status_code::error) && kind(trace::span_kind::client),
        attribute("http.status_code") == std::int64_t{300}, duration_between(20'000, 60'000),
        started_between(1'700'000'000'002'000'000ull, 1'700'000'000'004'000'000ull)}) {
    if (trace::count_matching(store, f) != trace::count_matching(generic, f)) std::abort();
    const trace::trace_query q{f, std::nullopt, 0, 1000};
    if (trace::find_trace_ids(store, q) != trace::find_trace_ids(generic, q)) std::abort();
    if (trace::group_spans(store, by_operation, f) != trace::group_spans(generic, by_operation, f)) std::abort();
    if (trace::summarize_spans(store, f) != trace::summarize_spans(generic, f)) std::abort();
  }
  if (trace::summarize(store) != trace::summarize(generic)) std::abort();
}

// Everything a reader can do; the index and the fast paths must agree with the scan.
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
  check_fast_paths(store);
}

// Every index rule kind on every kind of field.
std::vector<trace::indexed_tag> all_index_kinds() {
  using trace::indexed_field;
  using trace::indexed_type;
  return {{indexed_field::service, "", indexed_type::string, trace::index_kind::inverted},
          {indexed_field::name, "", indexed_type::string, trace::index_kind::inverted},
          {indexed_field::status, "", indexed_type::int64, trace::index_kind::inverted},
          {indexed_field::kind, "", indexed_type::int64, trace::index_kind::inverted},
          {indexed_field::start, "", indexed_type::int64, trace::index_kind::sorted},
          {indexed_field::attribute, "http.status_code", indexed_type::int64, trace::index_kind::sorted},
          {indexed_field::attribute, "cached", indexed_type::bool_, trace::index_kind::inverted}};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  work = std::make_unique<test_support::temp_dir>();
  if (const char* seeds = std::getenv("TRACE_FUZZ_STORE_SEEDS")) {
    std::filesystem::create_directories(seeds);
    test_support::write_file(std::filesystem::path(seeds) / "template", template_input({}));
    test_support::write_file(std::filesystem::path(seeds) / "tag-indexes", template_input(all_index_kinds()));
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
