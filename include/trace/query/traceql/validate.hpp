#pragma once
// TraceQL's type rules, checked while parsing as Tempo checks them after: each answers the
// static type of an operation, or the problem that refuses it (the parser puts the caret
// on the operator or operand at fault).
//
//   numbers      integer, float and duration mix freely in arithmetic and comparisons
//   attribute    an attribute's type is unknown until read: it goes with anything
//   nil          only `attr = nil` (absent) and `attr != nil` (present)
//   booleans, statuses, kinds   compare with `=` and `!=` only
//   =~ !~        a string or attribute on the left, a quoted pattern on the right
//   { ... }      the whole filter must be a boolean (or an attribute read as one)

#include <cstdint>
#include <optional>
#include <string>

#include "trace/query/traceql/ast.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {

constexpr bool is_numeric(value_type t) noexcept {
  return t == value_type::integer || t == value_type::floating || t == value_type::duration;
}

constexpr bool is_ordered_op(field_op op) noexcept {
  return op == field_op::lt || op == field_op::le || op == field_op::gt || op == field_op::ge;
}

// The result of `a OP b` for + - * / % ^, or nullopt when refused.
constexpr std::optional<value_type> arithmetic_type(value_type a, value_type b) noexcept {
  const bool a_ok = is_numeric(a) || a == value_type::attribute;
  const bool b_ok = is_numeric(b) || b == value_type::attribute;
  if (!a_ok || !b_ok) return std::nullopt;
  if (a == value_type::duration || b == value_type::duration) return value_type::duration;
  if (a == value_type::attribute || b == value_type::attribute) return value_type::attribute;
  if (a == value_type::floating || b == value_type::floating) return value_type::floating;
  return value_type::integer;
}

// Which part of `a OP b` a refusal points at.
enum class blame : std::uint8_t { left, op, right };

struct type_problem {
  std::string problem;
  blame where;
};

// Why `a OP b` (a comparison) is refused, or nullopt when it is fine. `b_is_literal_string`
// says whether the right side is a quoted string, which =~ and !~ require.
inline std::optional<type_problem> comparison_problem(value_type a, field_op op, value_type b, bool b_is_literal_string) {
  using T = value_type;
  if (op == field_op::match || op == field_op::no_match) {
    if (a != T::string && a != T::attribute)
      return type_problem{"'=~' and '!~' match text; the left side is " + a_type(a), blame::left};
    if (!b_is_literal_string) return type_problem{"'=~' and '!~' take a quoted regular expression on the right", blame::right};
    return std::nullopt;
  }
  if (a == T::nil || b == T::nil) {
    const T other = a == T::nil ? b : a;
    if (op != field_op::eq && op != field_op::ne)
      return type_problem{"nil compares only with '=' (absent) and '!=' (present)", blame::op};
    if (other != T::attribute)
      return type_problem{"only an attribute can be nil, not " + a_type(other),
                          a == T::nil ? blame::right : blame::left};
    return std::nullopt;
  }
  const bool compatible = a == b || a == T::attribute || b == T::attribute || (is_numeric(a) && is_numeric(b));
  if (!compatible) return type_problem{"cannot compare " + a_type(a) + " with " + a_type(b), blame::right};
  if (is_ordered_op(op) && (a == T::boolean || a == T::status || a == T::kind || b == T::boolean ||
                            b == T::status || b == T::kind))
    return type_problem{a_type(a == T::attribute ? b : a) + " compares only with '=' and '!='",
                        blame::op};
  return std::nullopt;
}

// Why an operand of && || ! is refused, or nullopt.
inline std::optional<std::string> logical_operand_problem(value_type t) {
  if (t == value_type::boolean || t == value_type::attribute) return std::nullopt;
  return "expected a condition (a comparison or boolean), found " + a_type(t);
}

// Why the argument of avg/min/max/sum, or of a metrics function, is refused, or nullopt.
inline std::optional<std::string> measured_problem(value_type t) {
  if (is_numeric(t) || t == value_type::attribute) return std::nullopt;
  return "expected a number, duration or attribute to measure, found " + a_type(t);
}

}  // namespace traceql
}  // namespace v0
}  // namespace trace
