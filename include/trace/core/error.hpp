#pragma once
// The one error type of the library: bad input of any kind is refused with a
// `trace::error` whose code says what went wrong and whose message says where.

#include <stdexcept>
#include <string>
#include <string_view>

namespace trace {
inline namespace v0 {

enum class errc {
  invalid_argument,  // a value handed to the API is out of its domain
  invalid_id,        // a trace or span id that is malformed or all zero
  invalid_span,      // a span that breaks the model's rules (end before start, ...)
  parse_error,       // malformed text: JSON, query syntax, durations
  io_error,          // a system call failed
  corrupt_data,      // stored bytes failed their checksum or structure checks
  invalid_option,    // a configuration value is refused
  remote_error,      // a server answered with an error (HTTP status, database exception)
};

// Stable lower-case name of an error code, used as the message prefix.
constexpr const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_argument: return "invalid argument";
    case errc::invalid_id: return "invalid id";
    case errc::invalid_span: return "invalid span";
    case errc::parse_error: return "parse error";
    case errc::io_error: return "i/o error";
    case errc::corrupt_data: return "corrupt data";
    case errc::invalid_option: return "invalid option";
    case errc::remote_error: return "remote error";
  }
  return "error";
}

// `what()` is "<code's name>: <message>"; `code()` and `message()` give the two parts.
class error : public std::runtime_error {
 public:
  error(errc code, const std::string& message)
      : std::runtime_error(std::string(to_string(code)) + ": " + message), code_(code), message_(message) {}

  errc code() const noexcept { return code_; }
  const char* message() const noexcept { return message_.what(); }

  // The same error, its message placed in `context` (where it happened):
  // error(parse_error, "bad value").with_context("file.json: line 5") says
  // "parse error: file.json: line 5: bad value".
  error with_context(std::string_view context) const {
    return error(code_, std::string(context) + ": " + message());
  }

 private:
  errc code_;
  std::runtime_error message_;  // copies share the text without allocating, as what()'s do
};

}  // namespace v0
}  // namespace trace
