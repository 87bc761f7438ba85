#pragma once
// What every tracectl command shares: parsed arguments, the usage error (exit status 2),
// opening the store, reading the common filter options, and terminal conventions (colour
// only on a terminal and never with NO_COLOR).

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <trace/core.hpp>
#include <trace/io/json_writer.hpp>
#include <trace/query/filter.hpp>
#include <trace/store/mmap.hpp>

namespace tracectl {

// Exit statuses: scripts rely on them.
inline constexpr int exit_ok = 0;
inline constexpr int exit_not_found = 1;  // a lookup or listing found nothing
inline constexpr int exit_usage = 2;      // bad command line (and bad --where)
inline constexpr int exit_failure = 3;    // the work itself failed: bad input file, damaged store, i/o
inline constexpr int exit_damaged = 4;    // answered, but from a damaged store: some committed spans were unreadable

// A mistake in the command line; main prints it with a pointer to --help and exits 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct option_spec {
  std::string_view name;  // without the leading "--"
  std::string_view value;  // placeholder shown in help ("DIR"); empty for a flag
  std::string_view help;
};

class arguments {
 public:
  std::vector<std::string> positional;

  bool flag(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  std::optional<std::string> value(std::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::string required(std::string_view name) const {
    if (auto v = value(name)) return *v;
    throw usage_error("--" + std::string(name) + " is required");
  }
  void set(std::string name, std::string v) { values_[std::move(name)] = std::move(v); }

 private:
  std::map<std::string, std::string> values_;
};

// Parses `--name value`, `--name=value`, flags and positionals against `options`.
arguments parse_arguments(const std::vector<std::string>& words, const std::vector<option_spec>& options);

// The store in `--store DIR` (required). Reading commands open it read-only, so they work
// beside a running writer; a missing directory is a usage error, not an empty store. Damage
// in a log (records that were committed but cannot be read) is printed on stderr as a
// warning, and remembered: `print_json` reports it, and the command exits 4.
trace::mmap_store open_store(const arguments& args, bool writable = false);
// What open_store found damaged, one line each (empty: nothing).
const std::vector<std::string>& store_damage();

// "15m", "24h", "7d", "250ms" → nanoseconds; a usage error names the option otherwise.
trace::duration_ns parse_duration_option(std::string_view option, std::string_view text);
// The trace id of a positional or --trace argument.
trace::trace_id parse_trace_id_argument(std::string_view text);
// "now" of the command: --now TIME (RFC 3339) when given, for reproducible output, else the clock.
trace::timestamp_ns now_of(const arguments& args);

// The filter of --trace, --service, --name, --status, --kind and --where; --where syntax errors
// print the query with a caret and are usage errors.
trace::filter filter_of(const arguments& args);

// Options shared by the reading commands.
extern const option_spec store_option, json_option, where_option, text_option, now_option;
extern const option_spec db_option;

// Terminal conventions.
bool is_terminal(std::FILE* f);
bool use_colour(std::FILE* f);  // a terminal, and NO_COLOR unset or empty

struct palette {
  bool on = false;
  std::string paint(std::string_view code, std::string_view text) const {
    if (!on) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
  }
  std::string red(std::string_view t) const { return paint("31", t); }
  std::string green(std::string_view t) const { return paint("32", t); }
  std::string dim(std::string_view t) const { return paint("2", t); }
  std::string bold(std::string_view t) const { return paint("1", t); }
  std::string service(std::string_view name, std::string_view text) const;  // one stable colour per service
};

// "2024-05-01T12:00:00.123Z" (milliseconds, UTC).
std::string format_time(trace::timestamp_ns t);

// One span as a JSON object: ids, service, name, kind, start/end/duration (ns), status,
// attributes (span, resource), events. `depth` is written when non-zero.
void write_span_json(trace::json::writer& w, const trace::span& s, std::uint32_t depth = 0);

// Writes all of `text` to stdout.
void print(std::string_view text);
// Writes a command's JSON document and a newline; when the store was damaged, the document
// becomes {"damage": [lines], "result": document}, so a script cannot mistake it for a whole answer.
void print_json(const std::string& document);

}  // namespace tracectl
