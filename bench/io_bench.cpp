// OTLP JSON and OTLP protobuf throughput next to a plain read and a memcpy of the same
// bytes, in one run.
//
//   io_bench [spans=200000] [repeats=5] [--smoke] [--node tests/interop/protobuf.mjs]
//
// Writes a synthetic request (spans with attributes, events and links, spread over a few
// services) with the library's exporter to a temporary file, then times, best of `repeats`:
// reading the file's bytes; parsing them as a JSON tree; importing them as spans; the same
// spans as JSON Lines streamed line by line from the file; and the export itself. Then the
// same spans in protobuf: memcpy of the encoded bytes, a plain copy of the spans (the floor
// for any reader that builds owning spans), encode, decode into owning spans and into views
// of the bytes, and the ratios to the JSON writer and reader. `--smoke` runs 20000 spans twice (CI); `--node SCRIPT` also
// times the OpenTelemetry JS SDK's decode of the same protobuf bytes (one figure).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "trace/io/file.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"

namespace {

std::vector<trace::span> make_spans(std::size_t count) {
  const char* services[] = {"frontend", "cart", "payments", "inventory"};
  std::vector<trace::span> spans;
  spans.reserve(count);
  std::uint64_t state = 42;
  auto next = [&state] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (std::size_t i = 0; i < count; ++i) {
    trace::span s;
    s.trace = trace::trace_id(1, i / 8 + 1);
    s.id = trace::span_id(i + 1);
    if (i % 8) s.parent = trace::span_id(i - i % 8 + 1);
    s.name = "operation-" + std::to_string(next() % 50);
    s.kind = static_cast<trace::span_kind>(next() % 6);
    s.start = 1'700'000'000'000'000'000ULL + i * 1'000'000;
    s.end = s.start + next() % 50'000'000;
    if (next() % 20 == 0) s.status = {trace::status_code::error, "deadline exceeded"};
    s.attributes.set("http.method", std::string("GET"));
    s.attributes.set("http.status_code", static_cast<std::int64_t>(200 + next() % 300));
    s.attributes.set("http.url", "https://shop.example/items/" + std::to_string(next() % 10'000));
    s.attributes.set("retry.ratio", static_cast<double>(next() % 1000) / 1000.0);
    if (i % 4 == 0) s.events.push_back({s.start + 10, "cache miss", {{"key", std::string("item:42")}}, trace::event_level::warn, 0});
    if (i % 16 == 0) s.links.push_back({trace::trace_id(2, i + 1), trace::span_id(i + 7), {}, {}, 0});
    s.resource.service_name = services[(i / 8) % 4];
    s.resource.attributes.set("host.name", "host-" + std::to_string((i / 8) % 4));
    s.scope = {"bench", "1.0", {}, 0};
    spans.push_back(std::move(s));
  }
  return spans;
}

// Best wall-clock and best CPU time of `repeats` runs: on a shared machine the CPU time says
// what the code costs, the wall clock what a user waits.
struct timing {
  double wall = 1e300;
  double cpu = 1e300;
};

// Keeps the better of each clock.
void keep_best(timing& into, timing one) {
  into.wall = std::min(into.wall, one.wall);
  into.cpu = std::min(into.cpu, one.cpu);
}

template <class F>
timing best_of(int repeats, F&& run) {
  timing best;
  for (int r = 0; r < repeats; ++r) {
    auto begin = std::chrono::steady_clock::now();
    std::clock_t cpu_begin = std::clock();
    run();
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - begin;
    best.wall = std::min(best.wall, took.count());
    best.cpu = std::min(best.cpu, static_cast<double>(std::clock() - cpu_begin) / CLOCKS_PER_SEC);
  }
  return best;
}

void report(const char* what, std::size_t bytes, std::size_t spans, timing t) {
  auto mb = static_cast<double>(bytes) / 1e6;
  std::printf("%-40s %8.1f MB/s wall %8.1f MB/s cpu %10.0f spans/s cpu\n", what, mb / t.wall, mb / t.cpu,
              static_cast<double>(spans) / t.cpu);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 200'000;
  int repeats = 5;
  std::string node_script;
  auto usage = [](const std::string& problem) {
    std::fprintf(stderr, "io-bench: %s\nusage: io-bench [SPANS [REPEATS]] [--node SCRIPT] [--smoke]\n", problem.c_str());
    std::exit(2);
  };
  auto number = [&usage](const std::string& text, const char* what) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) usage(std::string(what) + " must be a positive number, not '" + text + "'");
    return value;
  };
  for (int i = 1, positional = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--smoke") count = 20'000, repeats = 2;
    else if (arg == "--node" && i + 1 < argc) node_script = argv[++i];
    else if (arg.starts_with("-")) usage("unknown option " + arg);
    else if (positional == 0) count = number(arg, "SPANS"), ++positional;
    else if (positional == 1) repeats = static_cast<int>(number(arg, "REPEATS")), ++positional;
    else usage("too many arguments");
  }
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path();
  fs::path document = dir / "trace-io-bench.json";
  fs::path lines = dir / "trace-io-bench.jsonl";

  std::vector<trace::span> spans = make_spans(count);
  // The JSON writer and the protobuf encoders take turns, round after round, so that the
  // ratio between them does not depend on which minutes of a shared machine each got. The
  // protobuf encoders: one kept from one request to the next, as an exporter holds it (the
  // JSON writer also reuses its output string), and the one-call form, whose thread-local
  // encoder gives back what a request over 8 MiB took.
  std::string text, encoded;
  trace::otlp::proto::request_encoder encoder;
  timing export_time, encode_time, one_call_time;
  for (int r = 0; r < repeats; ++r) {
    keep_best(export_time, best_of(1, [&] {
           text.clear();
           trace::otlp::write(text, spans);
         }));
    keep_best(encode_time, best_of(1, [&] {
           encoded.clear();
           encoder.encode(encoded, spans);
         }));
    keep_best(one_call_time, best_of(1, [&] {
           encoded.clear();
           trace::otlp::proto::encode_request(encoded, spans);
         }));
  }
  trace::write_file_text(document, text);
  {
    std::ofstream out(lines, std::ios::binary);
    for (std::size_t i = 0; i < spans.size(); i += 1000) {  // one request per 1000 spans
      std::vector<trace::span> batch(spans.begin() + static_cast<std::ptrdiff_t>(i),
                                     spans.begin() + static_cast<std::ptrdiff_t>(std::min(spans.size(), i + 1000)));
      trace::otlp::write_line(out, batch);
    }
  }
  const std::size_t bytes = text.size();
  const std::size_t line_bytes = static_cast<std::size_t>(fs::file_size(lines));
  std::printf("%zu spans, OTLP JSON document %.1f MB, JSON Lines %.1f MB, best of %d\n", count,
              static_cast<double>(bytes) / 1e6, static_cast<double>(line_bytes) / 1e6, repeats);

  std::size_t sink = 0;
  report("plain read of the file into memory", bytes, count,
         best_of(repeats, [&] { sink += trace::read_file_text(document).size(); }));
  report("JSON tree of the text (json::parse)", bytes, count,
         best_of(repeats, [&] { sink += trace::json::parse(text).type() == trace::json::kind::object; }));
  // The JSON reader and the protobuf decoders take turns too (the request is encoded above).
  timing json_read, decode_time, view_time;
  for (int r = 0; r < repeats; ++r) {
    keep_best(json_read, best_of(1, [&] { sink += trace::otlp::read(text).size(); }));
    keep_best(decode_time, best_of(1, [&] { sink += trace::otlp::proto::decode_request(encoded).size(); }));
    // Ingest paths decode into views of the bytes (stores take basic_span<String> batches).
    keep_best(view_time, best_of(1, [&] { sink += trace::otlp::proto::decode_request_views(encoded).spans().size(); }));
  }
  report("OTLP import from memory (otlp::read)", bytes, count, json_read);
  report("OTLP import from the file (read_file)", bytes, count,
         best_of(repeats, [&] { sink += trace::otlp::read_file(document).size(); }));
  report("JSON Lines streamed from the file", line_bytes, count, best_of(repeats, [&] {
           std::ifstream in(lines, std::ios::binary);
           sink += trace::otlp::read_lines(in, [](std::vector<trace::span>&&) {});
         }));
  report("OTLP export (otlp::write)", bytes, count, export_time);

  // The same spans in protobuf (encoded above).
  const std::size_t pb_bytes = encoded.size();
  std::printf("\nOTLP protobuf request %.1f MB: %.1f bytes/span (JSON %.1f bytes/span, %.2fx)\n",
              static_cast<double>(pb_bytes) / 1e6, static_cast<double>(pb_bytes) / static_cast<double>(count),
              static_cast<double>(bytes) / static_cast<double>(count), static_cast<double>(bytes) / static_cast<double>(pb_bytes));
  std::string copy(pb_bytes, '\0');
  report("memcpy of the protobuf bytes", pb_bytes, count, best_of(repeats, [&] {
           std::memcpy(copy.data(), encoded.data(), pb_bytes);
           sink += static_cast<unsigned char>(copy[pb_bytes / 2]);
         }));
  // What any reader into owning spans pays at least: the allocations and copies of the spans.
  report("copy of the spans (std::vector<span>)", pb_bytes, count, best_of(repeats, [&] {
           std::vector<trace::span> copy_of_spans = spans;
           sink += copy_of_spans.size();
         }));
  report("protobuf encode (proto::request_encoder)", pb_bytes, count, encode_time);
  report("protobuf encode (proto::encode_request)", pb_bytes, count, one_call_time);
  report("protobuf decode (proto::decode_request)", pb_bytes, count, decode_time);
  report("protobuf decode to views (_views)", pb_bytes, count, view_time);
  std::printf("protobuf vs OTLP JSON, spans/s cpu: decode %.1fx the JSON reader (to views %.1fx), encode %.1fx the JSON writer\n",
              json_read.cpu / decode_time.cpu, json_read.cpu / view_time.cpu, export_time.cpu / encode_time.cpu);

  if (!node_script.empty()) {
    fs::path pb_file = dir / "trace-io-bench.pb";
    trace::write_file_text(pb_file, encoded);
    std::string command = "node '" + node_script + "' bench '" + pb_file.string() + "'";
    std::fflush(stdout);
    if (std::system(command.c_str()) != 0) std::printf("(the Node figure failed: %s)\n", command.c_str());
    fs::remove(pb_file);
  }

  fs::remove(document);
  fs::remove(lines);
  return sink == 0;  // keeps the work observable
}
