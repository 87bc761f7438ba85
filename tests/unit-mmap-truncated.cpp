// A file truncated under a reader: another process shrinking a mapped segment would make the
// next access past its new end raise SIGBUS. Reads check each file's size first and refuse
// with an error naming the file (a truncation after that check still raises SIGBUS, as
// docs/FORMAT.md says).
#include <catch2/catch.hpp>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::make_batch;
using test_support::small_segment_options;
using test_support::temp_dir;

namespace {

}  // namespace

TEST_CASE("a sealed segment truncated while mapped is refused before it is read") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 50, 20));
    store.roll();
  }
  o.mode = trace::open_mode::read_only;
  trace::mmap_store store(o);
  auto reader = store.read();
  REQUIRE(reader.size() == 1000);
  auto seg = test_support::files_with(o.path, "seg").at(0);
  const auto size = std::filesystem::file_size(seg);
  test_support::shrink_to(seg, size / 4);  // as another process would
  const std::string shrank = "shrank from " + std::to_string(size) + " to " + std::to_string(size / 4) + " bytes";
  CHECK_THROWS_WITH(reader.scan(), Catch::Contains(seg.string()) && Catch::Contains(shrank));
  CHECK_THROWS_WITH(store.find_trace(trace::trace_id(0x1001, 7919 + 1)), Catch::Contains(shrank));
  try {
    (void)store.scan();
    FAIL("a scan went ahead over a truncated file");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::io_error);
  }
}

TEST_CASE("a log truncated under a read-only store is refused before it is read") {
  temp_dir dir;
  auto o = small_segment_options(dir);
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 10, 10));
  }
  o.mode = trace::open_mode::read_only;
  trace::mmap_store store(o);
  auto log = test_support::files_with(o.path, "log").at(0);
  test_support::shrink_to(log, 4096);
  CHECK_THROWS_WITH(store.scan(), Catch::Contains(log.string()) && Catch::Contains("another process truncated it"));
}
