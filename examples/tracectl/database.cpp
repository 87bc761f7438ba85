// A database of groups (trace::database): group list, schema get, index-rules get, the
// removal time range.

#include <string>
#include <vector>

#include <trace/store/database.hpp>

#include "commands.hpp"

namespace tracectl {
namespace {

trace::database open_database(const arguments& args) {
  const std::filesystem::path root = args.required("db");
  if (!std::filesystem::exists(root / "CATALOG")) throw usage_error("--db " + root.string() + ": no database catalog there");
  return trace::database(root);
}

std::string verb_of(const arguments& args, const char* command, const char* expected) {
  if (args.positional.size() != 1 || args.positional[0] != expected)
    throw usage_error(std::string(command) + " takes one word: " + expected);
  return args.positional[0];
}

}  // namespace

int run_group(const arguments& args) {
  verb_of(args, "group", "list");
  const trace::database db = open_database(args);
  const auto groups = db.list_groups();
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& g : groups) {
      w.begin_object()
          .member("name", g.name)
          .member("ttl_ns", g.options.ttl)
          .member("segment_bytes", g.options.segment_bytes)
          .member("segment_span_ns", g.options.segment_span)
          .member("max_disk_bytes", g.options.max_disk_bytes)
          .key("schemas")
          .begin_array();
      for (const auto& s : g.schemas) w.string(s);
      w.end_array().end_object();
    }
    w.end_array();
    print(out + "\n");
    return groups.empty() ? exit_not_found : exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"GROUP", "TTL", "SEGMENT BYTES", "SEGMENT SPAN", "DISK BUDGET", "SCHEMAS"}};
  for (const auto& g : groups) {
    std::string schemas;
    for (const auto& s : g.schemas) schemas += (schemas.empty() ? "" : ",") + s;
    rows.push_back({g.name, g.options.ttl ? trace::format_duration(g.options.ttl) : "forever",
                    std::to_string(g.options.segment_bytes), trace::format_duration(g.options.segment_span),
                    g.options.max_disk_bytes ? std::to_string(g.options.max_disk_bytes) : "none", schemas});
  }
  print(table(rows, palette{use_colour(stdout)}));
  return groups.empty() ? exit_not_found : exit_ok;
}

int run_schema(const arguments& args) {
  verb_of(args, "schema", "get");
  const trace::database db = open_database(args);
  const trace::trace_schema& s = db.schema(args.required("group"), args.required("name"));
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_object()
        .member("name", s.name)
        .member("trace_id_tag_name", s.trace_id_tag_name)
        .member("timestamp_tag_name", s.timestamp_tag_name)
        .key("tags")
        .begin_array();
    for (const auto& t : s.tags)
      w.begin_object()
          .member("name", t.name)
          .member("type", std::string(trace::to_string(t.type)))
          .member("required", t.required)
          .member("source", std::string(trace::to_string(t.source)))
          .end_object();
    w.end_array().end_object();
    print(out + "\n");
    return exit_ok;
  }
  print("trace schema " + s.name + ": trace id in tag " + s.trace_id_tag_name + ", timestamp in tag " +
        s.timestamp_tag_name + "\n");
  std::vector<std::vector<std::string>> rows{{"TAG", "TYPE", "REQUIRED", "SOURCE"}};
  for (const auto& t : s.tags)
    rows.push_back({t.name, std::string(trace::to_string(t.type)), t.required ? "yes" : "no",
                    std::string(trace::to_string(t.source))});
  print(table(rows, palette{use_colour(stdout)}));
  return exit_ok;
}

int run_index_rules(const arguments& args) {
  verb_of(args, "index-rules", "get");
  const trace::database db = open_database(args);
  const auto& rules = db.index_rules(args.required("group"), args.required("name"));
  const trace::trace_schema& schema = db.schema(args.required("group"), args.required("name"));
  // What each rule indexes: an attribute, or one of the span's own fields (service, name, ...).
  auto source_of = [&schema](const trace::index_rule& r) {
    const trace::tag_spec* t = schema.tag(r.tag);
    return std::string(t ? trace::to_string(t->source) : "?");
  };
  if (args.flag("json")) {
    std::string out;
    trace::json::writer w(out);
    w.begin_array();
    for (const auto& r : rules)
      w.begin_object()
          .member("name", r.name)
          .member("tag", r.tag)
          .member("kind", std::string(trace::to_string(r.kind)))
          .member("source", source_of(r))
          .end_object();
    w.end_array();
    print(out + "\n");
    return rules.empty() ? exit_not_found : exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"RULE", "TAG", "KIND", "SOURCE"}};
  for (const auto& r : rules) rows.push_back({r.name, r.tag, std::string(trace::to_string(r.kind)), source_of(r)});
  print(table(rows, palette{use_colour(stdout)}));
  return rules.empty() ? exit_not_found : exit_ok;
}

int run_removal(const arguments& args) {
  trace::database db = open_database(args);
  const auto range = db.removal_range(args.required("group"), now_of(args));
  if (!range) {
    print("nothing to remove: no sealed segment is older than the group's TTL\n");
    return exit_not_found;
  }
  print(format_time(range->begin) + " .. " + format_time(range->end) + "\n");
  return exit_ok;
}

}  // namespace tracectl
