// Edge cases of input shared by every reader and writer: times past 2^63-1 ns, non-finite
// doubles, a UTF-8 byte-order mark, empty texts, and files that are not regular files.

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "trace/io/chrome_trace.hpp"
#include "trace/io/csv.hpp"
#include "trace/io/file.hpp"
#include "trace/io/jaeger_json.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/io/zipkin.hpp"

using namespace trace;

namespace {

template <class F>
std::string error_of(F&& read) {
  try {
    read();
  } catch (const trace::error& e) {
    return e.what();
  }
  return "no error";
}

std::string otlp_with(const std::string& start, const std::string& end, const std::string& event_time = "1") {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",)"
         R"("spanId":"eee19b7ec3c1b174","name":"x","startTimeUnixNano":")" + start +
         R"(","endTimeUnixNano":")" + end + R"(","events":[{"timeUnixNano":")" + event_time + R"("}]}]}]}]})";
}

std::string jaeger_with(const std::string& start, const std::string& duration, const std::string& log_time = "1") {
  return R"({"data":[{"traceID":"5b8efff798038103d269b633813fc60c","spans":[{"traceID":"5b8efff798038103d269b633813fc60c",)"
         R"("spanID":"eee19b7ec3c1b174","operationName":"x","startTime":)" + start + R"(,"duration":)" + duration +
         R"(,"logs":[{"timestamp":)" + log_time + R"(,"fields":[]}]}],"processes":{}}]})";
}

std::string zipkin_with(const std::string& start, const std::string& duration, const std::string& annotation_time = "1") {
  return R"([{"traceId":"5b8efff798038103d269b633813fc60c","id":"eee19b7ec3c1b174","name":"x","timestamp":)" + start +
         R"(,"duration":)" + duration + R"(,"annotations":[{"timestamp":)" + annotation_time + R"(,"value":"a"}]}])";
}

span with_doubles() {
  span s;
  s.trace = trace_id::parse("5b8efff798038103d269b633813fc60c");
  s.id = span_id::parse("eee19b7ec3c1b174");
  s.name = "measure";
  s.kind = span_kind::internal;
  s.start = 1'700'000'000'000'000'000;
  s.end = s.start + 1'000;
  s.resource.service_name = "svc";
  s.attributes.set("nan", std::numeric_limits<double>::quiet_NaN());
  s.attributes.set("inf", std::numeric_limits<double>::infinity());
  s.attributes.set("minus_inf", -std::numeric_limits<double>::infinity());
  s.attributes.set("list", std::vector<double>{1.5, std::numeric_limits<double>::quiet_NaN()});
  return s;
}

double double_of(const span& s, std::string_view key) {
  const attribute_value* v = s.attributes.find(key);
  REQUIRE(v);
  REQUIRE(std::holds_alternative<double>(*v));
  return std::get<double>(*v);
}

const std::string bom = "\xEF\xBB\xBF";

}  // namespace

TEST_CASE("times past 2^63-1 ns are refused by every reader, naming the field and where") {
  const std::string last_ok = "9223372036854775807", first_bad = "9223372036854775808";
  CHECK(otlp::read(otlp_with(last_ok, last_ok, last_ok)).front().end == max_timestamp);
  CHECK(error_of([&] { otlp::read(otlp_with(first_bad, first_bad)); }) ==
        "parse error: line 1, column 149: OTLP span startTimeUnixNano: 9223372036854775808 ns is past the latest time "
        "accepted (2^63-1 ns, in 2262)");
  CHECK(error_of([&] { otlp::read(otlp_with("1", "18446744073709551615")); }).find("OTLP span endTimeUnixNano: 18446744073709551615 ns is past") !=
        std::string::npos);
  CHECK(error_of([&] { otlp::read(otlp_with("1", "2", first_bad)); }).find("OTLP event timeUnixNano: 9223372036854775808 ns") !=
        std::string::npos);

  // Microseconds: the limit is where the conversion to nanoseconds passes it.
  const std::string micros_ok = "9223372036854775", micros_bad = "9223372036854776";
  CHECK(jaeger::read(jaeger_with(micros_ok, "0")).front().start == 9'223'372'036'854'775'000ULL);
  CHECK(error_of([&] { jaeger::read(jaeger_with(micros_bad, "0")); }) ==
        "parse error: line 1, column 171: Jaeger startTime: 9223372036854776 us is past the latest time accepted (2^63-1 ns, in 2262)");
  CHECK(error_of([&] { jaeger::read(jaeger_with(micros_ok, "1")); }).find("Jaeger duration: the span ends past the latest time") !=
        std::string::npos);
  CHECK(error_of([&] { jaeger::read(jaeger_with("1", "1", "18446744073709551")); }).find("Jaeger log timestamp: 18446744073709551 us") !=
        std::string::npos);

  CHECK(zipkin::read(zipkin_with(micros_ok, "0")).front().start == 9'223'372'036'854'775'000ULL);
  CHECK(error_of([&] { zipkin::read(zipkin_with(micros_bad, "0")); }) ==
        "parse error: line 1, column 95: Zipkin timestamp: 9223372036854776 us is past the latest time accepted (2^63-1 ns, in 2262)");
  CHECK(error_of([&] { zipkin::read(zipkin_with(micros_ok, "7")); }).find("Zipkin duration: the span ends past the latest time") !=
        std::string::npos);
  CHECK(error_of([&] { zipkin::read(zipkin_with("1", "1", micros_bad)); }).find("Zipkin annotation timestamp: 9223372036854776 us") !=
        std::string::npos);
}

TEST_CASE("non-finite doubles go through every writer, and back through its reader") {
  const std::vector<span> spans{with_doubles()};

  SECTION("OTLP JSON: the proto3 JSON strings, read back as the same values") {
    const std::string text = otlp::to_json(spans);
    CHECK(text.find(R"("doubleValue":"NaN")") != std::string::npos);
    CHECK(text.find(R"("doubleValue":"-Infinity")") != std::string::npos);
    const span back = otlp::read(text).front();
    CHECK(std::isnan(double_of(back, "nan")));
    CHECK(double_of(back, "inf") == std::numeric_limits<double>::infinity());
    CHECK(double_of(back, "minus_inf") == -std::numeric_limits<double>::infinity());
    const auto& list = std::get<std::vector<double>>(*back.attributes.find("list"));
    CHECK((list.size() == 2 && list[0] == 1.5 && std::isnan(list[1])));
  }
  SECTION("Jaeger: float64 tags whose value is the same strings, read back as doubles") {
    const std::string text = jaeger::to_json(spans);
    CHECK(text.find(R"({"key":"nan","type":"float64","value":"NaN"})") != std::string::npos);
    CHECK(text.find(R"({"key":"inf","type":"float64","value":"Infinity"})") != std::string::npos);
    const span back = jaeger::read(text).front();
    CHECK(std::isnan(double_of(back, "nan")));
    CHECK(double_of(back, "inf") == std::numeric_limits<double>::infinity());
    CHECK(double_of(back, "minus_inf") == -std::numeric_limits<double>::infinity());
    CHECK(*back.attributes.find("list") == attribute_value(std::string("[1.5,nan]")));  // Jaeger has no arrays
  }
  SECTION("Zipkin: string tags, as every Zipkin tag") {
    const std::string text = zipkin::to_json(spans);
    const span back = zipkin::read(text).front();
    CHECK(*back.attributes.find("nan") == attribute_value(std::string("nan")));
    CHECK(*back.attributes.find("inf") == attribute_value(std::string("inf")));
    CHECK(*back.attributes.find("minus_inf") == attribute_value(std::string("-inf")));
  }
  SECTION("Chrome trace and CSV: JSON strings in args and in the attributes column") {
    const std::string chrome_text = chrome::to_json(spans);
    const json::value doc = json::parse(chrome_text);
    const json::value* args = nullptr;
    for (const auto& e : *doc.find("traceEvents")->get_if<json::array>())
      if (*e.find("ph") == json::value("X")) args = e.find("args");
    REQUIRE(args);
    CHECK(*args->find("nan") == json::value("nan"));
    CHECK(*args->find("minus_inf") == json::value("-inf"));
    const std::string csv_text = csv::to_csv(spans);
    CHECK(csv_text.find(R"(""nan"":""nan"",""inf"":""inf"",""minus_inf"":""-inf"",""list"":[1.5,""nan""])") != std::string::npos);
  }
}

TEST_CASE("a UTF-8 byte-order mark is skipped by every JSON reader; positions still count it") {
  const std::vector<span> spans{with_doubles()};
  CHECK(otlp::read(bom + otlp::to_json(spans)).size() == 1);
  CHECK(jaeger::read(bom + jaeger::to_json(spans)).size() == 1);
  CHECK(zipkin::read(bom + zipkin::to_json(spans)).size() == 1);
  CHECK(json::parse(bom + "[1]") == json::value(json::array{json::value(1)}));
  CHECK(error_of([] { json::parse(bom + "[1,]"); }) == "parse error: line 1, column 7: expected a value");
  // Only at the very start: elsewhere it is text, and outside a string, not JSON.
  CHECK(error_of([] { json::parse(" " + bom + "[1]"); }) == "parse error: line 1, column 2: expected a value");
}

TEST_CASE("an empty text holds no spans in every format") {
  for (const std::string& empty : {std::string(), std::string(" \r\n\t\n"), bom, bom + "\n"}) {
    CHECK(otlp::read(empty).empty());
    CHECK(jaeger::read(empty).empty());
    CHECK(zipkin::read(empty).empty());
  }
  CHECK(error_of([] { zipkin::read("x"); }) == "parse error: line 1, column 1: expected a value");
}

TEST_CASE("files are read only when they are regular files") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("trace-input-edges-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  write_file_text(dir / "empty.json", "");

  CHECK(read_file_text(dir / "empty.json").empty());
  CHECK(otlp::read_file(dir / "empty.json").empty());
  CHECK(error_of([&] { read_file_text(dir / "missing.json"); }) ==
        "i/o error: cannot open " + (dir / "missing.json").string() + ": No such file or directory");
  CHECK(error_of([&] { read_file_text(dir); }) == "i/o error: cannot open " + dir.string() + ": it is a directory");
  // Neither blocks nor reads without end: refused before opening.
  CHECK(error_of([&] { read_file_text(fifo); }) ==
        "i/o error: cannot open " + fifo.string() + ": not a regular file (pipes and devices are refused)");
  CHECK(error_of([] { read_file_text("/dev/zero"); }) ==
        "i/o error: cannot open /dev/zero: not a regular file (pipes and devices are refused)");
  fs::remove_all(dir);
}
