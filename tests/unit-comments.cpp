// Comments on traces: add, edit, remove with tombstones, in memory and in the store's
// comments.log; a torn last record is dropped, damage is refused, and kill -9 during writes
// loses no acknowledged change.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/killed_writer.hpp"
#include "trace/store/comment_log.hpp"

namespace {
const trace::trace_id first_trace{1, 2}, other_trace{3, 4};
}  // namespace

TEST_CASE("comments are added, edited and removed, leaving a tombstone") {
  trace::comment_log log;  // in memory, beside a memory_store
  const auto a = log.add(first_trace, "ana", "card declined at the issuer", {}, 100);
  const auto b = log.add(first_trace, "bo", "retry storm from checkout", trace::span_id(7), 200);
  const auto c = log.add(other_trace, "ana", "unrelated", {}, 300);
  CHECK((a == 1 && b == 2 && c == 3));
  log.edit(a, "card declined at the issuer (INC-42)", 400);
  log.remove(b, "ana", 500);
  const auto live = log.of_trace(first_trace);
  REQUIRE(live.size() == 1);
  CHECK(live[0].text == "card declined at the issuer (INC-42)");
  CHECK((live[0].created == 100 && live[0].edited == 400 && live[0].author == "ana"));
  const auto all = log.of_trace(first_trace, true);
  REQUIRE(all.size() == 2);
  CHECK((all[1].removed && all[1].removed_by == "ana" && all[1].removed_at == 500 && all[1].span == trace::span_id(7)));
  CHECK_THROWS_WITH(log.edit(b, "again"), Catch::Contains("comment 2: it was removed"));
  CHECK_THROWS_WITH(log.remove(99, "ana"), Catch::Contains("comment 99: there is no such comment"));
  CHECK_THROWS_AS(log.add(first_trace, "ana", std::string(trace::comment_log::max_text_bytes + 1, 'x')), trace::error);
  CHECK(log.size() == 3);
}

TEST_CASE("the comment log keeps every change across reopening, read-only too") {
  test_support::temp_dir dir;
  const auto path = dir / "comments.log";
  {
    trace::comment_log log(path);
    log.add(first_trace, "ana", "first", {}, 1);
    log.add(first_trace, "bo", "second", trace::span_id(9), 2);
    log.edit(1, "first, edited", 3);
    log.remove(2, "ana", 4);
    CHECK_THROWS_WITH(trace::comment_log(path), Catch::Contains("already open for writing"));
  }
  const trace::comment_log reopened(path, trace::comment_log::mode::read_only);
  const auto all = reopened.of_trace(first_trace, true);
  REQUIRE(all.size() == 2);
  CHECK((all[0].text == "first, edited" && all[0].edited == 3 && !all[0].removed));
  CHECK((all[1].removed && all[1].removed_by == "ana" && all[1].text == "second" && all[1].span == trace::span_id(9)));
  CHECK_FALSE(reopened.dropped_tail());
}

TEST_CASE("a torn last record is dropped; a damaged record before valid ones is refused") {
  test_support::temp_dir dir;
  const auto path = dir / "comments.log";
  {
    trace::comment_log log(path);
    for (int i = 0; i < 3; ++i) log.add(first_trace, "ana", "comment " + std::to_string(i));
  }
  const std::string whole = test_support::read_file(path);
  // Torn: the last record cut anywhere inside it.
  test_support::write_file(path, whole.substr(0, whole.size() - 12));
  {
    trace::comment_log log(path);
    CHECK(log.dropped_tail().has_value());
    CHECK(log.of_trace(first_trace).size() == 2);
    log.add(first_trace, "ana", "after the cut");  // appended where the torn record began
  }
  CHECK(trace::comment_log(path, trace::comment_log::mode::read_only).of_trace(first_trace).back().text == "after the cut");
  // Damage: a flipped byte in the first record, valid records after it.
  test_support::write_file(path, whole);
  test_support::flip_byte(path, 16 + 20);
  CHECK_THROWS_WITH(trace::comment_log(path, trace::comment_log::mode::read_only),
                    Catch::Contains("record at offset 16") && Catch::Contains("valid records follow"));
}

TEST_CASE("kill -9 during writes loses no acknowledged comment") {
  test_support::temp_dir dir;
  const auto path = dir / "comments.log";
  std::size_t acknowledged = 0;
  for (int round = 0; round < 3; ++round) {
    test_support::killed_writer writer([&path](auto acknowledge) {
      trace::comment_log log(path);
      for (std::uint64_t i = 0;; ++i) acknowledge(log.add(first_trace, "writer", "comment number " + std::to_string(i)));
    });
    REQUIRE(writer.started());
    std::uint64_t last = writer.read_acks(20 + 15 * round, 0);
    writer.kill();
    last = writer.drain(last);  // acknowledged before it died
    const trace::comment_log log(path, trace::comment_log::mode::read_only);
    INFO("round " << round << ": last acknowledged id " << last);
    REQUIRE(log.size() >= last);
    for (std::uint64_t k = acknowledged + 1; k <= last; ++k) CHECK(log.find(k).has_value());
    acknowledged = log.size();
  }
  CHECK(acknowledged >= 3 * 20);
}
