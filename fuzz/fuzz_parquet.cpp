// The Parquet reader refuses bad input only with trace::error; what it accepts, the writer
// writes again, and that file reads back and writes to the same bytes (a comparison of spans
// would trip over NaN attributes, which equal nothing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "trace/io/parquet.hpp"

namespace {

std::string write(const std::vector<trace::span>& spans) {
  std::ostringstream out;
  trace::parquet::writer w(out, {.row_group_rows = 3, .codec = trace::parquet::compression::snappy});
  for (const auto& s : spans) w.write(s);
  w.close();
  return std::move(out).str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<trace::span> spans;
  try {
    spans = trace::parquet::reader(std::string(reinterpret_cast<const char*>(data), size)).read_all();
  } catch (const trace::error&) {
    return 0;
  }
  const std::string once = write(spans);
  const std::string twice = write(trace::parquet::reader(once).read_all());
  if (once != twice) std::abort();
  return 0;
}
