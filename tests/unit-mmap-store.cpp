#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <sys/wait.h>
#include <unistd.h>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"
#include "trace/query/span_query.hpp"

using test_support::make_batch;
using test_support::materialize_all;
using test_support::default_options;
using test_support::sorted;
using test_support::temp_dir;

namespace {

}  // namespace

TEST_CASE("spans come back with their full content, before and after reopening") {
  temp_dir dir;
  auto batch = make_batch(1, 6, 7);
  {
    trace::mmap_store store(default_options(dir));
    store.append(batch);
    CHECK(store.size() == batch.size());
    CHECK(materialize_all(store) == sorted(batch));
  }
  trace::mmap_store reopened(default_options(dir));
  CHECK(reopened.size() == batch.size());
  CHECK(materialize_all(reopened) == sorted(batch));
  CHECK(reopened.dropped().empty());
}

TEST_CASE("sealed segments keep the full content and the same answers") {
  temp_dir dir;
  auto first = make_batch(1, 5, 4), second = make_batch(3, 5, 4);  // traces 3..5 span both batches
  for (auto& s : second) s.id = trace::span_id(s.id.value() + 500);
  trace::mmap_store store(default_options(dir));
  store.append(first);
  store.roll();
  store.append(second);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  CHECK(materialize_all(store) == sorted(all));
  auto info = store.segments();
  REQUIRE(info.size() == 2);
  CHECK(info[0].sealed);
  CHECK_FALSE(info[1].sealed);
  CHECK(test_support::files_with(store.options().path, "seg").size() == 1);
}

TEST_CASE("find_trace returns the spans of one trace spread over batches and segments") {
  temp_dir dir;
  auto o = default_options(dir);
  trace::mmap_store store(o);
  std::vector<trace::span> expected;
  for (int round = 0; round < 3; ++round) {
    for (int batch = 0; batch < 2; ++batch) {
      auto spans = make_batch(40, 3, 2);
      for (auto& s : spans) s.id = trace::span_id(s.id.value() + 10'000u * static_cast<unsigned>(round * 2 + batch + 1));
      store.append(spans);
      for (const auto& s : spans)
        if (s.trace == spans.front().trace) expected.push_back(s);
    }
    if (round < 2) store.roll();
  }
  std::vector<trace::span> found;
  for (trace::mmap_span s : store.find_trace(expected.front().trace)) found.push_back(s.materialize());
  CHECK(sorted(found) == sorted(expected));
  CHECK(store.find_trace(trace::trace_id(77, 77)).empty());
}

// A sealed segment's lookup searches its sorted trace index: random ids, ids alike in their
// top bits (small numbers, one prefix) and the largest id are each found with exactly their
// own spans, and ids absent between entries find none.
TEST_CASE("find_trace in a sealed segment finds every trace whatever its ids look like") {
  temp_dir dir;
  trace::mmap_store store(default_options(dir));
  std::vector<trace::trace_id> ids;
  std::uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state] { return state = state * 6364136223846793005u + 1442695040888963407u; };
  for (std::uint64_t i = 1; i <= 300; ++i) ids.emplace_back(next(), next());         // random
  for (std::uint64_t i = 1; i <= 300; ++i) ids.emplace_back(0, i * 3);               // small numbers
  for (std::uint64_t i = 1; i <= 300; ++i) ids.emplace_back(0xabcd0000'00000000u + i, i);  // one prefix
  ids.emplace_back(~std::uint64_t{0}, ~std::uint64_t{0});  // the largest id
  std::vector<trace::span> spans;
  for (std::size_t t = 0; t < ids.size(); ++t)
    for (std::uint64_t k = 0; k < 1 + t % 3; ++k) {
      trace::span s = test_support::make_span(t, k);
      s.trace = ids[t];
      spans.push_back(std::move(s));
    }
  store.append(spans);
  store.roll();
  for (std::size_t t = 0; t < ids.size(); ++t) {
    std::size_t found = 0;
    for (trace::mmap_span s : store.find_trace(ids[t])) found += s.trace() == ids[t];
    CHECK(found == 1 + t % 3);
  }
  for (std::uint64_t i = 1; i <= 300; ++i) {
    CHECK(store.find_trace(trace::trace_id(0, i * 3 + 1)).empty());
    CHECK(store.find_trace(trace::trace_id(ids[i - 1].high(), ids[i - 1].low() + 1)).empty());
  }
  CHECK(store.find_trace(trace::trace_id(~std::uint64_t{0}, 1)).empty());
}

TEST_CASE("a segment rolls into a sealed segment once it is full") {
  temp_dir dir;
  auto o = default_options(dir);
  o.segment_bytes = trace::min_segment_bytes;
  std::size_t total = 0;
  {
    trace::mmap_store store(o);
    for (std::uint64_t i = 0; i < 40; ++i) {
      auto batch = make_batch(i * 10, 10, 3);
      store.append(batch);
      total += batch.size();
    }
    CHECK(store.size() == total);
    CHECK(test_support::files_with(o.path, "seg").size() >= 2);
  }
  trace::mmap_store reopened(o);
  CHECK(reopened.size() == total);
  std::set<std::uint64_t> ids;
  for (trace::mmap_span s : reopened.scan()) ids.insert(s.id().value());
  CHECK(ids.size() == total);
}

TEST_CASE("a segment rolls once it is older than segment_span") {
  temp_dir dir;
  auto o = default_options(dir);
  o.segment_span = trace::second;
  trace::mmap_store store(o);
  store.append(make_batch(1, 1, 2));
  ::usleep(1'100'000);
  store.append(make_batch(2, 1, 2));
  auto info = store.segments();
  REQUIRE(info.size() == 2);
  CHECK(info[0].sealed);
  CHECK(info[0].spans == 2);
}

TEST_CASE("mmap_store: a batch with an invalid span is refused whole, naming the span") {
  temp_dir dir;
  trace::mmap_store store(default_options(dir));
  auto batch = make_batch(1, 1, 3);
  batch[2].end = batch[2].start - 1;
  try {
    store.append(batch);
    FAIL("append accepted a span that ends before it starts");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::invalid_span);
    CHECK(std::string(e.what()).find("batch span #2") != std::string::npos);
  }
  CHECK(store.size() == 0);
}

TEST_CASE("invalid options are refused with a message naming the option") {
  temp_dir dir;
  auto refused = [&](auto edit, const std::string& name) {
    auto o = default_options(dir);
    edit(o);
    try {
      trace::mmap_store store(o);
      FAIL("accepted a bad " << name);
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::invalid_option);
      CHECK(std::string(e.what()).find("mmap_options." + name) != std::string::npos);
    }
  };
  refused([](trace::mmap_options& o) { o.path.clear(); }, "path");
  refused([](trace::mmap_options& o) { o.flush_interval = std::chrono::milliseconds(0); }, "flush_interval");
  refused([](trace::mmap_options& o) { o.segment_bytes = 100; }, "segment_bytes");
  refused([](trace::mmap_options& o) { o.segment_span = 5; }, "segment_span");
  refused([](trace::mmap_options& o) { o.max_disk_percent = 0; }, "max_disk_percent");
  refused([](trace::mmap_options& o) { o.max_disk_percent = 101; }, "max_disk_percent");
  refused([](trace::mmap_options& o) { o.max_snapshots = 0; }, "max_snapshots");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "store"));
}

TEST_CASE("a second writer is refused, in this process and from another one") {
  temp_dir dir;
  trace::mmap_store first(default_options(dir));
  try {
    trace::mmap_store second(default_options(dir));
    FAIL("a second writer opened the store");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::io_error);
    CHECK(std::string(e.what()).find("already open for writing") != std::string::npos);
    CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
  }
  pid_t child = ::fork();
  if (child == 0) {
    try {
      trace::mmap_store other(default_options(dir));
      ::_exit(1);
    } catch (const trace::error& e) {
      ::_exit(std::string(e.what()).find("already open for writing") != std::string::npos ? 0 : 2);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("the writer lock is released when the store closes") {
  temp_dir dir;
  { trace::mmap_store first(default_options(dir)); }
  trace::mmap_store again(default_options(dir));
  again.append(make_batch(1, 1, 1));
  CHECK(again.size() == 1);
}

TEST_CASE("a read-only store sees what the writer committed and refuses writes") {
  temp_dir dir;
  trace::mmap_store writer(default_options(dir));
  auto batch = make_batch(1, 3, 3);
  writer.append(batch);
  auto o = default_options(dir);
  o.mode = trace::open_mode::read_only;
  trace::mmap_store reader(o);
  CHECK(materialize_all(reader) == sorted(batch));
  try {
    reader.append(batch);
    FAIL("a read-only store accepted a batch");
  } catch (const trace::error& e) {
    CHECK(std::string(e.what()).find("read-only") != std::string::npos);
  }
}

TEST_CASE("a read-only open of a missing store is refused and creates nothing") {
  temp_dir dir;
  auto o = default_options(dir);
  o.mode = trace::open_mode::read_only;
  CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(o.path));
}

TEST_CASE("reopening a store does not rewrite its sealed segments") {
  temp_dir dir;
  auto o = default_options(dir);
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 20, 5));
    store.roll();
    store.append(make_batch(100, 2, 2));
  }
  auto sealed = test_support::files_with(o.path, "seg");
  REQUIRE(sealed.size() == 1);
  auto before = std::filesystem::last_write_time(sealed[0]);
  auto bytes = test_support::read_file(sealed[0]);
  trace::mmap_store reopened(o);
  CHECK(reopened.size() == 104);
  CHECK(std::filesystem::last_write_time(sealed[0]) == before);
  CHECK(test_support::read_file(sealed[0]) == bytes);
}

TEST_CASE("stored spans read their scope's name and version in place, and scope filters use them") {
  using namespace trace::where;
  temp_dir dir;
  auto first = make_batch(1, 2, 3), second = make_batch(10, 2, 3);
  first[1].scope = {"grpc", "2.0", {{"scope.attr", true}}, 0};
  second[0].scope = {"grpc", "2.1", {}, 0};
  second[2].scope = {};
  auto check = [&](const trace::mmap_store& store) {
    std::map<std::uint64_t, std::pair<std::string, std::string>> by_id;
    for (trace::mmap_span s : store.scan()) by_id[s.id().value()] = {std::string(s.scope_name()), std::string(s.scope_version())};
    CHECK(by_id.at(first[1].id.value()) == std::pair<std::string, std::string>{"grpc", "2.0"});
    CHECK(by_id.at(second[0].id.value()) == std::pair<std::string, std::string>{"grpc", "2.1"});
    CHECK(by_id.at(second[2].id.value()) == std::pair<std::string, std::string>{"", ""});
    CHECK(by_id.at(first[0].id.value()) == std::pair<std::string, std::string>{"lib", "1.2"});
    CHECK(trace::count_matching(store, scope_name("grpc")) == 2);
    CHECK(trace::count_matching(store, scope_name("grpc") && scope_version("2.1")) == 1);
    CHECK(trace::count_matching(store, trace::filters::scope_is{"grpc", "2.2"}) == 0);  // name right, version not
    CHECK(trace::count_matching(store, trace::filters::scope_is{"lib", "2.0"}) == 0);   // version right, name not
    CHECK(trace::count_matching(store, scope_name("lib") && scope_version("1.2")) == 9);
    CHECK(trace::count_matching(store, scope_name("")) == 1);
    CHECK(trace::count_matching(store, scope_name("scope.attr")) == 0);
  };
  {
    trace::mmap_store store(default_options(dir));
    store.append(first);
    store.roll();  // one sealed segment, one live
    store.append(second);
    check(store);
  }
  trace::mmap_store reopened(default_options(dir));
  check(reopened);
}

TEST_CASE("a store of format 6 (before coded parents) opens, reads, is sealed anew and takes appends") {
  // tests/data/mmap-format-6: a sealed segment and a log written by a format-6 build
  // (generate.cpp there says how); their spans are those below.
  auto expected = make_batch(0, 4, 6);
  auto in_log = make_batch(4, 3, 6);
  in_log.push_back(test_support::make_span(0, 6));
  expected.insert(expected.end(), in_log.begin(), in_log.end());
  temp_dir dir;
  auto o = default_options(dir);
  std::filesystem::create_directories(o.path);
  for (const char* name : {"0000000000000001.seg", "0000000000000002.log"})
    std::filesystem::copy_file(std::filesystem::path(TRACE_TEST_DATA_DIR) / "mmap-format-6" / name, o.path / name);
  {
    auto read_only = o;
    read_only.mode = trace::open_mode::read_only;
    const trace::mmap_store store(read_only);  // the old log is read in place
    REQUIRE(store.segments().size() == 2);
    CHECK_FALSE(store.segments()[1].sealed);
    CHECK(materialize_all(store) == sorted(expected));
    // A parent in another segment of its trace, and one in the same block.
    const auto spans = store.find_trace(expected.back().trace);
    CHECK(std::ranges::count_if(spans, [](const trace::mmap_span& s) { return s.parent().value() == 1; }) == 6);
  }
  auto more = make_batch(10, 2, 5);
  {
    trace::mmap_store store(o);  // a writer seals the old log before appending in the new layout
    for (const auto& info : store.segments()) CHECK(info.sealed);
    store.append(more);
    expected.insert(expected.end(), more.begin(), more.end());
    CHECK(materialize_all(store) == sorted(expected));
    store.roll();
    CHECK(store.compact() >= 1);  // merged: format-6 segments transcoded into one of this format
  }
  const trace::mmap_store reopened(o);
  CHECK(materialize_all(reopened) == sorted(expected));
  for (const auto& info : reopened.segments())
    CHECK(trace::detail::read_file_header(reinterpret_cast<const std::byte*>(test_support::read_file(info.path).data()),
                                          trace::detail::file_header_size, info.path.string())
              .version == trace::detail::format_version);
}
