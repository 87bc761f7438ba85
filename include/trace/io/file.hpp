#pragma once
// Whole-file reads and writes for the format readers and writers, with errors that name
// the file.

#include <cerrno>
#include <cstring>  // std::strerror
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

// The file's bytes; throws `error(errc::io_error)` naming the path and the reason.
inline std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(errc::io_error, "cannot open " + path.string() + ": " + std::strerror(errno));
  std::string text;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.seekg(0);
    in.read(text.data(), size);
  }
  if (!in) throw error(errc::io_error, "cannot read " + path.string());
  return text;
}

// Replaces the file's content with `text`.
inline void write_file_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw error(errc::io_error, "cannot create " + path.string() + ": " + std::strerror(errno));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  if (!out) throw error(errc::io_error, "cannot write " + path.string());
}

}  // namespace v0
}  // namespace trace
