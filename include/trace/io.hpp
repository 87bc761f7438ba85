#pragma once
// The io layer: the JSON reader and writer, and the trace formats built on them.

#include "trace/io/base64.hpp"
#include "trace/io/file.hpp"
#include "trace/io/hex_ids.hpp"
#include "trace/io/jaeger_json.hpp"
#include "trace/io/json_fields.hpp"
#include "trace/io/json_reader.hpp"
#include "trace/io/json_value.hpp"
#include "trace/io/json_writer.hpp"
#include "trace/io/otlp_reader.hpp"
#include "trace/io/otlp_protobuf.hpp"
#include "trace/io/otlp_writer.hpp"
#include "trace/core/rfc3339.hpp"
#include "trace/io/zipkin.hpp"
#include "trace/io/chrome_trace.hpp"
#include "trace/io/csv.hpp"
#include "trace/io/json_attribute.hpp"
