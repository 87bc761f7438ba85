#pragma once
// The entry points, shaped like OpenTelemetry's SDK: a `tracer_provider` configured with a
// service (resource), a sampler and a span processor hands out `tracer`s, and a tracer
// starts `scoped_span`s.
//
//   trace::tracer_provider provider({.service_name = "checkout", .processor = processor});
//   trace::tracer tracer = provider.get_tracer("checkout.http", "1.2.0");
//   {
//     auto request = tracer.start_span("POST /cart", {.kind = trace::span_kind::server});
//     request.set_attribute("http.status_code", 200);
//   }  // ends here
//
// Lifetime: the provider outlives its tracers and their spans; its destructor shuts the
// processor down, exporting what was queued.

#include <chrono>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/error.hpp"
#include "trace/core/event.hpp"
#include "trace/core/status.hpp"
#include "trace/core/time.hpp"
#include "trace/instrument/context.hpp"
#include "trace/instrument/sampler.hpp"
#include "trace/instrument/scoped_span.hpp"
#include "trace/instrument/tracer_state.hpp"

namespace trace {
inline namespace v0 {

struct span_options {
  span_kind kind = span_kind::internal;
  std::optional<span_context> parent{};  // explicit parent; otherwise the thread's current context
  bool root = false;                     // start a new trace even when a context is current
  basic_attributes<std::string> attributes{};  // known at start, visible to nothing before the end
  std::vector<link> links{};
  timestamp_ns start = 0;     // 0: now
  bool make_current = true;   // become the thread's current context until ended
};

struct provider_options {
  std::string service_name = "unknown_service";
  basic_attributes<std::string> resource_attributes{};
  // OpenTelemetry's default: follow the parent, sample every root.
  std::shared_ptr<const trace::sampler> sampler =
      std::make_shared<parent_based_sampler>(std::make_shared<always_on_sampler>());
  std::shared_ptr<span_processor> processor{};  // null: spans propagate context but record nothing
};

// A cheap handle (one pointer); copy it freely. A default-constructed tracer is disabled.
class tracer {
 public:
  tracer() noexcept = default;

  // The check for a disabled tracer is inline, so that a disabled span costs a load and
  // a branch wherever it is started.
  scoped_span start_span(std::string_view name) const {
    scoped_span started;
    if (enabled()) [[likely]]
      if (!start_not_sampled(started)) start_in_current(started, name);
    return started;
  }
  scoped_span start_span(std::string_view name, span_options options) const {
    scoped_span started;
    if (enabled()) [[likely]]
      start(started, name, &options);
    return started;
  }

  // False for a default tracer and while its provider is switched off.
  bool enabled() const noexcept { return state_ && state_->enabled.load(std::memory_order_relaxed); }

 private:
  friend class tracer_provider;
  explicit tracer(const detail::tracer_state* state) noexcept : state_(state) {}
  void start(scoped_span& started, std::string_view name, span_options* options) const;
  // The common case alone: no options, the thread's current context as the parent, a
  // sampler whose bound for that parent decides alone; anything else goes on to `start`.
  // Kept apart so that a sampled span runs a short path with few registers to save.
  void start_in_current(scoped_span& started, std::string_view name) const;
  // The commonest case of all, inline where spans start and with no call: a span that is
  // not sampled because the bound for the current context is 0. Does nothing and returns
  // false in any other case. (Inlining all of `start_in_current` instead made the loops
  // around spans carry its body: 40 instructions per disabled span instead of 13.)
  bool start_not_sampled(scoped_span& started) const noexcept;
  void begin_record(scoped_span& started, std::string_view name, span_id parent, std::uint8_t parent_is_token) const;
  // The rarer parts of `start`, kept out of line so that the common path stays small.
  static bool ask_sampler(const detail::provider_state& provider, bool explicit_parent, const span_context* chosen, trace_id trace,
                          std::string_view name, span_kind kind);
  static void carry_trace_state(scoped_span& started, std::string_view trace_state);
  static void apply_options(span_record& record, span_options* options, std::string_view trace_state);

  const detail::tracer_state* state_ = nullptr;
};

class tracer_provider {
 public:
  explicit tracer_provider(provider_options options = {});
  ~tracer_provider() { shutdown(); }

  tracer_provider(const tracer_provider&) = delete;
  tracer_provider& operator=(const tracer_provider&) = delete;

  // The tracer of one instrumentation scope; the same name and version give the same scope.
  tracer get_tracer(std::string_view name, std::string_view version = {});

  // The runtime switch: while off, every tracer of this provider starts no-op spans.
  void set_enabled(bool on) noexcept;
  bool enabled() const noexcept {
    std::lock_guard lock(state_->tracers_mutex);
    return state_->enabled;
  }

  const resource& service() const noexcept { return state_->service; }

  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return state_->processor ? state_->processor->force_flush(timeout) : true;
  }
  void shutdown() {
    if (state_->processor) state_->processor->shutdown();
  }

 private:
  std::unique_ptr<detail::provider_state> state_;
};

// ---------------------------------------------------------------------------------------

inline tracer_provider::tracer_provider(provider_options options) : state_(std::make_unique<detail::provider_state>()) {
  if (!options.sampler) throw error(errc::invalid_option, "tracer_provider: the sampler is null");
  state_->service = resource{std::move(options.service_name), std::move(options.resource_attributes), 0};
  state_->decider = std::move(options.sampler);
  state_->plan = detail::sampling_plan::of(*state_->decider);
  state_->processor = std::move(options.processor);
  detail::init_span_clock();
}

inline void tracer_provider::set_enabled(bool on) noexcept {
  std::lock_guard lock(state_->tracers_mutex);
  state_->enabled = on;
  for (auto& each : state_->tracers) each.enabled.store(on, std::memory_order_relaxed);
}

inline tracer tracer_provider::get_tracer(std::string_view name, std::string_view version) {
  std::lock_guard lock(state_->tracers_mutex);
  for (const auto& existing : state_->tracers)
    if (existing.library.name == name && existing.library.version == version) return tracer(&existing);
  state_->tracers.emplace_back(state_.get(), scope{std::string(name), std::string(version), {}, 0}, state_->enabled);
  return tracer(&state_->tracers.back());
}

[[gnu::noinline]] inline void tracer::start(scoped_span& started, std::string_view name, span_options* options) const {
  const detail::provider_state& provider = *state_->provider;
  detail::context_stack& stack = detail::this_thread_contexts();
  const detail::context_entry& current = stack.top();
  // An explicit parent, or none for a root; otherwise the thread's current context, read
  // in place (its ids may still be tokens).
  const bool explicit_parent = options && (options->parent || options->root);
  const span_context* chosen = explicit_parent && options->parent ? &*options->parent : nullptr;
  const trace_id parent_trace = chosen ? chosen->trace : current.trace;
  const span_id parent_span = chosen ? chosen->span : current.span;
  const std::uint8_t parent_tokens = explicit_parent ? 0 : current.tokens;
  const bool has_parent = explicit_parent ? chosen && chosen->valid() : current.valid();
  const bool parent_remote = chosen ? chosen->remote : current.remote;
  const bool parent_sampled = ((chosen ? chosen->flags : current.flags) & span_context::sampled_flag) != 0;
  const span_kind kind = options ? options->kind : span_kind::internal;

  // The new span's ids as one token; a root's trace id comes from it too. Kept in
  // registers: the pushed context and the record take these, not a reload.
  const std::uint64_t token = detail::next_id_token();
  const trace_id trace = has_parent ? parent_trace : trace_id{0, token};
  const std::uint8_t tokens = detail::span_is_token | (has_parent ? parent_tokens & detail::trace_is_token : detail::trace_is_token);

  bool sampled;
  if (provider.plan.inlined) [[likely]] {
    // A bound of 0 or 2^63 decides alone; a ratio in between needs the trace id itself.
    const std::uint64_t bound = provider.plan.bound(has_parent, parent_remote, parent_sampled);
    sampled = bound != 0 && (bound >= keep_every_trace || within_bound(detail::resolve_trace(trace, tokens), bound));
  } else {
    sampled = ask_sampler(provider, explicit_parent, chosen, detail::resolve_trace(trace, tokens), name, kind);
  }
  const std::uint8_t flags = sampled ? span_context::sampled_flag : 0;

  new (&started.live_) scoped_span::live_state{trace, span_id{token}, flags, tokens, nullptr, nullptr, 0};
  started.has_context_ = true;
  std::string_view trace_state;
  if (has_parent && (explicit_parent ? !chosen->trace_state.empty() : current.has_trace_state)) [[unlikely]] {
    trace_state = explicit_parent ? std::string_view(chosen->trace_state) : std::string_view(stack.trace_state(stack.depth() - 1));
    carry_trace_state(started, trace_state);
  }

  if (sampled && provider.processor) {
    const bool explicit_start = options && options->start;
    new (&started.record_) span_record();
    const std::uint8_t parent_is_token = has_parent && (parent_tokens & detail::span_is_token) ? span_record::parent_is_token : 0;
    started.record_.start(trace, span_id{token}, has_parent ? parent_span : span_id{}, name, kind,
                          span_origin{&provider.service, &state_->library},
                          explicit_start ? options->start : detail::span_ticks(), explicit_start, tokens | parent_is_token);
    started.processor_ = provider.processor.get();
    if (options || !trace_state.empty()) [[unlikely]]
      apply_options(started.record_, options, trace_state);
  }
  if (!options || options->make_current) {
    started.live_.stack = &stack;
    started.live_.level = stack.push(trace, span_id{token}, flags, false, tokens, trace_state);
    started.is_current_ = true;
  }
}

[[gnu::always_inline]] inline bool tracer::start_not_sampled(scoped_span& started) const noexcept {
  detail::context_stack& stack = detail::this_thread_contexts();
  std::uint64_t& id_state = detail::id_token_state();
  if (!stack.next_is_inline() || id_state == 0) [[unlikely]]
    return false;
  const detail::context_entry& parent = stack.inline_top();
  if (state_->provider->plan.alone[parent.child_case] != 0) return false;
  id_state += detail::id_token_step;
  const std::uint64_t token = id_state | 1;
  const bool has_parent = (parent.child_case & detail::case_valid) != 0;
  const trace_id trace = has_parent ? parent.trace : trace_id{0, token};
  const std::uint8_t tokens = detail::span_is_token | (has_parent ? parent.tokens & detail::trace_is_token : detail::trace_is_token);
  // The push writes the level above `parent`'s, so the parent's values read above stay.
  started.start_current(trace, span_id{token}, 0, tokens, stack, stack.push_inline(trace, span_id{token}, 0, tokens));
  return true;
}

[[gnu::noinline]] inline void tracer::start_in_current(scoped_span& started, std::string_view name) const {
  const detail::provider_state& provider = *state_->provider;
  detail::context_stack& stack = detail::this_thread_contexts();
  std::uint64_t& id_state = detail::id_token_state();
  // Past the inline levels even the parent is read by the general path, as is the thread's
  // first id. With every call either there or last, this path needs few registers.
  if (!stack.next_is_inline() || id_state == 0) [[unlikely]]
    return start(started, name, nullptr);
  const detail::context_entry& parent = stack.inline_top();
  // One load decides: the bound for this parent's case, unless it takes the general path
  // (a sampler of one's own, a ratio that needs the trace id, a tracestate).
  const std::uint64_t bound = provider.plan.alone[parent.child_case];
  if ((bound & ~keep_every_trace) != 0) [[unlikely]]
    return start(started, name, nullptr);
  id_state += detail::id_token_step;
  const std::uint64_t token = id_state | 1;
  const bool has_parent = (parent.child_case & detail::case_valid) != 0;
  const trace_id trace = has_parent ? parent.trace : trace_id{0, token};
  const std::uint8_t tokens = detail::span_is_token | (has_parent ? parent.tokens & detail::trace_is_token : detail::trace_is_token);
  const bool sampled = bound != 0;
  const std::uint8_t flags = sampled ? span_context::sampled_flag : 0;
  const span_id parent_span = has_parent ? parent.span : span_id{};
  const std::uint8_t parent_is_token = has_parent && (parent.tokens & detail::span_is_token) ? span_record::parent_is_token : 0;
  // The push writes the level above `parent`'s, so the parent's values read above stay.
  started.start_current(trace, span_id{token}, flags, tokens, stack, stack.push_inline(trace, span_id{token}, flags, tokens));
  // Last, and with its arguments in registers, so a tail call: nothing is kept across it.
  if (sampled && provider.processor) begin_record(started, name, parent_span, parent_is_token);
}

// The record of a span `start_in_current` has given its context (its ids read from there).
[[gnu::noinline]] inline void tracer::begin_record(scoped_span& started, std::string_view name, span_id parent,
                                                   std::uint8_t parent_is_token) const {
  const detail::provider_state& provider = *state_->provider;
  const scoped_span::live_state& live = started.live_;
  // The clock first: its atomic read between the record's construction and `start` would
  // keep the compiler from dropping the default values that `start` overwrites.
  const std::uint64_t now = detail::span_ticks();
  new (&started.record_) span_record();
  started.record_.start(live.trace, live.span, parent, name, span_kind::internal, span_origin{&provider.service, &state_->library},
                        now, false, live.tokens | parent_is_token);
  started.processor_ = provider.processor.get();
}

[[gnu::cold, gnu::noinline]] inline bool tracer::ask_sampler(const detail::provider_state& provider, bool explicit_parent,
                                                             const span_context* chosen, trace_id trace,
                                                             std::string_view name, span_kind kind) {
  const span_context parent = chosen ? *chosen : explicit_parent ? span_context{} : current_context();
  return provider.decider->should_sample({parent, trace, name, kind}) == sampling_decision::record_and_sample;
}

[[gnu::cold, gnu::noinline]] inline void tracer::carry_trace_state(scoped_span& started, std::string_view trace_state) {
  started.live_.trace_state = std::make_unique<std::string>(trace_state);
}

[[gnu::noinline]] inline void tracer::apply_options(span_record& record, span_options* options, std::string_view trace_state) {
  if (!trace_state.empty()) record.extra().trace_state = std::string(trace_state);
  if (!options) return;
  if (!options->attributes.empty()) record.set_attributes(options->attributes);
  if (!options->links.empty()) {
    span& extra = record.extra();
    extra.links = std::move(options->links);
    if (extra.links.size() > span_limits::links) {
      extra.dropped_links += static_cast<std::uint32_t>(extra.links.size() - span_limits::links);
      extra.links.resize(span_limits::links);
    }
  }
}

}  // namespace v0
}  // namespace trace
