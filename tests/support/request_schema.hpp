#pragma once
// The trace schema of mmap_test_support's make_span spans (trace id, start, operation,
// service, status, kind, http.status_code, ratio, cached, host.name), which the database
// and index-rule tests declare their groups with.

#include <trace/store/trace_schema.hpp>

namespace trace_test {

inline trace::trace_schema request_schema() {
  trace::trace_schema s;
  s.name = "request";
  s.trace_id_tag_name = "trace_id";
  s.timestamp_tag_name = "start";
  s.tags = {{"trace_id", trace::tag_type::bytes, true, trace::tag_source::trace_id},
            {"start", trace::tag_type::timestamp, true, trace::tag_source::start},
            {"operation", trace::tag_type::string_, true, trace::tag_source::name},
            {"http.status_code", trace::tag_type::int64, true, trace::tag_source::attribute},
            {"ratio", trace::tag_type::double_, false, trace::tag_source::attribute},
            {"cached", trace::tag_type::bool_, false, trace::tag_source::attribute},
            {"host.name", trace::tag_type::string_, false, trace::tag_source::resource_attribute},
            {"service", trace::tag_type::string_, true, trace::tag_source::service},
            {"status", trace::tag_type::string_, false, trace::tag_source::status},
            {"kind", trace::tag_type::string_, false, trace::tag_source::kind}};
  return s;
}

}  // namespace trace_test
