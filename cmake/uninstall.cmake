# SPDX-License-Identifier: MIT
# cmake/uninstall.cmake -- `make uninstall`: removes what `make install` installed.
#   cmake -DMANIFEST=<file> -P cmake/uninstall.cmake
# MANIFEST lists one installed file per line (cmake --install's install_manifest.txt, which
# `make install` appends to build/PRESET/make_install_manifest.txt). Removes each file, then the
# directories left empty among sockcalc's own (a path component named sockcalc: include/sockcalc,
# lib/cmake/sockcalc, share/sockcalc, share/doc/sockcalc); never a shared one such as bin/.
# Removes MANIFEST at the end. A file already gone is not an error.
if(NOT MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(STATUS "nothing to uninstall: no ${MANIFEST} (make install writes it)")
  return()
endif()

file(STRINGS "${MANIFEST}" files)
list(REMOVE_DUPLICATES files)
set(removed 0)
set(dirs "")
foreach(file IN LISTS files)
  if(EXISTS "${file}" OR IS_SYMLINK "${file}")
    file(REMOVE "${file}")
    math(EXPR removed "${removed} + 1")
  endif()
  cmake_path(GET file PARENT_PATH dir)
  list(APPEND dirs "${dir}")
endforeach()

# Deepest first, so that include/sockcalc/core goes before include/sockcalc.
list(REMOVE_DUPLICATES dirs)
set(candidates "")
foreach(dir IN LISTS dirs)
  while(dir MATCHES "/sockcalc(/|$)")
    list(APPEND candidates "${dir}")
    cmake_path(GET dir PARENT_PATH dir)
  endwhile()
endforeach()
list(REMOVE_DUPLICATES candidates)
list(SORT candidates ORDER DESCENDING)
foreach(dir IN LISTS candidates)
  file(GLOB left "${dir}/*" "${dir}/.*")
  if(IS_DIRECTORY "${dir}" AND NOT left)
    file(REMOVE_RECURSE "${dir}")  # empty: removes just the directory
  endif()
endforeach()

list(LENGTH files listed)
file(REMOVE "${MANIFEST}")
message(STATUS "uninstalled: removed ${removed} of the ${listed} files in ${MANIFEST}")
