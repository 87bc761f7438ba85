#pragma once
// gzip for HTTP request bodies (`Content-Encoding: gzip`), as an opt-in: the library itself
// needs no compression library. A program that wants gzip defines TRACE_WITH_ZLIB before
// including trace headers (or with -DTRACE_WITH_ZLIB) and links zlib (CMake: ZLIB::ZLIB);
// without it `gzip_available` is false and `gzip_compress` refuses with a trace::error.

#include <string>
#include <string_view>

#ifdef TRACE_WITH_ZLIB
#include <zlib.h>  // deflateInit2, deflate, deflateEnd
#endif

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace net {

#ifdef TRACE_WITH_ZLIB
inline constexpr bool gzip_available = true;
#else
inline constexpr bool gzip_available = false;
#endif

// `data` as one gzip member (RFC 1952).
inline std::string gzip_compress(std::string_view data) {
#ifdef TRACE_WITH_ZLIB
  if (data.size() > 0xffffffffu) throw error(errc::invalid_argument, "gzip: input over 4 GiB");
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw error(errc::io_error, "gzip: deflateInit2 failed");
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);  // deflateBound guarantees one call suffices
  const auto written = stream.total_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw error(errc::io_error, "gzip: deflate did not finish (" + std::to_string(rc) + ")");
  out.resize(written);
  return out;
#else
  (void)data;
  throw error(errc::invalid_option, "gzip compression needs zlib: build with TRACE_WITH_ZLIB defined and link zlib");
#endif
}

}  // namespace net
}  // namespace v0
}  // namespace trace
