# cmake/tool_install.cmake -- included by tools/CMakeLists.txt: how a program of tools/ is
# installed (sockcalc_install_tool, called by sockcalc_tool) and the bash completion file that
# serves all of them. The library and the packages are cmake/install.cmake's.

find_program(SOCKCALC_HELP2MAN help2man)
if(NOT SOCKCALC_HELP2MAN)
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
endif()
set(SOCKCALC_MAN_DIR ${PROJECT_BINARY_DIR}/man)
set(SOCKCALC_COMPLETION_FILE ${PROJECT_BINARY_DIR}/completion/sockcalc.bash
    CACHE INTERNAL "the bash completion file of this build (tests/install uses it)")

# sockcalc_install_tool(NAME SUMMARY): installs the program NAME as sockcalc-NAME (in the build
# tree it stays bin/NAME, which the Makefile and the tests use), its man page sockcalc-NAME.1
# (made at build time by help2man from its --help and --version; SUMMARY is the one line of
# its NAME section) and the completion file under the name sockcalc-NAME.
function(sockcalc_install_tool name summary)
  set(installed sockcalc-${name})
  install(PROGRAMS $<TARGET_FILE:${name}> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME ${installed})
  # install(PROGRAMS) does not strip as install(TARGETS) does: `cmake --install --strip` and
  # CPack (CPACK_STRIP_FILES) set CMAKE_INSTALL_DO_STRIP.
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
    # help2man runs this with --help and --version: the program, under its installed name.
    set(shown_as ${CMAKE_CURRENT_BINARY_DIR}/man/${installed})
    file(GENERATE OUTPUT ${shown_as}
         CONTENT "#!/bin/sh\nexec sh '${PROJECT_SOURCE_DIR}/tools/man/as-installed.sh' \
'$<TARGET_FILE:${name}>' ${name} ${installed} \"$@\"\n"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                          WORLD_READ WORLD_EXECUTE)
    set(page ${SOCKCALC_MAN_DIR}/${installed}.1)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${SOCKCALC_MAN_DIR}
      COMMAND ${SOCKCALC_HELP2MAN} --no-info --section=1 "--manual=sockcalc manual"
              "--source=sockcalc ${PROJECT_VERSION}" "--name=${summary}" --output=${page}
              ${shown_as}
      DEPENDS ${name} ${PROJECT_SOURCE_DIR}/tools/man/as-installed.sh
      COMMENT "Generating man page ${installed}.1"
      VERBATIM)
    add_custom_target(${name}_man ALL DEPENDS ${page})
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endif()
endfunction()

# At the end of tools/CMakeLists.txt, once every sockcalc_tool() has run: the completion
# file, registering sockcalc-NAME and ./NAME (the Makefile's links) for every program.
function(sockcalc_write_completion)
  get_property(tools GLOBAL PROPERTY SOCKCALC_TOOLS)
  set(SOCKCALC_COMPLETION_NAMES "")
  foreach(tool IN LISTS tools)
    string(APPEND SOCKCALC_COMPLETION_NAMES " sockcalc-${tool} ./${tool}")
  endforeach()
  string(STRIP "${SOCKCALC_COMPLETION_NAMES}" SOCKCALC_COMPLETION_NAMES)
  configure_file(${PROJECT_SOURCE_DIR}/tools/completion/sockcalc.bash.in
                 ${SOCKCALC_COMPLETION_FILE} @ONLY)
endfunction()
cmake_language(DEFER CALL sockcalc_write_completion)
