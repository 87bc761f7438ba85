// Full-text search: the tokenizer's rules, the query language, and the same answers from a
// scan, the memory store, and the mmap store with and without its text index (damaged,
// missing, rebuilt by compaction).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "trace/query/filter.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/text_query.hpp"
#include "trace/query/traceql.hpp"
#include "trace/query/traceql/search.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"

namespace {

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  trace::for_each_text_token(text, [&out](std::string_view t) { out.emplace_back(t); });
  return out;
}

// Span `i` of a small workload: one in 50 has its card declined, words vary by span.
trace::span text_span(std::uint64_t i) {
  trace::span s = test_support::make_span(i / 4 + 1, i);
  s.name = i % 3 ? "GET /checkout" : "charge card";
  if (i % 50 == 7) {
    s.status = {trace::status_code::error, "Card declined by issuer"};
  } else if (i % 50 == 8) {
    s.status = {trace::status_code::error, "declined card"};  // the words, not the phrase
  }
  s.attributes.set("note", std::string(i % 2 ? "Überweisung geprüft" : "retry-after 30"));
  s.attributes.set("order", "order-" + std::to_string(i));
  return s;
}

std::vector<trace::span> text_spans(std::uint64_t count) {
  std::vector<trace::span> out;
  for (std::uint64_t i = 0; i < count; ++i) out.push_back(text_span(i));
  return out;
}

// The spans a scan of plain spans says match, by span id.
std::vector<trace::span_id> expected_ids(const std::vector<trace::span>& spans, const trace::filter& f) {
  std::vector<trace::span_id> out;
  for (const trace::span& s : spans)
    if (trace::matches(f, s)) out.push_back(s.id);
  std::ranges::sort(out);
  return out;
}

template <class Store>
std::vector<trace::span_id> indexed_ids(const Store& store, const trace::filter& f) {
  std::vector<trace::span_id> out;
  trace::for_each_match(store, f, [&out](const auto& block, std::uint32_t row) { out.push_back(block.span(row).id()); });
  std::ranges::sort(out);
  return out;
}

const std::vector<std::string> queries = {
    "declined",       "\"card declined\"", "DECLINED AND issuer", "declin*",  "card OR retry",
    "card NOT declined", "NOT card",       "überweisung",         "GEPRÜFT",  "order-17",
    "ord*",           "(charge OR get) AND declined", "\"declined card\"", "30", "nothing-here",
};

}  // namespace

TEST_CASE("tokens are lower-cased runs of letters and digits, Latin-1 letters included") {
  CHECK(tokens("Card DECLINED: order#4711, 1.5s") == std::vector<std::string>{"card", "declined", "order", "4711", "1", "5s"});
  CHECK(tokens("ÀÉÎ Straße ×÷ café") == std::vector<std::string>{"àéî", "straße", "café"});
  CHECK(tokens("9f86d081-884c") == std::vector<std::string>{"9f86d081", "884c"});
  CHECK(tokens("Привет мир") == std::vector<std::string>{"Привет", "мир"});  // kept, not folded
  CHECK(tokens("a\xff" "b\xc3") == std::vector<std::string>{"a", "b"});       // bytes that are not UTF-8 separate
  CHECK(tokens("  ,;  ").empty());
}

TEST_CASE("text queries: words, phrases, prefixes, AND, OR, NOT and parentheses") {
  trace::span s = text_span(7);
  auto hit = [&s](std::string_view q) { return trace::text_query(q).matches(s); };
  CHECK(hit("declined"));
  CHECK(hit("\"card declined\""));
  CHECK_FALSE(hit("\"declined card\""));
  CHECK(hit("decl*"));
  CHECK_FALSE(hit("declx*"));
  CHECK(hit("issuer AND card"));
  CHECK(hit("nope OR issuer"));
  CHECK_FALSE(hit("card NOT issuer"));
  CHECK(hit("(nope OR card) declined"));
  CHECK(hit("geprüft"));
  CHECK(hit("order-7"));  // "order 7" as a phrase
  CHECK_FALSE(hit("order-8"));
  // A phrase never runs from one text to the next: the name ends "card", the message begins "Card".
  CHECK_FALSE(hit("\"charge card card\""));
}

TEST_CASE("malformed text queries are refused naming where") {
  for (const char* bad : {"", "   ", "(card", "card)", "\"card", "AND card", "card AND", "---", "card decl*ned*", "NOT"}) {
    INFO(bad);
    CHECK_THROWS_MATCHES(trace::text_query(bad), trace::error,
                         Catch::Matchers::Predicate<trace::error>([](const trace::error& e) {
                           return e.code() == trace::errc::parse_error && std::string(e.what()).find("offset") != std::string::npos;
                         }));
  }
  std::string deep(trace::text_query::max_nesting + 1, '(');
  CHECK_THROWS_AS(trace::text_query(deep + "card"), trace::error);
}

TEST_CASE("the memory store and the mmap store, indexed or not, answer as a scan does") {
  test_support::temp_dir dir;
  const auto spans = text_spans(600);
  trace::memory_store memory;
  memory.append(spans);
  trace::mmap_options options = test_support::default_options(dir);
  trace::mmap_store mmap(options);
  mmap.append(std::vector<trace::span>(spans.begin(), spans.begin() + 400));
  mmap.roll();  // the first 400 sealed with a text index, the rest in the log
  mmap.append(std::vector<trace::span>(spans.begin() + 400, spans.end()));
  REQUIRE(mmap.segments().front().text_index_bytes > 0);
  for (const std::string& q : queries) {
    INFO(q);
    const trace::filter f = trace::where::text(q) && trace::where::any();
    const auto expected = expected_ids(spans, f);
    CHECK(indexed_ids(memory, f) == expected);
    CHECK(indexed_ids(mmap, f) == expected);
    CHECK(trace::count_matching(mmap, f) == expected.size());
  }
  CHECK(expected_ids(spans, trace::where::text("\"card declined\"")).size() == 12);
  CHECK(memory.text_indexed_rows() == 600);  // built by the queries above
  memory.append(text_span(600));
  CHECK(indexed_ids(memory, trace::where::text("order-600")).size() == 1);  // caught up after the append
  CHECK(memory.text_indexed_rows() == 601);
  // Combined with other conditions, and negated as a whole.
  const trace::filter f = trace::where::text("declined") && trace::where::status(trace::status_code::error) &&
                          !trace::where::text("issuer");
  CHECK(indexed_ids(mmap, f) == expected_ids(spans, f));
  CHECK(expected_ids(spans, f).size() == 12);
}

TEST_CASE("the text index names exactly the groups holding a word") {
  trace::detail::text_index_builder builder;
  const auto spans = text_spans(100);
  for (const auto& s : spans) builder.add(s);
  const std::string bytes = builder.finish();
  const auto* p = reinterpret_cast<const std::byte*>(bytes.data());
  const auto index = trace::detail::text_index_view::open(p, bytes.size(), 100, "test");
  CHECK(index.group_count() == (100 + trace::detail::text_index_group_rows - 1) / trace::detail::text_index_group_rows);
  for (std::string word : {"declined", "issuer", "order", "17", "charge", "absent"}) {
    std::vector<std::uint32_t> got, want;
    index.for_each_group(word, false, [&got](std::uint32_t g) { got.push_back(g); });
    for (std::uint32_t row = 0; row < spans.size(); ++row) {
      const std::uint32_t g = row / index.group_rows();
      if ((want.empty() || want.back() != g) && trace::text_query(word).matches(spans[row])) want.push_back(g);
    }
    INFO(word);
    CHECK(got == want);
  }
  std::vector<std::uint32_t> prefixed;
  index.for_each_group("de", true, [&prefixed](std::uint32_t g) { prefixed.push_back(g); });
  CHECK(std::is_sorted(prefixed.begin(), prefixed.end()));
  CHECK(std::adjacent_find(prefixed.begin(), prefixed.end()) == prefixed.end());  // each group once
  CHECK_THROWS_AS(trace::detail::text_index_view::open(p, bytes.size(), 99, "test"), trace::error);  // rows disagree
}

TEST_CASE("a damaged text index is reported and never changes an answer; compaction rebuilds it") {
  test_support::temp_dir dir;
  const auto spans = text_spans(300);
  trace::mmap_options options = test_support::default_options(dir);
  {
    trace::mmap_store store(options);
    store.append(std::vector<trace::span>(spans.begin(), spans.begin() + 150));
    store.roll();
    store.append(std::vector<trace::span>(spans.begin() + 150, spans.end()));
    store.roll();
  }
  const auto sealed = test_support::files_with(options.path, "seg");
  REQUIRE(sealed.size() == 2);
  std::size_t index_bytes = 0;
  {
    const trace::mmap_store store(options);
    index_bytes = store.segments().front().text_index_bytes;
  }
  REQUIRE(index_bytes > 0);
  const std::uint64_t size = std::filesystem::file_size(sealed.front());
  // Every few bytes of the index region, one at a time: head, restarts, terms and postings.
  for (std::uint64_t at = size - index_bytes; at < size; at += 1 + index_bytes / 24) {
    INFO("flipped byte " << at);
    test_support::flip_byte(sealed.front(), static_cast<std::size_t>(at));
    {
      const trace::mmap_store store(options);
      CHECK(store.segments().front().text_index_problem.find("text index") != std::string::npos);
      for (const std::string q : {"\"card declined\"", "order-17", "retry*"}) {
        const trace::filter f = trace::where::text(q);
        CHECK(indexed_ids(store, f) == expected_ids(spans, f));
      }
    }
    test_support::flip_byte(sealed.front(), static_cast<std::size_t>(at));
  }
  test_support::flip_byte(sealed.front(), static_cast<std::size_t>(size - 1));
  options.segment_bytes = 1 << 30;
  {
    trace::mmap_store store(options);
    CHECK(store.compact() == 1);
  }
  const trace::mmap_store store(options);
  REQUIRE(store.segments().size() == 1);
  CHECK(store.segments().front().text_index_problem.empty());
  CHECK(store.segments().front().text_index_bytes > 0);
  const trace::filter f = trace::where::text("declined NOT issuer");
  CHECK(indexed_ids(store, f) == expected_ids(spans, f));
}

TEST_CASE("text ~ in the bare --where form and inside TraceQL braces") {
  const auto spans = text_spans(200);
  trace::memory_store store;
  store.append(spans);
  const trace::filter bare = trace::parse_traceql(R"(text ~ "'card declined'" && status = error)");
  CHECK(trace::count_matching(store, bare) == 4);
  CHECK(trace::count_matching(store, trace::parse_traceql(R"(text ~ "declined" || name = "x")")) == 8);
  CHECK(trace::count_matching(store, trace::parse_traceql(R"(text = "declined")")) == 0);  // an attribute named text
  // In braces, beside structure: traces with a declined card and a span named "GET /checkout".
  const auto q = trace::parse_traceql_query(R"({ text ~ "\"card declined\"" } && { name = "GET /checkout" })");
  std::size_t traces = 0;
  for (const auto& t : trace::search_traceql(store, q, {.limit = 100})) {
    ++traces;
    for (const auto& set : t.spansets)
      for (const auto& s : set.spans) CHECK((s.name() == "GET /checkout" || trace::text_query("'card declined'").matches(s)));
  }
  CHECK(traces == 4);
  for (const char* bad : {R"(text ~ card)", R"({ text ~ 5 })", R"(text ~ "(card")", R"({ text ~ "AND" })"}) {
    INFO(bad);
    CHECK_THROWS_AS(trace::parse_traceql_query(bad), trace::error);
  }
}

TEST_CASE("a version 5 sealed segment, with a trace filter and no text index, answers by scanning") {
  // What version 5 wrote: a block in the layout of versions 2 to 6 (the format-6 segment of
  // tests/data/mmap-format-6, 4 traces of 6 spans) and its trace filter, nothing at header
  // offsets 72 and 76.
  test_support::temp_dir dir;
  const auto spans = test_support::make_batch(0, 4, 6);
  trace::mmap_options options = test_support::default_options(dir);
  std::filesystem::create_directories(options.path);
  const auto sealed = options.path / "0000000000000001.seg";
  {
    std::string bytes = test_support::read_file(std::filesystem::path(TRACE_TEST_DATA_DIR) / "mmap-format-6" / sealed.filename());
    const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
    const std::size_t filter = trace::detail::load<std::uint32_t>(data + 60);
    REQUIRE(filter > 0);
    REQUIRE(trace::detail::load<std::uint32_t>(data + 72) > 0);
    bytes.resize(trace::detail::file_header_size + test_support::sealed_block_size(bytes) + filter);
    const std::uint32_t version = 5, none = 0;
    std::memcpy(bytes.data() + 8, &version, 4);
    std::memcpy(bytes.data() + 72, &none, 4);
    std::memcpy(bytes.data() + 76, &none, 4);
    trace::detail::seal_file_header(reinterpret_cast<std::byte*>(bytes.data()));
    test_support::write_file(sealed, bytes);
  }
  const std::vector<std::string> fixture_queries = {"failed", "\"failed at step\"", "op-3", "host-1", "follows", "step*"};
  {
    trace::mmap_store store(options);
    REQUIRE(store.segments().front().text_index_bytes == 0);
    CHECK(store.segments().front().text_index_problem.empty());
    for (const std::string& q : fixture_queries) {
      INFO(q);
      const trace::filter f = trace::where::text(q);
      CHECK(indexed_ids(store, f) == expected_ids(spans, f));
    }
    CHECK(store.find_trace(spans.front().trace).size() > 0);  // through the trace filter
    CHECK(store.compact() == 0);  // rewritten in place with an index: no segment removed
  }
  const trace::mmap_store store(options);
  CHECK(store.segments().front().text_index_bytes > 0);
  for (const std::string& q : fixture_queries) {
    INFO(q);
    const trace::filter f = trace::where::text(q);
    CHECK(!expected_ids(spans, f).empty());
    CHECK(indexed_ids(store, f) == expected_ids(spans, f));
  }
}

TEST_CASE("a sealed version 6 header's checksum covers the text index size at offset 72") {
  test_support::temp_dir dir;
  trace::mmap_options options = test_support::default_options(dir);
  {
    trace::mmap_store store(options);
    store.append(text_spans(50));
    store.roll();
  }
  const auto sealed = test_support::files_with(options.path, "seg");
  REQUIRE(sealed.size() == 1);
  test_support::flip_byte(sealed.front(), 72);
  CHECK_THROWS_WITH(trace::mmap_store(options),
                    Catch::Contains(sealed.front().string()) && Catch::Contains("header checksum mismatch"));
  test_support::flip_byte(sealed.front(), 72);
  test_support::flip_byte(sealed.front(), 76);  // the reserved tag index size is covered too
  CHECK_THROWS_WITH(trace::mmap_store(options), Catch::Contains("header checksum mismatch"));
}
