#pragma once
// A trace tree as indented text: one line per span with its
// operation, service, duration and status, and optionally a bar showing where in the
// trace's time the span ran.
//
//   checkout (api) 120ms ok
//   ├─ authorize (auth) 12.0ms
//   └─ charge (payments) 95.0ms ERROR card declined

#include <algorithm>
#include <limits>
#include <string>

#include "trace/core/time.hpp"
#include "trace/tree/trace_tree.hpp"

namespace trace {
inline namespace v0 {

struct render_options {
  bool show_service = true;
  bool show_self_time = false;
  unsigned bar_width = 0;  // 0: no time bar
};

template <span_like S>
std::string render_text(const trace_tree<S>& tree, const render_options& options = {}) {
  timestamp_ns first = std::numeric_limits<timestamp_ns>::max(), last = 0;
  for (const S& s : tree.spans()) {
    first = std::min(first, start_of(s));
    last = std::max(last, end_of(s));
  }
  const double total = last > first ? static_cast<double>(last - first) : 1.0;

  // For each depth, whether the ancestor at that depth still has siblings below.
  std::vector<bool> more_below;
  std::string out;
  tree.depth_first([&](std::size_t i, std::uint32_t depth) {
    const S& s = tree.span_at(i);
    const auto& n = tree.node_at(i);
    bool is_last = true;
    if (n.parent != trace_tree<S>::npos) {
      const auto& siblings = tree.node_at(n.parent).children;
      is_last = siblings.back() == i;
    }
    more_below.resize(depth + 1);
    more_below[depth] = !is_last;
    if (options.bar_width > 0) {
      auto column = [&](timestamp_ns t) {
        return static_cast<unsigned>(static_cast<double>(t - first) / total * options.bar_width);
      };
      unsigned from = std::min(column(start_of(s)), options.bar_width - 1);
      unsigned to = std::max(from + 1, std::min(column(end_of(s)), options.bar_width));
      out += '|';
      out.append(from, ' ');
      out.append(to - from, '#');
      out.append(options.bar_width - to, ' ');
      out += "| ";
    }
    for (std::uint32_t d = 1; d < depth; ++d) out += more_below[d] ? "│  " : "   ";
    if (depth > 0) out += is_last ? "└─ " : "├─ ";
    out += name_of(s);
    if (options.show_service) {
      out += " (";
      out += service_of(s);
      out += ')';
    }
    out += ' ';
    out += format_duration(duration_of(s));
    if (options.show_self_time) out += " self " + format_duration(tree.self_time(i));
    switch (status_of(s)) {
      case status_code::ok: out += " ok"; break;
      case status_code::error:
        out += " ERROR";
        if (auto message = status_message_of(s); !message.empty()) {
          out += ' ';
          out += message;
        }
        break;
      case status_code::unset: break;
    }
    if (n.orphan) out += " [orphan: parent " + parent_id_of(s).to_hex() + " missing]";
    out += '\n';
  });
  return out;
}

}  // namespace v0
}  // namespace trace
