// Tempo's query API through answer_query, over a memory store and an mmap store's reader:
// trace bodies (v1, v2, protobuf), TraceQL search with Tempo's result shape, tags and tag
// values, the small routes, and every route's bad parameters.
#include "api_test_support.hpp"

#include <map>

#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_reader.hpp"

using namespace api_test;
using trace::json::value;

namespace {

const std::string checkout_hex = "000000000000000000000000000000a1";
const std::string cart_hex = "000000000000000000000000000000b2";
constexpr std::uint64_t t0_s = t0 / 1'000'000'000;

std::vector<std::string> found_ids(const ask& query, const std::string& target) {
  const value doc = json_of(query(get(target)));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < size_of(at(doc, "traces")); ++i) out.push_back(text(at(at(at(doc, "traces"), i), "traceID")));
  return out;
}

// A 400 as Tempo sends it: plain text naming what was wrong.
void check_refused(const ask& query, const std::string& target, const std::string& words) {
  INFO(target);
  const auto r = query(get(target));
  CHECK(r.status == 400);
  CHECK_THAT(r.content_type, Catch::StartsWith("text/plain"));
  CHECK_THAT(r.body, Catch::Contains(words));
}

}  // namespace

TEST_CASE("Tempo trace bodies: batches under /tempo, trace in v2, both OTLP JSON") {
  for_each_store([](const ask& query) {
    const value v1 = json_of(query(get("/tempo/api/traces/a1")));
    const auto spans = trace::otlp::read("{\"resourceSpans\":" + trace::json::serialize(at(v1, "batches")) + "}");
    REQUIRE(spans.size() == 3);
    CHECK(spans[0].name == "GET /checkout");
    CHECK(spans[2].status.message == "cart locked");
    CHECK(spans[2].parent == trace::span_id(2));

    const value v2 = json_of(query(get("/api/v2/traces/" + checkout_hex)));
    CHECK(trace::otlp::read(trace::json::serialize(at(v2, "trace"))) == spans);
    CHECK(json_of(query(get("/tempo/api/v2/traces/a1"))) == v2);

    CHECK(query(get("/tempo/api/traces/c3")).status == 404);
    CHECK(query(get("/api/v2/traces/c3")).status == 404);
    check_refused(query, "/api/v2/traces/a1g", "\"a1g\"");
    check_refused(query, "/tempo/api/traces/" + std::string(33, 'a'), std::string(33, 'a'));
  });
}

TEST_CASE("Tempo trace bodies come as protobuf when the Accept header asks for it") {
  for_each_store([](const ask& query) {
    for (const char* target : {"/tempo/api/traces/a1", "/api/traces/a1"}) {
      INFO(target);
      const auto r = query(get(target, "application/protobuf"));
      CHECK(r.status == 200);
      CHECK(r.content_type == "application/protobuf");
      CHECK(trace::otlp::proto::decode_request(r.body).size() == 3);  // Tempo's Trace: ResourceSpans in field 1
    }
    const auto v2 = query(get("/api/v2/traces/a1", "application/protobuf"));
    REQUIRE(v2.body.size() > 3);
    CHECK(v2.body[0] == '\x0a');  // TraceByIDResponse.trace, length-delimited
    std::size_t length = 0, at_byte = 1;
    for (int shift = 0;; shift += 7) {
      const auto byte = static_cast<unsigned char>(v2.body.at(at_byte++));
      length |= static_cast<std::size_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    CHECK(length == v2.body.size() - at_byte);
    CHECK(trace::otlp::proto::decode_request(std::string_view(v2.body).substr(at_byte)).size() == 3);
  });
}

TEST_CASE("/api/search answers TraceQL with Tempo's trace summaries and span sets") {
  for_each_store([](const ask& query) {
    const value doc = json_of(query(get("/api/search?q=%7B%20status%20%3D%20error%20%7D")));  // { status = error }
    REQUIRE(size_of(at(doc, "traces")) == 1);
    const value& t = at(at(doc, "traces"), 0);
    CHECK(text(at(t, "traceID")) == checkout_hex);
    CHECK(text(at(t, "rootServiceName")) == "frontend");
    CHECK(text(at(t, "rootTraceName")) == "GET /checkout");
    CHECK(text(at(t, "startTimeUnixNano")) == std::to_string(t0));
    CHECK(integer(at(t, "durationMs")) == 100);
    const value& set = at(t, "spanSet");
    CHECK(integer(at(set, "matched")) == 1);
    REQUIRE(size_of(at(set, "spans")) == 1);
    const value& hit = at(at(set, "spans"), 0);
    CHECK(text(at(hit, "spanID")) == "0000000000000003");
    CHECK(text(at(hit, "startTimeUnixNano")) == std::to_string(t0 + 15'000'000));
    CHECK(text(at(hit, "durationNanos")) == "40000000");
    CHECK(at(at(t, "spanSets"), 0) == set);
    CHECK(integer(at(at(doc, "metrics"), "inspectedTraces")) == 1);

    // The root's attributes travel with a matching root span.
    const value root = json_of(query(get("/api/search?q=name%20%3D%20%22GET%20/checkout%22")));
    const value& attributes = at(at(at(at(at(at(root, "traces"), 0), "spanSet"), "spans"), 0), "attributes");
    CHECK(text(at(at(attributes, 0), "key")) == "http.method");
  });
}

TEST_CASE("/api/search narrows by query, tags, window, trace duration and limit") {
  for_each_store([](const ask& query) {
    const std::vector<std::string> both{cart_hex, checkout_hex}, checkout{checkout_hex}, cart{cart_hex}, none{};
    CHECK(found_ids(query, "/api/search") == both);  // newest first
    CHECK(found_ids(query, "/api/search?q=%7B%7D") == both);
    CHECK(found_ids(query, "/api/search?q=service%20%3D%20%22cart%22") == both);
    CHECK(found_ids(query, "/api/search?q=duration%20%3E%2050ms") == checkout);
    CHECK(found_ids(query, "/api/search?q=span.http.status_code%20%3E%3D%20500") == cart);
    CHECK(found_ids(query, "/api/search?tags=service.name%3Dcart") == both);
    CHECK(found_ids(query, "/api/search?tags=service.name%3D%22frontend%22%20http.status_code%3D500") == none);
    CHECK(found_ids(query, "/api/search?tags=http.status_code%3D500") == cart);
    CHECK(found_ids(query, "/api/search?minDuration=50ms") == checkout);  // the trace's 100 ms, not a span's
    CHECK(found_ids(query, "/api/search?maxDuration=10ms") == cart);
    CHECK(found_ids(query, "/api/search?start=" + std::to_string(t0_s + 1) + "&end=" + std::to_string(t0_s + 2)) == cart);
    CHECK(found_ids(query, "/api/search?start=" + std::to_string(t0_s) + "&end=" + std::to_string(t0_s)) == checkout);
    CHECK(found_ids(query, "/api/search?limit=1") == cart);
    CHECK(found_ids(query, "/tempo/api/search?q=%7B%20status%20%3D%20error%20%7D") == checkout);
    // spss caps the spans listed, not the count matched.
    const value three = json_of(query(get("/api/search?q=%7B%7D&spss=2&start=" + std::to_string(t0_s) + "&end=" + std::to_string(t0_s))));
    const value& set = at(at(at(three, "traces"), 0), "spanSet");
    CHECK(size_of(at(set, "spans")) == 2);
    CHECK(integer(at(set, "matched")) == 3);
  });
}

TEST_CASE("/api/search runs TraceQL whole: structure and pipelines, tags refused beside it") {
  for_each_store([](const ask& query) {
    // { kind = client } > { status = error }: the error span under the client call.
    const value doc = json_of(query(get("/api/search?q=%7B%20kind%20%3D%20client%20%7D%20%3E%20%7B%20status%20%3D%20error%20%7D")));
    REQUIRE(size_of(at(doc, "traces")) == 1);
    const value& set = at(at(at(doc, "traces"), 0), "spanSet");
    CHECK(integer(at(set, "matched")) == 1);
    CHECK(text(at(at(at(set, "spans"), 0), "spanID")) == "0000000000000003");
    // { } | count() > 2: only the checkout trace has three spans.
    CHECK(found_ids(query, "/api/search?q=%7B%20%7D%20%7C%20count()%20%3E%202") == std::vector<std::string>{checkout_hex});
    // { .http.status_code = 500 } && { } >> { }: the lone cart trace has no descendants.
    CHECK(found_ids(query, "/api/search?q=%7B%20resource.service.name%20%3D%20%22cart%22%20%7D%20%26%26%20%7B%20%7D%20%3E%3E%20%7B%20%7D") ==
          std::vector<std::string>{checkout_hex});
    CHECK(found_ids(query, "/api/search?q=%7B%7D&minDuration=50ms") == std::vector<std::string>{checkout_hex});
    check_refused(query, "/api/search?q=%7B%7D&tags=service.name%3Dcart", "\"tags\"");
    check_refused(query, "/api/search?q=%7B%7D%20%7C%20rate()", "/api/metrics/query_range");
  });
}

TEST_CASE("/api/metrics/query_range answers TraceQL metrics as Tempo's series") {
  for_each_store([](const ask& query) {
    // count_over_time() by service over [t0, t0 + 2 s) in steps of 1 s: frontend has 2 spans
    // in the first step; cart one in each.
    const std::string range = "&start=" + std::to_string(t0_s) + "&end=" + std::to_string(t0_s + 2) + "&step=1s";
    const value doc = json_of(query(get("/api/metrics/query_range?q=%7B%7D%20%7C%20count_over_time()%20by%20(resource.service.name)" + range)));
    REQUIRE(size_of(at(doc, "series")) == 2);
    std::map<std::string, std::vector<double>> counts;
    for (std::size_t i = 0; i < 2; ++i) {
      const value& one = at(at(doc, "series"), i);
      const std::string service = text(at(at(at(at(one, "labels"), 0), "value"), "stringValue"));
      CHECK(text(at(at(at(one, "labels"), 0), "key")) == "resource.service.name");
      for (std::size_t k = 0; k < size_of(at(one, "samples")); ++k) {
        const value& sample = at(at(one, "samples"), k);
        CHECK(text(at(sample, "timestampMs")) == std::to_string((t0_s + k) * 1000));
        const value& v = at(sample, "value");
        counts[service].push_back(v.is_integer() ? static_cast<double>(integer(v)) : *v.get_if<double>());
      }
    }
    CHECK(counts["frontend"].at(0) == 2);
    CHECK(counts["cart"].at(0) == 1);
    CHECK(counts["cart"].at(1) == 1);
    check_refused(query, "/api/metrics/query_range?q=%7B%7D" + range, "metrics query");
    check_refused(query, "/api/metrics/query_range?q=%7B%7D%20%7C%20rate()&start=" + std::to_string(t0_s), "\"end\"");
    check_refused(query, "/api/metrics/query_range?q=%7B%7D%20%7C%20rate()" + range.substr(0, range.find("&step")) + "&step=0s", "\"step\"");
  });
}

TEST_CASE("/api/search says when a trace's root span has not arrived") {
  auto spans = shop_spans();
  spans.erase(spans.begin());  // the checkout trace without its root
  for_each_store(
      [](const ask& query) {
        const value doc = json_of(query(get("/api/search?q=name%20%3D%20%22call%20cart%22")));
        const value& t = at(at(doc, "traces"), 0);
        CHECK(text(at(t, "rootServiceName")) == "<root span not yet received>");
        CHECK(integer(at(t, "durationMs")) == 50);  // 10..60 ms: the spans it has
      },
      spans);
}

TEST_CASE("/api/search refuses each bad parameter with 400 naming it") {
  for_each_store([](const ask& query) {
    check_refused(query, "/api/search?q=%7B%20status%20%3D%20%7D",
                  "parameter \"q\": query column 12: expected a value after '=', found '}'\n"
                  "{ status = }\n"
                  "           ^");
    check_refused(query, "/api/search?limit=many", "\"limit\"");
    check_refused(query, "/api/search?spss=-1", "\"spss\"");
    check_refused(query, "/api/search?start=yesterday", "\"start\"");
    check_refused(query, "/api/search?start=20&end=10", "\"start\"");
    check_refused(query, "/api/search?end=1.5", "\"end\"");
    check_refused(query, "/api/search?minDuration=7", "\"minDuration\"");
    check_refused(query, "/api/search?minDuration=2s&maxDuration=1s", "\"maxDuration\"");
    check_refused(query, "/api/search?tags=noequals", "\"tags\"");
    check_refused(query, "/api/search?tags=a%3D%22open", "not closed");
    check_refused(query, "/api/search?tags=error%3Dmaybe", "parameter \"tags\": Jaeger tag error=\"maybe\"");
    check_refused(query, "/api/search?limit=100001", "\"limit\"");
    check_refused(query, "/api/search?q=%ZZ", "%ZZ");
  });
}

TEST_CASE("Tempo's tag routes list keys by scope and the values of one key") {
  const std::string window = "start=" + std::to_string(t0_s) + "&end=" + std::to_string(t0_s + 1);
  for_each_store([&window](const ask& query) {
    CHECK(strings(at(json_of(query(get("/api/search/tags?" + window))), "tagNames")) ==
          std::vector<std::string>{"host.name", "http.method", "http.status_code", "service.name"});

    const value scopes = at(json_of(query(get("/api/v2/search/tags?" + window))), "scopes");
    REQUIRE(size_of(scopes) == 3);
    CHECK(text(at(at(scopes, 0), "name")) == "span");
    CHECK(strings(at(at(scopes, 0), "tags")) == std::vector<std::string>{"http.method", "http.status_code"});
    CHECK(text(at(at(scopes, 1), "name")) == "resource");
    CHECK(strings(at(at(scopes, 1), "tags")) == std::vector<std::string>{"host.name", "service.name"});
    CHECK(strings(at(at(scopes, 2), "tags")) == std::vector<std::string>{"duration", "kind", "name", "status"});
    const value resource_only = at(json_of(query(get("/api/v2/search/tags?scope=resource&" + window))), "scopes");
    CHECK(size_of(resource_only) == 1);
    check_refused(query, "/api/v2/search/tags?scope=event", "\"event\"");

    auto values = [&](const std::string& name) {
      return strings(at(json_of(query(get("/api/search/tag/" + name + "/values?" + window))), "tagValues"));
    };
    CHECK(values("service.name") == std::vector<std::string>{"cart", "frontend"});
    CHECK(values("http.status_code") == std::vector<std::string>{"200", "500"});
    CHECK(values("host.name") == std::vector<std::string>{"web-1"});
    CHECK(values("nothing.here").empty());

    auto typed = [&](const std::string& name) {
      std::vector<std::string> out;
      const value list = at(json_of(query(get("/api/v2/search/tag/" + name + "/values?" + window))), "tagValues");
      for (std::size_t i = 0; i < size_of(list); ++i) out.push_back(text(at(at(list, i), "type")) + ":" + text(at(at(list, i), "value")));
      return out;
    };
    CHECK(typed("span.http.status_code") == std::vector<std::string>{"int:200", "int:500"});
    CHECK(typed("resource.http.status_code").empty());  // a span attribute, not a resource one
    CHECK(typed("resource.service.name") == std::vector<std::string>{"string:cart", "string:frontend"});
    CHECK(typed(".host.name") == std::vector<std::string>{"string:web-1"});
    CHECK(typed("name") == std::vector<std::string>{"string:GET /checkout", "string:GetCart", "string:call cart"});
    CHECK(typed("status") == std::vector<std::string>{"keyword:error", "keyword:unset"});
    CHECK(typed("kind") == std::vector<std::string>{"keyword:client", "keyword:server"});
    check_refused(query, "/api/v2/search/tag/http.status_code/values", "\"http.status_code\"");
  });
}

TEST_CASE("Tempo's tag routes read only the spans starting in start..end, by default the last hour") {
  for_each_store([](const ask& query) {
    auto values = [&](const std::string& target) { return strings(at(json_of(query(get(target))), "tagValues")); };
    const std::string first = std::to_string(t0_s), second = std::to_string(t0_s + 1);
    // The checkout trace starts in t0's second, the lone cart span one second later.
    CHECK(values("/api/search/tag/http.status_code/values?start=" + first + "&end=" + first) == std::vector<std::string>{"200"});
    CHECK(values("/api/search/tag/http.status_code/values?start=" + second + "&end=" + second) == std::vector<std::string>{"500"});
    CHECK(values("/api/search/tag/service.name/values?start=" + second + "&end=" + second) == std::vector<std::string>{"cart"});
    CHECK(strings(at(json_of(query(get("/api/search/tags?start=" + second + "&end=" + second))), "tagNames")) ==
          std::vector<std::string>{"http.status_code", "service.name"});
    // Without a window: the last hour before now, long after these spans.
    CHECK(values("/api/search/tag/http.status_code/values").empty());
    CHECK(strings(at(json_of(query(get("/api/search/tags"))), "tagNames")) == std::vector<std::string>{"service.name"});
    const value kinds = at(json_of(query(get("/api/v2/search/tag/kind/values"))), "tagValues");
    CHECK(size_of(kinds) == 0);

    check_refused(query, "/api/search/tags?start=" + second + "&end=" + first, "\"start\"");
    check_refused(query, "/api/search/tags?start=yesterday", "\"start\"");
    check_refused(query, "/api/v2/search/tags?end=-1", "\"end\"");
    check_refused(query, "/api/search/tag/host.name/values?start=5000000000", "at most end (now, ");
    check_refused(query, "/api/v2/search/tag/name/values?end=1.5", "\"end\"");
  });

  trace::memory_store store;
  store.append(shop_spans());
  using trace::minute, trace::hour;
  const auto all = trace::api::parse_target("/api/search/tag/http.status_code/values");
  auto listed = [&](trace::timestamp_ns now) { return strings(at(json_of(trace::api::tempo_tag_values(store, "http.status_code", all, now)), "tagValues")); };
  CHECK(listed(t0 + 30 * minute) == std::vector<std::string>{"200", "500"});
  CHECK(listed(t0 + hour + 500 * trace::millisecond) == std::vector<std::string>{"500"});  // the checkout trace is over an hour old
  CHECK(listed(t0 + 2 * hour).empty());
  CHECK(listed(t0 - trace::second).empty());
}

TEST_CASE("Tempo's small routes: echo, ready, buildinfo") {
  for_each_store([](const ask& query) {
    CHECK(query(get("/api/echo")).body == "echo");
    CHECK(query(get("/ready")).body == "ready");
    CHECK(query(get("/tempo/ready")).body == "ready");
    const value info = json_of(query(get("/api/status/buildinfo")));
    CHECK(text(at(info, "version")) == std::string(trace::api::tempo_compatible_version));
    trace::api::http_request post = get("/api/search");
    post.method = "DELETE";
    CHECK(query(post).status == 405);
  });
}
