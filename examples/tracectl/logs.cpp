// Logs beside the spans (docs/LOGS.md): tracectl logs import|list, kept in the store's
// logs.log (trace/store/log_store.hpp), and tracectl correlate, which puts a trace and its
// logs, a log and its span, or a service's traces and logs over a window side by side.

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/io/file.hpp"
#include "trace/io/json_attribute.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/log_lines.hpp"
#include "trace/io/otlp_logs_json.hpp"
#include "trace/io/otlp_logs_protobuf.hpp"
#include "trace/query/correlate.hpp"
#include "trace/query/log_search.hpp"
#include "trace/store/log_store.hpp"

namespace tracectl {
namespace {

std::filesystem::path logs_path(const arguments& args) { return std::filesystem::path(args.required("store")) / "logs.log"; }

// otlp-proto: a .pb/.binpb file or one starting with field 1 (resource_logs); otlp: JSON
// naming resourceLogs; jsonl otherwise.
std::string format_of(const std::filesystem::path& path, const std::string& text, const arguments& args) {
  const std::string format = args.value("format").value_or("auto");
  if (format != "auto") {
    if (format != "otlp" && format != "otlp-proto" && format != "jsonl")
      throw usage_error("--format " + format + ": expected auto, otlp, otlp-proto or jsonl");
    return format;
  }
  const std::string ext = path.extension().string();
  if (ext == ".pb" || ext == ".binpb" || (!text.empty() && text[0] == '\x0a')) return "otlp-proto";
  return text.find("\"resourceLogs\"") != std::string::npos ? "otlp" : "jsonl";
}

std::vector<trace::log_record> read_logs(const std::string& format, const std::string& text) {
  if (format == "otlp-proto") return trace::otlp::proto::decode_logs_request(text);
  if (format == "otlp") return trace::otlp::read_logs(text);
  return trace::read_log_lines(text);
}

std::string describe(std::size_t index, const trace::log_record& r) {
  std::string line = "#" + std::to_string(index + 1) + " " + format_time(r.time) + " " +
                     std::string(trace::log_severity_name(r.severity)) + " " + (r.service.empty() ? "-" : r.service);
  if (r.trace.valid()) line += " trace " + r.trace.to_hex();
  if (r.span.valid()) line += " span " + r.span.to_hex();
  return line + ": " + r.body;
}

// `linked_by`: how correlate found it, when it did.
void write_log_json(trace::json::writer& w, std::size_t index, const trace::log_record& r, std::string_view linked_by = {}) {
  w.begin_object().member("number", index + 1).member("time", format_time(r.time)).member("time_ns", r.time);
  w.member("severity", std::string(trace::log_severity_name(r.severity))).member("severity_number", r.severity);
  if (!r.severity_text.empty()) w.member("severity_text", r.severity_text);
  w.member("service", r.service).member("body", r.body);
  if (r.trace.valid()) w.member("trace_id", r.trace.to_hex());
  if (r.span.valid()) w.member("span_id", r.span.to_hex());
  w.key("attributes").begin_object();
  for (const auto& a : r.attributes) {
    w.key(a.key);
    trace::json::write_attribute_value(w, a.value);
  }
  w.end_object();
  if (!linked_by.empty()) w.member("linked_by", std::string(linked_by));
  w.end_object();
}

// The log numbered `text` (1-based, as `logs` lists them).
std::size_t log_number(const trace::log_store& logs, const std::string& text) {
  char* end = nullptr;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || n == 0) throw usage_error("--log " + text + ": expected a log number from 1");
  if (n > logs.size()) throw usage_error("--log " + text + ": the store holds " + std::to_string(logs.size()) + " logs");
  return static_cast<std::size_t>(n - 1);
}

int import_logs(const arguments& args) {
  if (args.positional.size() < 2) throw usage_error("logs import needs at least one FILE");
  std::filesystem::create_directories(args.required("store"));
  trace::log_store logs(logs_path(args));
  std::size_t total = 0;
  for (std::size_t i = 1; i < args.positional.size(); ++i) {
    const std::filesystem::path path = args.positional[i];
    const std::string text = trace::read_file_text(path);
    const std::string format = format_of(path, text, args);
    std::vector<trace::log_record> batch;
    try {
      batch = read_logs(format, text);
      logs.append(batch);
    } catch (const trace::error& e) {
      std::fprintf(stderr, "tracectl logs: %s: %s (nothing of it was imported)\n", path.c_str(), e.what());
      return exit_failure;
    }
    print(path.string() + ": " + std::to_string(batch.size()) + " logs (" + format + ")\n");
    total += batch.size();
  }
  print("imported " + std::to_string(total) + " logs; the store holds " + std::to_string(logs.size()) + "\n");
  return exit_ok;
}

int list_logs(const arguments& args) {
  const trace::log_store logs(logs_path(args), trace::log_store::mode::read_only);
  trace::log_query q;
  q.service = args.value("service");
  if (auto t = args.value("trace")) q.trace = parse_trace_id_argument(*t);
  if (auto t = args.value("text")) q.text.emplace(*t);
  if (auto s = args.value("severity")) {
    auto n = trace::log_severity_from_text(*s);
    if (!n) throw usage_error("--severity " + *s + ": expected trace, debug, info, warn, error or fatal");
    q.min_severity = *n;
  }
  if (auto since = args.value("since")) q.from = now_of(args) - parse_duration_option("since", *since);
  q.limit = limit_of(args, 100);
  const auto found = trace::find_logs(logs, q);
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (std::size_t i : found) write_log_json(w, i, logs[i]);
    w.end_array();
    print_json(out);
  } else {
    for (std::size_t i : found) print(describe(i, logs[i]) + "\n");
  }
  return found.empty() ? exit_not_found : exit_ok;
}

}  // namespace

std::map<trace::span_id, std::vector<trace::log_record>> logs_by_span(const arguments& args, const trace::trace_id& id) {
  const trace::log_store logs(logs_path(args), trace::log_store::mode::read_only);
  std::map<trace::span_id, std::vector<trace::log_record>> out;
  for (std::size_t i : logs.of_trace(id))
    if (logs[i].span.valid()) out[logs[i].span].push_back(logs[i]);
  return out;
}

int run_logs(const arguments& args) {
  if (!args.positional.empty() && args.positional[0] == "import") return import_logs(args);
  if (!args.positional.empty()) throw usage_error("logs " + args.positional[0] + ": expected import, or no word to list logs");
  return list_logs(args);
}

int run_correlate(const arguments& args) {
  const trace::log_store logs(logs_path(args), trace::log_store::mode::read_only);
  const trace::mmap_store store = open_store(args);
  const bool json = args.flag("json");
  std::string out;
  trace::json::writer w(out);
  if (auto t = args.value("trace")) {
    const trace::trace_id id = parse_trace_id_argument(*t);
    const trace::duration_ns slack =
        args.value("slack") ? parse_duration_option("slack", *args.value("slack")) : trace::default_correlation_slack;
    if (store.find_trace(id).size() == 0) {
      std::fprintf(stderr, "tracectl correlate: no trace %s in %s\n", id.to_hex().c_str(), store.options().path.c_str());
      return exit_not_found;
    }
    const auto linked = trace::logs_of_trace(store, logs, id, slack);
    if (json) w.begin_array();
    for (const trace::correlated_log& c : linked) {
      if (json) {
        write_log_json(w, c.index, logs[c.index], trace::to_string(c.by));
      } else {
        print(describe(c.index, logs[c.index]) + "  [" + std::string(trace::to_string(c.by)) + "]\n");
      }
    }
    if (json) w.end_array(), print_json(out);
    return linked.empty() ? exit_not_found : exit_ok;
  }
  if (auto n = args.value("log")) {
    const std::size_t index = log_number(logs, *n);
    const trace::log_record& r = logs[index];
    const auto origin = trace::origin_of_log(store, r);
    if (json) {
      w.begin_object().key("log");
      write_log_json(w, index, r);
      w.member("trace_spans", origin.trace.size());
      if (origin.span) w.key("span"), write_span_json(w, origin.span->materialize());
      w.end_object();
      print_json(out);
    } else {
      print(describe(index, r) + "\n");
      if (!r.trace.valid()) print("  no trace id: correlate --service " + r.service + " shows what ran around it\n");
      else if (origin.trace.empty()) print("  trace " + r.trace.to_hex() + " is not in the store\n");
      else print("  trace " + r.trace.to_hex() + " (" + std::to_string(origin.trace.size()) + " spans)\n");
      if (origin.span)
        print("  span " + origin.span->id().to_hex() + " " + std::string(origin.span->name()) + " (" +
              std::string(origin.span->service()) + ") " + format_time(origin.span->start()) + "\n");
      else if (r.span.valid()) print("  span " + r.span.to_hex() + " is not in the trace\n");
    }
    return origin.trace.empty() ? exit_not_found : exit_ok;
  }
  if (auto service = args.value("service")) {
    const trace::timestamp_ns now = now_of(args);
    trace::timestamp_ns from = now - parse_duration_option("since", args.value("since").value_or("1h")), to = now;
    if (auto f = args.value("from")) from = trace::parse_rfc3339(*f);
    if (auto t = args.value("to")) to = trace::parse_rfc3339(*t);
    const auto window = trace::correlate_window(store, logs, *service, from, to);
    if (json) {
      w.begin_object().key("traces").begin_array();
      for (const auto& t : window.traces)
        w.begin_object().member("trace_id", t.id.to_hex()).member("start", format_time(t.start)).member("root", t.root)
            .member("duration", t.end - t.start).member("spans", t.spans).member("logs", t.logs).end_object();
      w.end_array().key("logs").begin_array();
      for (std::size_t i : window.logs) write_log_json(w, i, logs[i]);
      w.end_array().end_object();
      print_json(out);
    } else {
      // One timeline: a trace at its start, a log at its time.
      std::size_t t = 0, l = 0;
      while (t < window.traces.size() || l < window.logs.size()) {
        const bool trace_first = l == window.logs.size() ||
                                 (t < window.traces.size() && window.traces[t].start <= logs[window.logs[l]].time);
        if (trace_first) {
          const auto& tr = window.traces[t++];
          print("trace " + format_time(tr.start) + " " + tr.id.to_hex() + " " + tr.root + " (" + std::to_string(tr.spans) +
                " spans, " + std::to_string(tr.logs) + " logs)\n");
        } else {
          const std::size_t i = window.logs[l++];
          print("log   " + describe(i, logs[i]) + "\n");
        }
      }
    }
    return window.traces.empty() && window.logs.empty() ? exit_not_found : exit_ok;
  }
  throw usage_error("correlate needs --trace ID, --log N or --service S");
}

}  // namespace tracectl
