#pragma once
// Optional adapter to Boost.JSON (Debian: libboost-json1.81-dev), for programs that already
// use it. Opt in by including this header and linking Boost::json (or by compiling
// <boost/json/src.hpp> into one translation unit); nothing else in the library needs Boost.
//
//   trace::json::value doc = trace::json::parse_with_boost(text);   // same tree as json::parse
//   boost::json::value b = trace::json::to_boost(doc);
//
// The parser is configured to the same rules as the library's own reader (strict RFC 8259,
// UTF-8 checked, nesting bounded); errors are `errc::parse_error` with line and column.
// Values converted from Boost carry no source offsets.

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "trace/core/error.hpp"
#include "trace/io/json_reader.hpp"  // parse_options, fail_at
#include "trace/io/json_value.hpp"

namespace trace {
inline namespace v0 {
namespace json {

inline value from_boost(const boost::json::value& b) {
  switch (b.kind()) {
    case boost::json::kind::null: return value();
    case boost::json::kind::bool_: return value(b.get_bool());
    case boost::json::kind::int64: return value(b.get_int64());
    case boost::json::kind::uint64: return value(b.get_uint64());
    case boost::json::kind::double_: return value(b.get_double());
    case boost::json::kind::string: return value(std::string_view(b.get_string()));
    case boost::json::kind::array: {
      array items;
      items.reserve(b.get_array().size());
      for (const auto& item : b.get_array()) items.push_back(from_boost(item));
      return value(std::move(items));
    }
    case boost::json::kind::object: {
      object members;
      members.reserve(b.get_object().size());
      for (const auto& m : b.get_object()) members.push_back({std::string(m.key()), from_boost(m.value())});
      return value(std::move(members));
    }
  }
  return value();
}

inline boost::json::value to_boost(const value& v) {
  switch (v.type()) {
    case kind::null: return nullptr;
    case kind::boolean: return *v.get_if<bool>();
    case kind::signed_integer: return *v.get_if<std::int64_t>();
    case kind::unsigned_integer: return *v.get_if<std::uint64_t>();
    case kind::number: return *v.get_if<double>();
    case kind::string: return boost::json::string(*v.get_if<std::string>());
    case kind::array: {
      boost::json::array items;
      for (const auto& item : *v.get_if<array>()) items.push_back(to_boost(item));
      return items;
    }
    case kind::object: {
      boost::json::object members;
      for (const auto& m : *v.get_if<object>()) members.insert_or_assign(m.key, to_boost(m.val));  // duplicates: last wins
      return members;
    }
  }
  return nullptr;
}

// As `json::parse`, through Boost.JSON's parser.
inline value parse_with_boost(std::string_view text, parse_options options = {}) {
  boost::json::parse_options rules;
  rules.max_depth = options.max_depth;
  rules.allow_comments = false;
  rules.allow_trailing_commas = false;
  rules.allow_invalid_utf8 = false;
  boost::json::stream_parser parser({}, rules);
  boost::json::error_code ec;
  // A leading byte-order mark is skipped, as json::reader does; positions still count it.
  const std::size_t bom = text.starts_with(reader::utf8_bom) ? reader::utf8_bom.size() : 0;
  std::size_t used = bom + parser.write_some(text.data() + bom, text.size() - bom, ec);
  if (!ec && used == text.size()) parser.finish(ec);
  if (ec || used != text.size()) {
    std::string what = ec ? ec.message() : "unexpected text after the JSON value";
    fail_at(text, used, options.first_line, "Boost.JSON: " + what);
  }
  return from_boost(parser.release());
}

}  // namespace json
}  // namespace v0
}  // namespace trace
