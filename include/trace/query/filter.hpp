#pragma once
// Composable span predicates. A `filter` is a small value tree (so it can be built at run
// time from a query string or a Jaeger request, stored, copied and printed) evaluated on
// any `span_like` type:
//
//   using namespace trace::where;
//   trace::filter f = service("api") && min_duration(100 * trace::millisecond) &&
//                     (status(trace::status_code::error) || attribute("http.status_code") >= 500);
//   bool hit = trace::matches(f, some_span);
//
// Every walk over the tree (evaluation, the row filter, SQL push-down, copies) recurses, so
// a filter nests at most `filter::max_depth` levels: building a deeper one throws.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/attribute.hpp"
#include "trace/core/error.hpp"
#include "trace/core/span_traits.hpp"
#include "trace/query/regex.hpp"
#include "trace/query/text_query.hpp"

namespace trace {
inline namespace v0 {

enum class compare_op : std::uint8_t { exists, eq, ne, lt, le, gt, ge, contains };

class filter;

namespace filters {
struct match_all {};
struct trace_is { trace_id id; };
struct service_is { std::string name; };
struct operation_is { std::string name; };
struct operation_contains { std::string text; };
struct status_is { status_code code; };
struct kind_is { span_kind kind; };
// The span's instrumentation scope: each part given equals the scope's (exact bytes; an
// empty string asks for an empty one). Spans that are not `scoped_span_like` never match.
struct scope_is {
  std::optional<std::string> name{};
  std::optional<std::string> version{};
};
struct duration_within { duration_ns min = 0; duration_ns max = std::numeric_limits<duration_ns>::max(); };  // inclusive
struct start_within { timestamp_ns min = 0; timestamp_ns max = std::numeric_limits<timestamp_ns>::max(); };   // inclusive
// True when SOME attribute named `key`, in one of `scopes`, passes the test.
struct attribute_test {
  std::string key;
  compare_op op = compare_op::exists;
  attribute_value value{};
  std::uint8_t scopes = all_attribute_scopes;  // bit set of attribute_scope
};
// A regular expression (trace::regex: RE2 syntax, linear time, matching the whole text, as
// TraceQL's `=~`) on the span name, the service, or string attributes named `key` in `scopes`.
enum class regex_target : std::uint8_t { name, service, attribute };
struct regex_test {
  regex_target target = regex_target::name;
  std::string key{};
  std::uint8_t scopes = all_attribute_scopes;
  std::string pattern{};
  std::shared_ptr<const regex> compiled{};  // shared: filters are copied freely
};
// Full-text search (text_query.hpp): the span's words satisfy the query. A store with a
// text index reads only the rows it names, then tests each as here.
struct text_match {
  std::shared_ptr<const text_query> query{};  // shared: filters are copied freely
};
struct all_of { std::vector<filter> items; };
struct any_of { std::vector<filter> items; };
struct negation { std::shared_ptr<const filter> item; };
}  // namespace filters

class filter {
 public:
  using node = std::variant<filters::match_all, filters::trace_is, filters::service_is, filters::operation_is,
                            filters::operation_contains, filters::status_is, filters::kind_is,
                            filters::scope_is, filters::duration_within, filters::start_within, filters::attribute_test,
                            filters::regex_test, filters::text_match, filters::all_of, filters::any_of, filters::negation>;

  // Levels of nesting a filter may have (a test alone is 1); deeper ones are refused with
  // errc::invalid_argument, so that no walk over the tree runs out of stack.
  static constexpr std::size_t max_depth = 1000;

  filter() = default;
  template <class Node>
    requires std::is_constructible_v<node, Node&&>
  filter(Node&& n) : node_(std::forward<Node>(n)), depth_(depth_of(node_)) {}

  const node& get() const noexcept { return node_; }
  std::size_t depth() const noexcept { return depth_; }

 private:
  friend filter operator&&(filter a, filter b);
  friend filter operator||(filter a, filter b);

  static std::size_t depth_of(const node& n);
  static std::size_t above(std::size_t below);  // the depth of a node over a child this deep
  template <class Group>
  static filter join(filter a, filter b);

  node node_{};
  std::size_t depth_ = 1;
};

inline std::size_t filter::depth_of(const node& n) {
  std::size_t below = 0;
  if (auto* all = std::get_if<filters::all_of>(&n))
    for (const filter& item : all->items) below = std::max(below, item.depth_);
  if (auto* any = std::get_if<filters::any_of>(&n))
    for (const filter& item : any->items) below = std::max(below, item.depth_);
  if (auto* negation = std::get_if<filters::negation>(&n); negation && negation->item) below = negation->item->depth_;
  return above(below);
}

inline std::size_t filter::above(std::size_t below) {
  if (below >= max_depth)
    throw error(errc::invalid_argument, "a filter nested " + std::to_string(below + 1) + " levels deep; the limit is " +
                                            std::to_string(max_depth));
  return below + 1;
}

// `a && b` appends to `a` when it already is an `and` (in place: chains of n terms build in
// O(n), not O(n^2)); likewise for `||`.
template <class Group>
filter filter::join(filter a, filter b) {
  if (auto* left = std::get_if<Group>(&a.node_)) {
    a.depth_ = std::max(a.depth_, above(b.depth_));
    left->items.push_back(std::move(b));
    return a;
  }
  Group both;
  both.items.reserve(2);  // not an initializer list, which would copy both trees
  both.items.push_back(std::move(a));
  both.items.push_back(std::move(b));
  return filter(std::move(both));
}

inline filter operator&&(filter a, filter b) { return filter::join<filters::all_of>(std::move(a), std::move(b)); }
inline filter operator||(filter a, filter b) { return filter::join<filters::any_of>(std::move(a), std::move(b)); }
inline filter operator!(filter a) { return filters::negation{std::make_shared<const filter>(std::move(a))}; }

namespace detail {
// Throws `regex_error` (errc::parse_error) quoting the pattern when it is not a valid expression.
inline filter make_regex_test(filters::regex_target target, std::string key, std::uint8_t scopes,
                              std::string_view pattern) {
  auto compiled = std::make_shared<const regex>(pattern);
  return filters::regex_test{target, std::move(key), scopes, std::string(pattern), std::move(compiled)};
}
}  // namespace detail

// Builders, meant to be used with `using namespace trace::where`.
namespace where {

inline filter any() { return filters::match_all{}; }
inline filter in_trace(trace_id id) { return filters::trace_is{id}; }
inline filter service(std::string_view name) { return filters::service_is{std::string(name)}; }
inline filter operation(std::string_view name) { return filters::operation_is{std::string(name)}; }
inline filter operation_contains(std::string_view text) { return filters::operation_contains{std::string(text)}; }
inline filter operation_matches(std::string_view pattern) {
  return detail::make_regex_test(filters::regex_target::name, {}, all_attribute_scopes, pattern);
}
inline filter service_matches(std::string_view pattern) {
  return detail::make_regex_test(filters::regex_target::service, {}, all_attribute_scopes, pattern);
}
// Spans whose text satisfies a full-text query (text_query.hpp); a bad query throws
// `error(errc::parse_error)`.
inline filter text(std::string_view query) { return filters::text_match{std::make_shared<const text_query>(query)}; }
inline filter status(status_code code) { return filters::status_is{code}; }
inline filter kind(span_kind k) { return filters::kind_is{k}; }
// The instrumentation scope's name or version (combine both with `&&`).
inline filter scope_name(std::string_view name) { return filters::scope_is{std::string(name), std::nullopt}; }
inline filter scope_version(std::string_view version) { return filters::scope_is{std::nullopt, std::string(version)}; }
inline filter min_duration(duration_ns d) { return filters::duration_within{d}; }
inline filter max_duration(duration_ns d) { return filters::duration_within{0, d}; }
inline filter duration_between(duration_ns min, duration_ns max) { return filters::duration_within{min, max}; }
inline filter started_between(timestamp_ns min, timestamp_ns max) { return filters::start_within{min, max}; }

// `attribute("key") == 5`, `attribute("key", attribute_scope::resource).exists()`, ...
class attribute_ref {
 public:
  explicit attribute_ref(std::string_view key, std::uint8_t scopes = all_attribute_scopes)
      : key_(key), scopes_(scopes) {}

  filter exists() const { return make(compare_op::exists, attribute_value{}); }
  filter contains(std::string_view text) const { return make(compare_op::contains, std::string(text)); }
  // A string value matching the whole regular expression.
  filter matches(std::string_view pattern) const {
    return detail::make_regex_test(filters::regex_target::attribute, key_, scopes_, pattern);
  }
  filter compare(compare_op op, attribute_value value) const { return make(op, std::move(value)); }

  template <class T> filter operator==(T&& v) const { return make(compare_op::eq, to_value(std::forward<T>(v))); }
  template <class T> filter operator!=(T&& v) const { return make(compare_op::ne, to_value(std::forward<T>(v))); }
  template <class T> filter operator<(T&& v) const { return make(compare_op::lt, to_value(std::forward<T>(v))); }
  template <class T> filter operator<=(T&& v) const { return make(compare_op::le, to_value(std::forward<T>(v))); }
  template <class T> filter operator>(T&& v) const { return make(compare_op::gt, to_value(std::forward<T>(v))); }
  template <class T> filter operator>=(T&& v) const { return make(compare_op::ge, to_value(std::forward<T>(v))); }

 private:
  // Plain `int`s and string literals become int64 and std::string values.
  template <class T>
  static attribute_value to_value(T&& v) {
    using V = std::decay_t<T>;
    if constexpr (std::is_same_v<V, bool>) return v;
    else if constexpr (std::is_integral_v<V>) return static_cast<std::int64_t>(v);
    else if constexpr (std::is_floating_point_v<V>) return static_cast<double>(v);
    else if constexpr (std::is_convertible_v<T, std::string_view>) return std::string(std::string_view(v));
    else return attribute_value(std::forward<T>(v));
  }
  filter make(compare_op op, attribute_value value) const {
    return filters::attribute_test{key_, op, std::move(value), scopes_};
  }

  std::string key_;
  std::uint8_t scopes_;
};

inline attribute_ref attribute(std::string_view key, std::uint8_t scopes = all_attribute_scopes) {
  return attribute_ref(key, scopes);
}
inline attribute_ref attribute(std::string_view key, attribute_scope scope) {
  return attribute_ref(key, static_cast<std::uint8_t>(scope));
}

}  // namespace where

// ---- evaluation ----

namespace detail {

template <class Value>
std::optional<double> as_number(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

template <class String>
std::optional<std::string_view> as_text(const basic_attribute_value<String>& v) {
  if (auto* s = std::get_if<String>(&v)) return std::string_view(*s);
  return std::nullopt;
}

template <class Ordering>
bool ordering_passes(compare_op op, Ordering order) {
  switch (op) {
    case compare_op::eq: return order == 0;
    case compare_op::ne: return order != 0;
    case compare_op::lt: return order < 0;
    case compare_op::le: return order <= 0;
    case compare_op::gt: return order > 0;
    case compare_op::ge: return order >= 0;
    default: return false;
  }
}

// Numbers compare as numbers (int64 exactly), strings as strings, bools as bools; for
// equality of values of other types, their string forms compare (as Jaeger tags do).
template <class String>
bool attribute_passes(const basic_attribute_value<String>& actual, compare_op op, const attribute_value& wanted) {
  if (op == compare_op::exists) return true;
  if (op == compare_op::contains) {
    auto text = as_text(actual);
    auto needle = as_text(wanted);
    return text && needle && text->find(*needle) != std::string_view::npos;
  }
  auto* ai = std::get_if<std::int64_t>(&actual);
  auto* wi = std::get_if<std::int64_t>(&wanted);
  if (ai && wi) return ordering_passes(op, *ai <=> *wi);
  auto an = as_number(actual), wn = as_number(wanted);
  if (an && wn) return ordering_passes(op, *an <=> *wn);
  auto at = as_text(actual), wt = as_text(wanted);
  if (at && wt) return ordering_passes(op, *at <=> *wt);
  auto* ab = std::get_if<bool>(&actual);
  auto* wb = std::get_if<bool>(&wanted);
  if (ab && wb && (op == compare_op::eq || op == compare_op::ne)) return ordering_passes(op, *ab <=> *wb);
  // Qualified, so that no `to_string` declared in a `detail` namespace can hide it.
  if (op == compare_op::eq) return trace::to_string(actual) == trace::to_string(wanted);
  if (op == compare_op::ne) return trace::to_string(actual) != trace::to_string(wanted);
  return false;
}

}  // namespace detail

template <span_like S>
bool matches(const filter& f, const S& s);

namespace detail {

// Whether a scope with this name and version passes the test (shared with the row filter).
inline bool scope_passes(const filters::scope_is& t, std::string_view name, std::string_view version) {
  return (!t.name || name == *t.name) && (!t.version || version == *t.version);
}

template <span_like S>
struct filter_evaluator {
  const S& s;

  bool operator()(const filters::match_all&) const { return true; }
  bool operator()(const filters::trace_is& t) const { return trace_id_of(s) == t.id; }
  bool operator()(const filters::service_is& t) const { return service_of(s) == t.name; }
  bool operator()(const filters::operation_is& t) const { return name_of(s) == t.name; }
  bool operator()(const filters::operation_contains& t) const {
    return name_of(s).find(t.text) != std::string_view::npos;
  }
  bool operator()(const filters::status_is& t) const { return status_of(s) == t.code; }
  bool operator()(const filters::kind_is& t) const { return kind_of(s) == t.kind; }
  bool operator()(const filters::scope_is& t) const {
    if constexpr (scoped_span_like<S>)
      return scope_passes(t, scope_name_of(s), scope_version_of(s));
    else
      return false;
  }
  bool operator()(const filters::duration_within& t) const {
    duration_ns d = duration_of(s);
    return d >= t.min && d <= t.max;
  }
  bool operator()(const filters::start_within& t) const {
    timestamp_ns start = start_of(s);
    return start >= t.min && start <= t.max;
  }
  bool operator()(const filters::attribute_test& t) const {
    return visit_attributes(s, [&t](attribute_scope where, std::string_view key, const auto& value) {
      return (static_cast<std::uint8_t>(where) & t.scopes) && key == t.key &&
             attribute_passes(value, t.op, t.value);
    });
  }
  bool operator()(const filters::regex_test& t) const {
    auto passes = [&t](std::string_view text) { return t.compiled->full_match(text); };
    switch (t.target) {
      case filters::regex_target::name: return passes(name_of(s));
      case filters::regex_target::service: return passes(service_of(s));
      case filters::regex_target::attribute:
        return visit_attributes(s, [&](attribute_scope where, std::string_view key, const auto& value) {
          if (!(static_cast<std::uint8_t>(where) & t.scopes) || key != t.key) return false;
          auto text = as_text(value);
          return text && passes(*text);
        });
    }
    return false;
  }
  bool operator()(const filters::text_match& t) const { return t.query->matches(s); }
  bool operator()(const filters::all_of& t) const {
    for (const filter& item : t.items)
      if (!matches(item, s)) return false;
    return true;
  }
  bool operator()(const filters::any_of& t) const {
    for (const filter& item : t.items)
      if (matches(item, s)) return true;
    return false;
  }
  bool operator()(const filters::negation& t) const { return !matches(*t.item, s); }
};

}  // namespace detail

template <span_like S>
bool matches(const filter& f, const S& s) {
  return std::visit(detail::filter_evaluator<S>{s}, f.get());
}

}  // namespace v0
}  // namespace trace
