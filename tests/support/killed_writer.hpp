// A writer process to kill with SIGKILL while it works, for the crash tests: it runs in a
// forked child and reports each number it has made durable through a pipe, so the parent
// knows what was acknowledged before the kill, including what was still in the pipe.
#pragma once

#include <csignal>
#include <cstdint>
#include <optional>

#include <sys/wait.h>
#include <unistd.h>

namespace test_support {

class killed_writer {
 public:
  // Forks. The child calls `body(acknowledge)`, where `acknowledge(n)` tells the parent that n
  // is durable, and exits 0 when `body` returns, 4 when it throws, 3 when the pipe breaks.
  template <class Body>
  explicit killed_writer(Body body) {
    int ends[2];
    if (::pipe(ends) != 0) return;
    child_ = ::fork();
    if (child_ < 0) {
      ::close(ends[0]);
      ::close(ends[1]);
      return;
    }
    if (child_ == 0) {
      ::close(ends[0]);
      const auto acknowledge = [fd = ends[1]](std::uint64_t n) {
        if (::write(fd, &n, sizeof n) != sizeof n) ::_exit(3);
      };
      try {
        body(acknowledge);
      } catch (...) {
        ::_exit(4);
      }
      ::_exit(0);
    }
    ::close(ends[1]);
    acks_ = ends[0];
  }

  killed_writer(const killed_writer&) = delete;
  killed_writer& operator=(const killed_writer&) = delete;

  ~killed_writer() {
    if (running()) kill();
    if (acks_ >= 0) ::close(acks_);
  }

  // Whether the fork happened (check it before anything else).
  bool started() const { return child_ > 0 && acks_ >= 0; }

  // The next acknowledged number; none once the child has exited and the pipe is empty.
  std::optional<std::uint64_t> next_ack() {
    std::uint64_t n = 0;
    if (acks_ < 0 || ::read(acks_, &n, sizeof n) != sizeof n) return std::nullopt;
    return n;
  }

  // The last of up to `count` acknowledgements read now, or `fallback` when none came.
  std::uint64_t read_acks(int count, std::uint64_t fallback) {
    for (int seen = 0; seen < count; ++seen) {
      const auto n = next_ack();
      if (!n) break;
      fallback = *n;
    }
    return fallback;
  }

  // SIGKILL and reap the child; returns its wait status.
  int kill() {
    ::kill(child_, SIGKILL);
    int status = 0;
    ::waitpid(child_, &status, 0);
    child_ = -1;
    return status;
  }

  // After kill(): the last acknowledgement still in the pipe, or `fallback`.
  std::uint64_t drain(std::uint64_t fallback) {
    while (const auto n = next_ack()) fallback = *n;
    return fallback;
  }

  // A kill at any point leaves the child killed by the signal, or exited 0 when it had finished.
  static bool killed_or_finished(int status) {
    return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

 private:
  bool running() const { return child_ > 0; }

  pid_t child_ = -1;
  int acks_ = -1;
};

}  // namespace test_support
