# SPDX-License-Identifier: MIT
# cmake/install_units.cmake -- run by `cmake --install` (install(CODE) in cmake/install.cmake),
# with CMAKE_INSTALL_PREFIX the prefix of this install and the SOCKCALC_* variables that code
# sets: installs deploy/systemd's three units, each ExecStart pointing at this prefix's program.
# Where (docs/INSTALL.md):
#   SOCKCALC_SYSTEMD_UNIT_DIR set  -> there (a relative path is under the prefix);
#   prefix /usr                    -> SOCKCALC_SYSTEM_UNIT_DIR: systemd's directory for packaged
#                                     units (Debian 12: /lib/systemd/system);
#   prefix /usr/local              -> /usr/local/lib/systemd/system (systemd reads it too);
#   any other prefix               -> PREFIX/share/sockcalc/systemd, which systemd does not read:
#                                     copies to put in /etc/systemd/system if wanted.
# file(INSTALL) honours DESTDIR and lists both files in install_manifest.txt (make uninstall).
cmake_path(SET prefix NORMALIZE "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "(.)/$" "\\1" prefix "${prefix}")

if(NOT SOCKCALC_SYSTEMD_UNIT_DIR STREQUAL "")
  cmake_path(ABSOLUTE_PATH SOCKCALC_SYSTEMD_UNIT_DIR BASE_DIRECTORY "${prefix}"
             OUTPUT_VARIABLE unit_dir)
elseif(prefix STREQUAL "/usr")
  set(unit_dir "${SOCKCALC_SYSTEM_UNIT_DIR}")
elseif(prefix STREQUAL "/usr/local")
  set(unit_dir /usr/local/lib/systemd/system)
else()
  set(unit_dir "${prefix}/${SOCKCALC_INSTALL_DATADIR}/sockcalc/systemd")
endif()

# The services start this prefix's programs: the server's, and the health checker's
# (docs/SCALING.md), which is not socket-activated.
foreach(service sockcalc.service sockcalc-healthcheck.service)
  file(READ "${SOCKCALC_UNIT_SOURCE_DIR}/${service}" unit)
  string(REPLACE "ExecStart=/usr/bin/" "ExecStart=${prefix}/${SOCKCALC_INSTALL_BINDIR}/" unit
         "${unit}")
  file(WRITE "${SOCKCALC_UNIT_WORK_DIR}/${service}" "${unit}")
endforeach()
file(INSTALL DESTINATION "${unit_dir}" TYPE FILE
     FILES "${SOCKCALC_UNIT_SOURCE_DIR}/sockcalc.socket" "${SOCKCALC_UNIT_WORK_DIR}/sockcalc.service"
           "${SOCKCALC_UNIT_WORK_DIR}/sockcalc-healthcheck.service")
