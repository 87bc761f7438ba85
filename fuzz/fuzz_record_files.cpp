// The record files beside a store (store/record_file.hpp): the comment log (comments.log)
// and the log-record store (logs.log). Their records are checksummed, so a byte flipped on
// disk is caught by the CRC; what this target feeds them is what a CRC cannot catch:
// well-framed records (valid checksums) whose payloads are any bytes, as a buggy or hostile
// writer would leave them, then optionally a torn tail and a flipped byte. Opening such a
// file must load it or refuse it with trace::error, never fault; a file that opens read-only
// must open for writing too (which cuts a torn tail), and then read back the same.
//
// Input: byte 0 picks the file (bit 0: logs.log, else comments.log), bit 1 cuts the tail by
// byte 1's count, bit 2 flips the byte at bytes 2-3 (little-endian, modulo the size) with
// byte 4; then records, each a length byte and that many payload bytes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "trace/io/file.hpp"
#include "trace/store/comment_log.hpp"
#include "trace/store/log_store.hpp"
#include "trace/store/record_file.hpp"

namespace {

namespace fs = std::filesystem;

// The files' kinds as the classes write them; checked against a file each class writes at
// start-up (`check_kinds`), so a change there cannot leave this target testing only refusals.
constexpr trace::detail::record_file_kind comment_kind{"TRACECMT", 1, 16, "comment log"};
constexpr trace::detail::record_file_kind log_kind{"TRACELOG", 1, 17, "log store"};
constexpr std::size_t record_type_offset = trace::detail::record_file::header_size + 8;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("fuzz-record-files-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

void check_kind(const fs::path& written, const trace::detail::record_file_kind& kind) {
  const std::string bytes = trace::read_file_text(written);
  if (bytes.size() <= record_type_offset || std::string_view(bytes).substr(0, 8) != kind.magic ||
      static_cast<std::uint8_t>(bytes[record_type_offset]) != kind.record_type)
    std::abort();  // the classes' file kinds changed: update the constants above
}

void check_kinds() {
  static const bool checked = [] {
    const fs::path comments = work_dir() / "kind.comments", logs = work_dir() / "kind.logs";
    fs::remove(comments);
    fs::remove(logs);
    trace::comment_log(comments).add(trace::trace_id(1, 2), "fuzz", "a comment");
    trace::log_record record;
    record.time = 1;
    record.body = "a log";
    trace::log_store(logs).append({record});
    check_kind(comments, comment_kind);
    check_kind(logs, log_kind);
    return true;
  }();
  (void)checked;
}

// Opens the file read-only, then for writing, then read-only again: what the second read
// sees must be what the writer saw. False when the first open refused the file.
template <class Store, class Same>
bool reopen_agrees(const fs::path& path, Same&& same) {
  try {
    Store first(path, Store::mode::read_only);
  } catch (const trace::error&) {
    return false;
  }
  try {
    Store writer(path, Store::mode::read_write);
    Store again(path, Store::mode::read_only);
    if (!same(writer, again) || again.dropped_tail()) std::abort();  // the writer cut the torn tail
  } catch (const trace::error&) {
    std::abort();  // read, yet refused once opened for writing
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_kinds();
  if (size < 5) return 0;
  const std::uint8_t flags = data[0], cut = data[1], flip_mask = data[4];
  const std::size_t flip_at = data[2] | std::size_t{data[3]} << 8;
  const bool logs = flags & 1;
  const fs::path path = work_dir() / (logs ? "logs.log" : "comments.log");
  fs::remove(path);
  {
    trace::detail::record_file file(path, logs ? log_kind : comment_kind, true, [](std::string_view) { return true; });
    for (std::size_t at = 5; at < size;) {
      const std::size_t length = std::min<std::size_t>(data[at], size - at - 1);
      file.append(std::string_view(reinterpret_cast<const char*>(data) + at + 1, length));
      at += 1 + length;
    }
  }
  if (flags & 6) {
    std::string bytes = trace::read_file_text(path);
    if ((flags & 2) && bytes.size() > trace::detail::record_file::header_size)
      bytes.resize(bytes.size() - cut % (bytes.size() - trace::detail::record_file::header_size));
    if ((flags & 4) && !bytes.empty()) bytes[flip_at % bytes.size()] ^= static_cast<char>(flip_mask | 1);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  if (logs)
    reopen_agrees<trace::log_store>(path, [](const trace::log_store& a, const trace::log_store& b) { return a.records() == b.records(); });
  else
    reopen_agrees<trace::comment_log>(path, [](const trace::comment_log& a, const trace::comment_log& b) { return a.size() == b.size(); });
  return 0;
}
