#pragma once
// The tokenizer of full-text search (docs/TEXT_SEARCH.md): the one definition of "a word",
// shared by the text index and by the scan that answers without one, so both agree.
//
//   trace::for_each_text_token("Card DECLINED: order 4711", [](std::string_view t) { ... });
//   // "card", "declined", "order", "4711"
//
// Rules: a token is a maximal run of letters and digits. ASCII letters and the Latin-1
// letters (U+00C0..U+00FF but × and ÷) are lower-cased (À -> à); other code points from
// U+0100 up are kept as they are, as letters (Greek, Cyrillic, CJK words are not split), but
// for the general punctuation (U+2000..U+206F) and CJK punctuation (U+3000..U+303F) blocks,
// which separate. Everything else (ASCII punctuation, spaces, Latin-1 symbols, bytes that are
// not UTF-8) separates tokens. Ids and numbers are tokens like any other word ("4711",
// "9f86d081"); "1.5" is the two tokens "1" and "5".

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trace {
inline namespace v0 {

namespace detail {
// The code point of the UTF-8 sequence at `text[at]` and its length; length 0 when the
// bytes there are not well-formed UTF-8 (overlong forms and surrogates included).
inline std::size_t decode_utf8(std::string_view text, std::size_t at, std::uint32_t& cp) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 0;
  if (lead >= 0xf8) length = 0;
  if (length == 0 || at + length > text.size()) return 0;
  cp = lead & (0x7fu >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(at + i) & 0x3f);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return length;
}

inline bool separating_code_point(std::uint32_t cp) noexcept {
  return cp < 0xc0 || cp == 0xd7 || cp == 0xf7 || (cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3000 && cp <= 0x303f);
}
}  // namespace detail

// Calls `f(token)` for each token of `text`, in order; a token's bytes live in a buffer
// reused for the next token.
template <class F>
void for_each_text_token(std::string_view text, F&& f) {
  std::string token;
  auto flush = [&] {
    if (!token.empty()) f(std::string_view(token));
    token.clear();
  };
  for (std::size_t at = 0; at < text.size();) {
    const auto c = static_cast<unsigned char>(text[at]);
    if (c < 0x80) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) token += static_cast<char>(c);
      else if (c >= 'A' && c <= 'Z') token += static_cast<char>(c + ('a' - 'A'));
      else flush();
      ++at;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t length = detail::decode_utf8(text, at, cp);
    if (length == 0 || detail::separating_code_point(cp)) {
      flush();
      at += length ? length : 1;
      continue;
    }
    if (cp >= 0xc0 && cp <= 0xde) {  // Latin-1 capitals: the small letter is 0x20 above
      cp += 0x20;
      token += static_cast<char>(0xc0 | (cp >> 6));
      token += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      token.append(text.substr(at, length));
    }
    at += length;
  }
  flush();
}

}  // namespace v0
}  // namespace trace
