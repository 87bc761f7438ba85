# Fails when any place that states trace's version disagrees with CMake's
# project(trace VERSION ...), the one number the others follow.
#   cmake -DSOURCE_DIR=<repo> [-DBUILD_DIR=<configured build>] [-DREPORTED="what=1.2.3;..."]
#         -P cmake/check-version.cmake
# BUILD_DIR adds the generated trace.pc and traceConfigVersion.cmake; REPORTED adds versions
# that package managers printed after installing (.ci/steps/packaging.sh).
cmake_minimum_required(VERSION 3.23)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check-version: pass -DSOURCE_DIR=<repository>")
endif()

set(disagreements "")
macro(expect what found)
  if(NOT "${found}" STREQUAL "${version}")
    string(APPEND disagreements "\n  ${what}: '${found}'")
  endif()
endmacro()

file(READ "${SOURCE_DIR}/CMakeLists.txt" cmakelists)
if(NOT cmakelists MATCHES "project\\(trace[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+)\\.([0-9]+)\\.([0-9]+)")
  message(FATAL_ERROR "check-version: no project(trace VERSION x.y.z) in ${SOURCE_DIR}/CMakeLists.txt")
endif()
set(version "${CMAKE_MATCH_1}.${CMAKE_MATCH_2}.${CMAKE_MATCH_3}")
set(major ${CMAKE_MATCH_1})
set(minor ${CMAKE_MATCH_2})

# include/trace/version.hpp: the three numbers and the string.
file(READ "${SOURCE_DIR}/include/trace/version.hpp" header)
foreach(part MAJOR MINOR PATCH)
  if(header MATCHES "#define TRACE_VERSION_${part} ([0-9]+)")
    list(APPEND header_parts ${CMAKE_MATCH_1})
  else()
    list(APPEND header_parts "?")
  endif()
endforeach()
list(JOIN header_parts "." header_version)
expect("include/trace/version.hpp TRACE_VERSION_MAJOR/_MINOR/_PATCH" "${header_version}")
if(header MATCHES "#define TRACE_VERSION_STRING \"([^\"]*)\"")
  expect("include/trace/version.hpp TRACE_VERSION_STRING" "${CMAKE_MATCH_1}")
else()
  expect("include/trace/version.hpp TRACE_VERSION_STRING" "(missing)")
endif()

# The vcpkg port's manifest.
file(READ "${SOURCE_DIR}/ports/trace/vcpkg.json" manifest)
string(JSON port_version ERROR_VARIABLE json_error GET "${manifest}" "version")
expect("ports/trace/vcpkg.json \"version\"" "${port_version}")

# The Conan recipe reads the number from CMakeLists.txt; it must not state one of its own.
file(STRINGS "${SOURCE_DIR}/conanfile.py" recipe_version_lines REGEX "^[ \t]*version[ \t]*=")
if(recipe_version_lines)
  expect("conanfile.py (states its own version)" "${recipe_version_lines}")
endif()

if(BUILD_DIR)
  file(STRINGS "${BUILD_DIR}/trace.pc" pc_version REGEX "^Version:")
  string(REGEX REPLACE "^Version: *" "" pc_version "${pc_version}")
  expect("${BUILD_DIR}/trace.pc Version" "${pc_version}")

  # The package version file, asked the way find_package(trace <major>.<minor>) asks it.
  macro(ask_version_file find_major find_minor)
    set(PACKAGE_FIND_VERSION "${find_major}.${find_minor}")
    set(PACKAGE_FIND_VERSION_MAJOR ${find_major})
    set(PACKAGE_FIND_VERSION_MINOR ${find_minor})
    set(PACKAGE_FIND_VERSION_PATCH 0)
    set(PACKAGE_FIND_VERSION_TWEAK 0)
    set(PACKAGE_FIND_VERSION_COUNT 2)
    include("${BUILD_DIR}/traceConfigVersion.cmake")
  endmacro()
  ask_version_file(${major} ${minor})
  expect("${BUILD_DIR}/traceConfigVersion.cmake PACKAGE_VERSION" "${PACKAGE_VERSION}")
  if(NOT PACKAGE_VERSION_COMPATIBLE)
    string(APPEND disagreements "\n  traceConfigVersion.cmake refuses ${PACKAGE_FIND_VERSION}")
  endif()
  math(EXPR next_major "${major} + 1")
  ask_version_file(${next_major} 0)
  if(PACKAGE_VERSION_COMPATIBLE)
    string(APPEND disagreements "\n  traceConfigVersion.cmake accepts the incompatible ${PACKAGE_FIND_VERSION}")
  endif()
endif()

foreach(report IN LISTS REPORTED)
  string(REGEX MATCH "^(.*)=([^=]*)$" pair "${report}")
  expect("${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
endforeach()

if(disagreements)
  message(FATAL_ERROR "trace's version is ${version} (CMakeLists.txt project()), but:${disagreements}")
endif()
list(LENGTH REPORTED reported_count)
message(STATUS "trace ${version}: version.hpp, vcpkg.json and conanfile.py agree"
  " (also trace.pc and traceConfigVersion.cmake: ${BUILD_DIR}; reported by installers: ${reported_count})")
