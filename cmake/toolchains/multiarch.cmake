# What the Debian cross toolchain files share; they set TRIB_CROSS_TRIPLET (GNU triplet, also
# Debian's multiarch directory), TRIB_CROSS_QEMU and TRIB_CROSS_DEFAULT_SYSROOT, then include
# this. Two ways to find the target's libraries:
#
# - multiarch (no sysroot): the :ARCH packages under /usr/lib/TRIPLET. CMAKE_LIBRARY_ARCHITECTURE
#   makes find_package/find_library look there (and only there, of the lib/<arch> directories);
#   the loader and libraries qemu needs are at the same paths, so qemu runs without -L (with
#   -L /usr/TRIPLET it would mix in the cross toolchain's own glibc, which hangs at the first
#   pthread_create under qemu 7.2).
# - sysroot (TRIB_SYSROOT=DIR, as install-cross-deps.sh --sysroot extracts one): the compiler,
#   every find_*() and pkg-config see DIR as /, and qemu gets -L DIR.
#
# A toolchain file is read again for every try_compile; it only sets variables, and the one
# imported target it needs is defined from CMAKE_PROJECT_INCLUDE, after project().

set(CMAKE_C_COMPILER ${TRIB_CROSS_TRIPLET}-gcc-12)
set(CMAKE_CXX_COMPILER ${TRIB_CROSS_TRIPLET}-g++-12)
set(CMAKE_LIBRARY_ARCHITECTURE ${TRIB_CROSS_TRIPLET})

# The cache entry wins over the environment, which wins over the architecture's default. An
# empty TRIB_SYSROOT selects multiarch.
if(NOT DEFINED TRIB_SYSROOT)
  if(DEFINED ENV{TRIB_SYSROOT})
    set(TRIB_SYSROOT "$ENV{TRIB_SYSROOT}")
  else()
    set(TRIB_SYSROOT "${TRIB_CROSS_DEFAULT_SYSROOT}")
  endif()
endif()
set(TRIB_SYSROOT "${TRIB_SYSROOT}" CACHE PATH
    "Root of the target's libraries (install-cross-deps.sh --sysroot); empty: Debian multiarch")
# try_compile projects get the same choice (they do not see the cache).
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TRIB_SYSROOT)

if(TRIB_SYSROOT)
  if(NOT EXISTS "${TRIB_SYSROOT}/usr/lib/${TRIB_CROSS_TRIPLET}")
    message(FATAL_ERROR "TRIB_SYSROOT ${TRIB_SYSROOT} holds no usr/lib/${TRIB_CROSS_TRIPLET}: "
                        "run packaging/install-cross-deps.sh --sysroot ${TRIB_SYSROOT} ARCH, "
                        "or pass -DTRIB_SYSROOT= for the multiarch packages")
  endif()
  set(CMAKE_SYSROOT "${TRIB_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH "${TRIB_SYSROOT}")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${TRIB_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR}
      "${TRIB_SYSROOT}/usr/lib/${TRIB_CROSS_TRIPLET}/pkgconfig:${TRIB_SYSROOT}/usr/share/pkgconfig")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRIB_CROSS_QEMU} -L "${TRIB_SYSROOT}")
else()
  set(CMAKE_FIND_ROOT_PATH /)
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${TRIB_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${TRIB_CROSS_QEMU})
  # libsimdjson-dev cannot be installed for two architectures: see cross_targets.cmake.
  set(CMAKE_PROJECT_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/cross_targets.cmake)
endif()

# Programs (protoc-like generators, pkg-config itself) are the host's; libraries, headers and
# CMake packages only the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
