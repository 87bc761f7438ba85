// seal-bench: the mmap store's write side on trace-bench's workload, in seconds rather than
// trace-bench's minutes:
//   * durable ingest (10k-span batches, sync at every batch) beside the memory store's
//     ingest of the same spans, the two alternating repetition by repetition, and the ratio;
//   * the sealed segments' bytes per span, part by part: each column, the string table, the
//     trace index, the extras (what in them), the trace filter, the text and tag indexes;
//   * the text walk of full-text search over the sealed rows (mmap_span::visit_text, which the
//     text index is built with too) beside the generic walk through name, status message and
//     visit_attributes, alternating.
// Figures, never assertions.
//
//   seal-bench [--spans N] [--reps R] [--cpu-time] [--smoke] [--only ingest|bytes] [--dir D]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "limits.hpp"
#include "trace/query/text_query.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"
#include "workload.hpp"

namespace {

struct options {
  std::size_t spans = 1'000'000;
  int reps = 3;
  std::string only;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "seal-bench";
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--spans" && has_value) o.spans = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--reps" && has_value) o.reps = std::atoi(argv[++i]);
    else if (arg == "--only" && has_value) o.only = argv[++i];
    else if (arg == "--dir" && has_value) o.dir = argv[++i];
    else if (arg == "--cpu-time") bench::bench_clock::cpu_time = true;
    else if (arg == "--smoke") o.spans = 20'000, o.reps = 1;
    else {
      std::fprintf(stderr, "usage: seal-bench [--spans N] [--reps R] [--cpu-time] [--smoke] [--only ingest|bytes] [--dir D]\n");
      std::exit(64);
    }
  }
  if (o.spans == 0 || o.reps < 1) {
    std::fprintf(stderr, "seal-bench: --spans and --reps must be positive\n");
    std::exit(64);
  }
  return o;
}

// Bytes of the sealed segments by part, summed over the files.
using breakdown = std::map<std::string, std::uint64_t>;

// Where the bytes of one row's extras go, measured by walking them as the reader does.
void add_extras_parts(trace::detail::byte_reader r, breakdown& parts) {
  if (r.at_end()) return;
  auto mark = r.remaining();
  auto charge = [&r, &mark, &parts](const char* part) {
    parts[part] += mark - r.remaining();
    mark = r.remaining();
  };
  const trace::detail::extras_head head = trace::detail::read_extras_head(r);
  charge("extras: head (fields present, dropped counts, trace state, status message)");
  const std::uint64_t n = head.present & trace::detail::attributes_field ? r.varint() : 0;
  charge("extras: attribute count, events, links, flags");
  for (std::uint64_t i = 0; i < n; ++i) {
    const trace::detail::attribute_head key = trace::detail::read_extras_attribute_head(r);
    charge("extras: attribute keys (and value types, format 7)");
    trace::detail::decode_value(r, key.tag);
    charge("extras: attribute values (and value types, format 6)");
  }
  while (!r.at_end()) r.take(1);  // events, links, flags: empty in this workload but for counts
  charge("extras: attribute count, events, links, flags");
}

breakdown sealed_breakdown(const std::filesystem::path& dir, std::uint64_t& spans) {
  using namespace trace::detail;
  breakdown parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".seg") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* base = reinterpret_cast<const std::byte*>(file.data());
    const file_header h = read_file_header(base, file.size(), entry.path().string());
    string_list strings;
    strings.push_back({});
    block_view view;
    const region_bounds bounds =
        parse_block(view, base + file_header_size, static_cast<std::size_t>(h.block_bytes), strings, entry.path().string(),
                    layout_of(h.version));
    spans += view.rows();
    parts["header"] += file_header_size;
    parts["zone map and block head"] += bounds[1];
    parts["string table"] += bounds[2] - bounds[1];
    parts["trace index"] += bounds[3] - bounds[2];
    const std::uint64_t columns = bounds[4] - bounds[3];
    std::uint64_t counted = 0;
    auto column = [&](const std::string& name, std::uint64_t bytes) {
      parts["column: " + name] += bytes;
      counted += bytes;
    };
    const bool coded = layout_of(h.version) == block_layout::coded_parents;
    column("span id", 8ull * view.rows());
    if (!coded) column("parent id (u64, format 6)", 8ull * view.rows());
    const auto widths = view.widths();
    for (std::size_t c = 0; c < packed_column_count; ++c)
      column(column_name(static_cast<packed_column>(c)), std::uint64_t{widths[c]} * view.rows());
    column("status and kind", (coded ? 1ull : 2ull) * view.rows());
    parts["column padding, foreign parents"] += columns - counted;
    parts["extras padding"] += bounds[5] - bounds[4];
    for (std::uint32_t row = 0; row < view.rows(); ++row) {
      add_extras_parts(view.extras_reader(row), parts);
      parts["extras padding"] -= view.extras_at(row).size();
    }
    parts["trace filter"] += h.filter_bytes;
    parts["text index"] += h.text_index_bytes;
    parts["tag indexes"] += h.tag_index_bytes;
  }
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  const bench::workload data = bench::generate({42, opt.spans, 0.015});
  const std::vector<trace::span>& spans = data.spans;
  const double n = static_cast<double>(spans.size());
  std::printf("seal-bench: %zu spans in %zu traces, %d repetitions, %s time\n", spans.size(), data.trace_ids.size(),
              opt.reps, bench::bench_clock::cpu_time ? "CPU" : "wall");
  static constexpr std::size_t batch = 10'000;
  auto batches = [&spans](auto&& append) {
    for (std::size_t begin = 0; begin < spans.size(); begin += batch)
      append(std::span<const trace::span>(spans.data() + begin, std::min(batch, spans.size() - begin)));
  };

  std::vector<double> memory_rates, mmap_rates, ratios;
  for (int rep = 0; rep < opt.reps; ++rep) {
    {
      auto store = std::make_unique<trace::memory_store>();
      const auto start = bench::bench_clock::now();
      batches([&store](std::span<const trace::span> b) { store->append(b); });
      memory_rates.push_back(n / bench::seconds_since(start));
    }
    std::filesystem::remove_all(opt.dir);
    trace::mmap_options o;
    o.path = opt.dir;
    o.sync = trace::sync_policy::every_batch;
    {
      trace::mmap_store store(o);
      const auto start = bench::bench_clock::now();
      batches([&store](std::span<const trace::span> b) { store.append(b); });
      store.sync();
      mmap_rates.push_back(n / bench::seconds_since(start));
      store.roll();  // the tail too, for the bytes below
    }
    ratios.push_back(mmap_rates.back() / memory_rates.back());
    std::printf("rep %d: memory store %.0f spans/s, mmap durable %.0f spans/s (%.3fx)\n", rep, memory_rates.back(),
                mmap_rates.back(), ratios.back());
    if (opt.only == "bytes") break;
  }
  std::printf("ingest: memory store %.0f, mmap durable %.0f spans/s (medians); ratio %.3fx (median per repetition)\n",
              median(memory_rates), median(mmap_rates), median(ratios));
  if (opt.only == "ingest") return 0;

  std::uint64_t sealed_spans = 0;
  const breakdown parts = sealed_breakdown(opt.dir, sealed_spans);
  std::uint64_t total = 0;
  for (const auto& [name, bytes] : parts) total += bytes;
  std::printf("sealed: %.2f B/span over %llu spans\n", static_cast<double>(total) / n,
              static_cast<unsigned long long>(sealed_spans));
  for (const auto& [name, bytes] : parts)
    std::printf("  %-62s %7.2f\n", name.c_str(), static_cast<double>(bytes) / n);

  std::vector<double> one_pass, generic;
  {
    trace::mmap_options o;
    o.path = opt.dir;
    o.mode = trace::open_mode::read_only;
    const trace::mmap_store store(o);
    std::uint64_t bytes_one = 0, bytes_generic = 0;
    auto add_to = [](std::uint64_t& sum) { return [&sum](std::string_view text) { sum += text.size(); }; };
    for (int rep = 0; rep < 3; ++rep) {
      auto start = bench::bench_clock::now();
      for (const trace::mmap_span s : store.scan()) trace::visit_span_text(s, add_to(bytes_one));
      one_pass.push_back(bench::seconds_since(start) * 1e3);
      start = bench::bench_clock::now();
      for (const trace::mmap_span s : store.scan()) {
        auto f = add_to(bytes_generic);
        f(s.name());
        if (const auto message = s.status_message(); !message.empty()) f(message);
        s.visit_attributes([&f](trace::attribute_scope, std::string_view, const auto& value) {
          if (const auto* text = std::get_if<std::string_view>(&value)) f(*text);
          else if (const auto* texts = std::get_if<std::vector<std::string_view>>(&value))
            for (std::string_view item : *texts) f(item);
          return false;
        });
      }
      generic.push_back(bench::seconds_since(start) * 1e3);
    }
    if (bytes_one != bytes_generic) {
      std::fprintf(stderr, "seal-bench: the two text walks read %llu and %llu bytes\n",
                   static_cast<unsigned long long>(bytes_one), static_cast<unsigned long long>(bytes_generic));
      return 2;
    }
  }
  std::printf("text walk over the sealed rows: one pass %.1f ms, generic %.1f ms (%.2fx; medians of 3)\n", median(one_pass),
              median(generic), median(one_pass) / median(generic));
  std::filesystem::remove_all(opt.dir);
  return sealed_spans == spans.size() ? 0 : 2;
}
