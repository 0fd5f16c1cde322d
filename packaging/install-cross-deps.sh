#!/usr/bin/env bash
# Installs what cross-building Tributary for Raspberry Pis and other ARM devices needs on a
# Debian 12 amd64 machine: Debian's cross compilers, qemu-user-static (to run the ARM binaries
# in tests), and the target architecture's libraries, in one of two ways:
#
#   multiarch  the target's -dev packages installed beside the host's (apt, :ARCH packages);
#   sysroot    the target's -dev packages extracted into a directory of their own (mmdebstrap
#              --variant=extract), which the toolchain file passes as CMAKE_SYSROOT and qemu
#              gets as -L (QEMU_LD_PREFIX).
#
#   packaging/install-cross-deps.sh [arm64] [armhf]        (default: both)
#       arm64 by multiarch; armhf into the default sysroot,
#       ${XDG_CACHE_HOME:-~/.cache}/tributary/sysroot-armhf
#   packaging/install-cross-deps.sh --sysroot DIR ARCH     ARCH (arm64|armhf) into DIR
#   packaging/install-cross-deps.sh --multiarch ARCH       ARCH by multiarch, whatever the default
#
# Installs only what is missing (a sysroot is reused once complete); the apt part needs root or
# sudo. Why armhf defaults to a sysroot: a Multi-Arch: same package must have the same version
# for every architecture, so multiarch armhf breaks ("held broken packages") as soon as the
# mirror's armhf index lags the host's (a security update not yet built, a truncated index). A
# sysroot is self-consistent whatever the host has. See docs/cross-build.md.
#
# Two multiarch details:
# - libpaho-mqttpp-dev:ARCH does not pull in libpaho-mqtt-dev:ARCH; both are listed.
# - libsimdjson-dev is not Multi-Arch: same, so it cannot sit beside the amd64 one. The header
#   is architecture-independent (simdjson picks its kernels at run time), so the cross build uses
#   the host's /usr/include/simdjson.h with the target's runtime library, libsimdjson14:ARCH
#   (cmake/toolchains/multiarch.cmake). A sysroot simply holds libsimdjson-dev:ARCH.
set -euo pipefail

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }

libs=(libstdc++-12-dev liblmdb-dev libpcre2-dev libcpprest-dev libssl-dev libzstd-dev zlib1g-dev
      libpaho-mqttpp-dev libpaho-mqtt-dev libsimdjson14 libboost-system-dev libgtest-dev libgmock-dev)
# Headers that are the same on every architecture (Architecture: all).
all_headers=(nlohmann-json3-dev libexpected-dev libsimdjson-dev)

multiarch=()          # architectures to install by multiarch
sysroots=()           # "ARCH DIR" pairs
default_sysroot() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/tributary/sysroot-$1"; }
check_arch() {
  [[ $1 == arm64 || $1 == armhf ]] ||
    { echo "install-cross-deps.sh: unknown architecture '$1' (arm64 or armhf)" >&2; exit 2; }
}

while (($#)); do
  case $1 in
    -h|--help) usage ;;
    --sysroot) (($# >= 3)) || usage; check_arch "$3"; sysroots+=("$3 $2"); shift 3 ;;
    --multiarch) (($# >= 2)) || usage; check_arch "$2"; multiarch+=("$2"); shift 2 ;;
    arm64) multiarch+=(arm64); shift ;;
    armhf) sysroots+=("armhf $(default_sysroot armhf)"); shift ;;
    *) check_arch "$1"; usage ;;
  esac
done
if ! ((${#multiarch[@]} + ${#sysroots[@]})); then
  multiarch=(arm64) sysroots=("armhf $(default_sysroot armhf)")
fi

sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
gnu_triplet() { [[ $1 == arm64 ]] && echo aarch64-linux-gnu || echo arm-linux-gnueabihf; }

# --- host packages: cross compilers, qemu, and the multiarch libraries -----------------------
packages=(qemu-user-static dpkg-dev file)
for arch in "${multiarch[@]}"; do
  packages+=("crossbuild-essential-$arch")
  for l in "${libs[@]}"; do packages+=("$l:$arch"); done
  packages+=("${all_headers[@]}")
done
for pair in "${sysroots[@]}"; do
  packages+=("crossbuild-essential-${pair%% *}" mmdebstrap)
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  update=0
  for arch in "${multiarch[@]}"; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      $sudo dpkg --add-architecture "$arch"
      update=1
    fi
  done
  for arch in "${multiarch[@]}"; do  # an architecture added before the last apt-get update
    ls /var/lib/apt/lists/*_binary-"$arch"_Packages* >/dev/null 2>&1 || update=1
  done
  if ((update)) || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
    # A mirror in the middle of a sync serves index files of the wrong size; try again.
    for attempt in 1 2 3; do
      $sudo apt-get update -qq && break
      ((attempt < 3)) || exit 1
      sleep $((attempt * 10))
    done
  fi
  echo "== installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- sysroots ------------------------------------------------------------------------------
# Only Debian's main archive and its updates: the sysroot must be consistent in itself, not
# with the host, so it does not need (and does not wait for) the security archive's index.
for pair in "${sysroots[@]}"; do
  arch=${pair%% *} dir=${pair#* }
  stamp=$dir/.tributary-sysroot
  want="$arch ${libs[*]} ${all_headers[*]}"
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "== sysroot $dir is complete ($arch)"
    continue
  fi
  echo "== extracting the $arch sysroot into $dir (about 400 MB of packages)"
  rm -rf "$dir.new"
  mkdir -p "$(dirname "$dir")"
  trap 'rm -rf "$dir.new"' EXIT
  # --variant=extract unpacks the packages and their dependencies without running any
  # maintainer script: nothing of the target architecture is ever executed.
  mmdebstrap --quiet --variant=extract --architectures="$arch" \
    --include="$(IFS=,; echo "${libs[*]},${all_headers[*]},libc6-dev")" \
    bookworm "$dir.new" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main"
  # Debian's -dev packages link libfoo.so to an absolute /lib/TRIPLET/libfoo.so.N; inside a
  # sysroot that points at the host, so CMake's find_library would skip the dangling link and
  # take the static libfoo.a. Make every such link relative to the sysroot.
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir.new$target")" "$link"
  done < <(find "$dir.new/usr" "$dir.new/lib" -type l -lname '/*' -print0)
  triplet=$(gnu_triplet "$arch")
  [[ -e $dir.new/usr/lib/$triplet/liblmdb.so ]] ||
    { echo "install-cross-deps.sh: $dir.new has no usr/lib/$triplet/liblmdb.so" >&2; exit 1; }
  rm -rf "$dir"
  mv "$dir.new" "$dir"
  trap - EXIT
  echo "$want" >"$stamp"
  echo "== sysroot $dir ready"
done
