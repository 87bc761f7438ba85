#pragma once
// Deterministic synthetic workload for the benchmarks.
//
// Shape, all drawn from one seed with the generator's own arithmetic (no std::
// distributions, whose output differs between standard libraries):
//   * traces are fan-out trees of depth 2..6 holding 5..50 spans each; a trace first grows
//     a chain down to its chosen depth, then hangs the remaining spans under random
//     parents above the deepest level, so fan-out concentrates near the root;
//   * 20 services drawn Zipf-like (s = 1); each service owns 10 operations, drawn Zipf-like
//     within the service, so the 200 operations are Zipf-like overall;
//   * durations are log-normal (roots around 20 ms, children around 2 ms); a child starts
//     inside its parent's interval;
//   * about 1.5% of spans have status error (with a message), the rest are unset;
//   * 5 span attributes: http.method (string), http.status_code (int), tenant (string,
//     Zipf over 1000 tenants), region (string), payload.bytes (int).
// The last trace is cut short when the requested span count is reached.

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "trace/core.hpp"

namespace bench {

// xoshiro256** seeded through splitmix64: fast, and the same sequence everywhere.
class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() noexcept {
    std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) noexcept {
    return lo + static_cast<std::uint64_t>(uniform() * static_cast<double>(hi - lo + 1));
  }
  bool chance(double p) noexcept { return uniform() < p; }
  // Standard normal by Box-Muller (one of the pair is thrown away: simpler, still cheap).
  double normal() noexcept {
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double log_normal(double median, double sigma) noexcept { return median * std::exp(sigma * normal()); }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

// Rank k (0-based) drawn with probability proportional to 1 / (k + 1)^s.
class zipf {
 public:
  zipf(std::size_t n, double s) : cdf_(n) {
    double total = 0;
    for (std::size_t k = 0; k < n; ++k) cdf_[k] = total += 1.0 / std::pow(static_cast<double>(k + 1), s);
    for (double& c : cdf_) c /= total;
  }
  std::size_t operator()(rng& r) const noexcept {
    double u = r.uniform();
    std::size_t lo = 0, hi = cdf_.size() - 1;
    while (lo < hi) {  // first rank whose cumulative probability exceeds u
      std::size_t mid = (lo + hi) / 2;
      if (cdf_[mid] > u)
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }
  double probability(std::size_t k) const noexcept { return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1]; }

 private:
  std::vector<double> cdf_;
};

struct workload_config {
  std::uint64_t seed = 42;
  std::size_t spans = 1'000'000;
  double error_rate = 0.015;
};

inline constexpr std::size_t service_count = 20;
inline constexpr std::size_t operations_per_service = 10;
inline constexpr std::size_t operation_count = service_count * operations_per_service;
inline constexpr std::size_t tenant_count = 1000;

inline const std::array<const char*, service_count>& service_names() {
  static const std::array<const char*, service_count> names = {
      "frontend", "gateway",  "checkout", "cart",      "catalog",  "search",       "auth",
      "user",     "payment",  "pricing",  "inventory", "shipping", "notification", "email",
      "currency", "session",  "review",   "ads",       "recommendation", "analytics"};
  return names;
}

// Operation `k` of service `s`, e.g. "cart.get_item"; 200 distinct names in all.
inline std::string operation_name(std::size_t service, std::size_t k) {
  static const std::array<const char*, operations_per_service> verbs = {
      "get", "list", "create", "update", "delete", "validate", "lookup", "sync", "render", "export"};
  static const std::array<const char*, operations_per_service> objects = {
      "item", "items", "order", "profile", "token", "quote", "batch", "page", "index", "event"};
  return std::string(service_names()[service]) + "." + verbs[k] + "_" + objects[(k + service) % objects.size()];
}

inline std::string tenant_name(std::size_t k) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "tenant-%04zu", k);
  return buffer;
}

// The generated data, plus what the benchmarks need to know to pick their parameters.
struct workload {
  std::vector<trace::span> spans;
  std::vector<trace::trace_id> trace_ids;  // in generation order
};

inline workload generate(const workload_config& config) {
  rng r(config.seed);
  const zipf service_dist(service_count, 1.0);
  const zipf operation_dist(operations_per_service, 1.0);
  const zipf tenant_dist(tenant_count, 1.0);
  static const std::array<const char*, 6> regions = {"eu-west", "eu-central", "us-east", "us-west", "ap-south",
                                                     "ap-east"};
  static const std::array<const char*, 4> error_messages = {"deadline exceeded", "connection reset",
                                                            "upstream returned 503", "invalid argument"};

  std::vector<std::string> operations(operation_count);
  for (std::size_t s = 0; s < service_count; ++s)
    for (std::size_t k = 0; k < operations_per_service; ++k)
      operations[s * operations_per_service + k] = operation_name(s, k);
  std::vector<std::string> tenants(tenant_count);
  for (std::size_t k = 0; k < tenant_count; ++k) tenants[k] = tenant_name(k);

  workload out;
  out.spans.reserve(config.spans);
  const trace::timestamp_ns base = 1'735'689'600ULL * trace::second;  // 2025-01-01T00:00:00Z

  std::vector<std::size_t> depth;  // depth of each span of the current trace (root = 1)
  std::vector<std::size_t> eligible;
  std::size_t trace_number = 0;
  while (out.spans.size() < config.spans) {
    trace::trace_id tid;
    do tid = trace::trace_id(r.next(), r.next());
    while (!tid.valid());
    out.trace_ids.push_back(tid);

    const std::size_t size = r.between(5, 50);
    const std::size_t max_depth = r.between(2, 6);
    const std::size_t first = out.spans.size();
    const trace::timestamp_ns trace_start = base + trace_number++ * 5 * trace::millisecond + r.between(0, 999'999);
    std::string tenant = tenants[tenant_dist(r)];
    const char* region = regions[r.between(0, regions.size() - 1)];
    depth.clear();

    for (std::size_t i = 0; i < size && out.spans.size() < config.spans; ++i) {
      std::size_t parent_index;  // index within the trace; meaningless for the root
      if (i == 0) {
        parent_index = 0;
      } else if (i < max_depth) {
        parent_index = i - 1;  // the chain that gives the trace its depth
      } else {
        eligible.clear();
        for (std::size_t j = 0; j < i; ++j)
          if (depth[j] < max_depth) eligible.push_back(j);
        parent_index = eligible[r.between(0, eligible.size() - 1)];
      }
      depth.push_back(i == 0 ? 1 : depth[parent_index] + 1);

      trace::span s;
      s.trace = tid;
      do s.id = trace::span_id(r.next());
      while (!s.id.valid());
      std::size_t service = service_dist(r);
      std::size_t operation = operation_dist(r);
      s.name = operations[service * operations_per_service + operation];
      s.resource.service_name = service_names()[service];
      s.scope.name = "bench";
      s.scope.version = "1.0";

      trace::duration_ns duration;
      if (i == 0) {
        s.kind = trace::span_kind::server;
        s.start = trace_start;
        duration = static_cast<trace::duration_ns>(r.log_normal(20e6, 1.0));
      } else {
        const trace::span& parent = out.spans[first + parent_index];
        s.parent = parent.id;
        s.kind = r.chance(0.5) ? trace::span_kind::client : trace::span_kind::internal;
        s.start = parent.start + static_cast<trace::duration_ns>(r.uniform() * static_cast<double>(parent.end - parent.start));
        duration = static_cast<trace::duration_ns>(r.log_normal(2e6, 1.2));
      }
      s.end = s.start + (duration == 0 ? 1 : duration);

      bool failed = r.chance(config.error_rate);
      if (failed) {
        s.status.code = trace::status_code::error;
        s.status.message = error_messages[r.between(0, error_messages.size() - 1)];
      }
      double method = r.uniform();
      s.attributes.reserve(5);
      s.attributes.set("http.method", std::string(method < 0.7 ? "GET" : method < 0.9 ? "POST" : method < 0.95 ? "PUT" : "DELETE"));
      s.attributes.set("http.status_code", std::int64_t{failed ? 500 : r.chance(0.03) ? 404 : 200});
      s.attributes.set("tenant", tenant);
      s.attributes.set("region", std::string(region));
      s.attributes.set("payload.bytes", static_cast<std::int64_t>(r.log_normal(2048, 1.5)));
      out.spans.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace bench
