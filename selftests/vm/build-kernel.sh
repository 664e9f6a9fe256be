#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the debug test kernel: Debian's
# linux-source-6.1, `make tinyconfig`, plus selftests/vm/debug.config.
#
#   build-kernel.sh            build if needed, print progress on stderr,
#                              print the kernel tree's path on stdout
#   build-kernel.sh --dir      only print where the tree is (or would be)
#
# The cache lives outside the work tree, in $MBX_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/mbx), one directory per key.  The key hashes
# the config fragment, the installed linux-source package version and
# $recipe (bump it when the build steps below change), so a change to any
# of them builds a new kernel; old directories can simply be deleted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${MBX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mbx}

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
recipe=1
key=$( (cat "$frag"; echo "$srcver recipe=$recipe") | sha256sum | cut -c1-12)
dir=$cache/kernel-$key
tree=$dir/linux

if [ "${1:-}" = --dir ]; then
	echo "$tree"
	exit 0
fi

log() { echo "==> $*" >&2; }

if [ -e "$dir/.done" ]; then
	log "debug kernel: cached ($tree)"
	echo "$tree"
	exit 0
fi

[ -r "$tarball" ] || { echo "missing $tarball: apt-get install linux-source-6.1" >&2; exit 1; }

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
# Another build may have finished while we waited for the lock.
if [ -e "$dir/.done" ]; then
	log "debug kernel: cached ($tree)"
	echo "$tree"
	exit 0
fi

start=$(date +%s)
log "debug kernel: building linux-source $srcver + debug.config in $tree (about 8-10 minutes on 2 cores)"
rm -rf "$tree"
mkdir -p "$tree"
tar -xJf "$tarball" -C "$tree" --strip-components=1

cd "$tree"
make -s tinyconfig >/dev/null
./scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig >/dev/null

# Kconfig drops symbols whose dependencies are unmet without a word.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" .config || { echo "config: wanted '$line', got '$(grep "^${line%%=*}=" .config || echo "${line%%=*} not set")'" >&2; missing=1; }
		;;
	esac
done <"$frag"
[ "$missing" = 0 ] || { echo "debug.config does not apply cleanly" >&2; exit 1; }

jobs=$(nproc)
make -s -j"$jobs" bzImage >"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log" >&2; exit 1; }
# `make modules` writes Module.symvers, which out-of-tree builds need to
# resolve symbols at build time (seconds with tinyconfig).
make -s -j"$jobs" modules >>"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log" >&2; exit 1; }

touch "$dir/.done"
log "debug kernel: built in $(( $(date +%s) - start ))s"
echo "$tree"
