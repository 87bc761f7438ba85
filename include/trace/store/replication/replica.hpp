#pragma once
// The receiving end: an mmap store that applies replicated batches in sequence order,
// exactly once. The last applied sequence is kept beside the spans, in the file `REPLICA`
// of the store's folder (two checksummed slots written alternately, as the store's commit
// watermark is), together with the store's span count after that batch. A crash between
// appending a batch and recording it is then told apart at the next open: the store holds
// more spans than recorded, and the resent batch, whose span count matches, is recorded
// without being appended again. So resending after a reconnect or a crash is always safe.
//
//   trace::replication::replica_store replica({.path = "replica"});
//   replica.apply(sequence, payload);   // false: already applied, skipped

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "trace/core/error.hpp"
#include "trace/store/mmap.hpp"
#include "trace/store/replication/batch_codec.hpp"
#include "trace/store/replication/frame.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

inline constexpr std::string_view replica_state_file = "REPLICA";

// Where a replica stands: its last applied batch and the store's span count after it.
struct replica_position {
  std::uint64_t sequence = 0;
  std::uint64_t spans = 0;
};

namespace detail {
inline constexpr std::size_t replica_slot_size = 24;  // sequence, spans, generation, masked crc

// Reads the newer readable slot of a `REPLICA` file; none (a new replica) is position 0.
inline replica_position read_replica_state(const std::filesystem::path& file, std::uint32_t* generation = nullptr) {
  replica_position best;
  if (generation) *generation = 0;
  if (!std::filesystem::exists(file)) return best;
  trace::detail::file_handle f(file, O_RDONLY);
  char bytes[2 * replica_slot_size] = {};
  const ssize_t got = ::pread(f.fd(), bytes, sizeof bytes, 0);
  if (got < 0) trace::detail::throw_system_error("pread", file);
  bool found = false, blank = false;
  std::uint32_t newest = 0;
  for (int slot = 0; slot < 2; ++slot) {
    const char* s = bytes + slot * replica_slot_size;
    if (static_cast<std::size_t>(got) < (slot + 1) * replica_slot_size ||
        std::all_of(s, s + replica_slot_size, [](char c) { return c == 0; })) {
      blank = true;  // never written: what the other slot replaced, when it is torn, is "nothing yet"
      continue;
    }
    const auto crc = static_cast<std::uint32_t>(load_le(s + 20, 4));
    if (crc != mask_crc(crc32c(s, 20))) continue;  // torn by a crash: the other slot is one write older
    const auto gen = static_cast<std::uint32_t>(load_le(s + 16, 4));
    if (found && static_cast<std::uint32_t>(gen - newest) - 1 >= 0x7fffffffu) continue;  // not newer (serial numbers)
    found = true;
    newest = gen;
    best = {load_le(s, 8), load_le(s + 8, 8)};
  }
  if (!found && !blank)
    throw error(errc::corrupt_data, file.string() + ": neither slot of the replica's position passes its checksum");
  if (generation) *generation = newest;
  return best;
}
}  // namespace detail

class replica_store {
 public:
  // Opens (creating) the replica's store; `options.sync` is forced to every batch, since an
  // acknowledgement promises durability.
  explicit replica_store(mmap_options options) : store_(durable(std::move(options))) {
    state_path_ = store_.options().path / std::string(replica_state_file);
    position_ = detail::read_replica_state(state_path_, &generation_);
    state_ = trace::detail::file_handle(state_path_, O_RDWR | O_CREAT);
    trace::detail::sync_directory(store_.options().path);
    const std::uint64_t spans = store_.size();
    // More spans than recorded: the batch after the recorded one was appended, then the
    // process died before recording it (fewer is retention, which the count cannot follow).
    unrecorded_ = spans > position_.spans ? spans - position_.spans : 0;
    if (spans < position_.spans) position_.spans = spans;
  }

  std::uint64_t applied() const noexcept { return position_.sequence; }
  replica_position position() const noexcept { return position_; }
  // Batches that arrived again after being applied, and were skipped.
  std::uint64_t duplicates() const noexcept { return duplicates_; }

  // Applies batch `sequence` held in `payload` (batch_codec.hpp). One at or below
  // `applied()` is skipped (returns false); the next one is appended durably and recorded
  // (returns true); a later one would leave a gap and is refused (`errc::invalid_argument`).
  bool apply(std::uint64_t sequence, std::string_view payload) {
    if (sequence <= position_.sequence) {
      ++duplicates_;
      return false;
    }
    if (sequence != position_.sequence + 1)
      throw error(errc::invalid_argument, "replica " + store_.options().path.string() + " has applied batch " +
                                              std::to_string(position_.sequence) + " and cannot apply batch " +
                                              std::to_string(sequence) + " before the ones between");
    const std::vector<span> batch = decode_batch(payload, "batch " + std::to_string(sequence));
    if (unrecorded_) {
      if (unrecorded_ != batch.size())
        throw error(errc::corrupt_data, "replica " + store_.options().path.string() + " holds " + std::to_string(unrecorded_) +
                                            " spans after batch " + std::to_string(position_.sequence) + " but batch " +
                                            std::to_string(sequence) + " has " + std::to_string(batch.size()));
      unrecorded_ = 0;  // appended before the crash: record it only
    } else {
      store_.append(batch);
    }
    record({sequence, store_.size()});
    return true;
  }

  mmap_store& store() noexcept { return store_; }
  const mmap_store& store() const noexcept { return store_; }

 private:
  static mmap_options durable(mmap_options options) {
    options.mode = open_mode::read_write;
    options.sync = sync_policy::every_batch;
    return options;
  }
  void record(replica_position next) {
    char slot[detail::replica_slot_size] = {};
    detail::store_le(slot, next.sequence, 8);
    detail::store_le(slot + 8, next.spans, 8);
    detail::store_le(slot + 16, ++generation_, 4);
    detail::store_le(slot + 20, mask_crc(crc32c(slot, 20)), 4);
    // The slot not holding the current position: a torn write leaves that one readable.
    state_.write_all(slot, sizeof slot, (generation_ % 2) * detail::replica_slot_size);
    if (::fdatasync(state_.fd()) != 0) trace::detail::throw_system_error("fdatasync", state_path_);
    position_ = next;
  }

  mmap_store store_;
  std::filesystem::path state_path_;
  trace::detail::file_handle state_;
  replica_position position_;
  std::uint32_t generation_ = 0;
  std::uint64_t unrecorded_ = 0;
  std::uint64_t duplicates_ = 0;
};

// Writes a `REPLICA` file saying that the store in `folder` holds batches 1..`position.sequence`
// (a snapshot of a primary, so that a replica seeded from it resumes after them).
inline void write_replica_state(const std::filesystem::path& folder, replica_position position) {
  char slot[detail::replica_slot_size] = {};
  detail::store_le(slot, position.sequence, 8);
  detail::store_le(slot + 8, position.spans, 8);
  detail::store_le(slot + 16, 1, 4);
  detail::store_le(slot + 20, mask_crc(crc32c(slot, 20)), 4);
  const std::filesystem::path path = folder / std::string(replica_state_file);
  trace::detail::file_handle f(path, O_RDWR | O_CREAT | O_TRUNC);
  f.write_all(slot, sizeof slot, detail::replica_slot_size);
  f.sync();
  trace::detail::sync_directory(folder);
}

}  // namespace replication
}  // namespace v0
}  // namespace trace
