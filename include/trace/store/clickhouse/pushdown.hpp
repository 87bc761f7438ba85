#pragma once
// Query filters as ClickHouse WHERE conditions over the columns of schema.hpp, every user
// value written with `quote` (sql.hpp). A condition is `exact` when the server's answer is
// the filter's answer; otherwise it is a superset (every matching span passes it) and the
// store re-checks each returned span with `matches`, so results never depend on which
// filters the server understands.
//
// Exact: service, operation (equal and contains), status, kind, instrumentation scope name
// and version, duration, start time, trace id, attribute existence on span/resource/scope
// attributes, and and/or/not of exact parts.
// Superset: attribute comparisons (the stored text drops the value's type for numbers) and
// tests that reach event or link attributes.

#include <string>
#include <variant>

#include "trace/query/filter.hpp"
#include "trace/store/clickhouse/sql.hpp"

namespace trace {
inline namespace v0 {
namespace clickhouse {

struct sql_condition {
  std::string text;
  bool exact = true;
};

sql_condition to_sql(const filter& f);

namespace detail {

inline std::string attribute_scope_condition(const char* prefix, const filters::attribute_test& t) {
  std::string keys = std::string(prefix) + "AttributeKeys";
  std::string values = std::string(prefix) + "AttributeValues";
  std::string types = std::string(prefix) + "AttributeTypes";
  if (t.op == compare_op::exists) return "has(" + keys + ", " + quote(t.key) + ")";
  if (t.op == compare_op::eq) {
    // Equal values have equal text, except across number types and for string arrays
    // (stored as JSON), which the superset lets through for the exact re-check.
    std::string wanted = quote(to_string(t.value));
    bool numeric = std::holds_alternative<std::int64_t>(t.value) || std::holds_alternative<double>(t.value);
    return "arrayExists((k, v, t) -> k = " + quote(t.key) + " AND (v = " + wanted + (numeric ? " OR t IN (1, 2)" : "") +
           " OR t = 7), " + keys + ", " + values + ", " + types + ")";
  }
  return "has(" + keys + ", " + quote(t.key) + ")";
}

struct sql_writer {
  sql_condition operator()(const filters::match_all&) const { return {"1", true}; }
  sql_condition operator()(const filters::trace_is& t) const { return {"TraceId = " + quote(t.id.to_hex()), true}; }
  sql_condition operator()(const filters::service_is& t) const { return {"ServiceName = " + quote(t.name), true}; }
  sql_condition operator()(const filters::operation_is& t) const { return {"SpanName = " + quote(t.name), true}; }
  sql_condition operator()(const filters::operation_contains& t) const {
    return {"position(SpanName, " + quote(t.text) + ") > 0", true};
  }
  sql_condition operator()(const filters::status_is& t) const {
    return {"StatusCode = " + std::to_string(static_cast<int>(t.code)), true};
  }
  sql_condition operator()(const filters::kind_is& t) const {
    return {"SpanKind = " + std::to_string(static_cast<int>(t.kind)), true};
  }
  sql_condition operator()(const filters::scope_is& t) const {
    std::string text;
    if (t.name) text = "ScopeName = " + quote(*t.name);
    if (t.version) text += (text.empty() ? "" : " AND ") + ("ScopeVersion = " + quote(*t.version));
    if (text.empty()) return {"1", true};
    return {"(" + text + ")", true};
  }
  sql_condition operator()(const filters::duration_within& t) const {
    return {"(Duration >= " + std::to_string(t.min) + " AND Duration <= " + std::to_string(t.max) + ")", true};
  }
  sql_condition operator()(const filters::start_within& t) const {
    return {"(Timestamp >= " + std::to_string(t.min) + " AND Timestamp <= " + std::to_string(t.max) + ")", true};
  }
  sql_condition operator()(const filters::attribute_test& t) const {
    std::string text;
    auto either = [&text](const std::string& part) { text += (text.empty() ? "" : " OR ") + part; };
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::span)) either(attribute_scope_condition("Span", t));
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::resource)) either(attribute_scope_condition("Resource", t));
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::scope)) either(attribute_scope_condition("Scope", t));
    bool nested = t.scopes & (static_cast<std::uint8_t>(attribute_scope::event) | static_cast<std::uint8_t>(attribute_scope::link));
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::event)) either("notEmpty(`Events.Name`)");
    if (t.scopes & static_cast<std::uint8_t>(attribute_scope::link)) either("notEmpty(`Links.SpanId`)");
    if (text.empty()) return {"0", true};
    return {"(" + text + ")", t.op == compare_op::exists && !nested};
  }
  // Left to the client: ClickHouse's RE2 syntax differs from ECMAScript's.
  sql_condition operator()(const filters::regex_test&) const { return {"1", false}; }
  // Left to the client: the tokenizer's rules are ours (text_tokens.hpp).
  sql_condition operator()(const filters::text_match&) const { return {"1", false}; }
  sql_condition operator()(const filters::all_of& t) const {
    sql_condition out{"", true};
    for (const filter& item : t.items) {
      sql_condition part = to_sql(item);
      out.text += (out.text.empty() ? "(" : " AND ") + part.text;
      out.exact = out.exact && part.exact;
    }
    if (out.text.empty()) return {"1", true};
    out.text += ")";
    return out;
  }
  sql_condition operator()(const filters::any_of& t) const {
    sql_condition out{"", true};
    for (const filter& item : t.items) {
      sql_condition part = to_sql(item);
      out.text += (out.text.empty() ? "(" : " OR ") + part.text;
      out.exact = out.exact && part.exact;
    }
    if (out.text.empty()) return {"0", true};
    out.text += ")";
    return out;
  }
  sql_condition operator()(const filters::negation& t) const {
    sql_condition inner = to_sql(*t.item);
    if (!inner.exact) return {"1", false};  // the negation of a superset bounds nothing
    return {"NOT (" + inner.text + ")", true};
  }
};

}  // namespace detail

inline sql_condition to_sql(const filter& f) { return std::visit(detail::sql_writer{}, f.get()); }

}  // namespace clickhouse
}  // namespace v0
}  // namespace trace
