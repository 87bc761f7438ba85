// The database's CATALOG file (store/database.hpp): its groups, trace schemas, tags and
// index rules as text lines under a CRC-32C. A checksum catches a byte flipped on disk;
// what it cannot catch is a well-checksummed catalog holding anything, as a buggy or
// hostile writer would leave it. Opening one must load it or refuse it with trace::error,
// never fault, and what it loads must be what the database's own calls would have let in:
// names fit for file names, options its stores accept, schemas and index rules that pass
// their checks. A loaded catalog, written again, opens to the same groups.
//
// Input: the catalog's lines; the checksum line is appended unless the input's first byte
// is '!' (then the rest is the whole file, checksum and all).
// Seeds: fuzz/corpus/database_catalog, catalogs written by the database itself (the groups,
// schemas and rules of unit-database and unit-store-index-rules) and a version 1 catalog.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trace/io/file.hpp"
#include "trace/store/database.hpp"
#include "trace/store/mmap/crc32c.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& work_dir() {
  static const fs::path dir = fs::temp_directory_path() / ("fuzz-database-catalog-" + std::to_string(::getpid()));
  return dir;
}

// What the database's own calls check before a catalog line is written.
void check_loaded(trace::database& db) {
  for (const trace::group_info& g : db.list_groups()) {
    trace::detail::check_catalog_name("group", g.name);
    trace::mmap_options probe;
    probe.path = db.root() / "groups" / g.name;
    probe.segment_bytes = g.options.segment_bytes;
    probe.segment_span = g.options.segment_span;
    trace::validate(probe);
    for (const std::string& name : g.schemas) {
      const trace::trace_schema& s = db.schema(g.name, name);
      trace::detail::check_catalog_name("trace schema", s.name);
      for (const trace::tag_spec& t : s.tags) trace::detail::check_catalog_name("tag", t.name);
      trace::check_schema(s);
      for (const trace::index_rule& r : db.index_rules(g.name, name)) trace::detail::check_catalog_name("index rule", r.name);
    }
    db.indexed_tags(g.name);
  }
}

// The groups, each with its options, schemas and their rules.
bool same_catalog(const trace::database& a, const trace::database& b) {
  const std::vector<trace::group_info> ga = a.list_groups(), gb = b.list_groups();
  if (ga.size() != gb.size()) return false;
  for (std::size_t i = 0; i < ga.size(); ++i) {
    if (ga[i].name != gb[i].name || ga[i].options != gb[i].options || ga[i].schemas != gb[i].schemas) return false;
    for (const std::string& name : ga[i].schemas)
      if (a.schema(ga[i].name, name) != b.schema(ga[i].name, name) ||
          a.index_rules(ga[i].name, name) != b.index_rules(ga[i].name, name))
        return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!text.empty() && text[0] == '!') {
    text.erase(0, 1);
  } else {
    char crc[32];
    std::snprintf(crc, sizeof crc, "crc32c %08x\n", trace::mask_crc(trace::crc32c(text.data(), text.size())));
    text += crc;
  }
  const fs::path& dir = work_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  trace::write_file_text(dir / "CATALOG", text);
  std::unique_ptr<trace::database> db;
  try {
    db = std::make_unique<trace::database>(dir);
  } catch (const trace::error& e) {
    if (e.code() != trace::errc::corrupt_data) std::abort();  // a catalog's damage is named so
    return 0;
  }
  check_loaded(*db);  // a refusal here escapes as an uncaught trace::error: a finding
  const std::vector<trace::group_info> groups = db->list_groups();
  if (groups.empty()) return 0;
  db->update_group(groups[0].name, groups[0].options);  // the catalog written again
  if (!same_catalog(*db, trace::database(dir))) std::abort();
  return 0;
}
