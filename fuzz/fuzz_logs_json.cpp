// The JSON log readers: OTLP logs JSON, one ExportLogsServiceRequest or one per line
// (io/otlp_logs_json.hpp), and plain JSON Lines logs (io/log_lines.hpp), fed the same bytes.
// Each refuses bad text only with trace::error, reads the same text to the same records
// twice, and what it accepts keeps the model's rules: a log store takes it whole.
// Seeds: fuzz/corpus/logs_json, the shop trace's sample logs (examples/tracectl/sample) and
// OTLP's other spellings (base64 ids, names for enums, integers as numbers, bodies that
// are not text, an observed time only).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "trace/io/log_lines.hpp"
#include "trace/io/otlp_logs_json.hpp"
#include "trace/store/log_store.hpp"

namespace {

template <class Read>
void check(std::string_view text, Read read) {
  std::vector<trace::log_record> logs;
  try {
    logs = read(text);
  } catch (const trace::error&) {
    return;
  }
  if (read(text) != logs) std::abort();
  trace::log_store store;
  store.append(logs);  // a refusal here escapes as an uncaught trace::error: a finding
  if (store.size() != logs.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, [](std::string_view t) { return trace::otlp::read_logs(t); });
  check(text, [](std::string_view t) { return trace::read_log_lines(t); });
  return 0;
}
