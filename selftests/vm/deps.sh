#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make sure the Debian packages that `make check` needs are installed.
# As root, installs what is missing (saying which); otherwise prints the
# apt-get line to run and fails.
set -euo pipefail

packages=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils
	sparse		# make check runs it on the module
	pkg-config man-db groff-base	# the install test: pkg-config, man pages

	linux-source-6.1	# the debug test kernel's source
	linux-image-amd64 linux-headers-amd64	# the stock kernel and its tree
	busybox-static qemu-system-x86
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "missing packages: ${missing[*]}" >&2
	echo "run as root: $line" >&2
	exit 1
fi
echo "==> installing missing packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
