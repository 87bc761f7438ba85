#pragma once
// Where a primary ships its committed batches: a replication sink reaches one replica,
// learns how far it is, and hands it batches one at a time, each returning once the replica
// applied it durably. The replicator (replicator.hpp) drives one sink per replica from a
// thread of its own, so a sink need not be thread-safe. Two sinks come with the library: a
// replica on TCP (tcp.hpp) and a replica in a local folder (`directory_sink`, below).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "trace/core/error.hpp"
#include "trace/store/replication/frame.hpp"
#include "trace/store/replication/replica.hpp"

namespace trace {
inline namespace v0 {
namespace replication {

class replication_sink {
 public:
  virtual ~replication_sink() = default;
  // Names the replica in messages and status.
  virtual std::string name() const = 0;
  // Reaches the replica (the primary's last batch is `primary_last`) and returns the last
  // batch the replica has applied.
  virtual std::uint64_t connect(std::uint64_t primary_last) = 0;
  // Hands over the batch frame `f`; returns once the replica applied it durably.
  virtual void deliver(const frame& f) = 0;
  // Tells the replica that it cannot catch up from the log: the primary's oldest batch is
  // `oldest`, so the replica must be seeded again from a snapshot.
  virtual void reseed(std::uint64_t oldest, const std::string& why) = 0;
  virtual void disconnect() noexcept = 0;
};

// A replica in a folder of this machine (another disk, a mounted volume): the batches are
// applied by the primary's own sender thread, through a `replica_store`.
class directory_sink final : public replication_sink {
 public:
  explicit directory_sink(mmap_options replica) : options_(std::move(replica)) {}
  std::string name() const override { return "dir:" + options_.path.string(); }
  std::uint64_t connect(std::uint64_t) override {
    if (!replica_) replica_.emplace(options_);
    return replica_->applied();
  }
  void deliver(const frame& f) override { replica_->apply(f.sequence, f.payload); }
  void reseed(std::uint64_t oldest, const std::string& why) override {
    disconnect();
    throw error(errc::invalid_argument, "replica " + options_.path.string() + " must be seeded again from a snapshot (" + why +
                                            "; the primary's oldest batch is " + std::to_string(oldest) + ")");
  }
  void disconnect() noexcept override { replica_.reset(); }

 private:
  mmap_options options_;
  std::optional<replica_store> replica_;
};

}  // namespace replication
}  // namespace v0
}  // namespace trace
