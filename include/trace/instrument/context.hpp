#pragma once
// The identity of a span as it travels (W3C Trace Context's traceparent + tracestate), and
// the thread's current context: the span new spans take as their parent by default.
//
// The current context is a per-thread stack of values, not pointers, so a span ended or
// moved on another thread can never leave a dangling reference behind. A span pushes its
// context when it starts and pops it when it ends: nothing is copied back, and the next
// span reads its parent from the very stores the last one made (no wider reload of
// narrower stores, which would miss the CPU's store forwarding).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/ids.hpp"
#include "trace/instrument/random_ids.hpp"

namespace trace {
inline namespace v0 {

struct span_context {
  static constexpr std::uint8_t sampled_flag = 0x01;

  trace_id trace{};
  span_id span{};
  std::uint8_t flags = 0;    // W3C trace-flags; only `sampled_flag` is defined
  bool remote = false;       // extracted from a carrier rather than started here
  std::string trace_state{}; // W3C tracestate, carried verbatim

  bool valid() const noexcept { return trace.valid() && span.valid(); }
  bool sampled() const noexcept { return (flags & sampled_flag) != 0; }

  friend bool operator==(const span_context&, const span_context&) = default;
};

namespace detail {

// Which case of a sampling plan a child of a context falls in: the bits of
// `context_entry::child_case`, set when the context is pushed, so that a span started under
// it finds its sampling bound with one indexed load (sampling_plan.hpp).
enum parent_case : std::uint8_t { case_sampled = 1, case_remote = 2, case_valid = 4, case_trace_state = 8 };
inline constexpr std::uint8_t parent_case_count = 16;

// One level of the thread's context stack; its tracestate, rarely set, is kept apart. The
// ids of a span started here stay tokens (random_ids.hpp) until someone reads them.
struct context_entry {
  trace_id trace{};
  span_id span{};
  std::uint8_t flags = 0;
  bool remote = false;
  bool has_trace_state = false;
  std::uint8_t tokens = 0;  // id_tokens
  std::uint8_t child_case = 0;  // parent_case bits

  bool valid() const noexcept { return ((tokens & trace_is_token) || trace.valid()) && span.valid(); }
  trace_id trace_id_value() const noexcept { return resolve_trace(trace, tokens); }
  span_id span_id_value() const noexcept { return resolve_span(span, tokens); }
};

// The first levels live in a trivially destructible thread_local (read with no
// initialisation guard); deeper nesting and tracestates go to vectors made on first need.
// The inline array starts with an invalid context that is never popped, so the top of an
// empty stack is read like any other, with no branch.
class context_stack {
 public:
  static constexpr std::uint32_t inline_depth = 64;

  std::uint32_t depth() const noexcept { return depth_; }
  // The current context's level; an empty stack reads as an invalid context.
  const context_entry& top() const noexcept {
    return depth_ <= inline_depth ? inline_[depth_] : deeper()[depth_ - 1 - inline_depth];
  }
  // Only while `next_is_inline()`: the top (an invalid context when empty) and a push,
  // with no branch to the deeper levels nor a tracestate.
  bool next_is_inline() const noexcept { return depth_ < inline_depth; }
  const context_entry& inline_top() const noexcept { return inline_[depth_]; }
  // A context started here: local, without a tracestate, valid.
  std::uint32_t push_inline(trace_id trace, span_id span, std::uint8_t flags, std::uint8_t tokens) noexcept {
    const std::uint32_t level = depth_;
    context_entry& entry = inline_[level + 1];
    entry.trace = trace;
    entry.span = span;
    entry.flags = flags;
    entry.remote = false;
    entry.has_trace_state = false;
    entry.tokens = tokens;
    entry.child_case = static_cast<std::uint8_t>(case_valid | (flags & span_context::sampled_flag ? case_sampled : 0));
    depth_ = level + 1;
    return level;
  }
  const context_entry& at(std::uint32_t level) const noexcept {
    return level < inline_depth ? inline_[level + 1] : deeper()[level - inline_depth];
  }
  const std::string& trace_state(std::uint32_t level) const { return states()[level]; }

  // Pushes `context`; returns its level, which `pop_to` takes to undo exactly this push.
  std::uint32_t push(trace_id trace, span_id span, std::uint8_t flags, bool remote, std::uint8_t tokens,
                     std::string_view trace_state) {
    const std::uint32_t level = depth_;
    // Field by field: a whole-struct copy goes through a temporary that is written in
    // bytes and read back in 16-byte halves, which stalls on store forwarding.
    context_entry& entry = level < inline_depth ? inline_[level + 1] : deeper_entry(level);
    entry.trace = trace;
    entry.span = span;
    entry.flags = flags;
    entry.remote = remote;
    entry.has_trace_state = !trace_state.empty();
    entry.tokens = tokens;
    entry.child_case = static_cast<std::uint8_t>((entry.valid() ? case_valid : 0) | (remote ? case_remote : 0) |
                                                 (flags & span_context::sampled_flag ? case_sampled : 0) |
                                                 (entry.has_trace_state ? case_trace_state : 0));
    if (entry.has_trace_state) [[unlikely]]
      place_trace_state(level, trace_state);
    depth_ = level + 1;
    return level;
  }
  // Pops `level` when it is the top and still holds `span`: a span ended out of order, or
  // on another thread than its own, leaves the stack alone.
  void pop_if_top(std::uint32_t level, span_id span) noexcept {
    if (depth_ == level + 1 && at(level).span == span) depth_ = level;
  }
  void pop_to(std::uint32_t level) noexcept {
    if (depth_ > level) depth_ = level;
  }

 private:
  static std::vector<context_entry>& deeper() {
    thread_local std::vector<context_entry> entries;
    return entries;
  }
  static std::vector<std::string>& states() {
    thread_local std::vector<std::string> texts;
    return texts;
  }
  static context_entry& deeper_entry(std::uint32_t level) {
    auto& entries = deeper();
    if (entries.size() <= level - inline_depth) entries.resize(level - inline_depth + 1);
    return entries[level - inline_depth];
  }
  static void place_trace_state(std::uint32_t level, std::string_view text) {
    auto& texts = states();
    if (texts.size() <= level) texts.resize(level + 1);
    texts[level].assign(text);
  }

  context_entry inline_[inline_depth + 1];  // [0]: the invalid context below every level
  std::uint32_t depth_ = 0;
};

inline context_stack& this_thread_contexts() noexcept {
  thread_local context_stack stack;
  return stack;
}

}  // namespace detail

// The calling thread's current context (invalid when no span is current), as a copy: a
// context handed to another thread or injected into a request outlives the span.
inline span_context current_context() {
  const detail::context_stack& stack = detail::this_thread_contexts();
  const detail::context_entry& top = stack.top();
  span_context context{top.trace_id_value(), top.span_id_value(), top.flags, top.remote, {}};
  if (top.has_trace_state) context.trace_state = stack.trace_state(stack.depth() - 1);
  return context;
}

// Makes a context current on the calling thread until destroyed, then restores the one
// before: how a context captured on one thread is handed to a task on another.
class context_scope {
 public:
  explicit context_scope(const span_context& context)
      : level_(detail::this_thread_contexts().push(context.trace, context.span, context.flags, context.remote, 0,
                                                   context.trace_state)) {}
  ~context_scope() { detail::this_thread_contexts().pop_to(level_); }

  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;

 private:
  std::uint32_t level_;
};

}  // namespace v0
}  // namespace trace
