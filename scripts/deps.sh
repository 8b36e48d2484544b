#!/bin/sh
# Install what wirewho needs to build and test, on Debian 12, when missing.
# Idempotent and quiet when everything is there; needs root to install.
set -eu

# Build: compiler, meson, the four libraries (libssl-dev: libcrypto, for the
# JA3/JA4 hashes). Tests: the real programs the end-to-end tests start in
# network namespaces, clang for the fuzzers, tshark (the reference for the
# TLS fingerprints, tests/e2e_tlsmeta.py), and
# python3-jsonschema for validating every record against docs/schema/;
# systemd (systemd-analyze), man-db and util-linux (unshare) for checking
# dist/wirewho.service (tests/service_verify.sh).
# The kernel attribution engine (--attribution bpf): libbpf-dev, bpftool (the
# skeleton generator and vmlinux.h from the kernel's BTF) and clang/llvm (the
# BPF target); without them meson builds wirewho without it. capsh runs the
# engine's fallback test without the BPF capabilities.
# --hash-exe (#12.4, process objects' exe_sha256): libcrypto's EVP SHA-256
# from libssl-dev. nftables: kattr_nat_e2e's masquerading router (#12.3).
PKGS="gcc clang llvm meson ninja-build pkg-config libpcap-dev libmnl-dev libcmocka-dev
libbpf-dev bpftool libcap2-bin
libcap-dev iproute2 tcpdump dnsutils bind9 openssh-server openssh-client curl openssl
libssl-dev
python3 python3-jsonschema netbase procps psmisc socat systemd man-db util-linux
iputils-ping nginx-light perl tshark netcat-openbsd
nftables
nats-server libnats-dev rsyslog"
# (the line above: issue #15, the fleet sinks and their tests: NATS JetStream, syslog)

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "wirewho: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
