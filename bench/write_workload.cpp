// Writes the benchmark workload (bench/workload.hpp) to a file, for timing importers on it:
//
//   write-workload SPANS FILE [otlp-lines|otlp|jaeger|zipkin]
//
// otlp-lines (the default): OTLP JSON Lines, one request per 1000 spans, as a collector's
// file exporter writes; otlp: one OTLP JSON request; jaeger and zipkin: one document.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>

#include "trace/io/file.hpp"
#include "trace/io/jaeger_json.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/io/zipkin.hpp"
#include "workload.hpp"

int main(int argc, char** argv) try {
  if (argc < 3 || argc > 4) {
    std::fputs("usage: write-workload SPANS FILE [otlp-lines|otlp|jaeger|zipkin]\n", stderr);
    return 64;
  }
  const std::size_t count = std::strtoull(argv[1], nullptr, 10);
  const std::string format = argc == 4 ? argv[3] : "otlp-lines";
  const bench::workload w = bench::generate({.spans = count});
  if (format == "otlp-lines") {
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    constexpr std::size_t per_line = 1000;
    for (std::size_t i = 0; i < w.spans.size(); i += per_line)
      trace::otlp::write_line(out, std::span(w.spans).subspan(i, std::min(per_line, w.spans.size() - i)));
    if (!out.flush()) throw trace::error(trace::errc::io_error, std::string("cannot write ") + argv[2]);
  } else if (format == "otlp" || format == "jaeger" || format == "zipkin") {
    std::string text;
    if (format == "otlp") trace::otlp::write(text, w.spans);
    else if (format == "jaeger") trace::jaeger::write(text, w.spans);
    else trace::zipkin::write(text, w.spans);
    trace::write_file_text(argv[2], text);
  } else {
    std::fprintf(stderr, "write-workload: unknown format %s\n", format.c_str());
    return 64;
  }
  std::printf("%zu spans written to %s (%s)\n", w.spans.size(), argv[2], format.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "write-workload: %s\n", e.what());
  return 1;
}
