#pragma once
// Everything but the ClickHouse store (which needs a server; include
// <trace/store/clickhouse.hpp> for it): `#include <trace/trace.hpp>`.

#include "trace/analytics.hpp"
#include "trace/core.hpp"
#include "trace/instrument.hpp"
#include "trace/io.hpp"
#include "trace/query.hpp"
#include "trace/store.hpp"
#include "trace/tree.hpp"
