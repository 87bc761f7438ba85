// Logs beside traces: the three readers (JSON Lines, OTLP JSON, OTLP protobuf), the log
// store in memory and on disk (reopened, torn tail, damage, kill -9 during appends), log
// search, and correlation with the spans of the memory store and the mmap store.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/killed_writer.hpp"
#include "trace/io/log_lines.hpp"
#include "trace/io/otlp_logs_json.hpp"
#include "trace/io/otlp_logs_protobuf.hpp"
#include "trace/query/correlate.hpp"
#include "trace/query/log_search.hpp"
#include "trace/store/log_store.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

namespace {

const trace::trace_id checkout_trace = *trace::trace_id::from_hex("5b8efff798038103d269b633813fc60c");
constexpr trace::timestamp_ns t0 = 1'714'478'400'000'000'000;  // 2024-04-30T12:00:00Z
constexpr trace::timestamp_ns ms = 1'000'000;

// A trace of two services: api [t0, t0+100ms], payments [t0+10ms, t0+60ms].
std::vector<trace::span> checkout_spans() {
  trace::span root;
  root.trace = checkout_trace;
  root.id = trace::span_id(0x10);
  root.name = "POST /checkout";
  root.start = t0;
  root.end = t0 + 100 * ms;
  root.resource.service_name = "api";
  trace::span charge = root;
  charge.id = trace::span_id(0x11);
  charge.parent = root.id;
  charge.name = "charge";
  charge.start = t0 + 10 * ms;
  charge.end = t0 + 60 * ms;
  charge.resource.service_name = "payments";
  return {root, charge};
}

trace::log_record log_at(trace::timestamp_ns time, std::string service, std::string body) {
  trace::log_record r;
  r.time = time;
  r.service = std::move(service);
  r.body = std::move(body);
  r.severity = 9;
  return r;
}

// The logs the correlation tests use, and what each is.
std::vector<trace::log_record> checkout_logs() {
  auto with_ids = log_at(t0 + 20 * ms, "payments", "card declined by issuer");
  with_ids.trace = checkout_trace;
  with_ids.span = trace::span_id(0x11);
  with_ids.severity = 17;
  return {
      with_ids,                                                  // 0: by trace id
      log_at(t0 + 30 * ms, "payments", "retrying charge"),       // 1: payments while it ran
      log_at(t0 + 5 * trace::timestamp_ns{1'000'000'000}, "payments", "later"),  // 2: outside the window
      log_at(t0 + 30 * ms, "db", "slow query"),                  // 3: a service not in the trace
      log_at(t0 + 900 * ms, "api", "request done"),              // 4: api, within the 1 s slack
  };
}

// Protobuf by hand: a field key and a length-delimited field.
std::string key(std::uint32_t number, std::uint32_t wire) { return std::string(1, static_cast<char>(number << 3 | wire)); }
std::string varint(std::uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out += static_cast<char>(v | 0x80);
  return out + static_cast<char>(v);
}
std::string len_field(std::uint32_t number, const std::string& bytes) { return key(number, 2) + varint(bytes.size()) + bytes; }
std::string fixed64_field(std::uint32_t number, std::uint64_t v) {
  std::string out = key(number, 1);
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
  return out;
}
std::string string_value(const std::string& text) { return len_field(1, text); }  // AnyValue.string_value

}  // namespace

TEST_CASE("JSON Lines logs: fields, spellings, extra fields as attributes, errors by line") {
  const std::string text =
      R"({"timestamp":"2024-04-30T12:00:00.5Z","severity":"ERROR","body":"card declined","trace_id":"5b8efff798038103d269b633813fc60c","span_id":"0000000000000011","service":"payments","attributes":{"order":"A-17","retry":false,"n":3}})"
      "\n\n"
      R"({"time":1714478400000000001,"level":"warning","msg":"slow","logger":"db.pool","trace_id":""})"
      "\n";
  const auto logs = trace::read_log_lines(text);
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].time == t0 + 500 * ms);
  CHECK(logs[0].severity == 17);
  CHECK(logs[0].severity_text == "ERROR");
  CHECK(logs[0].body == "card declined");
  CHECK(logs[0].trace == checkout_trace);
  CHECK(logs[0].span == trace::span_id(0x11));
  CHECK(logs[0].service == "payments");
  CHECK(*logs[0].attributes.find("order") == trace::attribute_value(std::string("A-17")));
  CHECK(*logs[0].attributes.find("n") == trace::attribute_value(std::int64_t{3}));
  CHECK(logs[1].time == t0 + 1);
  CHECK(logs[1].severity == 13);
  CHECK(logs[1].body == "slow");
  CHECK_FALSE(logs[1].trace.valid());
  CHECK(*logs[1].attributes.find("logger") == trace::attribute_value(std::string("db.pool")));

  CHECK_THROWS_WITH(trace::read_log_lines("{\"time\":1,\"body\":\"a\"}\n{\"body\":\"no time\"}\n"),
                    Catch::Contains("line 2") && Catch::Contains("has no time"));
  CHECK_THROWS_WITH(trace::read_log_lines(R"({"time":1,"level":"loud"})"), Catch::Contains("\"loud\" is not a level"));
  CHECK_THROWS_WITH(trace::read_log_lines(R"({"time":1,"trace_id":"xyz"})"), Catch::Contains("trace_id"));
  CHECK_THROWS_WITH(trace::read_log_lines(R"({"time":1,"span_id":"0000000000000011"})"), Catch::Contains("but no trace"));
  CHECK_THROWS_WITH(trace::read_log_lines("{\"time\":1,\n\"body\": }"), Catch::Contains("line 2"));
}

TEST_CASE("OTLP JSON logs: resource service, severity names, observed time, non-text bodies") {
  const std::string request = R"({"resourceLogs":[
    {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"payments"}}]},
     "scopeLogs":[{"scope":{"name":"app"},"logRecords":[
       {"timeUnixNano":"1714478400020000000","severityNumber":"SEVERITY_NUMBER_ERROR","severityText":"Error",
        "body":{"stringValue":"card declined"},"traceId":"5b8efff798038103d269b633813fc60c","spanId":"0000000000000011",
        "attributes":[{"key":"order","value":{"stringValue":"A-17"}}]},
       {"observedTimeUnixNano":1714478400030000000,"severityNumber":9,
        "body":{"kvlistValue":{"values":[{"key":"amount","value":{"intValue":"12"}}]}}}]}]},
    {"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"no resource"}}]}]}]})";
  const auto logs = trace::otlp::read_logs(request);
  REQUIRE(logs.size() == 3);
  CHECK(logs[0].service == "payments");
  CHECK(logs[0].severity == 17);
  CHECK(logs[0].severity_text == "Error");
  CHECK(logs[0].body == "card declined");
  CHECK(logs[0].trace == checkout_trace);
  CHECK(logs[0].span == trace::span_id(0x11));
  CHECK(*logs[0].attributes.find("order") == trace::attribute_value(std::string("A-17")));
  CHECK(logs[1].time == t0 + 30 * ms);  // the observed time, as it has no time of its own
  CHECK(logs[1].body == R"({"amount":12})");
  CHECK(logs[2].service.empty());
  // JSON Lines of requests, and errors naming the line.
  CHECK(trace::otlp::read_logs(R"({"resourceLogs":[]})" "\n" R"({"resourceLogs":[]})").empty());
  CHECK_THROWS_WITH(trace::otlp::read_logs(R"({"resourceLogs":[]})" "\n"
                                           R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","traceId":"abc"}]}]}]})"),
                    Catch::Contains("line 2") && Catch::Contains("traceId"));
  CHECK_THROWS_WITH(trace::otlp::read_logs(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":30}]}]}]})"),
                    Catch::Contains("severityNumber"));
}

TEST_CASE("OTLP protobuf logs: records, resource after them, damage named by field path") {
  std::string id_bytes;
  for (int i = 0; i < 16; ++i) id_bytes += static_cast<char>(i + 1);
  const std::string record = fixed64_field(1, t0) + key(2, 0) + varint(17) + len_field(3, "ERROR") +
                             len_field(5, string_value("card declined")) +
                             len_field(6, len_field(1, "order") + len_field(2, string_value("A-17"))) +
                             len_field(9, id_bytes) + len_field(10, std::string(7, '\0') + '\x11');
  const std::string no_time = fixed64_field(11, t0 + 5) + len_field(5, key(3, 0) + varint(42));  // observed; int body
  const std::string resource = len_field(1, len_field(1, "service.name") + len_field(2, string_value("payments")));
  const std::string request =
      len_field(1, len_field(2, len_field(2, record) + len_field(2, no_time)) + len_field(1, resource));
  const auto logs = trace::otlp::proto::decode_logs_request(request);
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].time == t0);
  CHECK(logs[0].severity == 17);
  CHECK(logs[0].body == "card declined");
  CHECK(logs[0].trace == trace::trace_id(0x0102030405060708ull, 0x090a0b0c0d0e0f10ull));
  CHECK(logs[0].span == trace::span_id(0x11));
  CHECK(logs[0].service == "payments");
  CHECK(*logs[0].attributes.find("order") == trace::attribute_value(std::string("A-17")));
  CHECK(logs[1].time == t0 + 5);
  CHECK(logs[1].body == "42");
  CHECK(logs[1].service == "payments");

  const std::string short_id = len_field(1, len_field(2, len_field(2, fixed64_field(1, t0) + len_field(9, "abc"))));
  CHECK_THROWS_WITH(trace::otlp::proto::decode_logs_request(short_id),
                    Catch::Contains("resource_logs[0].scope_logs[0].log_records[0].trace_id") && Catch::Contains("not 16"));
  CHECK_THROWS_WITH(trace::otlp::proto::decode_logs_request(request.substr(0, request.size() - 3)),
                    Catch::Contains("runs past the end"));
  CHECK_THROWS_WITH(trace::otlp::proto::decode_logs_request(len_field(1, len_field(2, len_field(2, len_field(3, "x"))))),
                    Catch::Contains("log_records[0]") && Catch::Contains("has no time"));
}

TEST_CASE("the log store keeps batches in memory and on disk, refuses bad records, drops a torn tail") {
  test_support::temp_dir dir;
  const auto path = dir / "logs.log";
  const auto logs = checkout_logs();
  {
    trace::log_store store(path);
    store.append({logs[0], logs[1]});
    store.append({logs[2], logs[3], logs[4]});
    auto bad = logs[0];
    bad.time = 0;
    CHECK_THROWS_WITH(store.append({logs[1], bad}), Catch::Contains("log record 1 of the batch") && Catch::Contains("no time"));
    CHECK(store.size() == 5);  // the refused batch left nothing
  }
  {
    const trace::log_store store(path, trace::log_store::mode::read_only);
    CHECK(store.records() == logs);
    CHECK(store.of_trace(checkout_trace) == std::vector<std::size_t>{0});
    CHECK_FALSE(store.dropped_tail());
  }
  trace::log_store memory;
  memory.append(logs);
  CHECK(memory.records() == logs);

  // A crash during the second append: its record is cut short, and dropped whole.
  const auto size = std::filesystem::file_size(path);
  test_support::shrink_to(path, size - 5);
  {
    trace::log_store store(path);
    CHECK(store.size() == 2);
    REQUIRE(store.dropped_tail());
    store.append({logs[4]});  // appended where the torn record began
  }
  CHECK(trace::log_store(path).size() == 3);
  // A flipped byte in the first record, with a valid one after it: damage, refused.
  test_support::flip_byte(path, trace::detail::record_file::header_size + 20);
  CHECK_THROWS_WITH(trace::log_store(path), Catch::Contains(path.string()) && Catch::Contains("valid records follow"));
}

TEST_CASE("kill -9 during appends loses no acknowledged batch of logs") {
  test_support::temp_dir dir;
  const auto path = dir / "logs.log";
  std::uint64_t acknowledged = 0;
  for (int round = 0; round < 2; ++round) {
    test_support::killed_writer writer([&path](auto acknowledge) {
      trace::log_store store(path);
      for (std::uint64_t batches = store.size() / 3 + 1;; ++batches) {
        store.append(std::vector<trace::log_record>(3, log_at(t0 + batches, "api", "batch " + std::to_string(batches))));
        acknowledge(batches);
      }
    });
    REQUIRE(writer.started());
    std::uint64_t last = writer.read_acks(20, 0);
    writer.kill();
    last = writer.drain(last);  // acknowledged before it died
    const trace::log_store store(path, trace::log_store::mode::read_only);
    INFO("round " << round << ": last acknowledged batch " << last);
    REQUIRE(store.size() >= 3 * last);
    REQUIRE(store.size() % 3 == 0);  // batches are whole or absent
    for (std::uint64_t b = acknowledged + 1; b <= last; ++b) CHECK(store[3 * (b - 1)].body == "batch " + std::to_string(b));
    acknowledged = store.size() / 3;
  }
  CHECK(acknowledged >= 2 * 20);
}

TEST_CASE("log search: service, window, severity, trace, and words of the body by scan") {
  trace::log_store logs;
  logs.append(checkout_logs());
  auto found = [&logs](trace::log_query q) { return trace::find_logs(logs, q); };
  CHECK(found({.service = "payments"}) == std::vector<std::size_t>{0, 1, 2});
  CHECK(found({.min_severity = 17}) == std::vector<std::size_t>{0});
  CHECK(found({.from = t0 + 25 * ms, .to = t0 + 30 * ms}) == std::vector<std::size_t>{1, 3});
  CHECK(found({.trace = checkout_trace}) == std::vector<std::size_t>{0});
  CHECK(found({.text = trace::text_query("\"card declined\"")}) == std::vector<std::size_t>{0});
  CHECK(found({.text = trace::text_query("retry* OR slow")}) == std::vector<std::size_t>{1, 3});
  CHECK(found({.text = trace::text_query("declined card")}) == std::vector<std::size_t>{0});
  CHECK(found({.text = trace::text_query("\"declined card\"")}).empty());
  CHECK(found({.limit = 2}).size() == 2);
}

// The same answers from every span store.
template <class Store>
void check_correlation(Store& store) {
  store.append(checkout_spans());
  store.append(test_support::make_batch(0, 3, 2));  // other traces, other services
  trace::log_store logs;
  logs.append(checkout_logs());

  const auto linked = trace::logs_of_trace(store, logs, checkout_trace);
  const std::vector<trace::correlated_log> expected = {
      {0, trace::log_link::trace_id}, {1, trace::log_link::service_window}, {4, trace::log_link::service_window}};
  CHECK(linked == expected);
  CHECK(trace::to_string(linked[1].by) == "service and time window");
  // No slack: the api log 800 ms after its span is no longer the trace's.
  CHECK(trace::logs_of_trace(store, logs, checkout_trace, 0).size() == 2);
  CHECK(trace::logs_of_trace(store, logs, trace::trace_id(1, 2)).empty());

  const auto origin = trace::origin_of_log(store, logs[0]);
  CHECK(origin.trace.size() == 2);
  REQUIRE(origin.span);
  CHECK(trace::name_of(*origin.span) == "charge");
  CHECK(trace::origin_of_log(store, logs[1]).trace.empty());

  const auto window = trace::correlate_window(store, logs, "payments", t0, t0 + 1'000 * ms);
  REQUIRE(window.traces.size() == 1);
  CHECK(window.traces[0].id == checkout_trace);
  CHECK(window.traces[0].root == "POST /checkout");
  CHECK(window.traces[0].spans == 2);
  CHECK(window.traces[0].logs == 1);
  CHECK(window.traces[0].end == t0 + 100 * ms);
  CHECK(window.logs == std::vector<std::size_t>{0, 1});
  CHECK(trace::correlate_window(store, logs, "api", t0 + 1, t0 + 1'000 * ms).traces.empty());
}

TEST_CASE("correlate over the memory store: a trace's logs by id and by service window, a log's span, a window") {
  trace::memory_store store;
  check_correlation(store);
}

TEST_CASE("correlate over the mmap store, sealed and in the log") {
  test_support::temp_dir dir;
  trace::mmap_store store(test_support::default_options(dir));
  store.append(test_support::make_batch(10, 2, 2));
  store.roll();
  check_correlation(store);
}
