#pragma once
// A small blocking HTTP/1.1 client over POSIX sockets, without any library: one connection
// kept alive between requests, a deadline on connecting and on every read and write (and,
// when the request gives one, on the whole exchange, which another thread can also cancel
// through a pipe), bodies framed by Content-Length, chunked transfer coding, or the
// connection's close. Plain http:// only: no TLS.
// Used by the ClickHouse store and by the OTLP/HTTP span exporter.
//
// Errors are `net::http_error` (a `trace::error` with `errc::io_error`) naming the peer and
// saying which kind of failure it was, so that a caller can tell what is worth retrying: a
// refused or unreachable connection, a timeout, a connection closed before or inside the
// response, a malformed response, a response body over the request's limit. An HTTP error
// status is not an error here: the caller reads `status`, `headers` and `body`.
//
// Thread safety: none; one client per thread.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <netdb.h>       // getaddrinfo
#include <netinet/in.h>
#include <netinet/tcp.h> // TCP_NODELAY
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>      // close

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace net {

struct http_endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8123;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds io_timeout{60000};  // per read or write; see http_request::deadline
};

// "http://host:port" (or "host:port"), as users and test harnesses name a server; throws
// `error(errc::invalid_argument)` quoting the text when the port is missing or not 1-65535.
http_endpoint parse_http_endpoint(std::string_view url);

// An absolute http:// URL split for a request: "http://collector:4318/v1/traces" gives
// host "collector", port 4318, target "/v1/traces". The port defaults to 80, the target to
// "/"; an IPv6 address goes in brackets ("http://[::1]:4318"). https:// and other schemes
// are refused with `error(errc::invalid_argument)` quoting the text.
struct http_url {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";
};
http_url parse_http_url(std::string_view url);
// The same without throwing: fills `out` and returns nullptr, or returns why it cannot.
const char* split_http_url(std::string_view url, http_url& out);

using http_header = std::pair<std::string, std::string>;

// What went wrong with an exchange, for callers that retry some failures and not others.
enum class http_failure {
  connect,    // the name did not resolve, or the connection was refused or timed out
  timeout,    // no progress within io_timeout, or the request's deadline passed
  closed,     // the connection closed or was reset before the whole response came
  malformed,  // the response broke HTTP/1.1 framing
  too_large,  // the response body exceeded the request's max_response_bytes
  cancelled,  // the request's cancel_fd became readable
};

class http_error : public error {
 public:
  http_error(http_failure kind, const std::string& what) : error(errc::io_error, what), kind_(kind) {}
  http_failure kind() const noexcept { return kind_; }

 private:
  http_failure kind_;
};

struct http_request {
  using clock = std::chrono::steady_clock;

  std::string_view method = "GET";
  std::string_view target = "/";
  std::string_view body{};
  std::vector<http_header> headers{};  // sent as given, after Host, Content-Length, Connection
  clock::time_point deadline = clock::time_point::max();  // for connecting, sending and receiving
  std::size_t max_response_bytes = std::numeric_limits<std::size_t>::max();  // body, after framing
  // When not -1, watched beside the socket: once readable (a byte written to a pipe by
  // another thread), the exchange is abandoned at once. For a sender that must stop.
  int cancel_fd = -1;
};

struct http_response {
  int status = 0;
  std::vector<http_header> headers;
  std::string body;

  // The first header of that name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const noexcept;
};

class http_client {
 public:
  explicit http_client(http_endpoint endpoint) : endpoint_(std::move(endpoint)) {}
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  http_client(http_client&& other) noexcept : endpoint_(std::move(other.endpoint_)), fd_(std::exchange(other.fd_, -1)) {}
  http_client& operator=(http_client&& other) noexcept {
    if (this != &other) {
      disconnect();
      endpoint_ = std::move(other.endpoint_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~http_client() { disconnect(); }

  // Sends one request and reads the whole response. A kept-alive connection that the
  // server closed while idle is replaced once, transparently. After any error the
  // connection is closed; the next request opens a new one.
  http_response request(const http_request& request);
  http_response request(std::string_view method, std::string_view target, std::string_view body = {},
                        const std::vector<http_header>& headers = {}) {
    return request(http_request{.method = method, .target = target, .body = body, .headers = headers});
  }

  const http_endpoint& endpoint() const noexcept { return endpoint_; }
  bool connected() const noexcept { return fd_ >= 0; }
  void disconnect() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  struct stale_connection {};  // the idle connection was gone before any answer came

  void connect(http_request::clock::time_point deadline);
  http_response exchange(const std::string& head, const http_request& request, bool reused);
  void send_all(std::string_view bytes, bool reused, http_request::clock::time_point deadline);
  // Appends what arrives; false on a clean EOF when allowed.
  bool fill(std::string& buffer, bool allow_eof, http_request::clock::time_point deadline);
  void wait_for(short events, const char* doing, http_request::clock::time_point deadline);
  // poll() on `fd` and, when set, the request's cancel_fd; 0 on timeout, -1 on error.
  int poll_with_cancel(int fd, short events, int timeout_ms, const char* doing);
  std::string peer() const { return endpoint_.host + ":" + std::to_string(endpoint_.port); }
  [[noreturn]] void fail(http_failure kind, const std::string& what) {
    disconnect();
    throw http_error(kind, "http " + peer() + ": " + what);
  }

  http_endpoint endpoint_;
  int fd_ = -1;
  int cancel_fd_ = -1;  // the current request's
};

// ---------------------------------------------------------------------------------------

namespace detail {
inline bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Digits only, 1-65535; 0 when the text is not a port.
inline std::uint16_t parse_port(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 5) return 0;
  unsigned port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port <= 65535 ? static_cast<std::uint16_t>(port) : 0;
}

inline constexpr std::size_t max_header_bytes = 64 * 1024;
}  // namespace detail

inline http_endpoint parse_http_endpoint(std::string_view url) {
  std::string_view rest = url.starts_with("http://") ? url.substr(7) : url;
  while (rest.ends_with('/')) rest.remove_suffix(1);
  const auto colon = rest.rfind(':');
  std::uint16_t port = colon == std::string_view::npos || colon == 0 ? 0 : detail::parse_port(rest.substr(colon + 1));
  if (port == 0) throw error(errc::invalid_argument, "server \"" + std::string(url) + "\" is not http://host:port");
  http_endpoint endpoint;
  endpoint.host = std::string(rest.substr(0, colon));
  endpoint.port = port;
  return endpoint;
}

inline const char* split_http_url(std::string_view url, http_url& out) {
  if (url.starts_with("https://")) return "https is not supported (no TLS); use http:// to a local collector";
  if (!url.starts_with("http://")) return "not an http:// URL";
  std::string_view rest = url.substr(7);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out = http_url{};
  if (slash != std::string_view::npos) out.target = std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) return "user information in the URL is not supported";
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated [ in the host";
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return "junk after the bracketed host";
    if (after == ":") return "empty port";
    if (!after.empty()) port = after.substr(1);
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return "empty port";
  }
  if (host.empty()) return "no host";
  if (!port.empty() && (out.port = detail::parse_port(port)) == 0) return "the port is not 1-65535";
  if (out.target.find_first_of(" \r\n\t#") != std::string::npos)
    return "the path contains a space, a line break or a fragment";
  out.host = std::string(host);
  return nullptr;
}

inline http_url parse_http_url(std::string_view url) {
  http_url out;
  if (const char* problem = split_http_url(url, out))
    throw error(errc::invalid_argument, "URL \"" + std::string(url) + "\": " + problem);
  return out;
}

inline const std::string* http_response::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers)
    if (detail::equal_ignoring_case(key, name)) return &value;
  return nullptr;
}

inline void http_client::wait_for(short events, const char* doing, http_request::clock::time_point deadline) {
  using std::chrono::milliseconds;
  int ready;
  do {
    // The whole request's deadline, when nearer than the per-operation timeout, decides.
    const auto now = http_request::clock::now();
    const bool deadline_nearer = deadline != http_request::clock::time_point::max() &&
                                 deadline - now < endpoint_.io_timeout;
    const auto wait = deadline_nearer ? std::max(std::chrono::ceil<milliseconds>(deadline - now), milliseconds(0))
                                      : endpoint_.io_timeout;
    ready = poll_with_cancel(fd_, events, static_cast<int>(wait.count()), doing);
    if (ready == 0)
      fail(http_failure::timeout, deadline_nearer
                                      ? std::string("request deadline passed ") + doing
                                      : "timed out after " + std::to_string(endpoint_.io_timeout.count()) + " ms " + doing);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) fail(http_failure::closed, std::string("poll failed ") + doing + ": " + std::strerror(errno));
}

inline int http_client::poll_with_cancel(int fd, short events, int timeout_ms, const char* doing) {
  pollfd p[2] = {{fd, events, 0}, {cancel_fd_, POLLIN, 0}};
  const int ready = ::poll(p, cancel_fd_ >= 0 ? 2 : 1, timeout_ms);
  if (ready > 0 && cancel_fd_ >= 0 && p[1].revents != 0) {
    if (fd != fd_) ::close(fd);  // a connection still being made
    fail(http_failure::cancelled, std::string("cancelled ") + doing);
  }
  return ready;
}

inline void http_client::connect(http_request::clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(endpoint_.port);
  if (int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw http_error(http_failure::connect, "http " + peer() + ": cannot resolve host: " + ::gai_strerror(rc));
  const std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(found, ::freeaddrinfo);  // freed on every way out
  std::string last_problem = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_problem = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      auto wait = endpoint_.connect_timeout;
      if (deadline != http_request::clock::time_point::max())
        wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(deadline - http_request::clock::now()),
                          std::chrono::milliseconds(0), wait);
      int ready;
      do ready = poll_with_cancel(fd, POLLOUT, static_cast<int>(wait.count()), "connecting");
      while (ready < 0 && errno == EINTR);
      int so_error = 0;
      socklen_t length = sizeof so_error;
      if (ready == 0) {
        so_error = ETIMEDOUT;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) < 0) {
        so_error = errno;
      }
      rc = so_error == 0 ? 0 : -1;
      errno = so_error;
    }
    if (rc == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests are small writes
      fd_ = fd;
      return;
    }
    last_problem = std::strerror(errno);
    ::close(fd);
  }
  throw http_error(http_failure::connect, "http " + peer() + ": cannot connect: " + last_problem);
}

inline void http_client::send_all(std::string_view bytes, bool reused, http_request::clock::time_point deadline) {
  bool sent_any = false;
  while (!bytes.empty()) {
    wait_for(POLLOUT, "sending the request", deadline);
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (reused && !sent_any && (errno == EPIPE || errno == ECONNRESET)) throw stale_connection{};
      fail(http_failure::closed, std::string("send failed: ") + std::strerror(errno));
    }
    sent_any = true;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

inline bool http_client::fill(std::string& buffer, bool allow_eof, http_request::clock::time_point deadline) {
  char chunk[64 * 1024];
  for (;;) {
    wait_for(POLLIN, "waiting for the response", deadline);
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) {
      if (allow_eof) return false;
      fail(http_failure::closed, "connection closed in the middle of the response");
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    if (errno == ECONNRESET && allow_eof) return false;
    fail(http_failure::closed, std::string("recv failed: ") + std::strerror(errno));
  }
}

namespace detail {

// Reads one response into `response`, without sockets (so that its framing is tested and
// fuzzed on bytes alone): `more(buffer, allow_eof)` appends what arrives and returns false
// when the peer closed cleanly (only when allowed), `fail(kind, what)` throws. Returns
// whether the connection may carry the next request.
template <class More, class Fail>
bool read_response(std::string& buffer, http_response& response, std::size_t limit, More&& more, Fail&& fail) {
  std::size_t header_end;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > detail::max_header_bytes) fail(http_failure::malformed, "response header longer than 64 KiB");
    if (!more(buffer, true)) {
      fail(http_failure::closed,
           buffer.empty() ? "connection closed before any response" : "connection closed inside the response header");
    }
  }

  std::string_view header_text(buffer.data(), header_end);
  auto line_end = header_text.find("\r\n");
  std::string_view status_line = header_text.substr(0, line_end);
  if (status_line.substr(0, 7) != "HTTP/1." || status_line.size() < 12 || status_line[8] != ' ')
    fail(http_failure::malformed, "malformed status line \"" + std::string(status_line.substr(0, 80)) + "\"");
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9')
      fail(http_failure::malformed, "malformed status line \"" + std::string(status_line.substr(0, 80)) + "\"");
    response.status = response.status * 10 + (status_line[i] - '0');
  }
  bool http10 = status_line[7] == '0';
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : header_text.substr(line_end + 2);
  while (!rest.empty()) {
    auto end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      fail(http_failure::malformed, "malformed header line \"" + std::string(line.substr(0, 80)) + "\"");
    response.headers.emplace_back(std::string(detail::trim(line.substr(0, colon))),
                                  std::string(detail::trim(line.substr(colon + 1))));
  }
  buffer.erase(0, header_end + 4);

  const std::string* connection = response.header("Connection");
  bool keep_alive = http10 ? (connection && detail::equal_ignoring_case(*connection, "keep-alive"))
                           : !(connection && detail::equal_ignoring_case(*connection, "close"));
  const std::string* encoding = response.header("Transfer-Encoding");
  const std::string* length = response.header("Content-Length");
  auto refuse_size = [&](std::size_t size) {
    fail(http_failure::too_large, "response body of " + std::to_string(size) + " bytes or more exceeds the limit of " +
                                      std::to_string(limit) + " bytes");
  };

  if (encoding && detail::equal_ignoring_case(*encoding, "chunked")) {
    std::size_t at = 0;
    for (;;) {
      std::size_t eol;
      while ((eol = buffer.find("\r\n", at)) == std::string::npos) {
        if (buffer.size() - at > 1024) fail(http_failure::malformed, "chunk size line longer than 1 KiB");
        more(buffer, false);
      }
      std::size_t size = 0;
      std::size_t i = at;
      for (; i < eol; ++i) {
        int digit = buffer[i] >= '0' && buffer[i] <= '9'   ? buffer[i] - '0'
                    : buffer[i] >= 'a' && buffer[i] <= 'f' ? buffer[i] - 'a' + 10
                    : buffer[i] >= 'A' && buffer[i] <= 'F' ? buffer[i] - 'A' + 10
                                                           : -1;
        if (digit < 0) break;
        if (size > (SIZE_MAX >> 4)) fail(http_failure::malformed, "chunk size overflows");
        size = size * 16 + static_cast<std::size_t>(digit);
      }
      if (i == at || (i < eol && buffer[i] != ';' && buffer[i] != ' '))
        fail(http_failure::malformed,
             "malformed chunk size line \"" + buffer.substr(at, std::min<std::size_t>(eol - at, 40)) + "\"");
      at = eol + 2;
      if (size == 0) {
        // Trailers, if any, end with an empty line.
        while (buffer.find("\r\n", at) != at) {
          auto trailer_end = buffer.find("\r\n", at);
          if (trailer_end != std::string::npos) {
            at = trailer_end + 2;
            continue;
          }
          more(buffer, false);
        }
        break;
      }
      if (size > limit - response.body.size()) refuse_size(response.body.size() + size);
      while (buffer.size() < at + size + 2) more(buffer, false);
      if (buffer.compare(at + size, 2, "\r\n") != 0) fail(http_failure::malformed, "chunk not followed by CRLF");
      response.body.append(buffer, at, size);
      at += size + 2;
      if (at > 1024 * 1024) {  // keep the working buffer small on long responses
        buffer.erase(0, at);
        at = 0;
      }
    }
  } else if (length) {
    std::size_t size = 0;
    for (char c : *length) {
      if (c < '0' || c > '9' || size > (SIZE_MAX - 9) / 10)
        fail(http_failure::malformed, "malformed Content-Length \"" + *length + "\"");
      size = size * 10 + static_cast<std::size_t>(c - '0');
    }
    if (length->empty()) fail(http_failure::malformed, "empty Content-Length");
    if (size > limit) refuse_size(size);
    while (buffer.size() < size) more(buffer, false);
    response.body.assign(buffer, 0, size);
  } else if (response.status == 204 || response.status == 304 || response.status / 100 == 1) {
    // no body
  } else {
    // Checked before each read too: what came with the header may already be over the limit.
    do {
      if (buffer.size() > limit) refuse_size(buffer.size());
    } while (more(buffer, true));
    response.body = std::move(buffer);
    keep_alive = false;
  }
  return keep_alive;
}

}  // namespace detail

inline http_response http_client::request(const http_request& request) {
  std::string head;
  head.reserve(256);
  head.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  const bool ipv6 = endpoint_.host.find(':') != std::string::npos;
  head.append("Host: ").append(ipv6 ? "[" + endpoint_.host + "]" : endpoint_.host);
  head.append(":").append(std::to_string(endpoint_.port)).append("\r\n");
  head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  head.append("Connection: keep-alive\r\n");
  for (const auto& [key, value] : request.headers) {
    if (key.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
      throw error(errc::invalid_argument, "http header \"" + key + "\" contains a line break or a colon");
    head.append(key).append(": ").append(value).append("\r\n");
  }
  head.append("\r\n");

  cancel_fd_ = request.cancel_fd;
  bool reused = connected();
  if (!reused) connect(request.deadline);
  try {
    return exchange(head, request, reused);
  } catch (const stale_connection&) {
    disconnect();
    connect(request.deadline);
    return exchange(head, request, false);
  }
}

inline http_response http_client::exchange(const std::string& head, const http_request& request, bool reused) {
  const auto deadline = request.deadline;
  // Header and body go in one send when small, so a tiny request is one TCP segment.
  if (request.body.size() < 16 * 1024) {
    std::string whole = head;
    whole.append(request.body);
    send_all(whole, reused, deadline);
  } else {
    send_all(head, reused, deadline);
    send_all(request.body, false, deadline);
  }

  // Before any byte of an answer, a clean close of a reused connection means the server
  // dropped it while idle: the caller retries on a new one.
  bool received = false;
  auto more = [&](std::string& buffer, bool allow_eof) {
    const bool got = fill(buffer, allow_eof, deadline);
    if (!got && reused && !received && buffer.empty()) throw stale_connection{};
    received = received || got;
    return got;
  };
  http_response response;
  std::string buffer;
  const bool keep_alive = detail::read_response(buffer, response, request.max_response_bytes, more,
                                                [this](http_failure kind, const std::string& what) { fail(kind, what); });
  if (!keep_alive) disconnect();
  return response;
}

}  // namespace net
}  // namespace v0
}  // namespace trace
