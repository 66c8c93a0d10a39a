#!/bin/sh
# Install the Debian packages BOS needs, only those missing. Does nothing (and
# needs no network) when all are present. Uses sudo when not root.
set -eu
PKGS="build-essential pkg-config libssl-dev libp11-dev libp11-kit-dev softhsm2 opensc
libseccomp-dev libsqlcipher-dev sqlcipher libmicrohttpd-dev libgnutls28-dev liboath-dev
oathtool libargon2-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev libqrencode-dev
jq curl wrk clang libclang-rt-14-dev binutils strace systemd util-linux openssl
bsdextrautils iproute2 procps expect python3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "make deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
