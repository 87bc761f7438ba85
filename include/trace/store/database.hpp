#pragma once
// A database of named groups, as BanyanDB organises traces: a directory whose groups are
// each an mmap store with its own options (retention TTL, segment size and age, disk budget)
// and its trace schemas. The catalog of groups and schemas is one small text file, `CATALOG`,
// rewritten whole on every change: written to `CATALOG.tmp`, synced, renamed over the old
// one, the directory synced, so a crash leaves the old catalog or the new one, never half of
// one. Its first line names the format and version, its last line holds a CRC-32C of the
// lines before it (docs/DATABASE.md).
//
//   trace::database db("/var/lib/traces");
//   db.create_group("orders", {.ttl = 7 * 24 * trace::hour});
//   db.put_schema("orders", schema);
//   db.append("orders", "order_trace", spans);   // refused when a span breaks the schema
//   db.store("orders").find_trace(id);
//
// One thread at a time: the catalog calls are not synchronised (each group's store is, as
// an mmap_store, for its readers).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/store/index_rule.hpp"
#include "trace/store/mmap.hpp"
#include "trace/store/trace_schema.hpp"

namespace trace {
inline namespace v0 {

// The options of a group that its store takes; all can change (`update_group`): a new TTL
// applies at the next retention pass, a new segment size or age to the next segment.
struct group_options {
  duration_ns ttl = 0;                        // 0: keep forever
  std::uint64_t segment_bytes = 64ull << 20;  // a segment is sealed past this size ...
  duration_ns segment_span = 24 * hour;       // ... or this age
  std::uint64_t max_disk_bytes = 0;           // 0: no byte budget
  friend bool operator==(const group_options&, const group_options&) = default;
};

struct group_info {
  std::string name;
  group_options options;
  std::vector<std::string> schemas;
};

inline constexpr std::uint32_t catalog_version = 2;  // 2: index rules
inline constexpr std::uint32_t oldest_catalog_version = 1;

class database {
 public:
  // Opens (creating when missing) the database in `root`; reads and checks its catalog.
  explicit database(std::filesystem::path root);

  void create_group(const std::string& name, const group_options& options);
  void update_group(const std::string& name, const group_options& options);
  // Forgets the group (the catalog is rewritten first), then deletes its spans.
  void drop_group(const std::string& name);
  std::vector<group_info> list_groups() const;
  const group_options& options(const std::string& group) const { return find(group).options; }

  // Adds or replaces a schema of `group` (checked first, see check_schema).
  void put_schema(const std::string& group, const trace_schema& schema);
  const trace_schema& schema(const std::string& group, const std::string& name) const;

  // Replaces the index rules of a schema of `group` (checked first, see check_index_rules;
  // two schemas of a group may index an attribute only the same way). The group's store
  // builds them into the segments it seals from now on; `compact` rebuilds older ones.
  void put_index_rules(const std::string& group, const std::string& schema, std::vector<index_rule> rules);
  // BanyanDB's GetIndexRules: the rules of a schema (empty when it has none).
  const std::vector<index_rule>& index_rules(const std::string& group, const std::string& schema) const;
  // The indexes the rules of all the group's schemas ask for, as its store builds them.
  std::vector<indexed_tag> indexed_tags(const std::string& group) const;

  // The group's store, opened for writing on first use with the group's options.
  mmap_store& store(const std::string& group);
  // Validates the batch against the schema, then appends it to the group's store.
  void append(const std::string& group, const std::string& schema_name, std::span<const span> batch);
  // BanyanDB's GetRemovalSegmentsTimeRange: what the group's TTL would delete at `now`.
  // Answered without opening the store for writing (which would apply the retention).
  std::optional<time_range> removal_range(const std::string& group, timestamp_ns now);

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  struct group_entry {
    group_options options;
    std::map<std::string, trace_schema> schemas;
    std::map<std::string, std::vector<index_rule>> rules;  // by schema name
    std::unique_ptr<mmap_store> store;
  };
  group_entry& find(const std::string& name);
  const group_entry& find(const std::string& name) const;
  std::filesystem::path group_dir(const std::string& name) const { return root_ / "groups" / name; }
  std::filesystem::path catalog_path() const { return root_ / "CATALOG"; }
  std::string encode() const;
  void decode(const std::string& text);
  void persist() const;

  std::filesystem::path root_;
  std::map<std::string, group_entry> groups_;
};

namespace detail {

// Group, schema and tag names become file names and catalog words: letters, digits, '.',
// '_', '-', at most 128 bytes, not starting with '.'.
inline void check_catalog_name(std::string_view what, std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128 && name.front() != '.';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  if (!ok)
    throw error(errc::invalid_argument, std::string(what) + " name \"" + std::string(name) +
                                            "\" must be 1..128 letters, digits, '.', '_' or '-', not starting with '.'");
}

}  // namespace detail

inline database::database(std::filesystem::path root) : root_(std::move(root)) {
  std::filesystem::create_directories(root_ / "groups");
  std::filesystem::remove(root_ / "CATALOG.tmp");  // a rewrite that did not finish
  if (std::filesystem::exists(catalog_path())) {
    std::ifstream in(catalog_path(), std::ios::binary);
    decode(std::string(std::istreambuf_iterator<char>(in), {}));
  }
}

inline database::group_entry& database::find(const std::string& name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) throw error(errc::invalid_argument, "database " + root_.string() + ": no group \"" + name + "\"");
  return it->second;
}
inline const database::group_entry& database::find(const std::string& name) const {
  return const_cast<database*>(this)->find(name);
}

inline void database::create_group(const std::string& name, const group_options& options) {
  detail::check_catalog_name("group", name);
  if (groups_.count(name)) throw error(errc::invalid_argument, "database " + root_.string() + ": group \"" + name + "\" exists");
  mmap_options probe;  // the store's own checks of the option values, before anything is written
  probe.path = group_dir(name);
  probe.segment_bytes = options.segment_bytes;
  probe.segment_span = options.segment_span;
  validate(probe);
  // Spans left by a drop that crashed before deleting them must not reappear in the new group.
  std::filesystem::remove_all(group_dir(name));
  groups_[name].options = options;
  try {
    persist();
  } catch (...) {
    groups_.erase(name);
    throw;
  }
}

inline void database::update_group(const std::string& name, const group_options& options) {
  group_entry& g = find(name);
  mmap_options probe;
  probe.path = group_dir(name);
  probe.segment_bytes = options.segment_bytes;
  probe.segment_span = options.segment_span;
  validate(probe);
  const group_options before = g.options;
  g.options = options;
  try {
    persist();
  } catch (...) {
    g.options = before;
    throw;
  }
  g.store.reset();  // reopened with the new options at its next use
}

inline void database::drop_group(const std::string& name) {
  find(name);
  auto node = groups_.extract(name);
  try {
    persist();
  } catch (...) {
    groups_.insert(std::move(node));
    throw;
  }
  node.mapped().store.reset();
  std::filesystem::remove_all(group_dir(name));
}

inline std::vector<group_info> database::list_groups() const {
  std::vector<group_info> out;
  for (const auto& [name, g] : groups_) {
    group_info info{name, g.options, {}};
    for (const auto& [schema_name, s] : g.schemas) info.schemas.push_back(schema_name);
    out.push_back(std::move(info));
  }
  return out;
}

inline void database::put_schema(const std::string& group, const trace_schema& schema) {
  group_entry& g = find(group);
  detail::check_catalog_name("trace schema", schema.name);
  for (const tag_spec& t : schema.tags) detail::check_catalog_name("tag", t.name);
  check_schema(schema);
  if (auto rules = g.rules.find(schema.name); rules != g.rules.end()) check_index_rules(schema, rules->second);
  std::optional<trace_schema> before;
  if (auto it = g.schemas.find(schema.name); it != g.schemas.end()) before = it->second;
  g.schemas[schema.name] = schema;
  try {
    persist();
  } catch (...) {
    if (before) g.schemas[schema.name] = *before;
    else g.schemas.erase(schema.name);
    throw;
  }
}

inline const trace_schema& database::schema(const std::string& group, const std::string& name) const {
  const group_entry& g = find(group);
  auto it = g.schemas.find(name);
  if (it == g.schemas.end()) throw error(errc::invalid_argument, "group \"" + group + "\" has no trace schema \"" + name + "\"");
  return it->second;
}

inline void database::put_index_rules(const std::string& group, const std::string& schema_name,
                                      std::vector<index_rule> rules) {
  const trace_schema& s = schema(group, schema_name);
  for (const index_rule& r : rules) detail::check_catalog_name("index rule", r.name);
  check_index_rules(s, rules);
  group_entry& g = find(group);
  for (const index_rule& r : rules) {
    const indexed_tag wanted = index_for(s, r);
    for (const auto& [other_name, other_rules] : g.rules) {
      if (other_name == schema_name) continue;
      for (const index_rule& o : other_rules) {
        const indexed_tag theirs = index_for(g.schemas.at(other_name), o);
        if (theirs.field == wanted.field && theirs.key == wanted.key && theirs != wanted)
          throw error(errc::invalid_argument, "index rule \"" + r.name + "\" of trace schema \"" + schema_name +
                                                  "\": trace schema \"" + other_name + "\" indexes the same tag otherwise (rule \"" +
                                                  o.name + "\")");
      }
    }
  }
  std::vector<index_rule> before = std::move(g.rules[schema_name]);
  g.rules[schema_name] = std::move(rules);
  if (g.rules[schema_name].empty()) g.rules.erase(schema_name);
  try {
    persist();
  } catch (...) {
    g.rules[schema_name] = std::move(before);
    throw;
  }
  if (g.store) g.store->set_indexed_tags(indexed_tags(group));
}

inline const std::vector<index_rule>& database::index_rules(const std::string& group, const std::string& schema_name) const {
  static const std::vector<index_rule> none;
  schema(group, schema_name);
  const group_entry& g = find(group);
  auto it = g.rules.find(schema_name);
  return it == g.rules.end() ? none : it->second;
}

inline std::vector<indexed_tag> database::indexed_tags(const std::string& group) const {
  const group_entry& g = find(group);
  std::vector<indexed_tag> out;
  for (const auto& [schema_name, rules] : g.rules)
    for (const index_rule& r : rules)
      if (indexed_tag t = index_for(g.schemas.at(schema_name), r); std::ranges::find(out, t) == out.end()) out.push_back(t);
  return out;
}

inline mmap_store& database::store(const std::string& group) {
  group_entry& g = find(group);
  if (!g.store) {
    mmap_options o;
    o.path = group_dir(group);
    o.retention_ttl = g.options.ttl;
    o.segment_bytes = g.options.segment_bytes;
    o.segment_span = g.options.segment_span;
    o.max_disk_bytes = g.options.max_disk_bytes;
    o.indexed_tags = indexed_tags(group);
    g.store = std::make_unique<mmap_store>(o);
  }
  return *g.store;
}

inline void database::append(const std::string& group, const std::string& schema_name, std::span<const span> batch) {
  validate(schema(group, schema_name), batch);
  store(group).append(batch);
}

inline std::optional<time_range> database::removal_range(const std::string& group, timestamp_ns now) {
  group_entry& g = find(group);
  if (g.store) return g.store->removal_range(now);
  // Read-only: a writer would apply the retention (and so remove the range) as it opens.
  mmap_options o;
  o.path = group_dir(group);
  o.mode = open_mode::read_only;
  if (!std::filesystem::exists(o.path)) return std::nullopt;  // nothing appended yet
  return mmap_store(o).removal_range(now, g.options.ttl);
}

// ---- the catalog file ----
// trace-database-catalog VERSION
// group NAME TTL_NS SEGMENT_BYTES SEGMENT_SPAN_NS MAX_DISK_BYTES
// schema GROUP NAME TRACE_ID_TAG TIMESTAMP_TAG
// tag GROUP SCHEMA NAME TYPE required|optional SOURCE
// rule GROUP SCHEMA NAME TAG inverted|sorted          (version 2 on)
// crc32c HEX          (masked CRC-32C of every byte before this line)

inline std::string database::encode() const {
  std::string out = "trace-database-catalog " + std::to_string(catalog_version) + "\n";
  for (const auto& [name, g] : groups_) {
    out += "group " + name + " " + std::to_string(g.options.ttl) + " " + std::to_string(g.options.segment_bytes) + " " +
           std::to_string(g.options.segment_span) + " " + std::to_string(g.options.max_disk_bytes) + "\n";
    for (const auto& [schema_name, s] : g.schemas) {
      out += "schema " + name + " " + schema_name + " " + s.trace_id_tag_name + " " + s.timestamp_tag_name + "\n";
      for (const tag_spec& t : s.tags)
        out += "tag " + name + " " + schema_name + " " + t.name + " " + std::string(to_string(t.type)) + " " +
               (t.required ? "required " : "optional ") + std::string(to_string(t.source)) + "\n";
      if (auto rules = g.rules.find(schema_name); rules != g.rules.end())
        for (const index_rule& r : rules->second)
          out += "rule " + name + " " + schema_name + " " + r.name + " " + r.tag + " " + std::string(to_string(r.kind)) + "\n";
    }
  }
  char crc[32];
  std::snprintf(crc, sizeof crc, "crc32c %08x\n", mask_crc(crc32c(out.data(), out.size())));
  return out + crc;
}

inline void database::decode(const std::string& text) {
  const std::string where = catalog_path().string();
  auto refuse = [&where](const std::string& what) { throw error(errc::corrupt_data, where + ": " + what); };
  const std::size_t last = text.rfind("crc32c ", text.size() > 8 ? text.size() - 8 : 0);
  if (text.empty() || text.back() != '\n' || last == std::string::npos || (last && text[last - 1] != '\n'))
    refuse("has no checksum line at its end (cut short?)");
  const std::uint32_t stored = static_cast<std::uint32_t>(std::strtoul(text.c_str() + last + 7, nullptr, 16));
  if (stored != mask_crc(crc32c(text.data(), last))) refuse("checksum mismatch");
  std::istringstream lines(text.substr(0, last));
  std::string line;
  std::size_t number = 0;
  std::map<std::string, group_entry> groups;
  while (std::getline(lines, line)) {
    ++number;
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    auto bad = [&](const std::string& what) { refuse("line " + std::to_string(number) + ": " + what); };
    // What the database's own calls check before they write a line, checked again on reading
    // it: names become file names, and a group's options must open its store.
    auto checked = [&](auto&& check) {
      try {
        check();
      } catch (const error& e) {
        bad(e.message());
      }
    };
    if (number == 1) {
      std::uint32_t version = 0;
      if (kind != "trace-database-catalog" || !(words >> version)) bad("is not a trace database catalog");
      if (version < oldest_catalog_version || version > catalog_version)
        bad("catalog version " + std::to_string(version) + " is not supported (this build reads " +
            std::to_string(oldest_catalog_version) + " to " + std::to_string(catalog_version) + ")");
    } else if (kind == "group") {
      std::string name;
      group_options o;
      if (!(words >> name >> o.ttl >> o.segment_bytes >> o.segment_span >> o.max_disk_bytes)) bad("malformed group");
      checked([&] {
        detail::check_catalog_name("group", name);
        mmap_options probe;  // as create_group checks them: the group's store must open
        probe.path = group_dir(name);
        probe.segment_bytes = o.segment_bytes;
        probe.segment_span = o.segment_span;
        validate(probe);
      });
      // The writer never repeats a line; a repeat would silently replace what came first.
      if (!groups.try_emplace(name).second) bad("group \"" + name + "\" is given twice");
      groups[name].options = o;
    } else if (kind == "schema") {
      std::string group;
      trace_schema s;
      if (!(words >> group >> s.name >> s.trace_id_tag_name >> s.timestamp_tag_name)) bad("malformed schema");
      if (!groups.count(group)) bad("schema of unknown group \"" + group + "\"");
      checked([&] { detail::check_catalog_name("trace schema", s.name); });
      if (!groups[group].schemas.try_emplace(s.name, s).second)
        bad("trace schema \"" + s.name + "\" of group \"" + group + "\" is given twice");
    } else if (kind == "tag") {
      std::string group, schema_name, type, required, source;
      tag_spec t;
      if (!(words >> group >> schema_name >> t.name >> type >> required >> source)) bad("malformed tag");
      auto g = groups.find(group);
      if (g == groups.end() || !g->second.schemas.count(schema_name)) bad("tag of unknown schema \"" + schema_name + "\"");
      checked([&] { detail::check_catalog_name("tag", t.name); });
      auto parsed_type = parse_tag_type(type);
      auto parsed_source = parse_tag_source(source);
      if (!parsed_type || !parsed_source || (required != "required" && required != "optional"))
        bad("tag \"" + t.name + "\" has an unknown type, source or requirement");
      t.type = *parsed_type;
      t.source = *parsed_source;
      t.required = required == "required";
      g->second.schemas[schema_name].tags.push_back(t);
    } else if (kind == "rule") {
      std::string group, schema_name, kind_name;
      index_rule r;
      if (!(words >> group >> schema_name >> r.name >> r.tag >> kind_name)) bad("malformed index rule");
      auto g = groups.find(group);
      if (g == groups.end() || !g->second.schemas.count(schema_name)) bad("index rule of unknown schema \"" + schema_name + "\"");
      checked([&] { detail::check_catalog_name("index rule", r.name); });
      auto parsed = parse_index_kind(kind_name);
      if (!parsed) bad("index rule \"" + r.name + "\" has unknown kind \"" + kind_name + "\"");
      r.kind = *parsed;
      g->second.rules[schema_name].push_back(r);
    } else {
      bad("unknown entry \"" + kind + "\"");
    }
  }
  if (number == 0) refuse("is empty");
  // Schemas and their rules are checked once all their tags are read.
  for (const auto& [group_name, g] : groups) {
    for (const auto& [schema_name, schema] : g.schemas) {
      try {
        check_schema(schema);
      } catch (const error& e) {
        refuse("group \"" + group_name + "\": " + e.message());
      }
    }
    for (const auto& [schema_name, rules] : g.rules) {
      try {
        check_index_rules(g.schemas.at(schema_name), rules);
      } catch (const error& e) {
        refuse(e.what());
      }
    }
  }
  groups_ = std::move(groups);
}

inline void database::persist() const {
  const std::string text = encode();
  detail::write_file_durably(root_ / "CATALOG.tmp", catalog_path(), text.data(), text.size());
}

}  // namespace v0
}  // namespace trace
