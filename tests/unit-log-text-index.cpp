// The log store's body index (log_store::body_index): find_logs with a text condition answers
// exactly what a scan of every record answers, for terms, prefixes, phrases, AND/OR/NOT and
// words no body has, with the other conditions beside it, on a store in memory and one
// reopened from its file, and after more records were appended than the index had seen.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/query/log_search.hpp"
#include "trace/store/log_store.hpp"

namespace {

constexpr trace::timestamp_ns start = 1'714'478'400'000'000'000;  // 2024-04-30T12:00:00Z

// `count` logs whose bodies mix common words, a word every 7th log has and one word only
// log 313 has; times run backwards in runs so that the answer's order is not the store's.
std::vector<trace::log_record> made_logs(std::size_t count, std::size_t offset = 0) {
  const char* common[] = {"payment", "cart", "retry", "timeout", "user", "order", "declined", "card"};
  std::vector<trace::log_record> out;
  std::uint64_t x = 0x9e3779b97f4a7c15ull + offset;
  for (std::size_t i = offset; i < offset + count; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    trace::log_record r;
    r.time = start + (i / 10 * 10 + (9 - i % 10)) * 1000;
    r.severity = static_cast<std::uint8_t>(1 + x % 24);
    r.service = i % 3 ? "checkout" : "cart";
    r.body = std::string(common[x % 8]) + " " + common[(x >> 8) % 8] + " " + common[(x >> 16) % 8] + " #" + std::to_string(i);
    if (i % 7 == 0) r.body += " Zahlung-abgelehnt";
    if (i == 313) r.body += " issuer-unreachable";
    out.push_back(std::move(r));
  }
  return out;
}

// What find_logs answers, worked out by testing every record.
std::vector<std::size_t> scanned(const trace::log_store& logs, const trace::log_query& q) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < logs.size(); ++i)
    if (trace::matches(q, logs[i])) out.push_back(i);
  std::ranges::stable_sort(out, {}, [&logs](std::size_t i) { return logs[i].time; });
  if (q.limit && out.size() > q.limit) out.resize(q.limit);
  return out;
}

const char* const queries[] = {
    "payment",  "decl*",  "\"card declined\"", "retry AND timeout", "cart OR issuer", "NOT payment",
    "card AND NOT (retry OR user)", "zahlung", "\"zahlung abgelehnt\"", "issuer",  "313", "nothing-has-this", "x*",
};

void same_as_scan(const trace::log_store& logs) {
  for (const char* text : queries) {
    INFO("text query " << text);
    trace::log_query q;
    q.text.emplace(text);
    const auto found = trace::find_logs(logs, q);
    CHECK(found == scanned(logs, q));
    q.service = "checkout";
    q.min_severity = 9;
    q.from = start + 100'000;
    CHECK(trace::find_logs(logs, q) == scanned(logs, q));
    q.limit = 5;
    CHECK(trace::find_logs(logs, q) == scanned(logs, q));
  }
}

}  // namespace

TEST_CASE("find_logs through the body index answers what a scan answers, in memory") {
  trace::log_store logs;
  logs.append(made_logs(1000));
  same_as_scan(logs);
  trace::log_query rare;
  rare.text.emplace("issuer");
  const auto found = trace::find_logs(logs, rare);
  REQUIRE(found.size() == 1);
  CHECK(logs[found[0]].body.ends_with("issuer-unreachable"));
  // The index narrows: one group of rows may hold the rare word, not all of them.
  const auto groups = rare.text->candidate_groups(logs.body_index());
  CHECK(groups.size() == (1000 + 15) / 16);
  CHECK(std::ranges::count(groups, std::uint8_t{1}) == 1);

  // Records appended after the index was built are found too.
  logs.append(made_logs(200, 1000));
  CHECK(logs.body_index().rows() == 1200);
  same_as_scan(logs);
}

TEST_CASE("find_logs through the body index answers what a scan answers, reopened from logs.log") {
  test_support::temp_dir dir;
  {
    trace::log_store logs(dir / "logs.log");
    logs.append(made_logs(700));
    logs.append(made_logs(300, 700));
  }
  const trace::log_store reopened(dir / "logs.log", trace::log_store::mode::read_only);
  REQUIRE(reopened.size() == 1000);
  same_as_scan(reopened);
}
