#pragma once
// The store layer: the storage concept and the in-memory store.

#include "trace/store/concepts.hpp"
#include "trace/store/memory.hpp"
