#pragma once
// A streaming JSON writer that appends compact RFC 8259 text to a std::string, placing
// commas itself:
//
//   std::string out;
//   json::writer w(out);
//   w.begin_object().key("n").number(1).key("tags").begin_array().string("a").end_array().end_object();
//
// Strings must be valid UTF-8 and doubles finite: anything else has no faithful JSON
// form and is refused with `errc::invalid_argument` rather than written wrong.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "trace/core/error.hpp"
#include "trace/io/json_reader.hpp"  // detail::utf8_sequence_length
#include "trace/io/json_value.hpp"

namespace trace {
inline namespace v0 {
namespace json {

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}

  writer& begin_object() { return open('{'); }
  writer& end_object() { return close('}'); }
  writer& begin_array() { return open('['); }
  writer& end_array() { return close(']'); }
  writer& key(std::string_view k);

  writer& null() { return raw("null"); }
  writer& boolean(bool b) { return raw(b ? "true" : "false"); }
  writer& number(std::int64_t i);
  writer& number(std::uint64_t u);
  writer& number(double d);
  writer& string(std::string_view s);
  writer& write(const value& v);

  // A member in one call: `w.member("name", "x")`.
  template <class T>
  writer& member(std::string_view k, const T& v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) return boolean(v);
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return number(static_cast<std::int64_t>(v));
    else if constexpr (std::is_integral_v<T>) return number(static_cast<std::uint64_t>(v));
    else if constexpr (std::is_floating_point_v<T>) return number(static_cast<double>(v));
    else if constexpr (std::is_same_v<T, value>) return write(v);
    else return string(std::string_view(v));
  }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!open_.empty()) {
      if (open_.back() == '1') out_ += ',';
      open_.back() = '1';
    }
  }
  writer& open(char c) {
    separate();
    out_ += c;
    open_ += '0';
    return *this;
  }
  writer& close(char c) {
    out_ += c;
    open_.pop_back();
    return *this;
  }
  writer& raw(std::string_view text) {
    separate();
    out_ += text;
    return *this;
  }
  void append_escaped(std::string_view s);

  std::string& out_;
  std::string open_;  // per open container: '1' once it holds an item
  bool after_key_ = false;
};

// A value as compact text.
std::string serialize(const value& v);

// ---------------------------------------------------------------------------------------

inline writer& writer::key(std::string_view k) {
  separate();
  append_escaped(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

inline writer& writer::number(std::int64_t i) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, i);
  return raw(std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
}

inline writer& writer::number(std::uint64_t u) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, u);
  return raw(std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
}

inline writer& writer::number(double d) {
  if (!std::isfinite(d)) throw error(errc::invalid_argument, "JSON cannot hold the non-finite number " + std::to_string(d));
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, d);  // shortest form that reads back exactly
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  raw(text);
  // Keep doubles recognisable as such when read back ("2" would come back as an integer).
  if (text.find_first_of(".eE") == std::string_view::npos) out_ += ".0";
  return *this;
}

inline writer& writer::string(std::string_view s) {
  separate();
  append_escaped(s);
  return *this;
}

inline void writer::append_escaped(std::string_view s) {
  constexpr char hex[] = "0123456789abcdef";
  out_ += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size()) {
      auto c = static_cast<unsigned char>(s[run]);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
      ++run;
    }
    out_.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t length = detail::utf8_sequence_length(s.substr(i));
      if (length == 0)
        throw error(errc::invalid_argument, "string has invalid UTF-8 at byte " + std::to_string(i) + ", cannot write it as JSON");
      out_.append(s.data() + i, length);
      i += length;
      continue;
    }
    ++i;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default:
        out_ += "\\u00";
        out_ += hex[c >> 4];
        out_ += hex[c & 0xF];
    }
  }
  out_ += '"';
}

inline writer& writer::write(const value& v) {
  std::visit(
      [this](const auto& item) {
        using T = std::decay_t<decltype(item)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) null();
        else if constexpr (std::is_same_v<T, bool>) boolean(item);
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t> || std::is_same_v<T, double>) number(item);
        else if constexpr (std::is_same_v<T, std::string>) string(item);
        else if constexpr (std::is_same_v<T, array>) {
          begin_array();
          for (const auto& element : item) write(element);
          end_array();
        } else {
          begin_object();
          for (const auto& m : item) {
            key(m.key);
            write(m.val);
          }
          end_object();
        }
      },
      v.data());
  return *this;
}

inline std::string serialize(const value& v) {
  std::string out;
  writer(out).write(v);
  return out;
}

}  // namespace json
}  // namespace v0
}  // namespace trace
