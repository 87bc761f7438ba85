// The JSON reader must refuse bad input only with trace::error, and what it accepts must
// survive a write and a second read unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  trace::json::value doc;
  try {
    doc = trace::json::parse(text, {.max_depth = 64});
  } catch (const trace::error&) {
    return 0;
  }
  if (trace::json::parse(trace::json::serialize(doc), {.max_depth = 64}) != doc) std::abort();
  return 0;
}
