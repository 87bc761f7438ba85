// Samplers: always on/off, the trace-id ratio (deterministic, proportional, agreeing with
// OpenTelemetry's rule), parent-based delegation; and how the tracer applies them.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "trace/instrument/exporter.hpp"
#include "trace/instrument/sampler.hpp"
#include "trace/instrument/sampling_plan.hpp"
#include "trace/instrument/simple_processor.hpp"
#include "trace/instrument/tracer.hpp"

namespace {

trace::sampling_decision decide(const trace::sampler& s, const trace::span_context& parent, trace::trace_id id) {
  return s.should_sample({parent, id, "op", trace::span_kind::internal});
}

trace::span_context parent_context(bool remote, bool sampled) {
  return {trace::trace_id{7, 7}, trace::span_id{9}, static_cast<std::uint8_t>(sampled ? 1 : 0), remote, ""};
}

constexpr auto keep = trace::sampling_decision::record_and_sample;
constexpr auto drop = trace::sampling_decision::drop;

}  // namespace

TEST_CASE("always on keeps and always off drops, whatever the parent") {
  trace::always_on_sampler on;
  trace::always_off_sampler off;
  for (auto parent : {trace::span_context{}, parent_context(false, false), parent_context(true, true)}) {
    CHECK(decide(on, parent, trace::trace_id{1, 1}) == keep);
    CHECK(decide(off, parent, trace::trace_id{1, 1}) == drop);
  }
  CHECK(on.description() == "AlwaysOnSampler");
  CHECK(off.description() == "AlwaysOffSampler");
}

TEST_CASE("ratio: the decision compares the trace id's low 63 bits with ratio * 2^63") {
  trace::trace_id_ratio_sampler half(0.5);
  // (low >> 1) < 2^62 keeps; the high half of the id plays no part.
  CHECK(decide(half, {}, trace::trace_id{~0ULL, (1ULL << 63) - 2}) == keep);
  CHECK(decide(half, {}, trace::trace_id{0, 1ULL << 63}) == drop);
  CHECK(decide(half, {}, trace::trace_id{0, ~0ULL}) == drop);
  CHECK(half.description() == "TraceIdRatioBased{0.500000}");
}

TEST_CASE("ratio: the same trace id always gets the same decision") {
  trace::trace_id_ratio_sampler a(0.3), b(0.3);
  for (int i = 0; i < 1000; ++i) {
    auto id = trace::random_trace_id();
    CHECK(decide(a, {}, id) == decide(b, {}, id));
  }
}

TEST_CASE("ratio: about the ratio of random traces is kept") {
  trace::trace_id_ratio_sampler quarter(0.25);
  int kept = 0;
  const int total = 20000;
  for (int i = 0; i < total; ++i) kept += decide(quarter, {}, trace::random_trace_id()) == keep;
  // 0.25 ± 5 standard deviations (sd ≈ 0.003 at 20000 draws).
  CHECK(kept > total * 0.235);
  CHECK(kept < total * 0.265);
}

TEST_CASE("ratio: 0 keeps nothing and 1 keeps everything") {
  trace::trace_id_ratio_sampler none(0.0), all(1.0);
  for (auto id : {trace::trace_id{0, 1}, trace::trace_id{0, ~0ULL}, trace::trace_id{5, 0}}) {
    CHECK(decide(none, {}, id) == drop);
    CHECK(decide(all, {}, id) == keep);
  }
}

TEST_CASE("ratio: a ratio outside [0, 1] is refused") {
  CHECK_THROWS_WITH(trace::trace_id_ratio_sampler(1.5),
                    "invalid option: trace_id_ratio_sampler: ratio 1.500000 is not within [0, 1]");
  CHECK_THROWS_WITH(trace::trace_id_ratio_sampler(-0.1),
                    "invalid option: trace_id_ratio_sampler: ratio -0.100000 is not within [0, 1]");
}

TEST_CASE("parent-based: a root span asks the root sampler") {
  trace::parent_based_sampler on(std::make_shared<trace::always_on_sampler>());
  trace::parent_based_sampler off(std::make_shared<trace::always_off_sampler>());
  CHECK(decide(on, {}, trace::trace_id{1, 1}) == keep);
  CHECK(decide(off, {}, trace::trace_id{1, 1}) == drop);
  CHECK(off.description() == "ParentBased{root=AlwaysOffSampler}");
}

TEST_CASE("parent-based: by default a child follows its parent's sampled flag") {
  trace::parent_based_sampler s(std::make_shared<trace::always_off_sampler>());
  CHECK(decide(s, parent_context(false, true), trace::trace_id{7, 7}) == keep);
  CHECK(decide(s, parent_context(true, true), trace::trace_id{7, 7}) == keep);
  CHECK(decide(s, parent_context(false, false), trace::trace_id{7, 7}) == drop);
  CHECK(decide(s, parent_context(true, false), trace::trace_id{7, 7}) == drop);
}

TEST_CASE("parent-based: each of the four parent cases takes its own delegate") {
  auto on = std::make_shared<trace::always_on_sampler>();
  auto off = std::make_shared<trace::always_off_sampler>();
  trace::parent_based_sampler s(off, {.remote_parent_sampled = off,
                                      .remote_parent_not_sampled = on,
                                      .local_parent_sampled = off,
                                      .local_parent_not_sampled = on});
  CHECK(decide(s, parent_context(true, true), trace::trace_id{7, 7}) == drop);
  CHECK(decide(s, parent_context(true, false), trace::trace_id{7, 7}) == keep);
  CHECK(decide(s, parent_context(false, true), trace::trace_id{7, 7}) == drop);
  CHECK(decide(s, parent_context(false, false), trace::trace_id{7, 7}) == keep);
}

TEST_CASE("parent-based: a null sampler is refused") {
  CHECK_THROWS_WITH(trace::parent_based_sampler(nullptr),
                    "invalid option: parent_based_sampler: the root and every delegate sampler must be set");
}

namespace {
struct counting_exporter : trace::span_exporter {
  int spans = 0;
  void export_spans(std::span<const trace::span> batch) override { spans += static_cast<int>(batch.size()); }
};
}  // namespace

TEST_CASE("an unsampled span records nothing but carries its context, unsampled, to children") {
  auto exporter = std::make_shared<counting_exporter>();
  trace::tracer_provider provider({.sampler = std::make_shared<trace::parent_based_sampler>(
                                       std::make_shared<trace::always_off_sampler>()),
                                   .processor = std::make_shared<trace::simple_span_processor>(exporter)});
  auto tracer = provider.get_tracer("test");
  {
    auto root = tracer.start_span("root");
    CHECK_FALSE(root.is_recording());
    CHECK(root.context().valid());
    CHECK_FALSE(root.context().sampled());
    root.set_attribute("ignored", 1).add_event("ignored");
    auto child = tracer.start_span("child");
    CHECK_FALSE(child.is_recording());
    CHECK(child.context().trace == root.context().trace);
  }
  CHECK(exporter->spans == 0);
}

TEST_CASE("the tracer asks the sampler with the parent's trace id, so a trace is kept or dropped whole") {
  auto exporter = std::make_shared<counting_exporter>();
  trace::tracer_provider provider({.sampler = std::make_shared<trace::trace_id_ratio_sampler>(0.5),
                                   .processor = std::make_shared<trace::simple_span_processor>(exporter)});
  auto tracer = provider.get_tracer("test");
  int kept_roots = 0;
  for (int i = 0; i < 200; ++i) {
    auto root = tracer.start_span("root");
    auto child = tracer.start_span("child");
    CHECK(child.is_recording() == root.is_recording());
    kept_roots += root.is_recording();
  }
  CHECK(exporter->spans == 2 * kept_roots);
  CHECK(kept_roots > 0);
  CHECK(kept_roots < 200);
}

TEST_CASE("the built-in samplers reduce to trace-id bounds; a sampler of one's own does not") {
  auto ratio = std::make_shared<trace::trace_id_ratio_sampler>(0.25);
  CHECK(trace::always_on_sampler().trace_id_bound() == trace::keep_every_trace);
  CHECK(trace::always_off_sampler().trace_id_bound() == 0u);
  CHECK(ratio->trace_id_bound() == trace::keep_every_trace / 4);

  auto plain = trace::detail::sampling_plan::of(*ratio);
  CHECK(plain.inlined);
  CHECK(plain.bound(true, true, false) == trace::keep_every_trace / 4);  // no parent rule: the ratio for all

  auto off = std::make_shared<trace::always_off_sampler>();
  auto on = std::make_shared<trace::always_on_sampler>();
  trace::parent_based_sampler mixed(ratio, {.remote_parent_sampled = off, .remote_parent_not_sampled = on,
                                            .local_parent_sampled = ratio, .local_parent_not_sampled = off});
  auto plan = trace::detail::sampling_plan::of(mixed);
  CHECK(plan.inlined);
  CHECK(plan.bound(false, false, false) == trace::keep_every_trace / 4);
  CHECK(plan.bound(true, true, true) == 0u);
  CHECK(plan.bound(true, true, false) == trace::keep_every_trace);
  CHECK(plan.bound(true, false, true) == trace::keep_every_trace / 4);
  CHECK(plan.bound(true, false, false) == 0u);

  struct by_name final : trace::sampler {
    trace::sampling_decision should_sample(const trace::sampling_params& params) const override {
      return params.name == "keep" ? trace::sampling_decision::record_and_sample : trace::sampling_decision::drop;
    }
    std::string description() const override { return "ByName"; }
  };
  auto own = std::make_shared<by_name>();
  CHECK_FALSE(trace::detail::sampling_plan::of(*own).inlined);
  CHECK_FALSE(trace::detail::sampling_plan::of(trace::parent_based_sampler(on, {.local_parent_not_sampled = own})).inlined);
}

TEST_CASE("a sampling plan decides alone by the parent's case only where its bound is 0 or all") {
  using trace::detail::parent_case;
  constexpr auto general = trace::detail::sampling_plan::needs_general_path;
  auto off = std::make_shared<trace::always_off_sampler>();
  auto on = std::make_shared<trace::always_on_sampler>();
  auto ratio = std::make_shared<trace::trace_id_ratio_sampler>(0.25);
  auto plan = trace::detail::sampling_plan::of(
      trace::parent_based_sampler(off, {.remote_parent_sampled = on, .remote_parent_not_sampled = ratio,
                                        .local_parent_sampled = on, .local_parent_not_sampled = off}));
  CHECK(plan.alone[0] == 0u);                                                      // a root: off
  CHECK(plan.alone[parent_case::case_sampled] == 0u);                              // an invalid parent is none
  CHECK(plan.alone[parent_case::case_valid] == 0u);                                // local, not sampled
  CHECK(plan.alone[parent_case::case_valid | parent_case::case_sampled] == trace::keep_every_trace);
  CHECK(plan.alone[parent_case::case_valid | parent_case::case_remote] == general);  // the ratio needs the id
  CHECK(plan.alone[parent_case::case_valid | parent_case::case_remote | parent_case::case_sampled] == trace::keep_every_trace);
  for (std::uint8_t with_state = parent_case::case_trace_state; with_state < trace::detail::parent_case_count; ++with_state)
    CHECK(plan.alone[with_state] == general);  // a tracestate to carry: the general path

  struct by_name final : trace::sampler {
    trace::sampling_decision should_sample(const trace::sampling_params&) const override { return trace::sampling_decision::drop; }
    std::string description() const override { return "Own"; }
  };
  auto own = trace::detail::sampling_plan::of(by_name{});
  for (auto bound : own.alone) CHECK(bound == general);

  // The case a context entry records for its children.
  trace::detail::context_stack stack;
  stack.push(trace::trace_id{1, 2}, trace::span_id{3}, trace::span_context::sampled_flag, true, 0, {});
  CHECK(stack.top().child_case == (parent_case::case_valid | parent_case::case_remote | parent_case::case_sampled));
  stack.push(trace::trace_id{}, trace::span_id{3}, 0, false, 0, "k=v");
  CHECK(stack.top().child_case == parent_case::case_trace_state);  // invalid, yet a tracestate
  stack.pop_to(0);
  CHECK(stack.top().child_case == 0);
  CHECK_FALSE(stack.top().valid());
}

TEST_CASE("the tracer's inline decisions are the sampler's own, in every parent case") {
  // Parent-based with a ratio at the root and for unsampled local parents: each span's
  // sampled flag must be what should_sample answers for its parent and trace id.
  auto half = std::make_shared<trace::trace_id_ratio_sampler>(0.5);
  auto sampler = std::make_shared<trace::parent_based_sampler>(
      half, trace::parent_based_sampler::options{.remote_parent_not_sampled = half, .local_parent_not_sampled = half});
  auto exporter = std::make_shared<counting_exporter>();
  trace::tracer_provider provider({.sampler = sampler, .processor = std::make_shared<trace::simple_span_processor>(exporter)});
  auto tracer = provider.get_tracer("test");
  int agreed = 0, kept = 0, disagreed = 0;
  auto check = [&](const trace::span_context& parent, const trace::scoped_span& span) {
    auto context = span.context();
    bool expected = decide(*sampler, parent, context.trace) == keep;
    (context.sampled() == expected ? agreed : disagreed) += 1;
    kept += context.sampled();
    CHECK(span.is_recording() == context.sampled());
  };
  for (int i = 0; i < 300; ++i) {
    auto root = tracer.start_span("root");
    check({}, root);
    auto child = tracer.start_span("child");  // a local parent, sampled or not
    check(root.context(), child);
    trace::span_context remote{trace::random_trace_id(), trace::span_id{9}, static_cast<std::uint8_t>(i % 2), true, ""};
    auto continued = tracer.start_span("continued", {.parent = remote});
    check(remote, continued);
  }
  CHECK(disagreed == 0);
  CHECK(agreed == 900);
  CHECK(kept > 0);
  CHECK(kept < 900);
}

TEST_CASE("a sampler of one's own is asked for every span, with the span's name") {
  struct by_name final : trace::sampler {
    mutable std::atomic<int> asked{0};
    trace::sampling_decision should_sample(const trace::sampling_params& params) const override {
      ++asked;
      return params.name == "keep" ? trace::sampling_decision::record_and_sample : trace::sampling_decision::drop;
    }
    std::string description() const override { return "ByName"; }
  };
  auto sampler = std::make_shared<by_name>();
  auto exporter = std::make_shared<counting_exporter>();
  trace::tracer_provider provider({.sampler = sampler, .processor = std::make_shared<trace::simple_span_processor>(exporter)});
  auto tracer = provider.get_tracer("test");
  CHECK(tracer.start_span("keep").is_recording());
  CHECK_FALSE(tracer.start_span("drop").is_recording());
  CHECK(sampler->asked == 2);
  CHECK(exporter->spans == 1);
}
