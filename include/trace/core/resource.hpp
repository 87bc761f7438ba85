#pragma once
// Who produced a span: the resource (a service and its attributes) and the
// instrumentation scope (the library that recorded it).

#include <string>

#include "trace/core/attribute.hpp"

namespace trace {
inline namespace v0 {

template <class String>
struct basic_resource {
  String service_name{};  // OpenTelemetry's `service.name`
  basic_attributes<String> attributes{};  // everything else; `service.name` is not repeated here
  std::uint32_t dropped_attributes = 0;
  String schema_url{};  // the semantic conventions the attributes follow (OTLP ResourceSpans)

  friend bool operator==(const basic_resource&, const basic_resource&) = default;
};

template <class String>
struct basic_scope {
  String name{};
  String version{};
  basic_attributes<String> attributes{};
  std::uint32_t dropped_attributes = 0;
  String schema_url{};  // as the resource's, from OTLP ScopeSpans

  friend bool operator==(const basic_scope&, const basic_scope&) = default;
};

using resource = basic_resource<std::string>;
using scope = basic_scope<std::string>;

}  // namespace v0
}  // namespace trace
