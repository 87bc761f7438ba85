#pragma once
// The analytics layer: exact percentiles and summary reports.

#include "trace/analytics/percentile.hpp"
#include "trace/analytics/summary.hpp"
#include "trace/analytics/store_summary.hpp"
