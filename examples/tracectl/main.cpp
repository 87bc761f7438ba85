// tracectl: the command-line lens over a trace store (docs/TRACECTL.md).
//
//   tracectl import spans.json --store ./spans
//   tracectl search --store ./spans --where 'status = error && duration > 100ms'
//   tracectl metrics --store ./spans "{ } | rate() by (resource.service.name)" --since 1h
//   tracectl trace 4bf92f3577b34da6a3ce929d0e0e4736 --store ./spans
//
// Exit status: 0 success, 1 nothing found, 2 usage error, 3 the work failed (bad input
// file, damaged store, i/o), 4 answered from a damaged store; messages go to stderr.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"

namespace tracectl {
namespace {

struct command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view summary;
  std::vector<option_spec> options;
  int (*run)(const arguments&);
};

const option_spec limit_option{"limit", "N", "at most N results (0: all)"};
const option_spec trace_option{"trace", "ID", "only spans of trace ID"};
const option_spec service_option{"service", "S", "only spans of service S"};
const option_spec name_option{"name", "N", "only spans whose operation is N"};
const option_spec status_option{"status", "S", "only spans with status S (ok, error, unset)"};
const option_spec kind_option{"kind", "K", "only spans of kind K (server, client, ...)"};

const std::vector<command>& commands() {
  static const std::vector<command> all{
      {"import", "import FILE... --store DIR [--format auto|otlp|otlp-proto|jaeger|zipkin|parquet] [--keep-going] [--max-disk-bytes N]",
       "Reads OTLP JSON (or JSON Lines), OTLP protobuf (.pb), Jaeger JSON, Zipkin v2 or Parquet (as export\n"
       "writes it, .parquet) files into the store,\n"
       "creating it when missing, streamed: spans are stored in batches of 4096 as they are read.\n"
       "At an error import stops, saying where and how many spans of the file were kept (none when\n"
       "it is in the first batch); --keep-going also keeps the spans read before the error and goes\n"
       "on with the other files. Spans the store already holds are skipped, so a file can be imported\n"
       "again after an interrupted import, or once fixed. An empty file holds no spans.\n"
       "A progress line is drawn on a terminal.",
       {store_option,
        {"format", "F", "input format: auto (default: from the extension or content), otlp, otlp-proto, jaeger, zipkin, parquet"},
        {"keep-going", "", "keep the spans read before an error and carry on"},
        {"max-disk-bytes", "N", "stop when the store would grow past N bytes"},
        {"quiet", "", "no progress line"}},
       run_import},
      {"comment", "comment add TRACE --store DIR --text T [--author A] [--span ID] | list TRACE [--all] [--json] | edit N --text T | rm N",
       "Comments on a trace, kept in the store's comments.log (durable when the command returns):\n"
       "add one (to the trace, or one of its spans), list them (--all: removed ones too), edit or remove one\n"
       "(a removed comment stays as a tombstone). `tracectl trace` shows them under the tree.",
       {store_option, json_option, {"text", "T", "the comment's text"}, {"author", "A", "who writes it (default: $USER)"},
        {"span", "ID", "the span it is about"}, {"all", "", "list removed comments too"}},
       run_comment},
      {"logs", "logs import FILE... --store DIR [--format auto|otlp|otlp-proto|jsonl] | logs --store DIR [--service S] [--trace ID] [--text WORDS] [--severity LEVEL] [--since D] [--limit N] [--json]",
       "Logs beside the spans, in the store's logs.log (durable when import returns): import reads OTLP\n"
       "logs (JSON, or protobuf ExportLogsServiceRequest: .pb, .binpb) or JSON Lines (timestamp, severity,\n"
       "body, trace_id, span_id, service, attributes); a bad file is refused whole. Without a word, lists\n"
       "logs, oldest first, numbered as correlate --log takes them; --text searches the bodies (by scan).",
       {store_option, json_option, {"format", "F", "import: auto (default), otlp, otlp-proto or jsonl"},
        {"service", "S", "only logs of service S"}, {"trace", "ID", "only logs of trace ID"},
        {"text", "WORDS", "only logs whose body matches WORDS (docs/TEXT_SEARCH.md's syntax)"},
        {"severity", "LEVEL", "only logs at LEVEL or above (trace, debug, info, warn, error, fatal)"},
        {"since", "D", "only logs of the last D (15m, 24h, ...)"}, now_option, limit_option},
       run_logs},
      {"correlate", "correlate --store DIR (--trace ID [--slack D] | --log N | --service S [--since D | --from T --to T]) [--json]",
       "Traces and logs side by side. --trace: the trace's logs, each saying how it was linked (by its\n"
       "trace id, or by service and time window for a log without ids: a service of the trace, within\n"
       "its spans' time widened by --slack, 1s by default). --log N: the log's trace and span.\n"
       "--service: the service's traces and logs over the window, as one timeline (default: the last hour).",
       {store_option, json_option, {"trace", "ID", "the logs of trace ID"}, {"slack", "D", "widen the time window by D (default 1s)"},
        {"log", "N", "the trace and span of log N (as logs numbers them)"}, {"service", "S", "the traces and logs of service S"},
        {"since", "D", "the window: the last D (default 1h)"}, {"from", "T", "the window's start (RFC 3339)"},
        {"to", "T", "the window's end (RFC 3339)"}, now_option},
       run_correlate},
      {"trace", "trace ID --store DIR [--json] [--bar-width N]",
       "Shows one trace as a tree: operation, service, duration, status and a time bar per span.",
       {store_option, json_option, {"bar-width", "N", "width of the time bars (default 40, 0: none)"}},
       run_trace},
      {"spans", "spans --store DIR [--trace ID] [--service S] [--name N] [--status S] [--kind K] [--where QUERY] [--order oldest|newest|slowest] [--limit N] [--json]",
       "Lists matching spans (default: the 100 oldest).",
       {store_option, json_option, where_option, text_option, limit_option, trace_option, service_option, name_option,
        status_option, kind_option, {"order", "O", "oldest (default), newest or slowest first"}},
       run_spans},
      {"search", "search --store DIR [--where QUERY] [--text WORDS] [--errors] [--limit N] [--json]",
       "Lists traces with a span matching QUERY, newest first: root, duration, span and error counts.\n"
       "A QUERY in braces is TraceQL, whole: structure ({ kind = server } >> { status = error }),\n"
       "pipelines ({ } | count() > 3), by(), select(); it lists the matching spans of each trace.",
       {store_option, json_option, where_option, text_option, limit_option, service_option, name_option, status_option,
        kind_option, {"errors", "", "only traces with an error span"}},
       run_search},
      {"metrics", "metrics QUERY --store DIR [--since 1h] [--step D] [--now TIME] [--exact] [--json]",
       "Runs a TraceQL metrics query (rate(), count_over_time(), quantile_over_time(duration, .99), ...)\n"
       "over the last --since, one point per --step (default: 60 steps), and prints the series.",
       {store_option, json_option, now_option,
        {"since", "D", "the range ends now and starts D before (default 1h)"},
        {"step", "D", "the width of each point (default: --since / 60)"},
        {"exact", "", "exact quantiles (every value kept) instead of the 1% sketch"}},
       run_metrics},
      {"services", "services --store DIR [--where QUERY] [--json]",
       "Lists the services with their span counts, error rates and latency percentiles.",
       {store_option, json_option, where_option},
       run_services},
      {"operations", "operations --store DIR [--service S] [--where QUERY] [--json]",
       "Lists the operations (of one service, with --service) with their statistics.",
       {store_option, json_option, where_option, service_option},
       run_operations},
      {"stats", "stats --store DIR [--service S] [--where QUERY] [--last 24h] [--by service|operation|status] [--bucket 1h] [--now TIME] [--json]",
       "Counts, errors, error rate and p50/p95/p99/max of the matching spans, grouped and bucketed on request.",
       {store_option, json_option, where_option, service_option, name_option, status_option, kind_option, now_option,
        {"last", "D", "only spans that started in the last D (15m, 24h, 7d)"},
        {"by", "KEY", "group by service, operation or status"},
        {"bucket", "D", "also group by time buckets of D"}},
       run_stats},
      {"anomalies", "anomalies --store DIR [--current 15m] [--baseline 24h] [--per-operation] [--now TIME] [--json]",
       "Compares the last --current window with the --baseline window before it: error-rate and p95 rises.",
       {store_option, json_option, where_option, now_option,
        {"current", "D", "the window examined (default 15m)"},
        {"baseline", "D", "the window before it, compared against (default 24h)"},
        {"per-operation", "", "per service and operation instead of per service"}},
       run_anomalies},
      {"export", "export --store DIR --to otlp|otlp-proto|jaeger|zipkin|chrome|csv|parquet [--where QUERY] [-o FILE]",
       "Writes the matching spans (whole store by default) in another format, to FILE or stdout.",
       {store_option, where_option, trace_option, service_option,
        {"to", "FORMAT", "otlp, otlp-proto (protobuf, as OTLP/HTTP sends it), jaeger, zipkin, chrome (Perfetto), csv or parquet"},
        {"row-group-rows", "N", "parquet: spans per row group (default 100000)"},
        {"compression", "C", "parquet: snappy (default) or none"},
        {"output", "FILE", "write to FILE instead of stdout (also -o)"}},
       run_export},
      {"html", "html ID --store DIR [-o FILE]",
       "Writes a self-contained HTML page showing the trace as a waterfall (no network access needed).",
       {store_option, {"output", "FILE", "write to FILE instead of stdout (also -o)"}},
       run_html},
      {"check", "check --store DIR [--json]",
       "Verifies every checksum and index of the store and reports per segment, like fsck.",
       {store_option, json_option},
       run_check},
      {"retention", "retention --store DIR --ttl 7d [--now TIME] [--dry-run]",
       "Drops the sealed segments and cold files whose spans all started more than --ttl before now (the system\n"
       "clock, or --now).",
       {store_option, {"ttl", "D", "keep spans younger than D"}, now_option,
        {"dry-run", "", "only print the time range that would be dropped"}},
       run_retention},
      {"tier", "tier --store DIR --older-than 7d [--now TIME]",
       "Moves the sealed segments whose spans all started more than --older-than before now into the cold\n"
       "tier: Parquet files in DIR/cold/ that the store keeps reading and analytics engines read directly.",
       {store_option, {"older-than", "D", "move segments whose spans are all older than D"}, now_option},
       run_tier},
      {"snapshot", "snapshot --store DIR",
       "Hard-links the sealed segments and cold files (and copies the active log) into DIR/snapshots/<time>/.",
       {store_option},
       run_snapshot},
      {"compact", "compact --store DIR | --db DIR --group G",
       "Seals the active log into a segment, then merges runs of small sealed segments into one, and rebuilds\n"
       "segments whose tag indexes are damaged or not those of the rules (a group's, with --db; else the newest segment's).",
       {store_option, db_option, {"group", "G", "with --db: the group whose store to compact"}},
       run_compact},
      {"repair", "repair --store DIR [--json]",
       "Drops damaged log records (and the records after them, which cannot be read without them),\n"
       "listing each by file, offset and span count, so that writers can open the store again.",
       {store_option, json_option},
       run_repair},
      {"group", "group list --db DIR [--json]",
       "Lists the groups of a database (trace::database): options (TTL, segment size and age, disk budget) and schemas.",
       {db_option, json_option},
       run_group},
      {"schema", "schema get --db DIR --group G --name S [--json]",
       "Prints a trace schema of a group: its tags (type, required, where on the span), trace id and timestamp tags.",
       {db_option, json_option, {"group", "G", "the group"}, {"name", "S", "the trace schema"}},
       run_schema},
      {"index-rules", "index-rules get --db DIR --group G --name S [--json]",
       "Prints the index rules of a trace schema: each rule's tag and kind (inverted or sorted).",
       {db_option, json_option, {"group", "G", "the group"}, {"name", "S", "the trace schema"}},
       run_index_rules},
      {"removal", "removal --db DIR --group G [--now TIME]",
       "Prints the time range that the group's TTL would remove now (the system clock, or --now); removes nothing.",
       {db_option, now_option, {"group", "G", "the group"}},
       run_removal},
  };
  return all;
}

std::string help_of(const command& c) {
  std::string out = "usage: tracectl " + std::string(c.synopsis) + "\n\n" + std::string(c.summary) + "\n\noptions:\n";
  for (const option_spec& o : c.options) {
    std::string left = "  --";
    left.append(o.name);
    if (!o.value.empty()) left.append(" ").append(o.value);
    left.resize(std::max<std::size_t>(left.size() + 2, 22), ' ');
    out += left + std::string(o.help) + "\n";
  }
  out += "  --help              this text\n";
  return out;
}

std::string overview() {
  std::string out =
      "usage: tracectl COMMAND [ARGS] [--help]\n\n"
      "The command-line lens over a trace store.\n\ncommands:\n";
  for (const command& c : commands()) {
    std::string name = "  " + std::string(c.name);
    name.resize(14, ' ');
    const std::string_view first_line = c.summary.substr(0, c.summary.find('\n'));
    out += name + std::string(first_line) + "\n";
  }
  out += "\nexit status: 0 success, 1 nothing found, 2 usage error, 3 failure (bad input, damaged store),\n"
         "4 answered from a damaged store (tracectl check shows the damage, tracectl repair drops it)\n"
         "query syntax for --where: docs/QUERY.md\n";
  return out;
}

int run(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    std::fputs(overview().c_str(), stderr);
    return exit_usage;
  }
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    print(overview());
    return exit_ok;
  }
  const command* chosen = nullptr;
  for (const command& c : commands())
    if (c.name == words[0]) chosen = &c;
  if (!chosen) {
    std::fprintf(stderr, "tracectl: unknown command \"%s\" (tracectl --help lists them)\n", words[0].c_str());
    return exit_usage;
  }
  words.erase(words.begin());
  for (const std::string& w : words)
    if (w == "--help" || w == "-h") {
      print(help_of(*chosen));
      return exit_ok;
    }
  try {
    const int status = chosen->run(parse_arguments(words, chosen->options));
    return !store_damage().empty() && (status == exit_ok || status == exit_not_found) ? exit_damaged : status;
  } catch (const usage_error& e) {
    const std::string name(chosen->name);
    std::fprintf(stderr, "tracectl %s: %s\n(tracectl %s --help shows the usage)\n", name.c_str(), e.what(), name.c_str());
    return exit_usage;
  } catch (const trace::error& e) {
    std::fprintf(stderr, "tracectl %s: %s\n", std::string(chosen->name).c_str(), e.what());
    return exit_failure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracectl %s: %s\n", std::string(chosen->name).c_str(), e.what());
    return exit_failure;
  }
}

}  // namespace
}  // namespace tracectl

int main(int argc, char** argv) { return tracectl::run(argc, argv); }
