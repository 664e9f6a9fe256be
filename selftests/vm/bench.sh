#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the test VM BOOTS times running mbxbench, then
# aggregate on the host.
#
#   bench.sh BZIMAGE INITRD OUTDIR BOOTS
#
# Each boot runs every workload for /dev/mailbox and every baseline, in an
# order shuffled by the boot's seed (the boot number), and its figures
# land in OUTDIR/boot-N.csv.  The host then prints the table (medians over
# boots of absolute figures and of per-boot ratios) and the targets, and
# writes OUTDIR/results.csv, OUTDIR/results.json and OUTDIR/report.txt.
#
# TCG makes absolute times meaningless and small figures noisy; only
# ratios within one boot count.  The QEMU command line is fixed (CPU model
# included, see run-vm.sh) and recorded in OUTDIR/meta.txt, and a boot
# during which the host was busy with something else is flagged.
set -uo pipefail

# One compound command, parsed before it runs (see vm.sh).
{
kernel=$1 initrd=$2 out=$3 boots=$4
vm=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$vm/../.." && pwd)
bench=$top/${BUILD:-build}/bin/mbxbench

rm -rf "$out"
mkdir -p "$out"

# A boot of the stock kernel takes 3 to 4 minutes; one that hangs (seen
# once: a vCPU stuck in its idle task, README "Reliability") should not
# cost an hour.  The debug kernel (KASAN) is several times slower.
case ${KERNEL:-stock} in
stock)	timeout=900 ;;
*)	timeout=3600 ;;
esac

# Host CPU busy time in clock ticks, all CPUs (user+nice+system+irq+softirq).
host_busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# CPU time of this shell's finished children (QEMU among them), in ticks.
# `times` must run in this shell, not in a $(...) subshell, which has
# children of its own.
children_ticks() {
	times >"$out/.times"
	awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		print int((u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz) }' "$out/.times"
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs"
	echo "kernel: $kernel"
	echo "qemu: $(qemu-system-x86_64 --version | head -1)"
	echo "qemu command line: $(VM_PRINT_CMD=1 "$vm/run-vm.sh" "$kernel" "$initrd" bench)"
	echo "boots: $boots"
} >"$out/meta.txt"
cat "$out/meta.txt"

warned=0
for i in $(seq 1 "$boots"); do
	log=$out/boot-$i.log
	echo "==> bench: boot $i of $boots (seed $i)"
	children_ticks >"$out/.kids"
	busy0=$(host_busy) kids0=$(cat "$out/.kids") t0=$(date +%s)
	VM_QUIET=1 VM_LABEL="bench $i" VM_TIMEOUT=${VM_TIMEOUT:-$timeout} \
		VM_APPEND="mbx.seed=$i ${BENCH_ONLY:+mbx.bench_only=$BENCH_ONLY}" \
		"$vm/run-vm.sh" "$kernel" "$initrd" bench "$log"
	status=$?
	children_ticks >"$out/.kids"
	busy1=$(host_busy) kids1=$(cat "$out/.kids") t1=$(date +%s)
	tr -d '\r' <"$log" | sed -n '/^@@MBX bench-begin/,/^@@MBX bench-end/p' |
		grep -E '^(fig|skip|err|info),' >"$out/boot-$i.csv"
	[ "$status" = 0 ] || echo "bench: boot $i ended with status $status (see $log)"
	grep -E '^err,' "$out/boot-$i.csv" | sed "s/^/bench: boot $i: /"
	if tr -d '\r' <"$log" | grep -qE 'BUG:|WARNING:|KASAN:|UBSAN:|Oops|circular locking'; then
		echo "bench: boot $i: the kernel reported a problem (see $log)"
	fi
	# Other work on the host: busy ticks not spent by QEMU, per second.
	other=$(awk -v b="$((busy1 - busy0))" -v k="$((kids1 - kids0))" \
		-v s="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { o = (b - k) / hz / (s ? s : 1); print (o < 0 ? 0 : o) }')
	echo "boot $i: ${other} CPUs busy with other work on the host" >>"$out/meta.txt"
	if awk -v o="$other" 'BEGIN { exit !(o > 0.25) }'; then
		echo "bench: WARNING: the host was busy during boot $i (${other} CPUs of other work): its figures are suspect"
		warned=1
	fi
done

"$bench" -r "$out" "$out"/boot-*.csv | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
[ "$warned" = 1 ] && echo "bench: WARNING: the host was busy during some boots (see $out/meta.txt)" | tee -a "$out/report.txt"
echo "bench: figures in $out/results.csv and $out/results.json"
exit "$rc"
}
