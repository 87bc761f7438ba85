#pragma once
// The instrumentation layer: tracer provider and tracers, scoped spans, the thread's
// current context, W3C traceparent/tracestate propagation, samplers, span processors and
// exporters, and the TRACE_ macros with their compile-time switch.

#include "trace/instrument/batch_processor.hpp"
#include "trace/instrument/context.hpp"
#include "trace/instrument/exporter.hpp"
#include "trace/instrument/macros.hpp"
#include "trace/instrument/processor.hpp"
#include "trace/instrument/propagation.hpp"
#include "trace/instrument/random_ids.hpp"
#include "trace/instrument/sampler.hpp"
#include "trace/instrument/scoped_span.hpp"
#include "trace/instrument/simple_processor.hpp"
#include "trace/instrument/traceparent.hpp"
#include "trace/instrument/tracer.hpp"
