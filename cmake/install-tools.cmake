# The command-line programs installed with the package when TRACE_INSTALL_TOOLS is ON, as the
# component `tools` (`cmake --install build --component tools` installs only them). A program
# joins by adding its target name to this list.
include(GNUInstallDirs)

set(TRACE_TOOLS tracectl)

install(TARGETS ${TRACE_TOOLS}
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  COMPONENT tools)
