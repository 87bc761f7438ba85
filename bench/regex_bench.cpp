// regex-bench: trace::regex (linear-time Pike VM, the engine of TraceQL's `=~`) against
// std::regex (ECMAScript, backtracking) on the patterns queries use, full matches over a
// mix of span names and attribute values.
//
//   regex-bench [--smoke]
//
// Each figure is the median of interleaved repetitions (ours, then std::regex); the ratio
// is std::regex's time over ours, so above 1 means ours is faster. Reported, never asserted;
// the exit status is non-zero only when the two engines disagree on an answer.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "trace/query/regex.hpp"

namespace {

using bench_clock = std::chrono::steady_clock;

std::vector<std::string> subjects(std::size_t count) {
  const char* verbs[] = {"GET", "POST", "PUT", "DELETE"};
  const char* paths[] = {"/api/orders/", "/api/users/", "/static/app.js?v=", "/health", "/api/v2/search?q="};
  const char* notes[] = {"read timeout after 5s", "connection refused", "ok", "upstream request timeout (30000 ms)",
                         "SELECT * FROM orders WHERE id = ", "cache miss for key user:"};
  std::vector<std::string> out;
  std::uint64_t x = 42;
  auto next = [&x] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 3 == 0) out.push_back(std::string(verbs[next() % 4]) + " " + paths[next() % 5] + std::to_string(next() % 100000));
    else if (i % 3 == 1) out.push_back(std::string(notes[next() % 6]) + std::to_string(next() % 1000));
    else out.push_back(std::to_string(next()));  // status codes, ids, sizes
  }
  return out;
}

template <class F>
double seconds(F&& f) {
  const auto start = bench_clock::now();
  f();
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::string_view(argv[1]) == "--smoke";
  if (argc > 1 && !smoke) {
    std::fprintf(stderr, "usage: regex-bench [--smoke]\n");
    return 64;
  }
  const std::size_t count = smoke ? 2'000 : 50'000;
  const int reps = smoke ? 3 : 7;
  const std::vector<std::string> texts = subjects(count);
  const char* patterns[] = {"GET /api/.*", ".*timeout.*", "[0-9]+", "(GET|POST) /api/[a-z]+/[0-9]+",
                            "[a-z ]+[0-9]*", ".*(refused|miss).*"};
  std::printf("%zu texts, median of %d runs, full matches\n", count, reps);
  std::printf("%-32s %8s %12s %12s %8s\n", "pattern", "matches", "ours ns/op", "std ns/op", "ratio");
  int disagreements = 0;
  for (const char* pattern : patterns) {
    const trace::regex ours(pattern);
    const std::regex reference(pattern, std::regex::ECMAScript);
    std::size_t ours_hits = 0, std_hits = 0;
    std::vector<double> ours_times, std_times;
    for (int r = 0; r < reps; ++r) {
      ours_times.push_back(seconds([&] {
        ours_hits = 0;
        for (const std::string& t : texts) ours_hits += ours.full_match(t);
      }));
      std_times.push_back(seconds([&] {
        std_hits = 0;
        for (const std::string& t : texts) std_hits += std::regex_match(t, reference);
      }));
    }
    if (ours_hits != std_hits) {
      std::fprintf(stderr, "regex-bench: %s: %zu matches, std::regex %zu\n", pattern, ours_hits, std_hits);
      ++disagreements;
    }
    const double ours_ns = median(ours_times) / static_cast<double>(count) * 1e9;
    const double std_ns = median(std_times) / static_cast<double>(count) * 1e9;
    std::printf("%-32s %8zu %12.0f %12.0f %7.2fx\n", pattern, ours_hits, ours_ns, std_ns, std_ns / ours_ns);
  }
  // The case std::regex cannot do: one nested-quantifier pattern on a 30-byte text.
  const std::string bomb = std::string(smoke ? 18 : 24, 'a') + "!";
  const trace::regex ours_bomb("(a+)+$");
  const std::regex std_bomb("(a+)+$", std::regex::ECMAScript);
  bool ours_answer = true, std_answer = true;
  const double ours_s = seconds([&] { ours_answer = ours_bomb.full_match(bomb); });
  const double std_s = seconds([&] { std_answer = std::regex_match(bomb, std_bomb); });
  std::printf("%-32s %8s %12.0f %12.0f %7.0fx   (\"a\" x %zu + \"!\")\n", "(a+)+$", "-", ours_s * 1e9, std_s * 1e9,
              std_s / ours_s, bomb.size() - 1);
  if (ours_answer || std_answer) ++disagreements;
  return disagreements == 0 ? 0 : 1;
}
