#pragma once
// The store layer: the storage concepts, the in-memory store and the memory-mapped store,
// and idempotent appends over any of them.

#include "trace/store/append_new.hpp"
#include "trace/store/column_block.hpp"
#include "trace/store/columnar_store.hpp"
#include "trace/store/concepts.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"
#include "trace/store/stored_span.hpp"
