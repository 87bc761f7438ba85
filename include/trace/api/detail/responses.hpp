#pragma once
// Building answers: a JSON or text body with its status, the status a refused request gets,
// and a stored span as an owning one for the writers.

#include <algorithm>
#include <ranges>
#include <string>
#include <tuple>
#include <vector>
#include <utility>

#include "trace/api/http_exchange.hpp"
#include "trace/api/url_query.hpp"  // printable
#include "trace/core/convert.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/io/json_writer.hpp"

namespace trace {
inline namespace v0 {
namespace api {
namespace detail {

inline http_response json_response(int status, std::string body) {
  http_response out;
  out.status = status;
  out.body = std::move(body);
  return out;
}

inline http_response text_response(int status, std::string body) {
  http_response out;
  out.status = status;
  out.content_type = "text/plain; charset=utf-8";
  out.body = std::move(body);
  return out;
}

// Bad requests (parameters, query syntax, ids) are the client's: 400; anything else, such
// as a store that cannot be read, is the server's: 500.
inline int status_for(const error& e) noexcept {
  switch (e.code()) {
    case errc::invalid_argument:
    case errc::invalid_id:
    case errc::parse_error: return 400;
    default: return 500;
  }
}

// Runs `write()`, which writes stored spans: what the JSON writer refuses there (a string that
// is not UTF-8, held by a store that did not check) is the server's data, not the request's,
// so it is answered with 500 rather than 400.
template <class Write>
decltype(auto) writing_stored(Write&& write) {
  try {
    return write();
  } catch (const error& e) {
    if (e.code() != errc::invalid_argument) throw;
    throw error(errc::corrupt_data, std::string("a stored span cannot be written as JSON: ") + e.message());
  }
}

// A full owning copy of a stored span (or of a span that already is one).
template <class S>
span owned(const S& s) {
  if constexpr (requires { s.materialize(); }) return s.materialize();
  else return convert_span<std::string>(s);
}

// One trace's spans, owned, by start time then span id: stores give them in orders of their
// own (the mmap store as appended, ClickHouse by its key), and an answer must not depend on it.
template <class Range>
std::vector<span> owned_spans(const Range& spans) {
  std::vector<span> out;
  out.reserve(std::ranges::size(spans));
  for (const auto& s : spans) out.push_back(owned(s));
  std::ranges::sort(out, [](const span& a, const span& b) { return std::tie(a.start, a.id) < std::tie(b.start, b.id); });
  return out;
}

// A JSON array of strings, each made printable.
inline std::string json_strings(const std::vector<std::string>& items) {
  std::string out;
  json::writer w(out);
  w.begin_array();
  for (const auto& item : items) w.string(printable(item));
  w.end_array();
  return out;
}

}  // namespace detail
}  // namespace api
}  // namespace v0
}  // namespace trace
