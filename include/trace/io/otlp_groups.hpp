#pragma once
// OTLP requests name each resource once and, under it, each instrumentation scope once: spans
// grouped by resource, then scope, in first-seen order. Shared by the JSON and protobuf writers.

#include <algorithm>
#include <vector>

#include "trace/core/span.hpp"

namespace trace {
inline namespace v0 {
namespace otlp::detail {

template <class S>
struct scope_group {
  const basic_scope<typename S::string_type>* scope;
  std::vector<const S*> spans;
};

template <class S>
struct resource_group {
  const basic_resource<typename S::string_type>* resource;
  std::vector<scope_group<S>> scopes;
};

// Groups the spans behind `spans` (pointers, which must outlive the groups).
template <class S>
std::vector<resource_group<S>> group_by_source(const std::vector<const S*>& spans) {
  std::vector<resource_group<S>> groups;
  for (const S* s : spans) {
    if (!groups.empty() && *groups.back().resource == s->resource && *groups.back().scopes.back().scope == s->scope) {
      groups.back().scopes.back().spans.push_back(s);  // the common case: same source as the previous span
      continue;
    }
    auto r = std::ranges::find_if(groups, [s](const resource_group<S>& g) { return *g.resource == s->resource; });
    if (r == groups.end()) r = groups.insert(groups.end(), resource_group<S>{&s->resource, {}});
    auto c = std::ranges::find_if(r->scopes, [s](const scope_group<S>& g) { return *g.scope == s->scope; });
    if (c == r->scopes.end()) c = r->scopes.insert(r->scopes.end(), scope_group<S>{&s->scope, {}});
    c->spans.push_back(s);
  }
  return groups;
}

}  // namespace otlp::detail
}  // namespace v0
}  // namespace trace
