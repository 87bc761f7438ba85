# The command-line programs installed with the package when TRACE_INSTALL_TOOLS is ON, as the
# component `tools` (`cmake --install build --component tools` installs only them). A program
# joins by adding its target name to this list.
include(GNUInstallDirs)

set(TRACE_TOOLS tracectl)
if(TARGET trace-server)  # built where Boost is found and TRACE_BUILD_SERVER is ON
  list(APPEND TRACE_TOOLS trace-server)
endif()

install(TARGETS ${TRACE_TOOLS}
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  COMPONENT tools)
