// OTLP protobuf: round trips with the JSON path over every fixture, protobuf's wire rules
// checked on bytes built here by hand (a writer of its own, independent of the encoder),
// refusal of every kind of bad input with field path and byte offset, and the JSON reader's
// base64 ids.
#include <catch2/catch.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory_resource>
#include <span>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

#include "trace/core/convert.hpp"
#include "trace/io/file.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/io/refused_span.hpp"

using namespace trace;
namespace pb = trace::otlp::proto;
namespace fs = std::filesystem;

// The views' spans live in the request's arena: they are lent read-only, never taken out,
// and a request_views comes only from a decode.
static_assert(std::is_same_v<decltype(std::declval<const pb::request_views&>().spans()), std::span<const span_view>>);
static_assert(!std::is_copy_constructible_v<pb::request_views> && !std::is_default_constructible_v<pb::request_views>);
static_assert(std::is_nothrow_move_constructible_v<pb::request_views> && std::is_nothrow_move_assignable_v<pb::request_views>);

namespace {

// A protobuf writer for the tests: each call appends one field.
struct message {
  std::string bytes;

  static std::string varint_bytes(std::uint64_t v) {
    std::string out;
    while (v >= 0x80) out += static_cast<char>(v | 0x80), v >>= 7;
    out += static_cast<char>(v);
    return out;
  }
  message& key(std::uint32_t field, int wire) {
    bytes += varint_bytes((std::uint64_t{field} << 3) | static_cast<std::uint64_t>(wire));
    return *this;
  }
  message& varint(std::uint32_t field, std::uint64_t v) {
    key(field, 0);
    bytes += varint_bytes(v);
    return *this;
  }
  message& fixed64(std::uint32_t field, std::uint64_t v) {
    key(field, 1);
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>(v >> (8 * i));
    return *this;
  }
  message& fixed32(std::uint32_t field, std::uint32_t v) {
    key(field, 5);
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>(v >> (8 * i));
    return *this;
  }
  message& len(std::uint32_t field, std::string_view v) {
    key(field, 2);
    bytes += varint_bytes(v.size());
    bytes += v;
    return *this;
  }
  message& sub(std::uint32_t field, const message& m) { return len(field, m.bytes); }
  message& raw(std::string_view v) {
    bytes += v;
    return *this;
  }
};

std::string id_bytes(std::uint64_t high, std::uint64_t low) {
  std::string out;
  for (int i = 7; i >= 0; --i) out += static_cast<char>(high >> (8 * i));
  for (int i = 7; i >= 0; --i) out += static_cast<char>(low >> (8 * i));
  return out;
}
std::string span_bytes(std::uint64_t v) { return id_bytes(v, 0).substr(0, 8); }

message string_value(std::string_view s) { return message().len(1, s); }
message key_value(std::string_view key, const message& value) { return message().len(1, key).sub(2, value); }

message minimal_span(std::uint64_t id = 2) {
  return message().len(1, id_bytes(0, 1)).len(2, span_bytes(id)).len(5, "op").fixed64(7, 10).fixed64(8, 20);
}
// A request of one resource_spans holding one scope_spans holding `spans`.
std::string request_of(const std::vector<message>& spans, const message& resource = {}, const message& scope = {}) {
  message ss;
  ss.sub(1, scope);
  for (const auto& s : spans) ss.sub(2, s);
  return message().sub(1, message().sub(1, resource).sub(2, ss)).bytes;
}

span full_span() {
  span s;
  s.trace = trace_id{0x0102030405060708, 0x090a0b0c0d0e0f10};
  s.id = span_id{0x1112131415161718};
  s.parent = span_id{0x2122232425262728};
  s.trace_state = "vendor=1";
  s.name = "GET /items";
  s.kind = span_kind::server;
  s.start = 1'700'000'000'000'000'000;
  s.end = s.start + 1'234'567;
  s.status = {status_code::error, "boom"};
  s.attributes.set("text", std::string("héllo"));
  s.attributes.set("empty", std::string());
  s.attributes.set("yes", true);
  s.attributes.set("no", false);
  s.attributes.set("negative", std::int64_t{-42});
  s.attributes.set("min", std::numeric_limits<std::int64_t>::min());
  s.attributes.set("zero", std::int64_t{0});
  s.attributes.set("ratio", -0.25);
  s.attributes.set("inf", std::numeric_limits<double>::infinity());
  s.attributes.set("texts", std::vector<std::string>{"a", "", "c"});
  s.attributes.set("bools", std::vector<bool>{true, false});
  s.attributes.set("ints", std::vector<std::int64_t>{-1, 0, 1 << 20});
  s.attributes.set("reals", std::vector<double>{0.5, -1e300});
  s.attributes.set("none", std::vector<std::string>{});
  s.dropped_attributes = 3;
  s.events.push_back({s.start + 5, "retry", {{"attempt", std::int64_t{2}}}, event_level::warn, 1});
  s.events.push_back({s.start + 9, "plain", {}, std::nullopt, 0});
  s.dropped_events = 4;
  s.links.push_back({trace_id{7, 8}, span_id{9}, "k=v", {{"why", std::string("follows")}}, 2, 0x301});
  s.links.push_back({trace_id{10, 11}, span_id{12}, "", {}, 0, 0});
  s.dropped_links = 5;
  s.flags = 0x101;
  s.resource.service_name = "checkout";
  s.resource.attributes.set("host.name", std::string("web-1"));
  s.resource.dropped_attributes = 6;
  s.resource.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  s.scope = {"lib", "1.2.3", {{"scope.attr", std::int64_t{7}}}, 8, "https://opentelemetry.io/schemas/1.25.0"};
  return s;
}

std::vector<span> round_trip(const std::vector<span>& spans) { return pb::decode_request(pb::encode_request(spans)); }

std::string error_of(std::string_view bytes) {
  try {
    pb::decode_request(bytes);
  } catch (const error& e) {
    CHECK(e.code() == errc::parse_error);
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every field of the model survives protobuf") {
  std::vector<span> spans{full_span()};
  span other = full_span();
  other.id = span_id{0x99};
  other.resource.service_name = "payments";  // a second resource_spans
  other.scope.schema_url.clear();
  other.kind = span_kind::unspecified;
  other.flags = 0;
  spans.push_back(other);
  spans.push_back(full_span());
  spans.back().id = span_id{0x77};  // back to the first resource: regrouped after `other`
  auto back = round_trip(spans);
  REQUIRE(back.size() == 3);
  CHECK(back[0] == spans[0]);
  CHECK(back[1] == spans[2]);
  CHECK(back[2] == spans[1]);
}

TEST_CASE("JSON -> spans -> protobuf -> spans -> JSON is lossless for every fixture") {
  std::vector<fs::path> files = {fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.json",
                                 fs::path(TRACE_TEST_DATA_DIR) / "../../examples/tracectl/sample/shop.otlp.json"};
  for (const auto& entry : fs::directory_iterator(fs::path(TRACE_CONFORMANCE_DIR) / "jaeger" / "traces"))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  REQUIRE(files.size() > 10);
  for (const auto& file : files) {
    INFO(file.string());
    std::vector<span> spans = otlp::read_file(file);
    REQUIRE_FALSE(spans.empty());
    std::string bytes = pb::encode_request(spans);
    std::vector<span> back = pb::decode_request(bytes);
    // Protobuf groups like the JSON writer, so the JSON of both sides is the same text.
    CHECK(otlp::to_json(back) == otlp::to_json(spans));
    CHECK(otlp::read(otlp::to_json(back)) == otlp::read(otlp::to_json(spans)));
    CHECK(pb::encode_request(back) == bytes);  // and encoding is deterministic
  }
}

TEST_CASE("the SDK fixture's flags and all its fields come through protobuf") {
  auto spans = otlp::read_file(fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.json");
  std::size_t flagged = 0;
  for (const auto& s : spans) flagged += s.flags == 257;
  CHECK(flagged == spans.size());
  CHECK(round_trip(spans).size() == spans.size());
}

TEST_CASE("encoding writes fields in number order and leaves proto3 defaults out") {
  span s;
  s.trace = trace_id{0, 1};
  s.id = span_id{2};
  s.name = "op";
  s.kind = span_kind::client;
  s.start = 10;
  s.end = 20;
  s.attributes.set("n", std::int64_t{-1});
  message expected_span = minimal_span();
  expected_span = message()
                      .len(1, id_bytes(0, 1))
                      .len(2, span_bytes(2))
                      .len(5, "op")
                      .varint(6, 3)
                      .fixed64(7, 10)
                      .fixed64(8, 20)
                      .sub(9, key_value("n", message().varint(3, ~std::uint64_t{0})))  // -1: ten bytes
                      .sub(15, message());
  std::string expected = message()
                             .sub(1, message().sub(1, message()).sub(2, message().sub(1, message()).sub(2, expected_span)))
                             .bytes;
  CHECK(pb::encode_request(std::vector<span>{s}) == expected);
}

TEST_CASE("a long message's length is written in its shortest form") {
  span s = full_span();
  s.name = std::string(100'000, 'n');  // a span length of three varint bytes, a scope_spans of three
  auto bytes = pb::encode_request(std::vector<span>{s});
  CHECK(pb::decode_request(bytes).front() == s);
  std::vector<span> none;
  CHECK(pb::encode_request(none).empty());
}

TEST_CASE("decoding follows protobuf's wire rules") {
  SECTION("fields in any order, the last scalar wins, a repeated message field merges") {
    message span = message()
                       .fixed64(8, 20)
                       .len(5, "first")
                       .sub(15, message().varint(3, 2))
                       .len(2, span_bytes(2))
                       .len(5, "second")
                       .fixed64(7, 10)
                       .sub(15, message().len(2, "merged"))
                       .len(1, id_bytes(0, 1));
    auto back = pb::decode_request(request_of({span}));
    REQUIRE(back.size() == 1);
    CHECK(back[0].name == "second");
    CHECK(back[0].status == basic_status<std::string>{status_code::error, "merged"});
    CHECK(back[0].start == 10);
    CHECK(back[0].kind == span_kind::unspecified);  // absent enum: its zero value
  }
  SECTION("resource and scope given twice merge; resource after scope_spans applies") {
    message rs = message()
                     .sub(2, message().sub(2, minimal_span()).sub(1, message().len(1, "lib")))
                     .sub(1, message().sub(1, key_value("a", string_value("1"))))
                     .len(3, "schema-r")
                     .sub(1, message().sub(1, key_value("service.name", string_value("svc"))).varint(2, 4));
    auto back = pb::decode_request(message().sub(1, rs).bytes);
    REQUIRE(back.size() == 1);
    CHECK(back[0].resource == resource{"svc", {{"a", std::string("1")}}, 4, "schema-r"});
    CHECK(back[0].scope.name == "lib");
  }
  SECTION("a resource given after its spans applies to that resource_spans only, when all are decoded at once") {
    message first = message().sub(1, message().sub(1, key_value("service.name", string_value("a")))).sub(2, message().sub(2, minimal_span(1)));
    message second = message().sub(2, message().sub(2, minimal_span(2)).sub(2, minimal_span(3)))
                         .sub(1, message().sub(1, key_value("service.name", string_value("b"))));
    const std::string bytes = message().sub(1, first).sub(1, second).bytes;
    auto back = pb::decode_request(bytes);
    REQUIRE(back.size() == 3);
    CHECK(back[0].resource.service_name == "a");
    CHECK(back[1].resource.service_name == "b");
    CHECK(back[2].resource.service_name == "b");
    const pb::request_views views = pb::decode_request_views(bytes);
    REQUIRE(views.spans().size() == 3);
    CHECK(views.spans()[0].resource.service_name == "a");
    CHECK(views.spans()[2].resource.service_name == "b");
  }
  SECTION("unknown fields of every wire type are skipped, groups included") {
    message unknown = message()
                          .varint(90, 1)
                          .fixed64(91, 2)
                          .fixed32(92, 3)
                          .len(93, "xyz")
                          .key(94, 3)
                          .varint(1, 5)
                          .key(95, 3)
                          .len(2, "nested")
                          .key(95, 4)
                          .key(94, 4);
    message span = minimal_span().raw(unknown.bytes);
    message scope = message().len(1, "lib").raw(unknown.bytes);
    std::string bytes = message().raw(unknown.bytes).bytes + request_of({span}, message().raw(unknown.bytes), scope);
    auto back = pb::decode_request(bytes);
    REQUIRE(back.size() == 1);
    CHECK(back[0].name == "op");
    CHECK(back[0].scope.name == "lib");
  }
  SECTION("an AnyValue in two pieces is their merge: arrays concatenate, another member replaces") {
    message kv = message()
                     .len(1, "list")
                     .sub(2, message().sub(5, message().sub(1, message().varint(3, 1))))
                     .sub(2, message().sub(5, message().sub(1, message().varint(3, 2))));
    message replaced = message().len(1, "x").sub(2, message().len(1, "text")).sub(2, message().varint(2, 1));
    auto back = pb::decode_request(request_of({minimal_span().sub(9, kv).sub(9, replaced)}));
    REQUIRE(back.size() == 1);
    CHECK(back[0].attributes == attributes{{"list", std::vector<std::int64_t>{1, 2}}, {"x", true}});
  }
  SECTION("negative int64 as a ten-byte varint, unsigned 32-bit fields keep their low bits") {
    message span = minimal_span()
                       .sub(9, key_value("n", message().varint(3, static_cast<std::uint64_t>(std::int64_t{-5}))))
                       .varint(10, 0x1'0000'0007);
    auto back = pb::decode_request(request_of({span}));
    CHECK(std::get<std::int64_t>(*back[0].attributes.find("n")) == -5);
    CHECK(back[0].dropped_attributes == 7);
  }
  SECTION("empty messages: a request, a resource_spans, a scope_spans without spans") {
    CHECK(pb::decode_request("").empty());
    CHECK(pb::decode_request(message().sub(1, message()).bytes).empty());
    CHECK(pb::decode_request(message().sub(1, message().sub(2, message())).bytes).empty());
    std::size_t batches = 0;
    CHECK(pb::decode_request(message().sub(1, message()).bytes, [&](std::vector<span>&&) { ++batches; }) == 0);
    CHECK(batches == 0);
  }
  SECTION("a parent of all zero bytes or none is a root; OTLP < 0.19's instrumentation_library_spans is read") {
    message rs = message().sub(1000, message().sub(1, message().len(1, "old")).sub(2, minimal_span().len(4, std::string(8, '\0'))));
    auto back = pb::decode_request(message().sub(1, rs).bytes);
    REQUIRE(back.size() == 1);
    CHECK(back[0].is_root());
    CHECK(back[0].scope.name == "old");
  }
  SECTION("the streaming form calls the sink once per resource_spans") {
    std::string bytes = request_of({minimal_span(1), minimal_span(2)}) + request_of({minimal_span(3)});
    std::vector<std::size_t> sizes;
    CHECK(pb::decode_request(bytes, [&](std::vector<span>&& batch) { sizes.push_back(batch.size()); }) == 3);
    CHECK(sizes == std::vector<std::size_t>{2, 1});
  }
}

TEST_CASE("AnyValue shapes map as the JSON reader maps them") {
  // The same attributes as OTLP JSON and as protobuf must read the same.
  std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000001",
    "spanId":"0000000000000002","name":"op","startTimeUnixNano":"10","endTimeUnixNano":"20","attributes":[
    {"key":"kv","value":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}},{"key":"b","value":{"arrayValue":{"values":[{"stringValue":"x"},{"doubleValue":0.5}]}}},{"key":"c"}]}}},
    {"key":"mixed","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"2"},{"boolValue":true},{}]}}},
    {"key":"bytes","value":{"bytesValue":"AAEC"}},
    {"key":"nested","value":{"arrayValue":{"values":[{"arrayValue":{"values":[{"intValue":"1"}]}}]}}},
    {"key":"unset","value":{}},
    {"key":"novalue"}]}]}]}]})";
  message kv = message().sub(1, key_value("a", message().varint(3, 1)))
                   .sub(1, key_value("b", message().sub(5, message().sub(1, string_value("x")).sub(1, message().fixed64(4, 0x3fe0000000000000)))))
                   .sub(1, message().len(1, "c"));
  message mixed = message().sub(1, string_value("x")).sub(1, message().varint(3, 2)).sub(1, message().varint(2, 1)).sub(1, message());
  message nested = message().sub(1, message().sub(5, message().sub(1, message().varint(3, 1))));
  message span = minimal_span()
                     .sub(9, key_value("kv", message().sub(6, kv)))
                     .sub(9, key_value("mixed", message().sub(5, mixed)))
                     .sub(9, key_value("bytes", message().len(7, std::string("\0\1\2", 3))))
                     .sub(9, key_value("nested", message().sub(5, nested)))
                     .sub(9, key_value("unset", message()))
                     .sub(9, message().len(1, "novalue"));
  auto from_json = otlp::read(json);
  auto from_protobuf = pb::decode_request(request_of({span}));
  REQUIRE(from_protobuf.size() == 1);
  CHECK(from_protobuf[0].attributes == from_json[0].attributes);
  CHECK(std::get<std::string>(*from_protobuf[0].attributes.find("kv")) == R"({"a":1,"b":["x",0.5],"c":null})");
  CHECK(std::get<std::string>(*from_protobuf[0].attributes.find("bytes")) == "AAEC");
}

TEST_CASE("decoding into views gives the owning decode's spans, borrowing text from the bytes") {
  auto inside = [](std::string_view text, std::string_view bytes) {
    return text.empty() || (text.data() >= bytes.data() && text.data() + text.size() <= bytes.data() + bytes.size());
  };
  SECTION("every fixture and the full span") {
    std::vector<std::vector<span>> inputs{{full_span()}, otlp::read_file(fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.json"),
                                          otlp::read_file(fs::path(TRACE_TEST_DATA_DIR) / "../../examples/tracectl/sample/shop.otlp.json")};
    for (const auto& spans : inputs) {
      const std::string bytes = pb::encode_request(spans);
      const std::vector<span> owned = pb::decode_request(bytes);
      const pb::request_views views = pb::decode_request_views(bytes);
      REQUIRE(views.spans().size() == owned.size());
      for (std::size_t i = 0; i < owned.size(); ++i) {
        CHECK(to_owned(views.spans()[i]) == owned[i]);
        CHECK(inside(views.spans()[i].name, bytes));
        CHECK(inside(views.spans()[i].resource.service_name, bytes));
        for (const auto& a : views.spans()[i].attributes) CHECK(inside(a.key, bytes));
      }
      CHECK(pb::encode_request(views.spans()) == bytes);  // views encode as the spans they show
    }
  }
  SECTION("text the decoder makes (bytes as base64, kvlists as JSON) lives with the views") {
    message span = minimal_span()
                       .sub(9, key_value("bytes", message().len(7, std::string("\0\1\2", 3))))
                       .sub(9, key_value("kv", message().sub(6, message().sub(1, key_value("a", message().varint(3, 1))))))
                       .sub(9, key_value("text", string_value("plain")));
    const std::string bytes = request_of({span});
    pb::request_views views = pb::decode_request_views(bytes);
    pb::request_views moved = std::move(views);  // the made text moves with the spans
    REQUIRE(moved.spans().size() == 1);
    const auto& attributes = moved.spans()[0].attributes;
    CHECK(std::get<std::string_view>(*attributes.find("bytes")) == "AAEC");
    CHECK(std::get<std::string_view>(*attributes.find("kv")) == R"({"a":1})");
    CHECK(inside(std::get<std::string_view>(*attributes.find("text")), bytes));
    CHECK_FALSE(inside(std::get<std::string_view>(*attributes.find("bytes")), bytes));
  }
  SECTION("a decode assigned over another frees the old spans before their arena and text") {
    pb::request_views views = pb::decode_request_views(pb::encode_request(std::vector<span>{full_span(), full_span()}));
    const std::string bytes = pb::encode_request(std::vector<span>{full_span()});
    views = pb::decode_request_views(bytes);  // with the arena freed first, ASan reports the old spans' release
    REQUIRE(views.spans().size() == 1);
    CHECK(to_owned(views.spans()[0]) == full_span());
  }
  SECTION("the attributes of every span live in the request's one arena; a copy allocates its own") {
    span many = full_span();
    for (int i = 0; i < 1000; ++i) many.attributes.set("k" + std::to_string(i), std::int64_t{i});  // past the arena's block
    const std::string bytes = pb::encode_request(std::vector<span>{full_span(), many, full_span()});
    const pb::request_views views = pb::decode_request_views(bytes);
    REQUIRE(views.spans().size() == 3);
    CHECK(to_owned(views.spans()[1]) == many);
    std::pmr::memory_resource* arena = views.spans()[0].attributes.get_allocator().resource();
    REQUIRE(arena != std::pmr::get_default_resource());
    auto in_arena = [&](const basic_attributes<std::string_view>& a) { return a.get_allocator().resource() == arena; };
    for (const auto& s : views.spans()) {
      CHECK(in_arena(s.attributes));
      CHECK(in_arena(s.resource.attributes));
      CHECK(in_arena(s.scope.attributes));
      for (const auto& e : s.events) CHECK(in_arena(e.attributes));
      for (const auto& l : s.links) CHECK(in_arena(l.attributes));
    }
    const span_view copy = views.spans()[0];
    CHECK(copy.attributes.get_allocator().resource() == std::pmr::get_default_resource());
    CHECK(copy == views.spans()[0]);
  }
  SECTION("the streaming form, and bad input refused as by the owning decode") {
    std::string bytes = request_of({minimal_span(1), minimal_span(2)}) + request_of({minimal_span(3)});
    std::vector<std::string> names;
    CHECK(pb::decode_request_views(bytes, [&](std::vector<span_view>&& batch) {
            for (const auto& s : batch) names.emplace_back(s.name);
          }) == 3);
    CHECK(names == std::vector<std::string>{"op", "op", "op"});
    const std::string cut = bytes.substr(0, bytes.size() - 3);
    std::string owned_error = error_of(cut), view_error;
    try {
      pb::decode_request_views(cut);
    } catch (const error& e) {
      view_error = e.what();
    }
    CHECK(view_error == owned_error);
    CHECK(view_error != "no error");
  }
}

TEST_CASE("encoding groups by resource, then scope, in first-seen order, whatever the interleaving") {
  auto make = [](std::uint64_t id, const char* service, const char* scope_name) {
    span s;
    s.trace = trace_id{1, 1};
    s.id = span_id{id};
    s.name = "op";
    s.start = 10;
    s.end = 20;
    s.resource.service_name = service;
    s.scope.name = scope_name;
    return s;
  };
  std::vector<span> spans{make(1, "a", "x"), make(2, "b", "x"), make(3, "a", "y"), make(4, "a", "x"),
                          make(5, "c", "x"), make(6, "b", "x"), make(7, "a", "y")};
  std::vector<std::uint64_t> ids;
  std::vector<std::size_t> batches;
  pb::decode_request(pb::encode_request(spans), [&](std::vector<span>&& batch) {
    batches.push_back(batch.size());
    for (const auto& s : batch) ids.push_back(s.id.value());
  });
  CHECK(batches == std::vector<std::size_t>{4, 2, 1});  // one resource_spans per service
  CHECK(ids == std::vector<std::uint64_t>{1, 4, 3, 7, 2, 6, 5});
}

// A range that makes each span as it is read: copies given out as prvalues, as a generator or
// a transforming view gives them; `on_make` runs as each is made.
struct made_spans {
  const std::vector<span>* from;
  std::function<void(const span&)> on_make{};
  struct iterator {
    using value_type = span;
    using difference_type = std::ptrdiff_t;
    const span* at = nullptr;
    const made_spans* range = nullptr;
    span operator*() const {
      if (range && range->on_make) range->on_make(*at);
      return *at;
    }
    iterator& operator++() {
      ++at;
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++at;
      return before;
    }
    bool operator==(const iterator&) const = default;
  };
  iterator begin() const { return {from->data(), this}; }
  iterator end() const { return {from->data() + from->size(), this}; }
};

TEST_CASE("a request is the same bytes whether its spans come grouped or interleaved, stored or made on the way") {
  // The encoder writes spans to its working memory in input order, then appends each
  // group's headers and runs to the caller's string: grouped and interleaved input must
  // agree, also past its 64 KiB growth step and after text already in the caller's string.
  auto make = [](std::uint64_t id, const char* service, const char* scope_name, std::size_t name_size) {
    span s;
    s.trace = trace_id{1, id};
    s.id = span_id{id};
    s.name = std::string(name_size, static_cast<char>('a' + id % 26));
    s.start = 10;
    s.end = 20 + id;
    s.attributes.set("n", static_cast<std::int64_t>(id));
    s.resource.service_name = service;
    s.scope.name = scope_name;
    return s;
  };
  std::vector<span> interleaved, grouped;
  const char* services[] = {"a", "b", "c"};
  for (std::uint64_t id = 1; id <= 600; ++id) interleaved.push_back(make(id, services[id % 3], id % 2 ? "x" : "y", id == 300 ? 100'000 : id % 7));
  // The groups in first-seen order (span 1 is b/x, 2 c/y, 3 a/x, 4 b/y, 5 c/x, 6 a/y), each
  // holding its spans in input order: the order the request holds them.
  const std::pair<std::string_view, std::string_view> groups[] = {{"b", "x"}, {"b", "y"}, {"c", "y"}, {"c", "x"}, {"a", "x"}, {"a", "y"}};
  for (auto [service, scope_name] : groups)
    for (const auto& s : interleaved)
      if (s.resource.service_name == service && s.scope.name == scope_name) grouped.push_back(s);

  const std::string bytes = pb::encode_request(interleaved);
  CHECK(pb::encode_request(grouped) == bytes);
  CHECK(pb::decode_request(bytes).size() == interleaved.size());
  CHECK(pb::encode_request(made_spans{&interleaved}) == bytes);
  std::string out = "already here";
  pb::encode_request(out, grouped);
  pb::encode_request(out, interleaved);
  CHECK(out == "already here" + bytes + bytes);

  SECTION("an encoder kept from one request to the next writes each as a fresh one does") {
    // Its working memory keeps the larger request's bytes; the smaller one must not show them.
    pb::request_encoder encoder;
    const std::vector<span> few(interleaved.begin(), interleaved.begin() + 5);
    for (const std::vector<span>* spans : std::initializer_list<const std::vector<span>*>{&interleaved, &few, &grouped, &few}) {
      std::string again;
      encoder.encode(again, *spans);
      CHECK(again == pb::encode_request(*spans));
    }
    encoder.trim(0);
    std::string after_trim;
    encoder.encode(after_trim, few);
    CHECK(after_trim == pb::encode_request(few));
  }
  SECTION("a range whose spans are made by encoding another request") {
    // encode_request's per-thread encoder is busy during the outer call: the inner one must
    // use its own memory, or it would overwrite the outer request's spans.
    std::vector<std::string> inner;
    const std::vector<span> first(interleaved.begin(), interleaved.begin() + 50);
    const made_spans spans{&first, [&inner](const span& s) { inner.push_back(pb::encode_request(std::vector<span>{s})); }};
    CHECK(pb::encode_request(spans) == pb::encode_request(first));
    REQUIRE(inner.size() == 50);
    CHECK(pb::decode_request(inner[49]) == std::vector<span>{interleaved[49]});
  }
}

TEST_CASE("bad input is refused with the field path and byte offset") {
  std::string good = request_of({minimal_span()});
  SECTION("a trace id that is not 16 bytes, deep in the request") {
    message bad = message().len(1, std::string(15, '\1')).len(2, span_bytes(2));
    message ss1 = message().sub(2, minimal_span()).sub(2, minimal_span()).sub(2, minimal_span()).sub(2, bad);
    std::string bytes = message().sub(1, message().sub(2, message().sub(2, minimal_span())).sub(2, ss1)).bytes;
    std::string what = error_of(bytes);
    CHECK_THAT(what, Catch::Contains("resource_spans[0].scope_spans[1].spans[3].trace_id at byte ") &&
                         Catch::Contains("is 15 bytes, not 16"));
    std::size_t at = bytes.find(std::string(15, '\1')) - 2;  // the field's key
    CHECK_THAT(what, Catch::Contains("at byte " + std::to_string(at) + ":"));
  }
  SECTION("span ids that are not 8 bytes, all zero, or missing") {
    CHECK_THAT(error_of(request_of({message().len(1, id_bytes(0, 1)).len(2, "1234567")})),
               Catch::Contains("spans[0].span_id") && Catch::Contains("is 7 bytes, not 8"));
    CHECK_THAT(error_of(request_of({message().len(1, id_bytes(0, 1)).len(2, std::string(8, '\0'))})),
               Catch::Contains("spans[0].span_id") && Catch::Contains("all zero"));
    CHECK_THAT(error_of(request_of({message().len(1, id_bytes(0, 1))})), Catch::Contains("spans[0].span_id") && Catch::Contains("missing"));
    CHECK_THAT(error_of(request_of({message().len(1, id_bytes(0, 0)).len(2, span_bytes(2))})),
               Catch::Contains("spans[0].trace_id") && Catch::Contains("all zero"));
    CHECK_THAT(error_of(request_of({minimal_span().sub(13, message().len(1, id_bytes(0, 3)))})),
               Catch::Contains("spans[0].links[0].span_id") && Catch::Contains("missing"));
  }
  SECTION("a truncated varint") {
    CHECK_THAT(error_of(request_of({minimal_span().raw("\x50\xff\xff")})),
               Catch::Contains("spans[0].dropped_attributes_count at byte") && Catch::Contains("varint runs past the end"));
    CHECK_THAT(error_of("\x0a"), Catch::Contains("resource_spans at byte 1") && Catch::Contains("runs past the end"));
    CHECK_THAT(error_of(std::string(11, '\xff')), Catch::Contains("field key at byte 0") && Catch::Contains("overflows 64 bits"));
    CHECK_THAT(error_of(message().varint(9, 0).bytes.substr(0, 1) + std::string(9, '\xff') + "\x02"),
               Catch::Contains("overflows 64 bits"));
  }
  SECTION("a length past the end, and a 2 GiB claim on a small buffer") {
    std::string cut = good.substr(0, good.size() - 3);
    CHECK_THAT(error_of(cut), Catch::Contains("resource_spans at byte 1") && Catch::Contains("runs past the end of its message"));
    std::string huge = "\x0a" + message::varint_bytes(std::uint64_t{2} << 30) + "abc";
    CHECK_THAT(error_of(huge), Catch::Contains("length 2147483648 runs past the end of its message (3 bytes left)"));
    std::string inner = message().sub(1, message().raw("\x12" + message::varint_bytes(std::uint64_t{1} << 31))).bytes;
    CHECK_THAT(error_of(inner), Catch::Contains("resource_spans[0].scope_spans at byte"));
  }
  SECTION("a known field with the wrong wire type") {
    CHECK_THAT(error_of(request_of({minimal_span().varint(5, 1)})),
               Catch::Contains("spans[0].name at byte") && Catch::Contains("wire type varint, expected length-delimited"));
    CHECK_THAT(error_of(request_of({minimal_span().fixed32(7, 1)})),
               Catch::Contains("spans[0].start_time_unix_nano") && Catch::Contains("wire type fixed32, expected fixed64"));
    CHECK_THAT(error_of(request_of({minimal_span().fixed64(16, 1)})), Catch::Contains("spans[0].flags"));
    CHECK_THAT(error_of(message().varint(1, 1).bytes), Catch::Contains("resource_spans at byte 0"));
  }
  SECTION("invalid keys and malformed groups") {
    CHECK_THAT(error_of("\x0e"), Catch::Contains("invalid wire type 6"));
    CHECK_THAT(error_of("\x0f"), Catch::Contains("invalid wire type 7"));
    CHECK_THAT(error_of(std::string("\x00\x00", 2)), Catch::Contains("invalid field number 0"));
    CHECK_THAT(error_of(message().key(40, 3).varint(1, 1).bytes), Catch::Contains("group 40 is not ended"));
    CHECK_THAT(error_of(message().key(40, 3).key(41, 4).bytes), Catch::Contains("ends group 41 inside group 40"));
    CHECK_THAT(error_of(message().key(40, 4).bytes), Catch::Contains("end-group without a start-group"));
    std::string deep;
    for (int i = 0; i < pb::max_depth + 1; ++i) deep += message().key(40, 3).bytes;
    CHECK_THAT(error_of(deep), Catch::Contains("nested deeper than 32 groups"));
  }
  SECTION("AnyValue nesting deeper than max_depth") {
    auto nested = [](int levels) {
      message value = message().varint(3, 1);
      for (int i = 0; i < levels; ++i) value = message().sub(5, message().sub(1, value));
      return request_of({minimal_span().sub(9, key_value("deep", value))});
    };
    CHECK_NOTHROW(pb::decode_request(nested(pb::max_depth - 1)));
    CHECK_THAT(error_of(nested(pb::max_depth + 5)),
               Catch::Contains("spans[0].attributes[0].value.array_value.values[0]") &&
                   Catch::Contains("AnyValue nested deeper than 32"));
  }
  SECTION("enum values the model has no name for, an end before the start") {
    CHECK_THAT(error_of(request_of({minimal_span().varint(6, 9)})), Catch::Contains("spans[0].kind") && Catch::Contains("unknown enum value 9"));
    CHECK_THAT(error_of(request_of({minimal_span().sub(15, message().varint(3, 3))})), Catch::Contains("spans[0].status.code"));
    CHECK_THAT(error_of(request_of({minimal_span().fixed64(8, 5)})), Catch::Contains("end_time_unix_nano") && Catch::Contains("before"));
  }
}

TEST_CASE("the lenient decode leaves out the spans breaking the model's rules and reports each, keeping the others") {
  const std::vector<message> spans = {
      minimal_span(2),
      minimal_span(3).fixed64(8, 5),                                  // ends before it starts
      message().len(1, id_bytes(0, 0)).len(2, span_bytes(4)),         // all-zero trace id
      message().len(1, id_bytes(0, 1)).len(2, std::string(8, '\0')),  // all-zero span id
      minimal_span(5).len(4, span_bytes(5)),                          // its own parent
      minimal_span(6).varint(6, 9),                                   // a kind the model has no name for
      minimal_span(7).sub(13, message().len(1, id_bytes(0, 3))),      // a link without its span id
      message().len(2, span_bytes(8)),                                // no trace id
      minimal_span(9)};
  const std::string bytes = request_of(spans, message().sub(1, key_value("service.name", string_value("shop"))));
  CHECK_THROWS_AS(pb::decode_request(bytes), error);  // the strict decode refuses the whole request

  std::vector<refused_span> refused;
  auto note = [&refused](refused_span&& r) { refused.push_back(std::move(r)); };
  std::vector<span> kept;
  const std::size_t n = pb::decode_request(bytes, [&kept](std::vector<span>&& batch) { kept = std::move(batch); }, note);
  CHECK(n == 2);
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].id == span_id{2});
  CHECK(kept[1].id == span_id{9});
  CHECK(kept[1].resource.service_name == "shop");
  REQUIRE(refused.size() == 7);
  const std::vector<std::size_t> positions = {refused[0].position, refused[1].position, refused[2].position, refused[3].position,
                                              refused[4].position, refused[5].position, refused[6].position};
  CHECK(positions == std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7});
  CHECK_THAT(refused[0].reason, Catch::Contains("spans[1].end_time_unix_nano at byte") && Catch::Contains("is before start_time_unix_nano"));
  CHECK_THAT(refused[1].reason, Catch::Contains("spans[2].trace_id") && Catch::Contains("all zero"));
  CHECK_THAT(refused[2].reason, Catch::Contains("spans[3].span_id") && Catch::Contains("all zero"));
  CHECK_THAT(refused[3].reason, Catch::Contains("spans[4] at byte") && Catch::Contains("is its own parent"));
  CHECK_THAT(refused[4].reason, Catch::Contains("spans[5].kind") && Catch::Contains("unknown enum value 9"));
  CHECK_THAT(refused[5].reason, Catch::Contains("spans[6].links[0].span_id") && Catch::Contains("missing"));
  CHECK_THAT(refused[6].reason, Catch::Contains("spans[7].trace_id") && Catch::Contains("missing"));

  SECTION("into views as well") {
    std::vector<refused_span> refused_views;
    std::vector<span_id> ids;
    pb::decode_request_views(bytes, [&ids](std::vector<span_view>&& batch) { for (const auto& s : batch) ids.push_back(s.id); },
                             [&refused_views](refused_span&& r) { refused_views.push_back(std::move(r)); });
    CHECK(ids == std::vector<span_id>{span_id{2}, span_id{9}});
    REQUIRE(refused_views.size() == refused.size());
    for (std::size_t i = 0; i < refused.size(); ++i) CHECK(refused_views[i].reason == refused[i].reason);
  }
}

TEST_CASE("the lenient decode still refuses a request whose wire format is damaged") {
  auto ignore = [](refused_span&&) {};
  auto drop = [](std::vector<span>&&) {};
  std::string cut = request_of({minimal_span(2), minimal_span(3)});
  cut.resize(cut.size() - 3);
  CHECK_THROWS_WITH(pb::decode_request(cut, drop, ignore), Catch::Contains("runs past the end of its message"));
  CHECK_THROWS_WITH(pb::decode_request(request_of({minimal_span(2).varint(5, 1)}), drop, ignore),
                    Catch::Contains("spans[0].name at byte") && Catch::Contains("wire type varint, expected length-delimited"));
  CHECK_THROWS_WITH(pb::decode_request(request_of({minimal_span(2).raw("\x50\xff\xff")}), drop, ignore),
                    Catch::Contains("varint runs past the end"));
}

TEST_CASE("every prefix and every single-byte corruption of a request is read or refused, never a crash") {
  std::string bytes = pb::encode_request(std::vector<span>{full_span(), full_span()});
  std::size_t refused = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    try {
      pb::decode_request(std::string_view(bytes).substr(0, n));
    } catch (const error& e) {
      ++refused;
      CHECK(e.code() == errc::parse_error);
    }
  }
  CHECK(refused > bytes.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    try {
      auto spans = pb::decode_request(bad);
      CHECK(spans.size() <= 2);
    } catch (const error& e) {
      CHECK(e.code() == errc::parse_error);
    }
  }
}

TEST_CASE("ExportTraceServiceResponse and google.rpc.Status both ways") {
  CHECK(pb::encode_response({}).empty());
  CHECK(pb::decode_response("") == pb::export_response{});
  pb::export_response partial{3, "3 spans had no name"};
  std::string bytes = pb::encode_response(partial);
  CHECK(bytes == message().sub(1, message().varint(1, 3).len(2, "3 spans had no name")).bytes);
  CHECK(pb::decode_response(bytes) == partial);
  CHECK(pb::decode_response(message().varint(7, 1).sub(1, message().len(2, "x").varint(1, 2)).bytes) ==
        pb::export_response{2, "x"});

  pb::rpc_status status{-3, "bad"};
  bytes = pb::encode_status(status);
  CHECK(bytes == message().varint(1, static_cast<std::uint64_t>(std::int64_t{-3})).len(2, "bad").bytes);
  CHECK(bytes.size() == 1 + 10 + 2 + 3);
  CHECK(pb::decode_status(bytes) == status);
  // details (google.protobuf.Any) are skipped
  CHECK(pb::decode_status(message().varint(1, 8).sub(3, message().len(1, "type.googleapis.com/x").len(2, "v")).len(2, "m").bytes) ==
        pb::rpc_status{8, "m"});
  CHECK_THROWS_WITH(pb::decode_status("\x08"), Catch::Contains("google.rpc.Status code at byte 1"));
  CHECK_THROWS_WITH(pb::decode_response("\x0a\x05\x08"), Catch::Contains("ExportTraceServiceResponse partial_success at byte 1"));
}

TEST_CASE("the OTLP JSON reader takes base64 ids, as Go's protojson writes them") {
  auto request = [](std::string_view trace, std::string_view span, std::string_view parent) {
    return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":")" + std::string(trace) + R"(","spanId":")" +
           std::string(span) + R"(","parentSpanId":")" + std::string(parent) +
           R"(","name":"op","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]})";
  };
  // 5b8efff798038103d269b633813fc60c / eee19b7ec3c1b174, as Tempo's test data writes them
  auto spans = otlp::read(request("W47/95gDgQPSabYzgT/GDA==", "7uGbfsPBsXQ=", "AAAAAAAAAAE="));
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].trace == trace_id::parse("5b8efff798038103d269b633813fc60c"));
  CHECK(spans[0].id == span_id::parse("eee19b7ec3c1b174"));
  CHECK(spans[0].parent == span_id{1});
  CHECK(otlp::to_json(spans).find("5b8efff798038103d269b633813fc60c") != std::string::npos);  // hex stays what we write
  CHECK(otlp::read(request("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", ""))[0].trace == spans[0].trace);
  CHECK_THROWS_WITH(otlp::read(request("W47/95gDgQPSabYzgT/GD!==", "7uGbfsPBsXQ=", "")),
                    Catch::Contains("span traceId") && Catch::Contains("nor 24 base64 characters"));
  CHECK_THROWS_WITH(otlp::read(request("AAAAAAAAAAAAAAAAAAAAAA==", "7uGbfsPBsXQ=", "")), Catch::Contains("span traceId"));
  CHECK_THROWS_WITH(otlp::read(request("W47/95gDgQPSabYzgT/GDA==", "7uGbfsPBsX==", "")), Catch::Contains("span spanId"));
  CHECK_THROWS_WITH(otlp::read(request("W47/95gDgQPSabYzgT/GDA", "7uGbfsPBsXQ=", "")), Catch::Contains("span traceId"));
}

TEST_CASE("OTLP JSON carries flags and schema URLs") {
  std::vector<span> spans{full_span()};
  std::string json = otlp::to_json(spans);
  CHECK(json.find(R"("flags":257)") != std::string::npos);
  CHECK(json.find(R"("schemaUrl":"https://opentelemetry.io/schemas/1.26.0")") != std::string::npos);
  CHECK(otlp::read(json) == spans);
}

TEST_CASE("base64 both ways") {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("foob"),
                            std::string("\xff\x00\x10", 3)}) {
    std::string text = trace::detail::to_base64(bytes);
    CHECK(text.size() % 4 == 0);
    CHECK(trace::detail::from_base64(text) == bytes);
  }
  CHECK(trace::detail::to_base64("foob") == "Zm9vYg==");
  CHECK(trace::detail::from_base64("Zm9vYg") == std::string("foob"));  // unpadded
  CHECK_FALSE(trace::detail::from_base64("Zm9vY"));
  CHECK_FALSE(trace::detail::from_base64("Zm9v=g=="));
  CHECK_FALSE(trace::detail::from_base64("Zm9vYg="));
}

TEST_CASE("the OpenTelemetry JS SDK's own protobuf reads as the SDK's OTLP JSON") {
  // tests/data/otel-js-sdk.pb: the spans of otel-js-sdk.json as the SDK's ProtobufTraceSerializer
  // encodes them (tests/interop/protobuf.mjs encode; CI regenerates it and compares).
  std::string bytes = read_file_text(fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.pb");
  auto from_protobuf = pb::decode_request(bytes);
  auto from_json = otlp::read_file(fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.json");
  REQUIRE(from_protobuf.size() == 5);
  CHECK(from_protobuf == from_json);
}
