// The search and waterfall pages through answer_query: served as self-contained HTML, every
// route their scripts fetch is one answer_query serves, bad ids are refused before the page.
#include "api_test_support.hpp"

#include <regex>
#include <set>

using namespace api_test;

namespace {

// The same-origin paths a page's script fetches: the string literals that begin with /api/.
std::set<std::string> fetched_paths(const std::string& html) {
  std::set<std::string> out;
  const std::regex literal("'(/api/[a-z/]*)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), literal); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

}  // namespace

TEST_CASE("the search page and the waterfall page are served as self-contained HTML") {
  for_each_store([](const ask& query) {
    for (const char* path : {"/", "/search", "/search?service=cart&lookback=all", "/trace/a1", "/trace/" "000000000000000000000000000000a1"}) {
      INFO(path);
      const auto page = query(get(path));
      CHECK(page.status == 200);
      CHECK(page.content_type == "text/html; charset=utf-8");
      CHECK_THAT(page.body, Catch::StartsWith("<!doctype html>"));
      CHECK_THAT(page.body, Catch::EndsWith("</html>\n"));
      // Nothing from elsewhere: no external scripts, styles, fonts or images.
      for (const char* outside : {"<script src", "<link", "<img", "src=\"http", "href=\"http", "@import", "url(http", "url('http", "url(\"http", "fetch('http"}) {
        INFO(outside);
        CHECK(page.body.find(outside) == std::string::npos);
      }
    }
    CHECK_THAT(query(get("/search")).body, Catch::Contains("id=\"scatter\""));
    CHECK_THAT(query(get("/search")).body, Catch::Contains("/api/dependencies?endTs="));
    CHECK_THAT(query(get("/trace/a1")).body, Catch::Contains("criticalPath"));
  });
}

TEST_CASE("every route the pages fetch is one that answer_query serves") {
  trace::memory_store store;
  store.append(shop_spans());
  std::set<std::string> paths;
  for (const char* page : {"/search", "/trace/a1"}) {
    const auto fetched = fetched_paths(trace::api::answer_query(store, get(page))->body);
    paths.insert(fetched.begin(), fetched.end());
  }
  CHECK(paths == std::set<std::string>{"/api/dependencies", "/api/search", "/api/services", "/api/services/", "/api/traces",
                                       "/api/traces/"});
  // With the arguments the scripts append.
  for (const char* target : {"/api/dependencies?endTs=1700000002000&lookback=3600000", "/api/search?q=%7B%7D&limit=20",
                             "/api/services", "/api/services/cart/operations", "/api/traces?service=cart&limit=20&start=0&end=1700000002000000",
                             "/api/traces/a1"}) {
    INFO(target);
    const auto answer = trace::api::answer_query(store, get(target));
    REQUIRE(answer);
    CHECK(answer->status == 200);
  }
}

TEST_CASE("a waterfall page for a malformed id is refused before the page loads") {
  for_each_store([](const ask& query) {
    const auto bad = query(get("/trace/not-an-id"));
    CHECK(bad.status == 400);
    CHECK_THAT(bad.content_type, Catch::StartsWith("text/plain"));
    CHECK_THAT(bad.body, Catch::Contains("\"not-an-id\""));
    trace::api::http_request post = get("/search");
    post.method = "POST";
    CHECK(query(post).status == 405);
  });
  trace::memory_store store;
  for (const char* path : {"/trace", "/trace/a1/extra", "/index.html", "/searching"}) CHECK_FALSE(trace::api::answer_query(store, get(path)));
}
