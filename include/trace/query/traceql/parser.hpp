#pragma once
// The TraceQL parser: text to `traceql::query` (ast.hpp), validated on the way (validate.hpp).
// Recursive descent over the grammar of docs/QUERY.md. Safe for text from anywhere: time
// linear in the query, recursion only into parentheses (at most max_query_nesting deep),
// runs of `!` and `-` counted instead of nested, operator chains built as flat lists.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/core/status.hpp"
#include "trace/query/regex.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/error.hpp"
#include "trace/query/traceql/lexer.hpp"
#include "trace/query/traceql/validate.hpp"

namespace trace {
inline namespace v0 {
namespace traceql {
namespace detail {

class parser {
 public:
  explicit parser(std::string_view text) : text_(text), lexer_(text) { advance(); }

  query parse();

 private:
  using tk = token_kind;

  // ---- tokens ----
  void advance() { current_ = lexer_.next(); }
  token peek() const {
    lexer copy = lexer_;
    return copy.next();
  }
  bool at(tk kind) const { return current_.kind == kind; }
  bool at_word(std::string_view w) const { return current_.kind == tk::word && current_.text == w; }
  bool accept(tk kind) {
    if (!at(kind)) return false;
    advance();
    return true;
  }
  void expect(tk kind, const std::string& what) {
    if (!accept(kind)) fail("expected " + what + ", found " + describe(current_));
  }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& problem) const { lexer_.fail_at(offset, problem); }
  [[noreturn]] void fail(const std::string& problem) const { fail_at(current_.offset, problem); }
  static std::string describe(const token& t) {
    if (t.kind == tk::end) return "the end of the query";
    return "'" + std::string(t.text) + "'";
  }

  // Parentheses open around the current token: refused beyond max_query_nesting.
  struct nested {
    explicit nested(parser& p) : p_(p) {
      if (p_.nesting_ == max_query_nesting)
        p_.fail("parentheses nest deeper than " + std::to_string(max_query_nesting) + " levels");
      ++p_.nesting_;
    }
    ~nested() { --p_.nesting_; }
    nested(const nested&) = delete;
    nested& operator=(const nested&) = delete;
    parser& p_;
  };

  // ---- spansets and pipelines ----
  pipeline parse_pipeline(query* top);
  pipeline_stage parse_stage();
  spanset_expr spanset_or();
  spanset_expr spanset_and();
  spanset_expr spanset_structural();
  spanset_expr spanset_primary();
  std::optional<spanset_op> structural_op() const;
  std::vector<field_expr> field_list(std::vector<std::string>& names, bool only_fields);
  bool at_metrics_function() const;
  metrics_stage parse_metrics();
  void parse_hints(query& q);

  // ---- field expressions ----
  field_expr field_or();
  field_expr field_and();
  field_expr field_chain(tk token, field_op op, field_expr (parser::*operand)());
  field_expr field_not();
  field_expr field_compare();
  field_expr field_chain(int level);  // 0: + -, 1: * / %, 2: ^
  field_expr field_unary();
  field_expr field_primary();
  field_expr text_condition();  // `text ~ "query"`: full-text search (ours, not Tempo's)
  field_expr aggregate_call(aggregate_fn fn);
  std::optional<field_expr> keyword_literal(const token& t) const;
  std::optional<intrinsic> intrinsic_named(std::string_view name) const;
  static value_type intrinsic_type(intrinsic i);
  void require_condition(const field_expr& e) const {
    if (auto problem = logical_operand_problem(e.type)) fail_at(e.offset, *problem);
  }
  std::shared_ptr<const regex> compile_pattern(const token& literal) const;

  std::string_view text_;
  lexer lexer_;
  token current_;
  std::size_t nesting_ = 0;
  bool scalar_context_ = false;  // inside a pipeline's scalar filter: aggregates, no fields
};

// ---------------------------------------------------------------------------------------

inline query parser::parse() {
  query q;
  q.spans = parse_pipeline(&q);
  if (at_word("with")) parse_hints(q);
  if (!at(tk::end)) fail("unexpected " + describe(current_) + " after a complete query");
  return q;
}

// `top` is the whole query's pipeline (which may end in a metrics stage), null inside ( ).
inline pipeline parser::parse_pipeline(query* top) {
  pipeline p;
  pipeline_stage first;
  first.offset = current_.offset;
  first.spans = spanset_or();
  p.stages.push_back(std::move(first));
  while (accept(tk::pipe)) {
    if (at_metrics_function()) {
      if (!top) fail("a metrics function ends the whole query; it cannot stand inside parentheses");
      top->metrics = parse_metrics();
      if (accept(tk::pipe)) {
        const bool topk = at_word("topk");
        if (!topk && !at_word("bottomk")) fail("expected topk(n) or bottomk(n) after a metrics function, found " + describe(current_));
        advance();
        expect(tk::lparen, "'('");
        if (!at(tk::integer) || current_.integer <= 0) fail("expected a positive whole number of series, found " + describe(current_));
        top->second.shape = topk ? second_stage::form::topk : second_stage::form::bottomk;
        top->second.k = static_cast<std::size_t>(current_.integer);
        advance();
        expect(tk::rparen, "')'");
      }
      return p;
    }
    p.stages.push_back(parse_stage());
  }
  return p;
}

inline bool parser::at_metrics_function() const {
  if (!at(tk::word)) return false;
  const std::string_view w = current_.text;
  return w == "rate" || w == "count_over_time" || w == "sum_over_time" || w == "min_over_time" ||
         w == "max_over_time" || w == "avg_over_time" || w == "quantile_over_time" || w == "histogram_over_time";
}

inline pipeline_stage parser::parse_stage() {
  pipeline_stage s;
  s.offset = current_.offset;
  const bool aggregate_call =
      at(tk::word) && (current_.text == "count" || current_.text == "avg" || current_.text == "min" ||
                       current_.text == "max" || current_.text == "sum") && peek().kind == tk::lparen;
  if (aggregate_call || at(tk::integer) || at(tk::floating) || at(tk::duration) || at(tk::minus)) {
    s.shape = pipeline_stage::form::scalar_filter;
    scalar_context_ = true;
    field_expr test = field_compare();
    scalar_context_ = false;
    if (test.shape != field_expr::form::compare)
      fail_at(test.offset, "a scalar filter compares an aggregate with a value, such as count() > 3");
    s.test = std::move(test);
    return s;
  }
  if (at_word("by") || at_word("select")) {
    const bool by = at_word("by");
    s.shape = by ? pipeline_stage::form::by : pipeline_stage::form::select;
    advance();
    s.fields = field_list(s.names, !by);
    return s;
  }
  if (at_word("coalesce")) {
    s.shape = pipeline_stage::form::coalesce;
    advance();
    expect(tk::lparen, "'(' after coalesce");
    expect(tk::rparen, "')': coalesce() takes no arguments");
    return s;
  }
  if (at(tk::lbrace) || at(tk::lparen)) {
    s.spans = spanset_or();
    return s;
  }
  fail("expected a spanset, a scalar filter (count() > 3), by(), coalesce(), select() or a metrics function after '|', found " +
       describe(current_));
}

// `( a, b, ... )`: fields of by() and select(), or a metrics function's `by`.
inline std::vector<field_expr> parser::field_list(std::vector<std::string>& names, bool only_fields) {
  expect(tk::lparen, "'('");
  std::vector<field_expr> fields;
  do {
    const std::size_t begin = current_.offset;
    field_expr f = field_or();
    if (only_fields && f.shape != field_expr::form::attribute && f.shape != field_expr::form::intrinsic)
      fail_at(f.offset, "expected an attribute or an intrinsic here");
    if (f.type == value_type::nil) fail_at(f.offset, "nil is not a field");
    names.emplace_back(text_.substr(begin, current_.offset - begin));
    while (!names.back().empty() && (names.back().back() == ' ' || names.back().back() == '\t')) names.back().pop_back();
    fields.push_back(std::move(f));
  } while (accept(tk::comma));
  expect(tk::rparen, "',' or ')'");
  return fields;
}

inline spanset_expr parser::spanset_or() {
  spanset_expr first = spanset_and();
  if (!at(tk::or_)) return first;
  spanset_expr chain;
  chain.shape = spanset_expr::form::chain;
  chain.offset = first.offset;
  chain.operands.push_back(std::move(first));
  while (accept(tk::or_)) {
    chain.ops.push_back(spanset_op::or_);
    chain.operands.push_back(spanset_and());
  }
  return chain;
}

inline spanset_expr parser::spanset_and() {
  spanset_expr first = spanset_structural();
  if (!at(tk::and_)) return first;
  spanset_expr chain;
  chain.shape = spanset_expr::form::chain;
  chain.offset = first.offset;
  chain.operands.push_back(std::move(first));
  while (accept(tk::and_)) {
    chain.ops.push_back(spanset_op::and_);
    chain.operands.push_back(spanset_structural());
  }
  return chain;
}

inline std::optional<spanset_op> parser::structural_op() const {
  switch (current_.kind) {
    case tk::gt: return spanset_op::child;
    case tk::descendant: return spanset_op::descendant;
    case tk::lt: return spanset_op::parent;
    case tk::ancestor: return spanset_op::ancestor;
    case tk::tilde: return spanset_op::sibling;
    case tk::union_child: return spanset_op::union_child;
    case tk::union_descendant: return spanset_op::union_descendant;
    case tk::union_parent: return spanset_op::union_parent;
    case tk::union_ancestor: return spanset_op::union_ancestor;
    case tk::union_sibling: return spanset_op::union_sibling;
    case tk::not_child: return spanset_op::not_child;
    case tk::not_descendant: return spanset_op::not_descendant;
    case tk::not_parent: return spanset_op::not_parent;
    case tk::not_ancestor: return spanset_op::not_ancestor;
    case tk::bang_tilde: return spanset_op::not_sibling;
    default: return std::nullopt;
  }
}

inline spanset_expr parser::spanset_structural() {
  spanset_expr first = spanset_primary();
  if (!structural_op()) return first;
  spanset_expr chain;
  chain.shape = spanset_expr::form::chain;
  chain.offset = first.offset;
  chain.operands.push_back(std::move(first));
  while (auto op = structural_op()) {
    advance();
    chain.ops.push_back(*op);
    chain.operands.push_back(spanset_primary());
  }
  return chain;
}

inline spanset_expr parser::spanset_primary() {
  spanset_expr s;
  s.offset = current_.offset;
  if (accept(tk::lbrace)) {
    if (!accept(tk::rbrace)) {
      field_expr where = field_or();
      if (where.type != value_type::boolean && where.type != value_type::attribute)
        fail_at(where.offset, "a spanset filter must be a condition, not " + a_type(where.type) +
                                  " (compare it: { x = ... })");
      if (!at(tk::rbrace)) fail("expected '}' to close the '{' at column " + std::to_string(s.offset + 1) + ", found " + describe(current_));
      advance();
      s.where = std::move(where);
    }
    return s;
  }
  if (at(tk::lparen)) {
    const std::size_t open = current_.offset;
    nested guard(*this);
    advance();
    pipeline inner = parse_pipeline(nullptr);
    if (!at(tk::rparen)) fail("expected ')' to close the '(' at column " + std::to_string(open + 1) + ", found " + describe(current_));
    advance();
    if (inner.stages.size() == 1) return std::move(inner.stages.front().spans);
    s.shape = spanset_expr::form::group;
    s.group = std::make_shared<const pipeline>(std::move(inner));
    return s;
  }
  fail("expected a spanset '{ ... }' or '(', found " + describe(current_));
}

inline metrics_stage parser::parse_metrics() {
  metrics_stage m;
  m.offset = current_.offset;
  const std::string_view w = current_.text;
  m.fn = w == "rate"                  ? metrics_fn::rate
         : w == "count_over_time"     ? metrics_fn::count_over_time
         : w == "sum_over_time"       ? metrics_fn::sum_over_time
         : w == "min_over_time"       ? metrics_fn::min_over_time
         : w == "max_over_time"       ? metrics_fn::max_over_time
         : w == "avg_over_time"       ? metrics_fn::avg_over_time
         : w == "quantile_over_time"  ? metrics_fn::quantile_over_time
                                      : metrics_fn::histogram_over_time;
  const std::string name(w);
  advance();
  expect(tk::lparen, "'(' after " + name);
  if (m.fn == metrics_fn::rate || m.fn == metrics_fn::count_over_time) {
    expect(tk::rparen, "')': " + name + "() takes no arguments");
  } else {
    field_expr value = field_or();
    if (auto problem = measured_problem(value.type)) fail_at(value.offset, *problem);
    m.value = std::move(value);
    if (m.fn == metrics_fn::quantile_over_time) {
      if (!at(tk::comma)) fail("expected ',' and at least one quantile such as .99, found " + describe(current_));
      while (accept(tk::comma)) {
        double q = at(tk::floating) ? current_.floating : at(tk::integer) ? static_cast<double>(current_.integer) : -1;
        if (!(at(tk::floating) || at(tk::integer)) || q < 0 || q > 1)
          fail("expected a quantile between 0 and 1 (such as .99), found " + describe(current_));
        m.quantiles.push_back(q);
        advance();
      }
    }
    expect(tk::rparen, "')' to close " + name + "(");
  }
  if (at_word("by")) {
    advance();
    m.by = field_list(m.by_names, false);
  }
  return m;
}

// with(name = value, ...): most_recent=true orders the search by recency; the sampling
// hints are accepted and change nothing (answers are exact here).
inline void parser::parse_hints(query& q) {
  advance();
  expect(tk::lparen, "'(' after with");
  do {
    if (!at(tk::word)) fail("expected a hint name such as most_recent, found " + describe(current_));
    hint h;
    h.name = std::string(current_.text);
    advance();
    expect(tk::eq, "'=' after the hint's name");
    std::optional<field_expr> value;
    if (at(tk::word)) value = keyword_literal(current_);
    else if (at(tk::integer) || at(tk::floating) || at(tk::duration) || at(tk::string)) value = field_primary();
    if (!value || value->shape != field_expr::form::literal) fail("expected a value (true, false, a number or a string), found " + describe(current_));
    if (at(tk::word)) advance();
    h.value = value->value;
    q.hints.push_back(std::move(h));
  } while (accept(tk::comma));
  expect(tk::rparen, "',' or ')'");
}

// ---- field expressions ----

inline field_expr parser::field_or() { return field_chain(tk::or_, field_op::or_, &parser::field_and); }

inline field_expr parser::field_and() { return field_chain(tk::and_, field_op::and_, &parser::field_not); }

// `a OP b OP c` as one flat chain node (never nested, however long the run).
inline field_expr parser::field_chain(tk token, field_op op, field_expr (parser::*operand)()) {
  field_expr first = (this->*operand)();
  if (!at(token)) return first;
  require_condition(first);
  field_expr chain;
  chain.shape = field_expr::form::chain;
  chain.type = value_type::boolean;
  chain.offset = first.offset;
  chain.operands.push_back(std::move(first));
  while (accept(token)) {
    field_expr next = (this->*operand)();
    require_condition(next);
    chain.ops.push_back(op);
    chain.operands.push_back(std::move(next));
  }
  return chain;
}

// A run of `!` is counted, not recursed into: `!!x` is `x`.
inline field_expr parser::field_not() {
  const std::size_t begin = current_.offset;
  bool negated = false;
  bool any = false;
  while (accept(tk::not_)) {
    negated = !negated;
    any = true;
  }
  field_expr e = field_compare();
  if (any) require_condition(e);
  if (!negated) return e;
  field_expr n;
  n.shape = field_expr::form::unary;
  n.type = value_type::boolean;
  n.offset = begin;
  n.ops.push_back(field_op::not_);
  n.operands.push_back(std::move(e));
  return n;
}

inline field_expr parser::field_compare() {
  field_expr lhs = field_chain(0);
  std::optional<field_op> op;
  switch (current_.kind) {
    case tk::eq: op = field_op::eq; break;
    case tk::ne: op = field_op::ne; break;
    case tk::lt: op = field_op::lt; break;
    case tk::le: op = field_op::le; break;
    case tk::gt: op = field_op::gt; break;
    case tk::ge: op = field_op::ge; break;
    case tk::match: op = field_op::match; break;
    case tk::bang_tilde: op = field_op::no_match; break;
    default: return lhs;
  }
  const token op_token = current_;
  advance();
  const token rhs_token = current_;
  if (at(tk::end) || at(tk::rbrace) || at(tk::rparen) || at(tk::and_) || at(tk::or_))
    fail("expected a value after '" + std::string(op_token.text) + "', found " + describe(current_));
  field_expr rhs = field_chain(0);
  const bool literal_string = rhs.shape == field_expr::form::literal && rhs.type == value_type::string &&
                              rhs_token.kind == tk::string;
  if (auto problem = comparison_problem(lhs.type, *op, rhs.type, literal_string))
    fail_at(problem->where == blame::left ? lhs.offset : problem->where == blame::op ? op_token.offset : rhs.offset,
            problem->problem);
  field_expr c;
  c.shape = field_expr::form::compare;
  c.type = value_type::boolean;
  c.offset = lhs.offset;
  if (*op == field_op::match || *op == field_op::no_match) c.pattern = compile_pattern(rhs_token);
  c.ops.push_back(*op);
  c.operands.push_back(std::move(lhs));
  c.operands.push_back(std::move(rhs));
  switch (current_.kind) {
    case tk::eq: case tk::ne: case tk::lt: case tk::le: case tk::gt: case tk::ge: case tk::match: case tk::bang_tilde:
      fail("comparisons do not chain; join them with && or ||");
    default: break;
  }
  return c;
}

inline std::shared_ptr<const regex> parser::compile_pattern(const token& literal) const {
  try {
    return std::make_shared<const regex>(literal.value);
  } catch (const regex_error& e) {  // the caret at the fault inside the pattern
    std::size_t raw = 1;
    for (std::size_t k = 0; k < e.offset() && raw + 1 < literal.text.size(); ++k) raw += literal.text[raw] == '\\' ? 2 : 1;
    fail_at(literal.offset + raw, e.message());
  }
}

inline field_expr parser::field_chain(int level) {
  auto operator_here = [this, level]() -> std::optional<field_op> {
    switch (current_.kind) {
      case tk::plus: if (level == 0) return field_op::add; break;
      case tk::minus: if (level == 0) return field_op::sub; break;
      case tk::star: if (level == 1) return field_op::mul; break;
      case tk::slash: if (level == 1) return field_op::div; break;
      case tk::percent: if (level == 1) return field_op::mod; break;
      case tk::caret: if (level == 2) return field_op::pow; break;
      default: break;
    }
    return std::nullopt;
  };
  auto operand = [this, level] { return level < 2 ? field_chain(level + 1) : field_unary(); };
  field_expr first = operand();
  if (!operator_here()) return first;
  field_expr chain;
  chain.shape = field_expr::form::chain;
  chain.offset = first.offset;
  chain.type = first.type;
  chain.operands.push_back(std::move(first));
  while (auto op = operator_here()) {
    advance();
    field_expr next = operand();
    auto type = arithmetic_type(chain.type, next.type);
    if (!type)
      fail_at(is_numeric(chain.type) || chain.type == value_type::attribute ? next.offset : chain.operands.front().offset,
              "arithmetic takes numbers, durations or attributes, not " +
                  a_type(is_numeric(chain.type) || chain.type == value_type::attribute ? next.type : chain.type));
    chain.type = *type;
    chain.ops.push_back(*op);
    chain.operands.push_back(std::move(next));
  }
  return chain;
}

// A run of unary `-` is counted; on a number literal it folds into the literal.
inline field_expr parser::field_unary() {
  const std::size_t begin = current_.offset;
  bool negated = false;
  bool any = false;
  while (accept(tk::minus)) {
    negated = !negated;
    any = true;
  }
  field_expr e = field_primary();
  if (!any) return e;
  if (!is_numeric(e.type) && e.type != value_type::attribute)
    fail_at(e.offset, "'-' negates numbers and durations, not " + a_type(e.type));
  e.offset = begin;
  if (!negated) return e;
  if (e.shape == field_expr::form::literal) {
    e.value.integer = -e.value.integer;
    e.value.floating = -e.value.floating;
    return e;
  }
  field_expr n;
  n.shape = field_expr::form::unary;
  n.type = e.type;
  n.offset = begin;
  n.ops.push_back(field_op::negate);
  n.operands.push_back(std::move(e));
  return n;
}

inline field_expr parser::text_condition() {
  field_expr e;
  e.offset = current_.offset;
  advance();  // text
  advance();  // ~
  if (!at(tk::string)) fail("'text ~' takes a quoted text query such as \"card declined\", found " + describe(current_));
  e.shape = field_expr::form::legacy;
  e.type = value_type::boolean;
  try {
    e.where = std::make_shared<const filter>(where::text(current_.value));
  } catch (const error& problem) {
    fail(problem.message());
  }
  advance();
  return e;
}

inline field_expr parser::field_primary() {
  field_expr e;
  e.offset = current_.offset;
  switch (current_.kind) {
    case tk::lparen: {
      const std::size_t open = current_.offset;
      nested guard(*this);
      advance();
      field_expr inner = field_or();
      if (!at(tk::rparen)) fail("expected ')' to close the '(' at column " + std::to_string(open + 1) + ", found " + describe(current_));
      advance();
      inner.offset = open;
      return inner;
    }
    case tk::string:
      e.type = e.value.type = value_type::string;
      e.value.text = current_.value;
      advance();
      return e;
    case tk::integer:
      e.type = e.value.type = value_type::integer;
      e.value.integer = current_.integer;
      e.value.floating = static_cast<double>(current_.integer);
      advance();
      return e;
    case tk::floating:
      e.type = e.value.type = value_type::floating;
      e.value.floating = current_.floating;
      advance();
      return e;
    case tk::duration:
      e.type = e.value.type = value_type::duration;
      e.value.integer = current_.integer;
      e.value.floating = static_cast<double>(current_.integer);
      advance();
      return e;
    case tk::attribute: {
      if (scalar_context_) fail("a scalar filter reads spans through an aggregate, such as avg(" + std::string(current_.text) + ")");
      e.shape = field_expr::form::attribute;
      e.type = value_type::attribute;
      e.key = current_.value;
      const std::string_view scope = current_.scope;
      e.scope = scope == "span"       ? attribute_scope_sel::span
                : scope == "resource" ? attribute_scope_sel::resource
                : scope == "event"    ? attribute_scope_sel::event
                : scope == "link"     ? attribute_scope_sel::link
                : scope == "instrumentation" ? attribute_scope_sel::instrumentation
                                             : attribute_scope_sel::unscoped;
      advance();
      return e;
    }
    case tk::word: {
      if (auto literal = keyword_literal(current_)) {
        advance();
        return *literal;
      }
      const std::string_view w = current_.text;
      if (scalar_context_) {
        const std::optional<aggregate_fn> fn = w == "count" ? std::optional(aggregate_fn::count)
                                               : w == "avg" ? std::optional(aggregate_fn::avg)
                                               : w == "min" ? std::optional(aggregate_fn::min)
                                               : w == "max" ? std::optional(aggregate_fn::max)
                                               : w == "sum" ? std::optional(aggregate_fn::sum)
                                                            : std::nullopt;
        if (fn) return aggregate_call(*fn);
        fail("a scalar filter reads spans through an aggregate (count, avg, min, max, sum), not '" + std::string(w) + "'");
      }
      if (w == "text" && peek().kind == tk::tilde) return text_condition();
      if (auto which = intrinsic_named(w)) {
        e.shape = field_expr::form::intrinsic;
        e.which = *which;
        e.type = intrinsic_type(*which);
        advance();
        return e;
      }
      if (w.find(':') != std::string_view::npos)
        fail("unknown intrinsic '" + std::string(w) +
             "' (known: span:name, span:status, span:statusMessage, span:kind, span:duration, span:childCount, span:id, "
             "span:parentID, trace:duration, trace:rootName, trace:rootService, trace:id, event:name, "
             "event:timeSinceStart, link:traceID, link:spanID, instrumentation:name, instrumentation:version)");
      fail("unknown word '" + std::string(w) + "': write an attribute as ." + std::string(w) + ", span." + std::string(w) +
           " or resource." + std::string(w) + ", and text in quotes");
    }
    default:
      fail("expected a value, a field or '(', found " + describe(current_));
  }
}

inline field_expr parser::aggregate_call(aggregate_fn fn) {
  field_expr e;
  e.offset = current_.offset;
  e.shape = field_expr::form::aggregate;
  e.aggregate = fn;
  const std::string name(current_.text);
  advance();
  expect(tk::lparen, "'(' after " + name);
  if (fn == aggregate_fn::count) {
    expect(tk::rparen, "')': count() takes no arguments");
    e.type = value_type::integer;
    return e;
  }
  scalar_context_ = false;
  field_expr arg = field_chain(0);
  scalar_context_ = true;
  if (auto problem = measured_problem(arg.type)) fail_at(arg.offset, *problem);
  e.type = fn == aggregate_fn::avg && arg.type == value_type::integer ? value_type::floating : arg.type;
  e.operands.push_back(std::move(arg));
  expect(tk::rparen, "')' to close " + name + "(");
  return e;
}

inline std::optional<field_expr> parser::keyword_literal(const token& t) const {
  field_expr e;
  e.offset = t.offset;
  const std::string_view w = t.text;
  if (w == "true" || w == "false") {
    e.type = e.value.type = value_type::boolean;
    e.value.boolean = w == "true";
  } else if (w == "nil") {
    e.type = e.value.type = value_type::nil;
  } else if (auto code = status_code_from_string(w)) {
    e.type = e.value.type = value_type::status;
    e.value.status = *code;
  } else if (auto kind = span_kind_from_string(w)) {
    e.type = e.value.type = value_type::kind;
    e.value.kind = *kind;
  } else {
    return std::nullopt;
  }
  return e;
}

inline std::optional<intrinsic> parser::intrinsic_named(std::string_view n) const {
  struct named { std::string_view name; intrinsic which; };
  static constexpr named names[] = {
      {"name", intrinsic::name}, {"span:name", intrinsic::name},
      {"status", intrinsic::status}, {"span:status", intrinsic::status},
      {"statusMessage", intrinsic::status_message}, {"span:statusMessage", intrinsic::status_message},
      {"kind", intrinsic::kind}, {"span:kind", intrinsic::kind},
      {"duration", intrinsic::duration}, {"span:duration", intrinsic::duration},
      {"childCount", intrinsic::child_count}, {"span:childCount", intrinsic::child_count},
      {"span:id", intrinsic::span_id}, {"span:parentID", intrinsic::parent_id},
      {"service", intrinsic::service}, {"start", intrinsic::start}, {"span:start", intrinsic::start},
      {"trace:duration", intrinsic::trace_duration}, {"traceDuration", intrinsic::trace_duration},
      {"trace:rootName", intrinsic::root_name}, {"rootName", intrinsic::root_name},
      {"trace:rootService", intrinsic::root_service}, {"rootServiceName", intrinsic::root_service},
      {"trace:id", intrinsic::trace_id},
      {"event:name", intrinsic::event_name}, {"event:timeSinceStart", intrinsic::event_time_since_start},
      {"link:traceID", intrinsic::link_trace_id}, {"link:spanID", intrinsic::link_span_id},
      {"instrumentation:name", intrinsic::scope_name}, {"instrumentation:version", intrinsic::scope_version},
  };
  for (const named& candidate : names)
    if (candidate.name == n) return candidate.which;
  return std::nullopt;
}

inline value_type parser::intrinsic_type(intrinsic i) {
  switch (i) {
    case intrinsic::status: return value_type::status;
    case intrinsic::kind: return value_type::kind;
    case intrinsic::duration: case intrinsic::trace_duration: case intrinsic::event_time_since_start:
      return value_type::duration;
    case intrinsic::child_count: case intrinsic::start: return value_type::integer;
    default: return value_type::string;
  }
}

}  // namespace detail
}  // namespace traceql
}  // namespace v0
}  // namespace trace
