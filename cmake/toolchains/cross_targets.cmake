# Included after project() in a multiarch cross build (CMAKE_PROJECT_INCLUDE, set by
# multiarch.cmake). libsimdjson-dev is not Multi-Arch: same, so only the host's can be installed;
# its header is architecture-independent (simdjson picks its kernels at run time), and the
# target's runtime library comes from libsimdjson14:ARCH. The top CMakeLists.txt skips
# find_package(simdjson) when this target exists.
if(NOT TARGET simdjson::simdjson)
  find_path(TRIB_SIMDJSON_INCLUDE_DIR simdjson.h REQUIRED)
  find_library(TRIB_SIMDJSON_LIBRARY NAMES libsimdjson.so.14 simdjson REQUIRED
               NO_CMAKE_SYSTEM_PATH PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
  add_library(simdjson::simdjson SHARED IMPORTED GLOBAL)
  set_target_properties(simdjson::simdjson PROPERTIES
    IMPORTED_LOCATION ${TRIB_SIMDJSON_LIBRARY}
    IMPORTED_SONAME libsimdjson.so.14
    INTERFACE_INCLUDE_DIRECTORIES ${TRIB_SIMDJSON_INCLUDE_DIR})
endif()
