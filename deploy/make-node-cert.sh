#!/bin/sh
# Makes the cluster's TLS certificates, with openssl. Three ways:
#
#   deploy/make-node-cert.sh --make-ca /root/actorbackup-ca
#       A cluster CA: DIR/ca.key (RSA 3072, mode 0600) and DIR/ca.crt (CA:TRUE, path length 0,
#       valid 10 years), DIR mode 0700. Never overwrites a CA. Prints the CA's SHA1 thumbprint.
#       Keep DIR on one admin machine; only ca.crt goes to the nodes.
#
#   ACTORBACKUP_CERT_PASSWORD=... deploy/make-node-cert.sh --ca /root/actorbackup-ca hasher3 /etc/actorbackup/hasher3.pfx
#       A node certificate signed by that CA (CN = the node's name, valid 2 years, TLS server and
#       client, not a CA) in a password-protected PFX (the node's certificate and key only).
#       Copy DIR/ca.crt next to it and set, in that node's HOCON:
#         actorbackup.cluster.tls { enabled = on, certificate-path = "/etc/actorbackup/hasher3.pfx",
#                                   certificate-password = "...", ca-certificate = "/etc/actorbackup/ca.crt" }
#       Nodes that trust the CA accept it without being edited.
#
#   ACTORBACKUP_CERT_PASSWORD=... deploy/make-node-cert.sh storage1 /etc/actorbackup/storage1.pfx
#       As before the CA: a self-signed node certificate, to be pinned: put the printed
#       thumbprint into pinned-thumbprints on every node that must accept this one.
#
# A node certificate's SHA1 thumbprint (hex, no colons) is printed on stdout: pin it, or deny
# it (denied-thumbprints) to revoke it. PFX-FILE defaults to NODE-NAME.pfx; an existing PFX is
# never overwritten. The password is read from the environment, so it never shows in `ps`.
set -eu

usage() {
    echo "usage: $0 --make-ca DIR | ACTORBACKUP_CERT_PASSWORD=... $0 [--ca DIR] NODE-NAME [PFX-FILE]   (PFX-FILE defaults to NODE-NAME.pfx)" >&2
    exit 2
}

need_openssl() {
    if ! command -v openssl >/dev/null 2>&1; then
        echo "make-node-cert.sh: openssl is not installed (Debian: apt-get install openssl)" >&2
        exit 1
    fi
}

# "sha1 Fingerprint=AB:CD:..." -> ABCD...
thumbprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/^[^=]*=//; s/://g'
}

umask 077

if [ "${1:-}" = "--make-ca" ]; then
    [ $# -eq 2 ] && [ -n "$2" ] || usage
    dir=$2
    if [ -e "$dir/ca.key" ] || [ -e "$dir/ca.crt" ]; then
        echo "make-node-cert.sh: $dir already holds a CA (ca.key or ca.crt); it is never overwritten (nodes trust it)" >&2
        exit 1
    fi
    need_openssl
    mkdir -p "$dir"
    chmod 700 "$dir"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT INT TERM
    openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 3650 \
        -keyout "$work/ca.key" -out "$work/ca.crt" -subj "/CN=ActorBackup cluster CA" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
    chmod 600 "$work/ca.key"
    chmod 644 "$work/ca.crt"
    # The key first: a ca.crt without its key would look like a CA that cannot sign.
    mv "$work/ca.key" "$dir/ca.key"
    mv "$work/ca.crt" "$dir/ca.crt"
    thumbprint "$dir/ca.crt"
    exit 0
fi

ca=
if [ "${1:-}" = "--ca" ]; then
    [ $# -ge 2 ] || usage
    ca=$2
    shift 2
fi
[ $# -ge 1 ] && [ $# -le 2 ] || usage
name=$1
pfx=${2:-$name.pfx}
case $name in
    ''|*/*|*=*|*,*|*+*) echo "make-node-cert.sh: node name '$name' must be a plain name (no / = , +)" >&2; exit 2 ;;
esac
if [ -n "$ca" ] && { [ ! -r "$ca/ca.key" ] || [ ! -r "$ca/ca.crt" ]; }; then
    echo "make-node-cert.sh: $ca holds no readable ca.key and ca.crt; make the CA with: $0 --make-ca $ca" >&2
    exit 2
fi
if [ -z "${ACTORBACKUP_CERT_PASSWORD:-}" ]; then
    echo "make-node-cert.sh: set ACTORBACKUP_CERT_PASSWORD to the PFX password (certificate-password in the node's HOCON)" >&2
    exit 2
fi
if [ -e "$pfx" ]; then
    echo "make-node-cert.sh: $pfx exists; remove it first (its thumbprint may be pinned or denied on other nodes)" >&2
    exit 1
fi
need_openssl

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

if [ -z "$ca" ]; then
    openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 730 \
        -keyout "$work/key.pem" -out "$work/cert.pem" -subj "/CN=$name" \
        -addext "basicConstraints=critical,CA:FALSE" \
        -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
        -addext "extendedKeyUsage=serverAuth,clientAuth" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
else
    cat >"$work/ext" <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
    {
        openssl req -new -newkey rsa:3072 -sha256 -nodes \
            -keyout "$work/key.pem" -out "$work/req.pem" -subj "/CN=$name" &&
        # A random serial: no serial file to keep next to the CA key.
        openssl x509 -req -in "$work/req.pem" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 730 -sha256 \
            -extfile "$work/ext" -out "$work/cert.pem"
    } 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
fi
openssl pkcs12 -export -in "$work/cert.pem" -inkey "$work/key.pem" -name "$name" \
    -out "$work/node.pfx" -passout env:ACTORBACKUP_CERT_PASSWORD 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
mv "$work/node.pfx" "$pfx"

thumbprint "$work/cert.pem"
