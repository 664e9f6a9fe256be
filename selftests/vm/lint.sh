#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the module against a kernel tree, as tests:
#   checkpatch --strict on every source file of the module and the uapi,
#   sparse (C=2) and W=1 on a build of the module.
#
#   lint.sh KDIR
#
# Prints PASS/FAIL lines and, last, "COUNTS passed failed 0".
set -uo pipefail

kdir=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0

result() {
	if [ "$1" = 0 ]; then
		echo "PASS lint: $2"; passed=$((passed + 1))
	else
		echo "FAIL lint: $2"; failed=$((failed + 1))
	fi
}

for f in "$top"/module/*.[ch] "$top"/uapi/linux/mbx.h \
	 "$top"/selftests/vm/selfcheck/*/*.c; do
	out=$("$kdir/scripts/checkpatch.pl" --strict --no-tree -q -f "$f" 2>&1)
	[ -z "$out" ] || echo "$out" | sed 's/^/    /'
	result "$([ -z "$out" ]; echo $?)" "checkpatch --strict ${f#"$top"/}"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$top/module" "$top/uapi" "$tmp/"
out=$(make -C "$kdir" M="$tmp/module" C=2 W=1 modules 2>&1 |
	grep -vE '^ *(CC|LD|CHECK|MODPOST)|^make|Entering|Leaving')
[ -z "$out" ] || echo "$out" | sed 's/^/    /'
result "$([ -z "$out" ]; echo $?)" "sparse (C=2) and W=1 build of the module"

# The uapi header stands alone in userspace, in strict C90.
out=$(echo '#include <linux/mbx.h>' |
	cc -std=c90 -pedantic -Wall -Wextra -Werror -I"$top/uapi" -x c -c -o /dev/null - 2>&1)
[ -z "$out" ] || echo "$out" | sed 's/^/    /'
result "$([ -z "$out" ]; echo $?)" "uapi/linux/mbx.h compiles alone with -std=c90 -pedantic"

echo "COUNTS $passed $failed 0"
