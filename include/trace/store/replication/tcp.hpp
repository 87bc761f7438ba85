#pragma once
// The replication stream on TCP (docs/FORMAT.md, "The replication stream"): `tcp_sink` is
// the primary's end, `replica_server` the replica's. The primary connects and says hello
// with its last batch; the replica answers with the last batch it applied; the primary then
// sends every batch after it, in order, and the replica answers each once it is durable.
// A primary that no longer holds what the replica needs says `reseed` and closes.
//
//   trace::replication::replica_store replica({.path = "replica"});
//   trace::replication::replica_server server(replica, trace::net::tcp_address::parse("127.0.0.1:4555"));
//   server.run();   // until stop(), from another thread

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "trace/core/error.hpp"
#include "trace/net/tcp_stream.hpp"
#include "trace/store/replication/frame.hpp"
#include "trace/store/replication/replica.hpp"
#include "trace/store/replication/sink.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

namespace detail {
// Reads one frame; nullopt when the peer closed the connection between frames.
inline std::optional<frame> read_frame(net::tcp_stream& s, std::chrono::milliseconds timeout) {
  char header[frame_header_size];
  if (!s.read_exact(header, frame_header_size, timeout)) return std::nullopt;
  const std::string where = "replication stream from " + s.peer();
  const frame_header h = parse_frame_header(header, where);
  frame f{h.type, h.sequence, std::string(h.length, '\0')};
  if (h.length && !s.read_exact(f.payload.data(), h.length, timeout))
    throw error(errc::io_error, where + ": closed inside a frame");
  check_frame(header, h, f.payload, where);
  return f;
}
}  // namespace detail

class tcp_sink final : public replication_sink {
 public:
  // `timeout` bounds connecting and each wait for the replica's answer (which includes its sync).
  explicit tcp_sink(net::tcp_address replica, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : address_(std::move(replica)), timeout_(timeout) {}
  std::string name() const override { return "tcp:" + address_.to_string(); }

  std::uint64_t connect(std::uint64_t primary_last) override {
    stream_ = net::tcp_stream::connect(address_, timeout_);
    stream_.send_all(encode_frame(frame_type::hello, primary_last, protocol_name), timeout_);
    return expect_applied("hello", std::nullopt);
  }
  void deliver(const frame& f) override {
    out_.clear();
    encode_frame(out_, f.type, f.sequence, f.payload);
    stream_.send_all(out_, timeout_);
    expect_applied("batch " + std::to_string(f.sequence), f.sequence);
  }
  void reseed(std::uint64_t oldest, const std::string& why) override {
    stream_.send_all(encode_frame(frame_type::reseed, oldest, why), timeout_);
    disconnect();
  }
  void disconnect() noexcept override { stream_.close(); }

 private:
  std::uint64_t expect_applied(const std::string& after, std::optional<std::uint64_t> sequence) {
    std::optional<frame> answer = detail::read_frame(stream_, timeout_);
    if (!answer) throw error(errc::io_error, "replica " + address_.to_string() + " closed the connection after " + after);
    if (answer->type != frame_type::applied)
      throw error(errc::corrupt_data, "replica " + address_.to_string() + " answered " + after + " with frame type " +
                                          std::to_string(static_cast<int>(answer->type)) + " instead of applied");
    if (sequence && answer->sequence != *sequence)
      throw error(errc::corrupt_data, "replica " + address_.to_string() + " answered " + after + " with applied " +
                                          std::to_string(answer->sequence));
    return answer->sequence;
  }

  net::tcp_address address_;
  std::chrono::milliseconds timeout_;
  net::tcp_stream stream_;
  std::string out_;
};

// Serves one primary connection at a time (a primary that reconnects replaces a dead one
// once the old connection ends), applying its batches to `replica`.
class replica_server {
 public:
  replica_server(replica_store& replica, const net::tcp_address& listen_at,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : replica_server(replica, net::tcp_listener(listen_at), timeout) {}
  // On a listener already open (a test that must know the port before it starts serving).
  replica_server(replica_store& replica, net::tcp_listener listener, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : replica_(replica), listener_(std::move(listener)), timeout_(timeout) {}

  std::uint16_t port() const noexcept { return listener_.port(); }
  // Accepts and serves connections until `stop()`; a connection that breaks the protocol is
  // closed and reported through `last_error()`, and the next one is served.
  void run() {
    while (!stopping_) {
      net::tcp_stream s = listener_.accept(poll_interval);
      if (!s.is_open()) continue;
      try {
        serve(s);
      } catch (const error& e) {
        std::lock_guard lock(mutex_);
        last_error_ = e.what();
      }
    }
  }
  void stop() noexcept { stopping_ = true; }

  // The primary's oldest batch when it said this replica must be re-seeded from a snapshot.
  std::optional<std::uint64_t> reseed_needed() const {
    std::lock_guard lock(mutex_);
    return reseed_;
  }
  std::string last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }
  std::uint64_t applied() const noexcept { return applied_; }

 private:
  static constexpr std::chrono::milliseconds poll_interval{50};

  void serve(net::tcp_stream& s) {
    applied_ = replica_.applied();
    for (;;) {
      while (!s.readable(poll_interval))
        if (stopping_ || listener_.pending()) return;  // a primary connecting anew replaces a silent one
      std::optional<frame> f = detail::read_frame(s, timeout_);
      if (!f) return;  // the primary went away
      switch (f->type) {
        case frame_type::hello:
          if (f->payload != protocol_name)
            throw error(errc::invalid_argument, "primary " + s.peer() + " speaks \"" + f->payload.substr(0, 64) + "\", not " +
                                                    std::string(protocol_name));
          break;
        case frame_type::batch:
          replica_.apply(f->sequence, f->payload);
          break;
        case frame_type::reseed: {
          std::lock_guard lock(mutex_);
          reseed_ = f->sequence;
          last_error_ = "the primary no longer holds the batches after " + std::to_string(replica_.applied()) + ": " + f->payload;
          return;
        }
        case frame_type::applied:
          throw error(errc::invalid_argument, "primary " + s.peer() + " sent an applied frame, which only replicas send");
      }
      applied_ = replica_.applied();
      s.send_all(encode_frame(frame_type::applied, replica_.applied()), timeout_);
    }
  }

  replica_store& replica_;
  net::tcp_listener listener_;
  std::chrono::milliseconds timeout_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> applied_{0};
  mutable std::mutex mutex_;
  std::optional<std::uint64_t> reseed_;
  std::string last_error_;
};

}  // namespace replication
}  // namespace v0
}  // namespace trace
