#pragma once
// The OTLP/HTTP trace receiver as a function: `POST /v1/traces` in, the answer the OTLP
// specification asks for out, without sockets, so tests and fuzzers call it directly.
//
//   trace::api::http_response r = trace::api::ingest_otlp(store, request);
//
// Answers, each body in the request's encoding (protobuf or JSON):
//   200  the spans are stored; `partial_success` says how many were refused and why (the
//        first one's position and the rule it broke) when some were invalid: an id missing,
//        all zero or malformed, an end before its start, its own parent, in JSON a field of
//        the wrong type; the others are kept
//   400  bodies that do not decode: damaged protobuf wire format, text that is not JSON (a
//        google.rpc.Status naming the field and offset, or line and column)
//   405  a method other than POST
//   413  a body over `max_body_bytes`, after gzip inflation too
//   415  a Content-Type other than application/x-protobuf or application/json, or an
//        unsupported Content-Encoding
//   503  the store refused the batch (its disk budget, a failed write), with Retry-After
//
// A server that acknowledges only durable spans uses the two halves: `decode_otlp_export`
// (request → spans, or the refusal) and, once its store committed them, `otlp_accepted`, or
// `otlp_unavailable` when the store refused them.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "trace/api/content_encoding.hpp"
#include "trace/api/http_exchange.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_reader.hpp"

namespace trace {
inline namespace v0 {
namespace api {

inline constexpr std::string_view otlp_traces_path = "/v1/traces";

struct ingest_options {
  std::size_t max_body_bytes = 64u << 20;  // OTLP/HTTP's recommended limit, checked after inflation
  std::chrono::seconds retry_after{1};     // told to clients when the store cannot take spans
};

enum class otlp_encoding { protobuf, json };

// A decoded export request, ready to store.
struct otlp_export {
  otlp_encoding encoding = otlp_encoding::protobuf;
  std::vector<span> spans;      // the valid spans, in request order
  std::int64_t rejected = 0;    // spans refused (invalid), left out of `spans`
  std::string rejection;        // why, for partial_success.error_message
  std::size_t body_bytes = 0;   // decoded body size
};

// Whether the request is for the trace receiver (its path, whatever the method or query).
inline bool is_otlp_traces_route(const http_request& request) noexcept;

// The request's spans, or the answer refusing it (400, 405, 413, 415).
inline std::variant<otlp_export, http_response> decode_otlp_export(http_request request,
                                                                   const ingest_options& options = {});

// 200 for a stored export, with partial_success when spans were refused.
inline http_response otlp_accepted(const otlp_export& stored);
// 503 with Retry-After, for an export the store could not take (`why`: the store's error).
inline http_response otlp_unavailable(otlp_encoding encoding, std::string_view why, const ingest_options& options = {});
// An error answer whose body is a google.rpc.Status in `encoding`.
inline http_response otlp_status_response(int http_status, std::string_view message, otlp_encoding encoding);

// Decodes, appends to `store` (anything with `append(std::vector<span>)`) and answers.
// A `trace::error` of kind io_error from the store is a 503; other store errors a 500.
template <class Store>
http_response ingest_otlp(Store& store, const http_request& request, const ingest_options& options = {});

// ---------------------------------------------------------------------------------------

namespace detail {
inline std::string_view path_of(std::string_view target) noexcept {
  return target.substr(0, std::min(target.find('?'), target.size()));
}
// The media type without parameters ("application/json; charset=utf-8" → "application/json").
inline std::string_view media_type(std::string_view content_type) noexcept {
  content_type = content_type.substr(0, std::min(content_type.find(';'), content_type.size()));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) content_type.remove_suffix(1);
  return content_type;
}
inline const char* content_type_of(otlp_encoding encoding) noexcept {
  return encoding == otlp_encoding::json ? "application/json" : "application/x-protobuf";
}
// google.rpc.Code for an HTTP status, as gRPC-HTTP mappings give it.
inline std::int32_t rpc_code_of(int http_status) noexcept {
  switch (http_status) {
    case 400: case 413: case 415: return 3;  // INVALID_ARGUMENT
    case 405: return 12;                      // UNIMPLEMENTED
    case 503: return 14;                      // UNAVAILABLE
    default: return 13;                       // INTERNAL
  }
}
}  // namespace detail

inline bool is_otlp_traces_route(const http_request& request) noexcept {
  return detail::path_of(request.target) == otlp_traces_path;
}

inline http_response otlp_status_response(int http_status, std::string_view message, otlp_encoding encoding) {
  http_response out;
  out.status = http_status;
  out.content_type = detail::content_type_of(encoding);
  const std::int32_t code = detail::rpc_code_of(http_status);
  if (encoding == otlp_encoding::protobuf) {
    out.body = otlp::proto::encode_status({code, std::string(message)});
  } else {
    json::writer w(out.body);
    w.begin_object().member("code", code).member("message", message).end_object();
  }
  return out;
}

inline std::variant<otlp_export, http_response> decode_otlp_export(http_request request, const ingest_options& options) {
  // Before the body is read, the encoding of the answers is the one the client asked for,
  // protobuf when it named none we know.
  const std::string_view type = detail::media_type(request.header("Content-Type"));
  const bool json_type = detail::equals_ignoring_case(type, "application/json");
  const otlp_encoding encoding = json_type ? otlp_encoding::json : otlp_encoding::protobuf;
  if (request.method != "POST") {
    http_response out = otlp_status_response(405, request.method + " " + std::string(otlp_traces_path) +
                                                       ": only POST is allowed", encoding);
    out.headers.emplace_back("Allow", "POST");
    return out;
  }
  if (!json_type && !detail::equals_ignoring_case(type, "application/x-protobuf"))
    return otlp_status_response(415, "Content-Type \"" + std::string(type) +
                                         "\" is not supported: send application/x-protobuf or application/json",
                                encoding);
  if (auto problem = decode_content_encoding(request, options.max_body_bytes))
    return otlp_status_response(problem->status, problem->message, encoding);

  otlp_export out;
  out.encoding = encoding;
  out.body_bytes = request.body.size();
  auto take = [&out](std::vector<span>&& batch) {
    if (out.spans.empty()) out.spans = std::move(batch);
    else out.spans.insert(out.spans.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
  };
  auto refused = [&out](refused_span&& bad) {
    if (out.rejected++ == 0) out.rejection = "span #" + std::to_string(bad.position) + ": " + std::move(bad.reason);
  };
  try {
    if (json_type) otlp::read(request.body, take, refused);
    else otlp::proto::decode_request(request.body, take, refused);
  } catch (const error& e) {
    return otlp_status_response(400, std::string("the request body is not a valid ExportTraceServiceRequest: ") + e.what(),
                                encoding);
  }
  if (out.rejected > 0)
    out.rejection = std::to_string(out.rejected) + " of " + std::to_string(out.rejected + static_cast<std::int64_t>(out.spans.size())) +
                    " spans refused; the first, " + out.rejection;
  return out;
}

inline http_response otlp_accepted(const otlp_export& stored) {
  http_response out;
  out.content_type = detail::content_type_of(stored.encoding);
  if (stored.encoding == otlp_encoding::protobuf) {
    out.body = otlp::proto::encode_response({stored.rejected, stored.rejection});
  } else {
    json::writer w(out.body);
    w.begin_object();
    if (stored.rejected > 0) {  // left unset when every span was taken, as the specification asks
      w.key("partialSuccess").begin_object();
      w.member("rejectedSpans", std::to_string(stored.rejected));  // proto3 JSON: int64 as a string
      w.member("errorMessage", stored.rejection);
      w.end_object();
    }
    w.end_object();
  }
  return out;
}

inline http_response otlp_unavailable(otlp_encoding encoding, std::string_view why, const ingest_options& options) {
  http_response out = otlp_status_response(503, "the store cannot take spans now: " + std::string(why), encoding);
  out.headers.emplace_back("Retry-After", std::to_string(options.retry_after.count()));
  return out;
}

template <class Store>
http_response ingest_otlp(Store& store, const http_request& request, const ingest_options& options) {
  auto decoded = decode_otlp_export(request, options);
  if (auto* refused = std::get_if<http_response>(&decoded)) return std::move(*refused);
  auto& batch = std::get<otlp_export>(decoded);
  try {
    if (!batch.spans.empty()) store.append(batch.spans);
  } catch (const error& e) {
    if (e.code() == errc::io_error) return otlp_unavailable(batch.encoding, e.what(), options);
    return otlp_status_response(500, std::string("the store refused the spans: ") + e.what(), batch.encoding);
  }
  return otlp_accepted(batch);
}

}  // namespace api
}  // namespace v0
}  // namespace trace
