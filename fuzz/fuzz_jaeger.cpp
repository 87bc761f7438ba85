// The Jaeger JSON reader refuses bad input only with trace::error; what it accepts, the
// writer exports and the reader takes back without complaint.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trace/io/jaeger_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<trace::span> spans;
  try {
    spans = trace::jaeger::read(text, {.max_depth = 64});
  } catch (const trace::error&) {
    return 0;
  }
  trace::jaeger::read(trace::jaeger::to_json(spans));
  return 0;
}
