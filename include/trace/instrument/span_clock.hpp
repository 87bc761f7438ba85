#pragma once
// The clock spans read on the application's path. A wall-clock read (`clock_gettime`
// through the vDSO) costs 20-30 ns, and a span needs two; the CPU's time-stamp counter
// costs a few. So spans record ticks, and the processor turns them into wall-clock
// nanoseconds later, through a mapping anchored on the system clock.
//
// Ticks are the TSC on x86-64 when the CPU says it runs at a constant rate through sleep
// states (invariant TSC) and Linux itself uses it as its clocksource (so it is synchronised
// across cores); otherwise they are `steady_clock` nanoseconds. Either way the mapping to
// wall-clock time is linear between two anchors, each a (ticks, CLOCK_MONOTONIC,
// CLOCK_REALTIME) triple read back to back:
//
//   wall(t) = realtime(latest) + (t - ticks(latest)) * rate,
//   rate    = (monotonic(latest) - monotonic(base)) / (ticks(latest) - ticks(base)).
//
// Error bound: a tick between the two anchors maps to within the anchors' read uncertainty
// (the spread of the back-to-back read, kept under ~100 ns by retrying) plus however much
// the kernel's NTP frequency correction changed between the anchors (a few ppm of the
// interval at most, and the base is renewed every ~10 s). The latest anchor is taken when
// the mapping is asked for, i.e. after (almost) every tick it converts, so ticks hardly
// extrapolate forward; a step of the system clock (settimeofday) moves every later conversion with it
// and keeps durations intact.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string_view>

#include "trace/core/time.hpp"

// <cpuid.h> is a few dozen lines; the TSC is read through the compiler builtin rather than
// <x86intrin.h>, which would add ~40k lines (every intrinsic) to each includer.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace trace {
inline namespace v0 {
namespace detail {

inline std::uint64_t steady_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

// Decided once, before the first span: every tick in the process has the same unit.
inline bool tsc_usable() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) || (edx & (1u << 8)) == 0) return false;  // invariant TSC
  // <cstdio> rather than <fstream>: one read, and a much lighter header for every includer.
  std::FILE* source = std::fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (source == nullptr) return false;
  char name[32] = {};
  const bool read = std::fgets(name, sizeof name, source) != nullptr;
  std::fclose(source);
  return read && std::string_view(name) == "tsc\n";
#else
  return false;
#endif
}

// Set once by the first tracer provider, before any span can read a tick; never changes after.
inline std::atomic<bool> use_tsc{false};

inline void init_span_clock() {
  static const bool decided = [] {
    use_tsc.store(tsc_usable(), std::memory_order_relaxed);
    return true;
  }();
  static_cast<void>(decided);
}

// What a span records as its start and end: cheap, monotonic, in an unspecified unit.
[[gnu::always_inline]] inline std::uint64_t span_ticks() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (use_tsc.load(std::memory_order_relaxed)) [[likely]]
    return __builtin_ia32_rdtsc();
#endif
  return steady_ns();
}

// A snapshot of the ticks-to-wall-clock mapping, to convert a batch of records with.
struct tick_mapping {
  std::uint64_t ticks = 0;
  timestamp_ns wall = 0;
  double ns_per_tick = 1.0;

  timestamp_ns to_wall(std::uint64_t at) const noexcept {
    // Signed: a span's start may precede the anchor by any amount.
    double offset = static_cast<double>(static_cast<std::int64_t>(at - ticks)) * ns_per_tick;
    return wall + static_cast<timestamp_ns>(static_cast<std::int64_t>(offset));
  }
};

class tick_clock {
 public:
  // The mapping as of now. Thread-safe. A fresh anchor costs a few hundred ns, so one
  // less than a millisecond old is reused: ticks past it extrapolate by under 1 ms, which
  // at the measured rate's error (well under 1 ppm once warm) is below a nanosecond.
  static tick_mapping mapping() {
    static tick_clock clock;
    std::lock_guard lock(clock.mutex_);
    std::uint64_t now = span_ticks();
    if (clock.last_.ticks != 0 && static_cast<double>(now - clock.last_.ticks) * clock.last_.ns_per_tick < reuse_within)
      return clock.last_;
    clock.last_ = clock.update();
    return clock.last_;
  }

 private:
  struct anchor {
    std::uint64_t ticks = 0;
    std::uint64_t monotonic = 0;
    timestamp_ns wall = 0;
  };

  // Ticks read on both sides of the two clock reads; the tightest of a few tries.
  static anchor read_anchor() {
    anchor best;
    std::uint64_t best_spread = ~std::uint64_t{0};
    for (int attempt = 0; attempt < 5; ++attempt) {
      std::uint64_t before = span_ticks();
      std::uint64_t monotonic = steady_ns();
      timestamp_ns wall = now_ns();
      std::uint64_t after = span_ticks();
      if (after - before < best_spread) {
        best_spread = after - before;
        best = {before + (after - before) / 2, monotonic, wall};
      }
    }
    return best;
  }

  // The tick source is decided before the first anchor, even without a provider.
  tick_clock() : base_((init_span_clock(), read_anchor())) {}

  tick_mapping update() {
    anchor latest = read_anchor();
    if (!use_tsc.load(std::memory_order_relaxed)) return {latest.ticks, latest.wall, 1.0};  // ticks are steady ns
    // A rate measured over less than a millisecond would be too coarse: wait that long once.
    while (latest.monotonic - base_.monotonic < minimum_baseline) latest = read_anchor();
    double rate = static_cast<double>(latest.monotonic - base_.monotonic) / static_cast<double>(latest.ticks - base_.ticks);
    // Renew the base now and then, so that a change in the kernel's frequency correction
    // weighs only on the last interval.
    if (previous_.ticks == 0) {
      previous_ = latest;
    } else if (latest.monotonic - previous_.monotonic >= renewal) {
      base_ = previous_;
      previous_ = latest;
    }
    return {latest.ticks, latest.wall, rate};
  }

  static constexpr double reuse_within = 1e6;                    // 1 ms
  static constexpr std::uint64_t minimum_baseline = 1'000'000;  // 1 ms
  static constexpr std::uint64_t renewal = 10'000'000'000;      // 10 s

  std::mutex mutex_;
  anchor base_;
  anchor previous_{};  // the next base, at least `renewal` after the current one
  tick_mapping last_{};
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
