#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test VM: `make check`, `make selfcheck`, `make run`, `make shell`.
#
#   vm.sh check       static checks (checkpatch, sparse), the debug kernel
#                     (KUnit, kselftests, leak scan) and then Debian's
#                     stock kernel (kselftests); last line
#                     "N passed, N failed, N skipped"
#   vm.sh selfcheck   five debug boots, each with one planted failure (a
#                     failing KUnit case, a failing kselftest, a WARN(), a
#                     use-after-free for KASAN, a leak for kmemleak), and a
#                     clean one: passes only if every planted failure turns
#                     the verdict red, with its own report ($PLANTED picks
#                     some), and the clean boot stays green
#   vm.sh soak        the debug kernel running only the stress test, for
#                     $SOAK_SECONDS (default 1800), then the same checks
#   vm.sh bench       $BOOTS (default 5) boots of $KERNEL (default stock)
#                     running mbxbench; the per-boot figures, the table
#                     and results.{csv,json} go to build/bench/
#   vm.sh run|shell   one boot ($KERNEL: stock, the default, or debug) with
#                     the module loaded: the demo, or a shell
#
# Expects the userspace programs in build/bin (the Makefile builds them).
set -uo pipefail

# The whole script is one compound command, parsed before it runs, so
# that editing this file while a run is under way cannot derail the run
# (bash otherwise reads a script as it executes it).
{
mode=${1:?usage: vm.sh check|selfcheck|bench|run|shell}
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/selftests/vm
build=$top/${BUILD:-build}
start=$(date +%s)

stage() { echo "==> $*"; }
passed=0 failed=0 skipped=0
# A stage that cannot go on fails the run, still ending with the counts.
die() {
	echo "vm.sh: $*" >&2
	echo "FAIL $mode: $*"
	echo "$passed passed, $((failed + 1)) failed, $skipped skipped"
	exit 1
}

"$vm/deps.sh" || exit 1

# One VM run at a time per tree: runs share build/vm.
mkdir -p "$build"
exec 8>"$build/vm.lock"
flock 8

# Debian's stock kernel: the image and the build tree of the version that
# linux-headers-amd64 points at.
stock_version() {
	dpkg-query -W -f='${Depends}' linux-headers-amd64 |
		sed -n 's/.*linux-headers-\([^ ,]*-amd64\).*/\1/p'
}

# prepare FLAVOUR [SELFCHECK_TEST]: kernel, module, initramfs.
# Sets kernel_image and initrd.
prepare() {
	local flavour=$1 planted=${2:-} kdir bins ver extra=

	if [ "$flavour" = debug ]; then
		kdir=$("$vm/build-kernel.sh") || die "debug kernel build failed"
		kernel_image=$kdir/arch/x86/boot/bzImage
	else
		ver=$(stock_version)
		[ -n "$ver" ] || die "cannot tell the stock kernel version"
		kdir=/usr/src/linux-headers-$ver
		kernel_image=/boot/vmlinuz-$ver
		[ -r "$kernel_image" ] || die "missing $kernel_image"
	fi

	local out=$build/vm/$flavour${planted:+-$planted}
	[ -n "$planted" ] && [ "$planted" != kselftest ] &&
		extra=$vm/selfcheck/$planted
	stage "$flavour: module build ($(basename "$kdir"))"
	"$vm/build-module.sh" "$kdir" "$out" $extra || die "module build failed"

	bins=$out/bin
	rm -rf "$bins"
	mkdir -p "$bins"
	cp "$build"/bin/* "$bins"/ || die "no programs in $build/bin: run make userspace"
	if [ "$planted" = kselftest ]; then
		cc -static -Wall -I"$top/selftests/include" \
			-o "$bins/selfcheck_fail_test" "$vm/selfcheck/fail_test.c" ||
			die "selfcheck test build failed"
	fi
	stage "$flavour: initramfs"
	initrd=$out/initramfs.cpio.gz
	"$vm/mkinitramfs.sh" "$initrd" "$out/ko" "$bins" || die "initramfs failed"
	vm_log=$out/console.log
}

# boot FLAVOUR: run the check boot; appends to the totals.
boot_and_judge() {
	local flavour=$1 label=$2 status expect_kunit=0 summary quiet=1

	[ "$flavour" = debug ] && expect_kunit=1
	[ -n "${V:-}" ] && quiet=
	stage "$label: boot ($(basename "$kernel_image"), TCG, 2 vCPUs)"
	VM_QUIET=$quiet VM_LABEL=$label \
		VM_APPEND="${TESTS:+mbx.tests=$TESTS} ${VM_APPEND:-}" \
		"$vm/run-vm.sh" "$kernel_image" "$initrd" check "$vm_log"
	status=$?
	summary=$("$vm/verdict.sh" "$label" "$vm_log" "$status" "$expect_kunit")
	echo "$summary" | grep -v '^COUNTS '
	set -- $(echo "$summary" | sed -n 's/^COUNTS //p')
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
	[ "$2" = 0 ] || echo "    (console log: $vm_log)"
	return $(( $2 != 0 ))
}

case $mode in
check)
	# Host-side tests (TAP): what `make install` gives a new user.
	for t in "$top"/selftests/host/*_test.sh; do
		stage "host: $(basename "$t")"
		out=$("$t" 2>&1)
		rc=$?
		res=$(echo "$out" | awk -v t="$(basename "$t" .sh)" '
			/^ok / { sub(/^ok [0-9]+ /, ""); print "PASS host: " t ": " $0; p++ }
			/^not ok / { sub(/^not ok [0-9]+ /, ""); print "FAIL host: " t ": " $0; f++ }
			/^# / { print "   " $0 }
			END { printf "COUNTS %d %d 0\n", p, f }')
		echo "$res" | grep -v '^COUNTS '
		set -- $(echo "$res" | sed -n 's/^COUNTS //p')
		passed=$((passed + $1)) failed=$((failed + $2))
		if [ "$rc" != 0 ] && [ "$2" = 0 ]; then
			echo "FAIL host: $(basename "$t") exited with status $rc"
			failed=$((failed + 1))
		fi
	done
	# FLAVOURS narrows a run by hand (e.g. FLAVOURS=stock); CI runs both.
	for flavour in ${FLAVOURS:-debug stock}; do
		prepare "$flavour"
		if [ "$flavour" = debug ]; then
			stage "static checks: checkpatch, sparse, W=1, uapi in C90"
			lint=$("$vm/lint.sh" "$("$vm/build-kernel.sh" 2>/dev/null)")
			echo "$lint" | grep -v '^COUNTS '
			set -- $(echo "$lint" | sed -n 's/^COUNTS //p')
			passed=$((passed + $1)) failed=$((failed + $2))
		fi
		boot_and_judge "$flavour" "$flavour"
	done
	stage "check finished in $(( $(date +%s) - start ))s"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	;;
selfcheck)
	bad=0
	for planted in ${PLANTED:-kunit kselftest warn kasan leak}; do
		# The FAIL line the planted failure must produce (a regex after
		# "FAIL <label>: "): red for some other reason proves nothing.
		# A kernel report must also be the planted one: a WARN or KASAN
		# report naming the planting module, a kmemleak suspect
		# allocated by it (its backtrace is in the console log).
		mine=
		case $planted in
		kunit)	want='kunit mbx_selfcheck\.mbx_selfcheck_fails$' ;;
		kselftest)
			want='kselftest selfcheck_fail_test: global\.planted_failure$' ;;
		warn)	want='kernel log clean '
			mine='^  report: .*mbx_selfcheck_warn' ;;
		kasan)	want='kernel log clean '
			mine='^  report: .*BUG: KASAN: .*mbx_selfcheck_kasan' ;;
		leak)	want='kernel log clean '
			mine='^  report: kmemleak: ' ;;
		*)	die "unknown plant '$planted' (PLANTED=kunit kselftest warn kasan leak)" ;;
		esac
		out=$build/vm/selfcheck-$planted.out
		prepare debug "$planted"
		# TESTS= narrows the boot: the planted test must still run.
		if TESTS=${TESTS:+$TESTS,selfcheck_fail_test} \
		   boot_and_judge debug "selfcheck-$planted" >"$out"; then
			echo "SELFCHECK FAIL: a planted $planted failure was not caught"
			bad=1
		elif grep -q "^FAIL selfcheck-$planted: $want" "$out" &&
		     { [ -z "$mine" ] || grep -q "$mine" "$out"; } &&
		     { [ "$planted" != leak ] ||
		       sed -n '/@@MBX kmemleak-begin/,/@@MBX kmemleak-end/p' \
			   "$vm_log" | grep -q 'mbx_selfcheck_leak_one'; }; then
			echo "SELFCHECK PASS: the planted $planted failure turned the verdict red:"
			grep '^FAIL' "$out" | sed 's/^/    /'
		else
			echo "SELFCHECK FAIL: the $planted run went red, but not with its planted failure (FAIL selfcheck-$planted: $want):"
			grep '^FAIL\|^  report:' "$out" | sed 's/^/    /'
			bad=1
		fi
	done
	passed=0 failed=0
	prepare debug
	if boot_and_judge debug selfcheck-clean >"$build/vm/selfcheck-clean.out"; then
		echo "SELFCHECK PASS: the same boot without a planted failure is green"
	else
		echo "SELFCHECK FAIL: the clean boot failed:"
		grep '^FAIL' "$build/vm/selfcheck-clean.out"
		bad=1
	fi
	[ "$bad" = 0 ] && echo "selfcheck: every planted failure was caught"
	exit "$bad"
	;;
soak)
	soak=${SOAK_SECONDS:-1800}
	prepare debug
	VM_APPEND="mbx.soak=$soak ${VM_APPEND:-}" VM_TIMEOUT=$((soak + 900)) \
		boot_and_judge debug soak
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	;;
bench)
	prepare "${KERNEL:-stock}"
	exec "$vm/bench.sh" "$kernel_image" "$initrd" "$build/bench" "${BOOTS:-5}"
	;;
run|shell)
	flavour=${KERNEL:-stock}
	prepare "$flavour"
	if [ "$mode" = run ] && [ -n "${CMD:-}" ]; then
		# On the kernel command line, where spaces would split it;
		# base64 makes 4 bytes of 3, and the line holds 2047 in all.
		cmd64=$(printf '%s' "$CMD" | base64 -w0)
		[ ${#cmd64} -le 1600 ] ||
			die "CMD of ${#CMD} bytes: the kernel command line takes 1200; put the commands in examples/NAME.sh and run CMD=NAME.sh"
		VM_APPEND+=" mbx.cmd=$cmd64"
		export VM_APPEND
		stage "$flavour: boot, run: $CMD"
	else
		stage "$flavour: boot ($mode); leave the shell with 'exit'"
	fi
	VM_TIMEOUT=${VM_TIMEOUT:-600} "$vm/run-vm.sh" "$kernel_image" "$initrd" "$mode" "$vm_log"
	;;
*)
	die "unknown mode $mode"
	;;
esac
exit
}
