// A nearly full volume: writing through a mapping into a hole the file system cannot fill
// raises SIGBUS, and so does reading a hole of a tmpfs file (reading allocates there). So a
// log's blocks are reserved before it is mapped (refused with "no space left" when they
// cannot be), and a log's end is found by walking its records, not by reading every byte.
//
// The first cases run anywhere. The full-volume cases need small mounted file systems, named
// in TRACE_FULL_VOLUMES (directories separated by ':'); .ci/steps/full-volume.sh mounts a
// tmpfs and a loop-mounted ext4 as root and runs this program on them.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmap_test_support.hpp"
#include "trace/store/mmap.hpp"

using test_support::make_batch;
using test_support::temp_dir;

namespace {

std::uint64_t allocated_bytes(const std::filesystem::path& p) {
  struct stat info {};
  REQUIRE(::stat(p.c_str(), &info) == 0);
  return static_cast<std::uint64_t>(info.st_blocks) * 512;
}

// Rewrites a log as an older build left it: its written prefix, then a hole up to `size`.
void make_sparse(const std::filesystem::path& log, std::uint64_t used, std::uint64_t size) {
  std::string prefix = test_support::read_file(log).substr(0, used);
  std::filesystem::remove(log);
  test_support::write_file(log, prefix);
  std::filesystem::resize_file(log, size);
}

std::vector<std::filesystem::path> full_volumes() {
  std::vector<std::filesystem::path> out;
  const char* list = std::getenv("TRACE_FULL_VOLUMES");
  if (!list) return out;
  std::stringstream in(list);
  for (std::string dir; std::getline(in, dir, ':');)
    if (!dir.empty()) out.emplace_back(dir);
  return out;
}

// Fills the volume holding `dir` with one file until the file system says it is full.
class filler {
 public:
  explicit filler(const std::filesystem::path& dir) : path_(dir / "filler") {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    std::string chunk(64 << 10, 'x');
    for (std::size_t size = chunk.size();;) {
      ssize_t done = ::write(fd, chunk.data(), size);
      if (done > 0) continue;
      if (done < 0 && errno != ENOSPC) FAIL("writing the filler: " << std::strerror(errno));
      if (size == 1) break;
      size = 1;  // the last blocks, a byte at a time
    }
    ::fsync(fd);
    ::close(fd);
  }
  ~filler() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  filler(const filler&) = delete;
  filler& operator=(const filler&) = delete;

 private:
  std::filesystem::path path_;
};

trace::mmap_options small_store(const std::filesystem::path& dir) {
  trace::mmap_options o;
  o.path = dir / "store";
  o.segment_bytes = 256 << 10;
  o.max_disk_percent = 100;  // the file system's own "full" is what is tested, not the budget
  return o;
}

}  // namespace

TEST_CASE("a new log's blocks are allocated when it is created, not left as a hole") {
  temp_dir dir;
  auto o = small_store(dir.path());
  trace::mmap_store store(o);
  store.append(make_batch(1, 2, 2));
  auto log = test_support::files_with(o.path, "log").at(0);
  CHECK(allocated_bytes(log) >= o.segment_bytes);
}

TEST_CASE("a writer allocates the holes of a sparse log it opens before mapping it") {
  temp_dir dir;
  auto o = small_store(dir.path());
  std::uint64_t used = 0;
  {
    trace::mmap_store store(o);
    store.append(make_batch(1, 2, 2));
    used = store.segments().back().bytes;
  }
  auto log = test_support::files_with(o.path, "log").at(0);
  make_sparse(log, used, 1 << 20);
  REQUIRE(allocated_bytes(log) < (1 << 20));
  trace::mmap_store store(o);
  CHECK(allocated_bytes(log) >= (1 << 20));
  CHECK(store.size() == 4);
}

TEST_CASE("on a full volume appends end in an error, never a signal, and acknowledged batches stay") {
  const auto volumes = full_volumes();
  if (volumes.empty()) WARN("TRACE_FULL_VOLUMES is not set: no full volume to test on (.ci/steps/full-volume.sh sets it)");
  for (const auto& volume : volumes) {
    INFO("volume " << volume);
    auto o = small_store(volume);
    std::size_t acknowledged = 0;
    {
      trace::mmap_store store(o);
      for (std::uint64_t b = 0;; ++b) {
        try {
          store.append(make_batch(b * 40, 40, 5));
        } catch (const trace::error& e) {
          INFO(e.what());
          CHECK(e.code() == trace::errc::io_error);
          // Ours ("no space left on"), the OS's ENOSPC from a pwrite, or the budget check's own
          // reading of the file system ("over its disk budget"): an error in every case.
          const std::string message = e.what();
          CHECK((message.find("o space left on") != std::string::npos || message.find("over its disk budget") != std::string::npos));
          break;
        }
        acknowledged += 200;
      }
    }
    REQUIRE(acknowledged > 0);
    filler full(volume);  // whatever the store left free is taken too
    auto r = o;
    r.mode = trace::open_mode::read_only;
    {
      trace::mmap_store store(r);
      CHECK(store.size() == acknowledged);
      CHECK_FALSE(store.damaged());
      std::size_t read = 0;
      for (trace::mmap_span s : store.scan()) read += s.materialize().id.valid();
      CHECK(read == acknowledged);
    }
    try {  // a writer opens (its log is allocated) and refuses what does not fit, or refuses to open
      trace::mmap_store store(o);
      store.append(make_batch(1000, 100, 10));
    } catch (const trace::error& e) {
      CHECK(e.code() == trace::errc::io_error);
    }
    std::filesystem::remove_all(o.path);
  }
}

TEST_CASE("on a full volume a sparse log is read, and a writer refuses it with no space left") {
  const auto volumes = full_volumes();
  if (volumes.empty()) WARN("TRACE_FULL_VOLUMES is not set: no full volume to test on (.ci/steps/full-volume.sh sets it)");
  for (const auto& volume : volumes) {
    INFO("volume " << volume);
    auto o = small_store(volume);
    std::uint64_t used = 0;
    {
      trace::mmap_store store(o);
      store.append(make_batch(1, 20, 5));
      used = store.segments().back().bytes;
    }
    auto log = test_support::files_with(o.path, "log").at(0);
    make_sparse(log, used, 64 << 20);  // larger than the whole volume
    filler full(volume);
    auto r = o;
    r.mode = trace::open_mode::read_only;
    {
      trace::mmap_store store(r);  // reading the hole would fault in pages the volume does not have
      CHECK(store.size() == 100);
      CHECK(store.dropped().empty());
    }
    CHECK_THROWS_WITH(trace::mmap_store(o), Catch::Contains("no space left on " + log.string()) &&
                                                Catch::Contains("need " + std::to_string(64 << 20) + " bytes"));
    std::filesystem::remove_all(o.path);
  }
}
