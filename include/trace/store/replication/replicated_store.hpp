#pragma once
// An mmap store whose committed batches are shipped to replicas (docs/REPLICATION.md).
// `append` commits the batch to the store (durable per its sync policy), logs it in the
// replication log, syncs that, and returns once `required_acks` replicas applied it. The
// server's group commit uses the parts: `stage` each batch, then `commit` once for all.
//
//   trace::replication::replication_options r;
//   r.sinks.push_back(std::make_shared<trace::replication::tcp_sink>(trace::net::tcp_address::parse("10.0.0.2:4555")));
//   r.required_acks = 1;
//   trace::replication::replicated_store store({.path = "spans", .sync = trace::sync_policy::every_batch}, r);
//   store.append(batch);   // on this disk and applied by one replica when it returns
//
// A crash between the store's append and the log's leaves that batch (never acknowledged)
// in the primary's store only; replicas never receive a batch the log did not sync first.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ranges>
#include <string>
#include <utility>

#include "trace/store/mmap.hpp"
#include "trace/store/replication/batch_codec.hpp"
#include "trace/store/replication/replica.hpp"
#include "trace/store/replication/replicator.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

class replicated_store {
 public:
  replicated_store(mmap_options store, replication_options replication)
      : store_(std::move(store)), replicator_(with_log_path(std::move(replication), store_.options().path)) {}

  // Commits, logs and waits as described above; returns the batch's sequence (0 for an
  // empty batch, which is not shipped).
  template <std::ranges::forward_range R>
  std::uint64_t append(const R& batch) {
    const std::uint64_t sequence = stage(batch);
    if (sequence == 0) return 0;
    commit(sequence);
    return sequence;
  }
  // Appends to the store and the log without syncing either or waiting for replicas.
  template <std::ranges::forward_range R>
  std::uint64_t stage(const R& batch) {
    if (std::ranges::empty(batch)) return 0;
    store_.append(batch);  // validates: a refused batch is neither stored nor shipped
    payload_.clear();
    encode_batch(payload_, batch);
    return replicator_.append(payload_);
  }
  // Syncs the store and the log, ships, and waits for `required_acks` replicas to apply
  // every batch up to `sequence`.
  void commit(std::uint64_t sequence) {
    if (store_.options().sync != sync_policy::none) store_.sync();
    replicator_.commit();
    replicator_.wait(sequence);
  }

  // A snapshot of the store (mmap_store::snapshot) that a replica can be seeded from: it
  // holds a `REPLICA` file saying which batches it contains, so a replica started on a copy
  // of it resumes after them.
  std::filesystem::path snapshot() {
    replicator_.commit();
    const std::filesystem::path folder = store_.snapshot();
    write_replica_state(folder, {replicator_.log().last(), store_.size()});
    return folder;
  }

  mmap_store& store() noexcept { return store_; }
  const mmap_store& store() const noexcept { return store_; }
  replicator& replication() noexcept { return replicator_; }
  const replicator& replication() const noexcept { return replicator_; }

 private:
  static replication_options with_log_path(replication_options r, const std::filesystem::path& store) {
    if (r.log.path.empty()) r.log.path = store / "replication";
    return r;
  }

  mmap_store store_;
  replicator replicator_;
  std::string payload_;
};

}  // namespace replication
}  // namespace v0
}  // namespace trace
