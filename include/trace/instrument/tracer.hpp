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
      start(started, name, nullptr);
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

inline void tracer::start(scoped_span& started, std::string_view name, span_options* options) const {
  const detail::provider_state& provider = *state_->provider;

  static const span_context no_parent;
  const span_context& parent = options && options->parent ? *options->parent
                               : options && options->root   ? no_parent
                                                            : current_context();
  const bool has_parent = parent.valid();
  const span_kind kind = options ? options->kind : span_kind::internal;
  const bool make_current = !options || options->make_current;
  new (&started.live_) scoped_span::live_state;  // member initialisers only, no zero-fill
  started.has_context_ = true;
  span_context& context = started.live_.context;
  context.trace = has_parent ? parent.trace : random_trace_id();
  context.span = random_span_id();
  if (has_parent && !parent.trace_state.empty()) [[unlikely]]
    context.trace_state = parent.trace_state;

  sampling_decision decision = provider.decider->should_sample({parent, context.trace, name, kind});
  if (decision == sampling_decision::record_and_sample) {
    context.flags = span_context::sampled_flag;
    if (provider.processor) {
      const bool explicit_start = options && options->start;
      new (&started.record_) span_record();
      span_record& record = started.record_;
      record.start(context.trace, context.span, has_parent ? parent.span : span_id{}, name, kind,
                   span_origin{&provider.service, &state_->library},
                   explicit_start ? options->start : detail::span_ticks(), explicit_start);
      started.processor_ = provider.processor.get();
      if (!context.trace_state.empty()) record.extra().trace_state = context.trace_state;
      if (options) {
        if (!options->attributes.empty()) record.spilled_attributes() = std::move(options->attributes);
        if (!options->links.empty()) record.extra().links = std::move(options->links);
      }
    }
  }
  if (make_current) {
    span_context& current = detail::current_context_slot();
    detail::move_context(started.live_.previous, current);
    detail::copy_context(current, context);
    started.is_current_ = true;
  }
}

}  // namespace v0
}  // namespace trace
