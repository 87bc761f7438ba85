#pragma once
// A span a reader left out while keeping the rest of its input: the readers' lenient forms
// (otlp::read and otlp::proto::decode_request with a `refused` callback) hand each one over,
// so that a receiver can store the valid spans and answer OTLP's partial success.

#include <cstddef>
#include <string>

namespace trace {
inline namespace v0 {

struct refused_span {
  std::size_t position = 0;  // among the input's spans, from 0, the refused ones counted
  std::string reason;        // the rule broken and where: a field path and byte offset, or a line and column
};

}  // namespace v0
}  // namespace trace
