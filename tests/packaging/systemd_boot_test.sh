#!/usr/bin/env bash
# The packages under a real systemd: boots a Debian 12 container (systemd-nspawn, systemd as
# PID 1), installs the .debs there and runs tests/packaging/in_container.py as a oneshot unit —
# readiness, users and groups, the sandbox from inside the running service, Restart=on-failure
# after kill -9, a bad configuration failing the start, clean stops, remove and purge.
#
#   tests/packaging/systemd_boot_test.sh BUILD_DIR          the build's architecture (ctest
#                                                           package_systemd; needs root)
#   tests/packaging/systemd_boot_test.sh BUILD_DIR arm64    a cross build's packages in an arm64
#                                                           container, emulated by qemu-user
#                                                           through binfmt_misc (tests/cross slow)
#
# The container's root file system (debootstrap --variant=minbase, ~300 MB, a minute from a
# Debian mirror natively, several under emulation) is cached in
# ${TRIB_NSPAWN_CACHE:-~/.cache/tributary}/nspawn-bookworm[-ARCH] and copied for each run, so
# every run starts from a clean system. Exits 0 only if every check passed.
set -euo pipefail
build=$(realpath "${1:?usage: systemd_boot_test.sh BUILD_DIR [ARCH]}")
host_arch=$(dpkg --print-architecture)
arch=${2:-$host_arch}
here=$(dirname "$(realpath "$0")")
cache=${TRIB_NSPAWN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tributary}/nspawn-bookworm
[[ $arch == "$host_arch" ]] || cache+=-$arch

[[ $(id -u) -eq 0 ]] || { echo "systemd_boot_test.sh: needs root (debootstrap, systemd-nspawn)" >&2; exit 2; }
for tool in debootstrap systemd-nspawn cpack; do
  command -v $tool >/dev/null || { echo "systemd_boot_test.sh: needs $tool (apt install debootstrap systemd-container)" >&2; exit 2; }
done

# The packages' runtime libraries go into the cached root, so dpkg -i works offline inside.
runtime=systemd,systemd-sysv,dbus,adduser,python3,libcpprest2.10,libpaho-mqttpp3-1,libpaho-mqtt1.3,libsimdjson14,liblmdb0,libpcre2-8-0,libzstd1,libssl3
# A foreign architecture runs through qemu-user registered in binfmt_misc with the F flag (the
# interpreter is opened now, so it works inside the container's root). Registered here if it is
# not already, and unregistered again at the end.
registered=
if [[ $arch != "$host_arch" ]]; then
  case $arch in arm64) qemu=aarch64 ;; armhf) qemu=arm ;; *) echo "unknown arch $arch" >&2; exit 2 ;; esac
  [[ -e /proc/sys/fs/binfmt_misc/register ]] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-$qemu ]]; then
    cat "/usr/lib/binfmt.d/qemu-$qemu.conf" > /proc/sys/fs/binfmt_misc/register
    registered=qemu-$qemu
  fi
fi
unregister() { [[ -z $registered ]] || echo -1 > "/proc/sys/fs/binfmt_misc/$registered"; }
trap unregister EXIT

if [[ ! -x $cache/usr/bin/python3 ]]; then
  echo "== debootstrap bookworm ($arch) → $cache"
  rm -rf "$cache" "$cache.new"; mkdir -p "$(dirname "$cache")"
  if [[ $arch == "$host_arch" ]]; then
    debootstrap --variant=minbase --include=$runtime bookworm "$cache.new" http://deb.debian.org/debian >/dev/null
  else
    debootstrap --arch="$arch" --foreign --variant=minbase --include=$runtime bookworm "$cache.new" \
      http://deb.debian.org/debian >/dev/null
    chroot "$cache.new" /debootstrap/debootstrap --second-stage >/dev/null
  fi
  mv "$cache.new" "$cache"
fi

work=$(mktemp -d /var/tmp/trib-boot.XXXXXX)
# nspawn clears its propagation directory with a safety check that refuses a /run that is not a
# tmpfs (as in some VMs and containers without systemd as PID 1): give it one.
mounted=0
if [[ $(stat -f -c %T /run 2>/dev/null) != tmpfs ]] && ! mountpoint -q /run/systemd/nspawn; then
  mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && mounted=1
fi
cleanup() {
  rm -rf "$work"
  unregister
  ((mounted)) && umount /run/systemd/nspawn || true
}
trap cleanup EXIT

echo "== packages"
cpack --config "$build/CPackConfig.cmake" -B "$work/packages" >/dev/null
mkdir "$work/debs"; cp "$work"/packages/*.deb "$work/debs/"
ls "$work/debs"

echo "== container root"
cp -a --reflink=auto "$cache" "$work/root"
install -m 0755 "$here/in_container.py" "$work/root/usr/local/bin/trib-in-container"
# Emulated, everything is several times slower: the checks' waits scale with it.
scale=1; [[ $arch == "$host_arch" ]] || scale=6
cat > "$work/root/etc/systemd/system/trib-in-container.service" <<EOF
[Unit]
Description=Tributary package checks under systemd
After=multi-user.target
[Service]
Type=oneshot
Environment=TRIB_TIME_SCALE=$scale
ExecStart=/usr/local/bin/trib-in-container
TimeoutStartSec=$((300 * scale))
[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$work/root/etc/systemd/system/multi-user.target.wants"
ln -s /etc/systemd/system/trib-in-container.service "$work/root/etc/systemd/system/multi-user.target.wants/"

echo "== boot (systemd as PID 1 in the container)"
started=$(date +%s)
timeout $((400 * scale)) systemd-nspawn -q -D "$work/root" -b --register=no --keep-unit --console=pipe \
  --bind-ro="$work/debs:/debs" >"$work/console.log" 2>&1 || true
echo "   booted, checked and powered off in $(($(date +%s) - started)) s"

result=$work/root/result
if [[ ! -f $result ]]; then
  echo "FAIL: the checks did not run; console:" >&2; tail -40 "$work/console.log" >&2; exit 1
fi
cat "$result"
grep -qx done "$result" || { echo "FAIL: the checks did not finish" >&2; exit 1; }
if grep -q '^FAIL' "$result"; then exit 1; fi
echo "== all $(grep -c '^ok' "$result") checks passed under systemd ($arch)" \
     "$(grep -q '^SKIP' "$result" && echo "; $(grep -c '^SKIP' "$result") skipped, reasons above")"
