// tracectl import: files into the store, each file all or nothing (unless --keep-going),
// skipping the spans the store already holds, with a progress line on a terminal.

#include <chrono>
#include <functional>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <trace/core/validate.hpp>
#include <trace/io/file.hpp>
#include <trace/io/jaeger_json.hpp>
#include <trace/io/otlp_protobuf.hpp>
#include <trace/io/otlp_reader.hpp>
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

// Reads into `out` batch by batch, so what came before an error is still there.
void read_spans(const std::string& format, const std::string& text, std::vector<trace::span>& out,
                const std::function<void(std::size_t)>& on_batch) {
  auto take = [&](std::vector<trace::span>&& batch) {
    out.insert(out.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    on_batch(out.size());
  };
  if (format == "otlp") return (void)trace::otlp::read(text, take);
  if (format == "otlp-proto") return (void)trace::otlp::proto::decode_request(text, take);
  out = format == "jaeger" ? trace::jaeger::read(text) : trace::zipkin::read(text);
  on_batch(out.size());
}

}  // namespace

int run_import(const arguments& args) {
  if (args.positional.empty()) throw usage_error("import needs at least one FILE");
  const std::string format = args.value("format").value_or("auto");
  if (format != "auto" && format != "otlp" && format != "otlp-proto" && format != "jaeger" && format != "zipkin")
    throw usage_error("--format " + format + ": expected auto, otlp, otlp-proto, jaeger or zipkin");
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
    std::vector<trace::span> spans;
    std::vector<std::string> problems;
    std::string file_format = format;
    try {
      const std::string text = trace::read_file_text(file);
      if (format == "auto" && is_protobuf(file, text)) file_format = "otlp-proto";  // an empty .pb is an empty request
      else if (format != "otlp-proto" && trace::json::reader(text).at_end()) file_format = "empty file";  // no spans, in any format
      else if (format == "auto") file_format = detect_format(text);
      if (file_format.empty())
        throw trace::error(trace::errc::parse_error,
                           "cannot tell the format (no \"resourceSpans\", \"traceID\" or \"traceId\"); pass --format");
      if (file_format != "empty file")
        read_spans(file_format, text, spans, [&](std::size_t count) { progress.update(bytes_done, imported + count); });
    } catch (const trace::error& e) {
      problems.push_back(located(file, e));
    }
    // Every span is checked before the first append, so a refused file leaves nothing behind.
    std::vector<trace::span> valid;
    valid.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (auto problem = trace::span_problem(spans[i]))
        problems.push_back(file + ": span " + std::to_string(i + 1) + ": " + *problem);
      else
        valid.push_back(std::move(spans[i]));
    }
    if (!problems.empty()) {
      progress.finish();
      for (const std::string& p : problems) std::fprintf(stderr, "tracectl import: %s\n", p.c_str());
      ++failed_files;
      if (!keep_going) {
        std::fprintf(stderr, "tracectl import: nothing of %s was imported (--keep-going keeps its readable spans)\n",
                     file.c_str());
        return finish(exit_failure);
      }
    }
    // Spans already in the store (an earlier, interrupted import of the same file) are
    // skipped, so importing a file again completes it without duplicates.
    constexpr std::size_t batch_size = 4096;
    trace::append_counts counts;
    for (std::size_t first = 0; first < valid.size(); first += batch_size) {
      const std::size_t last = std::min(valid.size(), first + batch_size);
      try {
        const trace::append_counts batch = trace::append_new(
            store, std::vector<trace::span>(std::make_move_iterator(valid.begin() + static_cast<std::ptrdiff_t>(first)),
                                            std::make_move_iterator(valid.begin() + static_cast<std::ptrdiff_t>(last))));
        counts.appended += batch.appended;
        counts.already_present += batch.already_present;
      } catch (const trace::error& e) {
        progress.finish();
        imported += counts.appended;
        present += counts.already_present;
        ++failed_files;
        std::fprintf(stderr,
                     "tracectl import: %s: stopped after %zu of its %zu spans: %s\n"
                     "tracectl import: %zu new spans of %s were kept; importing it again adds only the missing ones\n",
                     file.c_str(), first, valid.size(), e.message(), counts.appended, file.c_str());
        report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + "), stopped partway\n";
        return finish(exit_failure);
      }
      progress.update(bytes_done + file_bytes * last / valid.size(), imported + counts.appended);
    }
    imported += counts.appended;
    present += counts.already_present;
    report += file + ": " + std::to_string(counts.appended) + " spans (" + file_format + ")" +
              (counts.already_present ? ", " + std::to_string(counts.already_present) + " already present" : std::string()) +
              (problems.empty() ? "" : ", partly: see the errors above") + "\n";
    bytes_done += file_bytes;
    progress.update(bytes_done, imported, true);
  }
  return finish(failed_files == 0 ? exit_ok : exit_failure);
}

}  // namespace tracectl
