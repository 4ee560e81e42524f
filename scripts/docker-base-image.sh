#!/usr/bin/env bash
# Build the one base image of the project's Docker images, `debian:bookworm-slim` (or the tag
# given as $1), from Debian's packages with debootstrap, for machines that cannot pull from an
# image registry. Does nothing when the tag already exists (FORCE=1 rebuilds it).
#
# The mirror is the one this machine's apt sources name (MIRROR=... overrides it). This
# machine's CA bundle goes into the image twice: as the bundle, for tools run before
# ca-certificates is installed, and one certificate a file in /usr/local/share/ca-certificates,
# which update-ca-certificates (and the JVM's trust store hook) read when an image installs
# ca-certificates; a bundle copied only as the bundle would be overwritten then.
# Needs root, docker and debootstrap (apt-get install debootstrap).
set -euo pipefail

TAG=${1:-debian:bookworm-slim}
SUITE=bookworm
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if [ -z "${FORCE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    exit 0
fi

# The first Debian mirror of the machine's apt sources (deb822 or one-line format).
apt_mirror() {
    local file
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' "$file"
    done
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\// && $i ~ /debian\/?$/) {print $i; exit}}' "$file"
    done
}

MIRROR=${MIRROR:-$(apt_mirror | head -n 1)}
if [ -z "$MIRROR" ]; then
    echo "docker-base-image: no Debian mirror in /etc/apt/sources*; set MIRROR=<url>" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    echo "docker-base-image: debootstrap is needed (apt-get install debootstrap)" >&2
    exit 1
fi

ROOTFS=$(mktemp -d /tmp/sdp-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT

echo "docker-base-image: debootstrap $SUITE from $MIRROR"
if ! debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1; then
    tail -n 30 "$ROOTFS.log" >&2
    rm -f "$ROOTFS.log"
    exit 1
fi
rm -f "$ROOTFS.log"

# The suite's updates and the security archive, beside the main one, as on a stock image.
cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian*}/debian-security $SUITE-security main
EOF

if [ -f "$CA_BUNDLE" ]; then
    mkdir -p "$ROOTFS/etc/ssl/certs" "$ROOTFS/usr/local/share/ca-certificates"
    cp "$CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
    awk -v dir="$ROOTFS/usr/local/share/ca-certificates" '
        /-----BEGIN CERTIFICATE-----/ {n++; file = sprintf("%s/host-%03d.crt", dir, n)}
        file != "" {print > file}
        /-----END CERTIFICATE-----/ {close(file); file = ""}' "$CA_BUNDLE"
fi

# Like the official slim image: no apt caches, no docs or man pages in later layers.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
EOF

echo "docker-base-image: importing as $TAG"
tar -C "$ROOTFS" -c . | docker import --change 'CMD ["bash"]' - "$TAG" >/dev/null
echo "docker-base-image: $TAG ready ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
