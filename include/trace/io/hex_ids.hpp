#pragma once
// Ids as Jaeger and Zipkin write them: hex without leading zeros, and 64-bit (16-digit)
// trace ids from older tracers. Both are left-padded to the full width.

#include <optional>
#include <string>
#include <string_view>

#include "trace/core/ids.hpp"

namespace trace {
inline namespace v0 {
namespace detail {

// 1 to 32 hex digits, not all zero.
inline std::optional<trace_id> trace_id_from_short_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > 32) return std::nullopt;
  return trace_id::from_hex(std::string(32 - hex.size(), '0') + std::string(hex));
}

// 1 to 16 hex digits, not all zero.
inline std::optional<span_id> span_id_from_short_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  return span_id::from_hex(std::string(16 - hex.size(), '0') + std::string(hex));
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
