// Converts traces between formats.
//
//   convert <input> <output> [--from otlp|otlp-lines|otlp-proto|jaeger|zipkin|parquet]
//           [--to otlp|otlp-lines|otlp-proto|jaeger|zipkin|chrome|csv|parquet]
//
// Without --from the input format is recognised from the content; without --to the output
// format follows the output file's extension (.jsonl → otlp-lines, .pb → otlp-proto: one
// protobuf ExportTraceServiceRequest, as OTLP/HTTP sends it; .parquet → parquet, one row per
// span, snappy; .csv → csv, names
// containing "chrome" or "perfetto" → chrome, "jaeger" → jaeger, "zipkin" → zipkin, else otlp).
// "-" as output writes to standard output. Run without arguments, it converts a small
// built-in OTLP document to every output format and prints the results.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/io.hpp"
#include "trace/io/parquet.hpp"

namespace {

const char* const sample = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
 "scopeSpans":[{"scope":{"name":"demo","version":"1.0"},"spans":[
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"GET /cart","kind":2,
   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
   "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{}},
  {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba902b7",
   "name":"SELECT cart","kind":3,"startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000200000000",
   "events":[{"timeUnixNano":"1700000000150000000","name":"slow query"}],
   "status":{"code":2,"message":"timeout"}}]}]}]})";

std::string detect_input(std::string_view text) {
  // A protobuf request starts with field 1, length-delimited (0x0a); JSON with '{' or '['.
  if (!text.empty() && text.front() == '\x0a') return "otlp-proto";
  if (text.starts_with("PAR1")) return "parquet";
  if (text.find("\"resourceSpans\"") != std::string_view::npos) return "otlp";
  if (text.find("\"traceID\"") != std::string_view::npos) return "jaeger";
  if (text.find("\"traceId\"") != std::string_view::npos) return "zipkin";
  throw trace::error(trace::errc::invalid_argument, "cannot tell the input format; pass --from");
}

std::string format_for_output(std::string_view path) {
  auto has = [&path](std::string_view part) { return path.find(part) != std::string_view::npos; };
  if (path.ends_with(".jsonl") || path.ends_with(".ndjson")) return "otlp-lines";
  if (path.ends_with(".csv")) return "csv";
  if (path.ends_with(".parquet")) return "parquet";
  if (path.ends_with(".pb") || path.ends_with(".binpb")) return "otlp-proto";
  if (has("chrome") || has("perfetto")) return "chrome";
  if (has("jaeger")) return "jaeger";
  if (has("zipkin")) return "zipkin";
  return "otlp";
}

std::vector<trace::span> read(const std::string& format, const std::string& text) {
  if (format == "otlp" || format == "otlp-lines") return trace::otlp::read(text);
  if (format == "otlp-proto") return trace::otlp::proto::decode_request(text);
  if (format == "jaeger") return trace::jaeger::read(text);
  if (format == "zipkin") return trace::zipkin::read(text);
  if (format == "parquet") return trace::parquet::reader(text).read_all();
  throw trace::error(trace::errc::invalid_argument, "unknown input format \"" + format + "\"");
}

std::string write(const std::string& format, const std::vector<trace::span>& spans) {
  if (format == "otlp") return trace::otlp::to_json(spans) + "\n";
  if (format == "otlp-lines") {
    std::ostringstream out;  // one request per trace, so a reader can stream trace by trace
    std::vector<trace::span> batch;
    for (std::size_t i = 0; i < spans.size(); ++i) {
      batch.push_back(spans[i]);
      if (i + 1 == spans.size() || spans[i + 1].trace != spans[i].trace) {
        trace::otlp::write_line(out, batch);
        batch.clear();
      }
    }
    return out.str();
  }
  if (format == "otlp-proto") return trace::otlp::proto::encode_request(spans);
  if (format == "jaeger") return trace::jaeger::to_json(spans) + "\n";
  if (format == "zipkin") return trace::zipkin::to_json(spans) + "\n";
  if (format == "chrome") return trace::chrome::to_json(spans) + "\n";
  if (format == "csv") return trace::csv::to_csv(spans);
  if (format == "parquet") {
    std::ostringstream out;
    trace::parquet::writer writer(out);
    for (const auto& s : spans) writer.write(s);
    writer.close();
    return std::move(out).str();
  }
  throw trace::error(trace::errc::invalid_argument, "unknown output format \"" + format + "\"");
}

int demo() {
  std::vector<trace::span> spans = trace::otlp::read(sample);
  for (const char* format : {"jaeger", "zipkin", "chrome", "csv"}) {
    std::cout << "== " << format << "\n" << write(format, spans);
    // Every readable output reads back to the same number of spans.
    if (std::string_view(format) == "jaeger" || std::string_view(format) == "zipkin")
      std::cout << "(read back: " << read(format, write(format, spans)).size() << " spans)\n";
  }
  // Parquet is binary: its size and whether every field of every span comes back.
  const std::string parquet = write("parquet", spans);
  std::cout << "== parquet\n" << parquet.size() << " bytes, read back " << (read("parquet", parquet) == spans ? "equal" : "DIFFERENT")
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) return demo();
  try {
    std::vector<std::string> positional;
    std::string from, to;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if ((arg == "--from" || arg == "--to") && i + 1 < argc) (arg == "--from" ? from : to) = argv[++i];
      else positional.push_back(arg);
    }
    if (positional.size() != 2) {
      std::cerr << "usage: convert <input> <output> [--from format] [--to format]\n";
      return 2;
    }
    std::string text = trace::read_file_text(positional[0]);
    if (from.empty()) from = detect_input(text);
    if (to.empty()) to = format_for_output(positional[1]);
    std::vector<trace::span> spans = read(from, text);
    std::string out = write(to, spans);
    if (positional[1] == "-") std::cout << out;
    else trace::write_file_text(positional[1], out);
    std::cerr << "converted " << spans.size() << " spans from " << from << " to " << to << "\n";
    return 0;
  } catch (const trace::error& e) {
    std::cerr << "convert: " << e.what() << "\n";
    return 1;
  }
}
