#pragma once
// The model's rules for one span, checked where spans enter a store.

#include <cstddef>
#include <optional>
#include <ranges>
#include <string>

#include "trace/core/error.hpp"
#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

// The first rule the span breaks, in words, or nullopt for a valid span.
template <span_like S>
std::optional<std::string> span_problem(const S& s) {
  if (!trace_id_of(s).valid()) return "trace id is all zero";
  if (!span_id_of(s).valid()) return "span id is all zero";
  if (parent_id_of(s) == span_id_of(s)) return "span " + span_id_of(s).to_hex() + " is its own parent";
  if (end_of(s) < start_of(s))
    return "span " + span_id_of(s).to_hex() + " ends (" + std::to_string(end_of(s)) +
           ") before it starts (" + std::to_string(start_of(s)) + ")";
  return std::nullopt;
}

// Throws `error(errc::invalid_span)` naming the span and the rule it breaks.
template <span_like S>
void validate(const S& s) {
  if (auto problem = span_problem(s)) throw error(errc::invalid_span, *problem);
}

// Checks a whole batch before a store takes any of it: throws `error(errc::invalid_span)`
// naming the first invalid span by its position ("batch span #4: span id is all zero").
// Returns the number of spans.
template <std::ranges::forward_range R>
  requires span_like<std::ranges::range_value_t<R>>
std::size_t validate_batch(const R& batch) {
  std::size_t position = 0;
  for (const auto& s : batch) {
    if (auto problem = span_problem(s))
      throw error(errc::invalid_span, "batch span #" + std::to_string(position) + ": " + *problem);
    ++position;
  }
  return position;
}

}  // namespace v0
}  // namespace trace
