# version-agreement: every place that states trace's version agrees with project(VERSION)
# (cmake/check-version.cmake); with the install rules, also the generated trace.pc and
# package version file.
set(trace_version_build_dir "")
if(TRACE_INSTALL)
  set(trace_version_build_dir "${PROJECT_BINARY_DIR}")
endif()
add_test(NAME version-agreement
  COMMAND "${CMAKE_COMMAND}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DBUILD_DIR=${trace_version_build_dir}"
          -P "${PROJECT_SOURCE_DIR}/cmake/check-version.cmake")
