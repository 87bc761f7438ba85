// The OTLP/HTTP exporter's handling of whatever a server answers, without sockets: the
// HTTP/1.1 response framing of net::http_client (status line, headers, Content-Length,
// chunked bodies, close-delimited bodies, the body limit), then what the exporter reads
// from the response (the error message of a google.rpc.Status or JSON body, a partial
// success in protobuf or JSON, Retry-After). Bad bytes may only raise trace::error.
//
// Input: u8 piece size (how many bytes each read from the "socket" returns, 1-64) | u8 body
// limit as a power of two | the response bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/instrument/otlp_http_exporter.hpp"
#include "trace/net/http_client.hpp"
#include "trace/net/retry_after.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace net = trace::net;
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const std::size_t limit = std::size_t{1} << (data[1] % 24);
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  auto more = [&input, piece](std::string& buffer, bool allow_eof) {
    if (input.empty()) {
      if (allow_eof) return false;
      throw net::http_error(net::http_failure::closed, "connection closed in the middle of the response");
    }
    const std::size_t n = std::min(piece, input.size());
    buffer.append(input.substr(0, n));
    input.remove_prefix(n);
    return true;
  };
  auto fail = [](net::http_failure kind, const std::string& what) { throw net::http_error(kind, what); };

  net::http_response response;
  try {
    std::string buffer;
    net::detail::read_response(buffer, response, limit, more, fail);
  } catch (const trace::error&) {
    return 0;
  }
  if (response.body.size() > limit) std::abort();  // the limit is the caller's memory bound
  if (response.status < 0 || response.status > 999) std::abort();

  for (auto protocol : {trace::otlp_protocol::http_protobuf, trace::otlp_protocol::http_json}) {
    (void)trace::detail::otlp_error_message(response, protocol);
    try {
      (void)trace::detail::otlp_partial_success(response, protocol);
    } catch (const trace::error&) {
    }
  }
  if (const std::string* after = response.header("Retry-After")) {
    auto wait = net::parse_retry_after(*after);
    if (wait && wait->count() < 0) std::abort();  // a date in the past is "now", never negative
  }
  return 0;
}
