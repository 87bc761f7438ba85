#pragma once
// How algorithms read a span. Every algorithm of the library (trees, queries, summaries)
// reads spans only through the accessor functions below, which dispatch to
// `span_traits<S>`. A user's own span type joins in by specialising `span_traits`:
//
//   template <> struct trace::span_traits<my_span> {
//     static trace::trace_id get_trace_id(const my_span& s) { return s.trace; }
//     static trace::span_id get_span_id(const my_span& s) { ... }
//     static trace::span_id get_parent_id(const my_span& s) { ... }   // invalid for roots
//     static std::string_view get_name(const my_span& s) { ... }
//     static std::string_view get_service(const my_span& s) { ... }
//     static trace::timestamp_ns get_start(const my_span& s) { ... }
//     static trace::timestamp_ns get_end(const my_span& s) { ... }
//     static trace::status_code get_status(const my_span& s) { ... }
//     // optional: get_kind, get_status_message, visit_attributes,
//     //           get_scope_name and get_scope_version (see below)
//   };

#include <concepts>
#include <string_view>
#include <type_traits>

#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {

// Primary template left undefined: a type is a span only when someone says how to read it.
template <class S>
struct span_traits;

// Where an attribute was found; queries can restrict a lookup to some of these.
enum class attribute_scope : std::uint8_t {
  span = 1,
  resource = 2,
  scope = 4,
  event = 8,
  link = 16,
};
inline constexpr std::uint8_t all_attribute_scopes = 31;

namespace detail {
// Stand-in visitor for checking `visit_attributes` in a concept.
struct attribute_probe {
  template <class Value>
  bool operator()(attribute_scope, std::string_view, const Value&) const { return false; }
};
}  // namespace detail

// `span_like`: a type whose spans the algorithms can read.
//
// Syntactic requirements: `span_traits<S>` provides the eight required getters above.
// Semantic requirements: getters are pure, O(1), and callable concurrently on distinct
// or the same const object; an invalid (zero) parent id marks a root span; times are
// nanoseconds since the Unix epoch. Not required: attributes, kind, status message, scope,
// default construction or copyability.
template <class S>
concept span_like = requires(const S& s) {
  { span_traits<S>::get_trace_id(s) } -> std::convertible_to<trace_id>;
  { span_traits<S>::get_span_id(s) } -> std::convertible_to<span_id>;
  { span_traits<S>::get_parent_id(s) } -> std::convertible_to<span_id>;
  { span_traits<S>::get_name(s) } -> std::convertible_to<std::string_view>;
  { span_traits<S>::get_service(s) } -> std::convertible_to<std::string_view>;
  { span_traits<S>::get_start(s) } -> std::convertible_to<timestamp_ns>;
  { span_traits<S>::get_end(s) } -> std::convertible_to<timestamp_ns>;
  { span_traits<S>::get_status(s) } -> std::convertible_to<status_code>;
};

// `attributed_span_like`: a span whose attributes can be visited.
// `visit_attributes(s, f)` calls `f(attribute_scope, key, value)` for every attribute of
// the span, its resource, scope, events and links (value: any `basic_attribute_value`),
// and stops as soon as `f` returns true.
template <class S>
concept attributed_span_like = span_like<S> && requires(const S& s) {
  span_traits<S>::visit_attributes(s, detail::attribute_probe{});
};

// `scoped_span_like`: a span that knows its instrumentation scope (the OTLP scope's name
// and version; empty strings when the scope gave none). A type must provide both getters.
// Filters on the scope never match spans of other types: their scope is unknown, not empty.
template <class S>
concept scoped_span_like = span_like<S> && requires(const S& s) {
  { span_traits<S>::get_scope_name(s) } -> std::convertible_to<std::string_view>;
  { span_traits<S>::get_scope_version(s) } -> std::convertible_to<std::string_view>;
};

// ---- accessors: the only way algorithms read spans ----

template <span_like S>
constexpr trace_id trace_id_of(const S& s) { return span_traits<S>::get_trace_id(s); }
template <span_like S>
constexpr span_id span_id_of(const S& s) { return span_traits<S>::get_span_id(s); }
template <span_like S>
constexpr span_id parent_id_of(const S& s) { return span_traits<S>::get_parent_id(s); }
template <span_like S>
constexpr std::string_view name_of(const S& s) { return span_traits<S>::get_name(s); }
template <span_like S>
constexpr std::string_view service_of(const S& s) { return span_traits<S>::get_service(s); }
template <span_like S>
constexpr timestamp_ns start_of(const S& s) { return span_traits<S>::get_start(s); }
template <span_like S>
constexpr timestamp_ns end_of(const S& s) { return span_traits<S>::get_end(s); }
template <span_like S>
constexpr status_code status_of(const S& s) { return span_traits<S>::get_status(s); }

// end − start, or 0 when end precedes start.
template <span_like S>
constexpr duration_ns duration_of(const S& s) {
  timestamp_ns start = start_of(s), end = end_of(s);
  return end > start ? end - start : 0;
}

template <span_like S>
constexpr span_kind kind_of(const S& s) {
  if constexpr (requires { span_traits<S>::get_kind(s); })
    return span_traits<S>::get_kind(s);
  else
    return span_kind::unspecified;
}

template <span_like S>
constexpr std::string_view status_message_of(const S& s) {
  if constexpr (requires { span_traits<S>::get_status_message(s); })
    return span_traits<S>::get_status_message(s);
  else
    return {};
}

// The scope's name and version; empty for types that are not `scoped_span_like`.
template <span_like S>
constexpr std::string_view scope_name_of(const S& s) {
  if constexpr (scoped_span_like<S>)
    return span_traits<S>::get_scope_name(s);
  else
    return {};
}
template <span_like S>
constexpr std::string_view scope_version_of(const S& s) {
  if constexpr (scoped_span_like<S>)
    return span_traits<S>::get_scope_version(s);
  else
    return {};
}

// Visits attributes when the type has them; otherwise does nothing. Returns true when
// the visitor stopped the walk.
template <span_like S, class F>
bool visit_attributes(const S& s, F&& visitor) {
  if constexpr (attributed_span_like<S>)
    return span_traits<S>::visit_attributes(s, visitor);
  else
    return false;
}

// ---- the library's own span ----

template <class String>
struct span_traits<basic_span<String>> {
  using span_type = basic_span<String>;
  static trace_id get_trace_id(const span_type& s) noexcept { return s.trace; }
  static span_id get_span_id(const span_type& s) noexcept { return s.id; }
  static span_id get_parent_id(const span_type& s) noexcept { return s.parent; }
  static std::string_view get_name(const span_type& s) noexcept { return s.name; }
  static std::string_view get_service(const span_type& s) noexcept { return s.resource.service_name; }
  static timestamp_ns get_start(const span_type& s) noexcept { return s.start; }
  static timestamp_ns get_end(const span_type& s) noexcept { return s.end; }
  static status_code get_status(const span_type& s) noexcept { return s.status.code; }
  static span_kind get_kind(const span_type& s) noexcept { return s.kind; }
  static std::string_view get_status_message(const span_type& s) noexcept { return s.status.message; }
  static std::string_view get_scope_name(const span_type& s) noexcept { return s.scope.name; }
  static std::string_view get_scope_version(const span_type& s) noexcept { return s.scope.version; }

  template <class F>
  static bool visit_attributes(const span_type& s, F&& f) {
    auto walk = [&f](attribute_scope where, const basic_attributes<String>& items) {
      for (const auto& item : items)
        if (f(where, std::string_view(item.key), item.value)) return true;
      return false;
    };
    if (walk(attribute_scope::span, s.attributes)) return true;
    if (walk(attribute_scope::resource, s.resource.attributes)) return true;
    if (walk(attribute_scope::scope, s.scope.attributes)) return true;
    for (const auto& e : s.events)
      if (walk(attribute_scope::event, e.attributes)) return true;
    for (const auto& l : s.links)
      if (walk(attribute_scope::link, l.attributes)) return true;
    return false;
  }
};

static_assert(attributed_span_like<span>);
static_assert(attributed_span_like<span_view>);
static_assert(scoped_span_like<span>);
static_assert(scoped_span_like<span_view>);

}  // namespace v0
}  // namespace trace
