#pragma once
// The server's routes for comments on traces (docs/COMMENTS.md), socket-free like the query
// routes:
//
//   if (auto response = trace::api::answer_comments(comments, request)) send(*response);
//
//   GET    /api/traces/{id}/comments[?all=true]  the trace's comments (tombstones with all=true)
//   POST   /api/traces/{id}/comments             {"author", "text", "span_id"?}: 201, the comment
//   PUT    /api/traces/{id}/comments/{n}         {"text"}: the comment edited
//   DELETE /api/traces/{id}/comments/{n}         {"author"}? (who removes it): the tombstone
//
// Each comment is a JSON object: id, trace_id, span_id (when on one span), author, text,
// created_ns, and edited_ns, removed_ns, removed_by when they apply (times: Unix ns).
// nullopt: not one of these paths. Refusals are JSON `{"error": "..."}` naming what is
// wrong: 400 for a bad id, body or field, 404 for a comment that is not on that trace, 405
// (with Allow) for another method, 409 for editing or removing a removed comment.
//
// `comments`: a comment_log (the mmap store's comments.log, or in memory) or
// clickhouse_comments. Neither is thread-safe: a server with several threads holds a lock
// around the call.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/api/detail/param_values.hpp"
#include "trace/api/detail/responses.hpp"
#include "trace/api/http_exchange.hpp"
#include "trace/api/url_query.hpp"
#include "trace/core/error.hpp"
#include "trace/core/time.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/store/comment_log.hpp"

namespace trace {
inline namespace v0 {
namespace api {

// `Comments`: a comment_log, or clickhouse_comments (store/clickhouse/comments.hpp).
template <class Comments>
std::optional<http_response> answer_comments(Comments& comments, const http_request& request, timestamp_ns now = now_ns());

// ---------------------------------------------------------------------------------------

namespace detail {

// A refusal with its own status (answer_comments turns it into the JSON error).
struct comment_refusal {
  int status;
  std::string message;
};

// /api/traces/{id}/comments (4 segments) or /api/traces/{id}/comments/{n} (5).
inline bool route_is_comments(const std::vector<std::string>& seg, std::size_t size) {
  return seg.size() == size && seg[0] == "api" && seg[1] == "traces" && seg[3] == "comments";
}

inline http_response comment_error(int status, std::string_view message) {
  std::string body;
  json::writer w(body);
  w.begin_object().member("error", printable(message)).end_object();
  return json_response(status, std::move(body));
}

inline void write_comment(json::writer& w, const comment& c) {
  w.begin_object().member("id", c.id).member("trace_id", c.trace.to_hex());
  if (c.span.valid()) w.member("span_id", c.span.to_hex());
  w.member("author", printable(c.author)).member("text", printable(c.text)).member("created_ns", c.created);
  if (c.edited) w.member("edited_ns", c.edited);
  if (c.removed) w.member("removed_ns", c.removed_at).member("removed_by", printable(c.removed_by));
  w.end_object();
}

inline http_response comment_answer(int status, const comment& c) {
  std::string body;
  json::writer w(body);
  write_comment(w, c);
  return json_response(status, std::move(body));
}

inline std::uint64_t comment_number(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0)
    throw comment_refusal{400, "comment number \"" + std::string(text) + "\": expected a whole number from 1"};
  return n;
}

// The request body as a JSON object.
inline json::value comment_body(const http_request& request) {
  if (request.body.empty()) throw comment_refusal{400, "the request needs a JSON object body"};
  json::value body;
  try {
    body = json::parse(request.body, {});
  } catch (const error& e) {
    throw comment_refusal{400, "the body is not JSON: " + std::string(e.message())};
  }
  if (!body.get_if<json::object>()) throw comment_refusal{400, "the body must be a JSON object, not " + std::string(json::to_string(body.type()))};
  return body;
}

// A string member; nullopt when absent (and not `required`).
inline std::optional<std::string> string_field(const json::value& body, std::string_view name, bool required) {
  const json::value* field = body.find(name);
  if (!field) {
    if (required) throw comment_refusal{400, "the body needs \"" + std::string(name) + "\" (a string)"};
    return std::nullopt;
  }
  const auto* text = field->get_if<std::string>();
  if (!text) throw comment_refusal{400, "\"" + std::string(name) + "\" must be a string, not " + std::string(json::to_string(field->type()))};
  return *text;
}

// The comment `n` of `trace`, neither missing nor (for a change) removed.
template <class Comments>
comment comment_on(const Comments& comments, const trace_id& trace, std::uint64_t n) {
  const auto found = comments.find(n);
  if (!found || found->trace != trace)
    throw comment_refusal{404, "trace " + trace.to_hex() + " has no comment " + std::to_string(n)};
  if (found->removed) throw comment_refusal{409, "comment " + std::to_string(n) + " was removed by " + found->removed_by};
  return *found;
}

template <class Comments>
http_response list_comments(const Comments& comments, const trace_id& trace, const url_target& t) {
  const auto all = t.value("all");
  if (all && *all != "true" && *all != "false") throw comment_refusal{400, "parameter \"all\": expected true or false"};
  std::string body;
  json::writer w(body);
  w.begin_object().key("data").begin_array();
  for (const comment& c : comments.of_trace(trace, all && *all == "true")) write_comment(w, c);
  w.end_array().end_object();
  return json_response(200, std::move(body));
}

template <class Comments>
http_response add_comment(Comments& comments, const trace_id& trace, const http_request& request, timestamp_ns now) {
  const json::value body = comment_body(request);
  const std::string author = *string_field(body, "author", true);
  const std::string text = *string_field(body, "text", true);
  if (author.empty() || text.empty()) throw comment_refusal{400, "\"author\" and \"text\" must not be empty"};
  span_id span{};
  if (const auto hex = string_field(body, "span_id", false)) {
    const auto parsed = span_id::from_hex(*hex);
    if (!parsed || !parsed->valid()) throw comment_refusal{400, "\"span_id\" \"" + *hex + "\": expected 16 hex digits, not all zero"};
    span = *parsed;
  }
  const std::uint64_t id = comments.add(trace, author, text, span, now);
  return comment_answer(201, *comments.find(id));
}

template <class Comments>
http_response edit_comment(Comments& comments, const trace_id& trace, std::uint64_t n, const http_request& request,
                                  timestamp_ns now) {
  const json::value body = comment_body(request);
  const std::string text = *string_field(body, "text", true);
  if (text.empty()) throw comment_refusal{400, "\"text\" must not be empty (DELETE removes a comment)"};
  comment_on(comments, trace, n);
  comments.edit(n, text, now);
  return comment_answer(200, *comments.find(n));
}

template <class Comments>
http_response remove_comment(Comments& comments, const trace_id& trace, std::uint64_t n, const http_request& request,
                                    timestamp_ns now) {
  std::string by = "unknown";
  if (!request.body.empty())
    if (auto author = string_field(comment_body(request), "author", false)) by = *author;
  comment_on(comments, trace, n);
  comments.remove(n, by, now);
  return comment_answer(200, *comments.find(n));
}

inline http_response refuse_method(const http_request& request, const url_target& t, const char* allowed) {
  http_response refused = comment_error(405, "method " + request.method + " is not allowed on " + t.path + "; use " + allowed);
  refused.headers.emplace_back("Allow", allowed);
  return refused;
}

}  // namespace detail

template <class Comments>
std::optional<http_response> answer_comments(Comments& comments, const http_request& request, timestamp_ns now) {
  const std::string_view raw_path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (!raw_path.starts_with("/api/traces/") || raw_path.find("/comments") == std::string_view::npos) return std::nullopt;
  try {
    const url_target t = parse_target(request.target);
    const auto& seg = t.segments;
    const bool whole = detail::route_is_comments(seg, 4), one = detail::route_is_comments(seg, 5);
    if (!whole && !one) return std::nullopt;
    const trace_id trace = detail::hex_trace_id("trace id", seg[2]);
    if (whole) {
      if (request.method == "GET") return detail::list_comments(comments, trace, t);
      if (request.method == "POST") return detail::add_comment(comments, trace, request, now);
      return detail::refuse_method(request, t, "GET, POST");
    }
    const std::uint64_t n = detail::comment_number(seg[4]);
    if (request.method == "PUT") return detail::edit_comment(comments, trace, n, request, now);
    if (request.method == "DELETE") return detail::remove_comment(comments, trace, n, request, now);
    return detail::refuse_method(request, t, "PUT, DELETE");
  } catch (const detail::comment_refusal& r) {
    return detail::comment_error(r.status, r.message);
  } catch (const error& e) {
    return detail::comment_error(detail::status_for(e), e.message());
  }
}

}  // namespace api
}  // namespace v0
}  // namespace trace
