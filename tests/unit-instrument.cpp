// The tracer and its scoped spans: what an ended span carries, parenting through the
// thread's current context, explicit parents, hand-off across threads, remote parents,
// the runtime switch.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "trace/instrument.hpp"
#include "trace/store/memory.hpp"

using namespace std::chrono_literals;

namespace {

using memory_sink = trace::store_exporter<trace::memory_store>;

// A provider exporting synchronously into a memory store, and the spans it holds.
struct fixture {
  std::shared_ptr<memory_sink> sink = std::make_shared<memory_sink>();
  trace::tracer_provider provider{{.service_name = "checkout",
                                   .resource_attributes = {{"host.name", std::string("box-1")}},
                                   .processor = std::make_shared<trace::simple_span_processor>(sink)}};
  trace::tracer tracer = provider.get_tracer("checkout.http", "1.2.0");

  std::vector<trace::span> spans() const {
    return sink->read([](const trace::memory_store& store) {
      std::vector<trace::span> out;
      for (auto ref : store.scan()) out.push_back(ref.materialize());
      return out;
    });
  }
  trace::span only_span() const {
    auto all = spans();
    REQUIRE(all.size() == 1);
    return all[0];
  }
};

}  // namespace

static_assert(!std::is_copy_constructible_v<trace::scoped_span>);
static_assert(std::is_nothrow_move_constructible_v<trace::scoped_span>);

TEST_CASE("an ended span reaches the sink as a trace::span with everything set on it") {
  fixture f;
  {
    auto request = f.tracer.start_span("POST /cart", {.kind = trace::span_kind::server,
                                                      .attributes = {{"http.method", std::string("POST")}}});
    REQUIRE(request.is_recording());
    request.set_attribute("http.status_code", 201)
        .set_attribute("retry", 2u)
        .set_attribute("ratio", 0.5)
        .set_attribute("cached", true)
        .set_attribute("route", "/cart")
        .set_attribute("user", std::string("ada"));
  }
  auto s = f.only_span();
  CHECK(s.name == "POST /cart");
  CHECK(s.kind == trace::span_kind::server);
  CHECK(s.is_root());
  CHECK(s.trace.valid());
  CHECK(s.id.valid());
  CHECK(s.start > 0);
  CHECK(s.end >= s.start);
  CHECK(s.resource.service_name == "checkout");
  CHECK(*s.resource.attributes.find("host.name") == trace::attribute_value(std::string("box-1")));
  CHECK(s.scope.name == "checkout.http");
  CHECK(s.scope.version == "1.2.0");
  CHECK(*s.attributes.find("http.method") == trace::attribute_value(std::string("POST")));
  CHECK(*s.attributes.find("http.status_code") == trace::attribute_value(std::int64_t{201}));
  CHECK(*s.attributes.find("retry") == trace::attribute_value(std::int64_t{2}));
  CHECK(*s.attributes.find("ratio") == trace::attribute_value(0.5));
  CHECK(*s.attributes.find("cached") == trace::attribute_value(true));
  CHECK(*s.attributes.find("route") == trace::attribute_value(std::string("/cart")));
  CHECK(*s.attributes.find("user") == trace::attribute_value(std::string("ada")));
}

TEST_CASE("a span ends once: explicitly, or at the end of its scope") {
  fixture f;
  {
    auto s = f.tracer.start_span("work", {.start = 1000});
    s.end(5000);
    CHECK_FALSE(s.is_recording());
    s.end(9000);
  }
  auto s = f.only_span();
  CHECK(s.start == 1000);
  CHECK(s.end == 5000);
}

TEST_CASE("an end before the start is clamped to the start, so the span stays valid") {
  fixture f;
  f.tracer.start_span("work", {.start = 5000}).end(10);
  auto s = f.only_span();
  CHECK(s.end == 5000);
}

TEST_CASE("a span started inside another becomes its child, and the parent is current again after") {
  fixture f;
  CHECK_FALSE(trace::current_context().valid());
  {
    auto parent = f.tracer.start_span("parent");
    CHECK(trace::current_context() == parent.context());
    {
      auto child = f.tracer.start_span("child");
      CHECK(trace::current_context() == child.context());
      CHECK(child.context().trace == parent.context().trace);
    }
    CHECK(trace::current_context() == parent.context());
  }
  CHECK_FALSE(trace::current_context().valid());
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].name == "child");
  CHECK(spans[0].parent == spans[1].id);
  CHECK(spans[0].trace == spans[1].trace);
}

TEST_CASE("an explicit parent wins over the current context; root starts a new trace") {
  fixture f;
  auto other = f.tracer.start_span("other", {.make_current = false});
  auto current = f.tracer.start_span("current");
  auto explicit_child = f.tracer.start_span("explicit", {.parent = other.context(), .make_current = false});
  auto fresh = f.tracer.start_span("fresh", {.root = true, .make_current = false});
  CHECK(explicit_child.context().trace == other.context().trace);
  CHECK(fresh.context().trace != current.context().trace);
  explicit_child.end();
  fresh.end();
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].parent == other.context().span);
  CHECK(spans[1].is_root());
}

TEST_CASE("make_current = false leaves the thread's context alone") {
  fixture f;
  auto detached = f.tracer.start_span("detached", {.make_current = false});
  CHECK_FALSE(trace::current_context().valid());
}

TEST_CASE("events carry a level; record_exception adds an error event and an error status") {
  fixture f;
  {
    auto s = f.tracer.start_span("step");
    s.add_event("cache miss", trace::event_level::warn, {{"key", std::string("k1")}});
    s.record_exception(std::runtime_error("disk full"));
  }
  auto s = f.only_span();
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].name == "cache miss");
  CHECK(s.events[0].level == trace::event_level::warn);
  CHECK(s.events[0].time >= s.start);
  CHECK(s.events[1].name == "exception");
  CHECK(s.events[1].level == trace::event_level::error);
  CHECK(*s.events[1].attributes.find("exception.message") == trace::attribute_value(std::string("disk full")));
  CHECK(s.status.code == trace::status_code::error);
  CHECK(s.status.message == "disk full");
}

TEST_CASE("status: unset is ignored, ok is final, a message is kept with error only") {
  fixture f;
  {
    auto a = f.tracer.start_span("a");
    a.set_status(trace::status_code::ok, "ignored message");
    a.set_status(trace::status_code::error, "too late");
    auto b = f.tracer.start_span("b");
    b.set_status(trace::status_code::error, "bad");
    b.set_status(trace::status_code::unset);
  }
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].status == trace::basic_status<std::string>{trace::status_code::error, "bad"});
  CHECK(spans[1].status == trace::basic_status<std::string>{trace::status_code::ok, ""});
}

TEST_CASE("links point at other spans' contexts") {
  fixture f;
  trace::span_context linked{trace::trace_id{5, 6}, trace::span_id{7}, 1, true, "k=v"};
  f.tracer.start_span("consumer").add_link(linked, {{"batch", std::int64_t{3}}}).add_link(trace::span_context{});
  auto s = f.only_span();
  REQUIRE(s.links.size() == 1);
  CHECK(s.links[0].trace == linked.trace);
  CHECK(s.links[0].span == linked.span);
  CHECK(s.links[0].trace_state == "k=v");
}

TEST_CASE("moving a span moves its recording; the moved-from span records nothing") {
  fixture f;
  {
    auto first = f.tracer.start_span("moved");
    auto second = std::move(first);
    CHECK_FALSE(first.is_recording());
    CHECK(second.is_recording());
    first.end();
    CHECK(f.spans().empty());
    trace::scoped_span third;
    third = std::move(second);
    CHECK(trace::current_context() == third.context());
  }
  CHECK(f.only_span().name == "moved");
  CHECK_FALSE(trace::current_context().valid());
}

TEST_CASE("a context captured on one thread parents spans on another") {
  fixture f;
  trace::span_context handed_over;
  {
    auto request = f.tracer.start_span("request");
    handed_over = trace::current_context();
    // Catch2 assertions are not thread-safe: the worker reports, the test thread checks.
    bool worker_started_without_context = false;
    trace::trace_id worker_trace;
    std::thread worker([&] {
      worker_started_without_context = !trace::current_context().valid();  // contexts are per thread
      trace::context_scope adopt(handed_over);
      auto step = f.tracer.start_span("step on worker");
      worker_trace = step.context().trace;
    });
    worker.join();
    CHECK(worker_started_without_context);
    CHECK(worker_trace == handed_over.trace);
  }
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].name == "step on worker");
  CHECK(spans[0].parent == handed_over.span);
  CHECK(spans[0].trace == handed_over.trace);
}

TEST_CASE("many threads record into a batch processor with correct parents") {
  auto sink = std::make_shared<memory_sink>();
  auto processor = std::make_shared<trace::batch_span_processor>(
      sink, trace::batch_options{.max_queue_size = 10000, .max_export_batch_size = 64, .schedule_delay = 1ms});
  trace::tracer_provider provider({.service_name = "pool", .processor = processor});
  auto tracer = provider.get_tracer("pool");
  constexpr int threads = 4, per_thread = 200;
  trace::span_id root_id;
  std::atomic<int> wrong_traces{0};
  {
    auto root = tracer.start_span("fan-out");
    root_id = root.context().span;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&tracer, &wrong_traces, context = root.context()] {
        for (int i = 0; i < per_thread; ++i) {
          auto task = tracer.start_span("task", {.parent = context});
          auto inner = tracer.start_span("inner");
          if (inner.context().trace != context.trace) ++wrong_traces;
        }
      });
    }
    for (auto& worker : workers) worker.join();
  }
  CHECK(wrong_traces == 0);
  provider.shutdown();
  CHECK(processor->dropped() == 0);
  sink->read([&](const trace::memory_store& store) {
    CHECK(store.size() == 1 + 2 * threads * per_thread);
    CHECK(store.trace_count() == 1);
    std::map<trace::span_id, std::string> names;
    for (auto ref : store.scan()) names[ref.id()] = std::string(ref.name());
    for (auto ref : store.scan()) {
      if (ref.name() == "task") CHECK(ref.parent() == root_id);
      if (ref.name() == "inner") CHECK(names[ref.parent()] == "task");
    }
  });
}

TEST_CASE("a remote parent extracted from headers continues its trace and tracestate") {
  fixture f;
  std::map<std::string, std::string, std::less<>> incoming{
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"tracestate", "rojo=1"}};
  auto remote = trace::extract(trace::map_carrier(incoming));
  REQUIRE(remote);
  std::map<std::string, std::string, std::less<>> outgoing;
  {
    auto server = f.tracer.start_span("handle", {.kind = trace::span_kind::server, .parent = *remote});
    trace::map_carrier out(outgoing);
    trace::inject(server.context(), out);
  }
  auto s = f.only_span();
  CHECK(s.trace.to_hex() == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(s.parent.to_hex() == "00f067aa0ba902b7");
  CHECK(s.trace_state == "rojo=1");
  CHECK(outgoing.at("traceparent") == "00-4bf92f3577b34da6a3ce929d0e0e4736-" + s.id.to_hex() + "-01");
  CHECK(outgoing.at("tracestate") == "rojo=1");
}

TEST_CASE("a default tracer is disabled: its spans record nothing and touch no context") {
  trace::tracer disabled;
  CHECK_FALSE(disabled.enabled());
  auto s = disabled.start_span("nothing");
  CHECK_FALSE(s.is_recording());
  CHECK_FALSE(s.context().valid());
  CHECK_FALSE(trace::current_context().valid());
}

TEST_CASE("switching the provider off at run time stops recording until switched back on") {
  fixture f;
  f.provider.set_enabled(false);
  CHECK_FALSE(f.tracer.enabled());
  f.tracer.start_span("while off").set_attribute("x", 1);
  CHECK(f.spans().empty());
  f.provider.set_enabled(true);
  f.tracer.start_span("while on");
  CHECK(f.only_span().name == "while on");
}

TEST_CASE("without a processor, spans propagate their context but record nothing") {
  trace::tracer_provider provider;
  auto tracer = provider.get_tracer("t");
  auto s = tracer.start_span("s");
  CHECK_FALSE(s.is_recording());
  CHECK(s.context().valid());
  CHECK(s.context().sampled());
}

TEST_CASE("the same tracer name and version give the same scope") {
  fixture f;
  f.provider.get_tracer("checkout.http", "1.2.0").start_span("a");
  f.provider.get_tracer("checkout.db").start_span("b");
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].scope.name == "checkout.http");
  CHECK(spans[1].scope.name == "checkout.db");
  CHECK(spans[1].scope.version.empty());
}

TEST_CASE("a null sampler is refused") {
  CHECK_THROWS_WITH(trace::tracer_provider({.sampler = nullptr}), "invalid option: tracer_provider: the sampler is null");
}

TEST_CASE("a span ended on another thread leaves that thread's context alone") {
  // The span stays current here after it ended there (each thread owns its context); the
  // scope restores this thread's empty context afterwards, for the tests that follow.
  const trace::context_scope isolation{trace::span_context{}};
  fixture f;
  auto moved = f.tracer.start_span("started here");
  const trace::span_context own{trace::trace_id{1, 1}, trace::span_id{1}, 0, false, ""};
  bool context_kept = false;
  std::thread other([&] {
    trace::context_scope scope(own);
    moved.end();
    context_kept = trace::current_context() == own;
  });
  other.join();
  CHECK(context_kept);
  CHECK(f.only_span().name == "started here");
  CHECK(trace::current_context() == moved.context());
}

TEST_CASE("the TRACE_ macros start, annotate and end spans when instrumentation is compiled in") {
  fixture f;
  {
    TRACE_SPAN(step, f.tracer, "macro step", {.kind = trace::span_kind::client});
    TRACE_SET_ATTRIBUTE(step, "bytes", 42);
    TRACE_ADD_EVENT(step, "sent");
    TRACE_SET_STATUS(step, trace::status_code::error, "refused");
  }
  auto s = f.only_span();
  CHECK(s.name == "macro step");
  CHECK(s.kind == trace::span_kind::client);
  CHECK(*s.attributes.find("bytes") == trace::attribute_value(std::int64_t{42}));
  CHECK(s.events.size() == 1);
  CHECK(s.status.message == "refused");
}

TEST_CASE("spans nested deeper than the inline context stack keep their parents, and the context unwinds") {
  fixture f;
  const std::size_t depth = trace::detail::context_stack::inline_depth * 2 + 5;
  {
    std::vector<trace::scoped_span> chain;
    for (std::size_t i = 0; i < depth; ++i) chain.push_back(f.tracer.start_span("level " + std::to_string(i)));
    CHECK(trace::current_context() == chain.back().context());
    while (!chain.empty()) {
      chain.back().end();
      chain.pop_back();
      if (!chain.empty()) CHECK(trace::current_context() == chain.back().context());
    }
  }
  CHECK_FALSE(trace::current_context().valid());
  auto spans = f.spans();
  REQUIRE(spans.size() == depth);
  std::map<std::string, trace::span> by_name;
  for (const auto& s : spans) by_name[s.name] = s;
  CHECK(by_name["level 0"].is_root());
  for (std::size_t i = 1; i < depth; ++i) {
    const auto& child = by_name["level " + std::to_string(i)];
    CHECK(child.parent == by_name["level " + std::to_string(i - 1)].id);
    CHECK(child.trace == by_name["level 0"].trace);
  }
}

TEST_CASE("a span's context, the current context and the exported span agree on the ids") {
  fixture f;
  trace::span_context parent_seen, child_seen, current_seen;
  {
    auto parent = f.tracer.start_span("parent");
    parent_seen = parent.context();
    auto child = f.tracer.start_span("child");
    child_seen = child.context();
    current_seen = trace::current_context();
    CHECK(child.context() == child_seen);  // asked twice, the same ids
  }
  CHECK(current_seen == child_seen);
  auto spans = f.spans();
  REQUIRE(spans.size() == 2);
  const auto& child = spans[0].name == "child" ? spans[0] : spans[1];
  const auto& parent = spans[0].name == "child" ? spans[1] : spans[0];
  CHECK(parent.id == parent_seen.span);
  CHECK(parent.trace == parent_seen.trace);
  CHECK(child.id == child_seen.span);
  CHECK(child.parent == parent.id);
  CHECK(child.trace == parent.trace);
  CHECK(child.id != parent.id);
}

TEST_CASE("an unsampled root lends its trace to a sampled child (a parent rule of one's own) and to inject") {
  auto sink = std::make_shared<memory_sink>();
  auto off = std::make_shared<trace::always_off_sampler>();
  auto on = std::make_shared<trace::always_on_sampler>();
  trace::tracer_provider provider({.sampler = std::make_shared<trace::parent_based_sampler>(
                                       off, trace::parent_based_sampler::options{.local_parent_not_sampled = on}),
                                   .processor = std::make_shared<trace::simple_span_processor>(sink)});
  auto tracer = provider.get_tracer("t");
  trace::span_context root_seen;
  {
    auto root = tracer.start_span("root");
    CHECK_FALSE(root.is_recording());
    auto child = tracer.start_span("child");
    CHECK(child.is_recording());
    root_seen = root.context();
    CHECK(child.context().trace == root_seen.trace);
  }
  CHECK(root_seen.valid());
  CHECK_FALSE(root_seen.sampled());
  auto spans = sink->read([](const trace::memory_store& store) {
    std::vector<trace::span> out;
    for (auto ref : store.scan()) out.push_back(ref.materialize());
    return out;
  });
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].trace == root_seen.trace);
  CHECK(spans[0].parent == root_seen.span);
}

TEST_CASE("OpenTelemetry's span limits: past 128 attributes, events, event attributes or links, the rest is counted dropped") {
  fixture f;
  {
    auto s = f.tracer.start_span("limited");
    for (int i = 0; i < 130; ++i) s.set_attribute("key." + std::to_string(i), i);
    s.set_attribute("key.0", -1);  // replacing a kept key is not a new attribute
    trace::attributes many;
    for (int i = 0; i < 131; ++i) many.set("e." + std::to_string(i), std::int64_t{i});
    for (int i = 0; i < 129; ++i) s.add_event("event " + std::to_string(i), trace::event_level::info, i == 0 ? many : trace::attributes{});
    const trace::span_context linked{trace::trace_id{1, 1}, trace::span_id{2}, 1, false, ""};
    for (int i = 0; i < 132; ++i) s.add_link(linked);
  }
  auto s = f.only_span();
  CHECK(s.attributes.size() == 128);
  CHECK(s.dropped_attributes == 2);
  CHECK(*s.attributes.find("key.0") == trace::attribute_value(std::int64_t{-1}));
  CHECK(s.attributes.find("key.129") == nullptr);
  CHECK(s.events.size() == 128);
  CHECK(s.dropped_events == 1);
  CHECK(s.events[0].attributes.size() == 128);
  CHECK(s.events[0].dropped_attributes == 3);
  CHECK(s.events[127].name == "event 127");
  CHECK(s.links.size() == 128);
  CHECK(s.dropped_links == 4);
}

TEST_CASE("not sampled by a parent-based ratio 0: nested spans record nothing, share one trace, and unwind the context") {
  auto sink = std::make_shared<memory_sink>();
  trace::tracer_provider provider(
      {.sampler = std::make_shared<trace::parent_based_sampler>(std::make_shared<trace::trace_id_ratio_sampler>(0.0)),
       .processor = std::make_shared<trace::simple_span_processor>(sink)});
  auto tracer = provider.get_tracer("t");
  trace::span_context root_seen, child_seen, grandchild_seen, current_inside;
  {
    auto root = tracer.start_span("root");
    auto child = tracer.start_span("child");
    {
      auto grandchild = tracer.start_span("grandchild");
      grandchild_seen = grandchild.context();
      current_inside = trace::current_context();
      CHECK_FALSE(grandchild.is_recording());
    }
    CHECK(trace::current_context() == child.context());
    root_seen = root.context();
    child_seen = child.context();
    CHECK_FALSE(root.is_recording());
    CHECK_FALSE(child.is_recording());
  }
  CHECK_FALSE(trace::current_context().valid());
  CHECK(root_seen.valid());
  CHECK_FALSE(root_seen.sampled());
  CHECK(child_seen.trace == root_seen.trace);
  CHECK(grandchild_seen.trace == root_seen.trace);
  CHECK(current_inside == grandchild_seen);
  CHECK(child_seen.span != root_seen.span);
  CHECK(grandchild_seen.span != child_seen.span);
  CHECK(sink->read([](const trace::memory_store& store) { return store.size(); }) == 0);
  // The traceparent a request made inside would carry: the innermost span, not sampled.
  std::map<std::string, std::string, std::less<>> headers;
  trace::map_carrier carrier(headers);
  trace::inject(grandchild_seen, carrier);
  CHECK(headers["traceparent"] == trace::format_traceparent(grandchild_seen));
  CHECK(headers["traceparent"].ends_with("-00"));
}

TEST_CASE("a ratio between 0 and 1 decides on each root's trace id as the sampler itself does, children following") {
  auto sink = std::make_shared<memory_sink>();
  auto ratio = std::make_shared<trace::trace_id_ratio_sampler>(0.5);
  trace::tracer_provider provider({.sampler = std::make_shared<trace::parent_based_sampler>(ratio),
                                   .processor = std::make_shared<trace::simple_span_processor>(sink)});
  auto tracer = provider.get_tracer("t");
  int sampled_roots = 0;
  for (int i = 0; i < 200; ++i) {
    auto root = tracer.start_span("root");
    const trace::span_context seen = root.context();
    const trace::span_context no_parent;
    const bool expected = ratio->should_sample({no_parent, seen.trace, "root", trace::span_kind::internal}) ==
                          trace::sampling_decision::record_and_sample;
    CHECK(root.is_recording() == expected);
    CHECK(seen.sampled() == expected);
    auto child = tracer.start_span("child");
    CHECK(child.is_recording() == expected);
    CHECK(child.context().trace == seen.trace);
    sampled_roots += expected ? 1 : 0;
  }
  CHECK(sampled_roots > 0);
  CHECK(sampled_roots < 200);
  CHECK(sink->read([](const trace::memory_store& store) { return store.size(); }) == static_cast<std::size_t>(2 * sampled_roots));
}
