#pragma once
// The subcommands, one function each; main.cpp holds their help texts and options.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "trace/core/log_record.hpp"
#include "trace/store/comment_log.hpp"

namespace tracectl {

int run_import(const arguments& args);
int run_trace(const arguments& args);
int run_spans(const arguments& args);
int run_search(const arguments& args);
int run_services(const arguments& args);
int run_operations(const arguments& args);
int run_stats(const arguments& args);
int run_anomalies(const arguments& args);
int run_export(const arguments& args);
int run_html(const arguments& args);
int run_check(const arguments& args);
int run_retention(const arguments& args);
int run_tier(const arguments& args);
int run_snapshot(const arguments& args);
int run_compact(const arguments& args);
int run_repair(const arguments& args);
int run_metrics(const arguments& args);
int run_group(const arguments& args);
int run_schema(const arguments& args);
int run_index_rules(const arguments& args);
int run_removal(const arguments& args);
int run_comment(const arguments& args);
int run_logs(const arguments& args);
int run_correlate(const arguments& args);
// The logs in the store's logs.log that name a span of the trace, by span (oldest first).
std::map<trace::span_id, std::vector<trace::log_record>> logs_by_span(const arguments& args, const trace::trace_id& id);

// The comments of a trace from the store's comments.log (none when it has none), as the
// lines `trace` prints under the tree and as a JSON array.
std::vector<trace::comment> comments_of(const arguments& args, const trace::trace_id& id, bool with_removed);
std::string comments_text(const std::vector<trace::comment>& comments);
void write_comments_json(trace::json::writer& w, const std::vector<trace::comment>& comments);

// Whether a --where is TraceQL in braces (which search runs as a whole-trace query) rather
// than the bare single-span form.
bool is_traceql(std::string_view query);
int run_traceql_search(const arguments& args);

// Shared by the reading commands: --limit N (0: no limit), and left-aligned columns (the
// last column is not padded).
std::size_t limit_of(const arguments& args, std::size_t fallback);
std::string table(const std::vector<std::vector<std::string>>& rows, const palette& colours = {}, bool header = true);

}  // namespace tracectl
