# SPDX-License-Identifier: MIT
# cmake/static_programs.cmake -- included at the end of tools/CMakeLists.txt: the five programs
# linked fully statically, for the container image (Containerfile, `make image`, preset
# `static`; docs/SERVICE.md, "Container image").
#
# -static-pie: glibc's libc.a, no dynamic loader and no shared library at run time, yet still
# position-independent, so the kernel loads it at a random address as it does the .deb's PIE
# programs. Name lookups (getaddrinfo on host names, getpwnam on user names) go through NSS:
# ld warns once per call ("Using 'getaddrinfo' in statically linked applications requires at
# runtime..."), and docs/SERVICE.md says what works in the image. Those are linker warnings,
# which -Werror (a compiler flag) does not turn into errors; they are left visible on purpose.
#
# SOCKCALC_STATIC=ON links the programs themselves statically. Otherwise, a build with tests and
# without a sanitizer gets static twins, static_NAME, written to bin/static/NAME and built only
# as a dependency of tests/deploy's image test; SOCKCALC_STATIC_BIN_DIR names their folder.
# A sanitizer's runtime is a shared library: no static program in a sanitized build.

set(SOCKCALC_STATIC_LINK_OPTIONS -static-pie)
set(SOCKCALC_STATIC_PROGRAMS server client linksim loadgen conformance)
set_property(GLOBAL PROPERTY SOCKCALC_STATIC_PROGRAMS ${SOCKCALC_STATIC_PROGRAMS})

if(SOCKCALC_STATIC AND SOCKCALC_SANITIZE)
  message(FATAL_ERROR "SOCKCALC_STATIC=ON and SOCKCALC_SANITIZE=${SOCKCALC_SANITIZE} exclude "
                      "each other: the sanitizer runtimes are shared libraries")
endif()

if(SOCKCALC_STATIC)
  set(SOCKCALC_STATIC_BIN_DIR ${CMAKE_BINARY_DIR}/bin)
  set(SOCKCALC_STATIC_TARGETS ${SOCKCALC_STATIC_PROGRAMS})
  foreach(name IN LISTS SOCKCALC_STATIC_PROGRAMS)
    target_link_options(${name} PRIVATE ${SOCKCALC_STATIC_LINK_OPTIONS})
  endforeach()
elseif(SOCKCALC_BUILD_TESTS AND NOT SOCKCALC_SANITIZE)
  set(SOCKCALC_STATIC_BIN_DIR ${CMAKE_BINARY_DIR}/bin/static)
  set(SOCKCALC_STATIC_TARGETS "")
  foreach(name IN LISTS SOCKCALC_STATIC_PROGRAMS)
    add_executable(static_${name} EXCLUDE_FROM_ALL ${CMAKE_CURRENT_SOURCE_DIR}/${name}/main.cpp)
    set_target_properties(static_${name} PROPERTIES OUTPUT_NAME ${name}
                          RUNTIME_OUTPUT_DIRECTORY ${SOCKCALC_STATIC_BIN_DIR})
    target_link_options(static_${name} PRIVATE ${SOCKCALC_STATIC_LINK_OPTIONS})
    list(APPEND SOCKCALC_STATIC_TARGETS static_${name})
  endforeach()
else()
  set(SOCKCALC_STATIC_BIN_DIR "")
  set(SOCKCALC_STATIC_TARGETS "")
endif()
# For tests/deploy (a sibling directory: these must reach it through the cache).
set(SOCKCALC_STATIC_BIN_DIR "${SOCKCALC_STATIC_BIN_DIR}" CACHE INTERNAL "static programs")
set(SOCKCALC_STATIC_TARGETS "${SOCKCALC_STATIC_TARGETS}" CACHE INTERNAL "their targets")

# A twin is built from its program's sources, links what its program links, compiled the same
# way. Read once every directory has been processed, so that libraries linked to a program after
# sockcalc_tool() (the metrics endpoint) are in its twin too. (A deferred call runs in the top directory's scope: the list
# comes from a global property.)
function(sockcalc_copy_program_usage)
  get_property(programs GLOBAL PROPERTY SOCKCALC_STATIC_PROGRAMS)
  foreach(name IN LISTS programs)
    if(NOT TARGET static_${name})
      continue()
    endif()
    foreach(property SOURCES LINK_LIBRARIES COMPILE_DEFINITIONS COMPILE_OPTIONS INCLUDE_DIRECTORIES)
      get_target_property(value ${name} ${property})
      if(value)
        set_property(TARGET static_${name} PROPERTY ${property} "${value}")
      endif()
    endforeach()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL sockcalc_copy_program_usage)
