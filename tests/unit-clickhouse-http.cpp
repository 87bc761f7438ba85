// The ClickHouse store's HTTP/1.1 client against a tiny scripted server on loopback:
// framing (Content-Length, chunked, close-delimited), keep-alive reuse and reconnection,
// timeouts, refused connections and malformed answers.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "trace/store/clickhouse/http_client.hpp"

using namespace trace;
using clickhouse::http_client;
using clickhouse::http_endpoint;

namespace {

// Accepts connections one after another on 127.0.0.1; for each request read (headers plus
// Content-Length body) calls `answer(request, connection_number)`, writes what it returns,
// and closes the connection when it returns with `close` set.
class scripted_server {
 public:
  struct reply {
    std::string bytes;
    bool close = false;
    std::chrono::milliseconds delay{0};
  };
  using script = std::function<reply(const std::string& request, int connection)>;

  explicit scripted_server(script answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    REQUIRE(::listen(listener_, 8) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~scripted_server() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  const std::vector<std::string>& requests() const { return requests_; }

 private:
  void run() {
    while (!stopping_) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      int connection = ++connections_;
      std::string buffer;
      for (;;) {
        std::size_t header_end;
        char chunk[4096];
        while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
          ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        if (header_end == std::string::npos) break;
        std::size_t body_length = 0;
        auto at = buffer.find("Content-Length: ");
        if (at != std::string::npos && at < header_end) body_length = std::stoul(buffer.substr(at + 16));
        while (buffer.size() < header_end + 4 + body_length) {
          ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<std::size_t>(n));
        }
        std::string request = buffer.substr(0, header_end + 4 + body_length);
        buffer.erase(0, request.size());
        requests_.push_back(request);
        reply r = answer_(request, connection);
        std::this_thread::sleep_for(r.delay);
        ::send(fd, r.bytes.data(), r.bytes.size(), MSG_NOSIGNAL);
        if (r.close) break;
      }
      ::close(fd);
    }
  }

  script answer_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::vector<std::string> requests_;
  std::thread thread_;
};

http_endpoint at(std::uint16_t port, std::chrono::milliseconds io_timeout = std::chrono::milliseconds(5000)) {
  http_endpoint e;
  e.host = "127.0.0.1";
  e.port = port;
  e.io_timeout = io_timeout;
  return e;
}

std::string with_length(std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra_headers) +
         "\r\n" + std::string(body);
}

// A port nobody listens on: bound, then closed.
std::uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const trace::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a Content-Length body is read exactly and the request carries method, target and body") {
  scripted_server server([](const std::string&, int) { return scripted_server::reply{with_length("hello")}; });
  http_client client(at(server.port()));
  auto response = client.request("POST", "/?query=x", "SELECT 1");
  CHECK(response.status == 200);
  CHECK(response.body == "hello");
  REQUIRE(server.requests().size() == 1);
  const std::string& request = server.requests()[0];
  CHECK(request.rfind("POST /?query=x HTTP/1.1\r\n", 0) == 0);
  CHECK(request.find("Content-Length: 8\r\n") != std::string::npos);
  CHECK(request.substr(request.size() - 8) == "SELECT 1");
}

TEST_CASE("a chunked body is reassembled, chunk extensions and trailers included") {
  std::string answer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "1;ext=1\r\n \r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: yes\r\n\r\n";
  scripted_server server([&](const std::string&, int) { return scripted_server::reply{answer}; });
  http_client client(at(server.port()));
  auto response = client.request("GET", "/");
  CHECK(response.body == "hello 0123456789");
  // The connection stays usable: the next request reads its own answer, not leftovers.
  CHECK(client.request("GET", "/").body == "hello 0123456789");
  CHECK(server.connections() == 1);
}

TEST_CASE("a body without length ends when the server closes the connection") {
  scripted_server server([](const std::string&, int) {
    return scripted_server::reply{"HTTP/1.0 200 OK\r\n\r\nuntil close", true};
  });
  http_client client(at(server.port()));
  CHECK(client.request("GET", "/").body == "until close");
  CHECK_FALSE(client.connected());
}

TEST_CASE("keep-alive reuses one connection for many requests") {
  int served = 0;
  scripted_server server([&](const std::string&, int) {
    return scripted_server::reply{with_length(std::to_string(++served))};
  });
  http_client client(at(server.port()));
  for (int i = 1; i <= 5; ++i) CHECK(client.request("GET", "/").body == std::to_string(i));
  CHECK(server.connections() == 1);
}

TEST_CASE("a kept-alive connection the server closed while idle is replaced once, transparently") {
  scripted_server server([](const std::string&, int connection) {
    // The first connection answers and then closes without saying so.
    return scripted_server::reply{with_length("from " + std::to_string(connection)), connection == 1};
  });
  http_client client(at(server.port()));
  CHECK(client.request("GET", "/").body == "from 1");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(client.request("GET", "/").body == "from 2");
  CHECK(server.connections() == 2);
}

TEST_CASE("Connection: close in the answer makes the next request open a new connection") {
  scripted_server server([](const std::string&, int connection) {
    return scripted_server::reply{with_length(std::to_string(connection), "Connection: close\r\n"), true};
  });
  http_client client(at(server.port()));
  CHECK(client.request("GET", "/").body == "1");
  CHECK_FALSE(client.connected());
  CHECK(client.request("GET", "/").body == "2");
}

TEST_CASE("an HTTP error status is returned with its body, not thrown") {
  scripted_server server([](const std::string&, int) {
    return scripted_server::reply{
        "HTTP/1.1 500 Internal Server Error\r\nX-ClickHouse-Exception-Code: 395\r\nContent-Length: 11\r\n\r\nCode: 395, "};
  });
  http_client client(at(server.port()));
  auto response = client.request("POST", "/", "SELECT throwIf(1)");
  CHECK(response.status == 500);
  CHECK(response.body == "Code: 395, ");
  REQUIRE(response.header("x-clickhouse-exception-code"));
  CHECK(*response.header("X-CLICKHOUSE-EXCEPTION-CODE") == "395");
  CHECK(response.header("X-Missing") == nullptr);
}

TEST_CASE("a refused connection is an i/o error naming the peer and the reason") {
  std::uint16_t port = unused_port();
  http_client client(at(port));
  CHECK(message_of([&] { client.request("GET", "/"); }) ==
        "i/o error: http 127.0.0.1:" + std::to_string(port) + ": cannot connect: Connection refused");
}

TEST_CASE("a server that does not answer in time is an i/o error naming the timeout") {
  scripted_server server([](const std::string&, int) {
    return scripted_server::reply{with_length("late"), false, std::chrono::milliseconds(600)};
  });
  http_client client(at(server.port(), std::chrono::milliseconds(100)));
  CHECK(message_of([&] { client.request("GET", "/"); }) ==
        "i/o error: http 127.0.0.1:" + std::to_string(server.port()) +
            ": timed out after 100 ms waiting for the response");
  CHECK_FALSE(client.connected());
}

TEST_CASE("a connection closed inside a body is an i/o error, not a short body") {
  scripted_server server([](const std::string&, int) {
    return scripted_server::reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a little", true};
  });
  http_client client(at(server.port()));
  CHECK(message_of([&] { client.request("GET", "/"); }) ==
        "i/o error: http 127.0.0.1:" + std::to_string(server.port()) +
            ": connection closed in the middle of the response");
}

TEST_CASE("malformed answers are refused with what was wrong") {
  std::string answer;
  scripted_server server([&](const std::string&, int) { return scripted_server::reply{answer, true}; });
  std::string prefix = "i/o error: http 127.0.0.1:" + std::to_string(server.port()) + ": ";

  answer = "SMTP ready\r\n\r\n";
  CHECK(message_of([&] { http_client(at(server.port())).request("GET", "/"); }) ==
        prefix + "malformed status line \"SMTP ready\"");
  answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  CHECK(message_of([&] { http_client(at(server.port())).request("GET", "/"); }) ==
        prefix + "malformed chunk size line \"zz\"");
  answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n";
  CHECK(message_of([&] { http_client(at(server.port())).request("GET", "/"); }) ==
        prefix + "chunk not followed by CRLF");
  answer = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n";
  CHECK(message_of([&] { http_client(at(server.port())).request("GET", "/"); }) ==
        prefix + "malformed header line \"no colon here\"");
}

TEST_CASE("header values with line breaks are refused before anything is sent") {
  scripted_server server([](const std::string&, int) { return scripted_server::reply{with_length("x")}; });
  http_client client(at(server.port()));
  CHECK(message_of([&] { client.request("GET", "/", {}, {{"X-User", "a\r\nX-Injected: 1"}}); }) ==
        "invalid argument: http header \"X-User\" contains a line break or a colon");
  CHECK(server.requests().empty());
}
