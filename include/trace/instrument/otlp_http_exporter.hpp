#pragma once
// A span exporter that sends batches to an OpenTelemetry collector (or Jaeger, Tempo, any
// OTLP/HTTP receiver) as `POST /v1/traces`, in protobuf (`application/x-protobuf`, the
// default) or JSON (`application/json`), following the OTLP/HTTP specification:
//
//   auto exporter = std::make_shared<trace::otlp_http_exporter>(trace::otlp_http_options_from_env());
//   auto processor = std::make_shared<trace::batch_span_processor>(exporter);
//
// `export_spans` encodes the batch and queues it for a sending thread of the exporter's
// own; it never waits on the network, so neither the batch processor's worker nor any
// application thread is held up by a slow or unreachable collector. The queue is bounded
// (`max_queue_spans`): a batch that does not fit is dropped and counted.
//
// What happens to a request:
//   200 (2xx)            done; a partial success's rejected spans are counted and its
//                        message kept, and the request is not sent again
//   429, 502, 503, 504   sent again after the Retry-After the answer gives (seconds or an
//                        HTTP-date), otherwise after an exponential backoff with jitter
//   no answer            (cannot connect, the connection closed, the per-request timeout
//                        ran out) sent again the same way
//   anything else        (400 and every other status) dropped at once; the message of the
//                        google.rpc.Status body is kept
// Attempts stop at `retry.max_attempts`, and a batch never outlives `retry.total_timeout`
// from its first request: a wait that would overrun it is not started. Plain http:// only.
//
// Counters (`stats()`) may be read from any thread at any time.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cerrno>
#include <cstring>  // strerror
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <fcntl.h>   // O_CLOEXEC, O_NONBLOCK
#include <unistd.h>  // pipe2, write, close

#include "trace/core/error.hpp"
#include "trace/core/span.hpp"
#include "trace/instrument/exporter.hpp"
#include "trace/instrument/otlp_http_options.hpp"
#include "trace/io/json_reader.hpp"     // json::parse, for JSON answers
#include "trace/io/otlp_protobuf.hpp"   // proto::encode_request, decode_response, decode_status
#include "trace/io/otlp_writer.hpp"     // otlp::to_json
#include "trace/net/gzip.hpp"
#include "trace/net/http_client.hpp"
#include "trace/net/retry_after.hpp"

namespace trace {
inline namespace v0 {

// Why a request, or a batch, did not get through. Counted per failed request, except
// `request_too_large` and `shutdown`, counted per batch never (or no longer) sent.
enum class otlp_failure : std::uint8_t {
  connect,            // the name did not resolve, or the connection was refused or timed out
  timeout,            // the per-request timeout (or the batch's total one) ran out
  disconnected,       // the server closed the connection before answering in full
  bad_response,       // an answer that broke HTTP framing or exceeded max_response_bytes
  retryable_status,   // 429, 502, 503 or 504
  error_status,       // any other status that is not 2xx: 400, 401, 404, 500, ...
  request_too_large,  // the encoded batch exceeded max_request_bytes: not sent
  shutdown,           // still queued, or waiting to be retried, when shutdown's time ran out
};
inline constexpr std::size_t otlp_failure_kinds = 8;

constexpr const char* to_string(otlp_failure kind) noexcept {
  switch (kind) {
    case otlp_failure::connect: return "connect";
    case otlp_failure::timeout: return "timeout";
    case otlp_failure::disconnected: return "disconnected";
    case otlp_failure::bad_response: return "bad_response";
    case otlp_failure::retryable_status: return "retryable_status";
    case otlp_failure::error_status: return "error_status";
    case otlp_failure::request_too_large: return "request_too_large";
    case otlp_failure::shutdown: return "shutdown";
  }
  return "failure";
}

struct otlp_http_stats {
  std::uint64_t spans_exported = 0;          // accepted by the server
  std::uint64_t spans_rejected = 0;          // refused by the server in a partial success
  std::uint64_t spans_failed = 0;            // dropped after a failure: not retryable, retries over, shutdown
  std::uint64_t spans_dropped_overflow = 0;  // the queue was full when their batch came
  std::uint64_t requests = 0;                // HTTP requests sent, first attempts and retries
  std::uint64_t retries = 0;                 // of those, the ones repeating an earlier request
  std::uint64_t failures[otlp_failure_kinds] = {};  // indexed by otlp_failure
  std::string last_error;                    // what the last failure said (status message, i/o error)
  std::string last_partial_success;          // the error_message of the last partial success

  std::uint64_t failures_of(otlp_failure kind) const noexcept { return failures[static_cast<std::size_t>(kind)]; }
};

class otlp_http_exporter final : public span_exporter {
 public:
  // Throws `error(errc::invalid_option)` for an endpoint that is not an http:// URL, gzip
  // without zlib, zero limits or timeouts, or a header the exporter sets itself.
  explicit otlp_http_exporter(otlp_http_options options = otlp_http_options_from_env());
  ~otlp_http_exporter() override;
  otlp_http_exporter(const otlp_http_exporter&) = delete;
  otlp_http_exporter& operator=(const otlp_http_exporter&) = delete;

  // Encodes and queues; drops and counts the batch when the queue is full or after shutdown.
  void export_spans(std::span<const span> batch) override;
  // Waits, up to `flush_timeout`, until every queued batch has been sent or given up on.
  void force_flush() override { flush(options_.flush_timeout); }
  bool flush(std::chrono::milliseconds timeout);
  // Sends what is queued for up to `flush_timeout`, then abandons the request in flight,
  // drops the rest, counted, and ends the sending thread. Idempotent.
  void shutdown() override;

  otlp_http_stats stats() const;
  const otlp_http_options& options() const noexcept { return options_; }

 private:
  using clock = std::chrono::steady_clock;
  struct request {
    std::string body;
    std::size_t spans = 0;
  };
  // An attempt that can be tried again, and the wait its answer asked for.
  struct retryable {
    std::optional<std::chrono::milliseconds> retry_after;
  };

  void run();
  void send(const request& r);
  std::optional<retryable> attempt(const request& r, clock::time_point deadline);
  void accepted(const request& r, const net::http_response& response);
  void failed(otlp_failure kind, std::string message);
  void give_up(const request& r, otlp_failure kind, std::string message);
  void retries_over(const request& r, const std::string& why);  // its failures are counted already
  bool sleep_until(clock::time_point until);
  clock::time_point stop_deadline() {
    std::lock_guard lock(mutex_);
    return stop_deadline_;
  }
  void count(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  otlp_http_options options_;
  net::http_url url_;
  std::vector<net::http_header> headers_;  // options' headers after the exporter's own
  net::http_client client_;                // the sending thread's only
  std::minstd_rand jitter_{std::random_device{}()};  // the sending thread's only

  mutable std::mutex mutex_;
  std::condition_variable wake_;   // the sender: work queued, shutdown
  std::condition_variable idle_;   // flush: the queue emptied
  std::deque<request> queue_;      // guarded by mutex_
  std::size_t queued_spans_ = 0;   // guarded by mutex_
  bool sending_ = false;           // guarded by mutex_: a request taken off the queue is in flight
  bool stopping_ = false;          // guarded by mutex_
  bool sender_done_ = false;       // guarded by mutex_
  clock::time_point stop_deadline_ = clock::time_point::max();  // guarded by mutex_
  std::once_flag joined_;
  int cancel_[2] = {-1, -1};  // a pipe: a byte written ends the request in flight

  std::atomic<std::uint64_t> exported_{0}, rejected_{0}, failed_spans_{0}, overflow_{0}, requests_{0}, retries_{0};
  std::atomic<std::uint64_t> failures_[otlp_failure_kinds] = {};
  mutable std::mutex report_mutex_;
  std::string last_error_, last_partial_success_;  // guarded by report_mutex_
  std::thread sender_;  // last: starts once everything above is built
};

// ---------------------------------------------------------------------------------------

namespace detail {

// What an error answer says: the google.rpc.Status message when the body is one, else the
// body's start when it is text, else its size.
inline std::string otlp_error_message(const net::http_response& response, otlp_protocol sent) {
  const std::string* type = response.header("Content-Type");
  const bool json = type ? type->starts_with("application/json") : sent == otlp_protocol::http_json;
  const bool protobuf = type ? type->starts_with("application/x-protobuf") : sent == otlp_protocol::http_protobuf;
  try {
    if (protobuf) {
      auto status = otlp::proto::decode_status(response.body);
      if (!status.message.empty()) return status.message;
    } else if (json) {
      auto doc = json::parse(response.body);
      if (const auto* message = doc.find("message"))
        if (const auto* text = message->get_if<std::string>()) return *text;
    }
  } catch (const error&) {  // not a Status after all: say what the body is below
  }
  const bool printable = std::all_of(response.body.begin(), response.body.end(),
                                     [](char c) { return c == '\n' || c == '\t' || (c >= ' ' && c != 127); });
  if (response.body.empty()) return "(no body)";
  if (!printable) return "(" + std::to_string(response.body.size()) + " bytes of body)";
  return response.body.substr(0, 200);
}

// The partial success in a 2xx answer; all zero when there is none.
inline otlp::proto::export_response otlp_partial_success(const net::http_response& response, otlp_protocol sent) {
  if (response.body.empty()) return {};
  const std::string* type = response.header("Content-Type");
  const bool json = type ? type->starts_with("application/json") : sent == otlp_protocol::http_json;
  if (!json) return otlp::proto::decode_response(response.body);
  otlp::proto::export_response out;
  auto doc = json::parse(response.body);
  const json::value* partial = doc.find("partialSuccess");
  if (!partial) return out;
  if (const auto* rejected = partial->find("rejectedSpans")) {
    // int64 travels as a decimal string in OTLP JSON; a number is accepted too.
    if (const auto* text = rejected->get_if<std::string>()) {
      std::int64_t n = 0;
      for (char c : *text) {
        if (c < '0' || c > '9' || n > INT64_MAX / 10 - 1)
          throw error(errc::parse_error, "partialSuccess.rejectedSpans \"" + *text + "\" is not a count");
        n = n * 10 + (c - '0');
      }
      out.rejected_spans = n;
    } else if (const auto* n = rejected->get_if<std::int64_t>()) {
      out.rejected_spans = *n;
    }
  }
  if (const auto* message = partial->find("errorMessage"))
    if (const auto* text = message->get_if<std::string>()) out.error_message = *text;
  return out;
}

inline otlp_failure otlp_failure_of(net::http_failure kind) noexcept {
  switch (kind) {
    case net::http_failure::connect: return otlp_failure::connect;
    case net::http_failure::timeout: return otlp_failure::timeout;
    case net::http_failure::closed: return otlp_failure::disconnected;
    case net::http_failure::malformed:
    case net::http_failure::too_large: return otlp_failure::bad_response;
    case net::http_failure::cancelled: return otlp_failure::shutdown;
  }
  return otlp_failure::bad_response;
}

}  // namespace detail

inline otlp_http_exporter::otlp_http_exporter(otlp_http_options options)
    : options_(std::move(options)), client_(net::http_endpoint{}) {
  auto refuse = [](const std::string& why) { throw error(errc::invalid_option, "otlp_http_exporter: " + why); };
  if (const char* problem = net::split_http_url(options_.endpoint, url_))
    refuse("endpoint \"" + options_.endpoint + "\": " + problem);
  if (options_.compression == otlp_compression::gzip && !net::gzip_available)
    refuse("gzip compression needs zlib: build with TRACE_WITH_ZLIB defined and link zlib");
  if (options_.timeout.count() <= 0 || options_.retry.total_timeout.count() <= 0 || options_.flush_timeout.count() < 0)
    refuse("timeout and retry.total_timeout must be positive, flush_timeout not negative");
  if (options_.retry.max_attempts == 0 || options_.max_queue_spans == 0 || options_.max_request_bytes == 0 ||
      options_.max_response_bytes == 0)
    refuse("retry.max_attempts, max_queue_spans, max_request_bytes and max_response_bytes must be positive");
  if (options_.retry.initial_backoff.count() < 0 || options_.retry.max_backoff < options_.retry.initial_backoff ||
      !(options_.retry.backoff_multiplier >= 1.0))
    refuse("retry backoff: initial_backoff not negative, max_backoff not below it, multiplier at least 1");

  headers_.emplace_back("Content-Type", options_.protocol == otlp_protocol::http_json ? "application/json"
                                                                                        : "application/x-protobuf");
  if (options_.compression == otlp_compression::gzip) headers_.emplace_back("Content-Encoding", "gzip");
  headers_.emplace_back("User-Agent", "trace-cpp-otlp-exporter/0.1");
  for (const auto& header : options_.headers) {
    for (const char* own : {"Content-Type", "Content-Encoding", "Content-Length", "Host", "Connection"})
      if (net::detail::equal_ignoring_case(header.first, own))
        refuse("header \"" + header.first + "\" is set by the exporter itself");
    if (net::detail::equal_ignoring_case(header.first, "User-Agent"))  // the caller's replaces ours
      std::erase_if(headers_, [](const auto& own) { return own.first == "User-Agent"; });
    headers_.push_back(header);
  }

  net::http_endpoint endpoint;
  endpoint.host = url_.host;
  endpoint.port = url_.port;
  // Each request's deadline is what bounds it; these only keep single waits sane.
  endpoint.connect_timeout = options_.timeout;
  endpoint.io_timeout = options_.timeout;
  client_ = net::http_client(std::move(endpoint));
  if (::pipe2(cancel_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw error(errc::io_error, std::string("otlp_http_exporter: pipe2 failed: ") + std::strerror(errno));
  sender_ = std::thread([this] { run(); });
}

inline otlp_http_exporter::~otlp_http_exporter() {
  shutdown();
  ::close(cancel_[0]);
  ::close(cancel_[1]);
}

inline void otlp_http_exporter::export_spans(std::span<const span> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mutex_);
    // Checked before encoding, so a full queue costs the caller nothing more.
    if (stopping_ || queued_spans_ + batch.size() > options_.max_queue_spans) {
      count(overflow_, batch.size());
      return;
    }
  }
  request r;
  r.spans = batch.size();
  r.body = options_.protocol == otlp_protocol::http_json ? otlp::to_json(batch) : otlp::proto::encode_request(batch);
  if (r.body.size() > options_.max_request_bytes) {
    give_up(r, otlp_failure::request_too_large,
            "a batch of " + std::to_string(r.spans) + " spans encodes to " + std::to_string(r.body.size()) +
                " bytes, over max_request_bytes " + std::to_string(options_.max_request_bytes));
    return;
  }
  if (options_.compression == otlp_compression::gzip) r.body = net::gzip_compress(r.body);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queued_spans_ + r.spans > options_.max_queue_spans) {  // filled up while encoding
      count(overflow_, r.spans);
      return;
    }
    queued_spans_ += r.spans;
    queue_.push_back(std::move(r));
  }
  wake_.notify_one();
}

inline bool otlp_http_exporter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !sending_; });
}

inline void otlp_http_exporter::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = clock::now() + options_.flush_timeout;
    }
  }
  wake_.notify_all();
  std::call_once(joined_, [this] {
    {
      std::unique_lock lock(mutex_);
      if (!idle_.wait_until(lock, stop_deadline_, [this] { return sender_done_; })) {
        char byte = 1;  // time is up: abandon the request in flight
        [[maybe_unused]] auto written = ::write(cancel_[1], &byte, 1);
      }
    }
    sender_.join();
  });
}

inline otlp_http_stats otlp_http_exporter::stats() const {
  otlp_http_stats out;
  out.spans_exported = exported_.load(std::memory_order_relaxed);
  out.spans_rejected = rejected_.load(std::memory_order_relaxed);
  out.spans_failed = failed_spans_.load(std::memory_order_relaxed);
  out.spans_dropped_overflow = overflow_.load(std::memory_order_relaxed);
  out.requests = requests_.load(std::memory_order_relaxed);
  out.retries = retries_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < otlp_failure_kinds; ++i) out.failures[i] = failures_[i].load(std::memory_order_relaxed);
  std::lock_guard lock(report_mutex_);
  out.last_error = last_error_;
  out.last_partial_success = last_partial_success_;
  return out;
}

inline void otlp_http_exporter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, and nothing left
    request r = std::move(queue_.front());
    queue_.pop_front();
    queued_spans_ -= r.spans;
    sending_ = true;
    lock.unlock();
    send(r);
    lock.lock();
    sending_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
  sender_done_ = true;
  idle_.notify_all();
}

inline void otlp_http_exporter::send(const request& r) {
  const auto& retry = options_.retry;
  const auto budget_end = clock::now() + retry.total_timeout;
  auto backoff = retry.initial_backoff;
  for (std::size_t attempt_number = 1;; ++attempt_number) {
    const auto now = clock::now();
    const auto stop = stop_deadline();
    if (now >= stop) return give_up(r, otlp_failure::shutdown, "shutdown's flush_timeout ran out before the batch was sent");
    auto outcome = attempt(r, std::min({now + options_.timeout, budget_end, stop}));
    if (!outcome) return;  // done: sent, or failed for good
    if (attempt_number >= retry.max_attempts)
      return retries_over(r, "gave up after " + std::to_string(attempt_number) + " attempts");
    std::chrono::milliseconds wait;
    if (outcome->retry_after) {
      wait = *outcome->retry_after;
    } else {
      // Equal parts fixed and random: between half and one and a half times the backoff.
      std::uniform_real_distribution<double> spread(0.5, 1.5);
      wait = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(backoff.count()) * spread(jitter_)));
      backoff = std::min(options_.retry.max_backoff,
                         std::chrono::milliseconds(static_cast<std::int64_t>(
                             static_cast<double>(backoff.count()) * options_.retry.backoff_multiplier)));
    }
    const auto resume = clock::now() + wait;
    if (resume >= budget_end)
      return retries_over(r, "gave up: waiting " + std::to_string(wait.count()) + " ms more would overrun total_timeout");
    if (!sleep_until(resume))
      return give_up(r, otlp_failure::shutdown, "shutdown's flush_timeout ran out while waiting to retry");
    count(retries_);
  }
}

inline std::optional<otlp_http_exporter::retryable> otlp_http_exporter::attempt(const request& r,
                                                                               clock::time_point deadline) {
  count(requests_);
  net::http_response response;
  try {
    response = client_.request(net::http_request{.method = "POST",
                                                 .target = url_.target,
                                                 .body = r.body,
                                                 .headers = headers_,
                                                 .deadline = deadline,
                                                 .max_response_bytes = options_.max_response_bytes,
                                                 .cancel_fd = cancel_[0]});
  } catch (const net::http_error& e) {
    const otlp_failure kind = detail::otlp_failure_of(e.kind());
    // The server answered wrongly (sending again will not help), or shutdown's time is up.
    if (kind == otlp_failure::bad_response || kind == otlp_failure::shutdown) {
      give_up(r, kind, e.what());
      return std::nullopt;
    }
    failed(kind, e.what());
    return retryable{};
  }
  if (response.status / 100 == 2) {
    accepted(r, response);
    return std::nullopt;
  }
  std::string message = "HTTP " + std::to_string(response.status) + ": " +
                        detail::otlp_error_message(response, options_.protocol);
  const int status = response.status;
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    failed(otlp_failure::retryable_status, std::move(message));
    retryable again;
    if (const std::string* after = response.header("Retry-After")) again.retry_after = net::parse_retry_after(*after);
    return again;
  }
  give_up(r, otlp_failure::error_status, std::move(message));
  return std::nullopt;
}

inline void otlp_http_exporter::accepted(const request& r, const net::http_response& response) {
  otlp::proto::export_response partial;
  try {
    partial = detail::otlp_partial_success(response, options_.protocol);
  } catch (const error& e) {
    // The status said accepted; an unreadable body does not undo that.
    std::lock_guard lock(report_mutex_);
    last_error_ = std::string("accepted, but the answer's body is unreadable: ") + e.what();
  }
  const auto rejected = static_cast<std::uint64_t>(std::clamp<std::int64_t>(partial.rejected_spans, 0,
                                                                            static_cast<std::int64_t>(r.spans)));
  count(exported_, r.spans - rejected);
  count(rejected_, rejected);
  if (rejected > 0 || !partial.error_message.empty()) {
    std::lock_guard lock(report_mutex_);
    last_partial_success_ = partial.error_message.empty() ? "(no message)" : std::move(partial.error_message);
  }
}

inline void otlp_http_exporter::failed(otlp_failure kind, std::string message) {
  count(failures_[static_cast<std::size_t>(kind)]);
  std::lock_guard lock(report_mutex_);
  last_error_ = std::move(message);
}

inline void otlp_http_exporter::give_up(const request& r, otlp_failure kind, std::string message) {
  count(failed_spans_, r.spans);
  failed(kind, std::move(message));
}

inline void otlp_http_exporter::retries_over(const request& r, const std::string& why) {
  count(failed_spans_, r.spans);
  std::lock_guard lock(report_mutex_);
  last_error_ += "; " + why;
}

inline bool otlp_http_exporter::sleep_until(clock::time_point until) {
  std::unique_lock lock(mutex_);
  // Shutdown may bring the stop deadline before `until`: then the wait is pointless.
  return !wake_.wait_until(lock, until, [&] { return stopping_ && stop_deadline_ < until; });
}

}  // namespace v0
}  // namespace trace
