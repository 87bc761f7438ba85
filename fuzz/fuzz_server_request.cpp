// The OTLP/HTTP receiver (api/otlp_ingest.hpp) on any request: the first byte picks the
// method, Content-Type and Content-Encoding, the rest is the body. Whatever comes in, the
// answer is one the receiver documents, its body decodes in the request's encoding, and a
// 200 means every span it did not refuse is in the store.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/api/otlp_ingest.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/store/memory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace api = trace::api;
  namespace pb = trace::otlp::proto;
  if (size == 0) return 0;
  static constexpr const char* types[] = {"application/x-protobuf", "application/json", "application/json; charset=utf-8",
                                          "text/plain", "", "APPLICATION/X-PROTOBUF"};
  static constexpr const char* encodings[] = {"", "identity", "gzip", "br"};
  const unsigned pick = data[0];
  api::http_request request;
  request.method = pick & 0x80 ? "GET" : "POST";
  request.target = "/v1/traces";
  request.headers.emplace_back("Content-Type", types[pick % 6]);
  const char* encoding = encodings[(pick >> 3) % 4];
  if (*encoding) request.headers.emplace_back("Content-Encoding", encoding);
  request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  api::ingest_options options;
  options.max_body_bytes = 1 << 16;  // small enough that the fuzzer reaches 413 too
  trace::memory_store store;
  api::http_response r = api::ingest_otlp(store, request, options);

  switch (r.status) {
    case 200: case 400: case 405: case 413: case 415: break;
    default: std::abort();  // the memory store never refuses, so never 5xx
  }
  const bool json = r.content_type == "application/json";
  if (!json && r.content_type != "application/x-protobuf") std::abort();
  try {
    if (json) trace::json::parse(r.body);
    else if (r.status == 200) pb::decode_response(r.body);
    else pb::decode_status(r.body);
  } catch (const trace::error&) {
    std::abort();  // an answer the client cannot read
  }
  if (r.status != 200 && store.size() != 0) std::abort();  // refused requests store nothing
  if (r.status == 200 && !json && std::string_view(encoding) != "gzip") {
    // Stored plus refused is every span of the request.
    const auto answer = pb::decode_response(r.body);
    std::size_t spans = 0;
    pb::decode_request(request.body, [&spans](std::vector<trace::span>&& batch) { spans += batch.size(); },
                       [&spans](trace::refused_span&&) { ++spans; });
    if (store.size() + static_cast<std::size_t>(answer.rejected_spans) != spans) std::abort();
  }
  return 0;
}
