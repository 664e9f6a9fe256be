// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-check (make selfcheck): a KUnit suite whose one case fails
 * on purpose.  Packed only into the self-check's initramfs; `make check`
 * never loads it.  The run that loads it must end red.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void mbx_selfcheck_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "planted failure: the harness must catch this");
}

static struct kunit_case mbx_selfcheck_cases[] = {
	KUNIT_CASE(mbx_selfcheck_fails),
	{}
};

static struct kunit_suite mbx_selfcheck_suite = {
	.name = "mbx_selfcheck",
	.test_cases = mbx_selfcheck_cases,
};

kunit_test_suite(mbx_selfcheck_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/mailbox harness self-check: a failing KUnit case");
