#pragma once
// The tree layer: traces as trees, traversal, self time, critical path, text rendering.

#include "trace/tree/render.hpp"
#include "trace/tree/trace_tree.hpp"
