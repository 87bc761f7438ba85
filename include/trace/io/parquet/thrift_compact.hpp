#pragma once
// Thrift's compact protocol, the encoding of Parquet's file metadata and page headers:
// field headers carry the id as a delta from the previous field (1-15 in the high nibble,
// else a zigzag varint after the type byte), integers are zigzag varints, binaries a varint
// length and the bytes, lists a size-and-type byte (0xF_ plus a varint past 14 elements),
// booleans live in the field header's type (1 true, 2 false). Only what Parquet uses.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace parquet {

enum class ctype : std::uint8_t {
  stop = 0,
  boolean_true = 1,
  boolean_false = 2,
  byte = 3,
  i16 = 4,
  i32 = 5,
  i64 = 6,
  double_ = 7,
  binary = 8,
  list = 9,
  set = 10,
  map = 11,
  struct_ = 12,
};

class compact_writer {
 public:
  explicit compact_writer(std::string& out) : out_(out) {}

  void begin_struct() { last_ids_.push_back(0); }
  void end_struct() {
    out_.push_back(0);  // field stop
    last_ids_.pop_back();
  }

  void field_i32(std::int16_t id, std::int32_t v) { header(id, ctype::i32), varint(zigzag(v)); }
  void field_i64(std::int16_t id, std::int64_t v) { header(id, ctype::i64), varint(zigzag(v)); }
  void field_bool(std::int16_t id, bool v) { header(id, v ? ctype::boolean_true : ctype::boolean_false); }
  void field_binary(std::int16_t id, std::string_view v) { header(id, ctype::binary), binary(v); }
  void field_struct(std::int16_t id) { header(id, ctype::struct_), begin_struct(); }
  void field_list(std::int16_t id, ctype element, std::size_t size) { header(id, ctype::list), list(element, size); }

  // List elements: one of these per element after `field_list`; structs use begin/end_struct.
  void list(ctype element, std::size_t size) {
    if (size < 15) {
      out_.push_back(static_cast<char>((size << 4) | static_cast<std::uint8_t>(element)));
    } else {
      out_.push_back(static_cast<char>(0xf0 | static_cast<std::uint8_t>(element)));
      varint(size);
    }
  }
  void i32(std::int32_t v) { varint(zigzag(v)); }
  void binary(std::string_view v) {
    varint(v.size());
    out_.append(v);
  }

 private:
  static std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void header(std::int16_t id, ctype type) {
    std::int16_t& last = last_ids_.back();
    const int delta = id - last;
    if (delta > 0 && delta <= 15) {
      out_.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
    } else {
      out_.push_back(static_cast<char>(type));
      varint(zigzag(id));
    }
    last = id;
  }

  std::string& out_;
  std::vector<std::int16_t> last_ids_;
};

// Reads from a bounded buffer; every overrun or malformed value throws
// `error(errc::corrupt_data)` naming `what` (the structure being read) and the byte offset.
class compact_reader {
 public:
  struct field {
    std::int16_t id = 0;
    ctype type = ctype::stop;
  };
  struct list_header {
    ctype element = ctype::stop;
    std::size_t size = 0;
  };

  compact_reader(std::string_view bytes, std::string what, std::size_t base_offset = 0)
      : bytes_(bytes), what_(std::move(what)), base_(base_offset) {}

  std::size_t position() const noexcept { return pos_; }

  void begin_struct() {
    if (last_ids_.size() >= max_depth) fail("nesting deeper than 32 structures");
    last_ids_.push_back(0);
  }
  void end_struct() { last_ids_.pop_back(); }

  // The next field's header; type `stop` at the end of the structure.
  field next_field() {
    const std::uint8_t byte = read_byte();
    if (byte == 0) return {};
    field f;
    f.type = static_cast<ctype>(byte & 0x0f);
    if (byte >> 4) {
      f.id = static_cast<std::int16_t>(last_ids_.back() + (byte >> 4));
    } else {
      f.id = static_cast<std::int16_t>(unzigzag(varint()));
    }
    if (static_cast<std::uint8_t>(f.type) > 12) fail("unknown field type " + std::to_string(byte & 0x0f));
    last_ids_.back() = f.id;
    return f;
  }

  std::int32_t read_i32() {
    const std::int64_t v = unzigzag(varint());
    if (v < INT32_MIN || v > INT32_MAX) fail("i32 out of range");
    return static_cast<std::int32_t>(v);
  }
  std::int64_t read_i64() { return unzigzag(varint()); }
  bool read_bool(const field& f) {
    if (f.type == ctype::boolean_true) return true;
    if (f.type == ctype::boolean_false) return false;
    fail("field " + std::to_string(f.id) + " is not a boolean");
  }
  std::string_view read_binary() {
    const std::uint64_t size = varint();
    if (size > bytes_.size() - pos_) fail("binary of " + std::to_string(size) + " bytes past the end");
    std::string_view v = bytes_.substr(pos_, size);
    pos_ += size;
    return v;
  }
  list_header read_list() {
    const std::uint8_t byte = read_byte();
    list_header h;
    h.element = static_cast<ctype>(byte & 0x0f);
    h.size = byte >> 4;
    if (h.size == 15) h.size = varint();
    // Every element takes at least one byte: a larger count is a lie.
    if (h.size > bytes_.size() - pos_) fail("list of " + std::to_string(h.size) + " elements past the end");
    return h;
  }

  // Checks that a field has the type the schema gives it.
  void expect(const field& f, ctype type) {
    if (f.type != type && !(type == ctype::boolean_true && f.type == ctype::boolean_false))
      fail("field " + std::to_string(f.id) + " has type " + std::to_string(static_cast<int>(f.type)) +
           ", expected " + std::to_string(static_cast<int>(type)));
  }

  // Skips a value of any type (fields this reader does not use).
  void skip(ctype type, int depth = 0) {
    if (depth > static_cast<int>(max_depth)) fail("nesting deeper than 32 values");
    switch (type) {
      case ctype::boolean_true:
      case ctype::boolean_false: return;
      case ctype::byte: read_byte(); return;
      case ctype::i16:
      case ctype::i32:
      case ctype::i64: varint(); return;
      case ctype::double_: take(8); return;
      case ctype::binary: read_binary(); return;
      case ctype::list:
      case ctype::set: {
        const list_header h = read_list();
        for (std::size_t i = 0; i < h.size; ++i) skip_element(h.element, depth + 1);
        return;
      }
      case ctype::map: {
        const std::uint64_t size = varint();
        if (size == 0) return;
        if (size > bytes_.size() - pos_) fail("map past the end");
        const std::uint8_t types = read_byte();
        for (std::uint64_t i = 0; i < size; ++i) {
          skip_element(static_cast<ctype>(types >> 4), depth + 1);
          skip_element(static_cast<ctype>(types & 0x0f), depth + 1);
        }
        return;
      }
      case ctype::struct_: {
        begin_struct();
        for (field f = next_field(); f.type != ctype::stop; f = next_field()) skip(f.type, depth + 1);
        end_struct();
        return;
      }
      case ctype::stop: break;
    }
    fail("cannot skip a value of type " + std::to_string(static_cast<int>(type)));
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw error(errc::corrupt_data,
                "parquet " + what_ + " at byte " + std::to_string(base_ + pos_) + ": " + message);
  }

 private:
  static constexpr std::size_t max_depth = 32;

  // In a list, booleans are one byte each and the element type is the value's kind.
  void skip_element(ctype type, int depth) {
    if (type == ctype::boolean_true || type == ctype::boolean_false) {
      read_byte();
    } else {
      skip(type, depth);
    }
  }
  std::uint8_t read_byte() {
    if (pos_ >= bytes_.size()) fail("unexpected end");
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  void take(std::size_t n) {
    if (n > bytes_.size() - pos_) fail("unexpected end");
    pos_ += n;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t byte = read_byte();
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  static std::int64_t unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }

  std::string_view bytes_;
  std::string what_;
  std::size_t base_;
  std::size_t pos_ = 0;
  std::vector<std::int16_t> last_ids_;
};

}  // namespace parquet
}  // namespace v0
}  // namespace trace
