#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Read a test VM's serial log and decide.
#
#   verdict.sh LABEL LOG VM_STATUS EXPECT_KUNIT
#
# Prints one line per test ("PASS label: what" / "FAIL label: what" /
# "SKIP ..."), the kernel reports found, and as its last line
# "COUNTS passed failed skipped".  Exit status 0 when nothing failed.
#
# Tests counted:
#  - every KUnit case (KTAP from /sys/kernel/debug/kunit/*/results), plus
#    a failure for a suite whose case lines do not add up to its plan (a
#    line lost on the console) or that failed with no case failing,
#  - every kselftest (TAP from the kselftest harness), plus a failure for
#    a binary that exited non-zero without reporting a failed test, whose
#    results do not add up to its plan, or for a test that skipped after
#    a failed check (the 6.1 harness reports that as a skip),
#    On the debug kernel (EXPECT_KUNIT=1), built with what they need, a
#    skip of fault_test (failslab), uffd_test (userfaultfd) or async_test
#    (AIO, io_uring) is a failure, and so is a log with no kmemleak scan,
#  - "the kernel runs on 2 vCPUs" (races need them),
#  - "module loads", "rmmod refused while open" (a /dev/mailbox
#    descriptor; a mailbox handle alone), "module unloads",
#    "guest finished", and
#    "kernel log clean": no kernel report anywhere in the serial log or
#    the dmesg dump, and no kmemleak suspect.
set -uo pipefail

label=$1 log=$2 vm_status=$3 expect_kunit=$4

# Kernel reports that fail a run wherever they appear.
reports='BUG:|WARNING:|KASAN:|UBSAN:|kernel BUG at|Oops|general protection fault'
reports+='|possible circular locking dependency|possible recursive locking'
reports+='|inconsistent lock state|lock held when returning|suspicious RCU usage'
reports+='|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|rcu_sched self-detected stall'
reports+='|sleeping function called from invalid context|scheduling while atomic'
reports+='|new suspected memory leak|unreferenced object 0x|Kernel panic|list_add corruption|list_del corruption'
reports+='|refcount_t: |stack-protector|double free|use-after-free'

# Serial output can carry \r; drop it so the patterns below anchor.
tr -d '\r' <"$log" | awk -v label="$label" -v vm_status="$vm_status" \
	-v expect_kunit="$expect_kunit" -v reports="$reports" '
function result(ok, what) {
	if (ok == "skip") {
		printf "SKIP %s: %s\n", label, what; skipped++
	} else if (ok) {
		printf "PASS %s: %s\n", label, what; passed++
	} else {
		printf "FAIL %s: %s\n", label, what; failed++
	}
}
# Marker lines from selftests/vm/init.
/^@@MBX insmod ok/		{ insmod = "ok"; next }
/^@@MBX insmod fail/		{ insmod = "fail"; next }
/^@@MBX rmmod-busy ok/		{ busy = "ok"; next }
/^@@MBX rmmod-busy fail/	{ busy = "fail"; next }
# How many CPUs the kernel brought up: races need two.
/smp: Brought up [0-9]+ nodes?, [0-9]+ CPUs?/ {
	match($0, /[0-9]+ CPUs?/)
	cpus = substr($0, RSTART, RLENGTH) + 0
}
/^@@MBX rmmod-busy-handle ok/	{ busy_handle = "ok"; next }
/^@@MBX rmmod-busy-handle fail/	{ busy_handle = "fail"; next }
/^@@MBX rmmod ok/		{ rmmod = "ok"; next }
/^@@MBX rmmod fail/		{ rmmod = "fail"; next }
/^@@MBX done/			{ done = 1; next }
/^@@MBX kunit-load fail/	{ result(0, "kunit: mbx_test.ko loads"); next }
/^@@MBX kunit-begin /		{
	suite = $3; in_kunit = 1; kunit_suites++
	kcases = 0; kfails = 0; ktotal = -1
	next
}
# A case line lost or garbled on the console must not pass unseen: the
# cases read must add up to the plan of the suite (its "    1..N").
/^@@MBX kunit-end /		{
	in_kunit = 0
	if (ktotal < 0)
		result(0, "kunit " suite ": no plan line in its results")
	else if (kcases != ktotal)
		result(0, "kunit " suite ": " ktotal " cases planned, " \
		       kcases " read from the log")
	next
}
/^@@MBX kselftest-begin /	{
	bin = $3; in_ksft = 1; bin_failed = 0; ksft_bins++
	splan = -1; scases = 0
	next
}
# As for KUnit: the results read must add up to the plan of the binary, so
# that a binary that dies, or a line lost on the console, cannot pass unseen.
/^@@MBX kselftest-end /		{
	in_ksft = 0
	if ($4 != 0 && !bin_failed)
		result(0, "kselftest " bin ": exited with status " $4)
	if (splan < 0)
		result(0, "kselftest " bin ": no plan line in its results")
	else if (scases != splan)
		result(0, "kselftest " bin ": " splan " tests planned, " \
		       scases " read from the log")
	next
}
/^@@MBX kmemleak-begin/		{ in_leak = 1; leak_scan = 1; next }
/^@@MBX kmemleak-end/		{ in_leak = 0; next }
/^@@MBX /			{ next }
in_kunit && /^    1\.\.[0-9]+$/ { ktotal = substr($0, 8) + 0; next }
# The line of the suite itself: "not ok" there with every case passing is a
# failure of the suite as such (its init or exit).
in_kunit && /^not ok [0-9]+ / {
	if (!kfails)
		result(0, "kunit suite " suite " failed, none of its cases did")
	next
}
in_kunit && /^    (not )?ok [0-9]+ / {
	kcases++
	line = $0
	sub(/^    /, "", line)
	ok = (line !~ /^not ok/)
	name = line
	sub(/^(not )?ok [0-9]+ /, "", name)
	if (name ~ /# SKIP/) { sub(/ *# SKIP.*/, "", name); ok = "skip" }
	if (!ok) kfails++
	result(ok, "kunit " suite "." name)
	next
}
in_ksft && /^1\.\.[0-9]+$/ { splan = substr($0, 4) + 0; next }
# The harness names a skipped test only in its "#  RUN" line.
in_ksft && /^#  RUN / { running = $3; checks_failed = 0; next }
# The 6.1 harness reports a test that failed a check and then skipped as
# skipped (SKIP() marks it passed): its failed checks say otherwise.
in_ksft && /^# [^ ]+:[0-9]+:[^ ]+:Expected / { checks_failed = 1 }
in_ksft && /^(not )?ok [0-9]+ / {
	scases++
	ok = ($0 !~ /^not ok/)
	name = $0
	sub(/^(not )?ok [0-9]+ /, "", name)
	if (name ~ /# SKIP/) {
		sub(/ *# SKIP.*/, "", name)
		ok = checks_failed ? 0 : "skip"
		if (name == "") name = running
		if (expect_kunit && bin ~ /^(fault|uffd|async)_test$/) {
			ok = 0
			name = name " (skipped on the debug kernel, built for it)"
		}
	}
	if (!ok) bin_failed = 1
	result(ok, "kselftest " bin ": " name)
	next
}
in_leak && /unreferenced object/ { leaks++ }
$0 ~ reports { nreports++; if (nreports <= 40) report[nreports] = $0 }
END {
	if (insmod != "ok")
		result(0, "module loads")
	else
		result(1, "module loads")
	if (expect_kunit && !kunit_suites)
		result(0, "kunit: no suite reported results")
	if (insmod == "ok" && !ksft_bins)
		result(0, "kselftest: no test binary ran")
	result(cpus >= 2, "the kernel runs on 2 vCPUs (" cpus + 0 " brought up)")
	if (insmod == "ok") {
		result(busy == "ok", "rmmod refused while /dev/mailbox is open")
		result(busy_handle == "ok",
		       "rmmod refused while a mailbox handle is open")
		result(rmmod == "ok", "module unloads (rmmod) once closed")
	}
	result(done && vm_status == 0, "guest finished (vm status " vm_status ")")
	if (expect_kunit && insmod == "ok")
		result(leak_scan, "kmemleak scan ran")
	if (leaks)
		report[++nreports] = "kmemleak: " leaks " unreferenced object(s)"
	for (i = 1; i <= nreports && i <= 40; i++)
		printf "  report: %s\n", report[i]
	result(nreports == 0, "kernel log clean (no BUG/WARNING/KASAN/UBSAN/lockdep/kmemleak/hung task)")
	printf "COUNTS %d %d %d\n", passed, failed, skipped
	exit failed != 0
}'
