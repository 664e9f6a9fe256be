#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# TAP test of the mbx(1) tool, run in the test VM (busybox sh) as root
# with the module loaded.  Each check is one TAP line.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n $1"; failed=1; }
# check DESCRIPTION COMMAND...: the command's success is the test's.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
status() { "$@" >/dev/null 2>&1; echo $?; }

echo "TAP version 13"
echo "1..34"

box=/tool-test-$$
tmp=$(mktemp -d)
esc=$(printf '\033')
# Whatever a failed check left behind goes too.
trap 'for b in "$box" "$box-k" "$box-hold" "$box-ro" "$box-n" "$box-s" "$box-${esc}[2J"; do mbx destroy "$b" >/dev/null 2>&1; done; rm -rf "$tmp"' EXIT

check "help exits 0 and explains usage" sh -c 'mbx --help | grep -q "^Usage: mbx"'
check "an unknown command is a usage error (2)" [ "$(status mbx frobnicate x)" = 2 ]
check "create prints the new id" sh -c "mbx create $box -c bounded -n 8 >$tmp/id && grep -qx '[0-9][0-9]*' $tmp/id"
check "create -x of an existing one fails (1), saying why" \
	sh -c "! mbx create $box -x 2>$tmp/err && grep -q 'File exists' $tmp/err"
check "list shows it" sh -c "mbx list | grep -q -- ' $box '"
# Every column as wide as its heading: a short name's row is exactly as
# long as the header line.
check "list: the columns line up with the header" \
	sh -c "mbx list | awk -v b='$box' 'NR == 1 { h = length(\$0) } \$3 == b { r = length(\$0) } END { exit !(h && h == r) }'"
check "send an argument, receive it" sh -c "mbx send $box hello world && [ \"\$(mbx recv $box)\" = 'hello world' ]"
check "a non-blocking receive of nothing exits 3" [ "$(status mbx recv "$box" -N)" = 3 ]
check "a timed receive of nothing exits 3" [ "$(status mbx recv "$box" -t 0.1)" = 3 ]
check "stat counts queued messages" \
	sh -c "mbx send $box a && mbx send $box b && mbx stat $box | grep -q '^messages: *2$' && mbx recv $box -C 2 -l >/dev/null"
head -c 3000 /dev/urandom >"$tmp/blob"
check "standard input is one message, byte for byte" \
	sh -c "mbx send $box <$tmp/blob && mbx recv $box >$tmp/back && cmp -s $tmp/blob $tmp/back"
check "a producer/consumer pipeline through a bounded mailbox" \
	sh -c "(seq 1 40 | mbx send $box -l) & mbx recv $box -l -C 40 >$tmp/seq; wait; [ \"\$(wc -l <$tmp/seq)\" -eq 40 ] && [ \"\$(sort -n $tmp/seq | tail -1)\" = 40 ]"
check "by key: create with -k, receive with -k" \
	sh -c "mbx create -k 4242 -c unbounded >/dev/null && mbx send -k 4242 keyed && [ \"\$(mbx recv -k 4242)\" = keyed ] && mbx destroy -k 4242"
check "recv -C 3 -N of two queued messages gets both and exits 0" \
	sh -c "mbx send $box one && mbx send $box two && mbx recv $box -C 3 -N -l >$tmp/two && [ \"\$(cat $tmp/two | tr '\n' ' ')\" = 'one two ' ]"
check "after -- a message may start with a dash" \
	sh -c "mbx send $box -- -v && [ \"\$(mbx recv $box)\" = '-v' ]"
check "create NAME -k KEY names one mailbox both ways" \
	sh -c "mbx create $box-k -k 4343 -x >/dev/null && mbx send -k 4343 both && [ \"\$(mbx recv $box-k)\" = both ]"
check "stat NAME -k KEY: both must name it" \
	sh -c "mbx stat $box-k -k 4343 | grep -q '^key: *4343$' && ! mbx stat $box-k -k 4344 2>$tmp/err && grep -q 'No such file' $tmp/err && mbx destroy $box-k -k 4343 && ! mbx stat $box-k 2>/dev/null"
# A name that would clear the screen: list and stat show it escaped.
mbx create "$box-${esc}[2J" >/dev/null
check "control bytes of a name are escaped in list and stat" \
	sh -c "mbx list >$tmp/list && mbx stat '$box-${esc}[2J' >$tmp/stat && ! grep -q '$esc' $tmp/list $tmp/stat && grep -q -- ' $box-\\\\033\[2J ' $tmp/list && grep -q -- '^name: *$box-\\\\033\[2J$' $tmp/stat"
mbx destroy "$box-${esc}[2J" >/dev/null 2>&1
# A process with /dev/mailbox open (a receive waiting on a mailbox of
# its own, which nobody sends to) has an inbox row.
mbx create "$box-hold" >/dev/null
mbx recv "$box-hold" -t 5 >/dev/null 2>&1 &
holder=$!
sleep 0.5
check "list -i shows inboxes" sh -c "mbx list -i | grep -q '^ *$holder '"
mbx destroy "$box-hold" >/dev/null 2>&1
wait "$holder" 2>/dev/null
su -s /bin/sh nobody -c "$(command -v mbx) list" >"$tmp/nobody" 2>&1
check "another user lists, but does not see a 0600 mailbox" \
	sh -c "grep -q '^ *id ' $tmp/nobody && ! grep -q -- ' $box ' $tmp/nobody"
# A mailbox nobody may use, but may see: create still tells its id.
mbx create "$box-ro" -m 0444 >"$tmp/roid"
check "create of an existing mailbox the caller may not use prints its id" \
	sh -c "su -s /bin/sh nobody -c '$(command -v mbx) create $box-ro' >$tmp/roid2 && cmp -s $tmp/roid $tmp/roid2"
mbx destroy "$box-ro" >/dev/null 2>&1
check "a signed or blank-prefixed number is a usage error (2)" \
	sh -c "[ \"\$(mbx create $box-n -n -1 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx recv $box -C ' 1' >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create -k +5 >/dev/null 2>&1; echo \$?)\" = 2 ]"
check "a read error on standard input sends nothing (1)" \
	sh -c "[ \"\$(mbx send $box </ >/dev/null 2>&1; echo \$?)\" = 1 ] && [ \"\$(mbx recv $box -N >/dev/null 2>&1; echo \$?)\" = 3 ]"
check "a closed standard input is an error (1), not an empty message" \
	sh -c "[ \"\$(mbx send $box 0<&- >/dev/null 2>&1; echo \$?)\" = 1 ] && [ \"\$(mbx recv $box -N >/dev/null 2>&1; echo \$?)\" = 3 ]"
check "with standard output closed recv takes nothing (1)" \
	sh -c "mbx send $box kept && [ \"\$(mbx recv $box >&- 2>/dev/null; echo \$?)\" = 1 ] && [ \"\$(mbx recv $box)\" = kept ]"
check "output that cannot be written exits 1" \
	sh -c "[ \"\$(mbx list >/dev/full 2>/dev/null; echo \$?)\" = 1 ] && [ \"\$(mbx stat $box >/dev/full 2>/dev/null; echo \$?)\" = 1 ]"
check "an empty name, an out-of-range limit or mode, -I with -k: usage errors (2)" \
	sh -c "[ \"\$(mbx stat '' >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create $box-n -n 0 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create $box-n -n 1048577 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create $box-n -m 1777 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx stat -I 1 -k 5 >/dev/null 2>&1; echo \$?)\" = 2 ] && ! mbx stat $box-n >/dev/null 2>&1"
check "an option its command does not take is a usage error (2), and does nothing" \
	sh -c "[ \"\$(mbx send $box -C 3 x >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx stat $box -N >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx list -k 3 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create -I 1 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx recv $box -N >/dev/null 2>&1; echo \$?)\" = 3 ]"
check "a limit for a mailbox that is not bounded is a usage error (2), nothing created" \
	sh -c "[ \"\$(mbx create $box-n -c unbounded -n 4 >/dev/null 2>&1; echo \$?)\" = 2 ] && [ \"\$(mbx create $box-n -n 4 -c zero >/dev/null 2>&1; echo \$?)\" = 2 ] && ! mbx stat $box-n >/dev/null 2>&1"
# A reader gone before recv starts (the reader of its pipe has exited):
# recv says so and takes nothing, where SIGPIPE used to kill it (141)
# with a message taken and lost.
mbx send "$box" stays-1 && mbx send "$box" stays-2
{ sleep 1; mbx recv "$box" -C 0 -N 2>"$tmp/pipe-err"; echo $? >"$tmp/pipe-rc"; } | true
check "recv into a pipe nobody reads fails (1) and takes nothing" \
	sh -c "[ \"\$(cat $tmp/pipe-rc)\" = 1 ] && grep -q 'nobody reads' $tmp/pipe-err && [ \"\$(mbx recv $box -C 0 -N -l | tr '\n' ' ')\" = 'stays-1 stays-2 ' ]"
# An endless line: send -l must give up past the mailbox's largest
# message, not read on until memory runs out.
mbx create "$box-s" -s 64 >/dev/null
check "send -l of an endless line fails (1) at once, sending nothing of it" \
	sh -c "[ \"\$(tr '\\0' x </dev/zero | timeout 20 mbx send $box-s -l 2>$tmp/err; echo \$?)\" = 1 ] && grep -q 'too long' $tmp/err && [ \"\$(mbx recv $box-s -N >/dev/null 2>&1; echo \$?)\" = 3 ]"
mbx destroy "$box-s" >/dev/null 2>&1
# Stopped and continued, a timed receive waits out its timeout (3), as
# before a stop; the module ends such a wait with EINTR, which mbx retries.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
t0=$(uptime_s)
mbx recv "$box" -t 2 >/dev/null 2>&1 &
waiter=$!
sleep 0.5
kill -STOP "$waiter"
kill -CONT "$waiter"
wait "$waiter"
rc=$?
t1=$(uptime_s)
check "a stop and continue does not end a timed receive early" \
	sh -c "[ $rc = 3 ] && awk -v a=$t0 -v b=$t1 'BEGIN { exit !(b - a >= 1.8) }'"
check "destroy, then stat fails (1) with a message" \
	sh -c "mbx destroy $box && ! mbx stat $box 2>$tmp/err && grep -q 'No such file' $tmp/err"
check "no mailbox named: usage error (2)" [ "$(status mbx recv)" = 2 ]
exit $failed
