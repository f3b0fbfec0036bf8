#!/bin/sh
# Makes one cluster node's TLS certificate: an RSA key and a self-signed certificate
# (CN = the node's name, valid 2 years, usable as TLS server and client) in a
# password-protected PFX, and prints its SHA1 thumbprint (hex, no colons) on stdout.
#
#   ACTORBACKUP_CERT_PASSWORD=... deploy/make-node-cert.sh storage1 /etc/actorbackup/storage1.pfx
#
# Then, in that node's HOCON:
#   actorbackup.cluster.tls { enabled = on, certificate-path = "/etc/actorbackup/storage1.pfx",
#                             certificate-password = "...", pinned-thumbprints = [ <the other nodes' thumbprints> ] }
# and put the printed thumbprint into pinned-thumbprints on every node that must accept this one.
# The password is read from the environment, so it never shows in `ps`.
set -eu

usage() {
    echo "usage: ACTORBACKUP_CERT_PASSWORD=... $0 NODE-NAME [PFX-FILE]   (PFX-FILE defaults to NODE-NAME.pfx)" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
name=$1
pfx=${2:-$name.pfx}
case $name in
    ''|*/*|*=*|*,*|*+*) echo "make-node-cert.sh: node name '$name' must be a plain name (no / = , +)" >&2; exit 2 ;;
esac
if [ -z "${ACTORBACKUP_CERT_PASSWORD:-}" ]; then
    echo "make-node-cert.sh: set ACTORBACKUP_CERT_PASSWORD to the PFX password (certificate-password in the node's HOCON)" >&2
    exit 2
fi
if [ -e "$pfx" ]; then
    echo "make-node-cert.sh: $pfx exists; remove it first (its thumbprint is pinned on other nodes)" >&2
    exit 1
fi
if ! command -v openssl >/dev/null 2>&1; then
    echo "make-node-cert.sh: openssl is not installed (Debian: apt-get install openssl)" >&2
    exit 1
fi

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 730 \
    -keyout "$work/key.pem" -out "$work/cert.pem" -subj "/CN=$name" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
openssl pkcs12 -export -in "$work/cert.pem" -inkey "$work/key.pem" -name "$name" \
    -out "$work/node.pfx" -passout env:ACTORBACKUP_CERT_PASSWORD 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
mv "$work/node.pfx" "$pfx"

# "sha1 Fingerprint=AB:CD:..." -> ABCD...
openssl x509 -in "$work/cert.pem" -noout -fingerprint -sha1 | sed 's/^[^=]*=//; s/://g'
