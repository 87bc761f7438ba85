// The Zipkin JSON reader refuses bad input only with trace::error; what it accepts, the
// writer exports and the reader takes back without complaint.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trace/io/zipkin.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<trace::span> spans;
  try {
    spans = trace::zipkin::read(text, {.max_depth = 64});
  } catch (const trace::error&) {
    return 0;
  }
  trace::zipkin::read(trace::zipkin::to_json(spans));
  return 0;
}
