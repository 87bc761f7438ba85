#include "cli.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <unistd.h>  // isatty

#include <trace/io/json_attribute.hpp>
#include <trace/core/rfc3339.hpp>
#include <trace/query/traceql.hpp>

namespace tracectl {

const option_spec store_option{"store", "DIR", "the store directory"};
const option_spec db_option{"db", "DIR", "the database directory (trace::database: groups of stores)"};
const option_spec json_option{"json", "", "print JSON instead of text"};
const option_spec where_option{"where", "QUERY", "only spans matching QUERY (see docs/QUERY.md)"};
const option_spec text_option{"text", "WORDS", "only spans whose text matches WORDS: words, \"phrases\", prefix*, AND, OR, NOT (docs/TEXT_SEARCH.md)"};
const option_spec now_option{"now", "TIME", "take TIME (RFC 3339) as the present, for windows such as --last"};

arguments parse_arguments(const std::vector<std::string>& words, const std::vector<option_spec>& options) {
  arguments out;
  bool only_positionals = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (only_positionals || word.size() < 2 || word[0] != '-' || (word[1] != '-' && word != "-o")) {
      out.positional.push_back(word);
      continue;
    }
    if (word == "--") {
      only_positionals = true;
      continue;
    }
    std::string name = word == "-o" ? "output" : word.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const option_spec* spec = nullptr;
    for (const option_spec& o : options)
      if (o.name == name) spec = &o;
    if (!spec) throw usage_error("unknown option --" + name);
    if (spec->value.empty()) {
      if (inline_value) throw usage_error("--" + name + " takes no value");
      out.set(name, "");
    } else if (inline_value) {
      out.set(name, *inline_value);
    } else {
      if (i + 1 >= words.size()) throw usage_error("--" + name + " needs a value (" + std::string(spec->value) + ")");
      out.set(name, words[++i]);
    }
  }
  return out;
}

namespace {
std::vector<std::string> damage_seen;
}  // namespace

const std::vector<std::string>& store_damage() { return damage_seen; }

trace::mmap_store open_store(const arguments& args, bool writable) {
  const std::filesystem::path dir = args.required("store");
  if (!writable && !std::filesystem::is_directory(dir))
    throw usage_error("--store " + dir.string() + ": no such store directory");
  trace::mmap_options options;
  options.path = dir;
  options.mode = writable ? trace::open_mode::read_write : trace::open_mode::read_only;
  options.on_dropped = [dir](const trace::dropped_log_tail& d) {
    if (!d.damage) return;  // a torn tail (a crash's unfinished write) is not news
    damage_seen.push_back(trace::describe(d));
    std::fprintf(stderr, "tracectl: warning: the store is damaged, answering from the rest: %s\n"
                         "  (tracectl repair --store %s drops the damage; tracectl check shows it)\n",
                 damage_seen.back().c_str(), dir.c_str());
  };
  if (auto budget = args.value("max-disk-bytes")) {  // import's cap on the store's size
    const auto [end, ec] = std::from_chars(budget->data(), budget->data() + budget->size(), options.max_disk_bytes);
    if (ec != std::errc{} || end != budget->data() + budget->size() || options.max_disk_bytes == 0)
      throw usage_error("--max-disk-bytes " + *budget + ": expected a whole number of bytes above 0");
  }
  return trace::mmap_store(std::move(options));
}

trace::duration_ns parse_duration_option(std::string_view option, std::string_view text) {
  struct unit { std::string_view suffix; trace::duration_ns scale; };
  constexpr unit units[] = {{"ns", trace::nanosecond}, {"us", trace::microsecond}, {"ms", trace::millisecond},
                            {"s", trace::second},       {"m", trace::minute},      {"h", trace::hour},
                            {"d", 24 * trace::hour}};
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view suffix = text.substr(digits);
  for (const unit& u : units)
    if (digits > 0 && suffix == u.suffix && digits <= 12)
      return std::stoull(std::string(text.substr(0, digits))) * u.scale;
  throw usage_error("--" + std::string(option) + " " + std::string(text) +
                    ": expected a whole number and a unit (ns, us, ms, s, m, h, d), such as 15m or 7d");
}

trace::trace_id parse_trace_id_argument(std::string_view text) {
  if (auto id = trace::trace_id::from_hex(text)) return *id;
  throw usage_error("trace id \"" + std::string(text) + "\" is not 32 hex digits with at least one non-zero");
}

trace::timestamp_ns now_of(const arguments& args) {
  auto text = args.value("now");
  if (!text) return trace::now_ns();
  try {
    return trace::parse_rfc3339(*text);
  } catch (const trace::error& e) {
    throw usage_error(std::string("--now: ") + e.what());
  }
}

trace::filter filter_of(const arguments& args) {
  using namespace trace::where;
  trace::filter f = any();
  auto add = [&f](trace::filter more) {
    f = std::holds_alternative<trace::filters::match_all>(f.get()) ? std::move(more) : std::move(f) && std::move(more);
  };
  if (auto id = args.value("trace")) add(in_trace(parse_trace_id_argument(*id)));
  if (auto s = args.value("service")) add(service(*s));
  if (auto n = args.value("name")) add(operation(*n));
  if (auto s = args.value("status")) {
    auto code = trace::status_code_from_string(*s);
    if (!code) throw usage_error("--status " + *s + ": expected ok, error or unset");
    add(status(*code));
  }
  if (auto k = args.value("kind")) {
    auto which = trace::span_kind_from_string(*k);
    if (!which) throw usage_error("--kind " + *k + ": expected server, client, producer, consumer, internal or unspecified");
    add(kind(*which));
  }
  if (auto words = args.value("text")) {
    try {
      add(text(*words));
    } catch (const trace::error& e) {
      throw usage_error(std::string("--text: ") + e.what());
    }
  }
  if (auto q = args.value("where")) {
    try {
      add(trace::parse_traceql(*q));
    } catch (const trace::query_syntax_error& e) {
      std::string pointed = e.caret();
      std::string indented = "  ";
      for (char c : pointed) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
      throw usage_error(std::string("--where: ") + e.what() + "\n" + indented);
    }
  }
  return f;
}

bool is_terminal(std::FILE* f) { return ::isatty(::fileno(f)) == 1; }

bool use_colour(std::FILE* f) {
  const char* no_colour = std::getenv("NO_COLOR");
  return is_terminal(f) && (no_colour == nullptr || *no_colour == '\0');
}

std::string palette::service(std::string_view name, std::string_view text) const {
  static constexpr std::string_view colours[] = {"36", "35", "33", "34", "32", "96", "95", "93"};
  std::size_t hash = 0;
  for (char c : name) hash = hash * 31 + static_cast<unsigned char>(c);
  return paint(colours[hash % std::size(colours)], text);
}

std::string format_time(trace::timestamp_ns t) {
  using namespace std::chrono;
  const sys_time<nanoseconds> when{nanoseconds(static_cast<std::int64_t>(t))};
  const auto day = floor<days>(when);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> clock{floor<milliseconds>(when - day)};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
  return text;
}

namespace {
void write_attributes(trace::json::writer& w, const trace::attributes& items) {
  w.begin_object();
  for (const auto& item : items) {
    w.key(item.key);
    trace::json::write_attribute_value(w, item.value);
  }
  w.end_object();
}
}  // namespace

void write_span_json(trace::json::writer& w, const trace::span& s, std::uint32_t depth) {
  w.begin_object();
  w.member("trace_id", s.trace.to_hex()).member("span_id", s.id.to_hex());
  if (s.parent.valid()) w.member("parent_id", s.parent.to_hex());
  if (depth > 0) w.member("depth", depth);
  w.member("service", s.resource.service_name).member("name", s.name);
  w.member("kind", trace::to_string(s.kind));
  w.member("start", s.start).member("end", s.end).member("duration", s.duration());
  w.member("status", trace::to_string(s.status.code));
  if (!s.status.message.empty()) w.member("status_message", s.status.message);
  w.key("attributes");
  write_attributes(w, s.attributes);
  w.key("resource");
  write_attributes(w, s.resource.attributes);
  w.key("events").begin_array();
  for (const auto& e : s.events) {
    w.begin_object().member("time", e.time).member("name", e.name);
    if (e.level) w.member("level", trace::to_string(*e.level));
    w.key("attributes");
    write_attributes(w, e.attributes);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

void print_json(const std::string& document) {
  if (damage_seen.empty()) {
    print(document + "\n");
    return;
  }
  std::string out;
  trace::json::writer w(out);
  w.begin_object().key("damage").begin_array();
  for (const auto& d : damage_seen) w.string(d);
  w.end_array().key("result");
  print(out + document + "}\n");
}

}  // namespace tracectl
