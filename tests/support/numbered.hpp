#pragma once
// "k7" from ("k", 7), built by appending: g++ 12 at -O3 warns falsely (-Wrestrict, GCC bug
// 105329) on `"k" + std::to_string(7)` once inlined, and the tests build with -Werror.
#include <cstdint>
#include <string>
#include <string_view>

namespace trace_test {

inline std::string numbered(std::string_view prefix, std::uint64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

}  // namespace trace_test
