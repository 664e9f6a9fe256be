// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-check (make selfcheck): a module that leaks one small
 * allocation when loaded.  Every test of the run still passes; the
 * kmemleak scan at the end of the boot alone must turn the verdict red.
 *
 * The pointer is kept nowhere: the allocating function is not inlined, so
 * its frame is reused by whatever runs next, and the harness scans three
 * times, seconds apart, so no stale copy survives to hide the leak.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static noinline int mbx_selfcheck_leak_one(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	strscpy(p, "mbx_selfcheck: planted leak", 128);
	OPTIMIZER_HIDE_VAR(p);
	return 0;
}

static int __init mbx_selfcheck_leak_init(void)
{
	return mbx_selfcheck_leak_one();
}

static void __exit mbx_selfcheck_leak_exit(void)
{
}

module_init(mbx_selfcheck_leak_init);
module_exit(mbx_selfcheck_leak_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox harness self-check: a memory leak");
