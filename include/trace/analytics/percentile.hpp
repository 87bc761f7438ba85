#pragma once
// Exact percentiles by selection, not sorting.
//
// Definition (nearest rank on the sorted values, as Tael's percentiles are computed): the
// p-quantile of n values is the value at zero-based index round((n − 1) · p) of the values
// in ascending order, rounding halves up. So p50 of {a ≤ b} is b, p50 of one value is that
// value, and any percentile of no values is 0.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include "trace/core/error.hpp"

namespace trace {
inline namespace v0 {

// Index of the p-quantile among n sorted values (n > 0).
constexpr std::size_t percentile_index(std::size_t n, double p) noexcept {
  double position = static_cast<double>(n - 1) * p;
  return static_cast<std::size_t>(position + 0.5);
}

// Percentiles `ps` (each in [0, 1], ascending) of `values`, which are reordered.
// O(n) expected: each selection runs on what is left to the right of the previous one.
template <class T>
std::vector<T> percentiles(std::span<T> values, std::span<const double> ps) {
  std::vector<T> out(ps.size(), T{});
  if (values.empty()) return out;
  std::size_t from = 0;
  double previous = 0;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (!(ps[i] >= 0.0 && ps[i] <= 1.0) || ps[i] < previous)
      throw error(errc::invalid_argument, "percentiles must lie in [0, 1] in ascending order");
    previous = ps[i];
    std::size_t k = percentile_index(values.size(), ps[i]);
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(k);
    if (k >= from) std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(from), nth, values.end());
    out[i] = *nth;
    from = k;
  }
  return out;
}

template <class T>
T percentile(std::span<T> values, double p) {
  return percentiles(values, std::span<const double>(&p, 1)).front();
}

}  // namespace v0
}  // namespace trace
