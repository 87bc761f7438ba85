#pragma once
// OTLP in protobuf, the wire format of OTLP/HTTP (`application/x-protobuf`) and OTLP/gRPC:
// `ExportTraceServiceRequest` to and from spans, `ExportTraceServiceResponse` (partial
// success) and `google.rpc.Status` (error bodies).
//
//   std::string bytes = trace::otlp::proto::encode_request(spans);
//   std::vector<trace::span> back = trace::otlp::proto::decode_request(bytes);
//   trace::otlp::proto::decode_request(bytes, [](std::vector<trace::span>&& batch) {...});
//
// The model's mapping is the OTLP JSON reader's and writer's (docs/FORMATS.md): resource
// `service.name` ↔ `resource.service_name`, event attribute `event.level` ↔ `event.level`,
// AnyValue bytes → their base64 text, kvlists and mixed arrays → their plain JSON text.
//
// Decoding walks the bytes with a cursor and fills spans directly: no message objects in
// between. It follows protobuf's rules: fields in any order, unknown fields of every wire
// type skipped (groups included), the last value of a scalar wins, a message field that
// occurs twice is merged. It refuses, with `errc::parse_error` naming the field path and byte
// offset: truncated input, a length past its message's end, a known field with the wrong wire
// type, AnyValue or group nesting deeper than `max_depth`, ids of the wrong size, enum values
// the model has no name for. Nothing is allocated beyond what the bytes hold.
//
// The lenient forms (a `refused` callback as last argument) are for receivers that answer
// with a partial success: a span that breaks the model's rules (an id missing, all zero or
// of the wrong size, an unknown enum value, an end before its start, its own parent:
// `span_problem`) is left out and handed to `refused(refused_span&&)` with its position and
// why; the other spans are decoded as usual. Damage to the wire format still throws.
//
// Encoding writes fields in field-number order and leaves out proto3 defaults, so equal spans
// give equal bytes (the form protobuf libraries themselves write). Each span is read once:
// sized and written to working memory, then appended to the caller's string with the
// groups' headers around it (`request_encoder` keeps that memory between requests). Any
// input range will do, also one that makes its spans as it goes.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <memory_resource>
#include <ranges>
#include <string>
#include <string_view>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/core/validate.hpp"  // span_problem, in the lenient forms
#include "trace/io/base64.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_reader.hpp"  // event_level_key
#include "trace/io/refused_span.hpp"

namespace trace {
inline namespace v0 {
namespace otlp {
namespace proto {

// Deepest nesting of AnyValue arrays/kvlists (and of unknown groups) a decoder follows.
inline constexpr int max_depth = 32;

// `ExportTraceServiceResponse`: its `partial_success`, all zero when every span was accepted.
struct export_response {
  std::int64_t rejected_spans = 0;
  std::string error_message;

  friend bool operator==(const export_response&, const export_response&) = default;
};

// `google.rpc.Status`, the body of an OTLP/HTTP error response. `details` are skipped on
// decode and never written.
struct rpc_status {
  std::int32_t code = 0;
  std::string message;

  friend bool operator==(const rpc_status&, const rpc_status&) = default;
};

// Appends one `ExportTraceServiceRequest` holding `spans` (any range of `basic_span<String>`),
// grouped by resource and then scope in first-seen order, as the JSON writer groups them.
template <std::ranges::input_range R>
void encode_request(std::string& out, const R& spans);

// The same, for one request after another (an exporter, a server's answers): it keeps its
// working memory (the spans' encoded bytes before the groups' headers are placed around
// them) between requests, so a reused encoder neither allocates nor zero-fills it again.
// One per thread.
class request_encoder {
 public:
  template <std::ranges::input_range R>
  void encode(std::string& out, const R& spans);

  // Gives the working memory back when it holds more than `bytes`.
  void trim(std::size_t bytes) noexcept {
    if (staged_.capacity() > bytes) std::string().swap(staged_);
  }

 private:
  std::string staged_;
};

template <std::ranges::input_range R>
std::string encode_request(const R& spans) {
  std::string out;
  encode_request(out, spans);
  return out;
}

// Calls `sink(std::vector<span>&&)` once per non-empty `resource_spans` entry; returns the
// number of spans read.
template <class Sink>
std::size_t decode_request(std::string_view bytes, Sink&& sink);
// Lenient: the spans breaking the model's rules go to `refused` instead of throwing (above).
template <class Sink, class Refused>
std::size_t decode_request(std::string_view bytes, Sink&& sink, Refused&& refused);

// Every span of the request, in wire order.
std::vector<span> decode_request(std::string_view bytes);

// The same as views, for ingest paths (stores take `basic_span<String>` batches): no string
// is copied. The spans borrow their text from `bytes`, which must outlive them, and from
// the text the decoder made (AnyValue bytes as base64, kvlists and mixed arrays as
// JSON), which moves with them.
//
// The spans' attributes (theirs, their resources', scopes', events' and links') are kept in
// one arena for the request rather than an allocation per span. The spans are therefore
// only lent, read-only, by `spans()`: they cannot be taken out of the request_views nor
// outlive it (a copy of a span allocates its own attributes, and still borrows its text).
// Moving the request_views moves them with their arena and text.
class request_views {
 public:
  request_views(request_views&&) noexcept = default;
  // The old spans go before the arena their attributes live in.
  request_views& operator=(request_views&& other) noexcept {
    spans_ = std::move(other.spans_);
    converted_ = std::move(other.converted_);
    memory_ = std::move(other.memory_);
    return *this;
  }
  ~request_views() = default;

  std::span<const span_view> spans() const noexcept { return spans_; }

 private:
  friend request_views decode_request_views(std::string_view bytes);
  request_views() = default;

  // Destroyed in reverse: the spans, then the text they borrow, then their arena.
  std::unique_ptr<std::pmr::memory_resource> memory_;
  std::vector<std::unique_ptr<std::string>> converted_;
  std::vector<span_view> spans_;
};
request_views decode_request_views(std::string_view bytes);
// Calls `sink(std::vector<span_view>&&)` once per non-empty `resource_spans`: the views are
// valid during the call (text the decoder made lives until the decode returns).
template <class Sink>
std::size_t decode_request_views(std::string_view bytes, Sink&& sink);
template <class Sink, class Refused>
std::size_t decode_request_views(std::string_view bytes, Sink&& sink, Refused&& refused);

std::string encode_response(const export_response& response);
export_response decode_response(std::string_view bytes);

std::string encode_status(const rpc_status& status);
rpc_status decode_status(std::string_view bytes);

// ---------------------------------------------------------------------------------------

namespace detail {

// Memory handed out in order from blocks small enough for the heap to keep them from one
// request to the next (larger ones are fresh pages, zeroed by the kernel, each time), all
// given back at once.
class attribute_arena : public std::pmr::memory_resource {
 public:
  static constexpr std::size_t block_size = 64 * 1024;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    if (bytes > block_size / 4) return large_.emplace_back(new std::byte[bytes]).get();  // aligned for any type
    std::size_t at = (used_ + alignment - 1) & ~(alignment - 1);
    if (blocks_.empty() || at + bytes > block_size) {
      blocks_.emplace_back(new std::byte[block_size]);
      at = 0;
    }
    used_ = at + bytes;
    return blocks_.back().get() + at;
  }
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

  std::vector<std::unique_ptr<std::byte[]>> blocks_, large_;
  std::size_t used_ = 0;
};

enum class wire : std::uint32_t { varint = 0, i64 = 1, len = 2, group_start = 3, group_end = 4, i32 = 5 };

constexpr const char* to_string(wire w) noexcept {
  switch (w) {
    case wire::varint: return "varint";
    case wire::i64: return "fixed64";
    case wire::len: return "length-delimited";
    case wire::group_start: return "start-group";
    case wire::group_end: return "end-group";
    case wire::i32: return "fixed32";
  }
  return "invalid";
}

// The unread bytes of one message.
struct cursor {
  const char* p;
  const char* end;
  bool done() const noexcept { return p == end; }
};

inline cursor cursor_of(std::string_view bytes) noexcept { return {bytes.data(), bytes.data() + bytes.size()}; }

// One field's key, as read.
struct field {
  std::uint32_t number;
  wire type;
  const char* at;  // where its key starts, for messages
};

// A message field that occurs more than once is their merge, and a merge of messages is
// the concatenation of their bytes: so an AnyValue is read from its pieces in order. Nearly
// always there is one; the vector is touched only for the rest.
struct pieces {
  std::string_view first{};
  std::vector<std::string_view> rest{};
  bool present = false;

  void add(std::string_view bytes) {
    if (!present) first = bytes, present = true;
    else rest.push_back(bytes);
  }
  void clear() noexcept {
    present = false;
    rest.clear();
  }
  template <class F>
  void each(F&& f) const {
    if (!present) return;
    f(first);
    for (auto piece : rest) f(piece);
  }
};

// The decoder: the start of the buffer (for byte offsets) and the path of message fields
// being read (for messages), a fixed stack since nesting is bounded.
class decoder {
 public:
  explicit decoder(std::string_view bytes, const char* what) : base_(bytes.data()), what_(what) {}

  [[noreturn, gnu::cold, gnu::noinline]] void fail(const char* at, std::string_view name, std::string_view what) const {
    throw error(errc::parse_error, where(at, name) + ": " + std::string(what));
  }
  // A rule of the model broken by the span being read (not damage to the wire format): the
  // lenient decode leaves that span out.
  [[noreturn, gnu::cold, gnu::noinline]] void refuse(const char* at, std::string_view name, std::string_view what) const {
    refusing_ = true;
    fail(at, name, what);
  }
  // "<what> <field path> at byte <offset>".
  std::string where(const char* at, std::string_view name) const {
    std::string path;
    for (int i = 0; i < depth_; ++i) {
      if (i) path += '.';
      path += frames_[i].name;
      if (frames_[i].index >= 0) path += '[' + std::to_string(frames_[i].index) + ']';
    }
    if (!name.empty()) {
      if (!path.empty()) path += '.';
      path += name;
    }
    if (path.empty()) path = "message";
    return std::string(what_) + " " + path + " at byte " + std::to_string(at - base_);
  }

  // Enters a message field for the path; `index` < 0 for a non-repeated one.
  void push(const char* name, std::int64_t index, const char* at) {
    if (depth_ == capacity) fail(at, name, "nested deeper than " + std::to_string(capacity) + " messages");
    frames_[depth_++] = {name, index};
  }
  void pop() noexcept { --depth_; }

  // Most varints (keys, lengths, small numbers) are one byte: that path stays inline.
  std::uint64_t varint(cursor& c, const char* name) const {
    if (c.p != c.end && static_cast<unsigned char>(*c.p) < 0x80) [[likely]]
      return static_cast<unsigned char>(*c.p++);
    return long_varint(c, name);
  }
  [[gnu::noinline]] std::uint64_t long_varint(cursor& c, const char* name) const {
    const char* start = c.p;
    std::uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (c.p == c.end) fail(start, name, "varint runs past the end of its message");
      auto byte = static_cast<unsigned char>(*c.p++);
      if (shift == 63 && byte > 1) fail(start, name, "varint overflows 64 bits");
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    fail(start, name, "varint overflows 64 bits");  // not reached: the tenth byte ends it or fails
  }

  // Reads the next field's key; false at the end of the message.
  bool next(cursor& c, field& f) const {
    if (c.done()) return false;
    f.at = c.p;
    std::uint64_t key = varint(c, "field key");
    auto type = static_cast<std::uint32_t>(key & 7);
    if (type > 5 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) [[unlikely]]
      bad_key(f.at, key);
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.type = static_cast<wire>(type);
    return true;
  }
  [[noreturn, gnu::cold, gnu::noinline]] void bad_key(const char* at, std::uint64_t key) const {
    if ((key & 7) > 5) fail(at, "field key", "invalid wire type " + std::to_string(key & 7));
    fail(at, "field key", "invalid field number " + std::to_string(key >> 3));
  }

  void expect(const field& f, wire wanted, const char* name) const {
    if (f.type != wanted) fail_wire_type(f, wanted, name);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_wire_type(const field& f, wire wanted, const char* name) const {
    fail(f.at, name, std::string("wire type ") + to_string(f.type) + ", expected " + to_string(wanted));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void fail_length(const char* at, const char* name, std::uint64_t n, std::ptrdiff_t left) const {
    fail(at, name, "length " + std::to_string(n) + " runs past the end of its message (" + std::to_string(left) + " bytes left)");
  }

  std::string_view len(cursor& c, const field& f, const char* name) const {
    expect(f, wire::len, name);
    const char* start = c.p;
    std::uint64_t n = varint(c, name);
    if (n > static_cast<std::uint64_t>(c.end - c.p)) fail_length(start, name, n, c.end - c.p);
    std::string_view out(c.p, static_cast<std::size_t>(n));
    c.p += n;
    return out;
  }

  std::uint64_t fixed(cursor& c, const field& f, wire type, const char* name) const {
    expect(f, type, name);
    int size = type == wire::i64 ? 8 : 4;
    if (c.end - c.p < size) fail(c.p, name, "fixed-width value runs past the end of its message");
    std::uint64_t value = 0;
    for (int i = size - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(c.p[i]);
    c.p += size;
    return value;
  }
  std::uint64_t fixed64(cursor& c, const field& f, const char* name) const { return fixed(c, f, wire::i64, name); }
  std::uint32_t fixed32(cursor& c, const field& f, const char* name) const {
    return static_cast<std::uint32_t>(fixed(c, f, wire::i32, name));
  }
  std::uint64_t scalar(cursor& c, const field& f, const char* name) const {
    expect(f, wire::varint, name);
    return varint(c, name);
  }
  // uint32 fields take the low 32 bits of their varint, as protobuf does.
  std::uint32_t u32(cursor& c, const field& f, const char* name) const {
    return static_cast<std::uint32_t>(scalar(c, f, name));
  }
  int enumeration(cursor& c, const field& f, const char* name, int last) const {
    std::uint64_t v = scalar(c, f, name);
    if (v > static_cast<std::uint64_t>(last))
      refuse(f.at, name, "unknown enum value " + std::to_string(static_cast<std::int64_t>(v)));
    return static_cast<int>(v);
  }
  template <class String>
  void text(cursor& c, const field& f, const char* name, String& out) const {
    out = String(len(c, f, name));
  }

  // Skips a field this decoder does not know, of any wire type.
  void skip(cursor& c, const field& f, int depth = 0) const {
    switch (f.type) {
      case wire::varint: varint(c, "unknown field"); return;
      case wire::i64: fixed(c, f, wire::i64, "unknown field"); return;
      case wire::i32: fixed(c, f, wire::i32, "unknown field"); return;
      case wire::len: len(c, f, "unknown field"); return;
      case wire::group_start: {
        if (depth >= max_depth) fail(f.at, "unknown group", "nested deeper than " + std::to_string(max_depth) + " groups");
        field inner;
        while (next(c, inner)) {
          if (inner.type == wire::group_end) {
            if (inner.number != f.number)
              fail(inner.at, "unknown group", "ends group " + std::to_string(inner.number) + " inside group " +
                                                  std::to_string(f.number));
            return;
          }
          skip(c, inner, depth + 1);
        }
        fail(f.at, "unknown group", "group " + std::to_string(f.number) + " is not ended");
      }
      case wire::group_end: fail(f.at, "field key", "end-group without a start-group");
    }
  }

  // 16 bytes, not all zero; empty means "absent".
  bool trace_of(cursor& c, const field& f, const char* name, trace_id& out) const {
    std::string_view b = len(c, f, name);
    if (b.empty()) return false;
    if (b.size() != 16) refuse(f.at, name, "is " + std::to_string(b.size()) + " bytes, not 16");
    trace_id id{big_endian(b.data()), big_endian(b.data() + 8)};
    if (!id.valid()) refuse(f.at, name, "is all zero");
    out = id;
    return true;
  }
  // 8 bytes; empty means "absent", and so does all zero where `zero_is_absent` (a parent).
  bool span_of(cursor& c, const field& f, const char* name, span_id& out, bool zero_is_absent = false) const {
    std::string_view b = len(c, f, name);
    if (b.empty()) {
      out = span_id{};
      return false;
    }
    if (b.size() != 8) refuse(f.at, name, "is " + std::to_string(b.size()) + " bytes, not 8");
    span_id id{big_endian(b.data())};
    if (!id.valid() && !zero_is_absent) refuse(f.at, name, "is all zero");
    out = id;
    return id.valid();
  }

  // Calls `f(number, bytes)` for each length-delimited field of the message, stopping
  // quietly at anything malformed (the real pass reports it): for capacity hints backed by
  // bytes present.
  template <class F>
  static void each_len_field(cursor c, F&& f) noexcept {
    auto read = [&c](std::uint64_t& v) {
      v = 0;
      for (int shift = 0; shift < 64 && c.p != c.end; shift += 7) {
        auto byte = static_cast<unsigned char>(*c.p++);
        v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (byte < 0x80) return true;
      }
      return false;
    };
    std::uint64_t key, v;
    while (c.p != c.end && read(key)) {
      switch (key & 7) {
        case 0: if (!read(v)) return; break;
        case 1: if (c.end - c.p < 8) return; c.p += 8; break;
        case 5: if (c.end - c.p < 4) return; c.p += 4; break;
        case 2:
          if (!read(v) || v > static_cast<std::uint64_t>(c.end - c.p)) return;
          f(static_cast<std::uint32_t>(key >> 3), cursor{c.p, c.p + v});
          c.p += v;
          break;
        default: return;  // groups: rare, and only a hint is lost
      }
    }
  }
  // How many length-delimited fields numbered `numbers[i]` of at least `min_size` bytes the
  // message holds, into `counts[i]`.
  template <std::size_t N>
  static void count(cursor c, const std::uint32_t (&numbers)[N], std::size_t (&counts)[N], std::size_t min_size = 0) noexcept {
    each_len_field(c, [&](std::uint32_t number, cursor inner) {
      for (std::size_t i = 0; i < N; ++i) counts[i] += number == numbers[i] && inner.end - inner.p >= static_cast<std::ptrdiff_t>(min_size);
    });
  }
  // The spans of one resource_spans, over all its scope_spans (a capacity hint).
  static std::size_t count_spans(cursor resource_spans) noexcept {
    std::size_t n = 0;
    each_len_field(resource_spans, [&n](std::uint32_t number, cursor scope_spans) {
      std::size_t spans[1] = {};
      if (number == 2 || number == 1000) count(scope_spans, {2}, spans, min_span_size);
      n += spans[0];
    });
    return n;
  }

  static std::uint64_t big_endian(const char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }

  // -- OTLP messages --------------------------------------------------------------------

  // Spans of `String` = std::string own their text; of std::string_view borrow it from the
  // bytes, and text made while decoding (bytes values as base64, kvlists as JSON) from
  // `converted`, which must then be given.
  template <class String, class Sink>
  std::size_t request(std::string_view bytes, Sink& sink);
  // Every span of the request appended to `out`, which is reserved for them first.
  template <class String>
  void request_into(std::string_view bytes, std::vector<basic_span<String>>& out);
  template <class F>
  void each_resource_spans(std::string_view bytes, F&& f);
  // The resource of a resource_spans as its spans get it. Writers put it before the spans,
  // so each span takes it while still in cache; one read after spans were taken (a merge, or
  // a writer that puts it last) makes the end of the resource_spans give it again to all.
  template <class String>
  struct pending_resource {
    basic_resource<String> raw;    // as merged from the wire
    basic_resource<String> ready;  // `raw` with `service.name` taken out
    bool made = false, stale = false;
    const basic_resource<String>& get() {
      if (!made) ready = with_service_name(raw), made = true;
      return ready;
    }
  };
  template <class String>
  static basic_resource<String> with_service_name(basic_resource<String> r) {
    if (const auto* name = r.attributes.find("service.name")) {
      if (const auto* text = std::get_if<String>(name)) {
        r.service_name = *text;
        r.attributes.erase("service.name");
      }
    }
    return r;
  }
  // Appends the spans of one resource_spans to `batch`, reserving room for `expected` more.
  template <class String>
  std::size_t resource_spans(cursor c, std::vector<basic_span<String>>& batch, std::size_t expected);
  template <class String>
  void scope_spans(cursor c, std::vector<basic_span<String>>& batch, pending_resource<String>& res);
  template <class String>
  void span_fields(cursor c, basic_span<String>& s);
  // span_fields for the lenient decode: false when the span was refused (and reported).
  template <class String>
  bool kept_span(cursor c, basic_span<String>& s, const char* at);
  std::function<void(refused_span&&)> refused_;  // set: the lenient decode
  std::size_t position_ = 0;                     // spans read so far, for refused_span::position
  std::size_t attributes_hint_ = 0;              // the last span's attributes
  template <class String>
  void resource_fields(cursor c, basic_resource<String>& r);
  template <class String>
  void scope_fields(cursor c, basic_scope<String>& sc);
  template <class String>
  void event_fields(cursor c, basic_event<String>& e);
  template <class String>
  void link_fields(cursor c, basic_link<String>& l, const char* at);
  template <class String>
  void status_fields(cursor c, basic_status<String>& st);
  template <class String>
  void key_value(cursor c, basic_attributes<String>& out, int depth);

  // Text made while decoding, as `String`: for views, kept in `converted`.
  template <class String>
  String keep(std::string&& text) {
    if constexpr (std::is_same_v<String, std::string>) {
      return std::move(text);
    } else {
      converted_->push_back(std::make_unique<std::string>(std::move(text)));
      return String(*converted_->back());
    }
  }
  std::vector<std::unique_ptr<std::string>>* converted_ = nullptr;
  // Set: views' attributes go there (request_views' arena), not one allocation per span.
  std::pmr::memory_resource* arena_ = nullptr;
  template <class String>
  basic_attributes<String> new_attributes() const {
    if constexpr (std::is_same_v<String, std::string_view>)
      if (arena_) return basic_attributes<String>(arena_);
    return {};
  }

  // An AnyValue's oneof after all its pieces: which member was set last, and its value.
  enum class any_kind : std::uint8_t { none, string, boolean, integer, real, array, kvlist, bytes };
  struct any_scan {
    any_kind kind = any_kind::none;
    std::string_view text{};
    std::uint64_t bits = 0;
    pieces message{};  // of an array or kvlist: set again, the same member merges
  };
  any_scan scan_any(const pieces& value, int depth);
  template <class String>
  basic_attribute_value<String> any_value(const pieces& value, int depth);
  void plain_json(json::writer& out, const pieces& value, int depth);
  template <class F>
  void each_item(const pieces& list, const char* name, F&& f);

 private:
  static constexpr int capacity = 2 * max_depth + 16;
  static constexpr std::size_t min_span_size = 2 + 16 + 2 + 8;  // a trace id and a span id
  struct frame {
    const char* name;
    std::int64_t index;
  };
  const char* base_;
  const char* what_;
  frame frames_[capacity]{};
  int depth_ = 0;
  mutable bool refusing_ = false;  // the error being thrown is a span's refusal
};

inline decoder::any_scan decoder::scan_any(const pieces& value, int depth) {
  if (depth > max_depth) fail(value.first.data(), "value", "AnyValue nested deeper than " + std::to_string(max_depth));
  any_scan out;
  value.each([&](std::string_view bytes) {
    cursor c = cursor_of(bytes);
    field f;
    while (next(c, f)) {
      switch (f.number) {
        case 1: out.kind = any_kind::string, out.text = len(c, f, "string_value"); break;
        case 2: out.kind = any_kind::boolean, out.bits = scalar(c, f, "bool_value") != 0; break;
        case 3: out.kind = any_kind::integer, out.bits = scalar(c, f, "int_value"); break;
        case 4: out.kind = any_kind::real, out.bits = fixed64(c, f, "double_value"); break;
        case 5:
        case 6: {
          auto kind = f.number == 5 ? any_kind::array : any_kind::kvlist;
          std::string_view inner = len(c, f, f.number == 5 ? "array_value" : "kvlist_value");
          if (out.kind != kind) out.message.clear();
          out.kind = kind;
          out.message.add(inner);
          break;
        }
        case 7: out.kind = any_kind::bytes, out.text = len(c, f, "bytes_value"); break;
        default: skip(c, f);
      }
    }
  });
  return out;
}

// Calls `f(pieces)` for each element of field 1 (`values`) of an ArrayValue or KeyValueList.
template <class F>
void decoder::each_item(const pieces& list, const char* name, F&& f) {
  std::int64_t index = 0;
  list.each([&](std::string_view bytes) {
    cursor c = cursor_of(bytes);
    field key;
    while (next(c, key)) {
      if (key.number != 1) {
        skip(c, key);
        continue;
      }
      pieces item;
      item.add(len(c, key, name));
      push(name, index++, key.at);
      f(item);
      pop();
    }
  });
}

template <class String>
basic_attribute_value<String> decoder::any_value(const pieces& value, int depth) {
  any_scan v = scan_any(value, depth);
  auto as_json = [&] {
    std::string out;
    json::writer w(out);
    plain_json(w, value, depth);
    return out;
  };
  switch (v.kind) {
    case any_kind::none: return String();
    case any_kind::string: return String(v.text);
    case any_kind::boolean: return v.bits != 0;
    case any_kind::integer: return static_cast<std::int64_t>(v.bits);
    case any_kind::real: return std::bit_cast<double>(v.bits);
    case any_kind::bytes: return keep<String>(::trace::detail::to_base64(v.text));
    case any_kind::array: {
      // Homogeneous arrays of scalars map onto the model's arrays; others are kept as JSON.
      any_kind first = any_kind::none;
      bool scalar = true, empty = true;
      each_item(v.message, "array_value.values", [&](const pieces& item) {
        any_kind k = scan_any(item, depth + 1).kind;
        if (empty) first = k, empty = false;
        scalar = scalar && k == first &&
                 (k == any_kind::string || k == any_kind::boolean || k == any_kind::integer || k == any_kind::real);
      });
      if (empty) return std::vector<String>{};
      if (scalar) {
        auto collect = [&](auto tag) -> basic_attribute_value<String> {
          using T = decltype(tag);
          std::vector<T> out;
          each_item(v.message, "array_value.values", [&](const pieces& item) {
            any_scan s = scan_any(item, depth + 1);
            if constexpr (std::is_same_v<T, String>) out.emplace_back(s.text);
            else if constexpr (std::is_same_v<T, bool>) out.push_back(s.bits != 0);
            else if constexpr (std::is_same_v<T, std::int64_t>) out.push_back(static_cast<std::int64_t>(s.bits));
            else out.push_back(std::bit_cast<double>(s.bits));
          });
          return out;
        };
        if (first == any_kind::string) return collect(String());
        if (first == any_kind::boolean) return collect(false);
        if (first == any_kind::integer) return collect(std::int64_t{0});
        return collect(0.0);
      }
      return keep<String>(as_json());
    }
    case any_kind::kvlist: return keep<String>(as_json());
  }
  return String();
}

// An AnyValue as plain JSON, as the JSON reader keeps kvlists and mixed arrays.
inline void decoder::plain_json(json::writer& out, const pieces& value, int depth) {
  any_scan v = scan_any(value, depth);
  switch (v.kind) {
    case any_kind::none: out.null(); return;
    case any_kind::string: out.string(v.text); return;
    case any_kind::bytes: out.string(::trace::detail::to_base64(v.text)); return;
    case any_kind::boolean: out.boolean(v.bits != 0); return;
    case any_kind::integer: out.number(static_cast<std::int64_t>(v.bits)); return;
    case any_kind::real: {
      double d = std::bit_cast<double>(v.bits);
      std::isfinite(d) ? out.number(d) : out.null();
      return;
    }
    case any_kind::array:
      out.begin_array();
      each_item(v.message, "array_value.values", [&](const pieces& item) { plain_json(out, item, depth + 1); });
      out.end_array();
      return;
    case any_kind::kvlist:
      out.begin_object();
      each_item(v.message, "kvlist_value.values", [&](const pieces& item) {
        std::string_view key;
        pieces inner;
        item.each([&](std::string_view bytes) {
          cursor c = cursor_of(bytes);
          field f;
          while (next(c, f)) {
            if (f.number == 1) key = len(c, f, "key");
            else if (f.number == 2) inner.add(len(c, f, "value"));
            else skip(c, f);
          }
        });
        out.key(key);
        if (inner.present) plain_json(out, inner, depth + 1);
        else out.null();
      });
      out.end_object();
      return;
  }
}

template <class String>
void decoder::key_value(cursor c, basic_attributes<String>& out, int depth) {
  String key;
  pieces value;
  field f;
  while (next(c, f)) {
    if (f.number == 1) text(c, f, "key", key);
    else if (f.number == 2) value.add(len(c, f, "value"));
    else skip(c, f);
  }
  if (!value.present) return out.set(std::move(key), String());
  push("value", -1, value.first.data());
  basic_attribute_value<String> v = any_value<String>(value, depth);
  pop();
  out.set(std::move(key), std::move(v));
}

template <class String>
void decoder::resource_fields(cursor c, basic_resource<String>& r) {
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    if (f.number == 1) {
      cursor inner = cursor_of(len(c, f, "attributes"));
      push("attributes", n++, f.at);
      key_value(inner, r.attributes, 1);
      pop();
    } else if (f.number == 2) {
      r.dropped_attributes = u32(c, f, "dropped_attributes_count");
    } else {
      skip(c, f);
    }
  }
}

template <class String>
void decoder::scope_fields(cursor c, basic_scope<String>& sc) {
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    switch (f.number) {
      case 1: text(c, f, "name", sc.name); break;
      case 2: text(c, f, "version", sc.version); break;
      case 3: {
        cursor inner = cursor_of(len(c, f, "attributes"));
        push("attributes", n++, f.at);
        key_value(inner, sc.attributes, 1);
        pop();
        break;
      }
      case 4: sc.dropped_attributes = u32(c, f, "dropped_attributes_count"); break;
      default: skip(c, f);
    }
  }
}

template <class String>
void decoder::event_fields(cursor c, basic_event<String>& e) {
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    switch (f.number) {
      case 1: e.time = fixed64(c, f, "time_unix_nano"); break;
      case 2: text(c, f, "name", e.name); break;
      case 3: {
        cursor inner = cursor_of(len(c, f, "attributes"));
        push("attributes", n++, f.at);
        key_value(inner, e.attributes, 1);
        pop();
        break;
      }
      case 4: e.dropped_attributes = u32(c, f, "dropped_attributes_count"); break;
      default: skip(c, f);
    }
  }
  if (const auto* level = e.attributes.find(event_level_key)) {
    if (const auto* name = std::get_if<String>(level)) {
      if (auto parsed = event_level_from_string(std::string_view(*name))) {
        e.level = parsed;
        e.attributes.erase(event_level_key);
      }
    }
  }
}

template <class String>
void decoder::link_fields(cursor c, basic_link<String>& l, const char* at) {
  field f;
  std::int64_t n = 0;
  bool has_trace = false, has_span = false;
  while (next(c, f)) {
    switch (f.number) {
      case 1: has_trace = trace_of(c, f, "trace_id", l.trace); break;
      case 2: has_span = span_of(c, f, "span_id", l.span); break;
      case 3: text(c, f, "trace_state", l.trace_state); break;
      case 4: {
        cursor inner = cursor_of(len(c, f, "attributes"));
        push("attributes", n++, f.at);
        key_value(inner, l.attributes, 1);
        pop();
        break;
      }
      case 5: l.dropped_attributes = u32(c, f, "dropped_attributes_count"); break;
      case 6: l.flags = fixed32(c, f, "flags"); break;
      default: skip(c, f);
    }
  }
  if (!has_trace) refuse(at, "trace_id", "missing");
  if (!has_span) refuse(at, "span_id", "missing");
}

template <class String>
void decoder::status_fields(cursor c, basic_status<String>& st) {
  field f;
  while (next(c, f)) {
    if (f.number == 2) text(c, f, "message", st.message);
    else if (f.number == 3) st.code = static_cast<status_code>(enumeration(c, f, "code", 2));
    else skip(c, f);
  }
}

template <class String>
void decoder::span_fields(cursor c, basic_span<String>& s) {
  const char* at = c.p;
  // Spans of a request tend to carry as many attributes as the one before: room for those
  // saves the vector's growth steps without a pass to count them.
  s.attributes.reserve(attributes_hint_);
  field f;
  bool has_trace = false, has_id = false;
  std::int64_t attributes = 0, events = 0, links = 0;
  while (next(c, f)) {
    switch (f.number) {
      case 1: has_trace = trace_of(c, f, "trace_id", s.trace); break;
      case 2: has_id = span_of(c, f, "span_id", s.id); break;
      case 3: text(c, f, "trace_state", s.trace_state); break;
      case 4: span_of(c, f, "parent_span_id", s.parent, true); break;
      case 5: text(c, f, "name", s.name); break;
      case 6: s.kind = static_cast<span_kind>(enumeration(c, f, "kind", 5)); break;
      case 7: s.start = fixed64(c, f, "start_time_unix_nano"); break;
      case 8: s.end = fixed64(c, f, "end_time_unix_nano"); break;
      case 9: {
        cursor inner = cursor_of(len(c, f, "attributes"));
        push("attributes", attributes++, f.at);
        key_value(inner, s.attributes, 1);
        pop();
        break;
      }
      case 10: s.dropped_attributes = u32(c, f, "dropped_attributes_count"); break;
      case 11: {
        cursor inner = cursor_of(len(c, f, "events"));
        push("events", events++, f.at);
        event_fields(inner, s.events.emplace_back(basic_event<String>{.attributes = new_attributes<String>()}));
        pop();
        break;
      }
      case 12: s.dropped_events = u32(c, f, "dropped_events_count"); break;
      case 13: {
        cursor inner = cursor_of(len(c, f, "links"));
        push("links", links++, f.at);
        link_fields(inner, s.links.emplace_back(basic_link<String>{.attributes = new_attributes<String>()}), f.at);
        pop();
        break;
      }
      case 14: s.dropped_links = u32(c, f, "dropped_links_count"); break;
      case 15: {
        cursor inner = cursor_of(len(c, f, "status"));
        push("status", -1, f.at);
        status_fields(inner, s.status);  // a second status merges into the first
        pop();
        break;
      }
      case 16: s.flags = fixed32(c, f, "flags"); break;
      default: skip(c, f);
    }
  }
  attributes_hint_ = std::min<std::size_t>(s.attributes.size(), 64);
  if (!has_trace) refuse(at, "trace_id", "missing");
  if (!has_id) refuse(at, "span_id", "missing");
  if (s.end < s.start)
    refuse(at, "end_time_unix_nano", std::to_string(s.end) + " is before start_time_unix_nano " + std::to_string(s.start));
}

template <class String>
bool decoder::kept_span(cursor c, basic_span<String>& s, const char* at) {
  const int depth = depth_;
  const std::size_t position = position_++;
  std::string reason;
  try {
    span_fields(c, s);
    if (auto problem = span_problem(s)) reason = where(at, "") + ": " + *problem;  // its own parent, beyond the above
  } catch (const error& e) {
    if (!refusing_) throw;  // the wire format is damaged: the whole request is refused
    refusing_ = false;
    depth_ = depth;
    reason = e.message();
  }
  if (reason.empty()) return true;
  refused_(refused_span{position, std::move(reason)});
  return false;
}

template <class String>
void decoder::scope_spans(cursor c, std::vector<basic_span<String>>& batch, pending_resource<String>& res) {
  const std::size_t first = batch.size();
  basic_scope<String> sc;
  bool scope_stale = false;  // as the resource: read again after spans took it
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    switch (f.number) {
      case 1: {
        cursor inner = cursor_of(len(c, f, "scope"));
        push("scope", -1, f.at);
        scope_fields(inner, sc);
        pop();
        scope_stale = scope_stale || batch.size() > first;
        break;
      }
      case 2: {
        cursor inner = cursor_of(len(c, f, "spans"));
        push("spans", n++, f.at);
        // proto3: an absent enum is its zero value
        basic_span<String>& s = batch.emplace_back(basic_span<String>{.kind = span_kind::unspecified,
                                                                      .attributes = new_attributes<String>(),
                                                                      .resource = {.attributes = new_attributes<String>()},
                                                                      .scope = {.attributes = new_attributes<String>()}});
        if (refused_) [[unlikely]] {
          if (!kept_span(inner, s, f.at)) {
            batch.pop_back();
            pop();
            break;
          }
        } else {
          span_fields(inner, s);
        }
        s.scope = sc;
        s.resource = res.get();
        pop();
        break;
      }
      case 3:
        text(c, f, "schema_url", sc.schema_url);
        scope_stale = scope_stale || batch.size() > first;
        break;
      default: skip(c, f);
    }
  }
  if (scope_stale)
    for (std::size_t i = first; i < batch.size(); ++i) batch[i].scope = sc;
}

template <class String>
std::size_t decoder::resource_spans(cursor c, std::vector<basic_span<String>>& batch, std::size_t expected) {
  const std::size_t first = batch.size();
  batch.reserve(first + expected);
  pending_resource<String> res;
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    switch (f.number) {
      case 1: {
        cursor inner = cursor_of(len(c, f, "resource"));
        push("resource", -1, f.at);
        resource_fields(inner, res.raw);  // a second resource merges into the first
        pop();
        res.stale = res.stale || res.made;
        res.made = false;
        break;
      }
      case 2:
      case 1000: {  // 1000: instrumentation_library_spans of OTLP < 0.19, the same layout
        const char* name = f.number == 2 ? "scope_spans" : "instrumentation_library_spans";
        cursor inner = cursor_of(len(c, f, name));
        push(name, n++, f.at);
        scope_spans(inner, batch, res);
        pop();
        break;
      }
      case 3:
        text(c, f, "schema_url", res.raw.schema_url);
        res.stale = res.stale || res.made;
        res.made = false;
        break;
      default: skip(c, f);
    }
  }
  if (res.stale) {
    const basic_resource<String>& r = res.get();
    for (std::size_t i = first; i < batch.size(); ++i) batch[i].resource = r;
  }
  return batch.size() - first;
}

template <class String, class Sink>
std::size_t decoder::request(std::string_view bytes, Sink& sink) {
  std::size_t count = 0;
  each_resource_spans(bytes, [&](cursor inner) {
    std::vector<basic_span<String>> batch;
    count += resource_spans(inner, batch, count_spans(inner));
    if (!batch.empty()) sink(std::move(batch));
  });
  return count;
}

template <class String>
void decoder::request_into(std::string_view bytes, std::vector<basic_span<String>>& out) {
  std::size_t spans = 0;
  each_len_field(cursor_of(bytes), [&spans](std::uint32_t number, cursor inner) {
    if (number == 1) spans += count_spans(inner);
  });
  out.reserve(out.size() + spans);
  each_resource_spans(bytes, [&](cursor inner) { resource_spans(inner, out, 0); });
}

template <class F>
void decoder::each_resource_spans(std::string_view bytes, F&& each) {
  cursor c = cursor_of(bytes);
  field f;
  std::int64_t n = 0;
  while (next(c, f)) {
    if (f.number != 1) {
      skip(c, f);
      continue;
    }
    cursor inner = cursor_of(len(c, f, "resource_spans"));
    push("resource_spans", n++, f.at);
    each(inner);
    pop();
  }
}

// -- encoding ---------------------------------------------------------------------------
//
// One pass over the spans, then an assembly. Each span is sized (every nested message, so
// each length is known before its message: nothing guessed and patched) and written at
// once, while its memory is in the cache, to working memory, in input order. Reading the
// spans is what costs when they do not fit in the cache (their strings and attributes sit
// behind pointers), so they are read once. Then the request is appended to the caller's
// string: each group's headers (resource, then scope), then its runs of spans, each copied
// once. Appending (rather than resizing and moving, as before) writes the output once and
// never zero-fills it.

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  return static_cast<std::size_t>(std::bit_width(v | 1) + 6) / 7;  // 7 bits a byte
}

inline char* put_varint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) *p++ = static_cast<char>(v | 0x80), v >>= 7;
  *p++ = static_cast<char>(v);
  return p;
}

// A field's key; every field this encoder writes but a span's `flags` (16) is numbered
// 1-15, so its key is one byte.
constexpr char key_of(std::uint32_t number, wire type) noexcept {
  return static_cast<char>(number << 3 | static_cast<std::uint32_t>(type));
}

// Sizes of fields with a one-byte key. proto3 leaves default scalars and empty text out.
constexpr std::size_t len_field_size(std::size_t n) noexcept { return 1 + varint_size(n) + n; }
constexpr std::size_t text_field_size(std::string_view text) noexcept {
  return text.empty() ? 0 : len_field_size(text.size());
}
constexpr std::size_t uint_field_size(std::uint64_t v) noexcept { return v ? 1 + varint_size(v) : 0; }

// An AnyValue holding one scalar: a oneof member is written even when zero.
template <class T>
std::size_t scalar_value_size(const T& v) noexcept {
  if constexpr (std::is_same_v<T, bool>) return 2;
  else if constexpr (std::is_same_v<T, std::int64_t>) return 1 + varint_size(static_cast<std::uint64_t>(v));
  else if constexpr (std::is_same_v<T, double>) return 9;
  else return len_field_size(std::string_view(v).size());
}

// An ArrayValue's body: each element an AnyValue in field 1.
template <class Vector>
std::size_t array_body_size(const Vector& items) noexcept {
  std::size_t size = 0;
  for (const auto& item : items) size += len_field_size(scalar_value_size(static_cast<typename Vector::value_type>(item)));
  return size;
}

template <class String>
std::size_t any_value_size(const basic_attribute_value<String>& value) noexcept {
  switch (value.index()) {  // scalars first, without a visit: nearly every attribute is one
    case 0: return 2;
    case 1: return scalar_value_size(*std::get_if<1>(&value));
    case 2: return 9;
    case 3: return scalar_value_size(*std::get_if<3>(&value));
    default:
      return std::visit(
          [](const auto& v) -> std::size_t {
            if constexpr (::trace::detail::is_vector<std::decay_t<decltype(v)>>::value) return len_field_size(array_body_size(v));
            else return 0;  // the scalars were answered above
          },
          value);
  }
}

// A KeyValue's body, given its AnyValue's size.
constexpr std::size_t key_value_size(std::string_view name, std::size_t any_size) noexcept {
  return text_field_size(name) + len_field_size(any_size);
}

template <class String>
std::size_t attributes_size(const basic_attributes<String>& items) noexcept {
  std::size_t size = 0;
  for (const auto& item : items) size += len_field_size(key_value_size(std::string_view(item.key), any_value_size(item.value)));
  return size;
}

// The event level travels as an `event.level` attribute (docs/FORMATS.md).
inline std::size_t event_level_size(event_level level) noexcept {
  return len_field_size(key_value_size(event_level_key, len_field_size(to_string(level).size())));
}

template <class String>
std::size_t event_size(const basic_event<String>& e) noexcept {
  return (e.time ? 9 : 0) + text_field_size(std::string_view(e.name)) + attributes_size(e.attributes) +
         (e.level ? event_level_size(*e.level) : 0) + uint_field_size(e.dropped_attributes);
}

template <class String>
std::size_t link_size(const basic_link<String>& l) noexcept {
  return 18 + 10 + text_field_size(std::string_view(l.trace_state)) + attributes_size(l.attributes) +
         uint_field_size(l.dropped_attributes) + (l.flags ? 5 : 0);
}

template <class String>
std::size_t status_size(const basic_status<String>& st) noexcept {
  return text_field_size(std::string_view(st.message)) + uint_field_size(static_cast<std::uint64_t>(st.code));
}

// A span's body; the sizes of its events and links are appended to `nested`, in the order
// the writer needs them.
template <class String>
std::size_t span_size(const basic_span<String>& s, std::vector<std::size_t>& nested) {
  std::size_t size = 18 + 10 + text_field_size(std::string_view(s.trace_state)) + (s.parent.valid() ? 10 : 0) +
                     text_field_size(std::string_view(s.name)) + uint_field_size(static_cast<std::uint64_t>(s.kind)) +
                     (s.start ? 9 : 0) + (s.end ? 9 : 0) + attributes_size(s.attributes) +
                     uint_field_size(s.dropped_attributes) + uint_field_size(s.dropped_events) +
                     uint_field_size(s.dropped_links) + len_field_size(status_size(s.status)) + (s.flags ? 6 : 0);
  for (const auto& e : s.events) {
    nested.push_back(event_size(e));
    size += len_field_size(nested.back());
  }
  for (const auto& l : s.links) {
    nested.push_back(link_size(l));
    size += len_field_size(nested.back());
  }
  return size;
}

template <class String>
std::size_t resource_size(const basic_resource<String>& r) noexcept {
  std::string_view service(r.service_name);
  return (service.empty() ? 0 : len_field_size(key_value_size("service.name", len_field_size(service.size())))) +
         attributes_size(r.attributes) + uint_field_size(r.dropped_attributes);
}

template <class String>
std::size_t scope_size(const basic_scope<String>& sc) noexcept {
  return text_field_size(std::string_view(sc.name)) + text_field_size(std::string_view(sc.version)) +
         attributes_size(sc.attributes) + uint_field_size(sc.dropped_attributes);
}

// Writes fields through a pointer into space sized beforehand: no bounds checks, since the
// size pass counted every byte. The lengths of spans, events and links come from the size
// pass (`nested_from`), in writing order.
class writer {
 public:
  explicit writer(char* at) noexcept : p_(at) {}
  void nested_from(const std::size_t* nested) noexcept { nested_ = nested; }
  const char* at() const noexcept { return p_; }

  void key_length(char key, std::size_t n) noexcept {
    *p_++ = key;
    p_ = put_varint(p_, n);
  }
  // Most text here is short (keys, names, values): copied inline, a library call only for
  // longer text. Two overlapping fixed-size copies cover any length in their range.
  void bytes(std::string_view b) noexcept {
    const char* from = b.data();
    const std::size_t n = b.size();
    if (n >= 8 && n <= 16) {
      std::memcpy(p_, from, 8);
      std::memcpy(p_ + n - 8, from + n - 8, 8);
    } else if (n >= 4 && n < 8) {
      std::memcpy(p_, from, 4);
      std::memcpy(p_ + n - 4, from + n - 4, 4);
    } else if (n < 4) {
      for (std::size_t i = 0; i < n; ++i) p_[i] = from[i];
    } else {
      std::memcpy(p_, from, n);
    }
    p_ += n;
  }
  void len_field(char key, std::string_view b) noexcept {
    key_length(key, b.size());
    bytes(b);
  }
  void text_field(char key, std::string_view text) noexcept {
    if (!text.empty()) len_field(key, text);
  }
  void uint_field(char key, std::uint64_t v) noexcept {
    if (!v) return;
    *p_++ = key;
    p_ = put_varint(p_, v);
  }
  template <int N>
  void fixed(std::uint64_t v) noexcept {
    for (int i = 0; i < N; ++i) p_[i] = static_cast<char>(v >> (8 * i));  // little-endian
    p_ += N;
  }
  void fixed64_field(char key, std::uint64_t v) noexcept {
    *p_++ = key;
    fixed<8>(v);
  }
  void fixed32_field(char key, std::uint32_t v) noexcept {
    *p_++ = key;
    fixed<4>(v);
  }
  void trace_field(char key, const trace_id& id) noexcept {
    p_[0] = key;
    p_[1] = 16;
    put_big_endian(p_ + 2, id.high());
    put_big_endian(p_ + 10, id.low());
    p_ += 18;
  }
  void span_field(char key, span_id id) noexcept {
    p_[0] = key;
    p_[1] = 8;
    put_big_endian(p_ + 2, id.value());
    p_ += 10;
  }

  template <class T>
  void scalar_value(const T& v) noexcept {
    if constexpr (std::is_same_v<T, bool>) *p_++ = key_of(2, wire::varint), *p_++ = v ? 1 : 0;
    else if constexpr (std::is_same_v<T, std::int64_t>) *p_++ = key_of(3, wire::varint), p_ = put_varint(p_, static_cast<std::uint64_t>(v));
    else if constexpr (std::is_same_v<T, double>) fixed64_field(key_of(4, wire::i64), std::bit_cast<std::uint64_t>(v));
    else len_field(key_of(1, wire::len), std::string_view(v));
  }
  template <class String>
  void any_value(const basic_attribute_value<String>& value) noexcept {
    switch (value.index()) {
      case 0: return scalar_value(*std::get_if<0>(&value));
      case 1: return scalar_value(*std::get_if<1>(&value));
      case 2: return scalar_value(*std::get_if<2>(&value));
      case 3: return scalar_value(*std::get_if<3>(&value));
      default: return array_value(value);
    }
  }
  template <class String>
  void array_value(const basic_attribute_value<String>& value) noexcept {
    std::visit(
        [this](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (::trace::detail::is_vector<V>::value) {
            key_length(key_of(5, wire::len), array_body_size(v));
            for (const auto& item : v) {
              const auto element = static_cast<typename V::value_type>(item);
              key_length(key_of(1, wire::len), scalar_value_size(element));
              scalar_value(element);
            }
          }
        },
        value);
  }

  template <class String>
  void key_value(char key, std::string_view name, const basic_attribute_value<String>& value) noexcept {
    const std::size_t any = any_value_size(value);
    key_length(key, key_value_size(name, any));
    text_field(key_of(1, wire::len), name);
    key_length(key_of(2, wire::len), any);
    any_value(value);
  }
  template <class String>
  void key_values(char key, const basic_attributes<String>& items) noexcept {
    for (const auto& item : items) key_value(key, std::string_view(item.key), item.value);
  }

  template <class String>
  void span(const basic_span<String>& s) noexcept {
    key_length(key_of(2, wire::len), *nested_++);  // ScopeSpans.spans
    trace_field(key_of(1, wire::len), s.trace);
    span_field(key_of(2, wire::len), s.id);
    text_field(key_of(3, wire::len), std::string_view(s.trace_state));
    if (s.parent.valid()) span_field(key_of(4, wire::len), s.parent);
    text_field(key_of(5, wire::len), std::string_view(s.name));
    uint_field(key_of(6, wire::varint), static_cast<std::uint64_t>(s.kind));
    if (s.start) fixed64_field(key_of(7, wire::i64), s.start);
    if (s.end) fixed64_field(key_of(8, wire::i64), s.end);
    key_values(key_of(9, wire::len), s.attributes);
    uint_field(key_of(10, wire::varint), s.dropped_attributes);
    for (const auto& e : s.events) {
      key_length(key_of(11, wire::len), *nested_++);
      if (e.time) fixed64_field(key_of(1, wire::i64), e.time);
      text_field(key_of(2, wire::len), std::string_view(e.name));
      key_values(key_of(3, wire::len), e.attributes);
      if (e.level) key_value(key_of(3, wire::len), event_level_key, basic_attribute_value<std::string_view>(to_string(*e.level)));
      uint_field(key_of(4, wire::varint), e.dropped_attributes);
    }
    uint_field(key_of(12, wire::varint), s.dropped_events);
    for (const auto& l : s.links) {
      key_length(key_of(13, wire::len), *nested_++);
      trace_field(key_of(1, wire::len), l.trace);
      span_field(key_of(2, wire::len), l.span);
      text_field(key_of(3, wire::len), std::string_view(l.trace_state));
      key_values(key_of(4, wire::len), l.attributes);
      uint_field(key_of(5, wire::varint), l.dropped_attributes);
      if (l.flags) fixed32_field(key_of(6, wire::i32), l.flags);
    }
    uint_field(key_of(14, wire::varint), s.dropped_links);
    key_length(key_of(15, wire::len), status_size(s.status));
    text_field(key_of(2, wire::len), std::string_view(s.status.message));
    uint_field(key_of(3, wire::varint), static_cast<std::uint64_t>(s.status.code));
    if (s.flags) {
      p_ = put_varint(p_, 16 << 3 | static_cast<std::uint32_t>(wire::i32));  // a two-byte key
      fixed<4>(s.flags);
    }
  }

  template <class String>
  void resource(const basic_resource<String>& r, std::size_t size) noexcept {
    key_length(key_of(1, wire::len), size);  // ResourceSpans.resource
    std::string_view service(r.service_name);
    if (!service.empty()) key_value(key_of(1, wire::len), "service.name", basic_attribute_value<std::string_view>(service));
    key_values(key_of(1, wire::len), r.attributes);
    uint_field(key_of(2, wire::varint), r.dropped_attributes);
  }

  template <class String>
  void scope(const basic_scope<String>& sc, std::size_t size) noexcept {
    key_length(key_of(1, wire::len), size);  // ScopeSpans.scope
    text_field(key_of(1, wire::len), std::string_view(sc.name));
    text_field(key_of(2, wire::len), std::string_view(sc.version));
    key_values(key_of(3, wire::len), sc.attributes);
    uint_field(key_of(4, wire::varint), sc.dropped_attributes);
  }

 private:
  static void put_big_endian(char* out, std::uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i) out[i] = static_cast<char>(v), v >>= 8;
  }

  char* p_;
  const std::size_t* nested_ = nullptr;
};

// Spans are grouped by resource and then scope in first-seen order, as the JSON writer
// groups them; a group is made of runs of consecutive spans (the previous span's group is
// tried first). Each span is written to `staged` as it comes; `finish` appends the request
// to `out`: each group's headers, then its runs copied from `staged`.
template <class String>
class request_assembler {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

 public:
  // `staged` is working memory, possibly kept from an earlier request: its size is its
  // high-water mark, so a reused one is written without being zero-filled again.
  request_assembler(std::string& out, std::string& staged) noexcept : out_(out), staged_(staged) {}

  void add(const basic_span<String>& s) {
    if (runs_.empty() || !same_group(s)) start_run(s);
    nested_.clear();
    nested_.push_back(0);  // the span's own size, first
    nested_[0] = span_size(s, nested_);
    const std::size_t n = len_field_size(nested_[0]);
    if (end_ + n > staged_.size()) staged_.resize(end_ + std::max(n, growth));  // zero-filled in the cache, just before use
    writer w(staged_.data() + end_);
    w.nested_from(nested_.data());
    w.span(s);
    end_ += n;
    runs_.back().bytes += n;
    resources_[current_resource_].scopes[current_scope_].body += n;
  }

  void finish() {
    if (runs_.empty()) return;
    write_headers();
    out_.reserve(out_.size() + end_ + headers_.size());
    std::size_t headers = 0;
    for (const auto& pc : pieces_) {  // appended, not resized: nothing is zero-filled first
      out_.append(headers_, headers, pc.headers_end - headers);
      headers = pc.headers_end;
      out_.append(staged_, runs_[pc.run].from, runs_[pc.run].bytes);
    }
    out_.append(headers_, headers);
  }

 private:
  static constexpr std::size_t growth = 64 * 1024;

  struct run {
    std::size_t from;   // where its spans start in `staged_`
    std::size_t bytes;  // of its spans, keys and lengths included
    std::size_t next;   // the group's next run
  };
  struct scope_group {
    basic_scope<String> scope;
    std::size_t size;  // of the scope message
    std::size_t body;  // of the ScopeSpans message, growing with its spans
    std::size_t first_run, last_run;
  };
  struct resource_group {
    basic_resource<String> resource;
    std::size_t size;  // of the resource message
    std::vector<scope_group> scopes;

    std::size_t body() const noexcept {  // of the ResourceSpans message
      std::size_t n = len_field_size(size) + text_field_size(std::string_view(resource.schema_url));
      for (const auto& sc : scopes) n += len_field_size(sc.body);
      return n;
    }
  };
  // In output order: the headers written before a run (they end at `headers_end`), then the run.
  struct piece {
    std::size_t headers_end;
    std::size_t run;
  };

  bool same_group(const basic_span<String>& s) const {
    const resource_group& r = resources_[current_resource_];
    return r.scopes[current_scope_].scope == s.scope && r.resource == s.resource;
  }

  void start_run(const basic_span<String>& s) {
    auto r = std::ranges::find_if(resources_, [&s](const resource_group& g) { return g.resource == s.resource; });
    if (r == resources_.end()) r = resources_.insert(resources_.end(), resource_group{s.resource, resource_size(s.resource), {}});
    current_resource_ = static_cast<std::size_t>(r - resources_.begin());
    auto c = std::ranges::find_if(r->scopes, [&s](const scope_group& g) { return g.scope == s.scope; });
    if (c == r->scopes.end()) {
      const std::size_t scope_message = scope_size(s.scope);
      c = r->scopes.insert(r->scopes.end(), scope_group{s.scope, scope_message,
                                                        len_field_size(scope_message) + text_field_size(std::string_view(s.scope.schema_url)),
                                                        none, none});
    }
    current_scope_ = static_cast<std::size_t>(c - r->scopes.begin());
    const std::size_t index = runs_.size();
    runs_.push_back(run{end_, 0, none});
    if (c->last_run == none) c->first_run = index;
    else runs_[c->last_run].next = index;
    c->last_run = index;
  }

  // Every byte of the request but the spans', in order, and where each run goes among them.
  void write_headers() {
    std::size_t request = 0;
    for (const auto& r : resources_) request += len_field_size(r.body());
    headers_.resize(request - end_);
    writer w(headers_.data());
    const char* begin = headers_.data();
    for (const auto& r : resources_) {
      w.key_length(key_of(1, wire::len), r.body());  // ExportTraceServiceRequest.resource_spans
      w.resource(r.resource, r.size);
      for (const auto& sc : r.scopes) {
        w.key_length(key_of(2, wire::len), sc.body);  // ResourceSpans.scope_spans
        w.scope(sc.scope, sc.size);
        for (std::size_t i = sc.first_run; i != none; i = runs_[i].next) pieces_.push_back({static_cast<std::size_t>(w.at() - begin), i});
        w.text_field(key_of(3, wire::len), std::string_view(sc.scope.schema_url));
      }
      w.text_field(key_of(3, wire::len), std::string_view(r.resource.schema_url));
    }
  }

  std::string& out_;
  std::string& staged_;
  std::size_t end_ = 0;  // of the spans written to `staged_`
  std::vector<resource_group> resources_;
  std::vector<run> runs_;
  std::vector<std::size_t> nested_;  // the span being written: its size, then its events' and links'
  std::string headers_;
  std::vector<piece> pieces_;
  std::size_t current_resource_ = 0, current_scope_ = 0;
};

}  // namespace detail

template <std::ranges::input_range R>
void request_encoder::encode(std::string& out, const R& spans) {
  using S = std::remove_cvref_t<std::ranges::range_value_t<R>>;
  const std::size_t old_size = out.size();
  try {
    detail::request_assembler<typename S::string_type> request(out, staged_);
    for (auto&& s : spans) request.add(s);
    request.finish();
  } catch (...) {
    out.resize(old_size);  // no half-written request left behind
    throw;
  }
}

namespace detail {
// `encode_request`'s encoder: one per thread, so requests of a usual size (an exporter's
// batches) reuse its memory; what a larger request took is given back afterwards.
inline constexpr std::size_t kept_encoder_bytes = 8u << 20;
struct thread_encoder {
  request_encoder encoder;
  bool busy = false;  // a range whose spans are made by encoding another request
};
inline thread_encoder& this_thread_encoder() noexcept {
  thread_local thread_encoder state;
  return state;
}
}  // namespace detail

template <std::ranges::input_range R>
void encode_request(std::string& out, const R& spans) {
  detail::thread_encoder& state = detail::this_thread_encoder();
  if (state.busy) return request_encoder().encode(out, spans);
  state.busy = true;
  struct release {
    detail::thread_encoder& state;
    ~release() {
      state.encoder.trim(detail::kept_encoder_bytes);
      state.busy = false;
    }
  } done{state};
  state.encoder.encode(out, spans);
}

template <class Sink>
std::size_t decode_request(std::string_view bytes, Sink&& sink) {
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  return d.request<std::string>(bytes, sink);
}

template <class Sink, class Refused>
std::size_t decode_request(std::string_view bytes, Sink&& sink, Refused&& refused) {
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  d.refused_ = std::ref(refused);
  return d.request<std::string>(bytes, sink);
}

template <class Sink>
std::size_t decode_request_views(std::string_view bytes, Sink&& sink) {
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  std::vector<std::unique_ptr<std::string>> converted;
  d.converted_ = &converted;
  return d.request<std::string_view>(bytes, sink);
}

template <class Sink, class Refused>
std::size_t decode_request_views(std::string_view bytes, Sink&& sink, Refused&& refused) {
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  std::vector<std::unique_ptr<std::string>> converted;
  d.converted_ = &converted;
  d.refused_ = std::ref(refused);
  return d.request<std::string_view>(bytes, sink);
}

inline request_views decode_request_views(std::string_view bytes) {
  request_views out;
  out.memory_ = std::make_unique<detail::attribute_arena>();
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  d.converted_ = &out.converted_;
  d.arena_ = out.memory_.get();
  d.request_into(bytes, out.spans_);
  return out;
}

inline std::vector<span> decode_request(std::string_view bytes) {
  std::vector<span> out;
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceRequest");
  d.request_into(bytes, out);
  return out;
}

inline std::string encode_response(const export_response& response) {
  std::string out;
  if (response.rejected_spans == 0 && response.error_message.empty()) return out;  // full success
  const auto rejected = static_cast<std::uint64_t>(response.rejected_spans);
  const std::size_t body = detail::uint_field_size(rejected) + detail::text_field_size(response.error_message);
  out.resize(detail::len_field_size(body));
  detail::writer w(out.data());
  w.key_length(detail::key_of(1, detail::wire::len), body);  // partial_success
  w.uint_field(detail::key_of(1, detail::wire::varint), rejected);
  w.text_field(detail::key_of(2, detail::wire::len), response.error_message);
  return out;
}

inline export_response decode_response(std::string_view bytes) {
  detail::decoder d(bytes, "OTLP protobuf ExportTraceServiceResponse");
  export_response out;
  detail::cursor c = detail::cursor_of(bytes);
  detail::field f;
  while (d.next(c, f)) {
    if (f.number != 1) {
      d.skip(c, f);
      continue;
    }
    detail::cursor inner = detail::cursor_of(d.len(c, f, "partial_success"));
    d.push("partial_success", -1, f.at);
    detail::field g;
    while (d.next(inner, g)) {
      if (g.number == 1) out.rejected_spans = static_cast<std::int64_t>(d.scalar(inner, g, "rejected_spans"));
      else if (g.number == 2) d.text(inner, g, "error_message", out.error_message);
      else d.skip(inner, g);
    }
    d.pop();
  }
  return out;
}

inline std::string encode_status(const rpc_status& status) {
  // int32: a negative code is sign-extended to 64 bits, ten bytes on the wire.
  const auto code = static_cast<std::uint64_t>(static_cast<std::int64_t>(status.code));
  std::string out(detail::uint_field_size(code) + detail::text_field_size(status.message), '\0');
  detail::writer w(out.data());
  w.uint_field(detail::key_of(1, detail::wire::varint), code);
  w.text_field(detail::key_of(2, detail::wire::len), status.message);
  return out;
}

inline rpc_status decode_status(std::string_view bytes) {
  detail::decoder d(bytes, "google.rpc.Status");
  rpc_status out;
  detail::cursor c = detail::cursor_of(bytes);
  detail::field f;
  while (d.next(c, f)) {
    if (f.number == 1) out.code = static_cast<std::int32_t>(d.scalar(c, f, "code"));
    else if (f.number == 2) d.text(c, f, "message", out.message);
    else d.skip(c, f);  // details: google.protobuf.Any, not needed to report the error
  }
  return out;
}

}  // namespace proto
}  // namespace otlp
}  // namespace v0
}  // namespace trace
