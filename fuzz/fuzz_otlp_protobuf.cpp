// The OTLP protobuf decoder refuses bad bytes only with trace::error; whatever it accepts,
// the encoder writes and the decoder reads back to the same spans and the same bytes. The
// response and status decoders are fed the same bytes. Decoding into views must refuse the
// same inputs and give the same spans. The lenient decode throws only where the strict one
// does, with the same message, and keeps or reports every span the strict one read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/core/convert.hpp"
#include "trace/io/otlp_protobuf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace pb = trace::otlp::proto;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    pb::decode_response(bytes);
  } catch (const trace::error&) {
  }
  try {
    pb::decode_status(bytes);
  } catch (const trace::error&) {
  }
  std::size_t kept = 0, refused = 0;
  std::string lenient_error;
  try {
    pb::decode_request(bytes, [&kept](std::vector<trace::span>&& batch) { kept += batch.size(); },
                       [&refused](trace::refused_span&&) { ++refused; });
  } catch (const trace::error& e) {
    lenient_error = e.what();
  }
  std::vector<trace::span> spans;
  try {
    spans = pb::decode_request(bytes);
  } catch (const trace::error& e) {
    if (refused == 0) {  // then both read the same spans up to the damage, and stop at it
      if (lenient_error.empty()) std::abort();
      if (lenient_error != e.what()) std::abort();
    }
    try {
      pb::decode_request_views(bytes);
    } catch (const trace::error&) {
      return 0;
    }
    std::abort();  // the views accepted what the owning decode refused
  }
  if (!lenient_error.empty() || kept + refused != spans.size()) std::abort();
  const pb::request_views views = pb::decode_request_views(bytes);
  if (views.spans().size() != spans.size()) std::abort();
  for (std::size_t i = 0; i < spans.size(); ++i)
    if (trace::to_owned(views.spans()[i]) != spans[i]) std::abort();
  std::string encoded = pb::encode_request(spans);
  std::vector<trace::span> back = pb::decode_request(encoded);
  if (back.size() != spans.size() || pb::encode_request(back) != encoded) std::abort();
  return 0;
}
