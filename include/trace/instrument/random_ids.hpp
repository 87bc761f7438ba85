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

// Ids are splitmix64: a per-thread state, seeded once from the OS, advanced by a constant
// (a Weyl sequence), then mixed. The two halves are split: a span takes a *token* (the
// advanced state, one add) when it starts, and whoever needs the id itself mixes it (the
// exporting thread, or a caller asking for the span's context). Tokens are unique per
// thread (two differ in more than the low bit until ~2^64 draws apart) and spread across
// threads by their seeds; a token is odd, so never 0, with no branch.
inline std::uint64_t& id_token_state() noexcept {
  thread_local std::uint64_t state = 0;  // constant-initialised: no per-call TLS guard
  return state;
}
inline constexpr std::uint64_t id_token_step = 0x9e3779b97f4a7c15ULL;
inline std::uint64_t next_id_token() noexcept {
  std::uint64_t& state = id_token_state();
  if (state == 0) [[unlikely]]
    state = seed_from_os();
  state += id_token_step;
  return state | 1;
}

inline constexpr std::uint64_t mix_token(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The ids a token stands for: a span id, and the trace id of a trace started by the span
// that took the token. Different constants keep the three words apart; never zero.
inline constexpr span_id span_id_of(std::uint64_t token) noexcept {
  const std::uint64_t value = mix_token(token);
  return span_id{value != 0 ? value : 1};
}
inline constexpr trace_id trace_id_of(std::uint64_t token) noexcept {
  const std::uint64_t low = mix_token(token ^ 0x5851f42d4c957f2dULL);
  return trace_id{mix_token(token ^ 0x14057b7ef767814fULL), low != 0 ? low : 1};
}

// Where a trace or span id may still be a token: which fields hold tokens, and the ids
// they stand for. A trace token is kept as trace_id{0, token}.
enum id_tokens : std::uint8_t { trace_is_token = 1, span_is_token = 2 };
inline constexpr trace_id resolve_trace(trace_id raw, std::uint8_t tokens) noexcept {
  return (tokens & trace_is_token) ? trace_id_of(raw.low()) : raw;
}
inline constexpr span_id resolve_span(span_id raw, std::uint8_t tokens) noexcept {
  return (tokens & span_is_token) ? span_id_of(raw.value()) : raw;
}

}  // namespace detail

// A valid (non-zero) span id, random per thread.
inline span_id random_span_id() noexcept { return detail::span_id_of(detail::next_id_token()); }

// A valid (not all-zero) trace id, random per thread.
inline trace_id random_trace_id() noexcept { return detail::trace_id_of(detail::next_id_token()); }

}  // namespace v0
}  // namespace trace
