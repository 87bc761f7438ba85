include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Where traceConfig.cmake goes; overridable for distributions with other conventions.
set(TRACE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/trace"
  CACHE STRING "Install folder of trace's CMake package files")

install(TARGETS trace
  EXPORT traceTargets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT traceTargets
  NAMESPACE trace::
  DESTINATION "${TRACE_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/traceConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/traceConfig.cmake"
  INSTALL_DESTINATION "${TRACE_INSTALL_CMAKEDIR}")

write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/traceConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)

install(FILES
  "${PROJECT_BINARY_DIR}/traceConfig.cmake"
  "${PROJECT_BINARY_DIR}/traceConfigVersion.cmake"
  DESTINATION "${TRACE_INSTALL_CMAKEDIR}")

install(FILES LICENSE README.md DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/trace")
