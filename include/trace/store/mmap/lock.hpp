#pragma once
// One writer per store directory: an advisory `flock` on `<dir>/LOCK`. The lock belongs to
// the open file, so a second writer is refused whether it lives in another process or in
// this one, and the kernel releases it when the holder dies, even by SIGKILL. The holder's
// pid is written into the file so the refusal can say who holds it.

#include <cerrno>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/file.h>  // flock
#include <unistd.h>    // getpid, pread

#include "trace/core/error.hpp"
#include "trace/store/mmap/file.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

class directory_lock {
 public:
  directory_lock() = default;
  // Takes the lock or throws `error(errc::io_error)` saying the store is locked and by whom.
  explicit directory_lock(const std::filesystem::path& dir) : file_(dir / "LOCK", O_RDWR | O_CREAT) {
    if (::flock(file_.fd(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) throw_system_error("flock", file_.path());
      char holder[32] = {};
      ssize_t got = ::pread(file_.fd(), holder, sizeof holder - 1, 0);
      std::string who = got > 0 ? " (held by pid " + std::string(holder, static_cast<std::size_t>(got)) + ")" : "";
      throw error(errc::io_error, "store " + dir.string() + " is already open for writing by another writer" + who);
    }
    std::string pid = std::to_string(::getpid());
    file_.resize(0);
    file_.write_all(pid.data(), pid.size(), 0);
  }

  bool held() const noexcept { return file_.is_open(); }

 private:
  file_handle file_;  // closing it releases the lock
};

}  // namespace detail
}  // namespace v0
}  // namespace trace
