#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel and initramfs in QEMU and wait for the guest to leave.
#
#   run-vm.sh BZIMAGE INITRD MODE [LOG]
#
# MODE is check, bench, run or shell (see selftests/vm/init).  The serial console
# goes to the terminal and, for check and run, to LOG as well.
#
# Software emulation (TCG) is the default: on these machines /dev/kvm
# exists but a KVM guest hangs at boot.  KVM=1 opts in.  The CPU model is
# fixed so that runs on different hosts see the same guest CPU.
#
# Exit status: 0 when the guest reached its end and left through
# isa-debug-exit with code 0; 1 when it left with a failure code; 2 when
# it left any other way (QEMU status 0 = reboot or panic, no verdict);
# 124 on timeout ($VM_TIMEOUT seconds, default 900).
set -uo pipefail

kernel=$1 initrd=$2 mode=$3 log=${4:-/dev/null}
timeout=${VM_TIMEOUT:-900}

accel=(-accel tcg -cpu qemu64)
if [ "${KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
fi

# quiet + loglevel=4: only errors and worse (levels 0-3: a report's
# first line, not its stack trace) reach the console live; the whole log
# is dumped at the end by the guest, and that is what fails a run.  A
# guest that hangs dumps nothing: VM_APPEND=loglevel=5 shows warnings
# and stack traces live too.  oops=panic, panic=-1 and -no-reboot turn an oops
# into QEMU exiting with status 0, which is "no verdict".
append="console=ttyS0 quiet loglevel=4 panic=-1 oops=panic mbx.mode=$mode"
# secretmem.enable=1: memfd_secret() for copy_test (off by default in 6.1).
append+=" kasan.fault=report secretmem.enable=1 ${VM_APPEND:-}"
# x86's COMMAND_LINE_SIZE is 2048 with the NUL: a longer line left the
# guest silent until VM_TIMEOUT.
if [ ${#append} -gt 2047 ]; then
	echo "run-vm.sh: kernel command line of ${#append} bytes, the kernel takes 2047" >&2
	exit 2
fi

qemu=(qemu-system-x86_64 "${accel[@]}" -smp 2 -m 1G -nographic -no-reboot
      -kernel "$kernel" -initrd "$initrd" -append "$append"
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)

# VM_PRINT_CMD=1: print the command line (make bench records it) and stop.
if [ -n "${VM_PRINT_CMD:-}" ]; then
	echo "${qemu[*]}"
	exit 0
fi

if [ "$mode" = shell ]; then
	"${qemu[@]}"
	# isa-debug-exit code 0 (the shell was left with exit) is status 1.
	status=$?
	[ "$status" = 1 ] && exit 0
	exit "$status"
fi

# VM_QUIET=1 shows only the guest's stage lines; the whole console is in
# LOG either way.
timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$log" |
	if [ -n "${VM_QUIET:-}" ]; then
		sed -un "s/^@@MBX stage \(.*\)\r*$/==> ${VM_LABEL:-vm}: \1/p"
	else
		cat
	fi
status=${PIPESTATUS[0]}

case $status in
1)	exit 0 ;;		# code 0: the guest reached its end
124)	echo "vm: timed out after ${timeout}s" >&2; exit 124 ;;
0)	echo "vm: the guest rebooted or panicked (no verdict)" >&2; exit 2 ;;
*)	if (( status & 1 )); then
		echo "vm: the guest reported failure code $((status >> 1))" >&2
		exit 1
	fi
	echo "vm: qemu exited with status $status" >&2
	exit 2 ;;
esac
