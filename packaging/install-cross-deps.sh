#!/usr/bin/env bash
# Installs what cross-building Tributary for Raspberry Pis and other ARM devices needs on a
# Debian 12 amd64 machine: Debian's cross compilers, qemu-user-static (to run the ARM binaries
# in tests), and the target architectures' -dev packages through Debian multiarch.
#
#   packaging/install-cross-deps.sh [arm64] [armhf]     (default: both)
#
# Installs only what is missing; needs root or sudo. See docs/cross-build.md.
#
# Two multiarch details:
# - libpaho-mqttpp-dev:ARCH does not pull in libpaho-mqtt-dev:ARCH; both are listed.
# - libsimdjson-dev is not Multi-Arch: same, so it cannot sit beside the amd64 one. The header
#   is architecture-independent (simdjson picks its kernels at run time), so the cross build uses
#   the host's /usr/include/simdjson.h with the target's runtime library, libsimdjson14:ARCH
#   (cmake/toolchains/multiarch.cmake).
set -euo pipefail

arches=("$@")
((${#arches[@]})) || arches=(arm64 armhf)

packages=(qemu-user-static dpkg-dev file)
libs=(libstdc++-12-dev liblmdb-dev libpcre2-dev libcpprest-dev libssl-dev libzstd-dev zlib1g-dev
      libpaho-mqttpp-dev libpaho-mqtt-dev libsimdjson14 libboost-system-dev libgtest-dev libgmock-dev)
sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
for arch in "${arches[@]}"; do
  case $arch in
    arm64) packages+=(crossbuild-essential-arm64) ;;
    armhf) packages+=(crossbuild-essential-armhf) ;;
    *) echo "install-cross-deps.sh: unknown architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
  esac
  for l in "${libs[@]}"; do packages+=("$l:$arch"); done
done
# Headers that are the same on every architecture (Architecture: all), from the host.
packages+=(nlohmann-json3-dev libexpected-dev libsimdjson-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

update=0
for arch in "${arches[@]}"; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $sudo dpkg --add-architecture "$arch"
    update=1
  fi
done
if ((update)) || ! ls /var/lib/apt/lists/*_binary-"${arches[0]}"_Packages* >/dev/null 2>&1; then
  # A mirror in the middle of a sync serves index files of the wrong size; try again.
  for attempt in 1 2 3; do
    $sudo apt-get update -qq && break
    ((attempt < 3)) || exit 1
    sleep $((attempt * 10))
  done
fi
echo "== installing ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
