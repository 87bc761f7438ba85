// tracectl import: files into the store, streamed (a file is read a document at a time and
// stored in batches as it is read, so memory holds a batch, not the file), skipping the spans
// the store already holds, with a progress line on a terminal.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>  // istreambuf_iterator
#include <string>
#include <vector>

#include <trace/io/file.hpp>
#include <trace/io/jaeger_json.hpp>
#include <trace/io/otlp_protobuf.hpp>
#include <trace/io/otlp_reader.hpp>
#include <trace/io/parquet/reader.hpp>
#include <trace/io/zipkin.hpp>
#include <trace/store/append_new.hpp>

#include "commands.hpp"

namespace tracectl {
namespace {

// OTLP protobuf by its extension (.pb, .binpb) or its first byte: field 1 of a request,
// length-delimited (0x0a), where JSON starts with '{' or '['.
bool is_protobuf(const std::string& file, std::string_view text) {
  return file.ends_with(".pb") || file.ends_with(".binpb") || (!text.empty() && text.front() == '\x0a');
}

// Parquet by its extension or its magic: files the library wrote (tracectl export --to parquet).
bool is_parquet(const std::string& file, std::string_view text) {
  return file.ends_with(".parquet") || text.starts_with("PAR1");
}

std::string detect_format(std::string_view text) {
  if (text.find("\"resourceSpans\"") != std::string_view::npos) return "otlp";
  if (text.find("\"traceID\"") != std::string_view::npos) return "jaeger";
  if (text.find("\"traceId\"") != std::string_view::npos) return "zipkin";
  return {};
}

// One line, redrawn in place: files, spans, bytes, spans/s and the time left by bytes.
class progress_line {
 public:
  progress_line(bool enabled, std::uint64_t total_bytes) : enabled_(enabled), total_(total_bytes) {}

  void update(std::uint64_t bytes_done, std::uint64_t spans, bool force = false) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - began_).count();
    const double fraction = total_ > 0 ? static_cast<double>(bytes_done) / static_cast<double>(total_) : 1.0;
    constexpr int width = 24;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    const double rate = seconds > 0 ? static_cast<double>(spans) / seconds : 0;
    const double eta = fraction > 0 ? seconds / fraction - seconds : 0;
    std::fprintf(stderr, "\r[%s] %3.0f%%  %llu spans  %s / %s  %.0f spans/s  ETA %.0fs   ", bar.c_str(),
                 fraction * 100, static_cast<unsigned long long>(spans), human_bytes(bytes_done).c_str(),
                 human_bytes(total_).c_str(), rate, eta);
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fputs("\r\033[K", stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  static std::string human_bytes(std::uint64_t n) {
    char text[32];
    if (n >= (1u << 20)) std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(n) / (1 << 20));
    else if (n >= 1024) std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(n) / 1024);
    else std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(n));
    return text;
  }
  bool enabled_;
  std::uint64_t total_;
  clock::time_point began_ = clock::now();
  clock::time_point last_draw_{};
};

// The error text without its "parse error: " prefix, after the file name.
std::string located(const std::filesystem::path& file, const trace::error& e) {
  return e.with_context(file.string()).message();
}

// Enough of a file to tell its format: the marker is in its first span.
constexpr std::size_t format_prefix_bytes = 1 << 20;

// Hands the spans of `in` to `sink` a unit at a time (a resourceSpans entry, a Jaeger
// trace, a Zipkin span), so that the spans read before an error are known. A protobuf
// request is one message: its bytes are read whole, its spans still handed over in batches.
template <class Sink>
void read_stream(const std::string& format, std::ifstream& in, Sink&& sink) {
  constexpr std::size_t unit = 1;
  if (format == "otlp") trace::otlp::read_lines(in, sink, {}, unit);
  else if (format == "jaeger") trace::jaeger::read_lines(in, sink, {}, unit);
  else if (format == "zipkin") trace::zipkin::read_lines(in, sink, {}, unit);
  else if (format == "parquet") {  // the footer is at the end: the file is read whole, then a row group at a time
    const trace::parquet::reader file(std::string(std::istreambuf_iterator<char>(in), {}));
    for (std::size_t g = 0; g < file.row_group_count(); ++g) sink(file.read_row_group(g));
  } else trace::otlp::proto::decode_request(std::string(std::istreambuf_iterator<char>(in), {}), sink);
}

}  // namespace

int run_import(const arguments& args) {
  if (args.positional.empty()) throw usage_error("import needs at least one FILE");
  const std::string format = args.value("format").value_or("auto");
  if (format != "auto" && format != "otlp" && format != "otlp-proto" && format != "jaeger" && format != "zipkin" &&
      format != "parquet")
    throw usage_error("--format " + format + ": expected auto, otlp, otlp-proto, jaeger, zipkin or parquet");
  const bool keep_going = args.flag("keep-going");

  // An input that cannot be read (missing, a directory, a pipe or a device) fails like a bad
  // file (exit 3); without --keep-going, before anything is imported.
  std::uint64_t total_bytes = 0;
  std::vector<std::string> readable;
  std::size_t failed_files = 0;
  for (const std::string& file : args.positional) {
    try {
      total_bytes += trace::input_file_size(file);
      readable.push_back(file);
    } catch (const trace::error& e) {
      std::fprintf(stderr, "tracectl import: %s\n", e.message());
      ++failed_files;
    }
  }
  if (failed_files && !keep_going) {
    std::fputs("tracectl import: nothing was imported (--keep-going imports the readable files)\n", stderr);
    return exit_failure;
  }

  trace::mmap_store store = open_store(args, true);
  progress_line progress(!args.flag("quiet") && is_terminal(stderr), total_bytes);
  std::uint64_t bytes_done = 0, imported = 0, present = 0;
  std::string report;
  auto finish = [&](int status) {
    store.sync();
    progress.finish();
    print(report);
    print("imported " + std::to_string(imported) + " spans from " + std::to_string(args.positional.size()) + " files" +
          (present ? ", " + std::to_string(present) + " already present" : std::string()) +
          (failed_files ? ", " + std::to_string(failed_files) + " with errors" : std::string()) + "\n");
    return status;
  };
  for (const std::string& file : readable) {
    const std::uint64_t file_bytes = std::filesystem::file_size(file);
    std::string file_format = format;
    std::ifstream in(file, std::ios::binary);
    // Spans read and waiting for a full append batch; an append is one log record.
    constexpr std::size_t append_spans = 4096;
    std::vector<trace::span> waiting;
    trace::append_counts counts;
    std::size_t stored = 0;  // spans handed to the store (appended or already present)
    bool storing = false;    // an error now is the store's, not the file's
    auto store_batch = [&](std::vector<trace::span>&& batch) {
      const std::size_t count = batch.size();
      storing = true;
      const trace::append_counts done = trace::append_new(store, std::move(batch));
      storing = false;
      counts.appended += done.appended;
      counts.already_present += done.already_present;
      stored += count;
      const auto at = in.tellg();
      progress.update(bytes_done + (at > 0 ? static_cast<std::uint64_t>(at) : file_bytes), imported + counts.appended);
    };
    // Full batches of `waiting` go to the store; the rest waits for more.
    auto store_full_batches = [&] {
      std::size_t first = 0;
      for (; waiting.size() - first >= append_spans; first += append_spans) {
        const auto from = waiting.begin() + static_cast<std::ptrdiff_t>(first);
        store_batch(std::vector<trace::span>(std::make_move_iterator(from), std::make_move_iterator(from + append_spans)));
      }
      waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(first));
    };
    try {
      if (!in) throw trace::error(trace::errc::io_error, "cannot open it");
      std::string prefix(format_prefix_bytes, '\0');
      prefix.resize(static_cast<std::size_t>(in.read(prefix.data(), static_cast<std::streamsize>(prefix.size())).gcount()));
      if (format == "auto" && is_parquet(file, prefix)) file_format = "parquet";
      else if (format == "auto" && is_protobuf(file, prefix)) file_format = "otlp-proto";  // an empty .pb is an empty request
      else if (format != "otlp-proto" && format != "parquet" && trace::json::reader(prefix).at_end() && prefix.size() == file_bytes)
        file_format = "empty file";  // no spans, in any format
      else if (format == "auto") file_format = detect_format(prefix);
      if (file_format.empty())
        throw trace::error(trace::errc::parse_error,
                           "cannot tell the format (no \"resourceSpans\", \"traceID\" or \"traceId\" in its first MiB); pass --format");
      in.clear();
      in.seekg(0);
      if (file_format != "empty file")
        read_stream(file_format, in, [&](std::vector<trace::span>&& batch) {
          if (waiting.empty()) waiting = std::move(batch);
          else waiting.insert(waiting.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
          store_full_batches();
        });
      if (!waiting.empty()) store_batch(std::move(waiting));
      waiting.clear();
    } catch (const trace::error& e) {
      progress.finish();
      imported += counts.appended;
      present += counts.already_present;
      ++failed_files;
      if (storing) {  // the store refused a batch (its disk budget, the file system): stop
        std::fprintf(stderr,
                     "tracectl import: %s: stopped after its first %zu spans: %s\n"
                     "tracectl import: %zu new spans of %s were kept; importing it again adds only the missing ones\n",
                     file.c_str(), stored, e.message(), counts.appended, file.c_str());
        report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + "), stopped partway\n";
        return finish(exit_failure);
      }
      std::fprintf(stderr, "tracectl import: %s\n", located(file, e).c_str());
      if (!keep_going) {
        if (stored == 0)
          std::fprintf(stderr, "tracectl import: nothing of %s was imported (--keep-going keeps the spans before the error)\n",
                       file.c_str());
        else
          std::fprintf(stderr,
                       "tracectl import: %zu new spans of %s, read before the error, were kept; importing it again once "
                       "fixed adds only the missing ones\n",
                       counts.appended, file.c_str());
        report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + "), stopped at an error\n";
        return finish(exit_failure);
      }
      // --keep-going: the spans read before the error are kept too, then the next file.
      try {
        if (!waiting.empty()) {
          const trace::append_counts rest = trace::append_new(store, std::move(waiting));
          imported += rest.appended;
          present += rest.already_present;
          counts.appended += rest.appended;
        }
      } catch (const trace::error& refused) {
        std::fprintf(stderr, "tracectl import: %s: %s\n", file.c_str(), refused.message());
        report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + "), stopped partway\n";
        return finish(exit_failure);
      }
      report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + "), partly: see the errors above\n";
      bytes_done += file_bytes;
      continue;
    }
    imported += counts.appended;
    present += counts.already_present;
    report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + ")" +
              (counts.already_present ? ", " + std::to_string(counts.already_present) + " already present" : std::string()) +
              "\n";
    bytes_done += file_bytes;
    progress.update(bytes_done, imported, true);
  }
  return finish(failed_files == 0 ? exit_ok : exit_failure);
}

}  // namespace tracectl
