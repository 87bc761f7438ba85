// otlp-http-bench: what sending spans over OTLP/HTTP costs, end to end, beside encoding the
// same batches without sending them (the baseline, in the same run). The exporter sends to a
// server thread on 127.0.0.1 (tests/support/http_test_server.hpp) that reads each request
// whole and answers 200 at once; one kept-alive connection, one request per batch.
//
//   protobuf / JSON, encode only   encode_request / to_json of every batch
//   protobuf / JSON, exported      export_spans of every batch, then flush: encoding, the
//                                  exporter's queue, HTTP framing, loopback TCP, the answer
//
// Figures are the best of 3 rounds, in wall-clock time (two threads take part). Spans look
// like the io-bench's: four attributes, an event on every fourth.
//
//   otlp-http-bench [spans, default 200000] [batch size, default 512]

#include <trace/instrument/otlp_http_exporter.hpp>
#include <trace/io/otlp_protobuf.hpp>
#include <trace/io/otlp_writer.hpp>

#include "../tests/support/http_test_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace {

std::vector<trace::span> make_spans(std::size_t n) {
  std::vector<trace::span> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = out[i];
    s.trace = trace::trace_id{0x1234, i / 16 + 1};
    s.id = trace::span_id{i + 1};
    s.parent = trace::span_id{i % 16 == 0 ? 0 : i};
    s.resource.service_name = "service-" + std::to_string(i % 4);
    s.name = "GET /api/items/" + std::to_string(i % 50);
    s.kind = trace::span_kind::server;
    s.start = 1'700'000'000'000'000'000 + i * 1000;
    s.end = s.start + 250'000;
    s.attributes.set("http.method", std::string("GET"));
    s.attributes.set("http.status_code", std::int64_t{200});
    s.attributes.set("http.route", "/api/items/{id}");
    s.attributes.set("net.peer.port", std::int64_t(40000 + i % 1000));
    if (i % 4 == 0) s.events.push_back({.time = s.start + 100, .name = "cache miss"});
  }
  return out;
}

template <class Body>
double best_seconds(Body body) {
  double best = 1e300;
  for (int round = 0; round < 3; ++round) {
    auto started = std::chrono::steady_clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  const std::size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 512;
  if (n == 0 || batch == 0) {
    std::fprintf(stderr, "usage: otlp-http-bench [spans] [batch size]\n");
    return 2;
  }
  const auto spans = make_spans(n);
  auto batches = [&](auto&& each) {
    for (std::size_t at = 0; at < n; at += batch)
      each(std::span<const trace::span>(spans.data() + at, std::min(batch, n - at)));
  };

  trace_test::http_test_server server([](const trace_test::received_request&, std::size_t) {
    return trace_test::test_reply{};
  });
  std::printf("%zu spans in batches of %zu, best of 3 rounds, wall clock\n\n", n, batch);
  std::printf("%-30s %12s %10s %12s\n", "", "spans/s", "MB/s", "vs encode");
  for (auto protocol : {trace::otlp_protocol::http_protobuf, trace::otlp_protocol::http_json}) {
    const bool json = protocol == trace::otlp_protocol::http_json;
    std::size_t bytes = 0;
    const double encode = best_seconds([&] {
      bytes = 0;
      batches([&](std::span<const trace::span> b) {
        bytes += json ? trace::otlp::to_json(b).size() : trace::otlp::proto::encode_request(b).size();
      });
    });

    trace::otlp_http_options options;
    options.endpoint = server.url("/v1/traces");
    options.protocol = protocol;
    options.max_queue_spans = n;  // nothing dropped: the figure is throughput, not shedding
    options.flush_timeout = std::chrono::minutes(5);
    trace::otlp_http_exporter exporter(options);
    const double exported = best_seconds([&] {
      batches([&](std::span<const trace::span> b) { exporter.export_spans(b); });
      exporter.flush(options.flush_timeout);
    });
    const auto stats = exporter.stats();
    if (stats.spans_exported != 3 * n) {
      std::fprintf(stderr, "only %llu of %zu spans exported: %s\n",
                   static_cast<unsigned long long>(stats.spans_exported), 3 * n, stats.last_error.c_str());
      return 1;
    }
    const char* name = json ? "JSON" : "protobuf";
    std::printf("%-30s %12.0f %10.1f %12s\n", (std::string(name) + ", encode only").c_str(),
                static_cast<double>(n) / encode, static_cast<double>(bytes) / encode / 1e6, "1.00");
    std::printf("%-30s %12.0f %10.1f %12.2f\n", (std::string(name) + ", exported").c_str(),
                static_cast<double>(n) / exported, static_cast<double>(bytes) / exported / 1e6, encode / exported);
    std::printf("%-30s %12.1f bytes per span\n\n", "", static_cast<double>(bytes) / static_cast<double>(n));
  }
}
