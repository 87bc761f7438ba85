#pragma once
// Typed field access on parsed JSON for the format readers: each getter checks the value's
// type and range and otherwise throws a parse error naming line, column, format and field
// ("line 3, column 17: OTLP span kind: unknown enum value 9").

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "trace/core/time.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"  // serialize, to quote a bad value

namespace trace {
inline namespace v0 {
namespace json {

class field_reader {
 public:
  // `text` is what the values were parsed from; `format` prefixes every message.
  field_reader(std::string_view text, std::size_t first_line, std::string format)
      : text_(text), first_line_(first_line), format_(std::move(format)) {}


  [[noreturn]] void fail(const json::value& at, std::string_view field, const std::string& what) const {
    json::fail_at(text_, at.offset(), first_line_, format_ + " " + std::string(field) + ": " + what);
  }
  [[noreturn]] void wrong_type(const json::value& v, std::string_view field, std::string_view wanted) const {
    fail(v, field, "expected " + std::string(wanted) + ", found " + std::string(json::to_string(v.type())));
  }

  // The member `key` of an object, or null when absent.
  static const json::value& member_or_null(const json::value& object, std::string_view key) {
    static const json::value null;
    const json::value* found = object.find(key);
    return found ? *found : null;
  }

  // Members of an object; null stands for the default (empty) message, as in proto3 JSON.
  const json::object& members(const json::value& v, std::string_view field) const {
    static const json::object none;
    if (v.is_null()) return none;
    if (const auto* o = v.get_if<json::object>()) return *o;
    wrong_type(v, field, "an object");
  }
  const json::array& items(const json::value& v, std::string_view field) const {
    static const json::array none;
    if (v.is_null()) return none;
    if (const auto* a = v.get_if<json::array>()) return *a;
    wrong_type(v, field, "an array");
  }
  const std::string& text(const json::value& v, std::string_view field) const {
    static const std::string none;
    if (v.is_null()) return none;
    if (const auto* s = v.get_if<std::string>()) return *s;
    wrong_type(v, field, "a string");
  }
  bool boolean(const json::value& v, std::string_view field) const {
    if (const auto* b = v.get_if<bool>()) return *b;
    wrong_type(v, field, "a boolean");
  }

  std::uint64_t u64(const json::value& v, std::string_view field) const {
    if (v.is_null()) return 0;
    if (const auto* u = v.get_if<std::uint64_t>()) return *u;
    if (const auto* i = v.get_if<std::int64_t>()) {
      if (*i < 0) fail(v, field, "negative value " + std::to_string(*i) + " for an unsigned field");
      return static_cast<std::uint64_t>(*i);
    }
    if (const auto* s = v.get_if<std::string>()) {
      std::uint64_t out = 0;
      auto result = std::from_chars(s->data(), s->data() + s->size(), out);
      if (s->empty() || result.ec != std::errc{} || result.ptr != s->data() + s->size())
        fail(v, field, "\"" + *s + "\" is not an unsigned 64-bit integer");
      return out;
    }
    wrong_type(v, field, "an integer or a decimal string");
  }
  // A time as nanoseconds since the epoch (OTLP's `*UnixNano`), at most `max_timestamp`.
  timestamp_ns nanos(const json::value& v, std::string_view field) const {
    const std::uint64_t t = u64(v, field);
    if (t > max_timestamp) fail(v, field, std::to_string(t) + " ns is past the latest time accepted (2^63-1 ns, in 2262)");
    return t;
  }
  // A time or duration in microseconds (Jaeger, Zipkin), as nanoseconds at most `max_timestamp`.
  timestamp_ns micros(const json::value& v, std::string_view field) const {
    const std::uint64_t t = u64(v, field);
    if (t > max_timestamp / 1000)
      fail(v, field, std::to_string(t) + " us is past the latest time accepted (2^63-1 ns, in 2262)");
    return t * 1000;
  }
  // start + duration, refused at `at` when it passes `max_timestamp`.
  timestamp_ns span_end(const json::value& at, std::string_view field, timestamp_ns start, duration_ns length) const {
    if (length > max_timestamp - start)
      fail(at, field, "the span ends past the latest time accepted (2^63-1 ns, in 2262)");
    return start + length;
  }
  std::int64_t i64(const json::value& v, std::string_view field) const {
    if (const auto* i = v.get_if<std::int64_t>()) return *i;
    if (v.get_if<std::uint64_t>()) fail(v, field, "integer out of the signed 64-bit range");
    if (const auto* s = v.get_if<std::string>()) {
      std::int64_t out = 0;
      auto result = std::from_chars(s->data(), s->data() + s->size(), out);
      if (s->empty() || result.ec != std::errc{} || result.ptr != s->data() + s->size())
        fail(v, field, "\"" + *s + "\" is not a signed 64-bit integer");
      return out;
    }
    wrong_type(v, field, "an integer or a decimal string");
  }
  std::uint32_t u32(const json::value& v, std::string_view field) const {
    std::uint64_t wide = u64(v, field);
    if (wide > UINT32_MAX) fail(v, field, std::to_string(wide) + " does not fit 32 bits");
    return static_cast<std::uint32_t>(wide);
  }
  double number(const json::value& v, std::string_view field) const {
    if (const auto* d = v.get_if<double>()) return *d;
    if (const auto* i = v.get_if<std::int64_t>()) return static_cast<double>(*i);
    if (const auto* u = v.get_if<std::uint64_t>()) return static_cast<double>(*u);
    if (const auto* s = v.get_if<std::string>()) {  // proto3 JSON spells the non-finite doubles out
      if (*s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (*s == "Infinity") return std::numeric_limits<double>::infinity();
      if (*s == "-Infinity") return -std::numeric_limits<double>::infinity();
    }
    wrong_type(v, field, "a number");
  }
  // An enum as its integer or its proto name (`SPAN_KIND_SERVER`); `names` lists them in value order.
  int enumeration(const json::value& v, std::string_view field, std::initializer_list<std::string_view> names) const {
    if (v.is_null()) return 0;
    if (const auto* s = v.get_if<std::string>()) {
      int index = 0;
      for (std::string_view name : names) {
        if (*s == name) return index;
        ++index;
      }
      fail(v, field, "unknown enum name \"" + *s + "\"");
    }
    if (!v.is_integer()) wrong_type(v, field, "an integer or an enum name");
    const auto* i = v.get_if<std::int64_t>();
    if (!i || *i < 0 || *i >= static_cast<std::int64_t>(names.size()))
      fail(v, field, "unknown enum value " + json::serialize(v));
    return static_cast<int>(*i);
  }


 protected:
  std::string_view text_;
  std::size_t first_line_;
  std::string format_;
};

}  // namespace json
}  // namespace v0
}  // namespace trace
