#pragma once
// Everything: `#include <trace/trace.hpp>`.

#include "trace/analytics.hpp"
#include "trace/core.hpp"
#include "trace/query.hpp"
#include "trace/store.hpp"
#include "trace/tree.hpp"
