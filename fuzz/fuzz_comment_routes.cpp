// The comment routes (trace::api::answer_comments) take request targets and JSON bodies from
// the network and change a comment log. Any sequence of requests must get answers with the
// statuses the routes document (or nullopt off their paths), never a fault or an escaping
// exception; JSON answers must be valid JSON; and the log must stay consistent: what a
// trace's listing shows, each comment found by its number shows the same.
//
// Input: requests separated by '\0'. A request's first byte picks a method and a path form
// (so the fuzzer reaches the body readers without finding the paths first); up to the first
// '\n' follows the path (a comment number, a query), the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "trace/api/comment_routes.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/store/comment_log.hpp"

namespace {

constexpr std::string_view trace_hex = "0000000000000000000000000000a1b2";

void check_answer(const std::optional<trace::api::http_response>& answer) {
  if (!answer) return;
  switch (answer->status) {
    case 200: case 201: case 400: case 404: case 405: case 409: break;
    default: std::abort();
  }
  if (answer->content_type != "application/json") std::abort();
  try {
    (void)trace::json::parse(answer->body);
  } catch (const trace::error&) {
    std::abort();  // the routes wrote invalid JSON
  }
}

void check_log(const trace::comment_log& comments) {
  const auto trace = *trace::trace_id::from_hex(trace_hex);
  for (const trace::comment& c : comments.of_trace(trace, true)) {
    const auto found = comments.find(c.id);
    if (!found || found->text != c.text || found->removed != c.removed || found->trace != trace) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::string_view methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  static constexpr std::string_view paths[] = {"/api/traces/{t}/comments", "/api/traces/{t}/comments/",
                                               "/api/traces/{t}/comments?", "/api/traces/", "/api/traces/{t}/comments/1"};
  trace::comment_log comments;  // in memory: the routes are what is fuzzed here
  comments.add(*trace::trace_id::from_hex(trace_hex), "ann", "first look", trace::span_id(7), 1);
  comments.remove(comments.add(*trace::trace_id::from_hex(trace_hex), "bob", "gone", {}, 2), "ann", 3);
  trace::timestamp_ns now = 10;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const std::string_view one = input.substr(0, input.find('\0'));
    input.remove_prefix(std::min(input.size(), one.size() + 1));
    if (one.empty()) continue;
    const auto pick = static_cast<unsigned char>(one.front());
    const std::string_view rest = one.substr(1);
    const std::size_t newline = rest.find('\n');
    trace::api::http_request request{std::string(methods[pick % std::size(methods)]), {}, {}, {}};
    std::string path(paths[(pick / std::size(methods)) % std::size(paths)]);
    if (const auto at = path.find("{t}"); at != std::string::npos) path.replace(at, 3, trace_hex);
    request.target = path + std::string(rest.substr(0, newline));
    if (newline != std::string_view::npos) request.body = std::string(rest.substr(newline + 1));
    check_answer(trace::api::answer_comments(comments, request, ++now));
    check_log(comments);
  }
  return 0;
}
