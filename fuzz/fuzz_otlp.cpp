// The OTLP JSON reader refuses bad input only with trace::error; whatever it accepts, the
// writer exports and the reader reads back to the same export.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<trace::span> spans;
  try {
    spans = trace::otlp::read(text, {.max_depth = 64});
  } catch (const trace::error&) {
    return 0;
  }
  std::string exported = trace::otlp::to_json(spans);
  if (trace::otlp::to_json(trace::otlp::read(exported)) != exported) std::abort();
  return 0;
}
