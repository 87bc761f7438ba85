#pragma once
// Carrying a span context across a process boundary in `traceparent` and `tracestate`
// headers, through any carrier: an HTTP header map, message metadata, a plain std::map.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "trace/instrument/context.hpp"
#include "trace/instrument/traceparent.hpp"

namespace trace {
inline namespace v0 {

inline constexpr std::string_view traceparent_header = "traceparent";
inline constexpr std::string_view tracestate_header = "tracestate";

// `header_reader`: `c.get(name)` returns the header's value, either as something
// convertible to std::string_view (empty meaning absent) or as an optional of such.
// Header names are passed in lower case; case-insensitive matching is the carrier's job.
template <class C>
concept header_reader = requires(const C& carrier, std::string_view name) { carrier.get(name); };

// `header_writer`: `c.set(name, value)` stores a header, replacing any earlier value.
template <class C>
concept header_writer = requires(C& carrier, std::string_view name, std::string_view value) {
  carrier.set(name, value);
};

// A carrier over a std::map of headers, for tests and simple transports.
class map_carrier {
 public:
  explicit map_carrier(std::map<std::string, std::string, std::less<>>& headers) : headers_(&headers) {}
  std::optional<std::string_view> get(std::string_view name) const {
    auto found = headers_->find(name);
    if (found == headers_->end()) return std::nullopt;
    return std::string_view(found->second);
  }
  void set(std::string_view name, std::string_view value) { (*headers_)[std::string(name)] = std::string(value); }

 private:
  std::map<std::string, std::string, std::less<>>* headers_;
};

namespace detail {
template <class Value>
std::string_view header_text(const Value& value) {
  if constexpr (std::is_convertible_v<const Value&, std::string_view>) {
    return std::string_view(value);
  } else {
    return value ? std::string_view(*value) : std::string_view();
  }
}
}  // namespace detail

// Writes the context's traceparent, and its tracestate when it has one; an invalid
// context writes nothing, as there is nothing to continue.
template <header_writer Carrier>
void inject(const span_context& context, Carrier& carrier) {
  if (!context.valid()) return;
  carrier.set(traceparent_header, format_traceparent(context));
  if (!context.trace_state.empty()) carrier.set(tracestate_header, context.trace_state);
}

// The remote context the carrier holds, or nullopt when its traceparent is absent or
// invalid. A tracestate is read only with a valid traceparent and dropped when malformed.
template <header_reader Carrier>
std::optional<span_context> extract(const Carrier& carrier) {
  const auto parent_value = carrier.get(traceparent_header);
  auto context = try_parse_traceparent(detail::header_text(parent_value));
  if (!context) return std::nullopt;
  const auto state_value = carrier.get(tracestate_header);
  std::string_view state = detail::trim_ows(detail::header_text(state_value));
  if (!state.empty() && !tracestate_problem(state)) context->trace_state = std::string(state);
  return context;
}

}  // namespace v0
}  // namespace trace
