// Streaming import: the readers hand spans over in batches while they parse, from a text or
// a stream of documents; the batches put together are exactly what the whole-text read
// gives, for every fixture and format, and an error names its position and how many spans
// the sink already had.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "trace/io/file.hpp"
#include "trace/io/jaeger_json.hpp"
#include "trace/io/json_documents.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/io/zipkin.hpp"
#include "support/make_span.hpp"

using namespace trace;
namespace fs = std::filesystem;

namespace {

// Every OTLP JSON file the tests ship and the Jaeger conformance fixtures.
std::vector<fs::path> fixture_files() {
  std::vector<fs::path> out{fs::path(TRACE_TEST_DATA_DIR) / "otel-js-sdk.json"};
  for (const auto& entry : fs::directory_iterator(fs::path(TRACE_CONFORMANCE_DIR) / "jaeger" / "traces"))
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  REQUIRE(out.size() > 10);
  return out;
}

// What a sink was handed: the batches' sizes and their spans in order.
struct collected {
  std::vector<std::size_t> sizes;
  std::vector<span> spans;
  auto sink() {
    return [this](std::vector<span>&& batch) {
      sizes.push_back(batch.size());
      spans.insert(spans.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    };
  }
};

// Every batch but the last holds at least `batch_spans` spans; the last is not empty.
void check_batch_rule(const collected& c, std::size_t batch_spans) {
  for (std::size_t i = 0; i + 1 < c.sizes.size(); ++i) CHECK(c.sizes[i] >= batch_spans);
  if (!c.sizes.empty()) CHECK(c.sizes.back() > 0);
}

template <class Read, class ReadLines>
void check_streams_equal_whole(const std::string& text, const std::vector<span>& whole, Read read, ReadLines read_lines) {
  for (std::size_t batch_spans : {std::size_t{1}, std::size_t{3}, default_batch_spans}) {
    INFO("batch_spans " << batch_spans);
    collected from_text;
    CHECK(read(text, from_text.sink(), batch_spans) == whole.size());
    CHECK(from_text.spans == whole);
    check_batch_rule(from_text, batch_spans);

    std::istringstream in(text);
    collected from_stream;
    CHECK(read_lines(in, from_stream.sink(), batch_spans) == whole.size());
    CHECK(from_stream.spans == whole);
    check_batch_rule(from_stream, batch_spans);
  }
}

template <class Sink>
std::string error_of(Sink&& read) {
  try {
    read();
  } catch (const error& e) {
    return e.what();
  }
  return "no error";
}

span numbered(std::uint64_t n, std::uint64_t parent = 0) {
  return trace_test::make_span(7, n, parent, "svc", "op-" + std::to_string(n), 1000 + n, 1001 + n);
}

}  // namespace

TEST_CASE("OTLP batches put together are the whole-file read, for every fixture, from a text and from the file") {
  for (const fs::path& file : fixture_files()) {
    INFO(file.filename().string());
    const std::vector<span> whole = otlp::read_file(file);
    REQUIRE_FALSE(whole.empty());
    check_streams_equal_whole(
        read_file_text(file), whole,
        [](const std::string& t, auto sink, std::size_t n) { return otlp::read(t, sink, {}, n); },
        [](std::istream& in, auto sink, std::size_t n) { return otlp::read_lines(in, sink, {}, n); });
    std::ifstream in(file, std::ios::binary);
    collected from_file;
    otlp::read_lines(in, from_file.sink(), {}, 2);
    CHECK(from_file.spans == whole);
  }
}

TEST_CASE("Jaeger and Zipkin batches put together are the whole read, for every fixture") {
  for (const fs::path& file : fixture_files()) {
    INFO(file.filename().string());
    const std::vector<span> spans = otlp::read_file(file);
    const std::string jaeger_text = jaeger::to_json(spans);
    check_streams_equal_whole(
        jaeger_text, jaeger::read(jaeger_text),
        [](const std::string& t, auto sink, std::size_t n) { return jaeger::read(t, sink, {}, n); },
        [](std::istream& in, auto sink, std::size_t n) { return jaeger::read_lines(in, sink, {}, n); });
    const std::string zipkin_text = zipkin::to_json(spans);
    check_streams_equal_whole(
        zipkin_text, zipkin::read(zipkin_text),
        [](const std::string& t, auto sink, std::size_t n) { return zipkin::read(t, sink, {}, n); },
        [](std::istream& in, auto sink, std::size_t n) { return zipkin::read_lines(in, sink, {}, n); });
  }
}

TEST_CASE("a stream of every fixture, one request per line or pretty-printed, is every fixture's spans in order") {
  std::vector<span> all;
  std::string lines, pretty;
  for (const fs::path& file : fixture_files()) {
    const std::string text = read_file_text(file);
    std::vector<span> spans = otlp::read(text);
    std::ostringstream line;
    otlp::write_line(line, spans);
    lines += line.str() + "\n";  // a blank line between records is skipped
    pretty += text + "\n";
    all.insert(all.end(), spans.begin(), spans.end());
  }
  for (const std::string* text : {&lines, &pretty}) {
    std::istringstream in(*text);
    collected c;
    CHECK(otlp::read_lines(in, c.sink(), {}, 5) == all.size());
    CHECK(c.spans == all);
    check_batch_rule(c, 5);
    CHECK(otlp::read(*text) == all);
  }
}

TEST_CASE("a parse error mid-stream names its line and column and how many spans were handed over") {
  std::ostringstream text;
  for (std::uint64_t line = 0; line < 3; ++line)
    otlp::write_line(text, std::vector<span>{numbered(2 * line + 1), numbered(2 * line + 2)});
  text << R"({"resourceSpans":[{"scopeSpans":[{"spans":[{]}]}]})" << "\n";
  std::istringstream in(text.str());
  collected c;
  CHECK(error_of([&] { otlp::read_lines(in, c.sink(), {}, 2); }) ==
        "parse error: line 4, column 45: expected a string as object key (6 spans were handed over before it)");
  CHECK(c.spans.size() == 6);
  CHECK(c.spans.back() == numbered(6));

  // Batches of 4: the fifth and sixth span were read but not handed over, so they are dropped.
  std::istringstream again(text.str());
  collected fewer;
  CHECK(error_of([&] { otlp::read_lines(again, fewer.sink(), {}, 4); }).ends_with("(4 spans were handed over before it)"));
  CHECK(fewer.spans.size() == 4);
}

TEST_CASE("a span breaking the model's rules stops the read where it stands, in every format") {
  // The fourth span is its own parent.
  std::vector<span> spans{numbered(1), numbered(2, 1), numbered(3, 1), numbered(4, 4), numbered(5, 1)};
  collected zipkin_batches;
  const std::string zipkin_text = zipkin::to_json(spans);
  const std::string zipkin_error = error_of([&] { zipkin::read(zipkin_text, zipkin_batches.sink(), {}, 2); });
  CHECK(zipkin_error.starts_with("parse error: line 1, column "));
  CHECK(zipkin_error.ends_with(": Zipkin span: span 0000000000000004 is its own parent (2 spans were handed over before it)"));
  CHECK(zipkin_batches.spans == std::vector<span>(spans.begin(), spans.begin() + 2));

  const std::string otlp_text = otlp::to_json(spans);
  CHECK(error_of([&] { otlp::read(otlp_text); }).ends_with(": OTLP span: span 0000000000000004 is its own parent"));
  const std::string jaeger_text = jaeger::to_json(spans);
  CHECK(error_of([&] { jaeger::read(jaeger_text); }).ends_with(": Jaeger span: span 0000000000000004 is its own parent"));
}

TEST_CASE("an error thrown by the sink passes through unchanged") {
  const std::string text = zipkin::to_json(std::vector<span>{numbered(1), numbered(2)});
  CHECK(error_of([&] {
          zipkin::read(text, [](std::vector<span>&&) { throw error(errc::io_error, "the disk is full"); }, {}, 1);
        }) == "i/o error: the disk is full");
}

TEST_CASE("json::for_each_document: one document per line, or gathered over lines until its brackets close") {
  std::istringstream in("\n{\"a\":1}\n  \n{\"b\":\n  [\"]}\\\"\", 2]\n}\n[1,\n\n2]\n42\n{\"open\":\n");
  std::vector<std::pair<std::string, std::size_t>> documents;
  json::for_each_document(in, [&](std::string_view text, std::size_t line) { documents.emplace_back(text, line); });
  const std::vector<std::pair<std::string, std::size_t>> expected{
      {"{\"a\":1}\n", 2},
      {"{\"b\":\n  [\"]}\\\"\", 2]\n}\n", 4},  // brackets inside a string do not count
      {"[1,\n\n2]\n", 7},                   // a blank line inside a document is kept
      {"42\n", 10},
      {"{\"open\":\n", 11},  // unclosed: handed over with the rest, for the parser to refuse
  };
  CHECK(documents == expected);
}
