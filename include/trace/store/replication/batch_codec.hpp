#pragma once
// A batch of spans as the payload of a replication `batch` frame: self-contained (every
// string inline), so a replica decodes it without the primary's string tables. The parts
// of a span that the mmap store encodes (resource, scope, extras) use the store's own
// encoding (docs/FORMAT.md, "Extras"; the extras as versions 2 to 6 laid them out, which this
// stream keeps), so nothing of the model is lost on the way.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/store/mmap/codec.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

// Appends the encoding of `batch` (any range of `basic_span<String>`) to `out`.
template <class Range>
void encode_batch(std::string& out, const Range& batch) {
  trace::detail::byte_writer w(out);
  std::uint64_t count = 0;
  for (const auto& s : batch) { (void)s; ++count; }
  w.varint(count);
  std::string parts;
  for (const auto& s : batch) {
    w.fixed(s.trace.high());
    w.fixed(s.trace.low());
    w.fixed(s.id.value());
    w.fixed(s.parent.value());
    w.fixed(static_cast<std::uint64_t>(s.start));
    w.fixed(static_cast<std::uint64_t>(s.end));
    w.fixed(static_cast<std::uint8_t>(s.kind));
    w.fixed(static_cast<std::uint8_t>(s.status.code));
    w.text(s.name);
    parts.clear();
    trace::detail::encode_resource(parts, s.resource);
    w.text(parts);
    parts.clear();
    trace::detail::encode_scope(parts, s.scope);
    w.text(parts);
    parts.clear();
    trace::detail::encode_extras_every_field(parts, s);
    w.text(parts);
  }
}

template <class Range>
std::string encode_batch(const Range& batch) {
  std::string out;
  encode_batch(out, batch);
  return out;
}

// Decodes a batch; bytes that do not hold one are refused with `error(errc::corrupt_data)`
// naming `where` and what is wrong.
inline std::vector<span> decode_batch(std::string_view bytes, const std::string& where) {
  const std::string what = where + ": replicated batch";
  trace::detail::byte_reader r(bytes, what.c_str());
  const std::uint64_t count = r.varint();
  // Each span takes at least 54 bytes: a count beyond that is damage, refused before allocating.
  if (count > r.remaining() / 54) r.fail("span count " + std::to_string(count) + " does not fit in " + std::to_string(r.remaining()) + " bytes");
  std::vector<span> out(static_cast<std::size_t>(count));
  for (span& s : out) {
    const auto high = r.fixed<std::uint64_t>();
    const auto low = r.fixed<std::uint64_t>();
    s.trace = trace_id(high, low);
    s.id = span_id(r.fixed<std::uint64_t>());
    s.parent = span_id(r.fixed<std::uint64_t>());
    s.start = static_cast<timestamp_ns>(r.fixed<std::uint64_t>());
    s.end = static_cast<timestamp_ns>(r.fixed<std::uint64_t>());
    const auto kind = r.fixed<std::uint8_t>();
    const auto code = r.fixed<std::uint8_t>();
    if (kind > static_cast<std::uint8_t>(span_kind::consumer)) r.fail("span kind " + std::to_string(kind) + " is out of range");
    if (code > static_cast<std::uint8_t>(status_code::error)) r.fail("status code " + std::to_string(code) + " is out of range");
    s.kind = static_cast<span_kind>(kind);
    s.status.code = static_cast<status_code>(code);
    s.name = std::string(r.text());
    s.resource = trace::detail::decode_resource(r.text());
    s.scope = trace::detail::decode_scope(r.text());
    const std::string_view extras = r.text();
    trace::detail::byte_reader e(extras, what.c_str());
    trace::detail::decode_extras(e.with_layout(trace::detail::extras_layout::every_field), s);
    if (!e.at_end()) e.fail("extras have " + std::to_string(e.remaining()) + " bytes left over");
  }
  if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " bytes after the last span");
  return out;
}

}  // namespace replication
}  // namespace v0
}  // namespace trace
