# Test files linked into one runner must not define the same name outside an anonymous
# namespace: two different `struct fixture`s with inline members would be merged by the
# linker without a word, and one file would silently run the other's code.
#
#   cmake -DNM=<nm> -DRUNNER=<name> -DOBJECTS=<a.o;b.o;...> -P check-test-names.cmake
#
# Lists the external symbols each object defines (nm), keeps those that are not the
# library's, the standard library's, Catch2's or the toolchain's, and fails naming every one
# defined by more than one object.
cmake_minimum_required(VERSION 3.23)  # list() keeps empty elements (CMP0007)

# Mangled names of the library, the standard library (St, and its abbreviations Sa Sb Ss Si
# So Sd), Catch2, the ABI and the shared test helpers (namespaces trace_test, test_support
# and api_test, whose inline definitions are meant to be one), also as vtables, typeinfo, guard variables
# and function-local statics and lambdas (nested: ZZ...), reference temporaries and thunks; unmangled names beginning with "_"
# or "DW." belong to the toolchain.
set(ignored "^_Z(T[VISTHWC]|G[VR]|Th-?n?[0-9]+_|Tv[0-9n_]+_|Tc[0-9hvn_]+_)?Z*N?[rVKRO]*(S[tabsiod]|5trace|5Catch|9__gnu_cxx|10__cxxabiv1|10trace_test|8api_test|12test_support)")
set(toolchain "^(_[^Z]|DW\\.)")
set(clashes "")
foreach(object IN LISTS OBJECTS)
  # The same symbol table twice, in table order: raw names to filter, demangled to report.
  execute_process(COMMAND "${NM}" --no-sort --defined-only --extern-only "${object}"
    OUTPUT_VARIABLE raw RESULT_VARIABLE failed)
  execute_process(COMMAND "${NM}" --no-sort --defined-only --extern-only -C "${object}"
    OUTPUT_VARIABLE readable RESULT_VARIABLE failed_too)
  if(failed OR failed_too)
    message(FATAL_ERROR "${NM} could not read ${object}")
  endif()
  get_filename_component(file "${object}" NAME_WE)
  string(REPLACE ";" "\\;" raw "${raw}")
  string(REPLACE ";" "\\;" readable "${readable}")
  string(REPLACE "\n" ";" raw_lines "${raw}")
  string(REPLACE "\n" ";" readable_lines "${readable}")
  list(LENGTH raw_lines count)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    list(GET raw_lines ${i} line)
    # "<address> <type> <name>"
    if(NOT line MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
      continue()
    endif()
    set(name "${CMAKE_MATCH_1}")
    if(name MATCHES "${ignored}" OR name MATCHES "${toolchain}")
      continue()
    endif()
    list(GET readable_lines ${i} shown)
    string(REGEX REPLACE "^[0-9a-fA-F]+ [A-Za-z] " "" shown "${shown}")
    string(MD5 key "${name}")
    if(DEFINED seen_${key} AND NOT seen_${key} STREQUAL file)
      list(APPEND clashes "  ${shown}: ${seen_${key}} and ${file}")
    else()
      set(seen_${key} "${file}")
    endif()
  endforeach()
endforeach()
if(clashes)
  list(REMOVE_DUPLICATES clashes)
  list(JOIN clashes "\n" text)
  # A warning, not an error: what a compiler emits as a weak symbol varies (thunks, lambdas,
  # temporaries), and a name this filter does not know must not stop the build.
  message(WARNING "${RUNNER}: test files define the same names; put them in an anonymous namespace:\n${text}")
endif()
list(LENGTH OBJECTS count)
message(STATUS "${RUNNER}: ${count} test files, no shared names")
