// Replication of the mmap store: the stream's frames and batch payloads, the primary's
// replication log (catch-up, torn tails, retention), the replica's exactly-once apply, and
// primaries shipping to replicas in a folder and on loopback TCP with 0, 1 and all acks.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>

#include "mmap_test_support.hpp"
#include "trace/store/replication.hpp"

using test_support::temp_dir;
namespace rep = trace::replication;

namespace {

std::vector<trace::span> batch_number(std::uint64_t k) { return test_support::make_batch(k * 3, 3, 4); }

trace::mmap_options store_at(const std::filesystem::path& path) {
  trace::mmap_options o;
  o.path = path;
  o.sync = trace::sync_policy::every_batch;
  o.segment_bytes = trace::min_segment_bytes;
  return o;
}

// Waits (bounded) until `done()` holds; the tests then assert on the state itself.
template <class F>
bool eventually(F done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

// Every span id of a store, each once, or a failed check naming the repeated one.
std::set<std::uint64_t> ids_once(const trace::mmap_store& store) {
  std::set<std::uint64_t> ids;
  for (trace::mmap_span s : store.scan()) {
    INFO("span " << s.id().value());
    CHECK(ids.insert(s.id().value()).second);
  }
  return ids;
}

// A replica store served on loopback from a thread of its own. While it serves, tests read
// only `server.applied()`; the store itself after `halt()`.
struct tcp_replica {
  explicit tcp_replica(const std::filesystem::path& path, std::uint16_t port = 0)
      : store(store_at(path)), server(store, trace::net::tcp_address{"127.0.0.1", port}), thread([this] { server.run(); }) {}
  ~tcp_replica() { halt(); }
  void halt() {
    server.stop();
    if (thread.joinable()) thread.join();
  }
  trace::net::tcp_address address() const { return {"127.0.0.1", server.port()}; }
  rep::replica_store store;
  rep::replica_server server;
  std::thread thread;
};

}  // namespace

TEST_CASE("a replicated batch decodes to the spans it was made of, every part of the model included") {
  const std::vector<trace::span> batch = batch_number(2);
  const std::string bytes = rep::encode_batch(batch);
  CHECK(rep::decode_batch(bytes, "test") == batch);
  CHECK(rep::decode_batch(rep::encode_batch(std::vector<trace::span>{}), "test").empty());
}

TEST_CASE("a damaged replicated batch is refused as corrupt data naming where, never a crash") {
  const std::string bytes = rep::encode_batch(batch_number(1));
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    INFO("cut at " << cut);
    try {
      (void)rep::decode_batch(bytes.substr(0, cut), "batch 7");
      FAIL("a cut batch decoded");
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::corrupt_data);
      CHECK_THAT(e.what(), Catch::Contains("batch 7"));
    }
  }
  std::string huge_count = "\xff\xff\xff\xff\x0f";
  CHECK_THROWS_AS(rep::decode_batch(huge_count, "x"), trace::error);
}

TEST_CASE("a replication frame round-trips, and a flipped bit fails its checksum") {
  const std::string bytes = rep::encode_frame(rep::frame_type::batch, 42, "payload");
  REQUIRE(bytes.size() == rep::frame_header_size + 7);
  const rep::frame f = rep::decode_frame(bytes, "test");
  CHECK(f.type == rep::frame_type::batch);
  CHECK(f.sequence == 42);
  CHECK(f.payload == "payload");
  for (std::size_t at : {std::size_t{5}, std::size_t{16}, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 1);
    INFO("flipped byte " << at);
    CHECK_THROWS_WITH(rep::decode_frame(bad, "stream"), Catch::Contains("stream"));
  }
  std::string unknown = bytes;
  unknown[8] = 9;
  CHECK_THROWS_WITH(rep::decode_frame(unknown, "stream"), Catch::Contains("unknown replication frame type 9"));
}

TEST_CASE("the replication log numbers batches, shows them after sync, and resumes its numbering when reopened") {
  temp_dir dir;
  {
    rep::replication_log log({.path = dir / "rlog"});
    CHECK(log.last() == 0);
    CHECK(log.append("one") == 1);
    CHECK(log.append("two") == 2);
    CHECK(log.last() == 0);  // not synced yet
    auto cursor = log.read_from(1);
    REQUIRE(cursor);
    CHECK_FALSE(cursor->next());
    log.sync();
    CHECK(log.last() == 2);
    auto a = cursor->next();
    auto b = cursor->next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->payload == "one");
    CHECK(b->sequence == 2);
    CHECK_FALSE(cursor->next());
  }
  rep::replication_log again({.path = dir / "rlog"});
  CHECK(again.last() == 2);
  CHECK(again.append("three") == 3);
  again.sync();
  auto from_two = again.read_from(2);
  REQUIRE(from_two);
  CHECK(from_two->next()->payload == "two");
  CHECK(from_two->next()->payload == "three");
}

TEST_CASE("the replication log cuts off a frame torn by a crash, and refuses damage in an older file") {
  temp_dir dir;
  {
    rep::replication_log log({.path = dir / "rlog"});
    log.append("kept");
    log.append("torn");
    log.sync();
  }
  const auto file = dir / "rlog" / "0000000000000001.rlog";
  const auto size = std::filesystem::file_size(file);
  test_support::shrink_to(file, size - 2);  // the second frame loses its last bytes
  {
    rep::replication_log log({.path = dir / "rlog"});
    CHECK(log.last() == 1);
    CHECK(std::filesystem::file_size(file) == rep::log_header_size + rep::frame_header_size + 4);
    CHECK(log.append("next") == 2);
    log.sync();
    auto c = log.read_from(2);
    CHECK(c->next()->payload == "next");
    // Start a second file, then damage the first one: it is no longer the newest.
  }
  {
    rep::replication_log log({.path = dir / "rlog", .file_bytes = 4096});
    for (int i = 0; i < 60; ++i) log.append(std::string(64, 'x'));
    log.sync();
  }
  test_support::flip_byte(file, rep::log_header_size + rep::frame_header_size + 1);
  try {
    rep::replication_log log({.path = dir / "rlog", .file_bytes = 4096});
    FAIL("damage in an older file was accepted");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::corrupt_data);
    CHECK_THAT(e.what(), Catch::Contains("0000000000000001.rlog"));
  }
}

TEST_CASE("the replication log keeps its newest files, and a reader asking for a dropped batch is told so") {
  temp_dir dir;
  rep::replication_log log({.path = dir / "rlog", .file_bytes = 4096, .files_kept = 2});
  for (int i = 0; i < 300; ++i) log.append(std::string(100, 'y'));
  log.sync();
  CHECK(log.oldest() > 1);
  CHECK(std::distance(std::filesystem::directory_iterator(dir / "rlog"), {}) == 2);
  CHECK_FALSE(log.read_from(1));
  auto c = log.read_from(log.oldest());
  REQUIRE(c);
  std::uint64_t read = 0;
  while (auto f = c->next()) ++read;
  CHECK(read == 300 - log.oldest() + 1);
}

TEST_CASE("a replica applies batches once, in order: a resent batch is skipped and a gap refused") {
  temp_dir dir;
  const std::string one = rep::encode_batch(batch_number(1)), two = rep::encode_batch(batch_number(2));
  {
    rep::replica_store replica(store_at(dir / "replica"));
    CHECK(replica.apply(1, one));
    CHECK_FALSE(replica.apply(1, one));
    CHECK(replica.duplicates() == 1);
    CHECK_THROWS_WITH(replica.apply(3, two), Catch::Contains("cannot apply batch 3"));
    CHECK(replica.apply(2, two));
    CHECK(replica.store().size() == 24);
  }
  rep::replica_store reopened(store_at(dir / "replica"));
  CHECK(reopened.applied() == 2);
  CHECK_FALSE(reopened.apply(2, two));
  CHECK(ids_once(reopened.store()).size() == 24);
}

TEST_CASE("a replica that died between appending a batch and recording it records the resent batch without appending it") {
  temp_dir dir;
  const std::string one = rep::encode_batch(batch_number(1)), two = rep::encode_batch(batch_number(2));
  { rep::replica_store replica(store_at(dir / "replica")); replica.apply(1, one); }
  {  // what the crash left: batch 2's spans in the store, the position still at 1
    trace::mmap_store store(store_at(dir / "replica"));
    store.append(batch_number(2));
  }
  rep::replica_store replica(store_at(dir / "replica"));
  CHECK(replica.applied() == 1);
  CHECK(replica.apply(2, two));
  CHECK(replica.store().size() == 24);
  CHECK(ids_once(replica.store()).size() == 24);
}

TEST_CASE("a primary with a folder replica and required_acks = all returns once the replica holds the batch") {
  temp_dir dir;
  rep::replication_options r;
  r.sinks.push_back(std::make_shared<rep::directory_sink>(store_at(dir / "replica")));
  r.required_acks = rep::all_replicas;
  {
    rep::replicated_store primary(store_at(dir / "primary"), r);
    for (std::uint64_t k = 0; k < 5; ++k) CHECK(primary.append(batch_number(k)) == k + 1);
    CHECK(primary.replication().status()[0].acked == 5);
  }
  trace::mmap_store replica(store_at(dir / "replica"));
  trace::mmap_store primary(store_at(dir / "primary"));
  CHECK(test_support::materialize_all(replica) == test_support::materialize_all(primary));
}

TEST_CASE("a primary ships over loopback TCP with required_acks = 1, and a replica that was down catches up from the log") {
  temp_dir dir;
  auto replica = std::make_unique<tcp_replica>(dir / "replica");
  const trace::net::tcp_address address = replica->address();
  rep::replication_options r;
  r.sinks.push_back(std::make_shared<rep::tcp_sink>(address, std::chrono::milliseconds(2000)));
  r.required_acks = 1;
  r.retry_interval = std::chrono::milliseconds(20);
  rep::replicated_store primary(store_at(dir / "primary"), r);
  for (std::uint64_t k = 0; k < 4; ++k) primary.append(batch_number(k));
  CHECK(replica->server.applied() == 4);

  replica.reset();  // the replica goes down; the primary keeps committing without waiting for it
  primary.stage(batch_number(4));
  primary.stage(batch_number(5));
  primary.store().sync();
  primary.replication().commit();
  CHECK(eventually([&] { return !primary.replication().status()[0].connected; }));

  replica = std::make_unique<tcp_replica>(dir / "replica", address.port);
  CHECK(eventually([&] { return primary.replication().status()[0].acked == 6; }));
  replica->halt();
  CHECK(replica->store.applied() == 6);
  CHECK(replica->store.duplicates() == 0);
  CHECK(ids_once(replica->store.store()).size() == 6 * 12);
}

TEST_CASE("with required_acks = 1 and no replica reachable, append fails after the timeout naming the replica") {
  temp_dir dir;
  trace::net::tcp_listener taken({"127.0.0.1", 0});  // a port nobody serves once closed below
  const std::uint16_t port = taken.port();
  { trace::net::tcp_listener gone = std::move(taken); }
  rep::replication_options r;
  r.sinks.push_back(std::make_shared<rep::tcp_sink>(trace::net::tcp_address{"127.0.0.1", port}, std::chrono::milliseconds(200)));
  r.required_acks = 1;
  r.ack_timeout = std::chrono::milliseconds(300);
  rep::replicated_store primary(store_at(dir / "primary"), r);
  try {
    primary.append(batch_number(0));
    FAIL("append returned without an acknowledgement");
  } catch (const trace::error& e) {
    CHECK(e.code() == trace::errc::io_error);
    CHECK_THAT(e.what(), Catch::Contains("tcp:127.0.0.1:" + std::to_string(port)));
  }
  CHECK(primary.store().size() == 12);  // committed here; shipped once a replica comes
}

TEST_CASE("a replica behind the primary's oldest batch is told to re-seed, and one seeded from a snapshot catches up") {
  temp_dir dir;
  rep::replication_options r;
  r.required_acks = 0;
  r.log.file_bytes = 16384;
  r.log.files_kept = 2;
  r.retry_interval = std::chrono::milliseconds(20);
  // The primary writes while its replica is away (its port reserved, nobody answering),
  // long enough for the log to drop batch 1.
  std::unique_ptr<rep::replicated_store> primary;
  {
    trace::net::tcp_listener reserve({"127.0.0.1", 0});
    r.sinks.push_back(std::make_shared<rep::tcp_sink>(trace::net::tcp_address{"127.0.0.1", reserve.port()}, std::chrono::milliseconds(200)));
    primary = std::make_unique<rep::replicated_store>(store_at(dir / "primary"), r);
    for (std::uint64_t k = 0; k < 40; ++k) primary->append(batch_number(k));
    REQUIRE(primary->replication().log().oldest() > 1);
    const auto port = reserve.port();
    { trace::net::tcp_listener closed = std::move(reserve); }
    auto replica = std::make_unique<tcp_replica>(dir / "replica", port);
    CHECK(eventually([&] { return replica->server.reseed_needed().has_value(); }));
    CHECK(replica->server.applied() == 0);
    CHECK(primary->replication().status()[0].reseed_needed);
    replica.reset();
    std::filesystem::remove_all(dir / "replica");

    // Seeded from a snapshot of the primary, the replica resumes after the snapshot's batches.
    const auto snapshot = primary->snapshot();
    std::filesystem::copy(snapshot, dir / "replica", std::filesystem::copy_options::recursive);
    for (std::uint64_t k = 40; k < 43; ++k) primary->append(batch_number(k));
    CHECK(rep::replica_store(store_at(dir / "replica")).applied() == 40);
    replica = std::make_unique<tcp_replica>(dir / "replica", port);
    CHECK(eventually([&] { return replica->server.applied() == 43; }));
    replica->halt();
    CHECK(replica->store.applied() == 43);
    CHECK(replica->store.duplicates() == 0);
    CHECK(ids_once(replica->store.store()) == ids_once(primary->store()));
  }
}
