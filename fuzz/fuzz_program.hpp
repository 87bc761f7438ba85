// The libFuzzer entry points of a program holding several fuzz targets (fuzz/CMakeLists.txt
// compiles each group of targets as one translation unit, so that the library is parsed and
// code-generated once per group rather than once per target). The target is chosen by the
// name the program was started under: `fuzz_json` is a link to the program holding the
// target `json`. The generated source defines `trace_fuzz::targets`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace trace_fuzz {

struct target {
  std::string_view name;
  int (*test_one_input)(const std::uint8_t* data, std::size_t size);
  int (*initialize)(int* argc, char*** argv);  // null when the target needs no set-up
};

extern const std::span<const target> targets;

inline const target* chosen = nullptr;

// "build/fuzz/fuzz_json" -> "json"
inline std::string_view target_name(std::string_view program) {
  if (const auto slash = program.rfind('/'); slash != std::string_view::npos) program.remove_prefix(slash + 1);
  if (program.starts_with("fuzz_")) program.remove_prefix(5);
  return program;
}

}  // namespace trace_fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  const std::string_view name = trace_fuzz::target_name(*argc > 0 ? (*argv)[0] : "");
  for (const trace_fuzz::target& candidate : trace_fuzz::targets) {
    if (candidate.name != name) continue;
    trace_fuzz::chosen = &candidate;
    return candidate.initialize != nullptr ? candidate.initialize(argc, argv) : 0;
  }
  std::fprintf(stderr, "no fuzz target named \"%.*s\" in this program; start it as fuzz_<target>, one of:",
               static_cast<int>(name.size()), name.data());
  for (const trace_fuzz::target& candidate : trace_fuzz::targets)
    std::fprintf(stderr, " %.*s", static_cast<int>(candidate.name.size()), candidate.name.data());
  std::fprintf(stderr, "\n");
  std::exit(2);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return trace_fuzz::chosen->test_one_input(data, size);
}
