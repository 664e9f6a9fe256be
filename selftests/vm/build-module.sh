#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build mbx.ko (and mbx_test.ko where the kernel has KUnit) against one
# kernel tree, out of the work tree so that several kernels can be built
# for side by side.
#
#   build-module.sh KDIR OUTDIR [EXTRA_MODULE_DIR]
#
# Copies module/ and uapi/ to OUTDIR/src and runs Kbuild there with W=1;
# any compiler warning fails the build.  The .ko files end up in
# OUTDIR/ko.  EXTRA_MODULE_DIR (the harness self-check's modules) is
# built the same way into OUTDIR/ko/selfcheck.
set -euo pipefail

kdir=$1 out=$2 extra=${3:-}
top=$(cd "$(dirname "$0")/../.." && pwd)

build() {
	local src=$1 dest=$2 logf
	logf=$(mktemp)
	if ! make -C "$kdir" M="$src" W=1 modules >"$logf" 2>&1; then
		cat "$logf" >&2
		rm -f "$logf"
		return 1
	fi
	if grep -E 'warning:|WARNING:' "$logf" >&2; then
		echo "module build: warnings are errors" >&2
		rm -f "$logf"
		return 1
	fi
	rm -f "$logf"
	mkdir -p "$dest"
	cp "$src"/*.ko "$dest"/
}

# Sources only: never objects left by a build against another kernel.
copy_sources() {
	mkdir -p "$2"
	cp "$1"/Kbuild "$1"/*.[ch] "$2"/
}

rm -rf "$out/src" "$out/ko"
copy_sources "$top/module" "$out/src/module"
mkdir -p "$out/src/uapi/linux"
cp "$top/uapi/linux/mbx.h" "$out/src/uapi/linux/"
rm -f "$out"/src/module/*.mod.c
build "$out/src/module" "$out/ko"
if [ -n "$extra" ]; then
	copy_sources "$extra" "$out/src/selfcheck"
	rm -f "$out"/src/selfcheck/*.mod.c
	build "$out/src/selfcheck" "$out/ko/selfcheck"
fi
