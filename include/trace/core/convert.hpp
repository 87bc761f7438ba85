#pragma once
// Conversions between spans over different string types: `to_owned(view)` copies all
// text out of the buffer a `span_view` points into.

#include <string>
#include <vector>

#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {

template <class To, class From>
basic_attributes<To> convert_attributes(const basic_attributes<From>& from) {
  basic_attributes<To> to;
  to.reserve(from.size());
  for (const auto& item : from) to.set(To(item.key), convert_value<To>(item.value));
  return to;
}

template <class To, class From>
basic_span<To> convert_span(const basic_span<From>& from) {
  basic_span<To> to;
  to.trace = from.trace;
  to.id = from.id;
  to.parent = from.parent;
  to.trace_state = To(from.trace_state);
  to.name = To(from.name);
  to.kind = from.kind;
  to.start = from.start;
  to.end = from.end;
  to.status = {from.status.code, To(from.status.message)};
  to.attributes = convert_attributes<To>(from.attributes);
  to.events.reserve(from.events.size());
  for (const auto& e : from.events)
    to.events.push_back({e.time, To(e.name), convert_attributes<To>(e.attributes), e.level, e.dropped_attributes});
  to.links.reserve(from.links.size());
  for (const auto& l : from.links)
    to.links.push_back({l.trace, l.span, To(l.trace_state), convert_attributes<To>(l.attributes),
                        l.dropped_attributes, l.flags});
  to.resource = {To(from.resource.service_name), convert_attributes<To>(from.resource.attributes),
                 from.resource.dropped_attributes, To(from.resource.schema_url)};
  to.scope = {To(from.scope.name), To(from.scope.version), convert_attributes<To>(from.scope.attributes),
              from.scope.dropped_attributes, To(from.scope.schema_url)};
  to.dropped_attributes = from.dropped_attributes;
  to.dropped_events = from.dropped_events;
  to.dropped_links = from.dropped_links;
  to.flags = from.flags;
  return to;
}

inline span to_owned(const span_view& view) { return convert_span<std::string>(view); }

}  // namespace v0
}  // namespace trace
