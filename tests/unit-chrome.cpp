#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "trace/io/chrome_trace.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/store/memory.hpp"

using namespace trace;

namespace {
using interval = std::pair<timestamp_ns, timestamp_ns>;

// The property Perfetto needs: on each lane, any two slices are disjoint or one holds the other.
bool nests_strictly(const std::vector<interval>& spans, const std::vector<std::uint32_t>& lanes) {
  for (std::size_t i = 0; i < spans.size(); ++i)
    for (std::size_t j = i + 1; j < spans.size(); ++j) {
      if (lanes[i] != lanes[j]) continue;
      auto [a0, a1] = spans[i];
      auto [b0, b1] = spans[j];
      bool disjoint = a1 <= b0 || b1 <= a0;
      bool nested = (a0 <= b0 && b1 <= a1) || (b0 <= a0 && a1 <= b1);
      if (!disjoint && !nested) return false;
    }
  return true;
}

span make(std::uint64_t id, std::string service, timestamp_ns start, timestamp_ns end, std::uint64_t parent = 0) {
  span s;
  s.trace = trace_id(0, 7);
  s.id = span_id(id);
  s.parent = span_id(parent);
  s.name = "op" + std::to_string(id);
  s.kind = span_kind::server;
  s.start = start;
  s.end = end;
  s.resource.service_name = std::move(service);
  return s;
}
}  // namespace

TEST_CASE("lane packing: nested spans share a lane, overlapping ones do not") {
  std::vector<interval> spans{{0, 100}, {10, 50}, {20, 30}, {40, 120}, {100, 150}, {60, 70}};
  auto lanes = chrome::pack_lanes(spans);
  CHECK(nests_strictly(spans, lanes));
  CHECK(lanes == std::vector<std::uint32_t>{0, 0, 0, 1, 0, 0});
}

TEST_CASE("lane packing: every lane nests strictly on irregular input") {
  std::vector<interval> spans;
  std::uint64_t seed = 12345;
  for (int i = 0; i < 300; ++i) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    timestamp_ns start = (seed >> 20) % 10'000;
    timestamp_ns length = (seed >> 40) % 2'000;
    spans.emplace_back(start, start + length);
  }
  auto lanes = chrome::pack_lanes(spans);
  CHECK(nests_strictly(spans, lanes));
}

TEST_CASE("Chrome trace: one pid per service, complete events in microseconds, args") {
  std::vector<span> spans{make(1, "api", 1'000'000, 3'000'500), make(2, "api", 2'000'000, 4'000'000, 1),
                          make(3, "db", 2'500'000, 2'600'000, 2)};
  spans[0].attributes.set("http.status_code", std::int64_t{200});
  spans[0].events.push_back({1'500'000, "cache miss", {}, std::nullopt, 0});
  json::value doc = json::parse(chrome::to_json(spans));
  std::map<std::int64_t, std::string> process_names;
  std::vector<const json::value*> slices;
  for (const auto& e : *doc.find("traceEvents")->get_if<json::array>()) {
    std::string ph = *e.find("ph")->get_if<std::string>();
    if (ph == "M" && *e.find("name")->get_if<std::string>() == "process_name")
      process_names[*e.find("pid")->get_if<std::int64_t>()] = *e.find("args")->find("name")->get_if<std::string>();
    if (ph == "X") slices.push_back(&e);
  }
  CHECK(process_names == std::map<std::int64_t, std::string>{{1, "api"}, {2, "db"}});
  REQUIRE(slices.size() == 3);
  CHECK(*slices[0]->find("ts")->get_if<double>() == 0.0);
  CHECK(*slices[0]->find("dur")->get_if<double>() == 2000.5);
  CHECK(*slices[1]->find("ts")->get_if<double>() == 1000.0);
  CHECK(*slices[0]->find("tid")->get_if<std::int64_t>() == 1);
  CHECK(*slices[1]->find("tid")->get_if<std::int64_t>() == 2);  // overlaps the first without nesting
  CHECK(*slices[2]->find("pid")->get_if<std::int64_t>() == 2);
  CHECK(json::serialize(*slices[0]->find("args")) ==
        R"({"trace_id":"00000000000000000000000000000007","span_id":"0000000000000001","http.status_code":200})");
  CHECK(json::serialize(*doc.find("otherData")) == R"({"trace_start_unix_ns":"1000000"})");
}

TEST_CASE("Chrome trace: spans read from a store export the same way") {
  memory_store store;
  std::vector<span> spans{make(1, "api", 1'000, 9'000), make(2, "api", 2'000, 3'000, 1)};
  store.append(spans);
  CHECK(chrome::to_json(store.scan()).find(R"("name":"op2","cat":"server","ts":1.0,"dur":1.0)") != std::string::npos);
}
