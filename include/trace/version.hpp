#pragma once
// The library's version as macros, for code that must branch on it at preprocessing time.
// The number is CMake's `project(trace VERSION ...)`; the `version-agreement` test fails
// when this file, the Conan recipe, the vcpkg manifest or the installed package files
// disagree with it (cmake/check-version.cmake).

#define TRACE_VERSION_MAJOR 0
#define TRACE_VERSION_MINOR 2
#define TRACE_VERSION_PATCH 0
#define TRACE_VERSION_STRING "0.2.0"

// One comparable number: major * 10000 + minor * 100 + patch.
#define TRACE_VERSION (TRACE_VERSION_MAJOR * 10000 + TRACE_VERSION_MINOR * 100 + TRACE_VERSION_PATCH)
