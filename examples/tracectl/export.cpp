// tracectl export: the matching spans in another format.

#include <algorithm>
#include <cstdlib>  // strtoull
#include <cstdio>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <trace/io/chrome_trace.hpp>
#include <trace/io/csv.hpp>
#include <trace/io/file.hpp>
#include <trace/io/jaeger_json.hpp>
#include <trace/io/otlp_protobuf.hpp>
#include <trace/io/otlp_writer.hpp>
#include <trace/io/parquet/writer.hpp>
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
      format != "csv" && format != "parquet")
    throw usage_error("--to " + format + ": expected otlp, otlp-proto, jaeger, zipkin, chrome, csv or parquet");
  trace::parquet::write_options parquet_options;
  if (auto rows = args.value("row-group-rows")) {
    parquet_options.row_group_rows = static_cast<std::size_t>(std::strtoull(rows->c_str(), nullptr, 10));
    if (parquet_options.row_group_rows == 0) throw usage_error("--row-group-rows " + *rows + ": expected a positive count");
  }
  if (auto codec = args.value("compression")) {
    if (*codec == "none") parquet_options.codec = trace::parquet::compression::uncompressed;
    else if (*codec != "snappy") throw usage_error("--compression " + *codec + ": expected snappy or none");
  }
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
  else if (format == "parquet") {
    std::ostringstream out;
    trace::parquet::writer writer(out, parquet_options);
    for (const auto& s : spans) writer.write(s);
    writer.close();
    text = std::move(out).str();
  } else text = trace::csv::to_csv(spans);
  write_output(args, text);
  if (auto file = args.value("output"); file && *file != "-")
    std::fprintf(stderr, "wrote %zu spans to %s (%s)\n", spans.size(), file->c_str(), format.c_str());
  return exit_ok;
}

}  // namespace tracectl
