#pragma once
// Fresh random trace and span ids, as a tracer starts spans (and as tests and examples make
// up traces). Kept apart from core/ids.hpp so that code which only parses, prints or
// compares ids does not pay for <random>.

#include <cstdint>
#include <random>

#include "trace/core/ids.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

inline std::uint64_t seed_from_os() {
  std::random_device device;
  return ((static_cast<std::uint64_t>(device()) << 32) ^ device()) | 1;  // never 0: 0 means unseeded
}

// splitmix64 over a per-thread state seeded once from the OS: ids need uniqueness and
// spread, not cryptographic strength, and this costs about a nanosecond. The state is
// constant-initialised so that reading it needs no per-call TLS initialisation guard.
inline std::uint64_t next_random_id() noexcept {
  thread_local std::uint64_t state = 0;
  if (state == 0) [[unlikely]]
    state = seed_from_os();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace detail

// A valid (non-zero) span id, random per thread.
inline span_id random_span_id() noexcept {
  std::uint64_t value;
  do value = detail::next_random_id();
  while (value == 0);
  return span_id{value};
}

// A valid (not all-zero) trace id, random per thread.
inline trace_id random_trace_id() noexcept {
  trace_id id;
  do id = trace_id{detail::next_random_id(), detail::next_random_id()};
  while (!id.valid());
  return id;
}

}  // namespace v0
}  // namespace trace
