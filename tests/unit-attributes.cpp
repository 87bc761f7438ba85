#include <catch2/catch.hpp>
#include <trace/core.hpp>

using trace::attribute_value;

TEST_CASE("attribute maps insert, replace, find and erase in insertion order") {
  trace::attributes attrs;
  attrs.set("http.method", std::string("GET"));
  attrs.set("http.status_code", std::int64_t{200});
  attrs.set("http.method", std::string("POST"));
  REQUIRE(attrs.size() == 2);
  CHECK(std::get<std::string>(*attrs.find("http.method")) == "POST");
  CHECK(std::get<std::int64_t>(*attrs.find("http.status_code")) == 200);
  CHECK(attrs.find("missing") == nullptr);
  CHECK(attrs.begin()->key == "http.method");
  CHECK(attrs.erase("http.method"));
  CHECK_FALSE(attrs.erase("http.method"));
  CHECK(attrs.size() == 1);
}

TEST_CASE("attribute values print in Jaeger's string form") {
  CHECK(trace::to_string(attribute_value{true}) == "true");
  CHECK(trace::to_string(attribute_value{std::int64_t{-42}}) == "-42");
  CHECK(trace::to_string(attribute_value{72.5}) == "72.5");
  CHECK(trace::to_string(attribute_value{0.1}) == "0.1");
  CHECK(trace::to_string(attribute_value{std::string("x y")}) == "x y");
  CHECK(trace::to_string(attribute_value{std::vector<std::int64_t>{1, 2}}) == "[1,2]");
  CHECK(trace::to_string(attribute_value{std::vector<bool>{true, false}}) == "[true,false]");
  CHECK(trace::to_string(attribute_value{std::vector<std::string>{"a", "b"}}) == "[a,b]");
}

TEST_CASE("same_value compares type and value across owning and viewing strings") {
  trace::basic_attribute_value<std::string_view> view{std::string_view("abc")};
  CHECK(trace::same_value(attribute_value{std::string("abc")}, view));
  CHECK_FALSE(trace::same_value(attribute_value{std::string("abd")}, view));
  CHECK_FALSE(trace::same_value(attribute_value{std::int64_t{1}}, attribute_value{1.0}));
  CHECK(trace::same_value(attribute_value{std::vector<double>{1.5}}, attribute_value{std::vector<double>{1.5}}));
}

TEST_CASE("span views convert to owning spans with every field") {
  std::string name = "op", service = "svc", key = "k", value = "v";
  trace::span_view view;
  view.trace = trace::trace_id{1, 2};
  view.id = trace::span_id{3};
  view.name = name;
  view.resource.service_name = service;
  view.attributes.set(key, std::string_view(value));
  view.events.push_back({5, name, {}, trace::event_level::critical, 0});
  view.links.push_back({trace::trace_id{9, 9}, trace::span_id{8}, "ts", {}, 1});
  view.status = {trace::status_code::error, name};
  view.dropped_links = 4;
  trace::span owned = trace::to_owned(view);
  name = "changed";  // the copy no longer depends on the buffer
  CHECK(owned.name == "op");
  CHECK(std::get<std::string>(*owned.attributes.find("k")) == "v");
  CHECK(owned.events.at(0).level == trace::event_level::critical);
  CHECK(owned.links.at(0).trace_state == "ts");
  CHECK(owned.status.message == "op");
  CHECK(owned.dropped_links == 4);
}

TEST_CASE("enum names round-trip") {
  for (auto kind : {trace::span_kind::internal, trace::span_kind::server, trace::span_kind::client,
                    trace::span_kind::producer, trace::span_kind::consumer})
    CHECK(trace::span_kind_from_string(trace::to_string(kind)) == kind);
  CHECK(trace::status_code_from_string("error") == trace::status_code::error);
  CHECK_FALSE(trace::status_code_from_string("ERROR"));
  CHECK(trace::event_level_from_string("warn") == trace::event_level::warn);
  CHECK_FALSE(trace::event_level_from_string("fatal"));
}

TEST_CASE("durations format with three significant digits") {
  CHECK(trace::format_duration(0) == "0ns");
  CHECK(trace::format_duration(999) == "999ns");
  CHECK(trace::format_duration(1'250) == "1.25us");
  CHECK(trace::format_duration(12'300'000) == "12.3ms");
  CHECK(trace::format_duration(120'000'000) == "120ms");
  CHECK(trace::format_duration(4'010'000'000) == "4.01s");
}
