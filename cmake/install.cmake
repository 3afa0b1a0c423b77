# cmake/install.cmake -- included at the end of the top-level CMakeLists.txt: what
# `cmake --install` puts under the prefix besides the programs (cmake/tool_install.cmake):
# libsockcalc.a, its headers, the CMake package (find_package(sockcalc) -> sockcalc::sockcalc)
# and the pkg-config file. docs/INSTALL.md tells how to use them.
include(CMakePackageConfigHelpers)

set(SOCKCALC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sockcalc)

install(TARGETS sockcalc EXPORT sockcalcTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# A stripped install (cmake --install --strip, the .deb) drops the archive's debug information
# too, which CMake leaves in static libraries.
install(CODE "if(CMAKE_INSTALL_DO_STRIP)
  execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:sockcalc>\")
endif()")
# Every header of src/, under the same sub-path, and the generated version.hpp.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sockcalc
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/src/generated/version.hpp
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
# under the prefix given at install time (the files in deploy/ say /usr, the .deb's prefix).
# Installed, not enabled: `systemctl enable --now sockcalc.socket` is the administrator's call.
install(CODE "
  set(unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(MAKE_DIRECTORY \"\${unit_dir}\")
  file(COPY \"${PROJECT_SOURCE_DIR}/deploy/systemd/sockcalc.socket\" DESTINATION \"\${unit_dir}\")
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/systemd/sockcalc.service\" unit)
  string(REPLACE \"ExecStart=/usr/bin/\" \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\"
         unit \"\${unit}\")
  file(WRITE \"\${unit_dir}/sockcalc.service\" \"\${unit}\")
  message(STATUS \"Installing: \${unit_dir}/sockcalc.service (ExecStart under \${CMAKE_INSTALL_PREFIX})\")
")
