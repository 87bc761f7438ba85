// The ClickHouse store against one real clickhouse-server (TRACE_CLICKHOUSE_URL), running
// the shared storage test list of tests/clickhouse/store_test_list.hpp and the TraceQL list of
// tests/clickhouse/traceql_test_list.hpp.
#include "clickhouse/test_env.hpp"

static const trace_test::require_environment environment{"TRACE_CLICKHOUSE_URL"};

#include "clickhouse/store_test_list.hpp"
#include "clickhouse/traceql_test_list.hpp"
#include "trace/api/comment_routes.hpp"
#include "trace/store/clickhouse/comments.hpp"

trace::clickhouse_options trace_test::base_options() {
  trace::clickhouse_options options;
  options.server = trace::clickhouse::parse_http_endpoint(std::getenv("TRACE_CLICKHOUSE_URL"));
  options.database = "trace_test";
  return options;
}

TEST_CASE("clickhouse: an unreachable server is an i/o error naming it") {
  trace::clickhouse_options options = trace_test::base_options();
  options.server.port = 1;  // nothing listens on tcpmux
  clickhouse_store store(options);
  CHECK(trace_test::error_of([&] { store.size(); }) ==
        "i/o error: http " + options.server.host + ":1: cannot connect: Connection refused");
}

// Comments on traces in the `<table>_comments` table: the comment_log's operations and rules,
// any bytes kept, and the server's comment routes answering over it.
TEST_CASE("clickhouse: comments are added, edited and removed, leaving a tombstone") {
  trace_test::scratch_store store;
  const trace::clickhouse_comments comments(*store);
  comments.drop_schema();
  comments.create_schema();
  const trace::trace_id first{1, 2}, other{3, 4};
  constexpr char odd[] = "tab\there, quote ' and \\ and \0 and \xff";
  const std::string odd_bytes(odd, sizeof odd - 1);
  CHECK(comments.add(first, "ana", "card declined at the issuer", {}, 100) == 1);
  CHECK(comments.add(first, "bo", odd_bytes, trace::span_id(7), 200) == 2);
  CHECK(comments.add(other, "ana", "unrelated", {}, 300) == 3);
  comments.edit(1, "card declined at the issuer (INC-42)", 400);
  comments.remove(2, "ana", 500);
  const auto live = comments.of_trace(first);
  REQUIRE(live.size() == 1);
  CHECK((live[0].text == "card declined at the issuer (INC-42)" && live[0].created == 100 && live[0].edited == 400));
  const auto all = comments.of_trace(first, true);
  REQUIRE(all.size() == 2);
  CHECK((all[1].removed && all[1].removed_by == "ana" && all[1].removed_at == 500 && all[1].span == trace::span_id(7)));
  CHECK(all[1].text == odd_bytes);
  CHECK(comments.find(3)->text == "unrelated");
  CHECK_FALSE(comments.find(9));
  CHECK(trace_test::error_of([&] { comments.edit(2, "again"); }) == "invalid argument: cannot edit comment 2: it was removed");
  CHECK(trace_test::error_of([&] { comments.remove(99, "ana"); }) ==
        "invalid argument: cannot remove comment 99: there is no such comment");

  // The same through the server's routes.
  const std::string path = "/api/traces/" + first.to_hex() + "/comments";
  auto answer = [&](std::string method, std::string target, std::string body) {
    auto r = trace::api::answer_comments(comments, trace::api::http_request{std::move(method), std::move(target), {}, std::move(body)}, 600);
    REQUIRE(r);
    return *r;
  };
  const auto added = answer("POST", path, R"({"author":"cy","text":"third on this trace"})");
  INFO(added.body);
  CHECK(added.status == 201);
  CHECK(added.body.find(R"("id":4,)") != std::string::npos);
  CHECK(answer("PUT", path + "/2", R"({"text":"x"})").status == 409);
  CHECK(answer("DELETE", path + "/3", "").status == 404);  // comment 3 is on another trace
  const auto listed = answer("GET", path, "");
  CHECK(listed.status == 200);
  CHECK(listed.body.find("third on this trace") != std::string::npos);
  CHECK(listed.body.find("INC-42") != std::string::npos);
  CHECK(comments.of_trace(first).size() == 2);
  comments.drop_schema();
}
