#pragma once
// A provider's sampler reduced, when it can be, to trace-id bounds: one for root spans
// and one for each of the four parent cases of a parent-based sampler. Every built-in
// sampler decides by comparing the trace id with a bound (always off: 0, always on: 2^63,
// a ratio: ratio * 2^63), so starting a span then costs a compare instead of two virtual
// calls, and a bound of 0 or 2^63 decides before any trace id is made.

#include <array>
#include <cstdint>
#include <optional>

#include "trace/instrument/context.hpp"
#include "trace/instrument/sampler.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

struct sampling_plan {
  bool inlined = false;  // false: ask the sampler (one of the user's own)
  std::uint64_t root = 0;
  std::uint64_t remote_sampled = 0, remote_not_sampled = 0;
  std::uint64_t local_sampled = 0, local_not_sampled = 0;
  // By the parent's case (context_entry::child_case): its bound when that decides alone (0
  // or 2^63, no trace id needed), `needs_general_path` otherwise (a sampler of one's own, a
  // ratio, a parent with a tracestate).
  static constexpr std::uint64_t needs_general_path = 1;
  std::array<std::uint64_t, parent_case_count> alone = every_case_general();

  static sampling_plan of(const sampler& decider) noexcept {
    sampling_plan plan = bounds_of(decider);
    if (plan.inlined)
      for (std::uint8_t parent = 0; parent < parent_case_count; ++parent) {
        const std::uint64_t bound = plan.bound(parent & case_valid, parent & case_remote, parent & case_sampled);
        const bool decides_alone = bound == 0 || bound == keep_every_trace;
        plan.alone[parent] = decides_alone && !(parent & case_trace_state) ? bound : needs_general_path;
      }
    return plan;
  }

  // The bound that decides a span with this parent (valid or not).
  std::uint64_t bound(bool has_parent, bool remote, bool sampled) const noexcept {
    if (!has_parent) return root;
    if (remote) return sampled ? remote_sampled : remote_not_sampled;
    return sampled ? local_sampled : local_not_sampled;
  }

 private:
  static constexpr std::array<std::uint64_t, parent_case_count> every_case_general() noexcept {
    std::array<std::uint64_t, parent_case_count> cases{};
    cases.fill(needs_general_path);
    return cases;
  }
  static sampling_plan bounds_of(const sampler& decider) noexcept {
    sampling_plan plan;
    if (auto bound = decider.trace_id_bound()) {
      plan.inlined = true;
      plan.root = plan.remote_sampled = plan.remote_not_sampled = plan.local_sampled = plan.local_not_sampled = *bound;
      return plan;
    }
    const auto* parent_based = dynamic_cast<const parent_based_sampler*>(&decider);
    if (!parent_based) return plan;
    const auto& delegates = parent_based->delegates();
    auto root = parent_based->root().trace_id_bound();
    auto remote_sampled = delegates.remote_parent_sampled->trace_id_bound();
    auto remote_not_sampled = delegates.remote_parent_not_sampled->trace_id_bound();
    auto local_sampled = delegates.local_parent_sampled->trace_id_bound();
    auto local_not_sampled = delegates.local_parent_not_sampled->trace_id_bound();
    if (!root || !remote_sampled || !remote_not_sampled || !local_sampled || !local_not_sampled) return plan;
    plan.inlined = true;
    plan.root = *root;
    plan.remote_sampled = *remote_sampled;
    plan.remote_not_sampled = *remote_not_sampled;
    plan.local_sampled = *local_sampled;
    plan.local_not_sampled = *local_not_sampled;
    return plan;
  }
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
