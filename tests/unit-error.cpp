// trace::error keeps its code and its message apart, and what() reads "<code>: <message>".
#include <catch2/catch.hpp>

#include <string>

#include "trace/core/error.hpp"

TEST_CASE("an error gives its code, its message, and both in what()") {
  const trace::error e(trace::errc::parse_error, "line 3: expected ':'");
  CHECK(e.code() == trace::errc::parse_error);
  CHECK(std::string(e.message()) == "line 3: expected ':'");
  CHECK(std::string(e.what()) == "parse error: line 3: expected ':'");
}

TEST_CASE("with_context puts the message in its place and keeps the code") {
  const trace::error e(trace::errc::corrupt_data, "bad checksum");
  const trace::error located = e.with_context("spans.seg: block 2");
  CHECK(located.code() == trace::errc::corrupt_data);
  CHECK(std::string(located.message()) == "spans.seg: block 2: bad checksum");
  CHECK(std::string(located.what()) == "corrupt data: spans.seg: block 2: bad checksum");
  CHECK(std::string(e.message()) == "bad checksum");  // the original is unchanged
  const trace::error twice = located.with_context("store");
  CHECK(std::string(twice.what()) == "corrupt data: store: spans.seg: block 2: bad checksum");
}

TEST_CASE("a copied error keeps code and message") {
  trace::error copy(trace::errc::io_error, "x");
  {
    const trace::error original(trace::errc::remote_error, "server said no");
    copy = original;
  }
  CHECK(copy.code() == trace::errc::remote_error);
  CHECK(std::string(copy.message()) == "server said no");
  CHECK(std::string(copy.what()) == "remote error: server said no");
}
