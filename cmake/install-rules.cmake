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

# pkg-config. The include folder is given relative to the .pc file's own place (${pcfiledir})
# so that an installed tree still works after it is moved, as vcpkg and Conan do.
set(TRACE_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
  CACHE STRING "Install folder of trace.pc")
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}" OR IS_ABSOLUTE "${TRACE_INSTALL_PKGCONFIGDIR}")
  set(TRACE_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH include_from_pc "/${TRACE_INSTALL_PKGCONFIGDIR}" "/${CMAKE_INSTALL_INCLUDEDIR}")
  set(TRACE_PC_INCLUDEDIR "\${pcfiledir}/${include_from_pc}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/trace.pc.in" "${PROJECT_BINARY_DIR}/trace.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/trace.pc" DESTINATION "${TRACE_INSTALL_PKGCONFIGDIR}")
