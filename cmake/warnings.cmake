# Strict warnings for everything the project itself compiles (tests, examples, benchmarks).
add_library(trace_warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(trace_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror)
endif()
