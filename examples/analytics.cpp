// Analytics over a generated two-hour workload of a small shop: summary, slowest
// operations, the anomaly report (second hour against the first), shifts found by the
// statistical detector, alerts replayed as the spans arrive, the slowest trace against the
// fastest, and the service graph.
// Deterministic: the workload comes from a fixed seed and the generator's own arithmetic.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "trace/analytics.hpp"
#include "trace/store/memory.hpp"

namespace {

// A small linear congruential generator: the same numbers on every platform.
class generator {
 public:
  std::uint64_t next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }
  std::uint64_t between(std::uint64_t low, std::uint64_t high) { return low + next() % (high - low + 1); }
  bool chance(unsigned percent) { return next() % 1000 < percent * 10; }

 private:
  std::uint64_t state_ = 42;
};

constexpr trace::timestamp_ns origin = 1'700'000'000ULL * trace::second;  // 2023-11-14T22:13:20Z

// One purchase: frontend → checkout → payments, checkout → inventory, checkout → postgres.
// From minute 95 payments fail more often; from minute 100 inventory is slower.
void purchase(std::vector<trace::span>& out, generator& g, std::uint64_t n, trace::timestamp_ns start) {
  auto minute = (start - origin) / trace::minute;
  auto ms = [](std::uint64_t v) { return v * trace::millisecond; };
  trace::trace_id id{0x5e5e, n};
  auto add = [&](std::uint64_t sid, std::uint64_t parent, const char* service, const char* name, trace::span_kind kind,
                 trace::timestamp_ns begin, trace::duration_ns length, bool error) {
    trace::span s;
    s.trace = id;
    s.id = trace::span_id{n * 16 + sid};
    s.parent = trace::span_id{parent ? n * 16 + parent : 0};
    s.resource.service_name = service;
    s.name = name;
    s.kind = kind;
    s.start = begin;
    s.end = begin + length;
    if (error) {
      s.status.code = trace::status_code::error;
      s.status.message = "card declined";
    }
    out.push_back(std::move(s));
  };
  bool pay_fails = g.chance(minute >= 95 ? 15 : 1);
  auto pay = ms(g.between(20, 40));
  auto stock = ms(g.between(5, 12) * (minute >= 100 ? 8 : 1));
  auto query = ms(g.between(1, 4));
  auto checkout = pay + stock + query + ms(3);
  auto total = checkout + ms(g.between(5, 15));
  add(1, 0, "frontend", "POST /buy", trace::span_kind::server, start, total, pay_fails);
  add(2, 1, "frontend", "checkout.Place", trace::span_kind::client, start + ms(1), checkout + ms(2), pay_fails);
  add(3, 2, "checkout", "Place", trace::span_kind::server, start + ms(2), checkout, pay_fails);
  add(4, 3, "checkout", "payments.Charge", trace::span_kind::client, start + ms(3), pay, pay_fails);
  add(5, 4, "payments", "Charge", trace::span_kind::server, start + ms(3), pay - ms(1), pay_fails);
  add(6, 3, "checkout", "inventory.Reserve", trace::span_kind::client, start + ms(3) + pay, stock, false);
  add(7, 6, "inventory", "Reserve", trace::span_kind::server, start + ms(3) + pay, stock - ms(1), false);
  add(8, 3, "checkout", "SELECT orders", trace::span_kind::client, start + ms(3) + pay + stock, query, false);
  out.back().attributes.set("peer.service", "postgres");
}

void print_stats_row(const std::string& name, const trace::span_stats& s) {
  std::printf("  %-28s %6zu spans %5.1f%% errors  p50 %-7s p95 %-7s p99 %s\n", name.c_str(), s.count,
              s.error_rate * 100, trace::format_duration(s.p50).c_str(), trace::format_duration(s.p95).c_str(),
              trace::format_duration(s.p99).c_str());
}

}  // namespace

int main() {
  generator g;
  std::vector<trace::span> spans;
  std::vector<trace::alert_event> alerts;
  trace::timestamp_ns clock = origin;
  trace::alert_monitor monitor([&](const trace::alert_event& e) { alerts.push_back(e); }, [&] { return clock; });
  monitor.add_rule({"payments failing", trace::parse_alert_condition("error_rate > 8% over 10m"), "payments", "", 40});
  monitor.add_rule({"inventory slow", trace::parse_alert_condition("p95 > 50ms over 5m"), "inventory", "", 20});

  // Two hours, a purchase every 6 to 14 seconds; each trace is handed to the alert monitor
  // as it completes, with the clock at its end.
  std::uint64_t n = 0;
  for (auto t = origin; t < origin + 2 * trace::hour; t += g.between(6, 14) * trace::second) {
    auto first = spans.size();
    purchase(spans, g, ++n, t);
    clock = spans[first].end;
    for (auto i = first; i < spans.size(); ++i) monitor(spans[i]);
  }
  trace::memory_store store;
  store.append(spans);

  auto report = trace::summarize(store.scan());
  std::printf("== summary: %zu spans, %zu traces, %.2f%% errors\n", report.spans.count, report.trace_count,
              report.spans.error_rate * 100);
  for (const auto& s : report.services) print_stats_row(s.service, s.stats);

  trace::group_by_options slowest;
  slowest.keys = {trace::by::service(), trace::by::operation()};
  slowest.order = trace::group_order::p95;
  slowest.limit = 4;
  auto page = trace::group_spans(store.scan(), slowest);
  std::printf("\n== slowest operations by p95 (%zu of %zu)\n", page.rows.size(), page.total_groups);
  for (const auto& row : page.rows) print_stats_row(row.key[0] + " " + row.key[1], row.stats);

  trace::time_window baseline{origin, origin + trace::hour}, current{origin + trace::hour, origin + 2 * trace::hour};
  auto anomalies = trace::detect_anomalies(store.scan(), current, baseline);
  std::printf("\n== anomalies, second hour against the first\n");
  for (const auto& a : anomalies)
    std::printf("  [%s] %s: %s\n", std::string(to_string(a.severity)).c_str(), std::string(to_string(a.kind)).c_str(),
                a.description.c_str());

  trace::red_shift_options shifts;
  shifts.red.bucket = 5 * trace::minute;
  shifts.red.percentiles = trace::percentile_method::exact;
  std::printf("\n== shifts against the previous buckets (5 min buckets, robust z-score)\n");
  for (const auto& s : trace::detect_red_shifts(store.scan(), shifts))
    std::printf("  %s (score %s)\n", s.description.c_str(),
                std::isinf(s.point.score) ? "inf" : std::to_string(static_cast<int>(s.point.score)).c_str());

  std::printf("\n== alerts as the spans arrived\n");
  for (const auto& a : alerts)
    std::printf("  minute %3llu %-8s %-17s value %s over %zu spans\n",
                static_cast<unsigned long long>((a.at - origin) / trace::minute),
                a.state == trace::alert_state::firing ? "FIRING" : "resolved", a.rule.c_str(),
                a.rule == "inventory slow" ? trace::format_duration(static_cast<trace::duration_ns>(a.value)).c_str()
                                           : (std::to_string(static_cast<int>(std::lround(a.value * 1000)) / 10) + "." +
                                              std::to_string(static_cast<int>(std::lround(a.value * 1000)) % 10) + "%")
                                                 .c_str(),
                a.requests);

  auto profiles = trace::profile_traces(store.scan());
  const auto& slowest_trace = profiles.front();
  std::printf("\n== slowest trace: %s, %zu spans, %zu errors, services:", trace::format_duration(slowest_trace.duration).c_str(),
              slowest_trace.span_count, slowest_trace.error_count);
  for (const auto& s : slowest_trace.services) std::printf(" %s", s.c_str());
  std::printf("\n  critical path:");
  for (const auto& share : slowest_trace.critical_path)
    std::printf(" %s %.0f%%", share.service.c_str(), share.share * 100);
  auto comparison = trace::compare_traces(store.find_trace(profiles.back().trace), store.find_trace(slowest_trace.trace),
                                          5 * trace::millisecond);
  std::printf("\n  against the fastest (%s, same shape: %s), slower by 5 ms or more:\n",
              trace::format_duration(comparison.before).c_str(), comparison.same_shape ? "yes" : "no");
  for (const auto& change : comparison.slower)
    std::printf("    %7s -> %-7s %s\n", trace::format_duration(change.before).c_str(),
                trace::format_duration(change.after).c_str(), change.path.c_str());

  trace::service_graph_options graph_options;
  graph_options.percentiles = trace::percentile_method::exact;
  std::printf("\n== service graph\n%s", trace::to_dot(trace::build_service_graph(store.scan(), graph_options)).c_str());
}
