#pragma once
// A blocking TCP connection and listener over POSIX sockets, for protocols of our own
// (the replication stream): connect with a timeout, send all, read an exact count with a
// timeout, listen and accept. http_client.hpp keeps its own socket code, bound up with
// HTTP's keep-alive and cancellation; this one is the plain byte stream beneath.
//
// Errors are `trace::error(errc::io_error)` naming the peer and what failed. A peer that
// closes the connection between messages is `read_exact` returning false, not an error.

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace net {

// "host:port", the port required.
struct tcp_address {
  std::string host;
  std::uint16_t port = 0;

  static tcp_address parse(std::string_view text) {
    const auto colon = text.rfind(':');
    std::uint32_t port = 0;
    bool digits = colon != std::string_view::npos && colon + 1 < text.size() && text.size() - colon - 1 <= 5;
    if (digits)
      for (char c : text.substr(colon + 1)) {
        if (c < '0' || c > '9') digits = false;
        else port = port * 10 + static_cast<std::uint32_t>(c - '0');
      }
    if (!digits || port == 0 || port > 65535 || colon == 0)
      throw error(errc::invalid_argument, "address \"" + std::string(text) + "\" is not host:port (port 1-65535)");
    std::string host(text.substr(0, colon));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return {std::move(host), static_cast<std::uint16_t>(port)};
  }
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

class tcp_stream {
 public:
  tcp_stream() = default;
  tcp_stream(int fd, std::string peer) noexcept : fd_(fd), peer_(std::move(peer)) {}
  tcp_stream(tcp_stream&& other) noexcept : fd_(std::exchange(other.fd_, -1)), peer_(std::move(other.peer_)) {}
  tcp_stream& operator=(tcp_stream&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
      peer_ = std::move(other.peer_);
    }
    return *this;
  }
  ~tcp_stream() { close(); }

  static tcp_stream connect(const tcp_address& to, std::chrono::milliseconds timeout);

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::string& peer() const noexcept { return peer_; }
  void close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_all(std::string_view bytes, std::chrono::milliseconds timeout);
  // Whether bytes (or the peer's close) can be read within `timeout`, for loops that also
  // watch a stop flag between messages.
  bool readable(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    int ready;
    do ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (ready < 0 && errno == EINTR);
    return ready > 0;
  }
  // Reads exactly `size` bytes; false when the peer closed before the first of them.
  bool read_exact(char* into, std::size_t size, std::chrono::milliseconds timeout);

 private:
  [[noreturn]] void fail(const std::string& what) const { throw error(errc::io_error, "tcp " + peer_ + ": " + what); }
  void wait(short events, std::chrono::milliseconds timeout, const char* doing) const {
    pollfd p{fd_, events, 0};
    int ready;
    do ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (ready < 0 && errno == EINTR);
    if (ready < 0) fail(std::string("poll failed ") + doing + ": " + std::strerror(errno));
    if (ready == 0) fail(std::string("timed out ") + doing + " after " + std::to_string(timeout.count()) + "ms");
  }

  int fd_ = -1;
  std::string peer_;
};

class tcp_listener {
 public:
  // Listens on `at` (port 0: any free port, see `port()`).
  explicit tcp_listener(const tcp_address& at);
  tcp_listener(tcp_listener&& other) noexcept : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}
  tcp_listener& operator=(tcp_listener&&) = delete;
  ~tcp_listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::uint16_t port() const noexcept { return port_; }
  int fd() const noexcept { return fd_; }
  // Whether a connection waits to be accepted.
  bool pending() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  // The next connection, or an empty stream when none came within `timeout`.
  tcp_stream accept(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------

namespace detail {
struct address_list {
  addrinfo* first = nullptr;
  address_list(const tcp_address& at, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    const std::string port = std::to_string(at.port);
    if (int rc = ::getaddrinfo(at.host.empty() ? nullptr : at.host.c_str(), port.c_str(), &hints, &first); rc != 0)
      throw error(errc::io_error, "tcp " + at.to_string() + ": cannot resolve host: " + ::gai_strerror(rc));
  }
  ~address_list() {
    if (first) ::freeaddrinfo(first);
  }
  address_list(const address_list&) = delete;
  address_list& operator=(const address_list&) = delete;
};
}  // namespace detail

inline tcp_stream tcp_stream::connect(const tcp_address& to, std::chrono::milliseconds timeout) {
  detail::address_list found(to, false);
  std::string problem = "no address";
  for (addrinfo* a = found.first; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      problem = std::strerror(errno);
      continue;
    }
    tcp_stream s(fd, to.to_string());
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int ready;
      do ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
      while (ready < 0 && errno == EINTR);
      int so_error = ready == 0 ? ETIMEDOUT : 0;
      socklen_t length = sizeof so_error;
      if (ready > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) < 0) so_error = errno;
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // frames are small writes waiting for answers
      return s;
    }
    problem = std::strerror(errno);
  }
  throw error(errc::io_error, "tcp " + to.to_string() + ": cannot connect: " + problem);
}

inline void tcp_stream::send_all(std::string_view bytes, std::chrono::milliseconds timeout) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLOUT, timeout, "sending");
        continue;
      }
      fail(std::string("send failed: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

inline bool tcp_stream::read_exact(char* into, std::size_t size, std::chrono::milliseconds timeout) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd_, into + done, size - done, 0);
    if (n == 0) {
      if (done == 0) return false;
      fail("connection closed after " + std::to_string(done) + " of " + std::to_string(size) + " bytes");
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait(POLLIN, timeout, "receiving");
        continue;
      }
      fail(std::string("recv failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

inline tcp_listener::tcp_listener(const tcp_address& at) {
  detail::address_list found(at, true);
  std::string problem = "no address";
  for (addrinfo* a = found.first; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      problem = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // a restarted replica rebinds its port at once
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 16) == 0) {
      sockaddr_storage bound{};
      socklen_t length = sizeof bound;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
      port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      fd_ = fd;
      return;
    }
    problem = std::strerror(errno);
    ::close(fd);
  }
  throw error(errc::io_error, "tcp " + at.to_string() + ": cannot listen: " + problem);
}

inline tcp_stream tcp_listener::accept(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (ready < 0 && errno == EINTR);
  if (ready <= 0) return {};
  sockaddr_storage from{};
  socklen_t length = sizeof from;
  const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&from), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return {};  // the peer gave up meanwhile, or descriptors ran out: the caller polls again
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (from.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&from);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (from.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&from);
    ::inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    port = ntohs(in->sin6_port);
  }
  return tcp_stream(fd, std::string(host) + ":" + std::to_string(port));
}

}  // namespace net
}  // namespace v0
}  // namespace trace
