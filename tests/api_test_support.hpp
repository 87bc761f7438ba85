#pragma once
// Helpers shared by the query API tests: two small traces whose every figure is easy to
// work out by hand, the same spans in a memory store and in an mmap store (read through
// `reader`, as the server does), and a request helper that parses the JSON answer.

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/api/query_routes.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

namespace api_test {

// 2023-11-14T22:13:20Z, a round number of seconds.
inline constexpr trace::timestamp_ns t0 = 1'700'000'000'000'000'000ull;
inline const trace::trace_id checkout_trace{0, 0xa1};  // hex "000...00a1"
inline const trace::trace_id cart_trace{0, 0xb2};

inline trace::span make(trace::trace_id trace, std::uint64_t id, std::uint64_t parent, const char* service,
                        const char* name, trace::span_kind kind, trace::timestamp_ns start, trace::duration_ns duration) {
  trace::span s;
  s.trace = trace;
  s.id = trace::span_id(id);
  s.parent = trace::span_id(parent);
  s.resource.service_name = service;
  s.name = name;
  s.kind = kind;
  s.start = start;
  s.end = start + duration;
  s.scope.name = "shop-instrumentation";
  return s;
}

// Trace checkout (t0, 100 ms): frontend (host.name=web-1) "GET /checkout" (server, http.method=GET,
// http.status_code=200) → frontend "call cart" (client, 10..60 ms) → cart "GetCart"
// (server, 15..55 ms, error "cart locked").
// Trace cart (t0 + 1 s, 5 ms): cart "GetCart" (server, http.status_code=500), alone.
inline std::vector<trace::span> shop_spans() {
  using trace::millisecond;
  std::vector<trace::span> out;
  auto& root = out.emplace_back(make(checkout_trace, 1, 0, "frontend", "GET /checkout", trace::span_kind::server, t0, 100 * millisecond));
  root.attributes.set("http.method", std::string("GET"));
  root.attributes.set("http.status_code", std::int64_t{200});
  out.push_back(make(checkout_trace, 2, 1, "frontend", "call cart", trace::span_kind::client, t0 + 10 * millisecond, 50 * millisecond));
  auto& locked = out.emplace_back(make(checkout_trace, 3, 2, "cart", "GetCart", trace::span_kind::server, t0 + 15 * millisecond, 40 * millisecond));
  locked.status = {trace::status_code::error, "cart locked"};
  auto& alone = out.emplace_back(make(cart_trace, 4, 0, "cart", "GetCart", trace::span_kind::server, t0 + 1000 * millisecond, 5 * millisecond));
  alone.attributes.set("http.status_code", std::int64_t{500});
  for (auto& s : out)
    if (s.resource.service_name == "frontend") s.resource.attributes.set("host.name", std::string("web-1"));
  return out;
}

// Runs `check(store)` on a memory store and on an mmap store's reader, both holding `spans`.
inline void for_each_store(const std::function<void(const std::function<trace::api::http_response(trace::api::http_request)>&)>& check,
                           const std::vector<trace::span>& spans = shop_spans()) {
  {
    INFO("memory store");
    trace::memory_store store;
    store.append(spans);
    check([&store](const trace::api::http_request& r) {
      auto answer = trace::api::answer_query(store, r);
      REQUIRE(answer);
      return *answer;
    });
  }
  {
    INFO("mmap store, through a reader");
    test_support::temp_dir dir;
    trace::mmap_store store(test_support::default_options(dir));
    store.append(spans);
    const auto reader = store.read();
    check([&reader](const trace::api::http_request& r) {
      auto answer = trace::api::answer_query(reader, r);
      REQUIRE(answer);
      return *answer;
    });
  }
}

using ask = std::function<trace::api::http_response(trace::api::http_request)>;

inline trace::api::http_request get(std::string target, std::string accept = {}) {
  trace::api::http_request r{"GET", std::move(target), {}, {}};
  if (!accept.empty()) r.headers.emplace_back("Accept", std::move(accept));
  return r;
}

inline trace::json::value json_of(const trace::api::http_response& r) {
  INFO(r.body);
  REQUIRE(r.content_type == "application/json");
  return trace::json::parse(r.body);
}

// doc["a"]["b"]... with object keys and array indexes, failing the test when absent.
inline const trace::json::value& at(const trace::json::value& v, std::string_view key) {
  const trace::json::value* found = v.find(key);
  INFO("member " << key << " of " << trace::json::serialize(v).substr(0, 400));
  REQUIRE(found);
  return *found;
}
inline const trace::json::value& at(const trace::json::value& v, std::size_t index) {
  const auto* items = v.get_if<trace::json::array>();
  INFO("item " << index << " of " << trace::json::serialize(v).substr(0, 400));
  REQUIRE(items);
  REQUIRE(index < items->size());
  return (*items)[index];
}
inline std::size_t size_of(const trace::json::value& v) {
  const auto* items = v.get_if<trace::json::array>();
  REQUIRE(items);
  return items->size();
}
inline std::string text(const trace::json::value& v) {
  const auto* s = v.get_if<std::string>();
  INFO(trace::json::serialize(v));
  REQUIRE(s);
  return *s;
}
inline std::int64_t integer(const trace::json::value& v) {
  INFO(trace::json::serialize(v));
  if (const auto* i = v.get_if<std::int64_t>()) return *i;
  FAIL("not an integer");
  return 0;
}
inline std::vector<std::string> strings(const trace::json::value& v) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < size_of(v); ++i) out.push_back(text(at(v, i)));
  return out;
}

}  // namespace api_test
