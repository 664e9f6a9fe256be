// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-check (make selfcheck): a module that reads freed memory
 * once when loaded.  Every test of the run still passes (the kernel runs
 * with kasan.fault=report, so KASAN reports and goes on); the kernel log
 * check alone must turn the verdict red.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

static int __init mbx_selfcheck_kasan_init(void)
{
	char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	/* Hidden from the compiler, which would otherwise drop the read. */
	OPTIMIZER_HIDE_VAR(p);
	pr_info("mbx_selfcheck: read what it freed: %d\n",
		READ_ONCE(p[0]));
	return 0;
}

static void __exit mbx_selfcheck_kasan_exit(void)
{
}

module_init(mbx_selfcheck_kasan_init);
module_exit(mbx_selfcheck_kasan_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox harness self-check: a KASAN report");
