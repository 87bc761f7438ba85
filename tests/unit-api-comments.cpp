// The server's comment routes (api/comment_routes.hpp): list, add, edit and remove a trace's
// comments as JSON, through the same in-process calls the server makes, on a comment log in
// memory and on one in a file (reopened: what the routes acknowledged is kept); every bad
// request is a 4xx JSON error naming what is wrong.
#include <catch2/catch.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/api/comment_routes.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_writer.hpp"

namespace {

using trace::api::http_request;
using trace::api::http_response;

const std::string trace_path = "/api/traces/00000000000000000000000000000a1c/comments";
const trace::trace_id commented{0, 0xa1c};

http_response ask(trace::comment_log& log, std::string method, std::string target, std::string body = {},
                  trace::timestamp_ns now = 1000) {
  auto answer = trace::api::answer_comments(log, http_request{std::move(method), std::move(target), {}, std::move(body)}, now);
  REQUIRE(answer);
  return *answer;
}

trace::json::value json_of(const http_response& r) {
  INFO(r.body);
  REQUIRE(r.content_type == "application/json");
  return trace::json::parse(r.body, {});
}

std::string string_at(const trace::json::value& v, std::string_view key) {
  const auto* field = v.find(key);
  INFO("member " << key << " of " << trace::json::serialize(v));
  REQUIRE(field);
  REQUIRE(field->get_if<std::string>());
  return *field->get_if<std::string>();
}

std::uint64_t number_at(const trace::json::value& v, std::string_view key) {
  const auto* field = v.find(key);
  INFO("member " << key << " of " << trace::json::serialize(v));
  REQUIRE(field);
  if (const auto* u = field->get_if<std::uint64_t>()) return *u;
  if (const auto* i = field->get_if<std::int64_t>()) return static_cast<std::uint64_t>(*i);
  FAIL("not an integer");
  return 0;
}

trace::json::array listed(trace::comment_log& log, const std::string& query = {}) {
  const http_response r = ask(log, "GET", trace_path + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const trace::json::value answer = json_of(r);
  const auto* data = answer.find("data");
  REQUIRE(data);
  REQUIRE(data->get_if<trace::json::array>());
  return *data->get_if<trace::json::array>();
}

// Adds, edits and removes through the routes; checks each answer and the log behind them.
void add_edit_remove(trace::comment_log& log) {
  const http_response added = ask(log, "POST", trace_path, R"({"author":"ana","text":"card declined at the issuer"})", 100);
  INFO(added.body);
  REQUIRE(added.status == 201);
  const auto first = json_of(added);
  CHECK(number_at(first, "id") == 1);
  CHECK(string_at(first, "trace_id") == commented.to_hex());
  CHECK(string_at(first, "author") == "ana");
  CHECK(number_at(first, "created_ns") == 100);
  CHECK_FALSE(first.find("span_id"));

  const http_response on_span = ask(log, "POST", trace_path, R"({"author":"bo","text":"retry storm","span_id":"00000000000000b7"})", 200);
  REQUIRE(on_span.status == 201);
  CHECK(string_at(json_of(on_span), "span_id") == "00000000000000b7");
  CHECK(log.of_trace(commented).size() == 2);

  const http_response edited = ask(log, "PUT", trace_path + "/1", R"j({"text":"card declined (INC-42)"})j", 300);
  INFO(edited.body);
  REQUIRE(edited.status == 200);
  CHECK(string_at(json_of(edited), "text") == "card declined (INC-42)");
  CHECK(number_at(json_of(edited), "edited_ns") == 300);

  const http_response removed = ask(log, "DELETE", trace_path + "/2", R"({"author":"ana"})", 400);
  INFO(removed.body);
  REQUIRE(removed.status == 200);
  CHECK(string_at(json_of(removed), "removed_by") == "ana");
  CHECK(number_at(json_of(removed), "removed_ns") == 400);

  const auto live = listed(log);
  REQUIRE(live.size() == 1);
  CHECK(string_at(live[0], "text") == "card declined (INC-42)");
  const auto all = listed(log, "?all=true");
  REQUIRE(all.size() == 2);
  CHECK(string_at(all[1], "removed_by") == "ana");
  CHECK(string_at(all[1], "text") == "retry storm");  // a tombstone keeps its last text
}

// The answer's status, and its error message (checked to contain `says`).
void refused(trace::comment_log& log, int status, std::string method, std::string target, std::string body, const std::string& says) {
  const http_response r = ask(log, std::move(method), std::move(target), std::move(body));
  INFO(r.body);
  CHECK(r.status == status);
  CHECK_THAT(string_at(json_of(r), "error"), Catch::Contains(says));
}

}  // namespace

TEST_CASE("the comment routes add, list, edit and remove a trace's comments, in memory") {
  trace::comment_log log;
  add_edit_remove(log);
  // Another trace's list is its own.
  const http_response other = ask(log, "GET", "/api/traces/b2/comments");
  REQUIRE(other.status == 200);
  CHECK(other.body == R"({"data":[]})");
}

TEST_CASE("the comment routes write the store's comments.log: reopened, it holds every acknowledged change") {
  test_support::temp_dir dir;
  {
    trace::comment_log log(dir / "comments.log");
    add_edit_remove(log);
  }
  trace::comment_log reopened(dir / "comments.log");
  const auto all = listed(reopened, "?all=true");
  REQUIRE(all.size() == 2);
  CHECK(string_at(all[0], "text") == "card declined (INC-42)");
  CHECK(number_at(all[1], "removed_ns") == 400);
  // Numbers go on after the reopened ones.
  CHECK(number_at(json_of(ask(reopened, "POST", trace_path, R"({"author":"cy","text":"third"})")), "id") == 3);
}

TEST_CASE("the comment routes refuse bad requests with a 4xx naming what is wrong") {
  trace::comment_log log;
  ask(log, "POST", trace_path, R"({"author":"ana","text":"first"})");
  ask(log, "POST", trace_path, R"({"author":"ana","text":"second"})");
  ask(log, "DELETE", trace_path + "/2", {});

  refused(log, 400, "GET", "/api/traces/xyz/comments", {}, "trace id");
  refused(log, 400, "POST", trace_path, {}, "needs a JSON object body");
  refused(log, 400, "POST", trace_path, "{\"author\":", "not JSON");
  refused(log, 400, "POST", trace_path, "[1]", "must be a JSON object, not an array");
  refused(log, 400, "POST", trace_path, R"({"author":"ana"})", "needs \"text\"");
  refused(log, 400, "POST", trace_path, R"({"author":7,"text":"x"})", "\"author\" must be a string, not an integer");
  refused(log, 400, "POST", trace_path, R"({"author":"","text":"x"})", "must not be empty");
  refused(log, 400, "POST", trace_path, R"({"author":"a","text":"x","span_id":"zz"})", "\"span_id\" \"zz\"");
  refused(log, 400, "POST", trace_path, R"({"author":"a","text":")" + std::string(trace::comment_log::max_text_bytes + 1, 'x') + "\"}",
          "at most");
  refused(log, 400, "GET", trace_path + "?all=maybe", {}, "parameter \"all\"");
  refused(log, 400, "PUT", trace_path + "/first", R"({"text":"x"})", "comment number \"first\"");
  refused(log, 400, "PUT", trace_path + "/1", R"({"text":""})", "must not be empty");
  refused(log, 404, "PUT", trace_path + "/9", R"({"text":"x"})", "has no comment 9");
  refused(log, 404, "DELETE", "/api/traces/b2/comments/1", {}, "trace 000000000000000000000000000000b2 has no comment 1");
  refused(log, 409, "PUT", trace_path + "/2", R"({"text":"x"})", "comment 2 was removed");
  refused(log, 409, "DELETE", trace_path + "/2", {}, "was removed");

  const http_response wrong = ask(log, "PATCH", trace_path + "/1", R"({"text":"x"})");
  CHECK(wrong.status == 405);
  REQUIRE(wrong.headers.size() == 1);
  CHECK((wrong.headers[0].first == "Allow" && wrong.headers[0].second == "PUT, DELETE"));
  CHECK(ask(log, "DELETE", trace_path).status == 405);

  // Nothing refused changed the log: comment 1 as added, 2 removed, none more.
  CHECK(log.size() == 2);
  CHECK(log.find(1)->text == "first");
}

TEST_CASE("the comment routes leave other paths to the other routes") {
  trace::comment_log log;
  for (const char* target : {"/api/traces/a1c", "/api/traces", "/api/traces/a1c/comments/1/more", "/api/services", "/comments"})
    CHECK_FALSE(trace::api::answer_comments(log, http_request{"GET", target, {}, {}}));
}
