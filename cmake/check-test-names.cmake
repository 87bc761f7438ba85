# Test files linked into one runner must not define the same name outside an anonymous
# namespace: two different `struct fixture`s with inline members would be merged by the
# linker without a word, and one file would silently run the other's code.
#
#   cmake -DNM=<nm> -DRUNNER=<name> -DOBJECTS=<a.o;b.o;...> -P check-test-names.cmake
#
# Lists the external symbols each object defines (nm -C), keeps those that are not the
# library's, the standard library's or Catch2's, and fails naming every one defined by more
# than one object.
set(ignored "^(std::|Catch::|trace::|__gnu_cxx::|__cxxabiv1::|operator new|operator delete)")
set(ignored_prefix "^((vtable|typeinfo|typeinfo name|VTT|guard variable|construction vtable) for |TLS (init|wrapper) function for )")
set(owners "")
set(clashes "")
foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND "${NM}" -C --defined-only --extern-only "${object}"
    OUTPUT_VARIABLE listing RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${NM} could not read ${object}")
  endif()
  get_filename_component(file "${object}" NAME_WE)
  string(REPLACE "\n" ";" lines "${listing}")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>"
    if(NOT line MATCHES "^[0-9a-fA-F]+ [A-Za-z] (.+)$")
      continue()
    endif()
    set(name "${CMAKE_MATCH_1}")
    string(REGEX REPLACE "${ignored_prefix}" "" bare "${name}")
    if(bare MATCHES "${ignored}" OR bare MATCHES "^_")
      continue()
    endif()
    string(MD5 key "${name}")
    if(DEFINED seen_${key} AND NOT seen_${key} STREQUAL file)
      list(APPEND clashes "  ${name}: ${seen_${key}} and ${file}")
    else()
      set(seen_${key} "${file}")
    endif()
  endforeach()
endforeach()
if(clashes)
  list(REMOVE_DUPLICATES clashes)
  list(JOIN clashes "\n" text)
  message(FATAL_ERROR "${RUNNER}: test files define the same names; put them in an anonymous namespace:\n${text}")
endif()
list(LENGTH OBJECTS count)
message(STATUS "${RUNNER}: ${count} test files, no shared names")
