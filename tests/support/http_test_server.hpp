#pragma once
// A fault-injecting HTTP/1.1 server for tests, on 127.0.0.1 at an ephemeral port, serving
// from a thread of its own. For each request it records what arrived (method, target,
// headers, body) and asks the test's handler what to do: answer (after a delay if asked),
// close the connection without answering, close it halfway through the answer, or never
// answer at all (hold the connection until the client gives up). It can also read slowly,
// a few bytes at a time behind a small receive buffer, to push back on the sender.
//
// Connections are served one after another (a client that keeps one connection alive,
// then opens a new one after an error, is served in order). Every wait polls a wake-up
// pipe as well, so `stop()` (and the destructor) ends the thread promptly whatever the
// script was doing; nothing blocks without a bound.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace trace_test {

struct received_request {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connection = 0;  // 1 for the first connection accepted, and so on
  std::chrono::steady_clock::time_point arrived{};  // when its last byte was read

  // The first header of that name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const {
    auto lower = [](std::string_view s) {
      std::string out(s);
      for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      return out;
    };
    for (const auto& [key, value] : headers)
      if (lower(key) == lower(name)) return &value;
    return nullptr;
  }
};

struct test_reply {
  enum class action {
    answer,              // send the status, headers and body
    close_silently,      // close the connection without a byte of answer
    close_mid_response,  // send the first half of the answer's bytes, then close
    never_answer,        // keep the connection open, unanswered, until the client closes it
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  action what = action::answer;
  std::chrono::milliseconds delay{0};  // before answering
};

struct test_server_options {
  // Reading slowly: at most this many bytes per read, with a pause between reads (0: read
  // as fast as the bytes come), behind a receive buffer this small (0: the system's).
  std::size_t read_chunk = 0;
  std::chrono::milliseconds read_pause{0};
  int receive_buffer = 0;
};

class http_test_server {
 public:
  // `handler(request, index)`: index counts requests from 0, over all connections. It runs
  // on the server's thread and must not throw.
  using handler = std::function<test_reply(const received_request&, std::size_t index)>;

  explicit http_test_server(handler answer, test_server_options options = {})
      : answer_(std::move(answer)), options_(options) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("http_test_server: pipe failed");
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (options_.receive_buffer > 0)  // inherited by accepted sockets, so the window is small from the start
      ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &options_.receive_buffer, sizeof options_.receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 || ::listen(listener_, 16) != 0)
      throw std::runtime_error("http_test_server: cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~http_test_server() {
    stop();
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  http_test_server(const http_test_server&) = delete;
  http_test_server& operator=(const http_test_server&) = delete;

  // Ends the serving thread, closing any connection it holds. Idempotent.
  void stop() {
    if (!stopping_.exchange(true)) {
      char byte = 1;
      [[maybe_unused]] auto written = ::write(wake_[1], &byte, 1);
    }
    if (thread_.joinable()) thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<received_request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  int connections() const { return connections_.load(); }

 private:
  // Waits until `fd` is readable; false when the server is stopping.
  bool wait_readable(int fd) {
    for (;;) {
      pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      int ready = ::poll(p, 2, 1000);
      if (stopping_ || (ready > 0 && p[1].revents)) return false;
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }
  // Sleeps for `pause` unless the server stops first; false when stopping.
  bool pause_for(std::chrono::milliseconds pause) {
    pollfd p{wake_[0], POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(pause.count()));
    return !stopping_;
  }
  // Appends one read's bytes; false on EOF, error or stop.
  bool read_some(int fd, std::string& buffer) {
    if (!wait_readable(fd)) return false;
    char chunk[16 * 1024];
    std::size_t want = options_.read_chunk ? std::min(options_.read_chunk, sizeof chunk) : sizeof chunk;
    ssize_t n = ::recv(fd, chunk, want, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return options_.read_pause.count() == 0 || pause_for(options_.read_pause);
  }

  void run() {
    while (!stopping_) {
      if (!wait_readable(listener_)) return;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve(fd, ++connections_);
      ::close(fd);
    }
  }

  void serve(int fd, int connection) {
    std::string buffer;
    while (!stopping_) {
      std::size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos)
        if (buffer.size() > 64 * 1024 || !read_some(fd, buffer)) return;
      received_request request = parse_head(std::string_view(buffer).substr(0, header_end));
      request.connection = connection;
      std::size_t body_length = 0;
      if (const std::string* length = request.header("Content-Length")) {
        if (length->empty() || length->size() > 9 || length->find_first_not_of("0123456789") != std::string::npos)
          return;  // not a length this server takes: drop the connection
        body_length = std::stoul(*length);
      }
      while (buffer.size() < header_end + 4 + body_length)
        if (!read_some(fd, buffer)) return;
      request.body = buffer.substr(header_end + 4, body_length);
      request.arrived = std::chrono::steady_clock::now();
      buffer.erase(0, header_end + 4 + body_length);

      std::size_t index;
      {
        std::lock_guard lock(mutex_);
        index = requests_.size();
        requests_.push_back(request);
      }
      test_reply reply = answer_(request, index);
      if (reply.delay.count() > 0 && !pause_for(reply.delay)) return;
      switch (reply.what) {
        case test_reply::action::close_silently: return;
        case test_reply::action::never_answer:
          // Until the client closes (read_some sees EOF) or the server stops.
          while (read_some(fd, buffer)) {}
          return;
        case test_reply::action::close_mid_response:
        case test_reply::action::answer: break;
      }
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
      for (const auto& [key, value] : reply.headers) out += key + ": " + value + "\r\n";
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
      if (reply.what == test_reply::action::close_mid_response) {
        ::send(fd, out.data(), out.size() / 2, MSG_NOSIGNAL);
        return;
      }
      if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
    }
  }

  static received_request parse_head(std::string_view head) {
    received_request request;
    auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    auto first = line.find(' '), second = line.rfind(' ');
    if (first != std::string_view::npos && second > first) {
      request.method = std::string(line.substr(0, first));
      request.target = std::string(line.substr(first + 1, second - first - 1));
    }
    while (line_end != std::string_view::npos) {
      head.remove_prefix(line_end + 2);
      line_end = head.find("\r\n");
      line = head.substr(0, line_end);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    return request;
  }

  static const char* reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 400: return "Bad Request";
      case 404: return "Not Found";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return "Status";
    }
  }

  handler answer_;
  test_server_options options_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<received_request> requests_;
  std::thread thread_;  // last: starts once everything above is built
};

}  // namespace trace_test
