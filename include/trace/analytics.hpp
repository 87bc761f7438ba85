#pragma once
// The analytics layer: exact percentiles and quantile sketches, summaries, group-by with
// time buckets, RED series, anomaly reports, shift detection, alert rules, service graph,
// per-trace profiles and trace comparison.

#include "trace/analytics/alert.hpp"
#include "trace/analytics/anomaly.hpp"
#include "trace/analytics/group_by.hpp"
#include "trace/analytics/mergeable_stats.hpp"
#include "trace/analytics/percentile.hpp"
#include "trace/analytics/red.hpp"
#include "trace/analytics/service_graph.hpp"
#include "trace/analytics/shift_detector.hpp"
#include "trace/analytics/sketch.hpp"
#include "trace/analytics/store_group_by.hpp"
#include "trace/analytics/store_summary.hpp"
#include "trace/analytics/summary.hpp"
#include "trace/analytics/trace_profile.hpp"
