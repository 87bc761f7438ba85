#pragma once
// An attribute value as plain JSON (true, 42, 0.5, "text", [1,2]), for exports whose
// readers want native JSON values: Chrome trace `args`, the CSV attributes column.
// Non-finite doubles, which JSON cannot hold, are written as strings ("inf", "nan").

#include <cmath>
#include <string_view>
#include <type_traits>
#include <variant>

#include "trace/core/attribute.hpp"
#include "trace/io/json_writer.hpp"

namespace trace {
inline namespace v0 {
namespace json {

template <class T>
void write_scalar(writer& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) w.boolean(v);
  else if constexpr (std::is_same_v<T, std::int64_t>) w.number(v);
  else if constexpr (std::is_same_v<T, double>) std::isfinite(v) ? w.number(v) : w.string(std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
  else w.string(std::string_view(v));
}

template <class String>
void write_attribute_value(writer& w, const basic_attribute_value<String>& value) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (::trace::detail::is_vector<T>::value) {
          w.begin_array();
          for (const auto& item : v) write_scalar(w, static_cast<typename T::value_type>(item));
          w.end_array();
        } else {
          write_scalar(w, v);
        }
      },
      value);
}

}  // namespace json
}  // namespace v0
}  // namespace trace
