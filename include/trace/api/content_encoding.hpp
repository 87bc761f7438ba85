#pragma once
// Request bodies sent with `Content-Encoding: gzip`, inflated before a route reads them, with
// the body limit applied to the inflated size (a small gzip body may inflate a thousandfold).
// Inflating needs zlib: a program defines TRACE_WITH_ZLIB and links zlib (CMake: ZLIB::ZLIB),
// as for net/gzip.hpp; without it a gzip body is refused with 415.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#ifdef TRACE_WITH_ZLIB
#include <zlib.h>  // inflateInit2, inflate, inflateEnd
#endif

#include "trace/api/http_exchange.hpp"

namespace trace {
inline namespace v0 {
namespace api {

// What inflating a body came to: the body, or why not.
enum class inflate_outcome { done, too_large, malformed };

// Inflates one gzip member from `in` into `out`, stopping past `max_bytes` of output.
inline inflate_outcome gunzip(std::string_view in, std::size_t max_bytes, std::string& out);

// Why a request cannot be used: the HTTP status to answer with and a message for people.
struct request_problem {
  int status = 400;
  std::string message;
};

// Inflates `request.body` in place when its Content-Encoding is gzip and drops the header,
// so routes see the plain body. Says why not instead when the body cannot be used: 413 when
// it is (or inflates to) more than `max_bytes`, 400 when the gzip is malformed, 415 for an
// encoding other than gzip or identity (or gzip without zlib built in).
inline std::optional<request_problem> decode_content_encoding(http_request& request, std::size_t max_bytes);

// ---------------------------------------------------------------------------------------

inline inflate_outcome gunzip(std::string_view in, std::size_t max_bytes, std::string& out) {
#ifdef TRACE_WITH_ZLIB
  out.clear();
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return inflate_outcome::malformed;  // 15 + 16: gzip only
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());  // the caller's body limit keeps it well below 4 GiB
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - stream.avail_out;
    if (out.size() + produced > max_bytes) {
      inflateEnd(&stream);
      return inflate_outcome::too_large;
    }
    out.append(chunk, produced);
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) break;  // input ended before the stream did
  }
  const bool whole = rc == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  return whole ? inflate_outcome::done : inflate_outcome::malformed;
#else
  (void)in, (void)max_bytes, (void)out;
  return inflate_outcome::malformed;
#endif
}

inline std::optional<request_problem> decode_content_encoding(http_request& request, std::size_t max_bytes) {
  const std::string_view encoding = request.header("Content-Encoding");
  if (request.body.size() > max_bytes)
    return request_problem{413, "the request body is " + std::to_string(request.body.size()) +
                                   " bytes, over the limit of " + std::to_string(max_bytes)};
  if (encoding.empty() || detail::equals_ignoring_case(encoding, "identity")) return std::nullopt;
  if (!detail::equals_ignoring_case(encoding, "gzip"))
    return request_problem{415, "Content-Encoding " + std::string(encoding) + " is not supported (gzip or identity)"};
#ifdef TRACE_WITH_ZLIB
  std::string plain;
  switch (gunzip(request.body, max_bytes, plain)) {
    case inflate_outcome::too_large:
      return request_problem{413, "the gzip request body inflates to more than the limit of " +
                                     std::to_string(max_bytes) + " bytes"};
    case inflate_outcome::malformed:
      return request_problem{400, "the request body is not valid gzip (Content-Encoding: gzip)"};
    case inflate_outcome::done: break;
  }
  request.body = std::move(plain);
  std::erase_if(request.headers, [](const auto& h) { return detail::equals_ignoring_case(h.first, "Content-Encoding"); });
  return std::nullopt;
#else
  return request_problem{415, "Content-Encoding gzip needs a server built with zlib (TRACE_WITH_ZLIB)"};
#endif
}

}  // namespace api
}  // namespace v0
}  // namespace trace
