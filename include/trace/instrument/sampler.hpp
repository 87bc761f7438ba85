#pragma once
// Samplers decide, when a span starts, whether it is recorded and exported. The shapes are
// OpenTelemetry's: always on, always off, trace-id ratio, parent-based.
//
// The ratio sampler decides from the trace id alone, so every service that sees a trace
// with the same ratio keeps or drops it alike, and a whole trace survives or none of it.

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/core/status.hpp"
#include "trace/instrument/context.hpp"

namespace trace {
inline namespace v0 {

enum class sampling_decision : std::uint8_t {
  drop,               // not recorded; the context still propagates, unsampled
  record_and_sample,  // recorded, exported, and propagated with the sampled flag
};

struct sampling_params {
  const span_context& parent;  // invalid for a root span
  trace_id trace;              // the new span's trace (the parent's, or a fresh one)
  std::string_view name;
  span_kind kind;
};

// Thread safety: `should_sample` is called concurrently from every thread that starts spans.
class sampler {
 public:
  virtual ~sampler() = default;
  virtual sampling_decision should_sample(const sampling_params& params) const = 0;
  virtual std::string description() const = 0;
  // For a sampler that decides from the trace id alone, as the ratio one does: it keeps a
  // trace exactly when the low 63 bits of the id's last 8 bytes are below this bound (0
  // drops all, 2^63 keeps all). Lets the tracer decide inline, with no virtual call.
  virtual std::optional<std::uint64_t> trace_id_bound() const noexcept { return std::nullopt; }
};

// The bound of a sampler that keeps every trace, and the test every bound is used with.
inline constexpr std::uint64_t keep_every_trace = std::uint64_t{1} << 63;
constexpr bool within_bound(trace_id trace, std::uint64_t bound) noexcept { return (trace.low() >> 1) < bound; }

class always_on_sampler final : public sampler {
 public:
  sampling_decision should_sample(const sampling_params&) const override { return sampling_decision::record_and_sample; }
  std::string description() const override { return "AlwaysOnSampler"; }
  std::optional<std::uint64_t> trace_id_bound() const noexcept override { return keep_every_trace; }
};

class always_off_sampler final : public sampler {
 public:
  sampling_decision should_sample(const sampling_params&) const override { return sampling_decision::drop; }
  std::string description() const override { return "AlwaysOffSampler"; }
  std::optional<std::uint64_t> trace_id_bound() const noexcept override { return 0; }
};

// Keeps a trace when the low 63 bits of its trace id's last 8 bytes fall below
// ratio * 2^63, as OpenTelemetry's SDKs do, so that our decisions agree with theirs.
class trace_id_ratio_sampler final : public sampler {
 public:
  explicit trace_id_ratio_sampler(double ratio) : ratio_(ratio) {
    if (!(ratio >= 0.0 && ratio <= 1.0))
      throw error(errc::invalid_option, "trace_id_ratio_sampler: ratio " + std::to_string(ratio) + " is not within [0, 1]");
    bound_ = static_cast<std::uint64_t>(std::ldexp(ratio, 63));
  }
  sampling_decision should_sample(const sampling_params& params) const override {
    return within_bound(params.trace, bound_) ? sampling_decision::record_and_sample : sampling_decision::drop;
  }
  std::string description() const override { return "TraceIdRatioBased{" + std::to_string(ratio_) + "}"; }
  std::optional<std::uint64_t> trace_id_bound() const noexcept override { return bound_; }
  double ratio() const noexcept { return ratio_; }

 private:
  double ratio_;
  std::uint64_t bound_ = 0;
};

// Follows the parent's decision, and asks `root` for spans without a parent. Each of the
// four parent cases can be given its own sampler, as in OpenTelemetry.
class parent_based_sampler final : public sampler {
 public:
  struct options {
    std::shared_ptr<const sampler> remote_parent_sampled = std::make_shared<always_on_sampler>();
    std::shared_ptr<const sampler> remote_parent_not_sampled = std::make_shared<always_off_sampler>();
    std::shared_ptr<const sampler> local_parent_sampled = std::make_shared<always_on_sampler>();
    std::shared_ptr<const sampler> local_parent_not_sampled = std::make_shared<always_off_sampler>();
  };

  explicit parent_based_sampler(std::shared_ptr<const sampler> root) : parent_based_sampler(std::move(root), options{}) {}
  parent_based_sampler(std::shared_ptr<const sampler> root, options delegates)
      : root_(std::move(root)), delegates_(std::move(delegates)) {
    if (!root_ || !delegates_.remote_parent_sampled || !delegates_.remote_parent_not_sampled ||
        !delegates_.local_parent_sampled || !delegates_.local_parent_not_sampled)
      throw error(errc::invalid_option, "parent_based_sampler: the root and every delegate sampler must be set");
  }

  sampling_decision should_sample(const sampling_params& params) const override {
    const span_context& parent = params.parent;
    if (!parent.valid()) return root_->should_sample(params);
    const sampler& delegate = parent.remote
                                  ? (parent.sampled() ? *delegates_.remote_parent_sampled : *delegates_.remote_parent_not_sampled)
                                  : (parent.sampled() ? *delegates_.local_parent_sampled : *delegates_.local_parent_not_sampled);
    return delegate.should_sample(params);
  }
  std::string description() const override { return "ParentBased{root=" + root_->description() + "}"; }
  const sampler& root() const noexcept { return *root_; }
  const options& delegates() const noexcept { return delegates_; }

 private:
  std::shared_ptr<const sampler> root_;
  options delegates_;
};

}  // namespace v0
}  // namespace trace
