// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-check (make selfcheck): a module that WARNs once when
 * loaded and otherwise does nothing.  Every test of the run still passes;
 * the kernel log check alone must turn the verdict red.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init mbx_selfcheck_warn_init(void)
{
	WARN(1, "mbx_selfcheck: planted warning: the harness must catch this\n");
	return 0;
}

static void __exit mbx_selfcheck_warn_exit(void)
{
}

module_init(mbx_selfcheck_warn_init);
module_exit(mbx_selfcheck_warn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox harness self-check: a kernel WARNING");
