#pragma once
// The machine's own limits, and plain hand-written C++ over the same data: what the
// library's figures are held against.
//
//   * sequential read bandwidth of a large array (one thread);
//   * memcpy bandwidth (bytes copied per second, one thread);
//   * heap bytes in use (what an in-memory store costs);
//   * CRC32C throughput (SSE4.2 instruction, one stream; a table fallback elsewhere);
//   * `plain_columns`: the workload laid out as bare arrays of small integers, with a
//     `std::unordered_map<trace_id, std::vector<uint32_t>>` trace index, and the scans a
//     programmer would write by hand over them.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>  // clock_gettime
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>  // mallinfo2
#endif

#include "trace/core.hpp"

namespace bench {

// Wall-clock time, or with `bench_clock::cpu_time` set (trace-bench --cpu-time) the process's
// CPU time: on a machine shared with other work, what the program itself spent. CPU time
// leaves out waits (fdatasync, page-ins), so durable ingest looks faster in it than it is.
struct bench_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<bench_clock>;
  static constexpr bool is_steady = true;
  static inline bool cpu_time = false;
  static time_point now() noexcept {
    timespec t{};
    ::clock_gettime(cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return time_point(duration(std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec));
  }
};

inline double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

// Keeps a result alive so the optimizer cannot drop the work that made it.
inline void keep(std::uint64_t value) {
  static volatile std::uint64_t sink = 0;
  sink = sink + value;
}

// Heap bytes in use, where the C library can tell (glibc 2.33 and later; 0 elsewhere): what
// an in-memory store costs, measured from outside it.
inline std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}

// ---- bandwidth ----

// Bytes per second of summing a large array of uint64 once, sequentially.
inline double read_bandwidth(const std::vector<std::uint64_t>& data) {
  auto start = bench_clock::now();
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  std::size_t n = data.size() & ~std::size_t{3};
  for (std::size_t i = 0; i < n; i += 4) {
    a += data[i];
    b += data[i + 1];
    c += data[i + 2];
    d += data[i + 3];
  }
  double elapsed = seconds_since(start);
  keep(a + b + c + d);
  return static_cast<double>(n * sizeof(std::uint64_t)) / elapsed;
}

// Bytes per second copied by one large memcpy.
inline double memcpy_bandwidth(std::vector<unsigned char>& to, const std::vector<unsigned char>& from) {
  auto start = bench_clock::now();
  std::memcpy(to.data(), from.data(), std::min(to.size(), from.size()));
  double elapsed = seconds_since(start);
  keep(to[to.size() / 2]);
  return static_cast<double>(std::min(to.size(), from.size())) / elapsed;
}

// ---- CRC32C ----

inline std::uint32_t crc32c_table(const unsigned char* p, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42(const unsigned char* p, std::size_t n) {
  unsigned long long c = 0xffffffffu;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    unsigned long long word;
    std::memcpy(&word, p + i, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  auto c32 = static_cast<unsigned int>(c);
  for (; i < n; ++i) c32 = __builtin_ia32_crc32qi(c32, p[i]);
  return ~c32;
}
inline bool have_sse42() { return __builtin_cpu_supports("sse4.2"); }
#else
inline std::uint32_t crc32c_sse42(const unsigned char* p, std::size_t n) { return crc32c_table(p, n); }
inline bool have_sse42() { return false; }
#endif

inline std::uint32_t crc32c(const unsigned char* p, std::size_t n) {
  static const bool hardware = have_sse42();
  return hardware ? crc32c_sse42(p, n) : crc32c_table(p, n);
}

// Bytes per second checksummed.
inline double crc32c_throughput(const std::vector<unsigned char>& data) {
  auto start = bench_clock::now();
  std::uint32_t c = crc32c(data.data(), data.size());
  double elapsed = seconds_since(start);
  keep(c);
  return static_cast<double>(data.size()) / elapsed;
}

// ---- plain columns ----

struct plain_columns {
  std::vector<std::uint64_t> span_ids, parent_ids, starts, durations;
  std::vector<std::uint32_t> services, operations, tenants, trace_ordinals;
  std::vector<std::uint8_t> statuses;
  std::vector<trace::trace_id> trace_by_ordinal;
  std::vector<std::string> service_names, operation_names, tenant_names;
  std::unordered_map<trace::trace_id, std::vector<std::uint32_t>> rows_of_trace;

  std::size_t size() const noexcept { return starts.size(); }

  static std::uint32_t intern(std::unordered_map<std::string, std::uint32_t>& ids, std::vector<std::string>& names,
                              const std::string& text) {
    auto [it, inserted] = ids.try_emplace(text, static_cast<std::uint32_t>(names.size()));
    if (inserted) names.push_back(text);
    return it->second;
  }

  explicit plain_columns(const std::vector<trace::span>& spans) {
    std::unordered_map<std::string, std::uint32_t> service_ids, operation_ids, tenant_ids;
    std::unordered_map<trace::trace_id, std::uint32_t> ordinal_of;
    for (const trace::span& s : spans) {
      auto row = static_cast<std::uint32_t>(starts.size());
      span_ids.push_back(s.id.value());
      parent_ids.push_back(s.parent.value());
      starts.push_back(s.start);
      durations.push_back(s.end - s.start);
      services.push_back(intern(service_ids, service_names, s.resource.service_name));
      operations.push_back(intern(operation_ids, operation_names, s.name));
      const auto* tenant = s.attributes.find("tenant");
      tenants.push_back(tenant ? intern(tenant_ids, tenant_names, std::get<std::string>(*tenant)) : ~0u);
      statuses.push_back(static_cast<std::uint8_t>(s.status.code));
      auto [it, inserted] = ordinal_of.try_emplace(s.trace, static_cast<std::uint32_t>(trace_by_ordinal.size()));
      if (inserted) trace_by_ordinal.push_back(s.trace);
      trace_ordinals.push_back(it->second);
      rows_of_trace[s.trace].push_back(row);
    }
  }

  static std::uint32_t find(const std::vector<std::string>& names, std::string_view text) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == text) return static_cast<std::uint32_t>(i);
    return ~0u;
  }

  // Reads the same fields a store lookup hands back; returns a checksum.
  std::uint64_t lookup(const trace::trace_id& id) const {
    auto it = rows_of_trace.find(id);
    if (it == rows_of_trace.end()) return 0;
    std::uint64_t sum = 0;
    for (std::uint32_t row : it->second)
      sum += span_ids[row] + parent_ids[row] + operation_names[operations[row]].size() + starts[row] + durations[row] +
             statuses[row];
    return sum;
  }

  std::size_t count_errors(std::uint32_t operation) const {
    std::size_t n = 0;
    const auto error = static_cast<std::uint8_t>(trace::status_code::error);
    for (std::size_t i = 0; i < size(); ++i) n += static_cast<unsigned>(statuses[i] == error) & static_cast<unsigned>(operations[i] == operation);
    return n;
  }

  // Traces with a span of `service` carrying `tenant`, newest matching span first, at most
  // `limit` of them: the library's trace search, written by hand over the columns.
  std::vector<trace::trace_id> search(std::uint32_t service, std::uint32_t tenant, std::size_t limit) const {
    std::vector<std::uint64_t> latest(trace_by_ordinal.size(), 0);
    std::vector<std::uint32_t> hits;
    for (std::size_t i = 0; i < size(); ++i) {
      if (services[i] != service || tenants[i] != tenant) continue;
      std::uint64_t& last = latest[trace_ordinals[i]];
      if (last == 0) hits.push_back(trace_ordinals[i]);
      last = std::max(last, starts[i]);
    }
    auto newer = [&](std::uint32_t a, std::uint32_t b) { return latest[a] > latest[b]; };
    std::size_t keep_count = std::min(limit, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(keep_count), hits.end(), newer);
    std::vector<trace::trace_id> out;
    for (std::size_t i = 0; i < keep_count; ++i) out.push_back(trace_by_ordinal[hits[i]]);
    return out;
  }

  struct group {
    std::uint64_t count = 0, errors = 0, duration_sum = 0;
  };
  // Count, errors and total duration per (service, operation), in a flat array.
  std::vector<group> group_by() const {
    const std::size_t width = operation_names.size();
    std::vector<group> out(service_names.size() * width);
    const auto error = static_cast<std::uint8_t>(trace::status_code::error);
    for (std::size_t i = 0; i < size(); ++i) {
      group& g = out[services[i] * width + operations[i]];
      ++g.count;
      g.errors += statuses[i] == error;
      g.duration_sum += durations[i];
    }
    return out;
  }
};

// Exact quantiles by std::nth_element on a copy (the copy is part of the cost), ranked as
// the library ranks them: index round((n - 1) q) of the ascending values.
inline std::vector<std::uint64_t> nth_element_quantiles(const std::vector<std::uint64_t>& values,
                                                        const std::vector<double>& quantiles) {
  std::vector<std::uint64_t> work(values);
  std::vector<std::uint64_t> out;
  auto begin = work.begin();
  if (work.empty()) return std::vector<std::uint64_t>(quantiles.size(), 0);
  for (double q : quantiles) {  // ascending: each search only needs the part above the last
    auto rank = static_cast<std::size_t>(static_cast<double>(work.size() - 1) * q + 0.5);
    auto nth = work.begin() + static_cast<std::ptrdiff_t>(rank);
    std::nth_element(begin, nth, work.end());
    out.push_back(*nth);
    begin = nth;
  }
  return out;
}

}  // namespace bench
