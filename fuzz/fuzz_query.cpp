// The query parser and the regular-expression engine must refuse bad input only with
// trace::error, in time linear in the input; what they accept must evaluate without a fault.
// The input is read twice: as a TraceQL query evaluated on a fixed span, and as a pattern
// matched against a few texts (and against itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/core/span.hpp"
#include "trace/query/regex.hpp"
#include "trace/query/traceql.hpp"

namespace {

trace::span fixed_span() {
  trace::span s;
  s.trace = trace::trace_id{1, 2};
  s.id = trace::span_id{3};
  s.name = "GET /api/orders/7";
  s.resource.service_name = "api";
  s.kind = trace::span_kind::server;
  s.start = 1714564800000000000;
  s.end = s.start + 120'000'000;
  s.attributes.set("http.status_code", std::int64_t{503});
  s.attributes.set("http.method", std::string("GET"));
  s.attributes.set("note", std::string("read timeout after 5s: \xC3\xA9\xE6\x97\xA5"));
  s.attributes.set("ratio", 0.25);
  s.attributes.set("cached", false);
  s.scope = {"http-server", "1.4.0", {}, 0};
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const trace::span span = fixed_span();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const trace::filter f = trace::parse_traceql(text);
    if (f.depth() > trace::filter::max_depth) std::abort();
    const trace::filter copy = f;
    if (trace::matches(f, span) != trace::matches(copy, span)) std::abort();
  } catch (const trace::error&) {
  }
  try {
    const trace::regex re(text);
    // The input as a text too, cut short: matching costs text length x program size, and a
    // program may have 50,000 instructions.
    for (std::string_view subject : {std::string_view("GET /api/orders/7"), std::string_view(""),
                                     std::string_view("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), std::string_view("\xC3\xA9\xFF\n"),
                                     text.substr(0, 256)}) {
      // A full match is also a match somewhere.
      if (re.full_match(subject) && !re.search(subject)) std::abort();
    }
  } catch (const trace::error&) {
  }
  return 0;
}
