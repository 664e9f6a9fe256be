// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-check (make selfcheck): a kselftest with one test that
 * fails on purpose, beside one that passes.  Packed only into the
 * self-check's initramfs.
 */
#include "kselftest_harness.h"

TEST(passes)
{
	EXPECT_EQ(1, 1);
}

TEST(planted_failure)
{
	EXPECT_EQ(1, 2) TH_LOG("planted failure: the harness must catch this");
}

TEST_HARNESS_MAIN
