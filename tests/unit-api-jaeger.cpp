// Jaeger's query API (v1 and v3) through answer_query, over a memory store and an mmap
// store's reader: shapes and values worked out by hand from api_test_support.hpp's two
// traces, and every route's bad parameters.
#include "api_test_support.hpp"

#include "trace/io/otlp_reader.hpp"

using namespace api_test;
using trace::json::value;

namespace {

const std::string checkout_hex = "000000000000000000000000000000a1";
const std::string cart_hex = "000000000000000000000000000000b2";
constexpr std::uint64_t t0_us = t0 / 1000;
constexpr std::uint64_t t0_ms = t0 / 1'000'000;

// A 400 in Jaeger's envelope whose message names `parameter` and quotes `bad`.
void check_refused(const ask& query, const std::string& target, const std::string& parameter, const std::string& bad) {
  INFO(target);
  const auto r = query(get(target));
  CHECK(r.status == 400);
  const value doc = json_of(r);
  CHECK(at(doc, "data").is_null());
  const value& error = at(at(doc, "errors"), 0);
  CHECK(integer(at(error, "code")) == 400);
  const std::string message = text(at(error, "msg"));
  CHECK_THAT(message, Catch::Contains(parameter));
  CHECK_THAT(message, Catch::Contains(bad));
}

std::vector<std::string> trace_ids_of(const value& doc) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < size_of(at(doc, "data")); ++i) out.push_back(text(at(at(at(doc, "data"), i), "traceID")));
  return out;
}

}  // namespace

TEST_CASE("/api/services lists every service, sorted, in Jaeger's envelope") {
  for_each_store([](const ask& query) {
    const value doc = json_of(query(get("/api/services")));
    CHECK(strings(at(doc, "data")) == std::vector<std::string>{"cart", "frontend"});
    CHECK(integer(at(doc, "total")) == 2);
    CHECK(integer(at(doc, "limit")) == 0);
    CHECK(integer(at(doc, "offset")) == 0);
    CHECK(at(doc, "errors").is_null());
  });
}

TEST_CASE("/api/services/{service}/operations lists the service's operation names") {
  for_each_store([](const ask& query) {
    CHECK(strings(at(json_of(query(get("/api/services/frontend/operations"))), "data")) ==
          std::vector<std::string>{"GET /checkout", "call cart"});
    CHECK(strings(at(json_of(query(get("/api/services/cart/operations"))), "data")) == std::vector<std::string>{"GetCart"});
    CHECK(size_of(at(json_of(query(get("/api/services/nobody/operations"))), "data")) == 0);
  });
}

TEST_CASE("/api/operations gives names with span kinds, filtered by spanKind") {
  for_each_store([](const ask& query) {
    const value all = json_of(query(get("/api/operations?service=frontend")));
    REQUIRE(size_of(at(all, "data")) == 2);
    CHECK(text(at(at(at(all, "data"), 0), "name")) == "GET /checkout");
    CHECK(text(at(at(at(all, "data"), 0), "spanKind")) == "server");
    CHECK(text(at(at(at(all, "data"), 1), "name")) == "call cart");
    CHECK(text(at(at(at(all, "data"), 1), "spanKind")) == "client");
    const value clients = json_of(query(get("/api/operations?service=frontend&spanKind=client")));
    CHECK(size_of(at(clients, "data")) == 1);
    CHECK(integer(at(clients, "total")) == 1);
    check_refused(query, "/api/operations?service=frontend&spanKind=sideways", "spanKind", "\"sideways\"");
    check_refused(query, "/api/operations", "service", "required");
  });
}

TEST_CASE("/api/traces finds whole traces, newest first, in Jaeger's trace JSON") {
  for_each_store([](const ask& query) {
    const value doc = json_of(query(get("/api/traces?service=cart")));
    CHECK(trace_ids_of(doc) == std::vector<std::string>{cart_hex, checkout_hex});
    CHECK(integer(at(doc, "total")) == 2);
    CHECK(at(doc, "errors").is_null());

    const value& checkout = at(at(doc, "data"), 1);
    REQUIRE(size_of(at(checkout, "spans")) == 3);  // the whole trace, not only cart's span
    const value& root = at(at(checkout, "spans"), 0);
    CHECK(text(at(root, "spanID")) == "0000000000000001");
    CHECK(text(at(root, "operationName")) == "GET /checkout");
    CHECK(integer(at(root, "startTime")) == static_cast<std::int64_t>(t0_us));
    CHECK(integer(at(root, "duration")) == 100'000);
    CHECK(size_of(at(root, "references")) == 0);
    const value& locked = at(at(checkout, "spans"), 2);
    CHECK(text(at(at(at(locked, "references"), 0), "refType")) == "CHILD_OF");
    CHECK(text(at(at(at(locked, "references"), 0), "spanID")) == "0000000000000002");
    CHECK(integer(at(locked, "startTime")) == static_cast<std::int64_t>(t0_us + 15'000));
    // Processes: frontend (with its host) once, cart once.
    CHECK(text(at(root, "processID")) == "p1");
    CHECK(text(at(at(at(checkout, "spans"), 1), "processID")) == "p1");
    CHECK(text(at(locked, "processID")) == "p2");
    CHECK(text(at(at(at(checkout, "processes"), "p1"), "serviceName")) == "frontend");
    CHECK(text(at(at(at(at(at(checkout, "processes"), "p1"), "tags"), 0), "value")) == "web-1");
    CHECK(text(at(at(at(checkout, "processes"), "p2"), "serviceName")) == "cart");
  });
}

TEST_CASE("/api/traces narrows by operation, tags, window, durations and limit") {
  for_each_store([](const ask& query) {
    auto ids = [&](const std::string& target) { return trace_ids_of(json_of(query(get(target)))); };
    const std::vector<std::string> checkout{checkout_hex}, cart{cart_hex}, none{};
    CHECK(ids("/api/traces?service=frontend&operation=call%20cart") == checkout);
    CHECK(ids("/api/traces?service=frontend&operation=GetCart") == none);
    CHECK(ids("/api/traces?service=cart&tags=%7B%22http.status_code%22%3A%22500%22%7D") == cart);
    CHECK(ids("/api/traces?service=cart&tags={\"http.status_code\":500}") == cart);  // a number compares by its text
    CHECK(ids("/api/traces?service=cart&tags={\"error\":\"true\"}") == checkout);
    CHECK(ids("/api/traces?service=cart&tag=http.status_code:500") == cart);
    CHECK(ids("/api/traces?service=cart&minDuration=10ms") == checkout);         // GetCart: 40 ms and 5 ms
    CHECK(ids("/api/traces?service=cart&maxDuration=5ms") == cart);
    CHECK(ids("/api/traces?service=cart&minDuration=5.5ms&maxDuration=0.04s") == checkout);
    CHECK(ids("/api/traces?service=cart&start=" + std::to_string(t0_us + 500'000) + "&end=" +
              std::to_string(t0_us + 2'000'000)) == cart);
    CHECK(ids("/api/traces?service=cart&end=" + std::to_string(t0_us + 500'000) + "&lookback=1h") == checkout);
    CHECK(ids("/api/traces?service=cart&limit=1") == cart);
    CHECK(ids("/api/traces?traceID=b2&traceID=" + checkout_hex) == std::vector<std::string>{cart_hex, checkout_hex});
  });
}

TEST_CASE("/api/traces refuses each bad parameter with 400 naming it") {
  for_each_store([](const ask& query) {
    check_refused(query, "/api/traces", "service", "required");
    check_refused(query, "/api/traces?service=cart&limit=ten", "limit", "\"ten\"");
    check_refused(query, "/api/traces?service=cart&start=-5", "start", "\"-5\"");
    check_refused(query, "/api/traces?service=cart&end=1e9", "end", "\"1e9\"");
    check_refused(query, "/api/traces?service=cart&start=20&end=10", "start", "\"20\"");
    check_refused(query, "/api/traces?service=cart&minDuration=5", "minDuration", "\"5\"");
    check_refused(query, "/api/traces?service=cart&maxDuration=1ms&minDuration=2ms", "maxDuration", "\"1ms\"");
    check_refused(query, "/api/traces?service=cart&maxDuration=3fortnights", "maxDuration", "3fortnights");
    check_refused(query, "/api/traces?service=cart&lookback=soon", "lookback", "\"soon\"");
    check_refused(query, "/api/traces?service=cart&tags=%7Bbroken", "tags", "{broken");
    check_refused(query, "/api/traces?service=cart&tags=[1]", "tags", "[1]");
    check_refused(query, "/api/traces?service=cart&tags={\"error\":\"maybe\"}", "parameter \"tags\": Jaeger tag error", "maybe");
    check_refused(query, "/api/traces?service=cart&tag=nocolon", "tag", "\"nocolon\"");
    check_refused(query, "/api/traces?traceID=xyz", "traceID", "\"xyz\"");
    check_refused(query, "/api/traces?service=%E2%8", "service", "%8");  // the escape is cut short
  });
}

TEST_CASE("/api/traces/{id} takes full and left-trimmed hex ids; unknown ids are 404") {
  for_each_store([](const ask& query) {
    for (const std::string& id : {checkout_hex, std::string("a1"), std::string("00A1")}) {
      INFO(id);
      const value doc = json_of(query(get("/api/traces/" + id)));
      CHECK(trace_ids_of(doc) == std::vector<std::string>{checkout_hex});
      CHECK(size_of(at(at(at(doc, "data"), 0), "spans")) == 3);
    }
    const auto missing = query(get("/api/traces/c3"));
    CHECK(missing.status == 404);
    CHECK(integer(at(at(at(json_of(missing), "errors"), 0), "code")) == 404);
    check_refused(query, "/api/traces/xyz", "trace id", "\"xyz\"");
    check_refused(query, "/api/traces/" + checkout_hex + "0", "trace id", checkout_hex + "0");  // 33 digits
    check_refused(query, "/api/traces/0", "trace id", "\"0\"");
  });
}

TEST_CASE("/api/dependencies counts calls between services in the window") {
  for_each_store([](const ask& query) {
    const value doc = json_of(query(get("/api/dependencies?endTs=" + std::to_string(t0_ms + 2000) + "&lookback=10000")));
    REQUIRE(size_of(at(doc, "data")) == 1);
    CHECK(text(at(at(at(doc, "data"), 0), "parent")) == "frontend");
    CHECK(text(at(at(at(doc, "data"), 0), "child")) == "cart");
    CHECK(integer(at(at(at(doc, "data"), 0), "callCount")) == 1);
    // A window that ends before the checkout trace holds no calls.
    CHECK(size_of(at(json_of(query(get("/api/dependencies?endTs=" + std::to_string(t0_ms - 1) + "&lookback=1000"))), "data")) == 0);
    check_refused(query, "/api/dependencies?endTs=yesterday", "endTs", "\"yesterday\"");
    check_refused(query, "/api/dependencies?endTs=1&lookback=1h", "lookback", "\"1h\"");  // milliseconds here
  });
}

TEST_CASE("/api/v3 routes answer in Jaeger's v3 shapes, traces as OTLP JSON") {
  for_each_store([](const ask& query) {
    CHECK(strings(at(json_of(query(get("/api/v3/services"))), "services")) == std::vector<std::string>{"cart", "frontend"});

    const value ops = json_of(query(get("/api/v3/operations?service=frontend&span_kind=server")));
    REQUIRE(size_of(at(ops, "operations")) == 1);
    CHECK(text(at(at(at(ops, "operations"), 0), "name")) == "GET /checkout");
    CHECK(text(at(at(at(ops, "operations"), 0), "spanKind")) == "server");

    const auto by_id = query(get("/api/v3/traces/a1"));
    REQUIRE(by_id.status == 200);
    const value by_id_doc = json_of(by_id);
    const value& result = at(by_id_doc, "result");
    const auto spans = trace::otlp::read(trace::json::serialize(result));
    CHECK(spans.size() == 3);
    CHECK(spans.at(2).status.message == "cart locked");
    const value& resource = at(at(at(result, "resourceSpans"), 0), "resource");
    CHECK(text(at(at(at(at(resource, "attributes"), 0), "value"), "stringValue")) == "frontend");

    const auto found = query(get("/api/v3/traces?query.service_name=cart&query.durationMin=10ms"));
    REQUIRE(found.status == 200);
    CHECK(trace::otlp::read(trace::json::serialize(at(json_of(found), "result"))).size() == 3);
    const auto both = query(get("/api/v3/traces?query.serviceName=cart&query.start_time_min=2023-11-14T22:13:20Z"));
    CHECK(trace::otlp::read(trace::json::serialize(at(json_of(both), "result"))).size() == 4);

    auto refused = [&](const std::string& target, int status, const std::string& words) {
      INFO(target);
      const auto r = query(get(target));
      CHECK(r.status == status);
      const value error = at(json_of(r), "error");
      CHECK(integer(at(error, "httpCode")) == status);
      CHECK_THAT(text(at(error, "message")), Catch::Contains(words));
    };
    refused("/api/v3/traces/c3", 404, "No traces found");
    refused("/api/v3/traces?query.service_name=nobody", 404, "No traces found");
    refused("/api/v3/traces/not-hex", 400, "\"not-hex\"");
    refused("/api/v3/traces?query.service_name=cart&query.durationMin=soon", 400, "query.durationMin");
    refused("/api/v3/traces?query.service_name=cart&query.start_time_min=yesterday", 400, "query.start_time_min");
    refused("/api/v3/traces?query.service_name=cart&query.num_traces=-1", 400, "query.num_traces");
    refused("/api/v3/traces", 400, "query.serviceName");
    refused("/api/v3/operations?service=cart&span_kind=odd", 400, "span_kind");
  });
}

TEST_CASE("answer_query leaves other paths alone and refuses other methods on its own") {
  for_each_store([](const ask& query) {
    trace::api::http_request post = get("/api/services");
    post.method = "POST";
    const auto refused = query(post);
    CHECK(refused.status == 405);
    CHECK(trace::api::find_header(refused.headers, "allow") == "GET");
    CHECK(integer(at(at(at(json_of(refused), "errors"), 0), "code")) == 405);
  });
  trace::memory_store store;
  for (const char* path : {"/v1/traces", "/metrics", "/api", "/api/unknown", "/api/services/a/b", "/apix/services"})
    CHECK_FALSE(trace::api::answer_query(store, get(path)));
  // A bad escape under /api/ is answered (400), wherever it is.
  const auto bad = trace::api::answer_query(store, get("/api/services/a%zz/operations"));
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK_THAT(bad->body, Catch::Contains("%zz"));
}

TEST_CASE("stored text that JSON cannot hold is the server's fault (500), and names are sent escaped") {
  auto spans = shop_spans();
  spans[3].name = "GetCart\xFF";
  spans[3].resource.service_name = "cart\xFF";
  trace::memory_store store;
  store.append(spans);
  const auto listed = trace::api::answer_query(store, get("/api/services"));
  REQUIRE(listed);
  CHECK(strings(at(json_of(*listed), "data")) == std::vector<std::string>{"cart", "cart\\xff", "frontend"});
  for (const char* target : {"/api/traces/b2", "/api/v3/traces/b2", "/tempo/api/traces/b2"}) {
    INFO(target);
    const auto answer = trace::api::answer_query(store, get(target));
    REQUIRE(answer);
    CHECK(answer->status == 500);
    CHECK_THAT(answer->body, Catch::Contains("a stored span cannot be written as JSON"));
  }
}
