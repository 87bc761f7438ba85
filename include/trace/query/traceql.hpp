#pragma once
// TraceQL, the query language of Grafana Tempo, whole (the reference is docs/QUERY.md):
//
//   trace::traceql::query q = trace::parse_traceql_query(
//       R"({ kind = server } >> { status = error } | count() > 2)");
//   auto traces = trace::search_traceql(store, q);   // <trace/query/traceql/search.hpp>
//   auto series = trace::traceql_metrics(store, trace::parse_traceql_query(   // .../metrics.hpp
//       "{ } | quantile_over_time(duration, .99) by (resource.service.name)"), range);
//
// and its older single-span form, a bare filter without braces (`--where`), which
// `parse_traceql` turns into a `trace::filter` for any span range:
//
//   trace::filter f = trace::parse_traceql(
//       R"(service = "api" && duration > 100ms && (status = error || span.http.status_code >= 500))");
//
// A syntax or type error is a `trace::query_syntax_error` (a `trace::error` with
// errc::parse_error) that knows the 1-based column it points at and can draw the query with
// a caret under it:
//
//   duration > 100 ms
//              ^
//
// `=~` and `!~` match the whole name, service or string attribute against a regular
// expression (trace::regex: RE2 syntax, linear time), as TraceQL's do.
//
// Both parsers are safe for text from anywhere: they take time linear in the query's
// length, recurse only into parentheses, which may nest `max_query_nesting` deep, and refuse
// queries longer than `max_query_size` bytes.

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "trace/core/error.hpp"
#include "trace/core/ids.hpp"
#include "trace/core/status.hpp"
#include "trace/core/time.hpp"
#include "trace/core/rfc3339.hpp"  // parse_rfc3339: time literals
#include "trace/query/filter.hpp"
#include "trace/query/regex.hpp"
#include "trace/query/traceql/ast.hpp"
#include "trace/query/traceql/error.hpp"  // query_syntax_error, the limits
#include "trace/query/traceql/parser.hpp"

namespace trace {
inline namespace v0 {

// Parses a single-span query (a bare filter, or one in braces) into a filter. The empty
// query (or `{}`) matches every span.
filter parse_traceql(std::string_view text);

// Parses any TraceQL query. A query that starts with `{` (after any `(`) is TraceQL as Tempo
// defines it; anything else (including the empty query) is the bare single-span form of
// `parse_traceql`, which becomes one spanset filter.
traceql::query parse_traceql_query(std::string_view text);

// ---------------------------------------------------------------------------------------

namespace detail {

enum class token_kind : std::uint8_t {
  end, identifier, string, number, duration, time, lparen, rparen, lbrace, rbrace,
  and_, or_, not_, eq, ne, lt, le, gt, ge, regex_match, regex_no_match, text_match
};

struct query_token {
  token_kind kind = token_kind::end;
  std::size_t offset = 0;
  std::string_view text{};  // as written
  std::string string{};     // string literal, unescaped
  attribute_value number{};  // int64 or double
  std::uint64_t nanoseconds = 0;  // duration or time literal
};

class traceql_parser {
 public:
  explicit traceql_parser(std::string_view text) : text_(text) {
    if (text_.size() > max_query_size)
      fail_at(max_query_size, "the query is " + std::to_string(text_.size()) + " bytes; the limit is " +
                                  std::to_string(max_query_size));
    advance();
  }

  filter parse() {
    if (current_.kind == token_kind::end) return filters::match_all{};
    const bool braced = accept(token_kind::lbrace);
    if (braced && accept(token_kind::rbrace)) return finish(filters::match_all{});
    filter f = or_expression();
    if (braced) expect(token_kind::rbrace, "'}' to close '{'");
    return finish(std::move(f));
  }

 private:
  [[noreturn]] void fail_at(std::size_t offset, const std::string& problem) const {
    traceql::detail::fail_in(text_, offset, problem);
  }
  [[noreturn]] void fail(const std::string& problem) const { fail_at(current_.offset, problem); }

  std::string describe(const query_token& t) const {
    if (t.kind == token_kind::end) return "the end of the query";
    return "'" + std::string(t.text) + "'";
  }

  filter finish(filter f) {
    if (current_.kind != token_kind::end) fail("unexpected " + describe(current_) + " after a complete query");
    return f;
  }

  bool accept(token_kind kind) {
    if (current_.kind != kind) return false;
    advance();
    return true;
  }
  void expect(token_kind kind, const std::string& what) {
    if (!accept(kind)) fail("expected " + what + ", found " + describe(current_));
  }

  // ---- grammar ----

  filter or_expression() {
    filter f = and_expression();
    while (accept(token_kind::or_)) f = std::move(f) || and_expression();
    return f;
  }
  filter and_expression() {
    filter f = unary();
    while (accept(token_kind::and_)) f = std::move(f) && unary();
    return f;
  }
  // A run of `!` is counted, not recursed into: `!!x` is `x`.
  filter unary() {
    bool negated = false;
    while (accept(token_kind::not_)) negated = !negated;
    filter f = primary();
    return negated ? !std::move(f) : f;
  }
  filter primary() {
    if (current_.kind == token_kind::lparen) {
      const std::size_t open = current_.offset;
      if (nesting_ == max_query_nesting)
        fail("parentheses nest deeper than " + std::to_string(max_query_nesting) + " levels");
      ++nesting_;
      advance();
      filter f = or_expression();
      if (current_.kind != token_kind::rparen)
        fail("expected ')' to close the '(' at column " + std::to_string(open + 1) + ", found " + describe(current_));
      --nesting_;
      advance();
      return f;
    }
    if (current_.kind != token_kind::identifier) fail("expected a field, '!' or '(', found " + describe(current_));
    return comparison();
  }

  static bool is_comparison(token_kind k) {
    return k == token_kind::eq || k == token_kind::ne || k == token_kind::lt || k == token_kind::le ||
           k == token_kind::gt || k == token_kind::ge || k == token_kind::regex_match || k == token_kind::regex_no_match;
  }

  filter comparison() {
    const query_token field = current_;
    advance();
    const std::string_view name = field.text;
    if (name == "text" && current_.kind == token_kind::text_match) return text_condition();
    const std::optional<intrinsic> which = intrinsic_named(name);
    if (!is_comparison(current_.kind)) {
      if (which) fail("expected a comparison operator after '" + std::string(name) + "', found " + describe(current_));
      return attribute_of(field).exists();  // a bare attribute tests that it is present
    }
    const query_token op = current_;
    advance();
    const query_token value = current_;
    if (value.kind == token_kind::end || value.kind == token_kind::lparen || value.kind == token_kind::rparen ||
        value.kind == token_kind::and_ || value.kind == token_kind::or_ || is_comparison(value.kind))
      fail("expected a value after '" + std::string(op.text) + "', found " + describe(value));
    advance();
    if (op.kind == token_kind::regex_match || op.kind == token_kind::regex_no_match)
      return regex_comparison(field, which, op, value);
    if (!which) return attribute_comparison(field, op, value);
    switch (*which) {
      case intrinsic::name: return equality(op, where::operation(text_value(value, "a span name")));
      case intrinsic::service: return equality(op, where::service(text_value(value, "a service name")));
      case intrinsic::status: return equality(op, where::status(status_value(value)));
      case intrinsic::kind: return equality(op, where::kind(kind_value(value)));
      case intrinsic::trace_id: return equality(op, where::in_trace(trace_id_value(value)));
      case intrinsic::scope_name: return equality(op, where::scope_name(text_value(value, "a scope name")));
      case intrinsic::scope_version:
        return equality(op, where::scope_version(text_value(value, "a quoted scope version such as \"1.2.0\"")));
      case intrinsic::duration:
        return range<filters::duration_within>(op, duration_value(value));
      case intrinsic::start: return range<filters::start_within>(op, time_value(value));
    }
    return filters::match_all{};
  }

  enum class intrinsic : std::uint8_t { name, service, status, kind, duration, start, trace_id, scope_name, scope_version };

  // `text ~ "card declined"`: full-text search over the span's words (text_query.hpp).
  filter text_condition() {
    advance();  // ~
    const query_token value = current_;
    if (value.kind != token_kind::string)
      fail_at(value.offset, "'text ~' takes a quoted text query such as \"card declined\", found " + describe(value));
    advance();
    try {
      return where::text(value.string);
    } catch (const error& problem) {
      fail_at(value.offset, problem.message());
    }
  }

  // `=~` and `!~`: a quoted pattern matched against the whole name, service or string attribute.
  filter regex_comparison(const query_token& field, std::optional<intrinsic> which, const query_token& op,
                          const query_token& value) const {
    if (value.kind != token_kind::string)
      fail_at(value.offset, "'" + std::string(op.text) + "' takes a quoted regular expression, found " + describe(value));
    if (which && *which != intrinsic::name && *which != intrinsic::service)
      fail_at(op.offset, "'" + std::string(op.text) + "' applies to names, services and attributes, not '" +
                             std::string(field.text) + "'");
    filter f;
    try {
      f = !which ? attribute_of(field).matches(value.string)
          : *which == intrinsic::name ? where::operation_matches(value.string)
                                      : where::service_matches(value.string);
    } catch (const regex_error& e) {  // a malformed pattern: the caret at the fault, without the code's name
      fail_at(offset_in_literal(value, e.offset()), e.message());
    }
    return op.kind == token_kind::regex_match ? f : !std::move(f);
  }

  // Where the byte at `offset` of a string literal's value was written in the query
  // (escapes take two bytes there); the closing quote for the end of the value.
  static std::size_t offset_in_literal(const query_token& literal, std::size_t offset) {
    std::size_t raw = 1;  // past the opening quote
    for (std::size_t k = 0; k < offset && raw + 1 < literal.text.size(); ++k) raw += literal.text[raw] == '\\' ? 2 : 1;
    return literal.offset + raw;
  }

  static std::optional<intrinsic> intrinsic_named(std::string_view n) {
    if (n == "name" || n == "span:name") return intrinsic::name;
    if (n == "service" || n == "resource.service.name") return intrinsic::service;
    if (n == "status" || n == "span:status") return intrinsic::status;
    if (n == "kind" || n == "span:kind") return intrinsic::kind;
    if (n == "duration" || n == "span:duration") return intrinsic::duration;
    if (n == "start" || n == "span:start") return intrinsic::start;
    if (n == "trace:id" || n == "traceid") return intrinsic::trace_id;
    if (n == "instrumentation:name") return intrinsic::scope_name;
    if (n == "instrumentation:version") return intrinsic::scope_version;
    return std::nullopt;
  }

  // `=` and `!=` for the fields that only compare for equality.
  filter equality(const query_token& op, filter f) const {
    if (op.kind == token_kind::eq) return f;
    if (op.kind == token_kind::ne) return !std::move(f);
    fail_at(op.offset, "'" + std::string(op.text) + "' does not apply here; this field compares with '=' or '!='");
  }

  // Duration and start time: every comparison, as an inclusive range.
  template <class Range>
  filter range(const query_token& op, std::uint64_t v) const {
    constexpr std::uint64_t top = std::numeric_limits<std::uint64_t>::max();
    switch (op.kind) {
      case token_kind::eq: return Range{v, v};
      case token_kind::ne: return !filter(Range{v, v});
      case token_kind::ge: return Range{v, top};
      case token_kind::le: return Range{0, v};
      case token_kind::gt: return v == top ? !filter(filters::match_all{}) : filter(Range{v + 1, top});
      case token_kind::lt: return v == 0 ? !filter(filters::match_all{}) : filter(Range{0, v - 1});
      default: fail_at(op.offset, "unexpected operator '" + std::string(op.text) + "'");
    }
  }

  where::attribute_ref attribute_of(const query_token& field) const {
    std::string_view key = field.text;
    std::uint8_t scopes = all_attribute_scopes;
    auto scoped = [&key, &scopes](std::string_view prefix, std::uint8_t scope) {
      if (!key.starts_with(prefix)) return false;
      key.remove_prefix(prefix.size());
      scopes = scope;
      return true;
    };
    if (!scoped("span.", static_cast<std::uint8_t>(attribute_scope::span)) &&
        !scoped("resource.", static_cast<std::uint8_t>(attribute_scope::resource)))
      scoped(".", all_attribute_scopes);
    if (key.empty()) fail_at(field.offset, "'" + std::string(field.text) + "' names no attribute");
    if (key.find(':') != std::string_view::npos)
      fail_at(field.offset, "unknown intrinsic '" + std::string(field.text) +
                                "' (known: span:name, span:status, span:kind, span:duration, span:start, trace:id, "
                                "instrumentation:name, instrumentation:version)");
    return where::attribute(key, scopes);
  }

  filter attribute_comparison(const query_token& field, const query_token& op, const query_token& value) const {
    where::attribute_ref attribute = attribute_of(field);
    attribute_value wanted;
    switch (value.kind) {
      case token_kind::string: wanted = value.string; break;
      case token_kind::number: wanted = value.number; break;
      case token_kind::identifier:
        if (value.text == "true") wanted = true;
        else if (value.text == "false") wanted = false;
        else fail_at(value.offset, "expected a string, number, true or false, found " + describe(value) +
                                       " (quote text: \"" + std::string(value.text) + "\")");
        break;
      default:
        fail_at(value.offset, "an attribute compares with a string, number, true or false, not " + describe(value));
    }
    const bool ordered = op.kind != token_kind::eq && op.kind != token_kind::ne;
    if (ordered && std::holds_alternative<bool>(wanted))
      fail_at(op.offset, "'" + std::string(op.text) + "' does not order true and false; use '=' or '!='");
    return attribute.compare(to_compare_op(op.kind), std::move(wanted));
  }

  static compare_op to_compare_op(token_kind k) {
    switch (k) {
      case token_kind::ne: return compare_op::ne;
      case token_kind::lt: return compare_op::lt;
      case token_kind::le: return compare_op::le;
      case token_kind::gt: return compare_op::gt;
      case token_kind::ge: return compare_op::ge;
      default: return compare_op::eq;
    }
  }

  std::string text_value(const query_token& value, const char* what) const {
    if (value.kind == token_kind::string) return value.string;
    if (value.kind == token_kind::identifier) return std::string(value.text);  // a bare word is fine here
    fail_at(value.offset, std::string("expected ") + what + ", found " + describe(value));
  }
  status_code status_value(const query_token& value) const {
    auto code = status_code_from_string(value.kind == token_kind::string ? std::string_view(value.string) : value.text);
    if (!code || (value.kind != token_kind::identifier && value.kind != token_kind::string))
      fail_at(value.offset, "expected a status (ok, error, unset), found " + describe(value));
    return *code;
  }
  span_kind kind_value(const query_token& value) const {
    auto k = span_kind_from_string(value.kind == token_kind::string ? std::string_view(value.string) : value.text);
    if (!k || (value.kind != token_kind::identifier && value.kind != token_kind::string))
      fail_at(value.offset, "expected a kind (server, client, producer, consumer, internal, unspecified), found " +
                                describe(value));
    return *k;
  }
  trace_id trace_id_value(const query_token& value) const {
    std::string_view hex = value.kind == token_kind::string ? std::string_view(value.string) : value.text;
    try {
      return trace_id::parse(hex);
    } catch (const error&) {
      fail_at(value.offset, "expected a trace id (32 hex digits, not all zero), found " + describe(value));
    }
  }
  std::uint64_t duration_value(const query_token& value) const {
    if (value.kind == token_kind::duration) return value.nanoseconds;
    if (value.kind == token_kind::number)
      fail_at(value.offset, "a duration needs a unit (ns, us, ms, s, m, h): " + std::string(value.text) + "ms, say");
    fail_at(value.offset, "expected a duration such as 250ms, found " + describe(value));
  }
  std::uint64_t time_value(const query_token& value) const {
    if (value.kind == token_kind::time) return value.nanoseconds;
    if (value.kind == token_kind::string) {
      try {
        return parse_rfc3339(value.string);
      } catch (const error& e) {
        fail_at(value.offset, e.message());
      }
    }
    if (auto* n = std::get_if<std::int64_t>(&value.number); value.kind == token_kind::number && n && *n >= 0)
      return static_cast<std::uint64_t>(*n);
    fail_at(value.offset, "expected a time (2024-05-01T12:00:00Z or nanoseconds since the epoch), found " + describe(value));
  }

  // ---- lexer ----

  static bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-' || c == '/';
  }

  void advance() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    current_ = query_token{};
    current_.offset = pos_;
    if (pos_ >= text_.size()) return;
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto symbol = [this](token_kind kind, std::size_t length) {
      current_.kind = kind;
      current_.text = text_.substr(pos_, length);
      pos_ += length;
    };
    switch (c) {
      case '(': return symbol(token_kind::lparen, 1);
      case ')': return symbol(token_kind::rparen, 1);
      case '{': return symbol(token_kind::lbrace, 1);
      case '}': return symbol(token_kind::rbrace, 1);
      case '&':
        if (next == '&') return symbol(token_kind::and_, 2);
        fail_at(pos_, "a single '&'; write '&&' for \"and\"");
      case '|':
        if (next == '|') return symbol(token_kind::or_, 2);
        fail_at(pos_, "a single '|'; write '||' for \"or\"");
      case '!':
        if (next == '=') return symbol(token_kind::ne, 2);
        if (next == '~') return symbol(token_kind::regex_no_match, 2);
        return symbol(token_kind::not_, 1);
      case '=':
        if (next == '~') return symbol(token_kind::regex_match, 2);
        if (next == '=') return symbol(token_kind::eq, 2);  // `==` is forgiven
        return symbol(token_kind::eq, 1);
      case '<': return next == '=' ? symbol(token_kind::le, 2) : symbol(token_kind::lt, 1);
      case '>': return next == '=' ? symbol(token_kind::ge, 2) : symbol(token_kind::gt, 1);
      case '"': return string_literal();
      case '~': return symbol(token_kind::text_match, 1);
      default: break;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && std::isdigit(static_cast<unsigned char>(next))))
      return number_literal();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
      const std::size_t begin = pos_;
      while (pos_ < text_.size() && word_char(text_[pos_])) ++pos_;
      current_.kind = token_kind::identifier;
      current_.text = text_.substr(begin, pos_ - begin);
      return;
    }
    fail_at(pos_, "unexpected character '" + std::string(1, c) + "'");
  }

  void string_literal() {
    const std::size_t begin = pos_;
    current_.string = traceql::detail::read_quoted(text_, pos_, begin);
    current_.kind = token_kind::string;
    current_.text = text_.substr(begin, pos_ - begin);
  }

  // 42, -7, 0.5, 250ms, 1.5s, 2024-05-01T12:00:00Z
  void number_literal() {
    const std::size_t begin = pos_;
    if (text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ - begin == 4 && pos_ < text_.size() && text_[pos_] == '-') {  // a date: read the whole time
      while (pos_ < text_.size() && (word_char(text_[pos_]) || text_[pos_] == '+')) ++pos_;
      current_.kind = token_kind::time;
      current_.text = text_.substr(begin, pos_ - begin);
      try {
        current_.nanoseconds = parse_rfc3339(current_.text);
      } catch (const error& e) {
        fail_at(begin, e.message());
      }
      return;
    }
    bool fraction = false;
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
      fraction = true;
      ++pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    const std::string_view digits = text_.substr(begin, pos_ - begin);
    const std::size_t unit_begin = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    const std::string_view unit = text_.substr(unit_begin, pos_ - unit_begin);
    current_.text = text_.substr(begin, pos_ - begin);
    if (!unit.empty()) return duration_literal(begin, digits, unit);
    current_.kind = token_kind::number;
    if (fraction) {
      double d = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (ec != std::errc{} || end != digits.data() + digits.size()) fail_at(begin, "bad number '" + std::string(digits) + "'");
      current_.number = d;
    } else {
      std::int64_t i = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (ec != std::errc{} || end != digits.data() + digits.size())
        fail_at(begin, "number '" + std::string(digits) + "' does not fit in 64 bits");
      current_.number = i;
    }
  }

  void duration_literal(std::size_t begin, std::string_view digits, std::string_view unit) {
    struct named { std::string_view name; duration_ns scale; };
    constexpr named units[] = {{"ns", nanosecond}, {"us", microsecond}, {"ms", millisecond},
                               {"s", second},       {"m", minute},      {"h", hour}};
    const named* found = nullptr;
    for (const named& u : units)
      if (u.name == unit) found = &u;
    if (!found) fail_at(begin + digits.size(), "unknown duration unit '" + std::string(unit) + "' (ns, us, ms, s, m, h)");
    if (digits.starts_with('-')) fail_at(begin, "a duration cannot be negative");
    double value = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const double ns = value * static_cast<double>(found->scale);
    if (!(ns < 1.8e19)) fail_at(begin, "duration '" + std::string(current_.text) + "' is too long");
    current_.kind = token_kind::duration;
    current_.nanoseconds = static_cast<std::uint64_t>(ns + 0.5);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  query_token current_;
  std::size_t nesting_ = 0;  // parentheses open around the current token
};

}  // namespace detail

inline filter parse_traceql(std::string_view text) { return detail::traceql_parser(text).parse(); }

inline traceql::query parse_traceql_query(std::string_view text) {
  std::size_t first = 0;
  while (first < text.size() && (std::isspace(static_cast<unsigned char>(text[first])) || text[first] == '(')) ++first;
  if (first < text.size() && text[first] == '{') return traceql::detail::parser(text).parse();
  traceql::field_expr bare;
  bare.shape = traceql::field_expr::form::legacy;
  bare.where = std::make_shared<const filter>(parse_traceql(text));
  traceql::query q;
  traceql::pipeline_stage stage;
  stage.spans.where = std::move(bare);
  q.spans.stages.push_back(std::move(stage));
  return q;
}

}  // namespace v0
}  // namespace trace
