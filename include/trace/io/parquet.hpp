#pragma once
// Parquet files of spans, one row per span (docs/FORMAT.md, "Parquet"): trace::parquet::writer
// and trace::parquet::reader, std only, UNCOMPRESSED or SNAPPY.

#include "trace/io/parquet/reader.hpp"
#include "trace/io/parquet/writer.hpp"
