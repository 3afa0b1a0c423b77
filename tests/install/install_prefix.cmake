# SPDX-License-Identifier: MIT
# tests/install/install_prefix.cmake -- the ctest fixture behind install_prefix_test:
#   cmake -DBUILD_DIR=<build dir> -DPREFIX=<dir> -P install_prefix.cmake
# installs that build into PREFIX afresh, as `cmake --install` does for a user. With
# -DREMOVE=ON it only removes PREFIX (the fixture's cleanup).
file(REMOVE_RECURSE "${PREFIX}")
if(REMOVE)
  return()
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed (${status}):\n"
                      "${out}${err}")
endif()
message(STATUS "installed ${BUILD_DIR} into ${PREFIX}")
