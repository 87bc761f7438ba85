// The recording path behind scoped_span: the span_record and its log (inline, then one heap
// block), the per-thread queues of the batching processor (bounds, blocks, threads that
// exit, spans ended on another thread than they started on), and the ticks-to-wall-clock
// mapping.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "trace/instrument.hpp"
#include "trace/store/memory.hpp"

using namespace std::chrono_literals;

namespace {

class collecting_exporter : public trace::span_exporter {
 public:
  void export_spans(std::span<const trace::span> batch) override {
    std::lock_guard lock(mutex_);
    spans_.insert(spans_.end(), batch.begin(), batch.end());
  }
  std::vector<trace::span> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<trace::span> spans_;
};

const trace::resource test_resource{"svc", {}, 0};
const trace::scope test_scope{"lib", "1.0", {}, 0};

trace::span_record started_record(std::string_view name) {
  trace::span_record record;
  record.start(trace::trace_id{1, 2}, trace::span_id{3}, trace::span_id{4}, name, trace::span_kind::client,
               {&test_resource, &test_scope}, 1000, /*wall_clock=*/true);
  record.finish(2000, /*wall_clock=*/true);
  return record;
}

trace::span materialized(trace::span_record&& record) {
  return std::move(record).materialize(trace::detail::tick_clock::mapping());
}

// "r<i>", appended rather than `"r" + std::to_string(i)`: g++ 12 at -O3 inlines that
// operator+ into a memcpy it wrongly calls overlapping (-Wrestrict).
std::string numbered_name(std::size_t i) {
  std::string name = "r";
  name += std::to_string(i);
  return name;
}

}  // namespace

TEST_CASE("span_record: a typical span stays inline and materializes with everything set") {
  auto record = started_record("GET /items");
  record.set_attribute("http.method", "GET");
  record.set_attribute("http.status_code", 200);
  record.set_attribute("ratio", 0.25);
  record.set_attribute("cached", false);
  auto s = materialized(std::move(record));
  CHECK(s.name == "GET /items");
  CHECK(s.trace == trace::trace_id{1, 2});
  CHECK(s.id == trace::span_id{3});
  CHECK(s.parent == trace::span_id{4});
  CHECK(s.kind == trace::span_kind::client);
  CHECK(s.start == 1000);
  CHECK(s.end == 2000);
  REQUIRE(s.attributes.size() == 4);
  CHECK(*s.attributes.find("http.method") == trace::attribute_value(std::string("GET")));
  CHECK(*s.attributes.find("http.status_code") == trace::attribute_value(std::int64_t{200}));
  CHECK(*s.attributes.find("ratio") == trace::attribute_value(0.25));
  CHECK(*s.attributes.find("cached") == trace::attribute_value(false));
}

TEST_CASE("span_record: attributes come back in the order first set, a key set again replaced in place") {
  auto record = started_record("op");
  record.set_attribute("a", 1);
  record.set_attribute("b", "two");
  record.set_attribute("a", 10);  // replaced in place
  record.set_attribute("c", 3);
  record.set_attribute("d", 4);
  record.set_attribute("e", 5);
  record.set_attribute("b", std::vector<std::int64_t>{7, 8});  // an array value replaces, in place
  record.set_attribute(std::string(120, 'k'), std::string(200, 'v'));  // text beyond the buffer
  auto s = materialized(std::move(record));
  std::vector<std::string> keys;
  for (const auto& item : s.attributes) keys.push_back(item.key);
  CHECK(keys == std::vector<std::string>{"a", "b", "c", "d", "e", std::string(120, 'k')});
  CHECK(*s.attributes.find("a") == trace::attribute_value(std::int64_t{10}));
  CHECK(*s.attributes.find("b") == trace::attribute_value(std::vector<std::int64_t>{7, 8}));
  CHECK(*s.attributes.find(std::string(120, 'k')) == trace::attribute_value(std::string(200, 'v')));
}

TEST_CASE("span_record: values and names longer than the record's buffer are kept whole") {
  auto record = started_record(std::string(300, 'n'));
  record.set_attribute("short", "s");
  record.set_attribute("long", std::string(95, 'x'));
  record.set_name(std::string(260, 'm'));
  auto s = materialized(std::move(record));
  CHECK(s.name == std::string(260, 'm'));
  CHECK(*s.attributes.find("short") == trace::attribute_value(std::string("s")));
  CHECK(*s.attributes.find("long") == trace::attribute_value(std::string(95, 'x')));
}

TEST_CASE("span_record: an end before the start is clamped; a moved record carries its text") {
  auto record = started_record("moved");
  record.set_attribute("k", "value");
  record.finish(10, true);
  trace::span_record moved(std::move(record));
  trace::span_record assigned;
  assigned = std::move(moved);
  auto s = materialized(std::move(assigned));
  CHECK(s.name == "moved");
  CHECK(s.end == s.start);
  CHECK(*s.attributes.find("k") == trace::attribute_value(std::string("value")));
}

TEST_CASE("span_ring: the bound refuses pushes exactly; records cross blocks in order with their extras") {
  trace::detail::span_ring ring(200);
  std::size_t refused = 0, waiting = 0;
  for (int i = 0; i < 250; ++i) {
    auto record = started_record(numbered_name(i));
    if (i % 50 == 0) record.extra().trace_state = "k=" + std::to_string(i);
    if (!ring.try_push(std::move(record), waiting)) ++refused;
  }
  CHECK(refused == 50);
  CHECK(ring.waiting() == 200);
  std::vector<trace::span> taken;
  auto take = [&](trace::span_record& record) { taken.push_back(materialized(std::move(record))); };
  CHECK(ring.drain(130, take) == 130);
  for (int i = 250; i < 380; ++i) CHECK(ring.try_push(started_record(numbered_name(i)), waiting));
  CHECK(ring.drain(1000, take) == 200);
  REQUIRE(taken.size() == 330);
  for (std::size_t i = 0; i < 200; ++i) CHECK(taken[i].name == numbered_name(i));
  for (std::size_t i = 200; i < 330; ++i) CHECK(taken[i].name == numbered_name(i + 50));
  CHECK(taken[0].trace_state == "k=0");
  CHECK(taken[150].trace_state == "k=150");
  CHECK(ring.waiting() == 0);
}

TEST_CASE("span_record: a log ending anywhere in the inline buffer crosses a queue's slot and a move whole") {
  // A slot receives the record's first three cache lines, and the fourth only when the log
  // reaches into it: every length around that boundary, and up to the buffer's end.
  trace::detail::span_ring ring(1000);
  std::vector<std::string> values;
  for (std::size_t length = 0; length <= trace::span_record::inline_bytes; ++length) {
    std::string value(length, 'a');
    for (std::size_t i = 0; i < length; ++i) value[i] = static_cast<char>('a' + (i * 7 + length) % 26);
    auto record = started_record("n");
    record.set_attribute("k", value);
    values.push_back(value);
    if (length % 2 == 0 && ring.has_room_in_block()) {  // the slot's path, or the move's
      ring.push_in_block(std::move(record));
    } else {
      trace::span_record moved(std::move(record));
      std::size_t waiting = 0;
      REQUIRE(ring.try_push(std::move(moved), waiting));
    }
  }
  std::vector<trace::span> taken;
  ring.drain(1000, [&](trace::span_record& record) { taken.push_back(materialized(std::move(record))); });
  REQUIRE(taken.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    INFO("value of " << i << " bytes");
    CHECK(taken[i].name == "n");
    const auto* kept = taken[i].attributes.find("k");
    REQUIRE(kept);
    CHECK(std::get<std::string>(*kept) == values[i]);
  }
}

TEST_CASE("batch processor: each thread's queue has its own bound, and every span is exported or counted dropped") {
  auto exporter = std::make_shared<collecting_exporter>();
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 100, .max_export_batch_size = 100, .schedule_delay = 1h});
  trace::tracer_provider provider({.processor = processor});
  auto tracer = provider.get_tracer("t");
  constexpr int threads = 3, per_thread = 100;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&tracer] {
      for (int i = 0; i < per_thread; ++i) tracer.start_span("s");
    });
  for (auto& worker : workers) worker.join();
  // 300 spans waited at once, beyond one queue's 100 but within three queues.
  CHECK(processor->force_flush(5000ms));
  CHECK(exporter->spans().size() == threads * per_thread);
  CHECK(processor->dropped() == 0);
}

TEST_CASE("batch processor: force_flush on one thread exports what threads that have exited queued") {
  auto exporter = std::make_shared<collecting_exporter>();
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 1000, .max_export_batch_size = 500, .schedule_delay = 1h});
  trace::tracer_provider provider({.processor = processor});
  auto tracer = provider.get_tracer("t");
  for (int round = 0; round < 3; ++round) {
    std::thread short_lived([&tracer, round] {
      for (int i = 0; i < 70; ++i) tracer.start_span("round " + std::to_string(round)).set_attribute("i", i);
    });
    short_lived.join();
  }
  CHECK(processor->force_flush(5000ms));
  auto spans = exporter->spans();
  REQUIRE(spans.size() == 210);
  std::set<std::int64_t> seen;
  for (const auto& s : spans)
    if (s.name == "round 1") seen.insert(std::get<std::int64_t>(*s.attributes.find("i")));
  CHECK(seen.size() == 70);
}

TEST_CASE("batch processor: a span started on one thread and ended on another is exported once, intact") {
  auto exporter = std::make_shared<collecting_exporter>();
  auto processor = std::make_shared<trace::batch_span_processor>(
      exporter, trace::batch_options{.max_queue_size = 64, .max_export_batch_size = 64, .schedule_delay = 1h});
  trace::tracer_provider provider({.service_name = "handoff", .processor = processor});
  auto tracer = provider.get_tracer("t", "2");
  std::vector<trace::scoped_span> started;
  for (int i = 0; i < 40; ++i) {
    started.push_back(tracer.start_span("handed", {.make_current = false}));
    started.back().set_attribute("i", i).add_event("started");
  }
  std::thread ender([&started] {
    for (auto& s : started) s.end();
  });
  ender.join();
  CHECK(processor->force_flush(5000ms));
  auto spans = exporter->spans();
  REQUIRE(spans.size() == 40);
  for (const auto& s : spans) {
    CHECK(s.name == "handed");
    CHECK(s.resource.service_name == "handoff");
    CHECK(s.scope.version == "2");
    REQUIRE(s.events.size() == 1);
    CHECK(s.start <= s.events[0].time);
    CHECK(s.events[0].time <= s.end);
  }
}

TEST_CASE("batch processor: spans ended after shutdown are counted dropped, never exported") {
  auto exporter = std::make_shared<collecting_exporter>();
  auto processor = std::make_shared<trace::batch_span_processor>(exporter);
  trace::tracer_provider provider({.processor = processor});
  auto tracer = provider.get_tracer("t");
  tracer.start_span("before");
  auto late = tracer.start_span("late");
  provider.shutdown();
  late.end();
  std::thread other([&tracer] { tracer.start_span("on another thread"); });
  other.join();
  CHECK(exporter->spans().size() == 1);
  CHECK(processor->dropped() == 2);
}

TEST_CASE("span clock: recorded ticks map to wall-clock time around the span's real start and end") {
  auto exporter = std::make_shared<collecting_exporter>();
  trace::tracer_provider provider({.processor = std::make_shared<trace::simple_span_processor>(exporter)});
  auto tracer = provider.get_tracer("t");
  trace::timestamp_ns before = trace::now_ns();
  tracer.start_span("timed").add_event("middle");
  trace::timestamp_ns after = trace::now_ns();
  auto spans = exporter->spans();
  REQUIRE(spans.size() == 1);
  // The mapping's error is far below a millisecond; a wrong unit or offset is not.
  CHECK(spans[0].start + trace::millisecond >= before);
  CHECK(spans[0].end <= after + trace::millisecond);
  CHECK(spans[0].start <= spans[0].events[0].time);
  CHECK(spans[0].events[0].time <= spans[0].end);
}

TEST_CASE("span_record: events with their attributes, arrays and a status message come back from the log in order") {
  auto record = started_record("op");
  record.add_event(1500, "first", trace::event_level::warn, {{"k", std::string("v")}, {"n", std::int64_t{3}}});
  record.set_attribute("bools", std::vector<bool>{true, false, true});
  record.set_attribute("ints", std::vector<std::int64_t>{-1, 2});
  record.set_attribute("doubles", std::vector<double>{0.5});
  record.set_attribute("texts", std::vector<std::string>{"a", "", "ccc"});
  record.set_status(trace::status_code::error, "broken");
  record.add_event(1600, "second", trace::event_level::debug, {});
  auto s = materialized(std::move(record));
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].name == "first");
  CHECK(s.events[0].level == trace::event_level::warn);
  CHECK(*s.events[0].attributes.find("k") == trace::attribute_value(std::string("v")));
  CHECK(*s.events[0].attributes.find("n") == trace::attribute_value(std::int64_t{3}));
  CHECK(s.events[1].name == "second");
  CHECK(s.events[1].attributes.empty());
  CHECK(s.events[0].time != s.events[1].time);  // ticks, converted
  CHECK(*s.attributes.find("bools") == trace::attribute_value(std::vector<bool>{true, false, true}));
  CHECK(*s.attributes.find("ints") == trace::attribute_value(std::vector<std::int64_t>{-1, 2}));
  CHECK(*s.attributes.find("doubles") == trace::attribute_value(std::vector<double>{0.5}));
  CHECK(*s.attributes.find("texts") == trace::attribute_value(std::vector<std::string>{"a", "", "ccc"}));
  CHECK(s.status.code == trace::status_code::error);
  CHECK(s.status.message == "broken");
}

TEST_CASE("span_record: a log that outgrows the record moves to the heap whole, and survives moves") {
  auto record = started_record("grown");
  for (int i = 0; i < 40; ++i) record.set_attribute("attribute." + std::to_string(i), "value " + std::to_string(i));
  record.add_event(1500, "late", trace::event_level::info, {{"after", true}});
  trace::span_record moved(std::move(record));
  auto s = materialized(std::move(moved));
  CHECK(s.name == "grown");
  REQUIRE(s.attributes.size() == 40);
  int i = 0;
  for (const auto& item : s.attributes) {
    CHECK(item.key == "attribute." + std::to_string(i));
    CHECK(item.value == trace::attribute_value("value " + std::to_string(i)));
    ++i;
  }
  REQUIRE(s.events.size() == 1);
  CHECK(*s.events[0].attributes.find("after") == trace::attribute_value(true));
}

TEST_CASE("span_record: what would take the log past its bound is dropped and counted, the rest kept") {
  auto record = started_record("bounded");
  record.set_attribute("small", 1);
  record.set_attribute("huge", std::string(trace::span_record::max_log_bytes, 'x'));
  record.add_event(1500, std::string(trace::span_record::max_log_bytes, 'e'), trace::event_level::info, {});
  record.set_status(trace::status_code::ok, {});
  auto s = materialized(std::move(record));
  CHECK(s.attributes.size() == 1);
  CHECK(*s.attributes.find("small") == trace::attribute_value(std::int64_t{1}));
  CHECK(s.dropped_attributes == 1);
  CHECK(s.events.empty());
  CHECK(s.dropped_events == 1);
  CHECK(s.status.code == trace::status_code::ok);
}

TEST_CASE("span_record: a later status clears an error's message; ok is final") {
  auto record = started_record("status");
  record.set_status(trace::status_code::error, "first failure");
  record.set_status(trace::status_code::error, {});
  auto cleared = materialized(std::move(record));
  CHECK(cleared.status.code == trace::status_code::error);
  CHECK(cleared.status.message.empty());

  auto final_ok = started_record("ok");
  final_ok.set_status(trace::status_code::ok, {});
  final_ok.set_status(trace::status_code::error, "too late");
  auto s = materialized(std::move(final_ok));
  CHECK(s.status.code == trace::status_code::ok);
  CHECK(s.status.message.empty());
}

TEST_CASE("batch processor: one thread ending spans into two processors in turn, then into one made after another is gone") {
  auto first_sink = std::make_shared<collecting_exporter>();
  auto second_sink = std::make_shared<collecting_exporter>();
  auto first = std::make_shared<trace::batch_span_processor>(first_sink);
  {
    auto second = std::make_shared<trace::batch_span_processor>(second_sink);
    for (int i = 0; i < 10; ++i) {
      first->on_end_record(started_record("to first"));
      second->on_end_record(started_record("to second"));
      second->on_end_record(started_record("to second"));
    }
    second->shutdown();
  }
  auto third_sink = std::make_shared<collecting_exporter>();
  auto third = std::make_shared<trace::batch_span_processor>(third_sink);
  third->on_end_record(started_record("to third"));
  first->on_end_record(started_record("to first"));
  first->shutdown();
  third->shutdown();
  auto names = [](const collecting_exporter& sink, std::string_view name) {
    std::size_t count = 0, others = 0;
    for (const auto& each : sink.spans()) (each.name == name ? count : others) += 1;
    return std::pair{count, others};
  };
  CHECK(names(*first_sink, "to first") == std::pair<std::size_t, std::size_t>{11, 0});
  CHECK(names(*second_sink, "to second") == std::pair<std::size_t, std::size_t>{20, 0});
  CHECK(names(*third_sink, "to third") == std::pair<std::size_t, std::size_t>{1, 0});
}
