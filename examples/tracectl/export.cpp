// tracectl export: the matching spans in another format.

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include <trace/io/chrome_trace.hpp>
#include <trace/io/csv.hpp>
#include <trace/io/file.hpp>
#include <trace/io/jaeger_json.hpp>
#include <trace/io/otlp_protobuf.hpp>
#include <trace/io/otlp_writer.hpp>
#include <trace/io/zipkin.hpp>

#include "commands.hpp"

namespace tracectl {

void write_output(const arguments& args, const std::string& text) {
  if (auto file = args.value("output"); file && *file != "-") trace::write_file_text(*file, text);
  else print(text);
}

int run_export(const arguments& args) {
  const std::string format = args.required("to");
  if (format != "otlp" && format != "otlp-proto" && format != "jaeger" && format != "zipkin" && format != "chrome" &&
      format != "csv")
    throw usage_error("--to " + format + ": expected otlp, otlp-proto, jaeger, zipkin, chrome or csv");
  const trace::filter f = filter_of(args);
  const trace::mmap_store store = open_store(args);
  std::vector<trace::span> spans;
  for (trace::mmap_span s : store.scan())
    if (trace::matches(f, s)) spans.push_back(s.materialize());
  if (spans.empty()) {
    std::fputs("tracectl export: no matching spans; nothing written\n", stderr);
    return exit_not_found;
  }
  // Grouped by trace, in time order, so per-trace formats (Jaeger) and readers see traces whole.
  std::stable_sort(spans.begin(), spans.end(), [](const trace::span& a, const trace::span& b) {
    return std::tie(a.trace, a.start) < std::tie(b.trace, b.start);
  });
  std::string text;
  if (format == "otlp") text = trace::otlp::to_json(spans) + "\n";
  else if (format == "otlp-proto") text = trace::otlp::proto::encode_request(spans);  // binary: no newline
  else if (format == "jaeger") text = trace::jaeger::to_json(spans) + "\n";
  else if (format == "zipkin") text = trace::zipkin::to_json(spans) + "\n";
  else if (format == "chrome") text = trace::chrome::to_json(spans) + "\n";
  else text = trace::csv::to_csv(spans);
  write_output(args, text);
  if (auto file = args.value("output"); file && *file != "-")
    std::fprintf(stderr, "wrote %zu spans to %s (%s)\n", spans.size(), file->c_str(), format.c_str());
  return exit_ok;
}

}  // namespace tracectl
