// The query routes (trace::api::answer_query) take request targets from the network: any
// target must get an answer or nullopt, never a fault or an escaping exception; an answer
// has one of the statuses the routes give, and a JSON answer is valid JSON.
// The input is the target when it starts with '/'; otherwise its first byte picks a route
// prefix, a method and an Accept header, and the rest follows the prefix (so that the
// fuzzer reaches the parameter readers without having to find the paths first).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "trace/api/query_routes.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/store/memory.hpp"

namespace {

trace::span make(std::uint64_t trace, std::uint64_t id, std::uint64_t parent, const char* service, const char* name,
                 std::uint64_t start_ms, std::uint64_t duration_ms) {
  trace::span s;
  s.trace = trace::trace_id(0, trace);
  s.id = trace::span_id(id);
  s.parent = trace::span_id(parent);
  s.resource.service_name = service;
  s.name = name;
  s.kind = parent ? trace::span_kind::client : trace::span_kind::server;
  s.start = 1'700'000'000'000'000'000ull + start_ms * trace::millisecond;
  s.end = s.start + duration_ms * trace::millisecond;
  s.attributes.set("http.status_code", std::int64_t(parent ? 500 : 200));
  s.attributes.set("ratio", 0.5);
  s.resource.attributes.set("host.name", std::string("web-1"));
  return s;
}

const trace::memory_store& store() {
  static const trace::memory_store held = [] {
    trace::memory_store s;
    std::vector<trace::span> spans = {make(0xa1, 1, 0, "frontend", "GET /checkout", 0, 100),
                                      make(0xa1, 2, 1, "cart", "GetCart", 10, 40),
                                      make(0xb2, 3, 0, "cart", "GetCart", 1000, 5)};
    spans[1].status = {trace::status_code::error, "cart locked"};
    s.append(spans);
    return s;
  }();
  return held;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view prefixes[] = {
      "/api/traces?",        "/api/search?",           "/api/v3/traces?",         "/api/operations?",
      "/api/dependencies?",  "/api/traces/",           "/tempo/api/traces/",      "/api/v2/search/tag/",
      "/api/search/tag/",    "/api/v2/search/tags?",   "/api/services/",          "/api/v3/operations?"};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  trace::api::http_request request{"GET", {}, {}, {}};
  if (!input.empty() && input.front() != '/') {
    const auto pick = static_cast<unsigned char>(input.front());
    input.remove_prefix(1);
    request.target = std::string(prefixes[pick % std::size(prefixes)]);
    if (pick & 0x80) request.method = "POST";
    if (pick & 0x40) request.headers.emplace_back("Accept", "application/protobuf");
  }
  request.target += input;
  const auto answer = trace::api::answer_query(store(), request);
  if (!answer) return 0;
  const int status = answer->status;
  if (status != 200 && status != 400 && status != 404 && status != 405) std::abort();
  if (answer->content_type == "application/json") {
    try {
      (void)trace::json::parse(answer->body);
    } catch (const trace::error&) {
      std::abort();  // the routes wrote invalid JSON
    }
  }
  return 0;
}
