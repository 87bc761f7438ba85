// The database of named groups (each an mmap store with its own options) and their trace
// schemas: create, list, update, drop survive a reopen; the catalog is checked (version,
// checksum) and rewritten whole; a schema is checked, and a batch that breaks it is refused
// naming the span's index and the tag.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mmap_test_support.hpp"
#include "support/request_schema.hpp"
#include "trace/store/database.hpp"

using test_support::make_batch;
using test_support::read_file;
using test_support::temp_dir;
using test_support::write_file;
using trace_test::request_schema;

TEST_CASE("groups are created, listed, updated and dropped, and a reopened database sees the same") {
  temp_dir dir;
  const auto root = dir / "db";
  {
    trace::database db(root);
    db.create_group("orders", {.ttl = 7 * 24 * trace::hour, .segment_bytes = 1 << 20});
    db.create_group("audit", {});
    db.put_schema("orders", request_schema());
    db.update_group("audit", {.ttl = trace::hour, .max_disk_bytes = 1 << 30});
  }
  trace::database db(root);
  const auto groups = db.list_groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].name == "audit");
  CHECK(groups[0].options == trace::group_options{.ttl = trace::hour, .max_disk_bytes = 1 << 30});
  CHECK(groups[0].schemas.empty());
  CHECK(groups[1].name == "orders");
  CHECK(groups[1].options.ttl == 7 * 24 * trace::hour);
  CHECK(groups[1].options.segment_bytes == 1 << 20);
  CHECK(groups[1].schemas == std::vector<std::string>{"request"});
  CHECK(db.schema("orders", "request") == request_schema());

  db.store("orders").append(make_batch(1, 2, 3));
  CHECK(std::filesystem::exists(root / "groups" / "orders"));
  db.drop_group("orders");
  CHECK_FALSE(std::filesystem::exists(root / "groups" / "orders"));
  CHECK(trace::database(root).list_groups().size() == 1);

  // A drop that crashed after the catalog was rewritten leaves the spans behind; a group
  // created under the same name starts empty all the same.
  db.create_group("orders", {});
  db.store("orders").append(make_batch(1, 2, 3));
  db.store("orders").sync();
  const auto left_behind = dir / "left-behind";
  std::filesystem::copy(root / "groups" / "orders", left_behind, std::filesystem::copy_options::recursive);
  db.drop_group("orders");
  std::filesystem::copy(left_behind, root / "groups" / "orders", std::filesystem::copy_options::recursive);
  std::filesystem::remove(root / "groups" / "orders" / "LOCK");
  db.create_group("orders", {});
  CHECK(db.store("orders").size() == 0);
}

TEST_CASE("group and schema requests that cannot be met are refused with the name") {
  temp_dir dir;
  trace::database db(dir / "db");
  db.create_group("orders", {});
  CHECK_THROWS_WITH(db.create_group("orders", {}), Catch::Contains("group \"orders\" exists"));
  CHECK_THROWS_WITH(db.drop_group("nope"), Catch::Contains("no group \"nope\""));
  CHECK_THROWS_WITH(db.update_group("nope", {}), Catch::Contains("no group \"nope\""));
  CHECK_THROWS_WITH(db.create_group("../escape", {}), Catch::Contains("group name \"../escape\""));
  CHECK_THROWS_WITH(db.create_group("tiny", {.segment_bytes = 10}), Catch::Contains("segment_bytes"));
  CHECK(db.list_groups().size() == 1);  // nothing half-created
  CHECK_THROWS_WITH(db.schema("orders", "request"), Catch::Contains("no trace schema \"request\""));
}

TEST_CASE("a schema that contradicts itself is refused, naming what is wrong") {
  temp_dir dir;
  trace::database db(dir / "db");
  db.create_group("orders", {});
  auto s = request_schema();
  SECTION("trace id tag missing") {
    s.trace_id_tag_name = "id";
    CHECK_THROWS_WITH(db.put_schema("orders", s), Catch::Contains("trace_id_tag_name \"id\" is not one of its tags"));
  }
  SECTION("trace id tag not on the trace id") {
    s.trace_id_tag_name = "operation";
    CHECK_THROWS_WITH(db.put_schema("orders", s), Catch::Contains("maps onto name, not trace_id"));
  }
  SECTION("timestamp tag of another type") {
    s.timestamp_tag_name = "http.status_code";
    CHECK_THROWS_WITH(db.put_schema("orders", s), Catch::Contains("is int64, not timestamp"));
  }
  SECTION("a built-in field given another type") {
    s.tags[2].type = trace::tag_type::int64;
    CHECK_THROWS_WITH(db.put_schema("orders", s), Catch::Contains("maps onto the span's name, which is string, not int64"));
  }
  SECTION("a tag declared twice") {
    s.tags.push_back(s.tags[3]);
    CHECK_THROWS_WITH(db.put_schema("orders", s), Catch::Contains("\"http.status_code\" is declared twice"));
  }
  CHECK(db.list_groups()[0].schemas.empty());
}

TEST_CASE("append to a schema'd group refuses a batch that breaks the schema, naming span and tag") {
  temp_dir dir;
  trace::database db(dir / "db");
  db.create_group("orders", {});
  db.put_schema("orders", request_schema());
  auto batch = make_batch(1, 2, 3);
  db.append("orders", "request", batch);
  CHECK(db.store("orders").size() == 6);

  SECTION("a required attribute missing") {
    batch[4].attributes = {};
    batch[4].attributes.set("cached", true);
    CHECK_THROWS_WITH(db.append("orders", "request", batch),
                      Catch::Contains("span 4 of the batch") && Catch::Contains("\"http.status_code\" is required but missing"));
  }
  SECTION("an attribute of the wrong type") {
    batch[2].attributes.set("cached", std::string("yes"));
    CHECK_THROWS_WITH(db.append("orders", "request", batch),
                      Catch::Contains("span 2 of the batch") && Catch::Contains("\"cached\" is string, the schema says bool"));
  }
  SECTION("a required built-in field empty") {
    batch[1].name.clear();
    CHECK_THROWS_WITH(db.append("orders", "request", batch), Catch::Contains("span 1") && Catch::Contains("\"operation\""));
  }
  SECTION("a resource attribute of the wrong type") {
    batch[5].resource.attributes.set("host.name", std::int64_t(3));
    CHECK_THROWS_WITH(db.append("orders", "request", batch), Catch::Contains("span 5") && Catch::Contains("\"host.name\" is int64"));
  }
  CHECK(db.store("orders").size() == 6);  // the refused batch wrote nothing
  try {
    db.append("orders", "request", batch);
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::invalid_span);
  }
}

TEST_CASE("the catalog is refused when damaged, cut short or of another version, and a leftover rewrite is ignored") {
  temp_dir dir;
  const auto root = dir / "db";
  {
    trace::database db(root);
    db.create_group("orders", {});
    db.put_schema("orders", request_schema());
  }
  const auto catalog = root / "CATALOG";
  const std::string good = read_file(catalog);
  SECTION("a flipped byte") {
    std::string bad = good;
    bad[good.find("orders")] = 'O';
    write_file(catalog, bad);
    CHECK_THROWS_WITH(trace::database(root), Catch::Contains(catalog.string()) && Catch::Contains("checksum mismatch"));
  }
  SECTION("cut short") {
    write_file(catalog, good.substr(0, good.size() / 2));
    CHECK_THROWS_WITH(trace::database(root), Catch::Contains("no checksum line"));
  }
  SECTION("another version") {
    std::string other = "trace-database-catalog 3\n";
    char crc[32];
    std::snprintf(crc, sizeof crc, "crc32c %08x\n", trace::mask_crc(trace::crc32c(other.data(), other.size())));
    write_file(catalog, other + crc);
    CHECK_THROWS_WITH(trace::database(root), Catch::Contains("catalog version 3 is not supported (this build reads 1 to 2)"));
  }
  SECTION("a rewrite that did not finish") {
    write_file(root / "CATALOG.tmp", "trace-database-catalog 1\ngroup half");
    trace::database db(root);
    CHECK(db.list_groups().size() == 1);
    CHECK_FALSE(std::filesystem::exists(root / "CATALOG.tmp"));
  }
}

TEST_CASE("a well-checksummed catalog holding what the database's calls refuse is refused, naming the line") {
  // Found by fuzz_database_catalog: such catalogs used to open, leaving a group whose store
  // cannot open, or a name that walks out of the groups directory.
  temp_dir dir;
  const auto root = dir / "db";
  std::filesystem::create_directories(root);
  auto open_with = [&root](const std::string& lines) {
    char crc[32];
    std::snprintf(crc, sizeof crc, "crc32c %08x\n", trace::mask_crc(trace::crc32c(lines.data(), lines.size())));
    write_file(root / "CATALOG", lines + crc);
    trace::database db(root);
  };
  const std::string head = "trace-database-catalog 2\n";
  const std::string group = "group orders 0 67108864 86400000000000 0\n";
  CHECK_NOTHROW(open_with(head + group));
  CHECK_THROWS_WITH(open_with(head + "group orders 0 67108000000000 86400000000000 0\n"),
                    Catch::Contains("line 2: mmap_options.segment_bytes must be between"));
  CHECK_THROWS_WITH(open_with(head + "group orders 0 67108864 10 0\n"), Catch::Contains("line 2: mmap_options.segment_span"));
  CHECK_THROWS_WITH(open_with(head + "group .. 0 67108864 86400000000000 0\n"), Catch::Contains("line 2: group name \"..\" must be"));
  CHECK_THROWS_WITH(open_with(head + group + "schema orders a/b trace_id start\n"), Catch::Contains("line 3: trace schema name \"a/b\""));
  CHECK_THROWS_WITH(open_with(head + group + "schema orders s trace_id start\n"),
                    Catch::Contains("group \"orders\": trace schema \"s\": trace_id_tag_name \"trace_id\" is not one of its tags"));
  CHECK_THROWS_WITH(open_with(head + group + group),
                    Catch::Contains("line 3: group \"orders\" is given twice"));
  const std::string schema = "schema orders s trace_id start\n";
  CHECK_THROWS_WITH(open_with(head + group + schema + schema),
                    Catch::Contains("line 4: trace schema \"s\" of group \"orders\" is given twice"));
  try {
    open_with(head + group + "schema orders s trace_id start\n");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
  }
}

TEST_CASE("a group's removal range follows its TTL") {
  temp_dir dir;
  trace::database db(dir / "db");
  // Long enough that the spans (of 2023) outlive the retention pass after each roll.
  const trace::duration_ns ttl = 20 * 365 * 24 * trace::hour;
  db.create_group("short", {.ttl = ttl, .segment_bytes = trace::min_segment_bytes});
  db.create_group("forever", {.segment_bytes = trace::min_segment_bytes});
  for (const char* g : {"short", "forever"}) {
    db.store(g).append(make_batch(1, 4, 3));
    db.store(g).roll();
  }
  const trace::timestamp_ns now = 1'700'000'000'000'000'000ull + ttl + 10 * trace::hour;
  const auto range = db.removal_range("short", now);
  REQUIRE(range);
  CHECK(range->begin == 1'700'000'000'000'000'000ull + 1'000'000);  // the first span's start (trace 1)
  CHECK_FALSE(db.removal_range("forever", now));
}
