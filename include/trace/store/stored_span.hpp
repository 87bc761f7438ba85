#pragma once
// The members every store's stored-span type has (memory_store::span_ref, mmap_span), and
// the one `span_traits` that reads a span through them:
//
//   trace(), id(), parent(), name(), service(), start(), duration(), end(), status(),
//   kind(), status_message(), scope_name(), scope_version(), visit_attributes(f),
//   materialize() (a full owning `span`).
//
// A store's span type gets the accessors of span_traits.hpp with
//   template <> struct span_traits<my_span> : stored_span_traits<my_span> {};

#include <cstddef>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

template <class S>
struct stored_span_traits {
  static trace_id get_trace_id(const S& s) noexcept { return s.trace(); }
  static span_id get_span_id(const S& s) noexcept { return s.id(); }
  static span_id get_parent_id(const S& s) noexcept { return s.parent(); }
  static std::string_view get_name(const S& s) noexcept { return s.name(); }
  static std::string_view get_service(const S& s) noexcept { return s.service(); }
  static timestamp_ns get_start(const S& s) noexcept { return s.start(); }
  static timestamp_ns get_end(const S& s) noexcept { return s.end(); }
  static status_code get_status(const S& s) noexcept { return s.status(); }
  static span_kind get_kind(const S& s) noexcept { return s.kind(); }
  static std::string_view get_status_message(const S& s) { return s.status_message(); }
  static std::string_view get_scope_name(const S& s) { return s.scope_name(); }
  static std::string_view get_scope_version(const S& s) { return s.scope_version(); }
  template <class F>
  static bool visit_attributes(const S& s, F&& f) {
    return s.visit_attributes(f);
  }
};

// The spans of one trace as every store's `find_trace` gathers them: a sized, random-access
// range that also holds `Keep`, whatever keeps the spans valid (the mmap store's mapped
// segments; nothing for the memory store).
template <class Span, class Keep = std::monostate>
class gathered_spans {
 public:
  using const_iterator = typename std::vector<Span>::const_iterator;

  gathered_spans() = default;
  gathered_spans(std::vector<Span> spans, Keep keep) : spans_(std::move(spans)), keep_(std::move(keep)) {}

  const_iterator begin() const noexcept { return spans_.begin(); }
  const_iterator end() const noexcept { return spans_.end(); }
  std::size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }
  const Span& operator[](std::size_t i) const noexcept { return spans_[i]; }

 private:
  std::vector<Span> spans_;
  [[no_unique_address]] Keep keep_;
};

}  // namespace v0
}  // namespace trace
