#pragma once
// The query layer: span filters, span lists with order and pagination, trace search,
// Jaeger search requests, TraceQL-like query text.

#include "trace/query/filter.hpp"
#include "trace/query/jaeger.hpp"
#include "trace/query/row_filter.hpp"
#include "trace/query/span_query.hpp"
#include "trace/query/trace_search.hpp"
#include "trace/query/traceql.hpp"
