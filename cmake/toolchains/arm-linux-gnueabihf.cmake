# Cross build for 32-bit ARM with hardware floating point (armhf: Raspberry Pi OS 32-bit, ARMv7
# boards) with Debian 12's cross compiler. The libraries come from a sysroot by default,
# ${XDG_CACHE_HOME:-~/.cache}/tributary/sysroot-armhf as packaging/install-cross-deps.sh armhf
# extracts it; -DTRIB_SYSROOT=DIR names another, -DTRIB_SYSROOT= (empty) means the :armhf
# multiarch packages. Unit tests run under qemu-arm-static. See docs/cross-build.md, also for
# what 32 bits mean (2 GiB spool maps, the 2038 limit of the libraries' time_t).
#
#   packaging/install-cross-deps.sh armhf
#   cmake -S . -B build-armhf -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake -DTRIB_BUILD_COLLECTOR=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(TRIB_CROSS_TRIPLET arm-linux-gnueabihf)
set(TRIB_CROSS_QEMU qemu-arm-static)
# GCC notes (-Wpsabi) at every std::span or vector iterator passed by value that the AAPCS
# passing of such types changed in GCC 7.1: nothing here links code built by an older GCC.
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
  set(TRIB_CROSS_DEFAULT_SYSROOT "$ENV{XDG_CACHE_HOME}/tributary/sysroot-armhf")
else()
  set(TRIB_CROSS_DEFAULT_SYSROOT "$ENV{HOME}/.cache/tributary/sysroot-armhf")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/multiarch.cmake)
