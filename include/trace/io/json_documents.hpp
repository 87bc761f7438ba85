#pragma once
// The JSON documents of a stream, one at a time: JSON Lines (one document per line) and
// documents written over several lines (pretty-printed), or a mix, without holding more than
// one document in memory.
//
//   trace::json::for_each_document(in, [](std::string_view text, std::size_t first_line) {...});
//
// The stream is read line by line; a document ends at the end of the line where its
// brackets close. Only brackets outside strings are counted, to find where a document ends:
// checking the text is the parser's job, so a malformed document is handed over as it is
// (an unclosed one with the rest of the stream) for the parser to name what is wrong.

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {
namespace json {

// Calls f(text, line) for each document of `in`, `line` being the number of its first line
// (the stream's first line is `first_line`). Blank lines between documents are skipped.
// Throws `error(errc::io_error)` when reading the stream fails.
template <class F>
void for_each_document(std::istream& in, F&& f, std::size_t first_line = 1);

// ---------------------------------------------------------------------------------------

template <class F>
void for_each_document(std::istream& in, F&& f, std::size_t first_line) {
  std::string text, line;
  std::size_t text_line = first_line;
  long depth = 0;  // open brackets of the document so far
  for (std::size_t number = first_line; std::getline(in, line); ++number) {
    bool content = false, in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') continue;
      content = true;
      if (c == '"') in_string = true;
      else if (c == '{' || c == '[') ++depth;
      else if (c == '}' || c == ']') --depth;
    }
    if (text.empty()) {
      if (!content) continue;
      text_line = number;
    }
    text += line;
    text += '\n';
    // A string never spans lines (JSON has no raw newline in one), so only brackets decide.
    if (depth <= 0) {
      f(std::string_view(text), text_line);
      text.clear();
      depth = 0;
    }
  }
  if (in.bad()) throw error(errc::io_error, "reading a JSON stream failed at line " + std::to_string(text_line));
  if (!text.empty()) f(std::string_view(text), text_line);
}

}  // namespace json
}  // namespace v0
}  // namespace trace
