#pragma once
// A request target ("/api/services/my%20svc/operations?limit=20&tag=a%3Ab&tag=c") split into
// its decoded path segments and its decoded query parameters, as the query routes read them:
//
//   trace::api::url_target t = trace::api::parse_target(request.target);
//   t.segments          // {"api", "services", "my svc", "operations"}
//   t.value("limit")    // "20"  (the first one; nullopt when absent)
//   t.values("tag")     // {"a:b", "c"}
//
// Each path segment is decoded on its own, so an escaped slash ("a%2Fb") stays inside its
// segment. In the query, '+' is a space (HTML forms send it so) and a parameter without '='
// has an empty value. A malformed escape ("%4", "%zz") is refused with
// `trace::error(errc::invalid_argument)` naming the parameter (or the path) and the byte, which
// the routes answer with 400.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"  // detail::hex_digit_value

namespace trace {
inline namespace v0 {
namespace api {

struct url_target {
  std::string path;                   // as sent, before '?' (not decoded)
  std::vector<std::string> segments;  // the path split at '/', each decoded; empty ones dropped
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in the order sent

  // The first value of a parameter; nullopt when absent.
  std::optional<std::string_view> value(std::string_view name) const;
  // Every value of a parameter, in the order sent (`?traceID=a&traceID=b`).
  std::vector<std::string_view> values(std::string_view name) const;
};

// Decodes %XX escapes; `plus_is_space` turns '+' into ' ' (query strings, not paths).
// `where` names the text in the error ("the query parameter \"service\"").
std::string percent_decode(std::string_view text, bool plus_is_space, std::string_view where);

url_target parse_target(std::string_view target);

// Text with control bytes (but newline and tab) and invalid UTF-8 written as \xNN, so that
// any input can travel back in a JSON or text answer; `quote_value` also cuts it at 120 bytes and quotes it.
std::string printable(std::string_view text);
std::string quote_value(std::string_view text);

// ---------------------------------------------------------------------------------------

inline std::optional<std::string_view> url_target::value(std::string_view name) const {
  for (const auto& [key, val] : params)
    if (key == name) return std::string_view(val);
  return std::nullopt;
}

inline std::vector<std::string_view> url_target::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [key, val] : params)
    if (key == name) out.emplace_back(val);
  return out;
}

inline std::string percent_decode(std::string_view text, bool plus_is_space, std::string_view where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      const int high = i + 1 < text.size() ? ::trace::detail::hex_digit_value(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? ::trace::detail::hex_digit_value(text[i + 2]) : -1;
      if (high < 0 || low < 0)
        throw error(errc::invalid_argument, "malformed percent-escape " + quote_value(text.substr(i, 3)) + " at byte " +
                                                std::to_string(i) + " of " + std::string(where) +
                                                ": '%' must be followed by two hex digits");
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

inline url_target parse_target(std::string_view target) {
  url_target out;
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  out.path = std::string(path);
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.segments.push_back(percent_decode(path.substr(start, slash - start), false, "the path"));
    start = slash + 1;
  }
  for (std::size_t start = 0; start < query.size();) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    std::string name = percent_decode(pair.substr(0, equals), true, "a query parameter's name");
    std::string val = equals == std::string_view::npos
                          ? std::string()
                          : percent_decode(pair.substr(equals + 1), true, "the query parameter " + quote_value(name));
    out.params.emplace_back(std::move(name), std::move(val));
  }
  return out;
}

inline std::string printable(std::string_view text) {
  constexpr char hex[] = "0123456789abcdef";
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;  // of a well-formed UTF-8 sequence starting here
    if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') length = 1;
    else if (c >= 0xc2 && c <= 0xf4) {
      const std::size_t need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
      bool ok = i + need <= text.size();
      for (std::size_t k = 1; ok && k < need; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
      // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
      if (ok && need == 3) {
        const auto second = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xe0 && second < 0xa0) && !(c == 0xed && second >= 0xa0);
      }
      if (ok && need == 4) {
        const auto second = static_cast<unsigned char>(text[i + 1]);
        ok = !(c == 0xf0 && second < 0x90) && !(c == 0xf4 && second >= 0x90);
      }
      if (ok) length = need;
    }
    if (length == 0) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

inline std::string quote_value(std::string_view text) {
  constexpr std::size_t limit = 120;
  // Built by appending: g++ 12 at -O3 warns falsely (-Wrestrict) on `"\"" + std::string`.
  std::string out(1, '"');
  out += printable(text.substr(0, limit));
  if (text.size() > limit) out += "...";
  out += '"';
  return out;
}

}  // namespace api
}  // namespace v0
}  // namespace trace
