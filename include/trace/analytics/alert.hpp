#pragma once
// Alert rules evaluated incrementally as spans arrive.
//
//   trace::alert_monitor monitor([](const trace::alert_event& e) { page(e); });
//   monitor.add_rule({"checkout errors", trace::parse_alert_condition("error_rate > 5% over 5m"), "checkout"});
//   monitor(finished_span);   // the monitor is a span listener: call it from a processor or store
//
// Each rule keeps its window as a ring of slices (window / slices_per_window wide), each a
// `mergeable_stats`, so a span costs O(rules) and an
// evaluation O(rules × slices) whatever the traffic. A span belongs to the slice of its end
// time. The window evaluated at `now` is the slices that end after now − window: up to one
// slice wider than asked. A rule fires when its condition holds over a window of at least
// `min_requests` spans, and resolves when it stops holding. Traffic metrics (count,
// error_count, rate) are measured on any window, an empty one too, so `count < 10` fires
// when traffic stops; the others have no value on an empty window, which resolves them.
// Callbacks see every transition once, with the measured value, and run outside the lock.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "trace/analytics/mergeable_stats.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/core/time.hpp"

namespace trace {
inline namespace v0 {

enum class alert_metric : std::uint8_t { error_rate, error_count, count, rate, average, max, p50, p95, p99 };
enum class alert_comparison : std::uint8_t { above, at_least, below, at_most };  // > >= < <=

// Units: error_rate a fraction; rate spans per second; latencies (average, max, pNN) ns.
struct alert_condition {
  alert_metric metric = alert_metric::error_rate;
  alert_comparison comparison = alert_comparison::above;
  double threshold = 0;
  duration_ns window = 5 * minute;

  bool holds(double value) const noexcept;
  friend bool operator==(const alert_condition&, const alert_condition&) = default;
};

// Parses "<metric> <op> <value> over <window>", e.g. "error_rate > 5% over 5m",
// "p95 > 500ms over 10m", "count < 10 over 1h". Metrics: error_rate, error_count, count,
// rate, avg, max, p50, p95, p99; ops: > >= < <=; error_rate takes a percentage or a
// fraction, latencies and the window a number with ns, us, ms, s, m or h. Refuses anything
// else with errc::parse_error naming the condition and the bad part.
alert_condition parse_alert_condition(std::string_view text);

struct alert_rule {
  std::string name;
  alert_condition condition;
  std::string service;    // empty: every service
  std::string operation;  // empty: every operation
  std::size_t min_requests = 1;  // ignored by count, error_count and rate
};

enum class alert_state : std::uint8_t { firing, resolved };

struct alert_event {
  std::string rule;
  alert_state state = alert_state::firing;
  double value = 0;  // the metric over the window, in the condition's unit
  std::size_t requests = 0;
  timestamp_ns at = 0;
};

class alert_monitor {
 public:
  using callback = std::function<void(const alert_event&)>;
  using clock = std::function<timestamp_ns()>;

  // `now` is read after each observed span; tests pass a synthetic clock.
  explicit alert_monitor(callback on_change, clock now = now_ns, std::size_t slices_per_window = 10);

  void add_rule(alert_rule rule);

  // The span listener: records the span, then evaluates at the clock's time.
  template <span_like S>
  void operator()(const S& span) {
    observe(span);
    evaluate(now_());
  }
  // Records without evaluating (for batches: observe each, evaluate once).
  template <span_like S>
  void observe(const S& span);
  // Fires and resolves rules as of `now`; call it on a timer to resolve idle windows.
  void evaluate(timestamp_ns now);

  bool firing(std::string_view rule) const;

 private:
  struct slice {
    timestamp_ns start = 0;
    mergeable_stats stats;
  };
  struct rule_state {
    alert_rule rule;
    duration_ns slice_width;
    std::deque<slice> slices;  // ascending start
    bool firing = false;
  };
  static double measure(const rule_state& r, timestamp_ns now, std::size_t& requests);

  callback on_change_;
  clock now_;
  std::size_t slices_per_window_;
  std::vector<rule_state> rules_;
  mutable std::mutex mutex_;
};

// ---- definitions ----

inline bool alert_condition::holds(double value) const noexcept {
  switch (comparison) {
    case alert_comparison::above: return value > threshold;
    case alert_comparison::at_least: return value >= threshold;
    case alert_comparison::below: return value < threshold;
    case alert_comparison::at_most: return value <= threshold;
  }
  return false;
}

namespace detail {

class condition_parser {
 public:
  explicit condition_parser(std::string_view text) : text_(text), rest_(text) {}

  // The message is appended piece by piece: `"literal" + std::string(...)` trips g++ 12's
  // false -Wrestrict at -O3, and users build these headers with their own flags and -Werror.
  [[noreturn]] void fail(std::initializer_list<std::string_view> what) const {
    std::string message = "alert condition \"";
    message.append(text_).append("\": ");
    for (std::string_view part : what) message.append(part);
    throw error(errc::parse_error, message);
  }
  std::string_view word(const char* expected) {
    while (!rest_.empty() && rest_.front() == ' ') rest_.remove_prefix(1);
    if (rest_.empty()) fail({"missing ", expected});
    auto end = std::min(rest_.find(' '), rest_.size());
    auto w = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return w;
  }
  bool at_end() const { return rest_.find_first_not_of(' ') == std::string_view::npos; }

  // A number with an optional suffix; returns the suffix.
  std::string_view number(std::string_view token, double& value) const {
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || !(value >= 0)) fail({"'", token, "' is not a non-negative number"});
    return token.substr(static_cast<std::size_t>(end - token.data()));
  }
  double duration(std::string_view token) const {
    double value;
    auto unit = number(token, value);
    struct named { std::string_view suffix; duration_ns scale; };
    constexpr named units[] = {{"ns", nanosecond}, {"us", microsecond}, {"ms", millisecond},
                               {"s", second},      {"m", minute},       {"h", hour}};
    for (const auto& u : units)
      if (unit == u.suffix) return value * static_cast<double>(u.scale);
    fail({"'", token, "' needs a duration unit (ns, us, ms, s, m, h)"});
  }

 private:
  std::string_view text_;
  std::string_view rest_;
};

}  // namespace detail

inline alert_condition parse_alert_condition(std::string_view text) {
  detail::condition_parser in(text);
  alert_condition c;
  struct metric_name { std::string_view name; alert_metric metric; };
  constexpr metric_name metrics[] = {{"error_rate", alert_metric::error_rate}, {"error_count", alert_metric::error_count},
                                     {"count", alert_metric::count},           {"rate", alert_metric::rate},
                                     {"avg", alert_metric::average},           {"max", alert_metric::max},
                                     {"p50", alert_metric::p50},               {"p95", alert_metric::p95},
                                     {"p99", alert_metric::p99}};
  auto name = in.word("metric");
  auto metric = std::ranges::find(metrics, name, &metric_name::name);
  if (metric == std::end(metrics))
    in.fail({"unknown metric '", name, "' (error_rate, error_count, count, rate, avg, max, p50, p95, p99)"});
  c.metric = metric->metric;

  auto op = in.word("comparison");
  if (op == ">") c.comparison = alert_comparison::above;
  else if (op == ">=") c.comparison = alert_comparison::at_least;
  else if (op == "<") c.comparison = alert_comparison::below;
  else if (op == "<=") c.comparison = alert_comparison::at_most;
  else in.fail({"unknown comparison '", op, "' (>, >=, <, <=)"});

  auto value = in.word("threshold");
  switch (c.metric) {
    case alert_metric::error_rate: {
      auto suffix = in.number(value, c.threshold);
      if (suffix == "%") c.threshold /= 100;
      else if (!suffix.empty() || c.threshold > 1) in.fail({"error rate '", value, "' must be a percentage or a fraction up to 1"});
      break;
    }
    case alert_metric::error_count:
    case alert_metric::count:
    case alert_metric::rate:
      if (!in.number(value, c.threshold).empty()) in.fail({"'", value, "' must be a plain number"});
      break;
    default: c.threshold = in.duration(value);
  }
  if (in.word("'over'") != "over") in.fail({"expected 'over' after the threshold"});
  c.window = static_cast<duration_ns>(in.duration(in.word("window")));
  if (c.window == 0) in.fail({"the window must be longer than 0"});
  if (!in.at_end()) in.fail({"unexpected text after the window"});
  return c;
}

inline alert_monitor::alert_monitor(callback on_change, clock now, std::size_t slices_per_window)
    : on_change_(std::move(on_change)), now_(std::move(now)), slices_per_window_(slices_per_window) {
  if (slices_per_window == 0) throw error(errc::invalid_option, "alert_monitor: slices_per_window must be at least 1");
}

inline void alert_monitor::add_rule(alert_rule rule) {
  std::lock_guard lock(mutex_);
  for (const auto& r : rules_)
    if (r.rule.name == rule.name) throw error(errc::invalid_argument, "alert_monitor: a rule named '" + rule.name + "' exists");
  duration_ns width = std::max<duration_ns>(1, rule.condition.window / slices_per_window_);
  rules_.push_back({std::move(rule), width, {}, false});
}

template <span_like S>
void alert_monitor::observe(const S& span) {
  timestamp_ns end = end_of(span);
  duration_ns duration = duration_of(span);
  bool error = status_of(span) == status_code::error;
  std::lock_guard lock(mutex_);
  for (auto& r : rules_) {
    if (!r.rule.service.empty() && r.rule.service != service_of(span)) continue;
    if (!r.rule.operation.empty() && r.rule.operation != name_of(span)) continue;
    timestamp_ns start = end / r.slice_width * r.slice_width;
    // Spans mostly arrive in end order, so the slice is usually the last one.
    auto place = std::find_if(r.slices.rbegin(), r.slices.rend(), [&](const slice& s) { return s.start <= start; });
    if (place == r.slices.rend() || place->start != start) {
      if (!r.slices.empty() && start + r.rule.condition.window + r.slice_width < r.slices.back().start)
        continue;  // far older than anything the window will look at again
      place = std::make_reverse_iterator(r.slices.insert(place.base(), slice{start, mergeable_stats{}}) + 1);
    }
    place->stats.add(duration, error);
  }
}

inline double alert_monitor::measure(const rule_state& r, timestamp_ns now, std::size_t& requests) {
  mergeable_stats window;
  for (const auto& s : r.slices) {
    if (s.start > now) break;  // not yet in the window
    window.merge(s.stats);
  }
  requests = window.count();
  if (requests == 0) return 0;
  const quantile_sketch& latencies = window.latencies();
  switch (r.rule.condition.metric) {
    case alert_metric::error_rate: return static_cast<double>(window.errors()) / static_cast<double>(requests);
    case alert_metric::error_count: return static_cast<double>(window.errors());
    case alert_metric::count: return static_cast<double>(requests);
    case alert_metric::rate:
      return static_cast<double>(requests) * static_cast<double>(second) / static_cast<double>(r.rule.condition.window);
    case alert_metric::average: return latencies.average();
    case alert_metric::max: return latencies.max();
    case alert_metric::p50: return latencies.quantile(0.50);
    case alert_metric::p95: return latencies.quantile(0.95);
    case alert_metric::p99: return latencies.quantile(0.99);
  }
  return 0;
}

inline void alert_monitor::evaluate(timestamp_ns now) {
  std::vector<alert_event> events;
  {
    std::lock_guard lock(mutex_);
    for (auto& r : rules_) {
      // Drop slices that end at or before now − window.
      while (!r.slices.empty() && r.slices.front().start + r.slice_width + r.rule.condition.window <= now)
        r.slices.pop_front();
      std::size_t requests = 0;
      double value = measure(r, now, requests);
      auto metric = r.rule.condition.metric;
      bool traffic = metric == alert_metric::count || metric == alert_metric::error_count || metric == alert_metric::rate;
      bool measured = traffic || (requests > 0 && requests >= r.rule.min_requests);
      bool breach = measured && r.rule.condition.holds(value);
      if (breach == r.firing) continue;
      r.firing = breach;
      events.push_back({r.rule.name, breach ? alert_state::firing : alert_state::resolved, value, requests, now});
    }
  }
  if (on_change_)
    for (const auto& e : events) on_change_(e);
}

inline bool alert_monitor::firing(std::string_view rule) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : rules_)
    if (r.rule.name == rule) return r.firing;
  return false;
}

}  // namespace v0
}  // namespace trace
