# cmake/packaging.cmake -- included at the end of the top-level CMakeLists.txt: CPack's
# settings for `make deb` (cpack -G DEB in the build directory): one package, sockcalc, with
# everything `cmake --install` installs, under /usr.
set(SOCKCALC_PACKAGE_MAINTAINER "sockcalc maintainers <sockcalc@invalid>"
    CACHE STRING "Maintainer field of the .deb: 'Name <email>'")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sockcalc)
set(CPACK_PACKAGE_VENDOR sockcalc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# cpack packages the build as it is, without building `all` first ("preinstall"): `make deb`
# builds before, and the package test (tests/install) must not relink programs other tests run.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sockcalc_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SOCKCALC_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, man-db")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${PROJECT_DESCRIPTION}
A server that answers the sum or product of up to 64 integers sent in one datagram, and a
client that asks for it, over UDP (IPv6 and IPv4) and Unix-domain datagram sockets; with
linksim, a lossy link simulator, and loadgen, a load generator that checks every reply.
Installed as sockcalc-server, sockcalc-client, sockcalc-linksim and sockcalc-loadgen, with
man pages and bash completion; also the static library libsockcalc.a, its headers, a CMake
package and a pkg-config file.")
# Dependencies from the programs' shared libraries (dpkg-shlibdeps, of dpkg-dev, which needs
# `file`); without those tools, the libraries every g++ program needs.
find_program(SOCKCALC_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SOCKCALC_FILE_COMMAND file)
if(SOCKCALC_DPKG_SHLIBDEPS AND SOCKCALC_FILE_COMMAND)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libgcc-s1, libstdc++6")
endif()

include(CPack)
