// The OTLP/HTTP receiver as a function (api/otlp_ingest.hpp): every answer the OTLP
// specification names, in both encodings, into a memory store and a store that refuses.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "support/make_span.hpp"
#include "trace/api/otlp_ingest.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/net/gzip.hpp"
#include "trace/store/memory.hpp"

using namespace trace;
namespace pb = trace::otlp::proto;

namespace {

std::vector<span> sample_spans(std::size_t count) {
  std::vector<span> out;
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(trace_test::make_span(1, 100 + i, i ? 100 : 0, "shop", "op " + std::to_string(i), 10, 20 + i));
  return out;
}

api::http_request post(std::string content_type, std::string body) {
  return {"POST", "/v1/traces", {{"Content-Type", std::move(content_type)}}, std::move(body)};
}
api::http_request post_protobuf(const std::vector<span>& spans) { return post("application/x-protobuf", pb::encode_request(spans)); }
api::http_request post_json(const std::vector<span>& spans) { return post("application/json", otlp::to_json(spans)); }

// The text at a path of object keys in a JSON body; empty when absent.
std::string json_text(const std::string& body, std::initializer_list<std::string_view> path) {
  json::value v = json::parse(body);
  const json::value* at = &v;
  for (std::string_view key : path)
    if (!(at = at->find(key))) return {};
  const auto* text = at->get_if<std::string>();
  return text ? *text : std::string();
}

// The message of a JSON google.rpc.Status body.
std::string json_status_message(const api::http_response& r) { return json_text(r.body, {"message"}); }

// A store whose disk is full: every append is refused as the mmap store refuses it.
struct full_store {
  void append(const std::vector<span>&) { throw error(errc::io_error, "store /data is over its disk budget"); }
};

}  // namespace

TEST_CASE("a protobuf export is stored and answered with an empty ExportTraceServiceResponse") {
  memory_store store;
  auto r = api::ingest_otlp(store, post_protobuf(sample_spans(5)));
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/x-protobuf");
  CHECK(pb::decode_response(r.body) == pb::export_response{});
  CHECK(store.size() == 5);
  CHECK(store.find_trace(trace_test::trace_n(1)).size() == 5);
}

TEST_CASE("a JSON export is stored and answered in JSON without partialSuccess") {
  memory_store store;
  auto request = post_json(sample_spans(3));
  request.headers[0].second = "application/json; charset=utf-8";  // parameters do not matter
  auto r = api::ingest_otlp(store, request);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == "{}");
  CHECK(store.size() == 3);
}

TEST_CASE("spans breaking the model's rules are refused in a partial success, the others kept") {
  auto spans = sample_spans(4);
  spans[2].parent = spans[2].id;  // its own parent: decodes, but no store takes it
  memory_store store;

  SECTION("protobuf") {
    auto r = api::ingest_otlp(store, post_protobuf(spans));
    REQUIRE(r.status == 200);
    auto answer = pb::decode_response(r.body);
    CHECK(answer.rejected_spans == 1);
    CHECK(answer.error_message.find("1 of 4 spans refused") != std::string::npos);
    CHECK(answer.error_message.find("is its own parent") != std::string::npos);
  }
  SECTION("JSON") {
    auto r = api::ingest_otlp(store, post_json(spans));
    REQUIRE(r.status == 200);
    CHECK(json_text(r.body, {"partialSuccess", "rejectedSpans"}) == "1");
    CHECK(json_text(r.body, {"partialSuccess", "errorMessage"}).find("is its own parent") != std::string::npos);
  }
  CHECK(store.size() == 3);
  for (const auto& s : store.scan()) CHECK(s.id() != spans[2].id);
}

TEST_CASE("invalid spans of every kind are refused in a partial success naming the first by position, the valid ones stored") {
  auto spans = sample_spans(6);
  spans[1].end = spans[1].start - 1;  // ends before it starts
  spans[2].trace = trace_id{};        // all-zero trace id
  spans[3].id = span_id{};            // all-zero span id
  spans[4].parent = spans[4].id;      // its own parent
  memory_store store;
  std::string message;

  SECTION("protobuf") {
    auto r = api::ingest_otlp(store, post_protobuf(spans));
    REQUIRE(r.status == 200);
    auto answer = pb::decode_response(r.body);
    CHECK(answer.rejected_spans == 4);
    message = answer.error_message;
    CHECK(message.find("end_time_unix_nano") != std::string::npos);
  }
  SECTION("JSON") {
    auto r = api::ingest_otlp(store, post_json(spans));
    REQUIRE(r.status == 200);
    CHECK(json_text(r.body, {"partialSuccess", "rejectedSpans"}) == "4");
    message = json_text(r.body, {"partialSuccess", "errorMessage"});
    CHECK(message.find("line 1, column") != std::string::npos);
  }
  CHECK(message.find("4 of 6 spans refused; the first, span #1: ") != std::string::npos);
  CHECK(message.find("before") != std::string::npos);
  CHECK(store.size() == 2);
  CHECK(store.find_trace(trace_test::trace_n(1)).size() == 2);
}

TEST_CASE("a request whose every span is invalid is answered 200 with all of them rejected, and nothing stored") {
  memory_store store;
  auto r = api::ingest_otlp(store, post("application/json", R"({"resourceSpans":[{"scopeSpans":[{"spans":[
    {"traceId":"xyz","spanId":"0102030405060708"}]}]}]})"));
  CHECK(r.status == 200);
  CHECK(json_text(r.body, {"partialSuccess", "rejectedSpans"}) == "1");
  CHECK(json_text(r.body, {"partialSuccess", "errorMessage"}).find("span #0: line 2, column") != std::string::npos);
  CHECK(json_text(r.body, {"partialSuccess", "errorMessage"}).find("\"xyz\"") != std::string::npos);
  CHECK(store.size() == 0);
}

TEST_CASE("a body that does not decode is a 400 with a Status naming the problem, and nothing is stored") {
  memory_store store;
  SECTION("protobuf cut short") {
    std::string bytes = pb::encode_request(sample_spans(2));
    bytes.resize(bytes.size() - 3);
    auto r = api::ingest_otlp(store, post("application/x-protobuf", bytes));
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/x-protobuf");
    auto status = pb::decode_status(r.body);
    CHECK(status.code == 3);
    CHECK(status.message.find("not a valid ExportTraceServiceRequest") != std::string::npos);
    CHECK(status.message.find("parse error") != std::string::npos);
  }
  SECTION("JSON whose resourceSpans is not an array") {
    auto r = api::ingest_otlp(store, post("application/json", R"({"resourceSpans":{"scopeSpans":[]}})"));
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/json");
    CHECK(json_status_message(r).find("expected '['") != std::string::npos);
  }
  SECTION("protobuf with a known field of the wrong wire type") {
    std::string bytes = pb::encode_request(sample_spans(1));
    bytes += "\x0a\x02\x08\x01";  // a resource_spans whose resource (field 1) is a varint
    auto r = api::ingest_otlp(store, post("application/x-protobuf", bytes));
    CHECK(r.status == 400);
    CHECK(pb::decode_status(r.body).message.find("resource_spans[1].resource at byte") != std::string::npos);
  }
  SECTION("JSON that is not JSON") {
    auto r = api::ingest_otlp(store, post("application/json", "{\"resourceSpans\": [ "));
    CHECK(r.status == 400);
    CHECK(json_status_message(r).find("parse error") != std::string::npos);
  }
  CHECK(store.size() == 0);
}

TEST_CASE("other content types are a 415 and other methods a 405 with Allow") {
  memory_store store;
  auto r = api::ingest_otlp(store, post("text/plain", "hello"));
  CHECK(r.status == 415);
  CHECK(pb::decode_status(r.body).message.find("\"text/plain\" is not supported") != std::string::npos);

  auto missing = api::ingest_otlp(store, post("", pb::encode_request(sample_spans(1))));
  CHECK(missing.status == 415);

  api::http_request get{"GET", "/v1/traces", {{"Content-Type", "application/json"}}, ""};
  auto g = api::ingest_otlp(store, get);
  CHECK(g.status == 405);
  CHECK(api::find_header(g.headers, "Allow") == "POST");
  CHECK(json_status_message(g).find("only POST") != std::string::npos);

  auto deflate = post_protobuf(sample_spans(1));
  deflate.headers.emplace_back("Content-Encoding", "br");
  auto e = api::ingest_otlp(store, deflate);
  CHECK(e.status == 415);
  CHECK(pb::decode_status(e.body).message.find("Content-Encoding br") != std::string::npos);
  CHECK(store.size() == 0);
}

TEST_CASE("a body over the limit is a 413") {
  memory_store store;
  auto request = post_protobuf(sample_spans(20));
  api::ingest_options options;
  options.max_body_bytes = request.body.size() - 1;
  auto r = api::ingest_otlp(store, request, options);
  CHECK(r.status == 413);
  CHECK(pb::decode_status(r.body).message.find("over the limit of " + std::to_string(options.max_body_bytes)) !=
        std::string::npos);
  options.max_body_bytes = request.body.size();
  CHECK(api::ingest_otlp(store, request, options).status == 200);
}

#ifdef TRACE_WITH_ZLIB
TEST_CASE("gzip bodies are inflated, and the limit applies to the inflated size") {
  memory_store store;
  auto request = post_json(sample_spans(30));
  const std::size_t plain = request.body.size();
  request.body = net::gzip_compress(request.body);
  request.headers.emplace_back("Content-Encoding", "gzip");
  REQUIRE(request.body.size() < plain);

  api::ingest_options options;
  options.max_body_bytes = plain - 1;  // the compressed body fits, the inflated one does not
  auto over = api::ingest_otlp(store, request, options);
  CHECK(over.status == 413);
  CHECK(json_status_message(over).find("inflates to more than") != std::string::npos);

  options.max_body_bytes = plain;
  CHECK(api::ingest_otlp(store, request, options).status == 200);
  CHECK(store.size() == 30);

  request.body.resize(request.body.size() / 2);  // a gzip stream cut short
  auto cut = api::ingest_otlp(store, request, options);
  CHECK(cut.status == 400);
  CHECK(json_status_message(cut).find("not valid gzip") != std::string::npos);
}
#endif

TEST_CASE("a store that refuses the batch gives 503 with Retry-After") {
  full_store store;
  api::ingest_options options;
  options.retry_after = std::chrono::seconds(7);
  auto r = api::ingest_otlp(store, post_protobuf(sample_spans(2)), options);
  CHECK(r.status == 503);
  CHECK(api::find_header(r.headers, "Retry-After") == "7");
  auto status = pb::decode_status(r.body);
  CHECK(status.code == 14);
  CHECK(status.message.find("over its disk budget") != std::string::npos);
}

TEST_CASE("the receiver's route is /v1/traces with or without a query") {
  CHECK(api::is_otlp_traces_route({"POST", "/v1/traces", {}, ""}));
  CHECK(api::is_otlp_traces_route({"POST", "/v1/traces?x=1", {}, ""}));
  CHECK_FALSE(api::is_otlp_traces_route({"POST", "/v1/traces/", {}, ""}));
  CHECK_FALSE(api::is_otlp_traces_route({"POST", "/v1/metrics", {}, ""}));
}
