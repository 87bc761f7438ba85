// mmap_options::check_sealed_at_open = false: opening reads each sealed segment's header and
// zone map only; the rest of its checks run at its first use, before it serves a span, and a
// damaged region fails that read naming it (as it would have failed the open).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::make_batch;
using test_support::materialize_all;
using test_support::read_file;
using test_support::temp_dir;
using test_support::write_file;

namespace {

struct deferred_store {
  temp_dir dir;
  trace::mmap_options options = test_support::default_options(dir);
  std::filesystem::path sealed;

  deferred_store() {
    {
      trace::mmap_store store(options);
      store.append(make_batch(1, 20, 4));
      store.roll();
      store.append(make_batch(100, 5, 2));  // the active log, read at open as before
    }
    sealed = trace::detail::segment_path(options.path, 1, ".seg");
    options.mode = trace::open_mode::read_only;
    options.check_sealed_at_open = false;
  }

  // Flips a byte of the sealed segment at `offset` from its end, or in its block region `r`.
  void flip_in_region(std::size_t r) {
    std::string bytes = read_file(sealed);
    auto bounds = trace::detail::block_bounds(reinterpret_cast<const std::byte*>(bytes.data()) + trace::detail::file_header_size,
                                              test_support::sealed_block_size(bytes));
    REQUIRE(bounds);
    const std::size_t at = trace::detail::file_header_size + ((*bounds)[r] + (*bounds)[r + 1]) / 2;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x20);
    write_file(sealed, bytes);
  }
};

}  // namespace

TEST_CASE("a store opened with deferred checks answers as one checked at open") {
  deferred_store s;
  trace::mmap_options eager = s.options;
  eager.check_sealed_at_open = true;
  const trace::mmap_store checked(eager);
  const trace::mmap_store deferred(s.options);
  CHECK(deferred.size() == checked.size());
  CHECK(deferred.segments()[0].min_start == checked.segments()[0].min_start);
  CHECK(deferred.segments()[0].max_start == checked.segments()[0].max_start);
  const trace::trace_id id = make_batch(7, 1, 1)[0].trace;
  CHECK(deferred.find_trace(id).size() == 4);
  CHECK(materialize_all(deferred) == materialize_all(checked));
}

TEST_CASE("a damaged region found at first use fails that read, naming it, and serves nothing") {
  deferred_store s;
  s.flip_in_region(static_cast<std::size_t>(trace::detail::block_region::columns));
  trace::mmap_options eager = s.options;
  eager.check_sealed_at_open = true;
  CHECK_THROWS_WITH(trace::mmap_store(eager), Catch::Contains("columns checksum mismatch"));
  const trace::mmap_store deferred(s.options);  // opens: only the header and zone map are read
  CHECK(deferred.size() == 20 * 4 + 5 * 2);
  CHECK_THROWS_WITH(deferred.scan(), Catch::Contains(s.sealed.string()) && Catch::Contains("columns checksum mismatch"));
  CHECK_THROWS_WITH(deferred.find_trace(make_batch(7, 1, 1)[0].trace), Catch::Contains("columns checksum mismatch"));
  CHECK_THROWS_WITH(deferred.blocks(), Catch::Contains("columns checksum mismatch"));
  // Every later read fails the same way: nothing is served from the damaged segment.
  CHECK_THROWS_WITH(deferred.scan(), Catch::Contains("columns checksum mismatch"));
}

TEST_CASE("a damaged zone map still refuses the open: it gives the store's size") {
  deferred_store s;
  s.flip_in_region(static_cast<std::size_t>(trace::detail::block_region::zone_map));
  CHECK_THROWS_WITH(trace::mmap_store(s.options), Catch::Contains("zone map"));
}

TEST_CASE("a damaged trace filter found at first use fails the lookup") {
  deferred_store s;
  std::string bytes = read_file(s.sealed);
  const std::size_t at = trace::detail::file_header_size + test_support::sealed_block_size(bytes) + 20;
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  write_file(s.sealed, bytes);
  const trace::mmap_store deferred(s.options);
  CHECK_THROWS_WITH(deferred.find_trace(trace::trace_id(1, 2)), Catch::Contains("trace filter checksum mismatch"));
}
