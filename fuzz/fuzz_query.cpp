// The query parsers and the regular-expression engine must refuse bad input only with
// trace::error, in time linear in the input; what they accept must evaluate without a fault.
// The input is read three times: as a bare query evaluated on a fixed span, as a TraceQL
// query searched (or, with a metrics function, measured) on a small store of broken and
// whole traces, and as a pattern matched against a few texts (and against itself).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/core/span.hpp"
#include "trace/query/regex.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/metrics.hpp"
#include "trace/query/traceql/search.hpp"
#include "trace/store/memory.hpp"

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

// Three traces: a root with a child and a grandchild; an orphan with a child; a span whose
// id repeats. Events, links and array attributes give every intrinsic something to read.
const trace::memory_store& small_store() {
  static const trace::memory_store store = [] {
    std::vector<trace::span> spans;
    auto add = [&spans](std::uint64_t trace, std::uint64_t id, std::uint64_t parent, trace::status_code status) {
      trace::span s = fixed_span();
      s.trace = trace::trace_id{7, trace};
      s.id = trace::span_id{id};
      s.parent = trace::span_id{parent};
      s.start += id * 1'000'000;
      s.end += id * 2'000'000;
      s.status.code = status;
      spans.push_back(std::move(s));
    };
    add(1, 1, 0, trace::status_code::ok);
    add(1, 2, 1, trace::status_code::error);
    add(1, 3, 2, trace::status_code::unset);
    add(2, 4, 99, trace::status_code::error);
    add(2, 5, 4, trace::status_code::unset);
    add(3, 6, 0, trace::status_code::unset);
    add(3, 6, 0, trace::status_code::error);
    spans[1].events.push_back(trace::event{spans[1].start + 5, "retry", {}, {}, 0});
    spans[2].links.push_back(trace::link{trace::trace_id{7, 1}, trace::span_id{1}, {}, {}, 0, 0});
    spans[3].attributes.set("tags", std::vector<std::string>{"a", "b"});
    trace::memory_store out;
    out.append(spans);
    return out;
  }();
  return store;
}

void run_traceql(std::string_view text) {
  const trace::traceql::query q = trace::parse_traceql_query(text);
  if (q.metrics) {
    trace::traceql_metrics_range range;
    range.start = 1714564800000000000;
    range.end = range.start + 60'000'000'000;
    range.step = 1'000'000'000;
    for (const auto& series : trace::traceql_metrics(small_store(), q, range))
      if (series.points.empty() || series.points.size() > 60) std::abort();
    return;
  }
  for (const auto& t : trace::search_traceql(small_store(), q))
    for (const auto& set : t.spansets)
      if (set.spans.empty() || set.spans.size() > set.matched) std::abort();
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
    run_traceql(text);
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
