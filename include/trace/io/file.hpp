#pragma once
// Whole-file reads and writes for the format readers and writers, with errors that name
// the file.

#include <cerrno>
#include <cstdint>
#include <cstring>  // std::strerror
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

// The size of a file about to be read whole. Throws `error(errc::io_error)` naming the path
// when it is missing or is not a regular file: a directory has no text, and a pipe or a
// device (a FIFO, /dev/zero) may never end, or only after filling the memory.
inline std::uintmax_t input_file_size(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec) throw error(errc::io_error, "cannot open " + path.string() + ": " + ec.message());
  if (fs::is_directory(status)) throw error(errc::io_error, "cannot open " + path.string() + ": it is a directory");
  if (!fs::is_regular_file(status))
    throw error(errc::io_error, "cannot open " + path.string() + ": not a regular file (pipes and devices are refused)");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw error(errc::io_error, "cannot read " + path.string() + ": " + ec.message());
  return size;
}

// The file's bytes; throws `error(errc::io_error)` naming the path and the reason (see
// `input_file_size` for what is refused).
inline std::string read_file_text(const std::filesystem::path& path) {
  input_file_size(path);
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
