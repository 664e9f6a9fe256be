#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP test, on the host, of what `make install` gives a new user: the
# files, a program built and linked with pkg-config alone (shared and
# static, C99 and C++), only the public symbols exported, man pages that
# render without warnings, and `make uninstall` leaving nothing behind.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; failed=1; }
check() {
	local desc=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$desc"; else not_ok "$desc"; sed 's/^/# /' "$tmp/out"; fi
}

echo "TAP version 13"
echo "1..10"

check "make install DESTDIR PREFIX=/usr" \
	make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr
export PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig

cat >"$tmp/hello.c" <<'C'
#include <stdio.h>
#include <libmsg.h>

int main(void)
{
	struct mbx_info info;
	int dev = msg_dev_open(0);

	if (dev < 0 || msg_info(dev, &info))
		return 1;
	printf("ABI %u\n", info.abi_version);
	return 0;
}
C
cp "$tmp/hello.c" "$tmp/hello.cc"

check "a C99 program builds with pkg-config --cflags --libs only" \
	sh -c "cc -std=c99 -Wall -Wextra -Werror -pedantic -o $tmp/hello $tmp/hello.c \$(pkg-config --cflags --libs libmsg)"
check "it needs libmsg.so.0 (the soname)" \
	sh -c "readelf -d $tmp/hello | grep -q 'NEEDED.*libmsg.so.0'"
check "it links statically with pkg-config --static" \
	sh -c "cc -std=c99 -static -o $tmp/hello-static $tmp/hello.c \$(pkg-config --static --cflags --libs libmsg) && ! readelf -d $tmp/hello-static | grep -q NEEDED"
check "a C++ program builds against the same header" \
	sh -c "c++ -Wall -Wextra -Werror -o $tmp/hellocc $tmp/hello.cc \$(pkg-config --cflags --libs libmsg)"
build_examples() {
	local c
	cp "$top"/examples/*.c "$top"/examples/*.h "$tmp/"
	for c in "$top"/examples/*.c; do
		c=$(basename "$c" .c)
		cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/$c" "$tmp/$c.c" \
			$(pkg-config --cflags --libs libmsg) || return 1
	done
}
check "the examples build against the installed library, with pkg-config" build_examples
check "libmsg.so exports the msg_* calls and nothing else" \
	sh -c "nm -D --defined-only $dest/usr/lib/libmsg.so.0 | awk '{print \$3}' | sed 's/@.*//' >$tmp/syms && grep -qx msg_send $tmp/syms && grep -qx msg_recv_from $tmp/syms && ! grep -v -e '^LIBMSG_' -e '^msg_' $tmp/syms"
check "the tool runs: mbx --help" "$dest/usr/bin/mbx" --help
manwarn() {
	local p out bad=0
	for p in "$dest"/usr/share/man/man*/*; do
		head -1 "$p" | grep -q '^\.so' && continue
		out=$(cd "$dest/usr/share/man" && LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
		[ -z "$out" ] || { echo "$p: $out"; bad=1; }
	done
	[ "$(ls "$dest"/usr/share/man/man3 | wc -l)" -ge 16 ] || { echo "missing man3 pages"; bad=1; }
	return $bad
}
check "every man page renders without warnings" manwarn
check "make uninstall leaves no file behind" \
	sh -c "make -s -C $top uninstall DESTDIR=$dest PREFIX=/usr && [ -z \"\$(find $dest -type f -o -type l)\" ]"
exit $failed
