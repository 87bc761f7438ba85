#include "server_options.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <thread>

#include <trace/net/tcp_stream.hpp>

namespace trace_server {
namespace {

std::string flag_error(std::string_view flag, std::string_view value, std::string_view expected) {
  return "--" + std::string(flag) + " " + std::string(value) + ": expected " + std::string(expected);
}

// A whole number, all of `text`, at most `max`.
std::optional<std::uint64_t> whole_number(std::string_view text, std::uint64_t max) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n > max) return std::nullopt;
  return n;
}

// "1500ms", "30s", "15m", "24h", "7d"; `zero_ok` for "0" meaning off.
trace::duration_ns parse_duration(std::string_view flag, std::string_view text, bool zero_ok) {
  struct unit { std::string_view suffix; trace::duration_ns scale; };
  constexpr unit units[] = {{"ms", trace::millisecond}, {"s", trace::second}, {"m", trace::minute},
                            {"h", trace::hour}, {"d", 24 * trace::hour}};
  if (zero_ok && text == "0") return 0;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  for (const unit& u : units)
    if (text.substr(digits) == u.suffix)
      if (auto n = whole_number(text.substr(0, digits), 1'000'000'000); n && *n > 0) return *n * u.scale;
  throw usage_error(flag_error(flag, text, std::string("a positive whole number and a unit (ms, s, m, h, d), such as 1s or 7d") +
                                              (zero_ok ? ", or 0 for off" : "")));
}

std::chrono::milliseconds parse_millis(std::string_view flag, std::string_view text) {
  return std::chrono::milliseconds(parse_duration(flag, text, false) / trace::millisecond);
}

// "65536", "64KiB", "64MiB", "2GiB" (also KB/MB/GB, as powers of 1024 too: sizes of buffers).
std::uint64_t parse_size(std::string_view flag, std::string_view text) {
  struct unit { std::string_view suffix; std::uint64_t scale; };
  constexpr unit units[] = {{"", 1}, {"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
                            {"KB", 1ull << 10}, {"MB", 1ull << 20}, {"GB", 1ull << 30}};
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  for (const unit& u : units)
    if (text.substr(digits) == u.suffix)
      if (auto n = whole_number(text.substr(0, digits), (1ull << 40) / u.scale); n && *n > 0) return *n * u.scale;
  throw usage_error(flag_error(flag, text, "a positive size in bytes, KiB, MiB or GiB, such as 64MiB"));
}

void parse_listen(server_options& out, std::string_view text) {
  const auto colon = text.rfind(':');
  std::string_view host = colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);  // [::1]
  auto port = colon == std::string_view::npos ? std::nullopt : whole_number(text.substr(colon + 1), 65535);
  if (host.empty() || !port) throw usage_error(flag_error("listen", text, "HOST:PORT, such as 127.0.0.1:4318 (port 0: any free port)"));
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(*port);
}

// "95%" or "95": a percent of the volume; "512MiB": a byte budget.
void parse_disk_usage(server_options& out, std::string_view text) {
  std::string_view number = text;
  if (number.ends_with('%')) number.remove_suffix(1);
  double percent = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
  if (ec == std::errc{} && end == number.data() + number.size()) {
    if (!(percent > 0 && percent <= 100)) throw usage_error(flag_error("max-disk-usage", text, "a percent in (0, 100]"));
    out.max_disk_percent = percent;
    return;
  }
  out.max_disk_bytes = parse_size("max-disk-usage", text);
  out.max_disk_percent = 100;  // the byte budget alone, up to a full volume
}

}  // namespace

server_options parse_server_options(const std::vector<std::string>& args) {
  server_options out;
  std::vector<std::string> given;  // the flags on the line, for those --backend excludes
  out.threads = std::max(2u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view word = args[i];
    if (!word.starts_with("--")) throw usage_error("unexpected argument \"" + std::string(word) + "\" (flags start with --)");
    std::string name(word.substr(2));
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) value = name.substr(eq + 1), name.resize(eq);
    if (name == "help") throw usage_error("");
    if (!value) {
      if (i + 1 >= args.size()) throw usage_error("--" + name + " needs a value");
      value = args[++i];
    }
    const std::string& v = *value;
    given.push_back(name);
    if (name == "data-path") {
      if (v.empty()) throw usage_error("--data-path needs a directory");
      out.data_path = v;
    } else if (name == "listen") parse_listen(out, v);
    else if (name == "flush-timeout") out.flush_timeout = parse_millis(name, v);
    else if (name == "max-disk-usage") parse_disk_usage(out, v);
    else if (name == "ttl") out.ttl = parse_duration(name, v, true);
    else if (name == "cold-after") out.cold_after = parse_duration(name, v, true);
    else if (name == "max-snapshots") {
      auto n = whole_number(v, 1000);
      if (!n || *n == 0) throw usage_error(flag_error(name, v, "a whole number from 1 to 1000"));
      out.max_snapshots = static_cast<unsigned>(*n);
    } else if (name == "max-body") out.max_body = parse_size(name, v);
    else if (name == "read-timeout") out.read_timeout = parse_millis(name, v);
    else if (name == "segment-size") out.segment_bytes = parse_size(name, v);
    else if (name == "threads") {
      auto n = whole_number(v, 256);
      if (!n || *n == 0) throw usage_error(flag_error(name, v, "a whole number from 1 to 256"));
      out.threads = static_cast<unsigned>(*n);
    } else if (name == "replicate-to") {
      for (std::size_t from = 0; from <= v.size();) {
        const std::size_t comma = std::min(v.find(',', from), v.size());
        const std::string one = v.substr(from, comma - from);
        try {
          (void)trace::net::tcp_address::parse(one);
        } catch (const trace::error&) {
          throw usage_error(flag_error(name, v, "HOST:PORT of a replica, several separated by commas"));
        }
        out.replicate_to.push_back(one);
        from = comma + 1;
      }
    } else if (name == "required-acks") {
      auto n = whole_number(v, 64);
      if (v == "all") out.required_acks = ~0u;
      else if (!n) throw usage_error(flag_error(name, v, "0, 1, ... or all"));
      else out.required_acks = static_cast<unsigned>(*n);
    } else if (name == "backend") {
      try {
        out.backend = trace::clickhouse::parse_backend_url(v);
      } catch (const trace::error& e) {
        throw usage_error(std::string("--backend: ") + e.message());
      }
      out.backend_url = v;
    } else throw usage_error("unknown flag --" + name);
  }
  if (out.backend) {
    // These configure the mmap store, which a liaison does not have.
    for (const char* flag : {"data-path", "max-disk-usage", "cold-after", "max-snapshots", "segment-size",
                             "replicate-to", "required-acks", "flush-timeout"})
      if (std::ranges::find(given, flag) != given.end())
        throw usage_error(std::string("--") + flag + " configures the mmap store, which a server with --backend does not have: "
                          "ClickHouse keeps the spans (its own settings and partitions apply)");
    return out;
  }
  if (out.data_path.empty()) throw usage_error("--data-path is required: the directory of the span store (or --backend clickhouse://...)");
  return out;
}

std::chrono::milliseconds retention_period(trace::duration_ns ttl) {
  const auto tenth = std::chrono::milliseconds(ttl / 10 / trace::millisecond);
  return std::clamp<std::chrono::milliseconds>(tenth, std::chrono::seconds(1), std::chrono::hours(1));
}

std::string usage_text() {
  return R"(usage: trace-server --data-path DIR [flags]
       trace-server --backend clickhouse://HOST:PORT/DATABASE[?...] [--listen ...] [--threads N] ...

Receives OTLP/HTTP traces (POST /v1/traces) into a durable span store and answers queries;
with --backend, a liaison: the spans go to ClickHouse and queries are answered from there.

  --data-path DIR        the store's directory, created when missing (required without --backend)
  --listen HOST:PORT     where to listen (default 127.0.0.1:4318; port 0: any free port)
  --flush-timeout DUR    longest a group commit gathers requests before its sync (default 1s)
  --max-disk-usage X     refuse spans (503) past X% of the volume, or past a size such as
                         512MiB (default 95%)
  --ttl DUR              drop sealed segments whose spans all started before now - DUR
                         (default 0: keep forever); with --backend, ClickHouse's daily
                         partitions that ended before now - DUR
  --cold-after DUR       at each roll, move sealed segments whose spans all started before
                         now - DUR into Parquet files in DIR/cold/ (default 0: never)
  --max-snapshots N      snapshots kept, taken on SIGUSR1 or POST /api/snapshot (default 2)
  --max-body SIZE        largest request body, after gzip inflation (default 64MiB)
  --read-timeout DUR     a request must arrive within DUR; idle connections close after it
                         (default 30s)
  --segment-size SIZE    the store's log rolls into a sealed segment past SIZE (default 64MiB)
  --threads N            threads serving connections (default: the number of cores, at least 2)
  --replicate-to H:P,... ship every committed batch to these replicas (docs/REPLICATION.md)
  --required-acks N|all  replicas that must apply a batch before ingest answers 200 (default 1)
  --backend URL          clickhouse://HOST:PORT/DATABASE[?table=T][&cluster=C&shards=H:P,H:P]
                         [&user=U][&password=P]: no store of its own; ingest, queries and
                         comments go to ClickHouse (HTTP port; with a cluster, the Distributed
                         table). Excludes the flags of the mmap store above, but --ttl.
  --help                 this text

Durations: 500ms, 30s, 15m, 24h, 7d. Sizes: 65536, 64KiB, 64MiB, 1GiB.
)";
}

http_config listen_config(const server_options& options) {
  http_config http;
  http.host = options.host;
  http.port = options.port;
  http.threads = options.threads;
  http.max_body = options.max_body;
  http.read_timeout = options.read_timeout;
  return http;
}

}  // namespace trace_server
