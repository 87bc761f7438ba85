// Alert rules: the condition syntax, and incremental evaluation driven by a synthetic
// clock, with firing and resolving callbacks.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "support/make_span.hpp"
#include "trace/analytics/alert.hpp"

using trace::alert_comparison;
using trace::alert_metric;
using trace::alert_state;

TEST_CASE("conditions parse metric, comparison, threshold and window") {
  auto c = trace::parse_alert_condition("error_rate > 5% over 5m");
  CHECK(c == trace::alert_condition{alert_metric::error_rate, alert_comparison::above, 0.05, 5 * trace::minute});
  c = trace::parse_alert_condition("p95 > 500ms over 10m");
  CHECK(c == trace::alert_condition{alert_metric::p95, alert_comparison::above, 500.0 * trace::millisecond, 10 * trace::minute});
  c = trace::parse_alert_condition("  count <= 10 over 1h ");
  CHECK(c == trace::alert_condition{alert_metric::count, alert_comparison::at_most, 10, trace::hour});
  c = trace::parse_alert_condition("avg >= 1.5s over 30s");
  CHECK(c == trace::alert_condition{alert_metric::average, alert_comparison::at_least, 1.5 * trace::second, 30 * trace::second});
  c = trace::parse_alert_condition("error_rate < 0.2 over 90s");
  CHECK(c.threshold == 0.2);
  CHECK(c.comparison == alert_comparison::below);
}

TEST_CASE("bad conditions are refused naming the bad part") {
  auto message = [](const char* text) {
    try {
      trace::parse_alert_condition(text);
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::parse_error);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message("latency > 5 over 5m") ==
        "parse error: alert condition \"latency > 5 over 5m\": unknown metric 'latency' (error_rate, error_count, "
        "count, rate, avg, max, p50, p95, p99)");
  CHECK(message("p95 => 5ms over 5m") == "parse error: alert condition \"p95 => 5ms over 5m\": unknown comparison '=>' (>, >=, <, <=)");
  CHECK(message("p95 > 500 over 5m") ==
        "parse error: alert condition \"p95 > 500 over 5m\": '500' needs a duration unit (ns, us, ms, s, m, h)");
  CHECK(message("error_rate > 5 over 5m") ==
        "parse error: alert condition \"error_rate > 5 over 5m\": error rate '5' must be a percentage or a fraction up to 1");
  CHECK(message("count > ten over 5m") == "parse error: alert condition \"count > ten over 5m\": 'ten' is not a non-negative number");
  CHECK(message("count > 10 in 5m") == "parse error: alert condition \"count > 10 in 5m\": expected 'over' after the threshold");
  CHECK(message("count > 10 over") == "parse error: alert condition \"count > 10 over\": missing window");
  CHECK(message("count > 10 over 0s") == "parse error: alert condition \"count > 10 over 0s\": the window must be longer than 0");
  CHECK(message("count > 10 over 5m please") ==
        "parse error: alert condition \"count > 10 over 5m please\": unexpected text after the window");
}

namespace {

struct harness {
  trace::timestamp_ns now = 0;
  std::vector<trace::alert_event> events;
  trace::alert_monitor monitor{[this](const trace::alert_event& e) { events.push_back(e); }, [this] { return now; }};
  std::uint64_t next_id = 1;

  // A span of `service` ending at the clock's current time.
  void span(const std::string& service, std::uint64_t ms, bool error = false) {
    auto end_ms = now / trace::millisecond;
    auto s = trace_test::make_span(next_id, next_id, 0, service, "op", end_ms - ms, end_ms,
                                   error ? trace::status_code::error : trace::status_code::unset);
    ++next_id;
    monitor(s);
  }
};

}  // namespace

TEST_CASE("an error-rate rule fires once when crossed and resolves when the window empties") {
  harness h;
  h.now = trace::hour;
  h.monitor.add_rule({"checkout errors", trace::parse_alert_condition("error_rate > 5% over 5m"), "checkout", "", 10});
  for (int i = 0; i < 20; ++i) {
    h.now += trace::second;
    h.span("checkout", 10);
  }
  h.span("checkout", 10, true);  // 1 / 21 = 4.8%
  h.span("search", 10, true);    // another service: ignored
  CHECK(h.events.empty());
  h.span("checkout", 10, true);  // 2 / 22 = 9.1%
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].rule == "checkout errors");
  CHECK(h.events[0].state == alert_state::firing);
  CHECK(h.events[0].value == Approx(2.0 / 22));
  CHECK(h.events[0].requests == 22);
  CHECK(h.events[0].at == h.now);
  CHECK(h.monitor.firing("checkout errors"));
  h.span("checkout", 10, true);
  CHECK(h.events.size() == 1);  // still firing: no new event

  h.now += 6 * trace::minute;
  h.monitor.evaluate(h.now);
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1].state == alert_state::resolved);
  CHECK(h.events[1].requests == 0);
  CHECK_FALSE(h.monitor.firing("checkout errors"));
}

TEST_CASE("old errors slide out of the window and the rule resolves") {
  harness h;
  h.now = trace::hour;
  h.monitor.add_rule({"errors", trace::parse_alert_condition("error_rate > 10% over 1m"), "", ""});
  for (int i = 0; i < 5; ++i) h.span("api", 5, true);
  REQUIRE(h.events.size() == 1);
  // Healthy traffic every 5 s: the errors leave the window after one minute (+ a slice).
  int healthy = 0;
  while (h.events.size() == 1 && healthy < 100) {
    h.now += 5 * trace::second;
    h.span("api", 5);
    ++healthy;
  }
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1].state == alert_state::resolved);
  CHECK(h.events[1].value == 0);
  // Resolved between one window and one window plus a slice (6 s) after the errors.
  CHECK(healthy * 5 >= 60);
  CHECK(healthy * 5 <= 66 + 5);
}

TEST_CASE("a p95 latency rule measures the window's p95 within the sketch accuracy") {
  harness h;
  h.now = trace::hour;
  h.monitor.add_rule({"slow", trace::parse_alert_condition("p95 > 500ms over 10m"), "api", "op"});
  for (int i = 0; i < 90; ++i) {
    h.now += trace::second;
    h.span("api", 100);
  }
  CHECK(h.events.empty());
  for (int i = 0; i < 10; ++i) {
    h.now += trace::second;
    h.span("api", 900);
  }
  // 100 spans: p95 (rank 94) is 900 ms once 6 slow spans arrived.
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].requests == 96);
  CHECK(h.events[0].value == Approx(900.0 * trace::millisecond).epsilon(0.01));
}

TEST_CASE("traffic rules measure empty windows too") {
  harness h;
  h.now = trace::hour;
  h.monitor.add_rule({"quiet", trace::parse_alert_condition("count < 3 over 1m"), "", ""});
  h.monitor.evaluate(h.now);
  REQUIRE(h.events.size() == 1);  // no traffic at all: count 0 < 3
  CHECK(h.events[0].value == 0);
  for (int i = 0; i < 3; ++i) h.span("api", 1);
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1].state == alert_state::resolved);
  CHECK(h.events[1].value == 3);
}

TEST_CASE("a rule with too few requests stays quiet") {
  harness h;
  h.now = trace::hour;
  h.monitor.add_rule({"errors", trace::parse_alert_condition("error_rate > 50% over 1m"), "", "", 5});
  for (int i = 0; i < 4; ++i) h.span("api", 1, true);
  CHECK(h.events.empty());
  h.span("api", 1, true);
  CHECK(h.events.size() == 1);
}

TEST_CASE("rule names are unique and the slice count positive") {
  harness h;
  h.monitor.add_rule({"x", trace::parse_alert_condition("count > 1 over 1m"), "", ""});
  CHECK_THROWS_WITH(h.monitor.add_rule({"x", trace::parse_alert_condition("count > 2 over 1m"), "", ""}),
                    "invalid argument: alert_monitor: a rule named 'x' exists");
  CHECK_THROWS_WITH(trace::alert_monitor(nullptr, trace::now_ns, 0),
                    "invalid option: alert_monitor: slices_per_window must be at least 1");
}

TEST_CASE("spans may be observed from several threads") {
  trace::timestamp_ns now = trace::hour;
  std::vector<trace::alert_event> events;
  trace::alert_monitor monitor([&](const trace::alert_event& e) { events.push_back(e); });
  monitor.add_rule({"volume", trace::parse_alert_condition("count > 3999 over 1h"), "", ""});
  auto work = [&](std::uint64_t first) {
    for (std::uint64_t i = 0; i < 2000; ++i)
      monitor.observe(trace_test::make_span(first + i, first + i, 0, "api", "op", now / trace::millisecond - 1,
                                            now / trace::millisecond));
  };
  std::thread a(work, 1), b(work, 10'000);
  a.join();
  b.join();
  monitor.evaluate(now);
  REQUIRE(events.size() == 1);
  CHECK(events[0].value == 4000);
}
