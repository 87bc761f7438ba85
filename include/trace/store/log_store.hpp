#pragma once
// Log records kept beside a store's spans (docs/LOGS.md): in memory, or durably in the mmap
// store's directory as `logs.log`, a record file with the store's crash rules
// (store/record_file.hpp): each appended batch is one checksummed record, on stable storage
// (fdatasync) before `append` returns; a batch torn by a crash is dropped whole, damage
// before a valid record is refused naming the file and offset.
//
//   trace::log_store logs(store_dir / "logs.log");
//   logs.append(trace::otlp::read_logs(text));
//   for (std::size_t i : logs.of_trace(id)) use(logs[i]);
//
// Records keep the order they were appended in; `of_trace` is an index lookup, and
// `body_index` a text index of the bodies (brought up to date when asked). One writer
// per file (an advisory flock); a read-only store sees the batches appended before it opened.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/core/error.hpp"
#include "trace/core/log_record.hpp"
#include "trace/store/mmap/codec.hpp"
#include "trace/store/record_file.hpp"
#include "trace/store/text_postings.hpp"

namespace trace {
inline namespace v0 {

class log_store {
 public:
  enum class mode : std::uint8_t { read_write, read_only };
  // A batch is written as records of at most this many logs, each durable on its own.
  static constexpr std::size_t max_record_logs = 4096;

  // In memory only.
  log_store() = default;
  // Opens (creating when missing, read_write) the file at `path` and reads it back.
  explicit log_store(const std::filesystem::path& path, mode how = mode::read_write)
      : file_(path, file_kind, how == mode::read_write, [this](std::string_view payload) { return replay(payload); }) {}

  // All or nothing for the batch's checks: a record breaking the model's rules refuses the
  // batch with `errc::invalid_argument` naming its position. Returns when it is durable.
  void append(const std::vector<log_record>& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (auto problem = log_problem(batch[i]))
        throw error(errc::invalid_argument, "log record " + std::to_string(i) + " of the batch: " + *problem);
    for (std::size_t first = 0; first < batch.size(); first += max_record_logs) {
      const std::size_t last = std::min(batch.size(), first + max_record_logs);
      if (file_.is_open()) file_.append(encode(batch, first, last));
      for (std::size_t i = first; i < last; ++i) keep(batch[i]);
    }
  }

  std::size_t size() const noexcept { return records_.size(); }
  const log_record& operator[](std::size_t index) const { return records_.at(index); }
  const std::vector<log_record>& records() const noexcept { return records_; }

  // The records of one trace, oldest first.
  std::vector<std::size_t> of_trace(const trace_id& id) const {
    auto found = by_trace_.find(id);
    if (found == by_trace_.end()) return {};
    std::vector<std::size_t> out = found->second;
    std::ranges::stable_sort(out, {}, [this](std::size_t i) { return records_[i].time; });
    return out;
  }
  // The words of the bodies, by groups of rows (text_postings.hpp): what narrows a text
  // search (find_logs) to the groups that may match. Built in memory on first use and brought
  // up to date with the appended records on each call, so appending pays nothing for it;
  // readers calling it together take turns.
  const text_postings& body_index() const {
    if (!text_) text_ = std::make_unique<text_state>();  // a moved-from store, assigned anew
    const std::lock_guard lock(text_->mutex);
    for (auto row = text_->index.rows(); row < records_.size(); ++row) text_->index.add_text(records_[row].body);
    return text_->index;
  }

  // Whether the last open dropped a torn batch, and where it began.
  std::optional<std::uint64_t> dropped_tail() const noexcept { return file_.dropped_tail(); }

 private:
  static constexpr detail::record_file_kind file_kind{"TRACELOG", 1, 17, "log store"};

  static std::string encode(const std::vector<log_record>& batch, std::size_t first, std::size_t last) {
    std::string payload;
    detail::byte_writer w(payload);
    w.varint(last - first);
    for (std::size_t i = first; i < last; ++i) {
      const log_record& r = batch[i];
      w.fixed(r.time);
      w.fixed(r.severity);
      w.fixed(r.trace.high());
      w.fixed(r.trace.low());
      w.fixed(r.span.value());
      w.text(r.severity_text);
      w.text(r.body);
      w.text(r.service);
      detail::encode_attributes(w, r.attributes);
    }
    return payload;
  }

  bool replay(std::string_view payload) {
    detail::byte_reader r(payload, "log store record");
    const std::uint64_t count = r.varint();
    if (count > payload.size()) r.fail("more logs than bytes");
    std::vector<log_record> batch(static_cast<std::size_t>(count));
    for (log_record& out : batch) {
      out.time = r.fixed<std::uint64_t>();
      out.severity = r.fixed<std::uint8_t>();
      const auto high = r.fixed<std::uint64_t>();
      const auto low = r.fixed<std::uint64_t>();
      out.trace = trace_id(high, low);
      out.span = span_id(r.fixed<std::uint64_t>());
      out.severity_text = std::string(r.text());
      out.body = std::string(r.text());
      out.service = std::string(r.text());
      out.attributes = detail::decode_attributes(r);
      if (auto problem = log_problem(out)) r.fail(*problem);
    }
    if (!r.at_end()) r.fail("bytes after the last log");
    for (log_record& record : batch) keep(std::move(record));
    return true;
  }

  void keep(log_record record) {
    if (record.trace.valid()) by_trace_[record.trace].push_back(records_.size());
    records_.push_back(std::move(record));
  }

  std::vector<log_record> records_;  // before file_: replaying the file fills them
  std::unordered_map<trace_id, std::vector<std::size_t>> by_trace_;
  struct text_state {
    std::mutex mutex;
    text_postings index;
  };
  mutable std::unique_ptr<text_state> text_ = std::make_unique<text_state>();  // a pointer: the store stays movable
  detail::record_file file_;
};

}  // namespace v0
}  // namespace trace
