#include <catch2/catch.hpp>
#include <trace/tree.hpp>

#include <algorithm>
#include <vector>

#include "support/make_span.hpp"

using trace_test::make_span;
using tree_t = trace::trace_tree<trace::span>;

namespace {

std::vector<std::uint64_t> visit_order(const tree_t& tree, bool depth_first) {
  std::vector<std::uint64_t> order;
  auto record = [&](std::size_t i, std::uint32_t) { order.push_back(tree.span_at(i).id.value()); };
  if (depth_first)
    tree.depth_first(record);
  else
    tree.breadth_first(record);
  return order;
}

// root 1 [0,100): children 2 [10,40) (child 4 [15,30)), 3 [50,90)
std::vector<trace::span> sample() {
  return {make_span(1, 3, 1, "s", "c", 50, 90), make_span(1, 4, 2, "s", "d", 15, 30),
          make_span(1, 1, 0, "s", "a", 0, 100), make_span(1, 2, 1, "s", "b", 10, 40)};
}

}  // namespace

TEST_CASE("a tree is built from spans in any order") {
  auto spans = sample();
  for (int round = 0; round < 4; ++round) {
    std::rotate(spans.begin(), spans.begin() + 1, spans.end());
    auto tree = trace::build_tree(spans);
    CHECK_FALSE(tree.has_issues());
    REQUIRE(tree.roots().size() == 1);
    CHECK(tree.span_at(tree.roots()[0]).id.value() == 1);
    CHECK(visit_order(tree, true) == std::vector<std::uint64_t>{1, 2, 4, 3});
    CHECK(visit_order(tree, false) == std::vector<std::uint64_t>{1, 2, 3, 4});
    CHECK(tree.depth() == 3);
    CHECK(tree.node_at(tree.find(trace::span_id{4})).depth == 2);
  }
}

TEST_CASE("an empty input gives an empty tree") {
  auto tree = trace::build_tree(std::vector<trace::span>{});
  CHECK(tree.empty());
  CHECK(tree.depth() == 0);
  CHECK(tree.roots().empty());
  CHECK(tree.critical_path().empty());
  CHECK(trace::render_text(tree).empty());
}

TEST_CASE("a span whose parent is missing becomes a root flagged as orphan") {
  auto spans = sample();
  spans.push_back(make_span(1, 9, 77, "s", "lost", 20, 25));
  auto tree = trace::build_tree(spans);
  CHECK(tree.roots().size() == 2);
  auto orphan = tree.find(trace::span_id{9});
  CHECK(tree.node_at(orphan).orphan);
  CHECK(tree.node_at(orphan).parent == tree_t::npos);
  REQUIRE(tree.issues().size() == 1);
  CHECK(tree.issues()[0] == trace::tree_issue{trace::tree_issue_kind::orphan, trace::span_id{9}, 4});
  CHECK(trace::render_text(tree).find("lost (s) 5.00ms [orphan: parent 000000000000004d missing]") != std::string::npos);
}

TEST_CASE("several true roots are kept in start order") {
  auto tree = trace::build_tree(std::vector{make_span(1, 2, 0, "s", "late", 50, 60), make_span(1, 1, 0, "s", "early", 0, 10)});
  REQUIRE(tree.roots().size() == 2);
  CHECK(tree.span_at(tree.roots()[0]).name == "early");
  CHECK_FALSE(tree.has_issues());
}

TEST_CASE("a duplicate span id is reported and kept out of the tree, not lost") {
  auto spans = sample();
  spans.push_back(make_span(1, 2, 1, "s", "b-again", 12, 13));
  auto tree = trace::build_tree(spans);
  REQUIRE(tree.issues().size() == 1);
  CHECK(tree.issues()[0].kind == trace::tree_issue_kind::duplicate_span);
  CHECK(tree.issues()[0].index == 4);
  CHECK_FALSE(tree.node_at(4).in_tree);
  CHECK(visit_order(tree, true) == std::vector<std::uint64_t>{1, 2, 4, 3});
  auto flat = tree.flatten();
  CHECK(flat.size() == 5);
  CHECK(flat.back().name == "b-again");
}

TEST_CASE("a parent cycle is broken at its earliest span and reported") {
  // 1 -> 2 -> 3 -> 1 (each names the next as parent), plus 4 hanging below 3.
  std::vector spans{make_span(1, 1, 3, "s", "a", 5, 50), make_span(1, 2, 1, "s", "b", 10, 40),
                    make_span(1, 3, 2, "s", "c", 20, 30), make_span(1, 4, 3, "s", "d", 22, 25)};
  auto tree = trace::build_tree(spans);
  REQUIRE(tree.issues().size() == 1);
  CHECK(tree.issues()[0] == trace::tree_issue{trace::tree_issue_kind::cycle, trace::span_id{1}, 0});
  REQUIRE(tree.roots().size() == 1);
  CHECK(tree.span_at(tree.roots()[0]).id.value() == 1);
  CHECK(visit_order(tree, true) == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE("a span that is its own parent is a root with a cycle issue") {
  auto tree = trace::build_tree(std::vector{make_span(1, 1, 1, "s", "self", 0, 1)});
  CHECK(tree.roots().size() == 1);
  REQUIRE(tree.issues().size() == 1);
  CHECK(tree.issues()[0].kind == trace::tree_issue_kind::cycle);
}

TEST_CASE("two separate cycles are both broken") {
  std::vector spans{make_span(1, 1, 2, "s", "a", 0, 9), make_span(1, 2, 1, "s", "b", 1, 8),
                    make_span(1, 3, 4, "s", "c", 3, 9), make_span(1, 4, 3, "s", "d", 2, 9)};
  auto tree = trace::build_tree(spans);
  CHECK(tree.roots().size() == 2);
  CHECK(tree.issues().size() == 2);
  CHECK(visit_order(tree, true).size() == 4);
}

TEST_CASE("self time subtracts the union of children, clipped to the span") {
  auto spans = sample();
  spans.push_back(make_span(1, 5, 2, "s", "overlap", 20, 60));  // overlaps 4, runs past 2's end
  auto tree = trace::build_tree(spans);
  CHECK(tree.self_time(tree.find(trace::span_id{2})) == 5 * trace::millisecond);   // [10,15)
  CHECK(tree.self_time(tree.find(trace::span_id{1})) == 30 * trace::millisecond);  // 100 - [10,40) - [50,90)
  CHECK(tree.self_time(tree.find(trace::span_id{4})) == 15 * trace::millisecond);  // leaf
}

TEST_CASE("the critical path follows the last-finishing child backwards") {
  auto tree = trace::build_tree(sample());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> path;  // (span id, length in ms)
  trace::duration_ns total = 0;
  for (const auto& segment : tree.critical_path()) {
    path.emplace_back(tree.span_at(segment.node).id.value(), (segment.end - segment.start) / trace::millisecond);
    total += segment.end - segment.start;
  }
  CHECK(path == std::vector<std::pair<std::uint64_t, std::uint64_t>>{
                    {1, 10}, {2, 5}, {4, 15}, {2, 10}, {1, 10}, {3, 40}, {1, 10}});
  CHECK(total == 100 * trace::millisecond);
}

TEST_CASE("flatten then rebuild gives the same tree (save_trace / get_trace)") {
  auto tree = trace::build_tree(sample());
  auto flat = tree.flatten();
  CHECK(flat.size() == 4);
  auto again = trace::build_tree(flat);
  CHECK(visit_order(again, true) == visit_order(tree, true));
}

TEST_CASE("the text rendering shows structure, durations and status") {
  auto spans = sample();
  spans[0].status = {trace::status_code::error, "timeout"};
  auto tree = trace::build_tree(spans);
  CHECK(trace::render_text(tree) ==
        "a (s) 100ms\n"
        "├─ b (s) 30.0ms\n"
        "│  └─ d (s) 15.0ms\n"
        "└─ c (s) 40.0ms ERROR timeout\n");
  CHECK(trace::render_text(tree, {.show_service = false, .show_self_time = false, .bar_width = 10}) ==
        "|##########| a 100ms\n"
        "| ###      | ├─ b 30.0ms\n"
        "| ##       | │  └─ d 15.0ms\n"
        "|     #### | └─ c 40.0ms ERROR timeout\n");
}

TEST_CASE("a long chain builds without recursion limits") {
  std::vector<trace::span> chain;
  for (std::uint64_t i = 1; i <= 20000; ++i) chain.push_back(make_span(1, i, i - 1, "s", "step", i, 100000 - i));
  auto tree = trace::build_tree(chain);
  CHECK(tree.depth() == 20000);
  CHECK(tree.critical_path().size() == 2 * 20000 - 1);
}
