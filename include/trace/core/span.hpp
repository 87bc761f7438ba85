#pragma once
// The library's own span: everything OpenTelemetry's span carries, templated on the string
// type so that `span` owns its text and `span_view` borrows it from a buffer or store.

#include <string>
#include <string_view>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/event.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/resource.hpp"
#include "trace/core/status.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

template <class String>
struct basic_span {
  using string_type = String;

  trace_id trace{};
  span_id id{};
  span_id parent{};  // invalid (zero) for a root span
  String trace_state{};
  String name{};  // the operation
  span_kind kind = span_kind::internal;
  timestamp_ns start = 0;
  timestamp_ns end = 0;
  basic_status<String> status{};
  basic_attributes<String> attributes{};
  std::vector<basic_event<String>> events{};
  std::vector<basic_link<String>> links{};
  basic_resource<String> resource{};
  basic_scope<String> scope{};
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  // OTLP's span flags: W3C trace flags in bits 0-7 (sampled = 1), bits 8-9 say whether the
  // parent is remote; 0 when the producer did not say.
  std::uint32_t flags = 0;

  // end − start, or 0 when the span ends before it starts (which `validate` refuses).
  constexpr duration_ns duration() const noexcept { return end > start ? end - start : 0; }
  constexpr bool is_root() const noexcept { return !parent.valid(); }

  friend bool operator==(const basic_span&, const basic_span&) = default;
};

using span = basic_span<std::string>;
using span_view = basic_span<std::string_view>;

}  // namespace v0
}  // namespace trace
