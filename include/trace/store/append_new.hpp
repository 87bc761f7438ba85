#pragma once
// Idempotent appends: store only the spans of a batch that the store does not hold yet, so
// importing a file again (after an interrupted import, or one stopped by the disk budget)
// adds what is missing and nothing twice.
//
//   trace::append_counts n = trace::append_new(store, std::move(batch));
//   // n.appended spans were stored; n.already_present were skipped
//
// A span is already present when the store holds one equal to it in every field (a NaN
// attribute value counts as equal to a NaN). Spans that merely share an id, as the client
// and server halves of one Zipkin RPC do, are distinct: both are kept. A span repeated
// within the batch is stored once. Works on any `span_store` whose spans are `span` or
// have `materialize()`; the store's spans are read through `find_trace`, once per distinct
// trace of the batch, and only those with the same id and times as a batch span are
// materialized, so a first import costs one index lookup per trace.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "trace/core/span.hpp"
#include "trace/store/concepts.hpp"

namespace trace {
inline namespace v0 {

struct append_counts {
  std::size_t appended = 0;         // new spans, stored
  std::size_t already_present = 0;  // equal to a stored span (or to an earlier one of the batch), skipped
};

// Equal in every field, a NaN attribute value being equal to a NaN at the same place.
bool same_span(const span& a, const span& b);

// Appends the spans of `batch` that `store` does not hold yet (see above), in batch order,
// with one `store.append`, so a refused append stores none of them.
template <span_store S>
append_counts append_new(S& store, std::vector<span> batch);

// ---------------------------------------------------------------------------------------

namespace detail {

// Every attribute list of a span, in a fixed order.
template <class Span, class F>
void for_each_attribute_list(Span& s, F&& f) {
  f(s.attributes);
  f(s.resource.attributes);
  f(s.scope.attributes);
  for (auto& e : s.events) f(e.attributes);
  for (auto& l : s.links) f(l.attributes);
}

inline bool holds_nan(const attribute_value& v) {
  if (const auto* d = std::get_if<double>(&v)) return std::isnan(*d);
  if (const auto* list = std::get_if<std::vector<double>>(&v))
    return std::any_of(list->begin(), list->end(), [](double d) { return std::isnan(d); });
  return false;
}

// Where both values hold a NaN at the same place, both get 0 there instead, so that `==`
// can compare the rest. Returns false when nothing changed.
inline bool neutralise_shared_nans(attribute_value& a, attribute_value& b) {
  if (auto* x = std::get_if<double>(&a)) {
    auto* y = std::get_if<double>(&b);
    if (!y || !std::isnan(*x) || !std::isnan(*y)) return false;
    *x = *y = 0;
    return true;
  }
  auto* xs = std::get_if<std::vector<double>>(&a);
  auto* ys = std::get_if<std::vector<double>>(&b);
  if (!xs || !ys || xs->size() != ys->size()) return false;
  bool changed = false;
  for (std::size_t i = 0; i < xs->size(); ++i)
    if (std::isnan((*xs)[i]) && std::isnan((*ys)[i])) (*xs)[i] = (*ys)[i] = 0, changed = true;
  return changed;
}

template <class Span>
auto identity_of(const Span& s) {
  return std::tuple(span_id_of(s), start_of(s), end_of(s));
}

template <class Stored>
span materialized(const Stored& s) {
  if constexpr (std::same_as<Stored, span>) return s;
  else return s.materialize();
}

}  // namespace detail

inline bool same_span(const span& a, const span& b) {
  if (a == b) return true;
  // `==` finds NaN unequal to itself; only then is a closer look worth two copies.
  bool nan = false;
  detail::for_each_attribute_list(a, [&nan](const attributes& list) {
    for (const auto& item : list) nan = nan || detail::holds_nan(item.value);
  });
  if (!nan || a.events.size() != b.events.size() || a.links.size() != b.links.size()) return false;
  span x = a, y = b;
  std::vector<attributes*> xs, ys;
  detail::for_each_attribute_list(x, [&xs](attributes& list) { xs.push_back(&list); });
  detail::for_each_attribute_list(y, [&ys](attributes& list) { ys.push_back(&list); });
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (xs[i]->size() != ys[i]->size()) return false;
    std::vector<std::pair<basic_attribute<std::string>, basic_attribute<std::string>>> changed;
    for (auto p = xs[i]->begin(), q = ys[i]->begin(); p != xs[i]->end(); ++p, ++q) {
      if (p->key != q->key) return false;
      attribute_value u = p->value, v = q->value;
      if (detail::neutralise_shared_nans(u, v)) changed.push_back({{p->key, std::move(u)}, {q->key, std::move(v)}});
    }
    for (auto& [u, v] : changed) {  // `set` replaces in place: the order, which `==` sees, is kept
      xs[i]->set(std::move(u.key), std::move(u.value));
      ys[i]->set(std::move(v.key), std::move(v.value));
    }
  }
  return x == y;
}

template <span_store S>
append_counts append_new(S& store, std::vector<span> batch) {
  // The batch's rows by trace, then by (id, start, end): a trace's rows are one run, and
  // within it the candidates for equality are neighbours.
  std::vector<std::size_t> rows(batch.size());
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  auto key_of = [&batch](std::size_t row) { return std::tuple_cat(std::tuple(batch[row].trace), detail::identity_of(batch[row])); };
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return key_of(a) < key_of(b); });
  using identity = decltype(detail::identity_of(batch.front()));

  std::vector<bool> present(batch.size(), false);
  for (std::size_t first = 0; first < rows.size();) {
    const trace_id id = batch[rows[first]].trace;
    std::size_t last = first;
    while (last < rows.size() && batch[rows[last]].trace == id) ++last;
    struct by_identity {
      const std::vector<span>* batch;
      bool operator()(std::size_t row, const identity& key) const { return detail::identity_of((*batch)[row]) < key; }
      bool operator()(const identity& key, std::size_t row) const { return key < detail::identity_of((*batch)[row]); }
    };
    for (const auto& stored : store.find_trace(id)) {
      const auto [from, to] = std::equal_range(rows.begin() + static_cast<std::ptrdiff_t>(first),
                                               rows.begin() + static_cast<std::ptrdiff_t>(last),
                                               detail::identity_of(stored), by_identity{&batch});
      if (from == to) continue;
      const span copy = detail::materialized(stored);
      for (auto row = from; row != to; ++row)
        if (!present[*row] && same_span(batch[*row], copy)) present[*row] = true;
    }
    // Repeats within the batch: the first of equal spans stays (the sort kept batch order).
    for (std::size_t i = first; i < last; ++i) {
      if (present[rows[i]]) continue;
      for (std::size_t j = i + 1; j < last && detail::identity_of(batch[rows[j]]) == detail::identity_of(batch[rows[i]]); ++j)
        if (!present[rows[j]] && same_span(batch[rows[i]], batch[rows[j]])) present[rows[j]] = true;
    }
    first = last;
  }

  append_counts counts;
  if (std::find(present.begin(), present.end(), true) == present.end()) {  // all new: the batch as it is
    counts.appended = batch.size();
    if (!batch.empty()) store.append(batch);
    return counts;
  }
  std::vector<span> fresh;
  fresh.reserve(batch.size());
  for (std::size_t row = 0; row < batch.size(); ++row) {
    if (present[row]) ++counts.already_present;
    else fresh.push_back(std::move(batch[row]));
  }
  counts.appended = fresh.size();
  if (!fresh.empty()) store.append(fresh);
  return counts;
}

}  // namespace v0
}  // namespace trace
