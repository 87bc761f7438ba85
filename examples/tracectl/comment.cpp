// Comments on traces: tracectl comment add|list|edit|rm, kept in the store's comments.log
// (trace/store/comment_log.hpp), and the comments `tracectl trace` shows under a trace.

#include <cstdlib>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/store/comment_log.hpp"

namespace tracectl {
namespace {

std::filesystem::path comments_path(const arguments& args) { return std::filesystem::path(args.required("store")) / "comments.log"; }

std::string author_of(const arguments& args) {
  if (auto a = args.value("author")) return *a;
  const char* user = std::getenv("USER");
  return user && *user ? user : "unknown";
}

std::uint64_t comment_id_argument(const arguments& args) {
  if (args.positional.size() != 2) throw usage_error("comment " + args.positional[0] + " needs exactly one comment ID");
  const std::string& text = args.positional[1];
  char* end = nullptr;
  const unsigned long long id = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || id == 0) throw usage_error("comment ID " + text + ": expected a whole number from 1");
  return id;
}

std::string describe(const trace::comment& c) {
  std::string line = "#" + std::to_string(c.id) + " " + c.author + " " + format_time(c.created);
  if (c.span.valid()) line += " on span " + c.span.to_hex();
  if (c.edited) line += " (edited " + format_time(c.edited) + ")";
  if (c.removed) line += " [removed by " + c.removed_by + " " + format_time(c.removed_at) + "]";
  return line + ": " + c.text;
}

}  // namespace

void write_comments_json(trace::json::writer& w, const std::vector<trace::comment>& comments) {
  w.begin_array();
  for (const trace::comment& c : comments) {
    w.begin_object().member("id", c.id).member("author", c.author).member("text", c.text).member("created", format_time(c.created));
    if (c.span.valid()) w.member("span_id", c.span.to_hex());
    if (c.edited) w.member("edited", format_time(c.edited));
    if (c.removed) w.member("removed", format_time(c.removed_at)).member("removed_by", c.removed_by);
    w.end_object();
  }
  w.end_array();
}

std::vector<trace::comment> comments_of(const arguments& args, const trace::trace_id& id, bool with_removed) {
  const trace::comment_log log(comments_path(args), trace::comment_log::mode::read_only);
  return log.of_trace(id, with_removed);
}

std::string comments_text(const std::vector<trace::comment>& comments) {
  std::string out;
  for (const trace::comment& c : comments) out += "  " + describe(c) + "\n";
  return out.empty() ? out : "comments:\n" + out;
}

int run_comment(const arguments& args) {
  if (args.positional.empty()) throw usage_error("comment needs add, list, edit or rm");
  const std::string& action = args.positional[0];
  if (action == "add" || action == "list") {
    if (args.positional.size() != 2) throw usage_error("comment " + action + " needs exactly one trace ID");
    const trace::trace_id id = parse_trace_id_argument(args.positional[1]);
    if (action == "list") {
      const auto comments = comments_of(args, id, args.flag("all"));
      if (args.flag("json")) {
        std::string out;
        trace::json::writer w(out);
        write_comments_json(w, comments);
        print_json(out);
      } else {
        for (const trace::comment& c : comments) print(describe(c) + "\n");
      }
      return comments.empty() ? exit_not_found : exit_ok;
    }
    {
      const trace::mmap_store store = open_store(args);  // a comment belongs to a trace the store holds
      if (store.find_trace(id).size() == 0) {
        std::fprintf(stderr, "tracectl comment: no trace %s in %s\n", id.to_hex().c_str(), store.options().path.c_str());
        return exit_not_found;
      }
    }
    trace::span_id span{};
    if (auto s = args.value("span")) span = trace::span_id::parse(*s);
    trace::comment_log log(comments_path(args));
    const std::uint64_t added = log.add(id, author_of(args), args.required("text"), span);
    print("comment " + std::to_string(added) + " added to trace " + id.to_hex() + "\n");
    return exit_ok;
  }
  if (action == "edit" || action == "rm") {
    const std::uint64_t id = comment_id_argument(args);
    trace::comment_log log(comments_path(args));
    if (!log.find(id)) {
      std::fprintf(stderr, "tracectl comment: no comment %llu\n", static_cast<unsigned long long>(id));
      return exit_not_found;
    }
    if (action == "edit") log.edit(id, args.required("text"));
    else log.remove(id, author_of(args));
    print("comment " + std::to_string(id) + (action == "edit" ? " edited\n" : " removed (kept as a tombstone)\n"));
    return exit_ok;
  }
  throw usage_error("comment " + action + ": expected add, list, edit or rm");
}

}  // namespace tracectl
