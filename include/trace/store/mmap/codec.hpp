#pragma once
// Byte-level encoding of the mmap store: little-endian fixed-width integers, LEB128
// varints, zigzag varints for signed integers, strings that are "text or ref", and the
// simple self-describing encoding of the parts of a span that scans do not read
// (attributes, events, links, resource, scope, status message, trace state, dropped
// counts). The reader checks every bound and every ref and throws
// `error(errc::corrupt_data)` naming what it was reading, so even bytes that passed their
// checksum cannot make it read outside its buffer.
//
// Text or ref: one varint v. Odd v names entry v >> 1 of the segment's string table; even v
// is followed by v >> 1 bytes of inline text. A log writes inline text only (no table
// lookups when appending); sealing re-encodes each span's extras, interning short strings
// (`transcode_extras`). Resources and scopes are themselves interned whole, so their own
// strings stay inline.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/store/mmap/strings.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// Loads a T stored at any alignment (memcpy compiles to one load and keeps aliasing rules).
template <class T>
T load(const std::byte* p) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

// Writes to `out`; with an `interner`, `text` writes short strings as refs into its table.
class byte_writer {
 public:
  explicit byte_writer(std::string& out, string_table_builder* interner = nullptr) noexcept
      : out_(out), interner_(interner) {}

  template <class T>
  void fixed(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  // Small magnitudes of either sign take few bytes: 0, -1, 1, -2, ... map to 0, 1, 2, 3, ...
  void zigzag(std::int64_t value) {
    varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  void text(std::string_view s) { tagged_text(s, 0, 0); }
  // A text-or-ref whose varint also carries `tag` in its low `tag_bits` (an attribute's key
  // and its value's type, in one byte when the key's id is below 8).
  void tagged_text(std::string_view s, std::uint8_t tag, unsigned tag_bits = 3) {
    if (interner_ && !s.empty() && s.size() <= max_interned_extras_text) {
      varint((std::uint64_t{interner_->intern(s)} << 1 | 1) << tag_bits | tag);
      return;
    }
    varint(std::uint64_t{s.size()} << 1 << tag_bits | tag);
    out_.append(s);
  }
  void pad_to(std::size_t alignment) { out_.append((alignment - out_.size() % alignment) % alignment, '\0'); }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  std::string& out_;
  string_table_builder* interner_;
};

// How a span's extras are laid out. Versions 2 to 6: every field of the head and every count
// written, zero or not. Version 7 on: a varint of `*_field` bits first, then only the
// fields it names (most spans have attributes and nothing else: one byte instead of eight).
enum class extras_layout : std::uint8_t { every_field, present_fields };

// Reads from [begin, end); `text` resolves refs through `refs` and refuses any outside it.
class byte_reader {
 public:
  byte_reader(const std::byte* begin, const std::byte* end, const char* what, string_refs refs = {}) noexcept
      : p_(begin), end_(end), what_(what), refs_(refs) {}
  byte_reader(std::string_view bytes, const char* what, string_refs refs = {}) noexcept
      : byte_reader(reinterpret_cast<const std::byte*>(bytes.data()),
                    reinterpret_cast<const std::byte*>(bytes.data() + bytes.size()), what, refs) {}

  template <class T>
  T fixed() {
    need(sizeof(T));
    T value = load<T>(p_);
    p_ += sizeof(T);
    return value;
  }
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      auto byte = static_cast<std::uint8_t>(*p_++);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    fail("varint longer than 10 bytes");
  }
  std::uint32_t varint32() {
    std::uint64_t value = varint();
    if (value > 0xffffffffu) fail("count out of range");
    return static_cast<std::uint32_t>(value);
  }
  std::int64_t zigzag() {
    std::uint64_t value = varint();
    return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
  }
  std::string_view text() { return text_of(varint()); }
  // The text named by the text-or-ref value `v`, read already.
  std::string_view text_of(std::uint64_t v) {
    if (v & 1) {
      std::uint64_t id = v >> 1;
      if (id >= refs_.end)
        fail("string id " + std::to_string(id) + " is outside the " + std::to_string(refs_.end) +
             " strings it may name");
      return (*refs_.table)[static_cast<std::size_t>(id)];
    }
    std::uint64_t size = v >> 1;
    need(size);
    std::string_view out(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(size));
    p_ += size;
    return out;
  }
  const std::byte* take(std::uint64_t size) {
    need(size);
    const std::byte* at = p_;
    p_ += size;
    return at;
  }
  bool at_end() const noexcept { return p_ == end_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  // The layout of the extras it reads: the current one unless a block of an older file says.
  extras_layout layout() const noexcept { return layout_; }
  byte_reader& with_layout(extras_layout layout) noexcept {
    layout_ = layout;
    return *this;
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw error(errc::corrupt_data, std::string(what_) + ": " + problem);
  }

 private:
  void need(std::uint64_t size) const {
    if (size > remaining())
      fail("needs " + std::to_string(size) + " bytes but only " + std::to_string(remaining()) + " remain");
  }

  const std::byte* p_;
  const std::byte* end_;
  const char* what_;
  string_refs refs_;
  extras_layout layout_ = extras_layout::present_fields;
};

// ---- attributes ----

enum class value_tag : std::uint8_t { boolean, integer, real, text, booleans, integers, reals, texts };

// A value without its tag (which the caller wrote).
template <class String>
void encode_value_body(byte_writer& w, const basic_attribute_value<String>& value) {
  auto one = [&w](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, bool>) w.fixed<std::uint8_t>(v);
    else if constexpr (std::is_same_v<V, std::int64_t>) w.zigzag(v);
    else if constexpr (std::is_same_v<V, double>) w.fixed(v);
    else w.text(v);
  };
  std::visit(
      [&](const auto& v) {
        if constexpr (is_vector<std::decay_t<decltype(v)>>::value) {
          w.varint(v.size());
          for (const auto& element : v) one(element);  // vector<bool> yields plain bools
        } else {
          one(v);
        }
      },
      value);
}

template <class String>
void encode_value(byte_writer& w, const basic_attribute_value<String>& value) {
  w.fixed(static_cast<std::uint8_t>(value.index()));
  encode_value_body(w, value);
}

template <class String>
void encode_attributes(byte_writer& w, const basic_attributes<String>& items) {
  w.varint(items.size());
  for (const auto& item : items) {
    w.text(item.key);
    encode_value(w, item.value);
  }
}

// The value of type `tag`, read after its tag.
inline basic_attribute_value<std::string_view> decode_value(byte_reader& r, std::uint8_t tag) {
  auto elements = [&r](auto read_one) {
    std::uint64_t n = r.varint();
    if (n > r.remaining()) r.fail("array of " + std::to_string(n) + " elements overruns its record");
    std::vector<decltype(read_one())> out;
    out.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) out.push_back(read_one());
    return out;
  };
  switch (static_cast<value_tag>(tag)) {
    case value_tag::boolean: return r.fixed<std::uint8_t>() != 0;
    case value_tag::integer: return r.zigzag();
    case value_tag::real: return r.fixed<double>();
    case value_tag::text: return r.text();
    case value_tag::booleans: return elements([&r] { return r.fixed<std::uint8_t>() != 0; });
    case value_tag::integers: return elements([&r] { return r.zigzag(); });
    case value_tag::reals: return elements([&r] { return r.fixed<double>(); });
    case value_tag::texts: return elements([&r] { return r.text(); });
  }
  r.fail("unknown attribute value tag " + std::to_string(tag));
}

inline basic_attribute_value<std::string_view> decode_value(byte_reader& r) { return decode_value(r, r.fixed<std::uint8_t>()); }

// Calls f(where, key, value) for each encoded attribute; true when f asked to stop.
template <class F>
bool visit_encoded_attributes(byte_reader& r, attribute_scope where, F& f) {
  std::uint64_t n = r.varint();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string_view key = r.text();
    auto value = decode_value(r);
    if (f(where, key, value)) return true;
  }
  return false;
}

inline attributes decode_attributes(byte_reader& r) {
  attributes out;
  auto keep = [&out](attribute_scope, std::string_view key, const basic_attribute_value<std::string_view>& value) {
    out.set(std::string(key), convert_value<std::string>(value));
    return false;
  };
  visit_encoded_attributes(r, attribute_scope::span, keep);
  return out;
}

// ---- attribute lists in a span's extras ----
// From format 7 on (extras_layout::present_fields), a key and its value's tag share one
// varint (`byte_writer::tagged_text`); resources, scopes and other records keep the key, then
// a tag byte.

template <class String>
void encode_extras_attributes(byte_writer& w, const basic_attributes<String>& items) {
  w.varint(items.size());
  for (const auto& item : items) {
    w.tagged_text(item.key, static_cast<std::uint8_t>(item.value.index()));
    encode_value_body(w, item.value);
  }
}

struct attribute_head {
  std::string_view key;
  std::uint8_t tag = 0;
};
inline attribute_head read_extras_attribute_head(byte_reader& r) {
  if (r.layout() == extras_layout::every_field) {
    const std::string_view key = r.text();
    return {key, r.fixed<std::uint8_t>()};
  }
  const std::uint64_t v = r.varint();
  return {r.text_of(v >> 3), static_cast<std::uint8_t>(v & 7)};
}

// Calls f(where, key, value) for each attribute of a list in the extras; true when f asked to stop.
template <class F>
bool visit_extras_attribute_list(byte_reader& r, attribute_scope where, F& f) {
  for (std::uint64_t n = r.varint(), i = 0; i < n; ++i) {
    const attribute_head head = read_extras_attribute_head(r);
    if (f(where, head.key, decode_value(r, head.tag))) return true;
  }
  return false;
}

inline attributes decode_extras_attribute_list(byte_reader& r) {
  attributes out;
  auto keep = [&out](attribute_scope, std::string_view key, const basic_attribute_value<std::string_view>& value) {
    out.set(std::string(key), convert_value<std::string>(value));
    return false;
  };
  visit_extras_attribute_list(r, attribute_scope::span, keep);
  return out;
}

// ---- resource and scope: interned as opaque strings, so each distinct one is stored once ----

template <class String>
void encode_resource(std::string& out, const basic_resource<String>& r) {
  byte_writer w(out);
  w.text(r.service_name);
  w.varint(r.dropped_attributes);
  encode_attributes(w, r.attributes);
  w.text(r.schema_url);  // since version 3; absent in version 2
}

template <class String>
void encode_scope(std::string& out, const basic_scope<String>& s) {
  byte_writer w(out);
  w.text(s.name);
  w.text(s.version);
  w.varint(s.dropped_attributes);
  encode_attributes(w, s.attributes);
  w.text(s.schema_url);  // since version 3; absent in version 2
}

inline resource decode_resource(std::string_view bytes) {
  byte_reader r(bytes, "resource");
  resource out;
  out.service_name = std::string(r.text());
  out.dropped_attributes = r.varint32();
  out.attributes = decode_attributes(r);
  if (!r.at_end()) out.schema_url = std::string(r.text());
  return out;
}

inline scope decode_scope(std::string_view bytes) {
  byte_reader r(bytes, "scope");
  scope out;
  out.name = std::string(r.text());
  out.version = std::string(r.text());
  out.dropped_attributes = r.varint32();
  out.attributes = decode_attributes(r);
  if (!r.at_end()) out.schema_url = std::string(r.text());
  return out;
}

// ---- the rest of a span; empty when the span has none of it ----

template <class String>
bool has_extras(const basic_span<String>& s) noexcept {
  return !s.attributes.empty() || !s.events.empty() || !s.links.empty() || !std::string_view(s.trace_state).empty() ||
         !std::string_view(s.status.message).empty() || s.dropped_attributes || s.dropped_events || s.dropped_links ||
         s.flags;
}

// The fields a span's extras hold (extras_layout::present_fields), in their order.
inline constexpr std::uint32_t dropped_attributes_field = 1, dropped_events_field = 2, dropped_links_field = 4,
                               trace_state_field = 8, status_message_field = 16, attributes_field = 32,
                               events_field = 64, links_field = 128,
                               flags_field = 256;  // the span's flags, then each link's
inline constexpr std::uint32_t every_extras_field = 511;

template <class String>
std::uint32_t present_extras_fields(const basic_span<String>& s) noexcept {
  bool flags = s.flags != 0;
  for (const auto& l : s.links) flags = flags || l.flags;
  return (s.dropped_attributes ? dropped_attributes_field : 0) | (s.dropped_events ? dropped_events_field : 0) |
         (s.dropped_links ? dropped_links_field : 0) |
         (std::string_view(s.trace_state).empty() ? 0 : trace_state_field) |
         (std::string_view(s.status.message).empty() ? 0 : status_message_field) |
         (s.attributes.empty() ? 0 : attributes_field) | (s.events.empty() ? 0 : events_field) |
         (s.links.empty() ? 0 : links_field) | (flags ? flags_field : 0);
}

// Writes the extras of `s` in the current layout; with an `interner`, short strings as refs
// into its table (sealing), else inline (a log, replication).
template <class String>
void encode_extras(std::string& out, const basic_span<String>& s, string_table_builder* interner = nullptr) {
  if (!has_extras(s)) return;
  byte_writer w(out, interner);
  const std::uint32_t present = present_extras_fields(s);
  w.varint(present);
  if (present & dropped_attributes_field) w.varint(s.dropped_attributes);
  if (present & dropped_events_field) w.varint(s.dropped_events);
  if (present & dropped_links_field) w.varint(s.dropped_links);
  if (present & trace_state_field) w.text(s.trace_state);
  if (present & status_message_field) w.text(s.status.message);
  if (present & attributes_field) encode_extras_attributes(w, s.attributes);
  if (present & events_field) {
    w.varint(s.events.size());
    for (const auto& e : s.events) {
      w.zigzag(static_cast<std::int64_t>(e.time - s.start));  // near the span's start: a few bytes
      w.text(e.name);
      w.fixed<std::uint8_t>(e.level ? static_cast<std::uint8_t>(*e.level) + 1 : 0);
      w.varint(e.dropped_attributes);
      encode_extras_attributes(w, e.attributes);
    }
  }
  if (present & links_field) {
    w.varint(s.links.size());
    for (const auto& l : s.links) {
      w.fixed(l.trace.high());
      w.fixed(l.trace.low());
      w.fixed(l.span.value());
      w.text(l.trace_state);
      w.varint(l.dropped_attributes);
      encode_extras_attributes(w, l.attributes);
    }
  }
  if (present & flags_field) {
    w.varint(s.flags);
    for (const auto& l : s.links) w.varint(l.flags);
  }
}

// Writes the extras of `s` as versions 2 to 6 laid them out (extras_layout::every_field): the
// replication stream keeps this layout (trace-replication/1), so that builds of either side
// of version 7 and replication logs written before it still understand each other.
template <class String>
void encode_extras_every_field(std::string& out, const basic_span<String>& s) {
  if (!has_extras(s)) return;
  byte_writer w(out);
  for (std::uint32_t dropped : {s.dropped_attributes, s.dropped_events, s.dropped_links}) w.varint(dropped);
  w.text(s.trace_state);
  w.text(s.status.message);
  encode_attributes(w, s.attributes);
  w.varint(s.events.size());
  for (const auto& e : s.events) {
    w.zigzag(static_cast<std::int64_t>(e.time - s.start));
    w.text(e.name);
    w.fixed<std::uint8_t>(e.level ? static_cast<std::uint8_t>(*e.level) + 1 : 0);
    w.varint(e.dropped_attributes);
    encode_attributes(w, e.attributes);
  }
  w.varint(s.links.size());
  for (const auto& l : s.links) {
    w.fixed(l.trace.high());
    w.fixed(l.trace.low());
    w.fixed(l.span.value());
    w.text(l.trace_state);
    w.varint(l.dropped_attributes);
    encode_attributes(w, l.attributes);
  }
  w.varint(s.flags);
  for (const auto& l : s.links) w.varint(l.flags);
}

// Status message and trace state sit at the front of the extras, for cheap access; `present`
// tells which of the fields after them follow.
struct extras_head {
  std::uint32_t dropped_attributes = 0, dropped_events = 0, dropped_links = 0;
  std::string_view trace_state, status_message;
  std::uint32_t present = 0;
};

inline extras_head read_extras_head(byte_reader& r) {
  extras_head h;
  if (r.at_end()) return h;
  if (r.layout() == extras_layout::every_field) {
    h.present = every_extras_field;  // flags: only when bytes are left after the links (version 3 on)
    h.dropped_attributes = r.varint32();
    h.dropped_events = r.varint32();
    h.dropped_links = r.varint32();
    h.trace_state = r.text();
    h.status_message = r.text();
    return h;
  }
  const std::uint64_t present = r.varint();
  if (present == 0 || present > every_extras_field) r.fail("extras name unknown fields (" + std::to_string(present) + ")");
  h.present = static_cast<std::uint32_t>(present);
  if (h.present & dropped_attributes_field) h.dropped_attributes = r.varint32();
  if (h.present & dropped_events_field) h.dropped_events = r.varint32();
  if (h.present & dropped_links_field) h.dropped_links = r.varint32();
  if (h.present & trace_state_field) h.trace_state = r.text();
  if (h.present & status_message_field) h.status_message = r.text();
  return h;
}

// The count of attributes, events or links (`field`) that comes next, 0 when absent.
inline std::uint64_t read_extras_count(byte_reader& r, const extras_head& h, std::uint32_t field) {
  return h.present & field ? r.varint() : 0;
}

// Whether the flags follow the links: named by the head, or in the older layout, bytes left.
inline bool extras_have_flags(const byte_reader& r, const extras_head& h) noexcept {
  return r.layout() == extras_layout::every_field ? !r.at_end() : (h.present & flags_field) != 0;
}

inline std::uint8_t read_event_level(byte_reader& r) {
  auto level = r.fixed<std::uint8_t>();
  if (level > static_cast<std::uint8_t>(event_level::critical) + 1) r.fail("event level out of range");
  return level;
}

// Decodes the extras read by `r` into `s`, whose hot fields the caller has filled (event
// times are stored relative to `s.start`).
inline void decode_extras(byte_reader& r, span& s) {
  extras_head h = read_extras_head(r);
  s.dropped_attributes = h.dropped_attributes;
  s.dropped_events = h.dropped_events;
  s.dropped_links = h.dropped_links;
  s.trace_state = std::string(h.trace_state);
  s.status.message = std::string(h.status_message);
  if (r.at_end()) return;
  if (h.present & attributes_field) s.attributes = decode_extras_attribute_list(r);
  for (std::uint64_t n = read_extras_count(r, h, events_field), i = 0; i < n; ++i) {
    event e;
    e.time = s.start + static_cast<std::uint64_t>(r.zigzag());
    e.name = std::string(r.text());
    auto level = read_event_level(r);
    if (level) e.level = static_cast<event_level>(level - 1);
    e.dropped_attributes = r.varint32();
    e.attributes = decode_extras_attribute_list(r);
    s.events.push_back(std::move(e));
  }
  for (std::uint64_t n = read_extras_count(r, h, links_field), i = 0; i < n; ++i) {
    link l;
    auto high = r.fixed<std::uint64_t>();
    auto low = r.fixed<std::uint64_t>();
    l.trace = trace_id(high, low);
    l.span = span_id(r.fixed<std::uint64_t>());
    l.trace_state = std::string(r.text());
    l.dropped_attributes = r.varint32();
    l.attributes = decode_extras_attribute_list(r);
    s.links.push_back(std::move(l));
  }
  if (!extras_have_flags(r, h)) return;  // version 2: no flags
  s.flags = r.varint32();
  for (auto& l : s.links) l.flags = r.varint32();
}

// Visits the span's own attributes, which follow the head; true when f asked to stop.
template <class F>
bool visit_span_attributes(byte_reader& r, const extras_head& h, F& f) {
  if (!(h.present & attributes_field)) return false;
  return visit_extras_attribute_list(r, attribute_scope::span, f);
}

// Visits the attributes of the events and links, which follow the span's own in the extras;
// true when f asked to stop.
template <class F>
bool visit_event_and_link_attributes(byte_reader& r, const extras_head& h, F& f) {
  for (std::uint64_t n = read_extras_count(r, h, events_field), i = 0; i < n; ++i) {
    r.varint();
    r.text();
    r.fixed<std::uint8_t>();
    r.varint();
    if (visit_extras_attribute_list(r, attribute_scope::event, f)) return true;
  }
  for (std::uint64_t n = read_extras_count(r, h, links_field), i = 0; i < n; ++i) {
    r.take(24);
    r.text();
    r.varint();
    if (visit_extras_attribute_list(r, attribute_scope::link, f)) return true;
  }
  return false;
}

// Visits the attributes held in the extras: the span's own (`own` true), or those of its
// events and links (`own` false), so that callers can keep the memory store's visiting order
// (span, resource, scope, events, links).
template <class F>
bool visit_extras_attributes(byte_reader r, bool own, F& f) {
  const extras_head h = read_extras_head(r);
  if (r.at_end()) return false;
  if (own) return visit_span_attributes(r, h, f);
  auto skip = [](attribute_scope, std::string_view, const basic_attribute_value<std::string_view>&) { return false; };
  visit_span_attributes(r, h, skip);
  return visit_event_and_link_attributes(r, h, f);
}

// Visits every attribute held in the extras in one pass (the span's own, its events', its
// links'), `r` past the head `h`; true when f asked to stop.
template <class F>
bool visit_every_extras_attribute(byte_reader& r, const extras_head& h, F& f) {
  if (r.at_end()) return false;
  return visit_span_attributes(r, h, f) || visit_event_and_link_attributes(r, h, f);
}
template <class F>
bool visit_every_extras_attribute(byte_reader r, F& f) {
  const extras_head h = read_extras_head(r);
  return visit_every_extras_attribute(r, h, f);
}

// Visits every one of the span's own attributes (`f`'s answer does not stop it) and tells
// whether the row has events or links: rows without them need no second read for the
// attributes of those.
template <class F>
bool visit_own_attributes_noting_rest(byte_reader r, F& f) {
  const extras_head h = read_extras_head(r);
  if (r.at_end()) return false;
  if (h.present & attributes_field)
    for (std::uint64_t n = r.varint(), i = 0; i < n; ++i) {
      const attribute_head head = read_extras_attribute_head(r);
      f(attribute_scope::span, head.key, decode_value(r, head.tag));
    }
  if (read_extras_count(r, h, events_field) != 0) return true;
  return read_extras_count(r, h, links_field) != 0;
}

// Re-encodes the extras read by `r` into `w`, in the current layout. Sealing uses it with an
// interning writer: inline strings of a log and refs into a source segment's table both
// become refs into the new segment's table (or stay inline when long).
inline void transcode_attributes(byte_reader& r, byte_writer& w) {
  std::uint64_t n = r.varint();
  w.varint(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const attribute_head head = read_extras_attribute_head(r);
    w.tagged_text(head.key, head.tag);
    encode_value_body(w, decode_value(r, head.tag));
  }
}

inline void transcode_extras(byte_reader& r, byte_writer& w) {
  if (r.at_end()) return;
  if (r.layout() == extras_layout::every_field) {
    // A file of version 6 or older: decoded whole, then written in the current layout (the
    // event times stay relative to a start of 0, which the unsigned arithmetic keeps exact).
    span s;
    decode_extras(r, s);
    if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " bytes after the links' flags");
    std::string out;
    encode_extras(out, s);
    byte_reader again(out, "span extras");
    transcode_extras(again, w);
    return;
  }
  const extras_head h = read_extras_head(r);
  w.varint(h.present);
  if (h.present & dropped_attributes_field) w.varint(h.dropped_attributes);
  if (h.present & dropped_events_field) w.varint(h.dropped_events);
  if (h.present & dropped_links_field) w.varint(h.dropped_links);
  if (h.present & trace_state_field) w.text(h.trace_state);
  if (h.present & status_message_field) w.text(h.status_message);
  if (h.present & attributes_field) transcode_attributes(r, w);
  const std::uint64_t events = read_extras_count(r, h, events_field);
  if (events) w.varint(events);
  for (std::uint64_t i = 0; i < events; ++i) {
    w.zigzag(r.zigzag());  // relative to the span's start, which sealing keeps
    w.text(r.text());
    w.fixed(read_event_level(r));
    w.varint(r.varint());
    transcode_attributes(r, w);
  }
  const std::uint64_t links = read_extras_count(r, h, links_field);
  if (links) w.varint(links);
  for (std::uint64_t i = 0; i < links; ++i) {
    for (int word = 0; word < 3; ++word) w.fixed(r.fixed<std::uint64_t>());  // trace id, span id
    w.text(r.text());
    w.varint(r.varint());
    transcode_attributes(r, w);
  }
  if (h.present & flags_field)
    for (std::uint64_t i = 0; i <= links; ++i) w.varint(r.varint32());
  if (!r.at_end()) r.fail(std::to_string(r.remaining()) + " bytes after the last field");
}

// Visits resource or scope attributes from their interned encoding.
template <class F>
bool visit_resource_attributes(std::string_view bytes, F& f) {
  byte_reader r(bytes, "resource");
  r.text();
  r.varint();
  return visit_encoded_attributes(r, attribute_scope::resource, f);
}
template <class F>
bool visit_scope_attributes(std::string_view bytes, F& f) {
  byte_reader r(bytes, "scope");
  r.text();
  r.text();
  r.varint();
  return visit_encoded_attributes(r, attribute_scope::scope, f);
}

// A scope's name and version, read in place from its interned encoding (views into `bytes`).
struct scope_identity {
  std::string_view name{};
  std::string_view version{};
};
inline scope_identity read_scope_identity(std::string_view bytes) {
  byte_reader r(bytes, "scope");
  scope_identity out;
  out.name = r.text();
  out.version = r.text();
  return out;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
