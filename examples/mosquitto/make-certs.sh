#!/usr/bin/env bash
# Makes the certificates of a Tributary MQTT fleet with the openssl CLI: a CA, the broker's
# server certificate, the collector's client certificate (CN tributary-collector) and one client
# certificate per device (CN = device id, which Mosquitto turns into the MQTT username the ACL
# confines). Every run also rewrites the CRL, so running it with no device renews the CRL.
#
# Idempotent: an existing CA, broker and collector certificate are reused; an existing device
# certificate is never overwritten without --force. See README.md for the layout and deployment.
set -euo pipefail
export LC_ALL=C  # [A-Za-z] must mean ASCII letters only, whatever the caller's locale

readonly COLLECTOR_CN=tributary-collector
readonly CA_DAYS=3650   # the CA outlives every certificate it signs; rotating it means re-keying the fleet
readonly CRL_DAYS=365   # with crlfile set, an expired CRL makes the broker refuse EVERY client

usage() {
  cat <<'EOF'
usage: make-certs.sh [--force] [--san LIST] [--days N] DIR [DEVICE...]
       make-certs.sh --revoke DIR DEVICE...

Creates (or reuses) in DIR a CA, a broker certificate and the collector's certificate, issues a
client certificate for each DEVICE, and rewrites DIR/broker/crl.pem.

  DEVICE      device id = certificate CN = MQTT username: 1 to 64 characters of A-Z a-z 0-9 . _ -
              (the protocol allows 128, but X.509 caps a CN at 64), not "tributary-collector"
  --force     issue a new certificate for a DEVICE that already has one (the old one stays
              valid until it expires or is revoked: --revoke revokes every certificate of a device)
  --san LIST  subjectAltName of a NEW broker certificate, default DNS:localhost,IP:127.0.0.1
              (e.g. DNS:mqtt.example.com,IP:10.0.0.5); an existing broker certificate is kept
  --days N    validity of new broker, collector and device certificates, default 825
  --revoke    revoke every certificate issued to each DEVICE and rewrite the CRL
  -h, --help  this text

Output (keys 0600, directories 0700 except the public ca.crt):
  DIR/ca.crt                      the CA certificate, for every client and the broker
  DIR/ca/                         CA key and database: keep OFFLINE, never on the broker
  DIR/broker/                     ca.crt broker.crt broker.key crl.pem -> /etc/mosquitto/tributary/
  DIR/collector/                  ca.crt collector.crt collector.key   -> the collector host
  DIR/devices/DEVICE/             ca.crt device.crt device.key         -> the device
EOF
}

die() { echo "make-certs.sh: $*" >&2; exit 1; }

force=0 revoke=0 days=825 san="DNS:localhost,IP:127.0.0.1"
while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --force) force=1; shift ;;
    --revoke) revoke=1; shift ;;
    --san) (($# >= 2)) || die "--san needs a value"; san=$2; shift 2 ;;
    --days) (($# >= 2)) || die "--days needs a value"; days=$2; shift 2 ;;
    --) shift; break ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) break ;;
  esac
done
(($# >= 1)) || { usage >&2; exit 2; }
[[ $days =~ ^[1-9][0-9]{0,4}$ ]] || die "--days must be a number of days, 1 to 99999"
[[ $san =~ ^((DNS|IP):[^,[:space:]]+)(,(DNS|IP):[^,[:space:]]+)*$ ]] ||
  die "--san must look like DNS:host,IP:address (got '$san')"
command -v openssl >/dev/null || die "the openssl command is missing (apt install openssl)"

mkdir -p "$1"
dir=$(cd "$1" && pwd)
shift
devices=("$@")
((revoke == 0 || ${#devices[@]} > 0)) || die "--revoke needs at least one DEVICE"

# Validate every device before touching anything, so a bad argument never leaves half a run.
for d in "${devices[@]}"; do
  [[ $d =~ ^[A-Za-z0-9._-]{1,128}$ ]] ||
    die "invalid device id '$d': 1 to 128 characters of A-Z a-z 0-9 . _ - (docs/mqtt.md §2)"
  ((${#d} <= 64)) ||
    die "device id '$d' is ${#d} characters: a certificate CN holds at most 64 (RFC 5280)"
  [[ $d != "$COLLECTOR_CN" ]] ||
    die "'$COLLECTOR_CN' is the collector's identity; a device with that CN could read every device's requests"
  if ((revoke == 0 && force == 0)) && [[ -e $dir/devices/$d/device.crt ]]; then
    die "device '$d' already has a certificate in $dir/devices/$d (use --force to issue a new one)"
  fi
done

umask 077
run() {  # runs openssl quietly; shows its output only when it fails
  local out
  if ! out=$(openssl "$@" 2>&1); then
    echo "$out" >&2
    die "openssl $1 failed"
  fi
}
new_key() { run genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# The openssl ca configuration is rewritten every run with DIR's current absolute path, so the
# directory can be moved. Extensions: CA certificates sign nothing but certificates and CRLs;
# the server certificate is only for serverAuth and the client ones only for clientAuth, so a
# device certificate cannot impersonate the broker (OpenSSL checks the purpose on both sides).
ca=$dir/ca
mkdir -p "$ca/issued"
cat >"$ca/ca.cnf" <<EOF
[ ca ]
default_ca = tributary_ca

[ tributary_ca ]
dir              = $ca
database         = \$dir/index.txt
new_certs_dir    = \$dir/issued
serial           = \$dir/serial
crlnumber        = \$dir/crlnumber
certificate      = $dir/ca.crt
private_key      = \$dir/ca.key
default_md       = sha256
default_crl_days = $CRL_DAYS
policy           = policy_cn
unique_subject   = no
copy_extensions  = none
email_in_dn      = no

[ policy_cn ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

[ ext_ca ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ ext_server ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = \$ENV::TRIB_SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_client ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_crl ]
authorityKeyIdentifier = keyid
EOF
export TRIB_SAN=$san
cnf=$ca/ca.cnf

if [[ ! -e $ca/ca.key ]]; then
  [[ ! -e $dir/ca.crt ]] || die "$dir/ca.crt exists without $ca/ca.key: refusing to make a second CA"
  echo "== new CA in $dir (EC P-256, $CA_DAYS days)"
  new_key "$ca/ca.key"
  run req -config "$cnf" -new -x509 -key "$ca/ca.key" -subj "/O=Tributary/CN=Tributary fleet CA" \
      -days "$CA_DAYS" -sha256 -extensions ext_ca -out "$dir/ca.crt.tmp"
  mv "$dir/ca.crt.tmp" "$dir/ca.crt"
  : >"$ca/index.txt"
  openssl rand -hex 16 >"$ca/serial"
  echo 1000 >"$ca/crlnumber"
else
  [[ -e $dir/ca.crt ]] || die "$ca/ca.key exists without $dir/ca.crt"
  echo "== reusing the CA in $dir"
fi
chmod 0644 "$dir/ca.crt"

# issue DESTDIR NAME CN EXTENSIONS: a new key and a certificate signed by the CA. Both are
# written beside the final files and renamed at the end, so a failure leaves the old pair.
issue() {
  local dest=$1 name=$2 cn=$3 ext=$4
  mkdir -p "$dest"
  chmod 0700 "$dest"
  new_key "$dest/$name.key.tmp"
  run req -config "$cnf" -new -key "$dest/$name.key.tmp" -subj "/CN=$cn" -out "$dest/$name.csr.tmp"
  run ca -config "$cnf" -batch -notext -days "$days" -extensions "$ext" \
      -in "$dest/$name.csr.tmp" -out "$dest/$name.crt.tmp"
  rm -f "$dest/$name.csr.tmp"
  cp "$dir/ca.crt" "$dest/ca.crt"
  chmod 0600 "$dest/$name.key.tmp"
  chmod 0644 "$dest/$name.crt.tmp" "$dest/ca.crt"
  mv "$dest/$name.key.tmp" "$dest/$name.key"
  mv "$dest/$name.crt.tmp" "$dest/$name.crt"
}

if ((revoke)); then
  for d in "${devices[@]}"; do
    # index.txt: status, expiry, revocation, serial, file, subject (tab-separated).
    serials=$(awk -F'\t' -v subj="/CN=$d" '$1 == "V" && $6 == subj { print $4 }' "$ca/index.txt")
    [[ -n $serials ]] || die "device '$d' has no valid certificate issued by this CA"
    for s in $serials; do
      run ca -config "$cnf" -revoke "$ca/issued/$s.pem" -crl_reason keyCompromise
      echo "== revoked $d (serial $s)"
    done
  done
else
  if [[ ! -e $dir/broker/broker.crt ]]; then
    echo "== broker certificate ($san)"
    issue "$dir/broker" broker tributary-broker ext_server
  fi
  if [[ ! -e $dir/collector/collector.crt ]]; then
    echo "== collector certificate (CN $COLLECTOR_CN)"
    issue "$dir/collector" collector "$COLLECTOR_CN" ext_client
  fi
  for d in "${devices[@]}"; do
    echo "== device certificate (CN $d)"
    issue "$dir/devices/$d" device "$d" ext_client
  done
fi

# The CRL is rewritten every run: it renews its validity and carries every revocation so far.
mkdir -p "$dir/broker"
run ca -config "$cnf" -gencrl -crlexts ext_crl -out "$dir/broker/crl.pem.tmp"
chmod 0644 "$dir/broker/crl.pem.tmp"
mv "$dir/broker/crl.pem.tmp" "$dir/broker/crl.pem"
next=$(openssl crl -in "$dir/broker/crl.pem" -noout -nextupdate | cut -d= -f2)
echo "== CRL written to $dir/broker/crl.pem (next update $next: run this script again before then)"
