# trace's vcpkg port (docs/PACKAGING.md). Its source is a tarball of the repository beside
# this file, made by .ci/steps/packaging.sh, so installing needs no network; a port published
# to a registry fetches the release instead, as docs/PACKAGING.md shows (vcpkg_from_github).
set(source_archive "${CMAKE_CURRENT_LIST_DIR}/trace-${VERSION}.tar.gz")
if(NOT EXISTS "${source_archive}")
  message(FATAL_ERROR "trace port: no source tarball ${source_archive} (make it from the repository: "
    ".ci/steps/packaging.sh shows how)")
endif()
vcpkg_extract_source_archive(SOURCE_PATH ARCHIVE "${source_archive}")

# Headers are the same in every configuration, and the tools need no debug build.
set(VCPKG_BUILD_TYPE release)

vcpkg_check_features(OUT_FEATURE_OPTIONS feature_options
  FEATURES
    tools TRACE_INSTALL_TOOLS)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DTRACE_BUILD_TESTS=OFF
    -DTRACE_BUILD_EXAMPLES=OFF
    -DTRACE_BUILD_BENCH=OFF
    -DTRACE_INSTALL=ON
    ${feature_options})
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME trace CONFIG_PATH share/trace)
vcpkg_fixup_pkgconfig()

if("tools" IN_LIST FEATURES)
  vcpkg_copy_tools(TOOL_NAMES tracectl AUTO_CLEAN)
endif()

# vcpkg keeps the licence as share/trace/copyright; the README is the project's own docs.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
