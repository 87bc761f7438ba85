#include "http_server.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace trace_server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What every connection shares: the limits, the routes, and the list of open connections
// that shutdown walks.
struct server_state;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, server_state& state) : stream_(std::move(socket)), state_(state) {}
  void start();
  void close_if_idle();  // from shutdown: a connection between requests closes now

 private:
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void on_request();
  void refuse(int status, std::string message);  // answers, then closes
  void write(trace::api::http_response response);
  void on_write(beast::error_code ec);
  void linger();  // reads and drops what the client still sends before closing
  void close();

  beast::tcp_stream stream_;
  server_state& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  http::response<http::empty_body> continue_;
  unsigned version_ = 11;
  bool keep_alive_ = true, idle_ = false, closing_ = false;
  char drain_[4096];
};

struct server_state {
  const http_config& config;
  const http_hooks& hooks;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<session>> sessions;

  void track(const std::shared_ptr<session>& s) {
    std::lock_guard lock(sessions_mutex);
    std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(s);
  }
};

trace::api::http_response error_answer(int status, std::string message) {
  trace::api::http_response r;
  r.status = status;
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
  }
  r.body = "{\"error\":\"" + escaped + "\"}";
  return r;
}

void session::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void session::read_header() {
  if (state_.stopping) return close();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_.config.max_header));
  parser_->body_limit(state_.config.max_body);
  stream_.expires_after(state_.config.read_timeout);  // the whole request, header and body, in this time
  idle_ = buffer_.size() == 0;
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void session::on_header(beast::error_code ec) {
  idle_ = false;
  if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) return close();
  if (ec == http::error::header_limit)
    return refuse(431, "the request line and headers are over " + std::to_string(state_.config.max_header) + " bytes");
  if (ec == http::error::body_limit)
    return refuse(413, "the request body is over the limit of " + std::to_string(state_.config.max_body) + " bytes");
  if (ec == beast::error::timeout) return close();  // a client too slow to send its headers gets no answer
  if (ec) return ec.category() == http::make_error_code(http::error::bad_target).category()
                     ? refuse(400, "malformed HTTP request: " + ec.message())
                     : close();
  auto& request = parser_->get();
  if (request[http::field::expect] == "100-continue") {  // curl asks before large bodies
    continue_ = {http::status::continue_, request.version()};
    return http::async_write(stream_, continue_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      if (e) return self->close();
      self->read_body();
    });
  }
  read_body();
}

void session::read_body() {
  http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void session::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit)
    return refuse(413, "the request body is over the limit of " + std::to_string(state_.config.max_body) + " bytes");
  if (ec == beast::error::timeout) return close();
  if (ec) return ec.category() == http::make_error_code(http::error::bad_target).category()
                     ? refuse(400, "malformed HTTP request: " + ec.message())
                     : close();
  on_request();
}

void session::on_request() {
  auto& request = parser_->get();
  version_ = request.version();
  keep_alive_ = request.keep_alive();
  stream_.expires_never();  // nothing is read while the route works; the write sets its own
  trace::api::http_request r;
  r.method = std::string(request.method_string());
  r.target = std::string(request.target());
  for (const auto& field : request) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(request.body());
  // The answer may come from another thread: it is written on this connection's strand, and
  // the work guard keeps the server running (through a shutdown) until it is.
  auto reply = [self = shared_from_this(), work = asio::make_work_guard(stream_.get_executor())](trace::api::http_response answer) {
    asio::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable { self->write(std::move(answer)); });
  };
  try {
    state_.hooks.handle(std::move(r), std::move(reply));
  } catch (const std::exception& e) {
    write(error_answer(500, std::string("the route failed: ") + e.what()));
  }
}

void session::refuse(int status, std::string message) {
  keep_alive_ = false;
  version_ = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  write(error_answer(status, std::move(message)));
}

void session::write(trace::api::http_response answer) {
  if (state_.hooks.answered) state_.hooks.answered(answer.status);
  response_ = {};
  response_.version(version_);
  response_.result(static_cast<unsigned>(answer.status));
  response_.set(http::field::server, "trace-server");
  response_.set(http::field::content_type, answer.content_type);
  for (auto& [name, value] : answer.headers) response_.insert(name, value);
  response_.body() = std::move(answer.body);
  response_.keep_alive(keep_alive_ && !state_.stopping);
  response_.prepare_payload();
  stream_.expires_after(state_.config.read_timeout);  // a client that does not read its answer is dropped too
  http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void session::on_write(beast::error_code ec) {
  if (ec) return close();
  if (!response_.keep_alive()) return linger();
  read_header();  // pipelined requests already in the buffer are read from there, in order
}

// After an answer that ends the connection (an oversized body, say), the client may still be
// sending: closing with unread data makes TCP reset, and the client may lose the answer. So
// the sending side is shut, and what arrives is read and dropped until the client closes
// (bounded by the read timeout).
void session::linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::min<std::chrono::milliseconds>(state_.config.read_timeout, std::chrono::seconds(5)));
  stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code e, std::size_t) {
    if (e) return self->close();
    self->linger();
  });
}

void session::close() {
  if (closing_) return;
  closing_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void session::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->idle_ && !self->parser_->got_some()) self->stream_.cancel();  // the read ends: operation_aborted
  });
}

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& io, tcp::endpoint at, server_state& state)
      : io_(io), acceptor_(io), retry_(io), state_(state) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) {  // out of file descriptors, say: try again a little later rather than spin
        self->retry_.expires_after(std::chrono::milliseconds(50));
        return self->retry_.async_wait([self](beast::error_code) { self->accept(); });
      }
      auto s = std::make_shared<session>(std::move(socket), self->state_);
      self->state_.track(s);
      s->start();
      self->accept();
    });
  }
  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  server_state& state_;
};

}  // namespace

void serve_http(const http_config& config, const http_hooks& hooks) {
  asio::io_context io(static_cast<int>(config.threads));
  server_state state{config, hooks, {}, {}, {}};
  beast::error_code ec;
  const auto address = asio::ip::make_address(config.host, ec);
  if (ec) throw std::runtime_error("--listen " + config.host + ": not an IP address (" + ec.message() + ")");
  std::shared_ptr<listener> l;
  try {
    l = std::make_shared<listener>(io, tcp::endpoint(address, config.port), state);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " + e.code().message());
  }
  if (hooks.listening) hooks.listening(l->port());
  l->accept();

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGUSR1);
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code e, int number) {
    if (e) return;
    if (number == SIGUSR1) {
      if (hooks.snapshot_signal) hooks.snapshot_signal();
      return signals.async_wait(on_signal);
    }
    // Graceful shutdown: no new connections, idle ones closed, busy ones closed after their
    // answer. The signal wait is not renewed.
    state.stopping = true;
    l->stop();
    std::lock_guard lock(state.sessions_mutex);
    for (auto& w : state.sessions)
      if (auto s = w.lock()) s->close_if_idle();
  };
  signals.async_wait(on_signal);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&io] { io.run(); });
  // After a shutdown signal nothing waits for signals any more, so the context runs out of
  // work when the last connection has closed.
  io.run();
  for (auto& t : threads) t.join();
}

}  // namespace trace_server
