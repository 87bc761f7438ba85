// The store's maintenance: check, retention, tier, snapshot, compact, repair.

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <trace/store/database.hpp>

#include "commands.hpp"

namespace tracectl {
namespace {

trace::mmap_options options_of(const arguments& args, trace::open_mode mode) {
  trace::mmap_options options;
  options.path = args.required("store");
  if (!std::filesystem::is_directory(options.path))
    throw usage_error("--store " + options.path.string() + ": no such store directory");
  options.mode = mode;
  return options;
}

}  // namespace

// Opening checks every header and every sealed region's checksum and replays each log
// record by its checksum; then every span is decoded in full and every trace is looked up
// through the trace index, which must give back exactly the spans the scan saw.
int run_check(const arguments& args) {
  trace::mmap_options options = options_of(args, trace::open_mode::read_only);
  std::vector<trace::dropped_log_tail> dropped;
  options.on_dropped = [&dropped](const trace::dropped_log_tail& d) { dropped.push_back(d); };
  std::vector<std::string> problems;
  std::vector<trace::segment_info> segments;
  std::vector<trace::cold_file_info> cold;
  std::size_t spans = 0, traces = 0;
  try {
    const trace::mmap_store store(options);
    segments = store.segments();
    cold = store.cold_files();
    // A damaged text index costs speed, not answers (text queries scan the segment), but it is damage.
    for (const auto& s : segments)
      if (!s.text_index_problem.empty())
        problems.push_back(s.text_index_problem + "; text queries scan this segment until tracectl compact rewrites it");
    std::map<trace::trace_id, std::size_t> per_trace;
    for (trace::mmap_span s : store.scan()) {
      (void)s.materialize();
      ++per_trace[s.trace()];
      ++spans;
    }
    traces = per_trace.size();
    for (const auto& [id, count] : per_trace) {
      const std::size_t indexed = store.find_trace(id).size();
      if (indexed != count)
        problems.push_back("trace " + id.to_hex() + ": the index finds " + std::to_string(indexed) + " spans, the scan " +
                           std::to_string(count));
    }
  } catch (const trace::error& e) {
    problems.push_back(e.what());
  }
  for (const auto& s : segments)
    if (!s.tag_index_problem.empty())
      problems.push_back(s.tag_index_problem + "; queries scan this segment until tracectl compact rebuilds its indexes");
  for (const auto& d : dropped)
    problems.push_back((d.damage ? "damage: " : "torn tail: ") + trace::describe(d) +
                       (d.damage ? "; tracectl repair drops it" : ""));
  const bool healthy = problems.empty();
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_object().member("ok", healthy).member("spans", spans).member("traces", traces).key("segments").begin_array();
    for (const auto& s : segments)
      w.begin_object()
          .member("file", s.path.filename().string())
          .member("sealed", s.sealed)
          .member("spans", s.spans)
          .member("bytes", s.bytes)
          .member("text_index_bytes", s.text_index_bytes)
          .member("tag_index_bytes", s.tag_index_bytes)
          .end_object();
    w.end_array().key("cold").begin_array();
    for (const auto& c : cold)
      w.begin_object()
          .member("file", c.path.filename().string())
          .member("spans", c.spans)
          .member("bytes", c.bytes)
          .member("row_groups", c.row_groups)
          .end_object();
    w.end_array().key("problems").begin_array();
    for (const auto& p : problems) w.string(p);
    w.end_array().end_object();
    print(out + "\n");
  } else {
    const palette colours{use_colour(stdout)};
    for (const auto& s : segments)
      print(s.path.filename().string() + "  " + (s.sealed ? "sealed" : "log   ") + "  " + std::to_string(s.spans) +
            " spans  " + std::to_string(s.bytes) + " bytes" +
            (s.sealed ? s.text_index_bytes ? " (text index " + std::to_string(s.text_index_bytes) + ")" : " (no text index)" : "") +
            (s.tag_index_bytes ? " (tag indexes " + std::to_string(s.tag_index_bytes) + ")" : "") + "\n");
    for (const auto& c : cold)
      print("cold/" + c.path.filename().string() + "  " + std::to_string(c.spans) + " spans  " + std::to_string(c.bytes) +
            " bytes  " + std::to_string(c.row_groups) + " row groups\n");
    for (const auto& p : problems) print(colours.red("problem: ") + p + "\n");
    print(healthy ? colours.green("ok") + ": " + std::to_string(spans) + " spans in " + std::to_string(traces) +
                        " traces, " + std::to_string(segments.size()) + " segments" +
                        (cold.empty() ? std::string() : " and " + std::to_string(cold.size()) + " cold files") +
                        ", every checksum and index entry verified\n"
                  : colours.red("damaged") + ": " + std::to_string(problems.size()) + " problems\n");
  }
  return healthy ? exit_ok : exit_failure;
}

// The store is opened without a TTL (one in the options would apply at open, by the system
// clock) and the retention runs at `--now`; `--dry-run` only shows what would go.
int run_retention(const arguments& args) {
  const trace::duration_ns ttl = parse_duration_option("ttl", args.required("ttl"));
  if (ttl == 0) throw usage_error("--ttl must be longer than 0");
  const trace::timestamp_ns now = now_of(args);
  const bool dry_run = args.flag("dry-run");
  trace::mmap_store store(options_of(args, dry_run ? trace::open_mode::read_only : trace::open_mode::read_write));
  const std::string cutoff = format_time(now > ttl ? now - ttl : 0);
  const auto range = store.removal_range(now, ttl);
  std::size_t segments = 0, spans = 0;
  for (const trace::segment_info& s : store.segments())
    if (range && s.sealed && s.max_start < range->end) ++segments, spans += s.spans;
  for (const trace::cold_file_info& c : store.cold_files())  // the cold tier's files count as segments here
    if (range && c.max_start < range->end) ++segments, spans += c.spans;
  if (dry_run) {
    print(range ? "would drop " + std::to_string(segments) + " segments (" + std::to_string(spans) +
                      " spans) holding spans from " + format_time(range->begin) + " to before " + cutoff + "\n"
                : "would drop nothing: no sealed segment ends before " + cutoff + "\n");
    return exit_ok;
  }
  store.apply_retention(now, ttl);
  print("dropped " + std::to_string(segments) + " segments (" + std::to_string(spans) +
        " spans) whose spans all started before " + cutoff + "; " + std::to_string(store.size()) + " spans remain" +
        " (only sealed segments are dropped: compact seals the active log)\n");
  return exit_ok;
}

// Moves the sealed segments whose spans all started more than --older-than before now into
// the cold tier (Parquet files in DIR/cold/, read by the store like its segments).
int run_tier(const arguments& args) {
  const trace::duration_ns age = parse_duration_option("older-than", args.required("older-than"));
  if (age == 0) throw usage_error("--older-than must be longer than 0");
  const trace::timestamp_ns now = now_of(args);
  trace::mmap_store store(options_of(args, trace::open_mode::read_write));
  std::size_t spans = 0;
  const auto before = store.cold_files();
  const std::size_t moved = store.move_to_cold(now, age);
  const auto after = store.cold_files();
  for (const auto& c : after)
    if (std::ranges::none_of(before, [&c](const auto& b) { return b.path == c.path; })) {
      spans += c.spans;
      print("cold/" + c.path.filename().string() + "  " + std::to_string(c.spans) + " spans  " + std::to_string(c.bytes) +
            " bytes\n");
    }
  print("moved " + std::to_string(moved) + " segments (" + std::to_string(spans) + " spans) whose spans all started before " +
        format_time(now > age ? now - age : 0) + " to the cold tier; " + std::to_string(after.size()) + " cold files, " +
        std::to_string(store.size()) + " spans in all (only sealed segments move: compact seals the active log)\n");
  return exit_ok;
}

int run_snapshot(const arguments& args) {
  trace::mmap_store store(options_of(args, trace::open_mode::read_write));
  print(store.snapshot().string() + "\n");
  return exit_ok;
}

// Seals the active log (its spans get a sorted trace index and zone maps, and become
// eligible for retention), then merges runs of small sealed segments.
int run_compact(const arguments& args) {
  std::optional<trace::database> db;
  std::optional<trace::mmap_store> own;
  if (args.flag("db")) {
    db.emplace(args.required("db"));
    db->store(args.required("group"));  // opened with the group's index rules
  } else {
    own.emplace(options_of(args, trace::open_mode::read_write));
  }
  trace::mmap_store& store = db ? db->store(args.required("group")) : *own;
  const std::size_t before = store.segments().size();
  store.roll();
  const std::size_t merged_away = store.compact();
  const std::size_t after = store.segments().size();
  print("compacted: " + std::to_string(before) + " segments before, " + std::to_string(after) + " sealed now (" +
        std::to_string(merged_away) + " merged away), " + std::to_string(store.size()) + " spans\n");
  return exit_ok;
}

// Drops what recovery calls damage (docs/FORMAT.md) and says exactly what went: the file,
// the offset of the bad bytes, the valid records after them, and the spans lost when known.
int run_repair(const arguments& args) {
  const std::vector<trace::dropped_log_tail> dropped =
      trace::mmap_store::repair(options_of(args, trace::open_mode::read_write));
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_object().key("dropped").begin_array();
    for (const auto& d : dropped) {
      w.begin_object()
          .member("file", d.file.filename().string())
          .member("offset", d.offset)
          .member("bytes", d.bytes)
          .member("reason", d.reason)
          .member("damage", d.damage)
          .key("records_after")
          .begin_array();
      for (std::uint64_t offset : d.records_after) w.number(offset);
      w.end_array().member("spans_after", d.spans_after);
      if (d.spans) w.member("spans", *d.spans);
      w.end_object();
    }
    w.end_array().end_object();
    print(out + "\n");
    return exit_ok;
  }
  for (const auto& d : dropped) {
    print("dropped: " + trace::describe(d) + "\n");
    for (std::uint64_t offset : d.records_after) print("  valid record at offset " + std::to_string(offset) + " dropped with it\n");
  }
  print(dropped.empty() ? "nothing to repair: every log record is readable\n"
                        : "repaired: " + std::to_string(dropped.size()) + " logs cut back to their readable records\n");
  return exit_ok;
}

}  // namespace tracectl
