# Cross build for 64-bit ARM (Raspberry Pi 3/4/5 with a 64-bit OS, most ARM servers) with
# Debian 12's cross compiler and the :arm64 libraries (multiarch), or a sysroot given as
# -DTRIB_SYSROOT=DIR. Unit tests run under qemu-aarch64-static. See docs/cross-build.md.
#
#   packaging/install-cross-deps.sh arm64
#   cmake -S . -B build-aarch64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake -DTRIB_BUILD_COLLECTOR=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TRIB_CROSS_TRIPLET aarch64-linux-gnu)
set(TRIB_CROSS_QEMU qemu-aarch64-static)
set(TRIB_CROSS_DEFAULT_SYSROOT "")  # multiarch unless TRIB_SYSROOT is given
include(${CMAKE_CURRENT_LIST_DIR}/multiarch.cmake)
