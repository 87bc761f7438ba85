#pragma once
// How the format readers hand spans over while they parse: in batches, to a sink called as
// `sink(std::vector<span>&&)`, so the spans of a file never need to be in memory at once.
//
//   trace::otlp::read_lines(in, [&](std::vector<trace::span>&& batch) { store.append(batch); });
//
// A batch is handed over once it holds `batch_spans` spans (the readers' last argument,
// `default_batch_spans` unless given) and the unit being read is complete: an OTLP
// `resourceSpans` entry (its resource and schema URL may follow its spans), a Jaeger trace
// (its processes follow its spans), a Zipkin span. The rest is handed over at the end.
// Every span handed over is valid (`span_problem` finds nothing): the readers check each
// one where they read it, so the error names its line and column.
//
// A parse error thrown by a batch-handing reader says, after its position, how many spans
// the sink had been handed before it: "line 9, column 3: expected ':' after object key
// (4096 spans were handed over before it)". The spans read since the last batch are
// dropped. What the sink itself throws passes through unchanged.

#include <algorithm>
#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/json_documents.hpp"
#include "trace/io/json_reader.hpp"  // parse_options

namespace trace {
inline namespace v0 {

inline constexpr std::size_t default_batch_spans = 4096;

namespace detail {

// Collects the spans of one read in `pending()` and hands them to the sink in batches.
template <class Sink>
class span_batcher {
 public:
  span_batcher(Sink& sink, std::size_t batch_spans) : sink_(sink), batch_spans_(std::max<std::size_t>(batch_spans, 1)) {}

  std::vector<span>& pending() noexcept { return pending_; }
  // A unit (see above) is complete: its spans may go.
  void unit_done() {
    if (pending_.size() >= batch_spans_) hand_over();
  }
  // Hands over what is left; returns how many spans were handed over in all.
  std::size_t finish() {
    if (!pending_.empty()) hand_over();
    return handed_;
  }
  // Runs `read`, which fills `pending()`: its parse errors get the count of spans handed
  // over before them; the sink's errors pass unchanged.
  template <class Read>
  void run(Read&& read) {
    try {
      read();
    } catch (const error& e) {
      if (in_sink_) throw;
      throw error(e.code(), std::string(e.message()) + " (" + std::to_string(handed_) +
                                (handed_ == 1 ? " span was" : " spans were") + " handed over before it)");
    }
  }

 private:
  void hand_over() {
    const std::size_t n = pending_.size();
    in_sink_ = true;
    sink_(std::move(pending_));
    in_sink_ = false;
    handed_ += n;
    pending_.clear();  // moved from: valid, but not necessarily empty
    pending_.reserve(n);  // the next batch is likely as large: room at once, not growth by moves
  }

  Sink& sink_;
  std::size_t batch_spans_;
  std::vector<span> pending_;
  std::size_t handed_ = 0;
  bool in_sink_ = false;
};

// The readers' two batch-handing forms, given their `read_into(text, options, batcher)`:
// a text holding one document or several (one per line), and a stream of documents.
template <class Sink, class ReadInto>
std::size_t read_batches(std::string_view text, Sink& sink, json::parse_options options, std::size_t batch_spans,
                         ReadInto&& read_into) {
  span_batcher<Sink> batcher(sink, batch_spans);
  batcher.run([&] { read_into(text, options, batcher); });
  return batcher.finish();
}

template <class Sink, class ReadInto>
std::size_t read_batches(std::istream& in, Sink& sink, json::parse_options options, std::size_t batch_spans,
                         ReadInto&& read_into) {
  span_batcher<Sink> batcher(sink, batch_spans);
  batcher.run([&] {
    json::for_each_document(in, [&](std::string_view text, std::size_t line) {
      json::parse_options here = options;
      here.first_line = line;
      read_into(text, here, batcher);
    }, options.first_line);
  });
  return batcher.finish();
}

// Every span of a text, for the readers' vector forms: one batch, no count in errors.
template <class ReadInto>
std::vector<span> read_all(std::string_view text, json::parse_options options, ReadInto&& read_into) {
  auto never = [](std::vector<span>&&) {};
  span_batcher<decltype(never)> batcher(never, static_cast<std::size_t>(-1));
  read_into(text, options, batcher);
  return std::move(batcher.pending());
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
