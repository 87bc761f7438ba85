#pragma once
// The core layer: ids, time, status and kind, attributes, events and links, resources,
// the span type and the `span_like` concept; the version macros.

#include "trace/core/attribute.hpp"
#include "trace/core/convert.hpp"
#include "trace/core/error.hpp"
#include "trace/core/event.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/resource.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/core/span.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/core/status.hpp"
#include "trace/core/time.hpp"
#include "trace/core/validate.hpp"
#include "trace/version.hpp"
