// tests/data/otel-js-sdk.json was written by the OpenTelemetry JS SDK's own OTLP JSON
// serializer (tests/interop/generate.mjs; CI regenerates it and compares). The expected
// values below are that script's inputs: every field the SDK set must arrive intact.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"

using namespace trace;

namespace {
const std::vector<span>& sdk_spans() {
  static const std::vector<span> spans = otlp::read_file(std::string(TRACE_TEST_DATA_DIR) + "/otel-js-sdk.json");
  return spans;
}
const span& by_name(std::string_view name) {
  for (const span& s : sdk_spans())
    if (s.name == name) return s;
  FAIL("no span named " << name);
  throw;
}
timestamp_ns at(std::uint64_t ms, std::uint64_t ns = 0) { return 1'700'000'000'000'000'000ULL + ms * millisecond + ns; }
const trace_id first_trace = trace_id::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa10");
const trace_id second_trace = trace_id::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa11");
}  // namespace

TEST_CASE("OTel JS SDK: five spans, two traces, two services") {
  REQUIRE(sdk_spans().size() == 5);
  std::map<std::string, int> per_service;
  for (const span& s : sdk_spans()) ++per_service[s.resource.service_name];
  CHECK(per_service == std::map<std::string, int>{{"backend", 2}, {"frontend", 3}});
}

TEST_CASE("OTel JS SDK: the root span's ids, kind, times, status and every attribute type") {
  const span& root = by_name("GET /checkout");
  CHECK(root.trace == first_trace);
  CHECK(root.id.value() == 0x100);
  CHECK(!root.parent.valid());
  CHECK(root.kind == span_kind::server);
  CHECK(root.start == at(0));
  CHECK(root.end == at(100));
  CHECK(root.status == basic_status<std::string>{status_code::error, "upstream failed"});
  CHECK(root.attributes.size() == 8);
  CHECK(std::get<std::string>(*root.attributes.find("http.method")) == "GET");
  CHECK(std::get<std::int64_t>(*root.attributes.find("http.status_code")) == 500);
  CHECK(std::get<double>(*root.attributes.find("http.ratio")) == 0.75);
  CHECK(std::get<bool>(*root.attributes.find("http.secure")) == true);
  CHECK(std::get<std::vector<std::string>>(*root.attributes.find("tags")) == std::vector<std::string>{"a", "b", "c"});
  CHECK(std::get<std::vector<std::int64_t>>(*root.attributes.find("ports")) == std::vector<std::int64_t>{80, 443});
  CHECK(std::get<std::vector<double>>(*root.attributes.find("weights")) == std::vector<double>{0.5, 1.25});
  CHECK(std::get<std::vector<bool>>(*root.attributes.find("flags")) == std::vector<bool>{true, false});
  CHECK(root.resource.service_name == "frontend");
  CHECK(root.resource.attributes ==
        attributes{{"host.name", std::string("web-1")}, {"process.pid", std::int64_t{4242}}});
  CHECK(root.scope == scope{"web-instrumentation", "1.4.0", {}, 0});
  CHECK(root.events.empty());
  CHECK(root.links.empty());
}

TEST_CASE("OTel JS SDK: the child's parent, events with levels, dropped events and link") {
  const span& child = by_name("SELECT orders");
  CHECK(child.trace == first_trace);
  CHECK(child.id.value() == 0x101);
  CHECK(child.parent.value() == 0x100);
  CHECK(child.kind == span_kind::client);
  CHECK(child.start == at(10, 123));
  CHECK(child.end == at(40, 456));
  CHECK(child.status == basic_status<std::string>{status_code::error, "deadlock detected"});
  CHECK(child.attributes == attributes{{"db.system", std::string("postgresql")}, {"db.rows", std::int64_t{12}}});
  CHECK(child.resource == resource{"backend", {{"deployment.environment", std::string("test")}}, 0});
  CHECK(child.scope == scope{"db-client", "", {}, 0});
  // The SDK keeps the newest three events of four and counts the one it dropped.
  CHECK(child.dropped_events == 1);
  REQUIRE(child.events.size() == 3);
  CHECK(child.events[0] == event{at(20), "retry", {{"attempt", std::int64_t{1}}}, event_level::warn, 0});
  CHECK(child.events[1] == event{at(30), "retry", {{"attempt", std::int64_t{2}}}, event_level::error, 0});
  CHECK(child.events[2] == event{at(31), "dropped", {}, std::nullopt, 0});
  REQUIRE(child.links.size() == 1);
  CHECK(child.links[0] == trace::link{trace_id::parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), span_id::parse("cccccccccccccccc"),
                               "vendor=abc,other=1",
                               {{"link.reason", std::string("batch")}, {"link.index", std::int64_t{2}}}, 0,
                               0x101});  // sampled (W3C flag 1), and OTLP's bit 8: "whether remote" is known
  // Every span the SDK ended is sampled and local: flags 0x101 too.
  for (const span& s : sdk_spans()) CHECK(s.flags == 0x101);
}

TEST_CASE("OTel JS SDK: sibling with ok status, producer and linked consumer") {
  const span& sibling = by_name("render");
  CHECK(sibling.parent.value() == 0x100);
  CHECK(sibling.kind == span_kind::internal);
  CHECK(sibling.status.code == status_code::ok);
  CHECK(sibling.start == at(45));
  CHECK(sibling.end == at(60));

  const span& producer = by_name("publish order");
  const span& consumer = by_name("consume order");
  CHECK(producer.trace == second_trace);
  CHECK(producer.kind == span_kind::producer);
  CHECK(!producer.parent.valid());
  CHECK(consumer.trace == second_trace);
  CHECK(consumer.kind == span_kind::consumer);
  CHECK(consumer.parent == producer.id);
  CHECK(consumer.status.code == status_code::unset);
  REQUIRE(consumer.links.size() == 1);
  CHECK(consumer.links[0].trace == second_trace);
  CHECK(consumer.links[0].span == producer.id);
}

TEST_CASE("OTel JS SDK: the library's export of the SDK's spans reads back equal") {
  CHECK(otlp::read(otlp::to_json(sdk_spans())) == sdk_spans());
}
