# SPDX-License-Identifier: MIT
# cmake/tool_install.cmake -- included by tools/CMakeLists.txt: how a program of tools/ is
# installed (sockcalc_install_tool, called by sockcalc_tool) and the bash completion file that
# serves all of them. The library and the packages are cmake/install.cmake's.

find_program(SOCKCALC_HELP2MAN help2man)
if(NOT SOCKCALC_HELP2MAN)
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()
set(SOCKCALC_MAN_DIR ${PROJECT_BINARY_DIR}/man)
set(SOCKCALC_MAN_WORK_DIR ${PROJECT_BINARY_DIR}/tools/man)  # help2man's links and includes
set(SOCKCALC_COMPLETION_FILE ${PROJECT_BINARY_DIR}/completion/sockcalc.bash
    CACHE INTERNAL "the bash completion file of this build (tests/install uses it)")

# sockcalc_install_tool(NAME SUMMARY): installs the program NAME as sockcalc-NAME (in the build
# tree it stays bin/NAME, which the Makefile and the tests use), its man page sockcalc-NAME.1
# (made at build time by help2man from its --help and --version; SUMMARY is the one line of
# its NAME section) and the completion file under the name sockcalc-NAME.
function(sockcalc_install_tool name summary)
  set(installed sockcalc-${name})
  install(PROGRAMS $<TARGET_FILE:${name}> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME ${installed})
  # install(PROGRAMS) does not strip as install(TARGETS) does: `cmake --install --strip` sets
  # CMAKE_INSTALL_DO_STRIP (the Debian build strips with dh_strip instead).
  install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/${installed}\")
endif()")

  set_property(GLOBAL APPEND PROPERTY SOCKCALC_TOOLS ${name})
  install(FILES ${SOCKCALC_COMPLETION_FILE}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${installed})

  if(SOCKCALC_HELP2MAN)
    if(NOT summary)
      set(summary "a program of sockcalc, the calc protocol over UDP and Unix sockets")
    endif()
    # help2man runs the program with --help and --version through a link named as installed:
    # every program takes its name from argv[0], so the page shows the installed command.
    # The SEE ALSO section comes from sockcalc_write_man_includes() below.
    set(shown_as ${SOCKCALC_MAN_WORK_DIR}/${installed})
    set(page ${SOCKCALC_MAN_DIR}/${installed}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${SOCKCALC_MAN_DIR}
      COMMAND ${CMAKE_COMMAND} -E create_symlink $<TARGET_FILE:${name}> ${shown_as}
      COMMAND ${SOCKCALC_HELP2MAN} --no-info --section=1 "--manual=sockcalc manual"
              "--source=sockcalc ${PROJECT_VERSION}" "--name=${summary}"
              --include=${shown_as}.h2m --output=${page} ${shown_as}
      DEPENDS ${name} ${shown_as}.h2m
      COMMENT "Generating man page ${installed}.1"
      VERBATIM)
    add_custom_target(${name}_man ALL DEPENDS ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
endfunction()

# At the end of tools/CMakeLists.txt, once every sockcalc_tool() has run: the completion
# file, registering the installed names sockcalc-NAME only. Registering ./NAME too (the
# Makefile's links) would complete every other project's ./server or ./client, in every
# directory, by running it with --help.
function(sockcalc_write_completion)
  get_property(tools GLOBAL PROPERTY SOCKCALC_TOOLS)
  set(SOCKCALC_COMPLETION_NAMES "")
  foreach(tool IN LISTS tools)
    string(APPEND SOCKCALC_COMPLETION_NAMES " sockcalc-${tool}")
  endforeach()
  string(STRIP "${SOCKCALC_COMPLETION_NAMES}" SOCKCALC_COMPLETION_NAMES)
  configure_file(${PROJECT_SOURCE_DIR}/tools/completion/sockcalc.bash.in
                 ${SOCKCALC_COMPLETION_FILE} @ONLY)
endfunction()
cmake_language(DEFER CALL sockcalc_write_completion)

# Once every sockcalc_tool() has run: the SEE ALSO section of each man page (help2man's
# --include file sockcalc-NAME.h2m): the other programs' pages, and where the documentation
# the programs' --help names (docs/NAME.md) is installed.
function(sockcalc_write_man_includes)
  if(NOT SOCKCALC_HELP2MAN)
    return()
  endif()
  get_property(tools GLOBAL PROPERTY SOCKCALC_TOOLS)
  foreach(tool IN LISTS tools)
    set(pages "")
    foreach(other IN LISTS tools)
      if(NOT other STREQUAL tool)
        list(APPEND pages ".BR sockcalc-${other} (1)")
      endif()
    endforeach()
    list(JOIN pages ",\n" see_also)
    file(CONFIGURE OUTPUT ${SOCKCALC_MAN_WORK_DIR}/sockcalc-${tool}.h2m CONTENT "[SEE ALSO]
${see_also}
.PP
The documentation of sockcalc, README.md and the docs/NAME.md files named above, is
installed with the programs, in share/doc/sockcalc/ under their prefix:
.I /usr/share/doc/sockcalc/
from the Debian package (which keeps the longer files compressed, NAME.md.gz),
.I /usr/local/share/doc/sockcalc/
after make install.
")
  endforeach()
endfunction()
cmake_language(DEFER CALL sockcalc_write_man_includes)
