#pragma once
// Base64 (RFC 4648, standard alphabet, padded): how OTLP JSON carries bytes. Used for
// AnyValue bytes read from protobuf (the model keeps bytes as their base64 text, as the JSON
// reader does) and for ids written by Go's protojson.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trace {
inline namespace v0 {
namespace detail {

inline void append_base64(std::string& out, std::string_view bytes) {
  constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto b = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
             (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    char quad[4] = {alphabet[b >> 18], alphabet[(b >> 12) & 63], alphabet[(b >> 6) & 63], alphabet[b & 63]};
    out.append(quad, 4);
  }
  if (std::size_t rest = bytes.size() - i) {
    std::uint32_t b = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) b |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    char quad[4] = {alphabet[b >> 18], alphabet[(b >> 12) & 63], rest == 2 ? alphabet[(b >> 6) & 63] : '=', '='};
    out.append(quad, 4);
  }
}

inline std::string to_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  append_base64(out, bytes);
  return out;
}

constexpr int base64_digit_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // '-' and '_': the URL-safe alphabet some writers use
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Decodes padded or unpadded base64; nullopt on any character outside the alphabets, on
// misplaced padding or on a length no encoder produces.
inline std::optional<std::string> from_base64(std::string_view text) {
  std::size_t padding = 0;
  while (padding < 2 && !text.empty() && text.back() == '=') text.remove_suffix(1), ++padding;
  if ((padding && (text.size() + padding) % 4 != 0) || text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = base64_digit_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>(bits >> 8);
      out += static_cast<char>(bits);
      bits = 0;
      count = 0;
    }
  }
  if (count == 3) {
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>(bits >> 2);
  } else if (count == 2) {
    out += static_cast<char>(bits >> 4);
  }
  return out;
}

}  // namespace detail
}  // namespace v0
}  // namespace trace
