#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make check's quick pass of the benchmark (mbxbench -q): every workload
# runs once, for /dev/mailbox and every baseline, with one short batch
# per figure.  Each figure is a TAP line: ok when it ran and its value is
# finite and positive, SKIP when a mechanism cannot do that size.  Timing
# thresholds belong to `make bench`, not here.

echo "TAP version 13"
exec mbxbench -q -s 1
