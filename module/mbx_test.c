// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the /dev/mailbox module's internals.
 *
 * Built as its own module, mbx_test.ko, which uses the symbols mbx.ko
 * exports to the EXPORTED_FOR_KUNIT_TESTING namespace (only when the
 * kernel has CONFIG_KUNIT).  The suites run when mbx_test.ko is loaded;
 * results are in /sys/kernel/debug/kunit/<suite>/results.
 */
#include <kunit/test.h>
#include <linux/mm.h>

#include "mbx_internal.h"

/* ---- size-versioned arguments ------------------------------------------ */

struct mbx_size_case {
	const char *what;
	u32 usize;
	int expected;
};

static const struct mbx_size_case mbx_size_cases[] = {
	{ "zero size",			0,			-EINVAL },
	{ "one byte short of ver0",	MBX_INFO_SIZE_VER0 - 1,	-EINVAL },
	{ "exactly ver0",		MBX_INFO_SIZE_VER0,	0 },
	{ "a newer, larger struct",	MBX_INFO_SIZE_VER0 + 8,	0 },
	{ "a full page",		PAGE_SIZE,		0 },
	{ "one byte over a page",	PAGE_SIZE + 1,		-E2BIG },
	{ "U32_MAX",			U32_MAX,		-E2BIG },
};

static void mbx_size_case_desc(const struct mbx_size_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mbx_size, mbx_size_cases, mbx_size_case_desc);

static void mbx_uarg_size_is_checked(struct kunit *test)
{
	const struct mbx_size_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, mbx_uarg_check_size(c->usize, MBX_INFO_SIZE_VER0),
			c->expected);
}

/* ---- MBX_IOC_INFO -------------------------------------------------------- */

/* A valid request is answered with the module's version and limits. */
static void mbx_info_reports_limits(struct kunit *test)
{
	struct mbx_info info = { .size = sizeof(info) };

	KUNIT_ASSERT_EQ(test, mbx_info_fill(&info), 0);
	KUNIT_EXPECT_EQ(test, info.abi_version, MBX_ABI_VERSION);
	KUNIT_EXPECT_EQ(test, info.features, MBX_FEATURES_SUPPORTED);
	KUNIT_EXPECT_EQ(test, info.max_msg_size, mbx_max_msg_size);
	KUNIT_EXPECT_EQ(test, info.max_msg_size_cap, mbx_max_msg_size_cap);
	/* The module refuses to load with a default above the cap. */
	KUNIT_EXPECT_LE(test, info.max_msg_size, info.max_msg_size_cap);
	/* Users must be able to make mailboxes for 4 MiB messages. */
	KUNIT_EXPECT_GE(test, info.max_msg_size_cap, 4U << 20);
}

/* Unknown flags are refused and nothing is filled in. */
static void mbx_info_rejects_flags(struct kunit *test)
{
	struct mbx_info info = { .size = sizeof(info), .flags = 1 };

	KUNIT_EXPECT_EQ(test, mbx_info_fill(&info), -EINVAL);
	KUNIT_EXPECT_EQ(test, info.abi_version, 0);
	KUNIT_EXPECT_EQ(test, info.max_msg_size, 0);
}

/* A non-zero reserved field is refused like an unknown flag. */
static void mbx_info_rejects_reserved(struct kunit *test)
{
	struct mbx_info info = { .size = sizeof(info), .__reserved = 1 };

	KUNIT_EXPECT_EQ(test, mbx_info_fill(&info), -EINVAL);
	KUNIT_EXPECT_EQ(test, info.abi_version, 0);
}

static struct kunit_case mbx_uarg_cases[] = {
	KUNIT_CASE_PARAM(mbx_uarg_size_is_checked, mbx_size_gen_params),
	{}
};

static struct kunit_suite mbx_uarg_suite = {
	.name = "mbx_uarg",
	.test_cases = mbx_uarg_cases,
};

static struct kunit_case mbx_info_cases[] = {
	KUNIT_CASE(mbx_info_reports_limits),
	KUNIT_CASE(mbx_info_rejects_flags),
	KUNIT_CASE(mbx_info_rejects_reserved),
	{}
};

static struct kunit_suite mbx_info_suite = {
	.name = "mbx_info",
	.test_cases = mbx_info_cases,
};

kunit_test_suites(&mbx_uarg_suite, &mbx_info_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for /dev/mailbox");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
