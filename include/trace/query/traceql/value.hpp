#pragma once
// A value read while evaluating TraceQL: a literal, an intrinsic, one element of an
// attribute, or a computed number. Text is borrowed (from the query, the span, or a buffer
// alive for the duration of the callback that receives it), so reading allocates nothing.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "trace/core/status.hpp"
#include "trace/query/traceql/ast.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

struct scalar {
  value_type type = value_type::nil;  // nil: absent
  bool boolean = false;
  std::int64_t integer = 0;  // integer, or a duration in nanoseconds
  double floating = 0;
  std::string_view text{};
  status_code status = status_code::unset;
  span_kind kind = span_kind::unspecified;

  static scalar of(bool b) {
    scalar s;
    s.type = value_type::boolean;
    s.boolean = b;
    return s;
  }
  static scalar of_integer(std::int64_t i, value_type t = value_type::integer) {
    scalar s;
    s.type = t;
    s.integer = i;
    return s;
  }
  static scalar of_floating(double d) {
    scalar s;
    s.type = value_type::floating;
    s.floating = d;
    return s;
  }
  static scalar of_text(std::string_view t) {
    scalar s;
    s.type = value_type::string;
    s.text = t;
    return s;
  }
  static scalar of(const literal& l) {
    scalar s;
    s.type = l.type;
    s.boolean = l.boolean;
    s.integer = l.integer;
    s.floating = l.floating;
    s.text = l.text;
    s.status = l.status;
    s.kind = l.kind;
    return s;
  }

  bool numeric() const noexcept {
    return type == value_type::integer || type == value_type::floating || type == value_type::duration;
  }
  bool whole() const noexcept { return type == value_type::integer || type == value_type::duration; }
  double as_double() const noexcept { return type == value_type::floating ? floating : static_cast<double>(integer); }
};

// A callback taking values one at a time; returns true to stop. Type-erased (a pointer and
// a function), so that evaluation recursing over the tree instantiates one function.
class value_sink {
 public:
  template <class F>
    requires(!std::is_same_v<F, value_sink>)
  value_sink(F& f) : object_(&f), call_([](void* o, const scalar& v) { return (*static_cast<F*>(o))(v); }) {}
  bool operator()(const scalar& v) const { return call_(object_, v); }

 private:
  void* object_;
  bool (*call_)(void*, const scalar&);
};

// a OP b for the six comparisons; nullopt when the two cannot be compared (a string with a
// number, say), which is neither equal nor unequal.
inline std::optional<bool> compare_values(const scalar& a, field_op op, const scalar& b) {
  int order = 0;
  if (a.numeric() && b.numeric()) {
    if (a.whole() && b.whole()) order = a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
    else {
      const double x = a.as_double(), y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return op == field_op::ne;
      order = x < y ? -1 : x > y ? 1 : 0;
    }
  } else if (a.type != b.type) {
    return std::nullopt;
  } else if (a.type == value_type::string) {
    order = a.text.compare(b.text) < 0 ? -1 : a.text == b.text ? 0 : 1;
  } else if (a.type == value_type::boolean) {
    order = a.boolean == b.boolean ? 0 : 1;
  } else if (a.type == value_type::status) {
    order = a.status == b.status ? 0 : 1;
  } else if (a.type == value_type::kind) {
    order = a.kind == b.kind ? 0 : 1;
  } else {
    return std::nullopt;
  }
  switch (op) {
    case field_op::eq: return order == 0;
    case field_op::ne: return order != 0;
    case field_op::lt: return order < 0;
    case field_op::le: return order <= 0;
    case field_op::gt: return order > 0;
    case field_op::ge: return order >= 0;
    default: return std::nullopt;
  }
}

// a OP b for + - * / % ^; nil when either is not a number or the result is undefined
// (division by zero in whole numbers). A duration stays a duration; whole numbers stay whole.
inline scalar arithmetic(const scalar& a, field_op op, const scalar& b) {
  if (!a.numeric() || !b.numeric()) return {};
  const value_type type = a.type == value_type::duration || b.type == value_type::duration ? value_type::duration
                          : a.whole() && b.whole() ? value_type::integer
                                                   : value_type::floating;
  if (type != value_type::floating && a.whole() && b.whole() && op != field_op::pow) {
    const std::int64_t x = a.integer, y = b.integer;
    std::int64_t r = 0;
    switch (op) {
      case field_op::add: if (__builtin_add_overflow(x, y, &r)) return {}; break;
      case field_op::sub: if (__builtin_sub_overflow(x, y, &r)) return {}; break;
      case field_op::mul: if (__builtin_mul_overflow(x, y, &r)) return {}; break;
      case field_op::div: if (y == 0 || (x == INT64_MIN && y == -1)) return {}; r = x / y; break;
      case field_op::mod: if (y == 0 || (x == INT64_MIN && y == -1)) return {}; r = x % y; break;
      default: return {};
    }
    return scalar::of_integer(r, type);
  }
  const double x = a.as_double(), y = b.as_double();
  double r = 0;
  switch (op) {
    case field_op::add: r = x + y; break;
    case field_op::sub: r = x - y; break;
    case field_op::mul: r = x * y; break;
    case field_op::div: r = x / y; break;
    case field_op::mod: r = std::fmod(x, y); break;
    case field_op::pow: r = std::pow(x, y); break;
    default: return {};
  }
  if (type == value_type::duration) {
    if (!(std::fabs(r) < 9.2e18)) return {};
    return scalar::of_integer(static_cast<std::int64_t>(std::llround(r)), value_type::duration);
  }
  return scalar::of_floating(r);
}

// A duration as TraceQL writes it: 1.5s, 250ms, 42ns.
inline std::string format_duration(std::int64_t ns) {
  struct unit { std::int64_t scale; const char* name; };
  constexpr unit units[] = {{3600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"},
                            {1'000'000, "ms"},       {1'000, "us"}};
  const std::int64_t magnitude = ns < 0 ? -ns : ns;
  for (const unit& u : units)
    if (magnitude >= u.scale) {
      char buffer[32];
      auto end = std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(ns) / static_cast<double>(u.scale)).ptr;
      return std::string(buffer, end) + u.name;
    }
  return std::to_string(ns) + "ns";
}

// The text of a value, for series labels and by() groups.
inline std::string to_text(const scalar& v) {
  switch (v.type) {
    case value_type::nil: return "nil";
    case value_type::boolean: return v.boolean ? "true" : "false";
    case value_type::integer: return std::to_string(v.integer);
    case value_type::floating: {
      char buffer[32];
      auto end = std::to_chars(buffer, buffer + sizeof buffer, v.floating).ptr;
      return std::string(buffer, end);
    }
    case value_type::string: return std::string(v.text);
    case value_type::duration: return format_duration(v.integer);
    case value_type::status: return std::string(to_string(v.status));
    case value_type::kind: return std::string(to_string(v.kind));
    case value_type::attribute: break;
  }
  return "";
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
