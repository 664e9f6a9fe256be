#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test VM's initramfs.
#
#   mkinitramfs.sh OUT.cpio.gz KODIR BINDIR
#
# KODIR holds mbx.ko (and mbx_test.ko, and a selfcheck/ subdirectory for
# the harness self-check); BINDIR holds the statically linked selftests
# (*_test) and examples.  Busybox (static) provides the shell and tools.
# No root rights needed: /init takes the console itself.
set -euo pipefail

out=$1 kodir=$2 bindir=$3
here=$(cd "$(dirname "$0")" && pwd)

stage=$(mktemp -d)
chmod 0755 "$stage"	# the root directory: every user must get through it
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/mbx,selftests,examples}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/init" "$stage/init"
cp -r "$kodir"/. "$stage/lib/mbx/"
for f in "$bindir"/*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	case "$(basename "$f")" in
	*_test) cp "$f" "$stage/selftests/" ;;
	*) cp "$f" "$stage/examples/" ;;
	esac
done
# Tests run as a second user: give it a name.
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$stage/etc-passwd"
mkdir -p "$stage/etc"
mv "$stage/etc-passwd" "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --owner 0:0 --quiet) |
	gzip -1 >"$out"
