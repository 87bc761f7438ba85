#pragma once
// The store layer: the storage concept, the in-memory store and the memory-mapped store.

#include "trace/store/concepts.hpp"
#include "trace/store/memory.hpp"
#include "trace/store/mmap.hpp"
