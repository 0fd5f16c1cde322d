#!/usr/bin/env bash
# Installs the Debian 12 packages Tributary builds and runs with (and, with --test, those its
# tests use). Installs only what is missing; needs root or sudo.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config ccache
          liblmdb-dev lmdb-utils libpcre2-dev libcpprest-dev nlohmann-json3-dev libsimdjson-dev libexpected-dev libssl-dev
          libzstd-dev zlib1g-dev libpaho-mqttpp-dev libpaho-mqtt-dev
          awscli curl procps)
if [[ ${1:-} == --test ]]; then
  packages+=(libgtest-dev libgmock-dev openssl faketime mosquitto mosquitto-clients)
  # tests/packaging: dpkg -i of the .debs, systemd-analyze verify, man -l, setpriv (util-linux),
  # and a Debian 12 container booted with systemd-nspawn.
  packages+=(dpkg-dev adduser systemd man-db util-linux debootstrap systemd-container)
  # The MQTT integration test's device (Debian's 1.6.1 speaks MQTT 5); test_mqtt.py also finds
  # it from a non-Debian python3 through /usr/lib/python3/dist-packages.
  packages+=(python3-paho-mqtt)
  # Machines that already have node and npm (e.g. from NodeSource, whose nodejs conflicts with
  # Debian's npm) or a Python with boto3 keep theirs.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
  if ! { python3 -c 'import boto3' || /usr/bin/python3 -c 'import boto3'; } 2>/dev/null; then
    packages+=(python3 python3-boto3)
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "== installing ${missing[*]}"
sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
