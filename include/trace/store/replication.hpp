#pragma once
// Replication of the mmap store to replicas on TCP or in local folders, with a required
// number of acknowledgements (docs/REPLICATION.md; the stream in docs/FORMAT.md).

#include "trace/store/replication/batch_codec.hpp"      // IWYU pragma: export
#include "trace/store/replication/frame.hpp"            // IWYU pragma: export
#include "trace/store/replication/log.hpp"              // IWYU pragma: export
#include "trace/store/replication/replica.hpp"          // IWYU pragma: export
#include "trace/store/replication/replicated_store.hpp" // IWYU pragma: export
#include "trace/store/replication/replicator.hpp"       // IWYU pragma: export
#include "trace/store/replication/sink.hpp"             // IWYU pragma: export
#include "trace/store/replication/tcp.hpp"              // IWYU pragma: export
