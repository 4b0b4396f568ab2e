#!/bin/sh
# Installs the Debian 12 packages that sealpost needs to build, test and run
# its demo, and only those that are missing.  Needs root for apt-get.
# Usage: packaging/install-deps.sh [--check]   (--check: list what is missing)
set -eu

PKGS="
build-essential
cmake
pkg-config
clang
clang-format
libclang-rt-14-dev
libmilter-dev
libsodium-dev
liblmdb-dev
lmdb-utils
libfcgi-dev
libcurl4-openssl-dev
libgmime-3.0-dev
libgumbo-dev
libidn2-dev
libcmocka-dev
postfix
opendkim
opendkim-tools
nginx-light
miltertest
swaks
wrk
chromium
nodejs
m4
libwrap0
python3
curl
ca-certificates
procps
iproute2
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# npm comes with some builds of nodejs; Debian ships it apart.
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

if [ "${1:-}" = "--check" ]; then
	echo "missing:${missing:- none}"
	exit 0
fi

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: these packages are missing:$missing" >&2
	echo "install-deps: run as root, or install them with apt-get" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
