#pragma once
// The counters /metrics shows, in Prometheus' text exposition format. Updated from every
// thread, so each one is an atomic; the text is a snapshot of them.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace trace_server {

class server_metrics {
 public:
  // Upper bounds of the ingest latency buckets, in seconds (request arrived → answered).
  static constexpr std::array<double, 12> latency_bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   5};

  void spans_accepted(std::uint64_t n) { spans_accepted_ += n; }
  void spans_rejected(std::uint64_t n) { spans_rejected_ += n; }
  void body_bytes(std::uint64_t n) { bytes_ += n; }
  void response(int status) {
    if (status >= 100 && status < 600) ++by_status_[static_cast<std::size_t>(status)];
  }
  void ingest_latency(std::chrono::steady_clock::duration d);
  // Published by the store's writer thread, the only one allowed to ask the store these.
  void store_state(std::uint64_t segments, std::uint64_t disk_bytes) { store_segments_ = segments, store_bytes_ = disk_bytes; }

  // `store_spans`: the store's size now (a reading call, safe from any thread).
  std::string prometheus_text(std::uint64_t store_spans) const;

 private:
  std::atomic<std::uint64_t> spans_accepted_{0}, spans_rejected_{0}, bytes_{0};
  std::array<std::atomic<std::uint64_t>, 600> by_status_{};
  std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> latency_buckets_{};  // the last: +Inf
  std::atomic<std::uint64_t> latency_count_{0}, latency_sum_us_{0};
  std::atomic<std::uint64_t> store_segments_{0}, store_bytes_{0};
};

inline void server_metrics::ingest_latency(std::chrono::steady_clock::duration d) {
  const double seconds = std::chrono::duration<double>(d).count();
  std::size_t bucket = 0;
  while (bucket < latency_bounds.size() && seconds > latency_bounds[bucket]) ++bucket;
  ++latency_buckets_[bucket];
  ++latency_count_;
  latency_sum_us_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

inline std::string server_metrics::prometheus_text(std::uint64_t store_spans) const {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto line = [&out](const std::string& name, std::uint64_t value) { out += name + " " + std::to_string(value) + "\n"; };
  metric("trace_server_spans_received_total", "counter", "Spans acknowledged durable.");
  line("trace_server_spans_received_total", spans_accepted_);
  metric("trace_server_spans_rejected_total", "counter",
         "Spans refused: invalid ones of a partial success, and those of requests answered 503.");
  line("trace_server_spans_rejected_total", spans_rejected_);
  metric("trace_server_received_bytes_total", "counter", "Decoded OTLP request body bytes.");
  line("trace_server_received_bytes_total", bytes_);
  metric("trace_server_http_requests_total", "counter", "HTTP responses sent, by status code.");
  for (std::size_t status = 100; status < by_status_.size(); ++status)
    if (auto n = by_status_[status].load()) line("trace_server_http_requests_total{code=\"" + std::to_string(status) + "\"}", n);
  metric("trace_server_store_spans", "gauge", "Spans in the store.");
  line("trace_server_store_spans", store_spans);
  metric("trace_server_store_segments", "gauge", "Segment files of the store (sealed and active).");
  line("trace_server_store_segments", store_segments_);
  metric("trace_server_store_bytes", "gauge", "Bytes the store's files use on disk.");
  line("trace_server_store_bytes", store_bytes_);
  metric("trace_server_ingest_latency_seconds", "histogram", "From a POST /v1/traces arriving to its answer (after the sync).");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < latency_buckets_.size(); ++b) {
    cumulative += latency_buckets_[b];
    std::string le = b < latency_bounds.size() ? std::to_string(latency_bounds[b]) : "+Inf";
    if (b < latency_bounds.size()) le.erase(le.find_last_not_of('0') + 1);  // 0.001000 → 0.001
    if (le.ends_with('.')) le.pop_back();
    line("trace_server_ingest_latency_seconds_bucket{le=\"" + le + "\"}", cumulative);
  }
  out += "trace_server_ingest_latency_seconds_sum " + std::to_string(static_cast<double>(latency_sum_us_) / 1e6) + "\n";
  line("trace_server_ingest_latency_seconds_count", latency_count_);
  return out;
}

}  // namespace trace_server
