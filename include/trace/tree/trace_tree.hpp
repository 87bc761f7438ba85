#pragma once
// A trace as a tree: built from spans in any order, with the problems
// of real data reported rather than fatal: a span whose parent is missing becomes an extra
// root flagged as an orphan; a repeated span id is kept out of the tree and reported; a
// parent cycle is broken at its earliest span, which becomes a root, and reported.
// Building is O(n log n) and never loops, whatever the input.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <ranges>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "trace/core/span_traits.hpp"

namespace trace {
inline namespace v0 {

enum class tree_issue_kind : std::uint8_t {
  orphan,          // the parent id names no span of the input; the span became a root
  duplicate_span,  // a second span with an id already seen; left out of the tree
  cycle,           // parent links formed a loop; the span became a root to break it
};

constexpr const char* to_string(tree_issue_kind kind) noexcept {
  switch (kind) {
    case tree_issue_kind::orphan: return "orphan";
    case tree_issue_kind::duplicate_span: return "duplicate span";
    case tree_issue_kind::cycle: return "cycle";
  }
  return "issue";
}

struct tree_issue {
  tree_issue_kind kind;
  span_id span;
  std::size_t index;  // position of the span in the input

  friend bool operator==(const tree_issue&, const tree_issue&) = default;
};

// One stretch of the critical path: `node` was the thing being waited on in [start, end).
struct critical_segment {
  std::size_t node;
  timestamp_ns start;
  timestamp_ns end;

  friend bool operator==(const critical_segment&, const critical_segment&) = default;
};

template <span_like S>
class trace_tree {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct node {
    std::size_t parent = npos;           // npos for roots
    std::vector<std::size_t> children;   // ordered by start time, then span id
    std::uint32_t depth = 0;             // 0 for roots
    bool orphan = false;                 // a root because its parent is missing
    bool in_tree = true;                 // false for a duplicate left out
  };

  trace_tree() = default;
  explicit trace_tree(std::vector<S> spans);

  // Node i holds span i of the input, in input order.
  std::size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }
  const S& span_at(std::size_t i) const noexcept { return spans_[i]; }
  const node& node_at(std::size_t i) const noexcept { return nodes_[i]; }
  std::span<const S> spans() const noexcept { return spans_; }
  // Roots in start order: true roots, orphans and cycle breakers.
  std::span<const std::size_t> roots() const noexcept { return roots_; }
  std::span<const tree_issue> issues() const noexcept { return issues_; }
  bool has_issues() const noexcept { return !issues_.empty(); }
  // Node of a span id, or npos.
  std::size_t find(span_id id) const;

  // Number of levels: 0 when empty, 1 for a lone root.
  std::uint32_t depth() const noexcept { return levels_; }

  // Visits nodes in the tree (duplicates excluded). `f(node_index, depth)`.
  template <class F>
  void depth_first(F&& f) const;
  template <class F>
  void breadth_first(F&& f) const;

  // Duration of a span minus the time covered by its children (clipped to the span).
  duration_ns self_time(std::size_t i) const;

  // The chain of work that decided the trace's end (Jaeger's critical path), in time order,
  // starting from the root `root` (default: the first root).
  std::vector<critical_segment> critical_path(std::size_t root = npos) const;

  // Back to flat spans: depth-first order, duplicates last.
  std::vector<S> flatten() const;

 private:
  void link_children();
  void break_cycles(std::vector<bool>& reached);
  void mark_reachable(std::size_t from, std::vector<bool>& reached) const;
  void assign_depths();

  std::vector<S> spans_;
  std::vector<node> nodes_;
  std::vector<std::size_t> roots_;
  std::vector<tree_issue> issues_;
  std::unordered_map<span_id, std::size_t> by_id_;
  std::uint32_t levels_ = 0;
};

// Builds a tree from any range of spans (copied into the tree).
template <std::ranges::input_range R>
  requires span_like<std::ranges::range_value_t<R>>
trace_tree<std::ranges::range_value_t<R>> build_tree(R&& spans) {
  using S = std::ranges::range_value_t<R>;
  std::vector<S> copy;
  for (auto&& s : spans) copy.push_back(s);
  return trace_tree<S>(std::move(copy));
}

// ---------------------------------------------------------------------------------------

template <span_like S>
trace_tree<S>::trace_tree(std::vector<S> spans) : spans_(std::move(spans)), nodes_(spans_.size()) {
  by_id_.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    auto [it, inserted] = by_id_.emplace(span_id_of(spans_[i]), i);
    if (!inserted) {
      nodes_[i].in_tree = false;
      issues_.push_back({tree_issue_kind::duplicate_span, span_id_of(spans_[i]), i});
    }
  }
  link_children();
  std::vector<bool> reached(spans_.size(), false);
  for (std::size_t root : roots_) mark_reachable(root, reached);
  break_cycles(reached);
  auto by_start = [this](std::size_t a, std::size_t b) {
    auto ka = std::pair(start_of(spans_[a]), span_id_of(spans_[a]));
    auto kb = std::pair(start_of(spans_[b]), span_id_of(spans_[b]));
    return ka != kb ? ka < kb : a < b;
  };
  std::ranges::sort(roots_, by_start);
  for (node& n : nodes_) std::ranges::sort(n.children, by_start);
  assign_depths();
}

template <span_like S>
void trace_tree<S>::link_children() {
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    if (!nodes_[i].in_tree) continue;
    span_id parent = parent_id_of(spans_[i]);
    if (!parent.valid()) {
      roots_.push_back(i);
      continue;
    }
    auto found = by_id_.find(parent);
    if (found == by_id_.end() || found->second == i) {
      nodes_[i].orphan = found == by_id_.end();
      roots_.push_back(i);
      issues_.push_back({found == by_id_.end() ? tree_issue_kind::orphan : tree_issue_kind::cycle,
                         span_id_of(spans_[i]), i});
      continue;
    }
    nodes_[i].parent = found->second;
    nodes_[found->second].children.push_back(i);
  }
}

template <span_like S>
void trace_tree<S>::mark_reachable(std::size_t from, std::vector<bool>& reached) const {
  std::vector<std::size_t> stack{from};
  while (!stack.empty()) {
    std::size_t i = stack.back();
    stack.pop_back();
    if (reached[i]) continue;
    reached[i] = true;
    for (std::size_t child : nodes_[i].children) stack.push_back(child);
  }
}

// A node in the tree that no root reaches hangs below a loop of parent links. Walking up
// from it must revisit a node within n steps; that loop is cut at its earliest span.
template <span_like S>
void trace_tree<S>::break_cycles(std::vector<bool>& reached) {
  std::vector<std::size_t> seen_in_walk(spans_.size(), npos);
  for (std::size_t start = 0; start < spans_.size(); ++start) {
    if (reached[start] || !nodes_[start].in_tree) continue;
    std::size_t i = start;
    while (seen_in_walk[i] != start) {
      seen_in_walk[i] = start;
      i = nodes_[i].parent;
    }
    // i is on the loop: find its earliest member.
    std::size_t cut = i;
    for (std::size_t j = nodes_[i].parent; j != i; j = nodes_[j].parent)
      if (std::pair(start_of(spans_[j]), j) < std::pair(start_of(spans_[cut]), cut)) cut = j;
    auto& siblings = nodes_[nodes_[cut].parent].children;
    siblings.erase(std::ranges::find(siblings, cut));
    nodes_[cut].parent = npos;
    roots_.push_back(cut);
    issues_.push_back({tree_issue_kind::cycle, span_id_of(spans_[cut]), cut});
    mark_reachable(cut, reached);
  }
}

template <span_like S>
void trace_tree<S>::assign_depths() {
  levels_ = 0;
  breadth_first([this](std::size_t i, std::uint32_t depth) {
    nodes_[i].depth = depth;
    levels_ = std::max(levels_, depth + 1);
  });
}

template <span_like S>
std::size_t trace_tree<S>::find(span_id id) const {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? npos : found->second;
}

template <span_like S>
template <class F>
void trace_tree<S>::depth_first(F&& f) const {
  std::vector<std::pair<std::size_t, std::uint32_t>> stack;
  for (auto root = roots_.rbegin(); root != roots_.rend(); ++root) stack.emplace_back(*root, 0);
  while (!stack.empty()) {
    auto [i, depth] = stack.back();
    stack.pop_back();
    f(i, depth);
    const auto& children = nodes_[i].children;
    for (auto child = children.rbegin(); child != children.rend(); ++child) stack.emplace_back(*child, depth + 1);
  }
}

template <span_like S>
template <class F>
void trace_tree<S>::breadth_first(F&& f) const {
  std::deque<std::pair<std::size_t, std::uint32_t>> queue;
  for (std::size_t root : roots_) queue.emplace_back(root, 0);
  while (!queue.empty()) {
    auto [i, depth] = queue.front();
    queue.pop_front();
    f(i, depth);
    for (std::size_t child : nodes_[i].children) queue.emplace_back(child, depth + 1);
  }
}

template <span_like S>
duration_ns trace_tree<S>::self_time(std::size_t i) const {
  timestamp_ns start = start_of(spans_[i]), end = std::max(start, end_of(spans_[i]));
  std::vector<std::pair<timestamp_ns, timestamp_ns>> covered;
  for (std::size_t child : nodes_[i].children) {
    timestamp_ns from = std::max(start, start_of(spans_[child]));
    timestamp_ns to = std::min(end, end_of(spans_[child]));
    if (from < to) covered.emplace_back(from, to);
  }
  std::ranges::sort(covered);
  duration_ns busy = 0;
  timestamp_ns cursor = start;
  for (auto [from, to] : covered) {
    from = std::max(from, cursor);
    if (to > from) {
      busy += to - from;
      cursor = to;
    }
  }
  return (end - start) - busy;
}

// Walks back from the end of the root: the child that finished last before the cursor is
// what the parent waited for; the gap after it is the parent's own. Then the cursor moves
// to that child's start, and the same question is asked of the child and of the parent.
template <span_like S>
std::vector<critical_segment> trace_tree<S>::critical_path(std::size_t root) const {
  std::vector<critical_segment> path;
  if (roots_.empty()) return path;
  if (root == npos) root = roots_.front();
  struct frame {
    std::size_t node;
    timestamp_ns cursor;
  };
  std::vector<frame> stack{{root, std::max(start_of(spans_[root]), end_of(spans_[root]))}};
  while (!stack.empty()) {
    frame current = stack.back();
    timestamp_ns floor = start_of(spans_[current.node]);
    std::size_t best = npos;
    timestamp_ns best_end = 0;
    for (std::size_t child : nodes_[current.node].children) {
      if (start_of(spans_[child]) >= current.cursor) continue;
      timestamp_ns child_end = std::min(end_of(spans_[child]), current.cursor);
      if (child_end <= floor) continue;
      if (best == npos || child_end > best_end) {
        best = child;
        best_end = child_end;
      }
    }
    if (best == npos) {
      if (current.cursor > floor) path.push_back({current.node, floor, current.cursor});
      stack.pop_back();
      continue;
    }
    if (best_end < current.cursor) path.push_back({current.node, best_end, current.cursor});
    stack.back().cursor = std::max(start_of(spans_[best]), floor);
    stack.push_back({best, best_end});
  }
  std::ranges::reverse(path);
  return path;
}

template <span_like S>
std::vector<S> trace_tree<S>::flatten() const {
  std::vector<S> out;
  out.reserve(spans_.size());
  depth_first([&](std::size_t i, std::uint32_t) { out.push_back(spans_[i]); });
  for (std::size_t i = 0; i < spans_.size(); ++i)
    if (!nodes_[i].in_tree) out.push_back(spans_[i]);
  return out;
}

}  // namespace v0
}  // namespace trace
