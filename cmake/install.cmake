# SPDX-License-Identifier: MIT
# cmake/install.cmake -- included at the end of the top-level CMakeLists.txt: what
# `cmake --install` puts under the prefix besides the programs (cmake/tool_install.cmake):
# libsockcalc.a (the public modules), their headers, the CMake package (find_package(sockcalc)
# -> sockcalc::sockcalc),
# the pkg-config file, the systemd units, the Wireshark dissector and the docs. docs/INSTALL.md
# tells where each goes and how to use them; debian/ splits them into two packages.
include(CMakePackageConfigHelpers)

set(SOCKCALC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sockcalc)

install(TARGETS sockcalc EXPORT sockcalcTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# A stripped install (cmake --install --strip, the .deb) drops the archive's debug information
# too, which CMake leaves in static libraries.
install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:sockcalc>\")
endif()")
# Only the public modules' headers, each under include/sockcalc/MODULE/ (the programs' own
# modules are not installed), and the generated version.hpp.
foreach(module IN LISTS SOCKCALC_PUBLIC_MODULES)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/${module}/include/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/src/generated/sockcalc/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sockcalc)

install(EXPORT sockcalcTargets NAMESPACE sockcalc:: DESTINATION ${SOCKCALC_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sockcalcConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/sockcalcConfig.cmake
                              INSTALL_DESTINATION ${SOCKCALC_CMAKE_DIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sockcalcConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sockcalcConfig.cmake
              ${PROJECT_BINARY_DIR}/sockcalcConfigVersion.cmake
        DESTINATION ${SOCKCALC_CMAKE_DIR})

# The .pc file finds the prefix from its own place, so it stays right whatever prefix
# `cmake --install --prefix`, DESTDIR or the .deb gives it.
file(RELATIVE_PATH SOCKCALC_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/sockcalc.pc.in ${PROJECT_BINARY_DIR}/sockcalc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sockcalc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The systemd units (deploy/systemd, docs/SERVICE.md), with ExecStart pointing at the program
# under the prefix given at install time (the files in deploy/ say /usr). Where they go depends
# on that prefix too (cmake/install_units.cmake): systemd's own directory only for /usr and
# /usr/local. Installed, not enabled: `systemctl enable --now sockcalc.socket` is the
# administrator's call.
set(SOCKCALC_SYSTEMD_UNIT_DIR "" CACHE STRING
    "Where to install the systemd units; empty: by the install prefix (docs/INSTALL.md)")
# systemd's directory for units of packages under /usr: its pkg-config variable when systemd.pc
# is there (Debian 12: /lib/systemd/system; 13: /usr/lib/systemd/system), else Debian 12's.
find_package(PkgConfig QUIET)
set(sockcalc_system_unit_dir /lib/systemd/system)
if(PKG_CONFIG_FOUND)
  pkg_get_variable(sockcalc_pc_unit_dir systemd systemdsystemunitdir)
  if(sockcalc_pc_unit_dir)
    set(sockcalc_system_unit_dir ${sockcalc_pc_unit_dir})
  endif()
endif()
install(CODE "
  set(SOCKCALC_SYSTEMD_UNIT_DIR [[${SOCKCALC_SYSTEMD_UNIT_DIR}]])
  set(SOCKCALC_SYSTEM_UNIT_DIR [[${sockcalc_system_unit_dir}]])
  set(SOCKCALC_UNIT_SOURCE_DIR [[${PROJECT_SOURCE_DIR}/deploy/systemd]])
  set(SOCKCALC_UNIT_WORK_DIR [[${PROJECT_BINARY_DIR}/systemd]])
  set(SOCKCALC_INSTALL_BINDIR [[${CMAKE_INSTALL_BINDIR}]])
  set(SOCKCALC_INSTALL_DATADIR [[${CMAKE_INSTALL_DATADIR}]])
  include([[${PROJECT_SOURCE_DIR}/cmake/install_units.cmake]])
")

# The Wireshark dissector (docs/WIRESHARK.md: tshark -X lua_script:PREFIX/share/sockcalc/...).
install(FILES ${PROJECT_SOURCE_DIR}/tools/wireshark/calc.lua
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sockcalc/wireshark)
# The README and docs/, keeping their relative links (README.md -> docs/X.md).
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
