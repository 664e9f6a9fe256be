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
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>

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

/* ---- read() and write() ------------------------------------------------ */

/* Does mbx_iter_ubuf() take @it, as one buffer starting at @at? */
static bool mbx_test_iter_at(const struct iov_iter *it, const void __user *at)
{
	void __user *ubuf;

	return mbx_iter_ubuf(it, &ubuf) && ubuf == at;
}

static bool mbx_test_iter_refused(const struct iov_iter *it)
{
	void __user *ubuf;

	return !mbx_iter_ubuf(it, &ubuf);
}

/*
 * read() and write() take one user buffer: a plain read or write, or a
 * vector of one segment, at whatever point the iterator has advanced to,
 * and a NULL one too (an empty message needs no buffer; a longer one
 * faults later, EFAULT).  Several segments and kernel memory are
 * refused.  Only the iterators are built: no user memory is touched.
 */
static void mbx_iter_takes_one_user_buffer(struct kunit *test)
{
	char __user *ubuf = (char __user *)0x10000;
	struct iovec two[2] = {
		{ .iov_base = ubuf, .iov_len = 10 },
		{ .iov_base = ubuf + 64, .iov_len = 10 },
	};
	char kbuf[8];
	struct kvec kv = { .iov_base = kbuf, .iov_len = sizeof(kbuf) };
	struct iov_iter it;

	iov_iter_ubuf(&it, ITER_DEST, ubuf, 10);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_at(&it, ubuf));
	iov_iter_advance(&it, 3);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_at(&it, ubuf + 3));

	iov_iter_ubuf(&it, ITER_SOURCE, NULL, 0);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_at(&it, NULL));

	iov_iter_init(&it, ITER_SOURCE, two, 1, 10);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_at(&it, ubuf));
	iov_iter_advance(&it, 4);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_at(&it, ubuf + 4));

	iov_iter_init(&it, ITER_SOURCE, two, 2, 20);
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_refused(&it));

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, sizeof(kbuf));
	KUNIT_EXPECT_TRUE(test, mbx_test_iter_refused(&it));
}

/* ---- MBX_IOC_INFO -------------------------------------------------------- */

/* A valid request is answered with the module's version and limits. */
static void mbx_info_reports_limits(struct kunit *test)
{
	struct mbx_info info = { .size = sizeof(info) };

	KUNIT_ASSERT_EQ(test, mbx_info_fill(&info), 0);
	KUNIT_EXPECT_EQ(test, info.abi_version, MBX_ABI_VERSION);
	/* Listed here, not taken from the module's own macro. */
	KUNIT_EXPECT_EQ(test, info.features,
			(u64)(MBX_FEATURE_MAILBOXES | MBX_FEATURE_DIRECT |
			      MBX_FEATURE_CALL | MBX_FEATURE_READ_WRITE));
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

/* ---- argument validation ------------------------------------------------ */

struct mbx_open_case {
	const char *what;
	struct mbx_open args;
	int expected;
};

#define RW	(MBX_O_SEND | MBX_O_RECV)

static const struct mbx_open_case mbx_open_cases[] = {
	{ "private zero", { .flags = RW | MBX_O_PRIVATE }, 0 },
	{ "private bounded", { .flags = RW | MBX_O_PRIVATE,
	  .capacity = MBX_CAP_BOUNDED, .limit = 1 }, 0 },
	{ "named create", { .flags = RW | MBX_O_CREAT, .name = 1 }, 0 },
	{ "keyed open", { .flags = MBX_O_RECV, .key = 9 }, 0 },
	{ "by id", { .flags = MBX_O_SEND | MBX_O_BY_ID, .id = 3 }, 0 },
	{ "unknown flag", { .flags = RW | MBX_O_PRIVATE | (1U << 31) },
	  -EINVAL },
	{ "control handle", { .flags = MBX_O_BY_ID, .id = 4 }, 0 },
	{ "no access, private", { .flags = MBX_O_PRIVATE }, -EINVAL },
	{ "no access, create", { .flags = MBX_O_CREAT, .key = 2 }, -EINVAL },
	{ "private and named", { .flags = RW | MBX_O_PRIVATE, .key = 1 },
	  -EINVAL },
	{ "private and by id", { .flags = RW | MBX_O_PRIVATE | MBX_O_BY_ID,
	  .id = 1 }, -EINVAL },
	{ "by id 0", { .flags = RW | MBX_O_BY_ID }, -EINVAL },
	{ "by id with create", { .flags = RW | MBX_O_BY_ID | MBX_O_CREAT,
	  .id = 1 }, -EINVAL },
	{ "nameless", { .flags = RW | MBX_O_CREAT }, -EINVAL },
	{ "excl without creat", { .flags = RW | MBX_O_EXCL, .key = 1 },
	  -EINVAL },
	{ "bad capacity", { .flags = RW | MBX_O_PRIVATE, .capacity = 3 },
	  -EINVAL },
	{ "bounded, limit 0", { .flags = RW | MBX_O_PRIVATE,
	  .capacity = MBX_CAP_BOUNDED }, -EINVAL },
	{ "bounded, limit too big", { .flags = RW | MBX_O_PRIVATE,
	  .capacity = MBX_CAP_BOUNDED, .limit = MBX_LIMIT_MAX + 1 }, -EINVAL },
	{ "unbounded with limit", { .flags = RW | MBX_O_PRIVATE,
	  .capacity = MBX_CAP_UNBOUNDED, .limit = 5 }, -EINVAL },
	{ "mode with sticky bit", { .flags = RW | MBX_O_PRIVATE,
	  .mode = 01777 }, -EINVAL },
	{ "size above cap", { .flags = RW | MBX_O_PRIVATE,
	  .max_msg_size = U32_MAX }, -EINVAL },
	{ "creation args on plain open", { .flags = RW, .key = 1,
	  .mode = 0600 }, -EINVAL },
};

static void mbx_open_case_desc(const struct mbx_open_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mbx_open, mbx_open_cases, mbx_open_case_desc);

static void mbx_open_args_are_checked(struct kunit *test)
{
	const struct mbx_open_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, mbx_open_check(&c->args), c->expected);
}

static void mbx_send_recv_args_are_checked(struct kunit *test)
{
	struct mbx_send s = { .size = sizeof(s) };
	struct mbx_recv r = { .size = sizeof(r) };

	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), 0);
	s.flags = MBX_F_TRUNC;
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), -EINVAL);
	s.flags = MBX_F_TIMEOUT;
	s.timeout_ns = -1;
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), -EINVAL);
	s.timeout_ns = 0;
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), 0);
	s.flags = MBX_F_TIMEOUT | MBX_F_NONBLOCK;
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), -EINVAL);
	s.flags = 0;
	s.timeout_ns = 5;	/* a timeout without MBX_F_TIMEOUT */
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), -EINVAL);
	s.timeout_ns = 0;
	s.__reserved = 1;
	KUNIT_EXPECT_EQ(test, mbx_send_check(&s), -EINVAL);

	KUNIT_EXPECT_EQ(test, mbx_recv_check(&r), 0);
	r.flags = MBX_F_TRUNC | MBX_F_NONBLOCK;
	KUNIT_EXPECT_EQ(test, mbx_recv_check(&r), 0);
	r.flags = MBX_F_SYNC;
	KUNIT_EXPECT_EQ(test, mbx_recv_check(&r), -EINVAL);
	r.flags = 0;
	r.msg_len = 1;		/* output left over from a previous call */
	r.sender_pid = 7;
	KUNIT_EXPECT_EQ(test, mbx_recv_check(&r), 0);
	r.__reserved = 1;
	KUNIT_EXPECT_EQ(test, mbx_recv_check(&r), -EINVAL);
}

static void mbx_set_args_are_checked(struct kunit *test)
{
	struct mbx_set a = { .size = sizeof(a) };

	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), -EINVAL);	/* no flags */
	a.flags = MBX_SET_MODE;
	a.mode = 0640;
	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), 0);
	a.mode = 01000;
	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), -EINVAL);
	a.mode = 0;
	a.limit = 3;		/* a value without its flag */
	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), -EINVAL);
	a.flags |= MBX_SET_LIMIT;
	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), 0);
	a.flags = MBX_SET_MSGSIZE;
	a.limit = 0;
	a.max_msg_size = mbx_max_msg_size_cap + 1;
	KUNIT_EXPECT_EQ(test, mbx_set_check(&a), -EINVAL);
}

/* The ipc_perm rule: owner bits, else group bits, else other bits. */
static void mbx_mode_bits_decide_access(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0600, true, false, RW), 0);
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0600, false, true, MBX_O_SEND),
			-EACCES);
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0640, false, true, MBX_O_RECV),
			0);
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0640, false, true, RW),
			-EACCES);
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0602, false, false, MBX_O_SEND),
			0);
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0602, false, false, MBX_O_RECV),
			-EACCES);
	/* The owner gets owner bits even when "other" would allow more. */
	KUNIT_EXPECT_EQ(test, mbx_mode_allows(0066, true, false, MBX_O_SEND),
			-EACCES);
}

/* ---- per-user accounting ----------------------------------------------- */

#define MBX_TEST_UID	KUIDT_INIT(424242)

static void mbx_user_quota_is_enforced(struct kunit *test)
{
	struct mbx_user *u = mbx_user_get(MBX_TEST_UID);

	KUNIT_ASSERT_NOT_NULL(test, u);
	KUNIT_EXPECT_PTR_EQ(test, mbx_user_get(MBX_TEST_UID), u);
	mbx_user_put(u);

	KUNIT_EXPECT_EQ(test, mbx_user_charge_bytes(u, 600, 1000), 0);
	KUNIT_EXPECT_EQ(test, mbx_user_charge_bytes(u, 401, 1000), -ENOBUFS);
	/* A failed charge leaves the count as it was. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&u->bytes), 600);
	KUNIT_EXPECT_EQ(test, mbx_user_charge_bytes(u, 400, 1000), 0);
	mbx_user_uncharge_bytes(u, 1000);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&u->bytes), 0);

	KUNIT_EXPECT_EQ(test, mbx_user_charge_mailbox(u, 2), 0);
	KUNIT_EXPECT_EQ(test, mbx_user_charge_mailbox(u, 2), 0);
	KUNIT_EXPECT_EQ(test, mbx_user_charge_mailbox(u, 2), -ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic_read(&u->mailboxes), 2);
	mbx_user_uncharge_mailbox(u);
	mbx_user_uncharge_mailbox(u);
	mbx_user_put(u);
}

/* ---- queue and capacity, with kernel buffers ---------------------------- */

static struct mbx_box *mbx_test_box(struct kunit *test, u32 capacity,
				    u32 limit, struct mbx_user **user)
{
	struct mbx_open args = {
		.capacity = capacity, .limit = limit, .max_msg_size = 64,
		.mode = 0600,
	};
	struct mbx_box *box;

	*user = mbx_user_get(MBX_TEST_UID);
	KUNIT_ASSERT_NOT_NULL(test, *user);
	/* The box owns one creator reference. */
	refcount_inc(&(*user)->ref);
	box = mbx_box_alloc(&args, "", *user);
	KUNIT_ASSERT_NOT_NULL(test, box);
	return box;
}

static int mbx_test_send(struct mbx_box *box, struct mbx_user *user,
			 const void *buf, size_t len)
{
	struct mbx_sendop op = { .kbuf = buf, .len = len, .nonblock = true };

	return mbx_box_send(box, user, &op);
}

static int mbx_test_recv(struct mbx_box *box, void *buf, size_t len,
			 u32 flags, struct mbx_recvop *op)
{
	memset(op, 0, sizeof(*op));
	op->kbuf = buf;
	op->len = len;
	op->flags = flags;
	op->nonblock = true;
	return mbx_box_recv(box, op);
}

static void mbx_test_box_done(struct mbx_box *box, struct mbx_user *user)
{
	mbx_box_kill(box);
	mbx_box_put(box);
	mbx_user_put(user);
}

/* Bounded: FIFO, `limit` messages, then EAGAIN; metadata stamped. */
static void mbx_bounded_queue_is_fifo(struct kunit *test)
{
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;
	struct mbx_stat st = {};
	int i, v;

	box = mbx_test_box(test, MBX_CAP_BOUNDED, 3, &user);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, &i, sizeof(i)),
				0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, &i, sizeof(i)),
			-EAGAIN);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 3);
	KUNIT_EXPECT_EQ(test, st.msg_bytes, 3 * sizeof(int));

	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, mbx_test_recv(box, &v, sizeof(v), 0, &op),
				0);
		KUNIT_EXPECT_EQ(test, v, i);
		KUNIT_EXPECT_EQ(test, op.msg_len, sizeof(int));
		KUNIT_EXPECT_PTR_EQ(test, op.sender, task_tgid(current));
		put_pid(op.sender);
	}
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, &v, sizeof(v), 0, &op),
			-EAGAIN);
	mbx_test_box_done(box, user);
}

/* Too small a buffer: EMSGSIZE, size needed, message stays; TRUNC takes. */
static void mbx_small_buffer_keeps_message(struct kunit *test)
{
	char msg[10] = "0123456789", buf[10] = {};
	struct mbx_stat st = {};
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, msg, sizeof(msg)), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, buf, 4, 0, &op), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, op.msg_len, sizeof(msg));
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 1);

	KUNIT_ASSERT_EQ(test, mbx_test_recv(box, buf, 4, MBX_F_TRUNC, &op), 0);
	KUNIT_EXPECT_EQ(test, op.msg_len, sizeof(msg));
	KUNIT_EXPECT_EQ(test, memcmp(buf, "0123", 4), 0);
	KUNIT_EXPECT_EQ(test, buf[4], 0);
	put_pid(op.sender);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 0);
	mbx_test_box_done(box, user);
}

/* Longer than the mailbox's maximum: EMSGSIZE and nothing queued. */
static void mbx_oversized_send_fails(struct kunit *test)
{
	static const char big[65];
	struct mbx_stat st = {};
	struct mbx_user *user;
	struct mbx_box *box;

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, big, 65), -EMSGSIZE);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, big, 64), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, big, 0), 0);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 2);
	KUNIT_EXPECT_EQ(test, st.msg_bytes, 64);
	mbx_test_box_done(box, user);
}

/* Unbounded sends stop at the quota with ENOBUFS; receiving frees it. */
static void mbx_unbounded_stops_at_quota(struct kunit *test)
{
	unsigned long saved = mbx_user_bytes_max;
	const size_t per_msg = sizeof(struct mbx_msg) + 32;
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;
	char buf[32] = {};

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	WRITE_ONCE(mbx_user_bytes_max, 3 * per_msg);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 32), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 32), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 32), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 32), -ENOBUFS);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->bytes), 3 * per_msg);
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, buf, 32, 0, &op), 0);
	put_pid(op.sender);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->bytes), 2 * per_msg);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 32), 0);
	WRITE_ONCE(mbx_user_bytes_max, saved);
	/* Destroy frees what is queued and gives the quota back. */
	mbx_box_kill(box);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->bytes), 0);
	mbx_box_put(box);
	mbx_user_put(user);
}

/* After kill every operation fails with EIDRM. */
static void mbx_killed_box_is_eidrm(struct kunit *test)
{
	struct mbx_stat st = { .size = sizeof(st) };
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;
	char buf[4] = "abc";

	box = mbx_test_box(test, MBX_CAP_BOUNDED, 2, &user);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, 4), 0);
	mbx_box_kill(box);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 4), -EIDRM);
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, buf, 4, 0, &op), -EIDRM);
	KUNIT_EXPECT_EQ(test, mbx_box_stat(box, &st), -EIDRM);
	mbx_box_put(box);
	mbx_user_put(user);
}

/* Zero capacity never queues: without a partner, both sides EAGAIN. */
static void mbx_zero_capacity_needs_partner(struct kunit *test)
{
	struct mbx_stat st = {};
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;
	char buf[4] = "abc";

	box = mbx_test_box(test, MBX_CAP_ZERO, 0, &user);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 4), -EAGAIN);
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, buf, 4, 0, &op), -EAGAIN);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 0);
	KUNIT_EXPECT_EQ(test, st.senders_waiting, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->bytes), 0);
	mbx_test_box_done(box, user);
}

/* Receive one message of @len bytes, all @c: 0 or an error. */
static int mbx_test_recv_filled(struct kunit *test, struct mbx_box *box,
				u8 *buf, size_t len, u8 c)
{
	struct mbx_recvop op;
	int ret = mbx_test_recv(box, buf, len, 0, &op);

	if (ret)
		return ret;
	put_pid(op.sender);
	KUNIT_EXPECT_EQ(test, op.msg_len, len);
	return memchr_inv(buf, c, len) ? -EBADMSG : 0;
}

/*
 * The memory of a large message received while others are queued is kept
 * (box->spare, mbx_msg.c) for the next send of about its size, which
 * puts its own bytes in it; the receive that empties the queue frees it,
 * and a send too large or too small for it frees it too.  Small messages
 * are never kept.
 */
static void mbx_spare_is_reused_while_queued(struct kunit *test)
{
	const size_t len = 8192;
	struct mbx_user *user;
	struct mbx_box *box;
	struct mbx_msg *kept;
	u8 *buf;

	buf = kunit_kmalloc(test, 4 * len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	WRITE_ONCE(box->max_msg_size, 4 * len);

	memset(buf, 'a', len);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	memset(buf, 'b', len);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'a'),
			0);
	kept = READ_ONCE(box->spare);
	KUNIT_EXPECT_NOT_NULL(test, kept);	/* 'b' is still queued */

	memset(buf, 'c', len);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(box->spare));
	KUNIT_EXPECT_PTR_EQ(test, list_last_entry(&box->queue, struct mbx_msg,
						  node), kept);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'b'),
			0);
	KUNIT_EXPECT_NOT_NULL(test, READ_ONCE(box->spare));
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'c'),
			0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(box->spare));	/* queue empty */

	/* A spare that a send does not fit is freed, not used. */
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'c'),
			0);
	KUNIT_EXPECT_NOT_NULL(test, READ_ONCE(box->spare));
	memset(buf, 'd', 4 * len);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, 4 * len), 0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(box->spare));
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'c'),
			0);
	KUNIT_EXPECT_EQ(test,
			mbx_test_recv_filled(test, box, buf, 4 * len, 'd'), 0);

	/* Small ones are not kept. */
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, 8), 0);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, 8), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, 8, 'd'), 0);
	KUNIT_EXPECT_NULL(test, READ_ONCE(box->spare));
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, 8, 'd'), 0);
	/* The byte quota is charged per message, spare or not. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&user->bytes), 0);
	mbx_test_box_done(box, user);
}

/* receive(Q): only Q's messages match; the others stay queued, in order. */
static void mbx_receive_filter_matches_sender(struct kunit *test)
{
	struct pid *other = find_get_pid(1);
	struct mbx_stat st = {};
	struct mbx_recvop op;
	struct mbx_user *user;
	struct mbx_box *box;
	int v, got = 0;

	KUNIT_ASSERT_NOT_NULL(test, other);
	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	for (v = 7; v < 10; v++)
		KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, &v, sizeof(v)),
				0);

	memset(&op, 0, sizeof(op));
	op.kbuf = &got;
	op.len = sizeof(got);
	op.nonblock = true;
	op.from = other;	/* init sent nothing */
	KUNIT_EXPECT_EQ(test, mbx_box_recv(box, &op), -EAGAIN);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 3);

	/* Q's first, then the rest from anyone: still in sending order. */
	op.from = task_tgid(current);
	for (v = 7; v < 10; v++) {
		KUNIT_EXPECT_EQ(test, mbx_box_recv(box, &op), 0);
		KUNIT_EXPECT_EQ(test, got, v);
		put_pid(op.sender);
		op.from = NULL;
	}
	put_pid(other);
	mbx_test_box_done(box, user);
}

/* ---- links and matching: peers, with kernel buffers ---------------------- */

/*
 * A message's sender is the process that sent it, so a case with several
 * senders needs several processes: a peer is a kthread worker, its own
 * thread group with its own struct pid.  Work queued on a peer runs in
 * order; an operation that blocks keeps its peer busy until it finishes,
 * and every blocking operation has a deadline, so none can hang a case.
 */
#define MBX_TEST_DEADLINE_MS	10000

struct mbx_test_op {
	struct kthread_work work;
	struct mbx_box *box;
	struct mbx_user *user;		/* send: who pays */
	bool send;
	bool nonblock;
	struct pid *from;		/* receive: the filter */
	int val;			/* send: the message; receive: out */
	ktime_t deadline;
	int ret;
	struct pid *peer;		/* out, ref held: receiver or sender */
};

static void mbx_test_op_fn(struct kthread_work *work)
{
	struct mbx_test_op *t = container_of(work, struct mbx_test_op, work);

	t->deadline = ktime_add_ms(ktime_get(), MBX_TEST_DEADLINE_MS);
	if (t->send) {
		struct mbx_sendop op = {
			.kbuf = &t->val, .len = sizeof(t->val),
			.nonblock = t->nonblock,
			.expires = t->nonblock ? NULL : &t->deadline,
		};

		t->ret = mbx_box_send(t->box, t->user, &op);
		t->peer = op.receiver;
	} else {
		struct mbx_recvop op = {
			.kbuf = &t->val, .len = sizeof(t->val),
			.nonblock = t->nonblock, .from = t->from,
			.expires = t->nonblock ? NULL : &t->deadline,
		};

		t->ret = mbx_box_recv(t->box, &op);
		t->peer = op.sender;
	}
}

static struct kthread_worker *mbx_test_peer(struct kunit *test)
{
	struct kthread_worker *w = kthread_create_worker(0, "mbx_test_peer");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, w);
	return w;
}

static struct pid *mbx_test_peer_pid(struct kthread_worker *w)
{
	return task_tgid(w->task);
}

/* Start @t on peer @w; mbx_test_op_wait() collects it. */
static void mbx_test_op_start(struct kthread_worker *w, struct mbx_test_op *t)
{
	t->ret = -EINPROGRESS;
	t->peer = NULL;
	kthread_init_work(&t->work, mbx_test_op_fn);
	kthread_queue_work(w, &t->work);
}

/* -EINPROGRESS while @t has not finished. */
static int mbx_test_op_ret(const struct mbx_test_op *t)
{
	return READ_ONCE(t->ret);
}

/* Bounded: the operation has a deadline. */
static int mbx_test_op_wait(struct mbx_test_op *t)
{
	kthread_flush_work(&t->work);
	return t->ret;
}

/* A non-blocking send of @val by peer @w. */
static int mbx_test_send_as(struct kthread_worker *w, struct mbx_box *box,
			    struct mbx_user *user, int val)
{
	struct mbx_test_op t = {
		.box = box, .user = user, .send = true, .nonblock = true,
		.val = val,
	};

	mbx_test_op_start(w, &t);
	mbx_test_op_wait(&t);
	put_pid(t.peer);	/* a zero-capacity send's receiver */
	return t.ret;
}

/* A non-blocking receive in the test's own thread, from @from or anyone. */
static int mbx_test_recv_from(struct mbx_box *box, struct pid *from, int *val,
			      struct pid **sender)
{
	struct mbx_recvop op = {
		.kbuf = val, .len = sizeof(*val), .nonblock = true,
		.from = from,
	};
	int ret = mbx_box_recv(box, &op);

	if (sender)
		*sender = op.sender;
	else
		put_pid(op.sender);
	return ret;
}

/*
 * Poll, at most MBX_TEST_DEADLINE_MS, until @cond(@box, @arg) holds.
 * Nothing wakes an observer when a task starts waiting, so this polls;
 * it is bounded.
 */
static bool mbx_test_until(struct mbx_box *box,
			   bool (*cond)(struct mbx_box *box, const int *arg),
			   const int *arg)
{
	unsigned long end = jiffies + msecs_to_jiffies(MBX_TEST_DEADLINE_MS);

	for (;;) {
		if (cond(box, arg))
			return true;
		if (time_after(jiffies, end))
			return false;
		usleep_range(1000, 2000);
	}
}

/* @arg: blocked senders and receivers wanted, -1 for either. */
static bool mbx_test_has_blocked(struct mbx_box *box, const int *arg)
{
	struct mbx_stat st = {};

	mbx_box_stat(box, &st);
	return (arg[0] < 0 || st.senders_waiting == (u32)arg[0]) &&
	       (arg[1] < 0 || st.receivers_waiting == (u32)arg[1]);
}

/*
 * Wait until @box has @senders blocked senders and @receivers blocked
 * receivers (-1: either).
 */
static bool mbx_test_blocked(struct mbx_box *box, int senders, int receivers)
{
	const int want[2] = { senders, receivers };

	return mbx_test_until(box, mbx_test_has_blocked, want);
}

/* A synchronous send from a kthread that gives up after 300 ms. */
struct mbx_test_sync_send {
	struct kthread_work work;
	struct mbx_box *box;
	struct mbx_user *user;
	int val;
	ktime_t deadline;
	int ret;
};

static void mbx_test_sync_send_fn(struct kthread_work *work)
{
	struct mbx_test_sync_send *t = container_of(work, typeof(*t), work);
	struct mbx_sendop op = {
		.kbuf = &t->val, .len = sizeof(t->val), .flags = MBX_F_SYNC,
		.expires = &t->deadline,
	};

	t->deadline = ktime_add_ms(ktime_get(), 300);
	t->ret = mbx_box_send(t->box, t->user, &op);
	put_pid(op.receiver);
}

/*
 * The queue can also empty by a synchronous sender that gives up and
 * takes its message back: the spare kept by the receive before it goes
 * then too, as an idle mailbox holds none.
 */
static void mbx_spare_freed_when_sync_send_empties_queue(struct kunit *test)
{
	struct kthread_worker *w = mbx_test_peer(test);
	struct mbx_test_sync_send t = { .ret = -EINPROGRESS };
	const size_t len = 8192;
	struct mbx_user *user;
	struct mbx_box *box;
	u8 *buf;

	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	WRITE_ONCE(box->max_msg_size, len);
	memset(buf, 'a', len);
	KUNIT_ASSERT_EQ(test, mbx_test_send(box, user, buf, len), 0);
	t.box = box;
	t.user = user;
	kthread_init_work(&t.work, mbx_test_sync_send_fn);
	kthread_queue_work(w, &t.work);
	KUNIT_ASSERT_TRUE(test, mbx_test_blocked(box, 1, -1));
	/* The large message goes; the sync one is still queued. */
	KUNIT_EXPECT_EQ(test, mbx_test_recv_filled(test, box, buf, len, 'a'),
			0);
	KUNIT_EXPECT_NOT_NULL(test, READ_ONCE(box->spare));
	kthread_flush_work(&t.work);
	KUNIT_EXPECT_EQ(test, t.ret, -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, list_empty(&box->queue));
	KUNIT_EXPECT_NULL(test, READ_ONCE(box->spare));
	kthread_destroy_worker(w);
	mbx_test_box_done(box, user);
}

/*
 * A sent message goes straight to a receiver waiting for its sender;
 * a receiver that waits for another sender, even one that has waited
 * longer, is passed over and keeps waiting.
 */
static void mbx_handoff_skips_receiver_for_other_sender(struct kunit *test)
{
	struct kthread_worker *r_other = mbx_test_peer(test);
	struct kthread_worker *r_me = mbx_test_peer(test);
	struct kthread_worker *x = mbx_test_peer(test);
	struct pid *me = task_tgid(current);
	struct mbx_test_op wait_x = { .from = mbx_test_peer_pid(x) };
	struct mbx_test_op wait_me = { .from = me };
	struct mbx_stat st = {};
	struct mbx_user *user;
	struct mbx_box *box;
	int v = 42;

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	wait_x.box = box;
	wait_me.box = box;
	mbx_test_op_start(r_other, &wait_x);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(box, 0, 1));
	mbx_test_op_start(r_me, &wait_me);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(box, 0, 2));

	/* receivers: [wait for x, wait for me]; I send 42. */
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, &v, sizeof(v)), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&wait_me), 0);
	KUNIT_EXPECT_EQ(test, wait_me.val, 42);
	KUNIT_EXPECT_PTR_EQ(test, wait_me.peer, me);
	/* Handed over, not queued; the receiver waiting for x still waits. */
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 0);
	KUNIT_EXPECT_EQ(test, st.receivers_waiting, 1);
	KUNIT_EXPECT_EQ(test, mbx_test_op_ret(&wait_x), -EINPROGRESS);

	/* x's message is the one it waits for. */
	KUNIT_EXPECT_EQ(test, mbx_test_send_as(x, box, user, 7), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&wait_x), 0);
	KUNIT_EXPECT_EQ(test, wait_x.val, 7);
	KUNIT_EXPECT_PTR_EQ(test, wait_x.peer, mbx_test_peer_pid(x));

	put_pid(wait_me.peer);
	put_pid(wait_x.peer);
	kthread_destroy_worker(r_other);
	kthread_destroy_worker(r_me);
	kthread_destroy_worker(x);
	mbx_test_box_done(box, user);
}

/*
 * Each link is FIFO: receive(a) takes a's messages in the order a sent
 * them, past b's, and leaves b's queued; receive(any) takes the oldest
 * message of all.
 */
static void mbx_link_is_fifo_with_interleaved_senders(struct kunit *test)
{
	struct kthread_worker *a = mbx_test_peer(test);
	struct kthread_worker *b = mbx_test_peer(test);
	struct pid *pa = mbx_test_peer_pid(a), *pb = mbx_test_peer_pid(b);
	static const int sends[] = { 1, 101, 2, 102, 3 };
	struct mbx_stat st = {};
	struct pid *sender;
	struct mbx_user *user;
	struct mbx_box *box;
	unsigned int i;
	int v;

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	for (i = 0; i < ARRAY_SIZE(sends); i++)
		KUNIT_ASSERT_EQ(test, mbx_test_send_as(sends[i] < 100 ? a : b,
						       box, user, sends[i]), 0);

	/* queue: a1 b101 a2 b102 a3 */
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pa, &v, NULL), 0);
	KUNIT_EXPECT_EQ(test, v, 1);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pa, &v, NULL), 0);
	KUNIT_EXPECT_EQ(test, v, 2);
	/* queue: b101 b102 a3 */
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 3);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, NULL, &v, &sender), 0);
	KUNIT_EXPECT_EQ(test, v, 101);
	KUNIT_EXPECT_PTR_EQ(test, sender, pb);
	put_pid(sender);
	/* queue: b102 a3 */
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pa, &v, &sender), 0);
	KUNIT_EXPECT_EQ(test, v, 3);
	KUNIT_EXPECT_PTR_EQ(test, sender, pa);
	put_pid(sender);
	/* queue: b102; nothing of a's is left. */
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pa, &v, NULL), -EAGAIN);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pb, &v, NULL), 0);
	KUNIT_EXPECT_EQ(test, v, 102);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 0);

	kthread_destroy_worker(a);
	kthread_destroy_worker(b);
	mbx_test_box_done(box, user);
}

/*
 * Zero capacity: a blocked sender is matched only by receive(any) or
 * receive(that sender); receive(b) takes b even though a waited longer.
 */
static void mbx_zero_capacity_receive_matches_sender(struct kunit *test)
{
	struct kthread_worker *a = mbx_test_peer(test);
	struct kthread_worker *b = mbx_test_peer(test);
	struct kthread_worker *x = mbx_test_peer(test);
	struct pid *pa = mbx_test_peer_pid(a), *pb = mbx_test_peer_pid(b);
	struct mbx_test_op send_a = { .send = true, .val = 1 };
	struct mbx_test_op send_b = { .send = true, .val = 2 };
	struct pid *me = task_tgid(current);
	struct mbx_stat st = {};
	struct pid *sender;
	struct mbx_user *user;
	struct mbx_box *box;
	int v;

	box = mbx_test_box(test, MBX_CAP_ZERO, 0, &user);
	send_a.box = box;
	send_a.user = user;
	send_b.box = box;
	send_b.user = user;
	mbx_test_op_start(a, &send_a);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(box, 1, 0));
	mbx_test_op_start(b, &send_b);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(box, 2, 0));

	/* senders: [a, b]; x sent nothing. */
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, mbx_test_peer_pid(x),
						 &v, NULL), -EAGAIN);
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.senders_waiting, 2);

	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, pb, &v, &sender), 0);
	KUNIT_EXPECT_EQ(test, v, 2);
	KUNIT_EXPECT_PTR_EQ(test, sender, pb);
	put_pid(sender);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&send_b), 0);
	KUNIT_EXPECT_PTR_EQ(test, send_b.peer, me);
	/* senders: [a] */
	KUNIT_EXPECT_EQ(test, mbx_test_op_ret(&send_a), -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, NULL, &v, &sender), 0);
	KUNIT_EXPECT_EQ(test, v, 1);
	KUNIT_EXPECT_PTR_EQ(test, sender, pa);
	put_pid(sender);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&send_a), 0);

	put_pid(send_a.peer);
	put_pid(send_b.peer);
	kthread_destroy_worker(a);
	kthread_destroy_worker(b);
	kthread_destroy_worker(x);
	mbx_test_box_done(box, user);
}

/*
 * Zero capacity, receiver first: a receiver waiting for x is no partner
 * for a's send (EAGAIN without blocking), and is for x's.
 */
static void mbx_zero_capacity_waiting_receiver_matches_sender(struct kunit *test)
{
	struct kthread_worker *r = mbx_test_peer(test);
	struct kthread_worker *a = mbx_test_peer(test);
	struct kthread_worker *x = mbx_test_peer(test);
	struct mbx_test_op wait_x = { .from = mbx_test_peer_pid(x) };
	struct mbx_user *user;
	struct mbx_box *box;

	box = mbx_test_box(test, MBX_CAP_ZERO, 0, &user);
	wait_x.box = box;
	mbx_test_op_start(r, &wait_x);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(box, 0, 1));

	/* receivers: [wait for x] */
	KUNIT_EXPECT_EQ(test, mbx_test_send_as(a, box, user, 1), -EAGAIN);
	KUNIT_EXPECT_EQ(test, mbx_test_op_ret(&wait_x), -EINPROGRESS);
	KUNIT_EXPECT_EQ(test, mbx_test_send_as(x, box, user, 9), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&wait_x), 0);
	KUNIT_EXPECT_EQ(test, wait_x.val, 9);
	KUNIT_EXPECT_PTR_EQ(test, wait_x.peer, mbx_test_peer_pid(x));

	put_pid(wait_x.peer);
	kthread_destroy_worker(r);
	kthread_destroy_worker(a);
	kthread_destroy_worker(x);
	mbx_test_box_done(box, user);
}

/*
 * receive(Q) for a Q that has exited goes by Q's pid number (from_nr):
 * Q's queued messages are still delivered, in order, and then the
 * receive fails with ESRCH at once, even a blocking one; the other
 * senders' messages stay queued.
 */
static void mbx_receive_from_exited_sender(struct kunit *test)
{
	struct kthread_worker *q = mbx_test_peer(test);
	struct kthread_worker *b = mbx_test_peer(test);
	struct pid *qpid = get_pid(mbx_test_peer_pid(q));
	struct mbx_recvop op;
	struct mbx_stat st = {};
	struct mbx_user *user;
	struct mbx_box *box;
	ktime_t deadline;
	int i, v;

	box = mbx_test_box(test, MBX_CAP_UNBOUNDED, 0, &user);
	KUNIT_ASSERT_EQ(test, mbx_test_send_as(q, box, user, 1), 0);
	KUNIT_ASSERT_EQ(test, mbx_test_send_as(b, box, user, 100), 0);
	KUNIT_ASSERT_EQ(test, mbx_test_send_as(q, box, user, 2), 0);
	kthread_destroy_worker(q);	/* q is gone; its messages are not */

	/* queue: q1 b100 q2 */
	for (i = 1; i <= 3; i++) {
		deadline = ktime_add_ms(ktime_get(), MBX_TEST_DEADLINE_MS);
		memset(&op, 0, sizeof(op));
		op.kbuf = &v;
		op.len = sizeof(v);
		op.from_nr = pid_vnr(qpid);
		op.expires = &deadline;
		if (i < 3) {
			KUNIT_EXPECT_EQ(test, mbx_box_recv(box, &op), 0);
			KUNIT_EXPECT_EQ(test, v, i);
			KUNIT_EXPECT_PTR_EQ(test, op.sender, qpid);
			put_pid(op.sender);
		} else {
			/* Blocking, yet no wait: q sends no more. */
			KUNIT_EXPECT_EQ(test, mbx_box_recv(box, &op), -ESRCH);
		}
	}
	/* queue: b100 */
	mbx_box_stat(box, &st);
	KUNIT_EXPECT_EQ(test, st.msg_count, 1);

	put_pid(qpid);
	kthread_destroy_worker(b);
	mbx_test_box_done(box, user);
}

/* ---- inboxes ------------------------------------------------------------- */

/*
 * An inbox is found by its owner's struct pid: the same process finds
 * the one inbox all its opens share; a struct pid that merely carries the
 * same number (a pid reused after the owner exited, or the same number in
 * another namespace) finds nothing, and neither does a live process that
 * has no inbox.  A registry keyed on pid numbers fails the third check.
 */
static void mbx_inbox_is_found_by_struct_pid(struct kunit *test)
{
	struct kthread_worker *other = mbx_test_peer(test);
	struct pid *me = task_tgid(current);
	struct mbx_inbox *inbox, *again, *found;
	struct pid *alias;

	inbox = mbx_inbox_open();
	KUNIT_ASSERT_NOT_NULL(test, inbox);
	again = mbx_inbox_open();
	KUNIT_EXPECT_PTR_EQ(test, again, inbox);

	found = mbx_inbox_find(me);
	KUNIT_EXPECT_PTR_EQ(test, found, inbox);
	if (found)
		mbx_inbox_put(found);

	/* Another struct pid with my numbers, in my namespaces. */
	alias = kzalloc(struct_size(alias, numbers, me->level + 1),
			GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, alias);
	refcount_set(&alias->count, 1);
	alias->level = me->level;
	spin_lock_init(&alias->lock);
	init_waitqueue_head(&alias->wait_pidfd);
	memcpy(alias->numbers, me->numbers,
	       (me->level + 1) * sizeof(me->numbers[0]));
	KUNIT_EXPECT_EQ(test, pid_vnr(alias), pid_vnr(me));
	KUNIT_EXPECT_NULL(test, mbx_inbox_find(alias));
	kfree(alias);

	KUNIT_EXPECT_NULL(test, mbx_inbox_find(mbx_test_peer_pid(other)));

	/* After the last close, nothing. */
	mbx_inbox_close(again);
	found = mbx_inbox_find(me);
	KUNIT_EXPECT_PTR_EQ(test, found, inbox);
	if (found)
		mbx_inbox_put(found);
	mbx_inbox_close(inbox);
	KUNIT_EXPECT_NULL(test, mbx_inbox_find(me));
	kthread_destroy_worker(other);
}

/* Who may send to an inbox owned by root (uid 0). */
struct mbx_policy_case {
	const char *what;
	u32 policy;
	u32 allow_uid;		/* MBX_POLICY_ONE_UID */
	u32 uid, euid;		/* the sender's */
	bool cap_ipc_owner;
	int expected;
};

static const struct mbx_policy_case mbx_policy_cases[] = {
	{ "same uid", MBX_POLICY_SAME_UID, 0, 0, 0, false, 0 },
	{ "other uid", MBX_POLICY_SAME_UID, 0, 1000, 1000, false, -EPERM },
	{ "other uid, CAP_IPC_OWNER", MBX_POLICY_SAME_UID, 0, 1000, 1000,
	  true, 0 },
	{ "real uid matches, as kill(2)", MBX_POLICY_SAME_UID, 0, 0, 1000,
	  false, 0 },
	{ "refuse binds CAP_IPC_OWNER", MBX_POLICY_REFUSE, 0, 0, 0, true,
	  -EPERM },
	{ "one uid, that uid", MBX_POLICY_ONE_UID, 1000, 1000, 1000, false,
	  0 },
	{ "one uid binds CAP_IPC_OWNER", MBX_POLICY_ONE_UID, 1000, 0, 0, true,
	  -EPERM },
	{ "one uid goes by euid", MBX_POLICY_ONE_UID, 1000, 1000, 2000, false,
	  -EPERM },
	{ "anyone", MBX_POLICY_ANYONE, 0, 2000, 2000, false, 0 },
};

static void mbx_policy_case_desc(const struct mbx_policy_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(mbx_policy, mbx_policy_cases, mbx_policy_case_desc);

static void mbx_inbox_policy_decides_send(struct kunit *test)
{
	const struct mbx_policy_case *c = test->param_value;
	struct mbx_inbox_config cfg = {
		.size = sizeof(cfg), .flags = MBX_INBOX_SET_POLICY,
		.policy = c->policy, .allow_uid = c->allow_uid,
	};
	const struct cred *saved;
	struct mbx_inbox *inbox;
	struct cred *sender;
	int ret;

	sender = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, sender);
	/* Owned by this kthread: uid 0. */
	inbox = mbx_inbox_open();
	if (!inbox) {
		put_cred(sender);
		KUNIT_FAIL(test, "out of memory");
		return;
	}
	KUNIT_EXPECT_EQ(test, mbx_inbox_set(inbox, &cfg), 0);
	sender->uid = KUIDT_INIT(c->uid);
	sender->suid = sender->uid;
	sender->euid = KUIDT_INIT(c->euid);
	sender->fsuid = sender->euid;
	cap_clear(sender->cap_effective);
	if (c->cap_ipc_owner)
		cap_raise(sender->cap_effective, CAP_IPC_OWNER);
	saved = override_creds(sender);
	ret = mbx_inbox_may_send(inbox);
	revert_creds(saved);
	put_cred(sender);

	KUNIT_EXPECT_EQ(test, ret, c->expected);
	mbx_inbox_close(inbox);
}

/*
 * FIONREAD's figure: the length of what a receive takes next, the first
 * queued message or the first blocked zero-capacity sender's; 0 for
 * none; EIDRM once destroyed.
 */
static void mbx_next_len_is_what_receive_takes(struct kunit *test)
{
	struct kthread_worker *w = mbx_test_peer(test);
	struct mbx_test_op send = { .send = true, .val = 9 };
	struct mbx_user *user, *zuser;
	struct mbx_box *box, *zero;
	struct mbx_recvop op;
	char buf[8] = "abc";
	int v = 0;

	box = mbx_test_box(test, MBX_CAP_BOUNDED, 4, &user);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(box), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 3), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, buf, 8), 0);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(box), 3);
	KUNIT_EXPECT_EQ(test, mbx_test_recv(box, buf, 8, 0, &op), 0);
	put_pid(op.sender);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(box), 8);
	mbx_box_kill(box);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(box), -EIDRM);
	mbx_box_put(box);
	mbx_user_put(user);

	zero = mbx_test_box(test, MBX_CAP_ZERO, 0, &zuser);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(zero), 0);
	send.box = zero;
	send.user = zuser;
	mbx_test_op_start(w, &send);
	KUNIT_EXPECT_TRUE(test, mbx_test_blocked(zero, 1, 0));
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(zero), sizeof(int));
	KUNIT_EXPECT_EQ(test, mbx_test_recv(zero, &v, sizeof(v), 0, &op), 0);
	KUNIT_EXPECT_EQ(test, v, 9);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&send), 0);
	put_pid(send.peer);
	put_pid(op.sender);
	KUNIT_EXPECT_EQ(test, mbx_box_next_len(zero), 0);
	kthread_destroy_worker(w);
	mbx_test_box_done(zero, zuser);
}

/* An inbox configuration run by a peer: mbx_inbox_set() on @inbox. */
struct mbx_test_set {
	struct kthread_work work;
	struct mbx_inbox *inbox;
	struct mbx_inbox_config cfg;
	int ret;
};

static void mbx_test_set_fn(struct kthread_work *work)
{
	struct mbx_test_set *t = container_of(work, struct mbx_test_set, work);

	t->ret = mbx_inbox_set(t->inbox, &t->cfg);
}

static void mbx_test_set_start(struct kthread_worker *w, struct mbx_test_set *t)
{
	t->ret = -EINPROGRESS;
	kthread_init_work(&t->work, mbx_test_set_fn);
	kthread_queue_work(w, &t->work);
}

static bool mbx_test_has_settlers(struct mbx_box *box, const int *arg)
{
	u32 settlers;

	spin_lock(&box->lock);
	settlers = box->settlers;
	spin_unlock(&box->lock);
	return settlers;
}

/* Wait until a task is in mbx_box_settle(). */
static bool mbx_test_settling(struct mbx_box *box)
{
	return mbx_test_until(box, mbx_test_has_settlers, NULL);
}

/*
 * The capacity change @set ended with EBUSY and changed nothing (the inbox
 * is unbounded in the test below): within half a second of @start, or,
 * @late, not before.
 */
static void mbx_test_expect_busy(struct kunit *test, struct mbx_test_set *set,
				 struct mbx_box *box, unsigned long start,
				 bool late)
{
	kthread_flush_work(&set->work);
	KUNIT_EXPECT_EQ(test, set->ret, -EBUSY);
	if (late)
		KUNIT_EXPECT_GE(test, jiffies - start, (unsigned long)HZ / 2);
	else
		KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)HZ / 2);
	KUNIT_EXPECT_EQ(test, box->capacity, MBX_CAP_UNBOUNDED);
}

/*
 * A capacity change while a send or receive runs on the inbox, not
 * blocked: the change waits for it to end and then succeeds (it used to
 * fail with EBUSY, which a caller cannot tell from the real thing).  If
 * the operation blocks instead, or another one queues a message, the
 * inbox is busy: EBUSY at once; if it does not end within MBX_SETTLE_WAIT
 * (a second), EBUSY then.
 */
static void mbx_inbox_capacity_waits_for_op_in_flight(struct kunit *test)
{
	struct kthread_worker *setter = mbx_test_peer(test);
	struct kthread_worker *r = mbx_test_peer(test);
	struct mbx_test_set set = {
		.cfg = {
			.size = sizeof(set.cfg),
			.flags = MBX_INBOX_SET_CAPACITY,
			.capacity = MBX_CAP_UNBOUNDED,
		},
	};
	struct mbx_test_op recv = {};
	struct mbx_inbox *inbox;
	struct mbx_user *user;
	unsigned long start;
	struct mbx_box *box;
	int v = 5;

	inbox = mbx_inbox_open();
	KUNIT_ASSERT_NOT_NULL(test, inbox);
	user = mbx_user_get(current_euid());
	KUNIT_ASSERT_NOT_NULL(test, user);
	box = mbx_inbox_box(inbox);
	set.inbox = inbox;

	/* A send or receive in flight: the change waits for its end. */
	mbx_op_begin(box);
	mbx_test_set_start(setter, &set);
	KUNIT_EXPECT_TRUE(test, mbx_test_settling(box));
	KUNIT_EXPECT_EQ(test, READ_ONCE(set.ret), -EINPROGRESS);
	mbx_op_end(box);
	kthread_flush_work(&set.work);
	KUNIT_EXPECT_EQ(test, set.ret, 0);
	KUNIT_EXPECT_EQ(test, box->capacity, MBX_CAP_UNBOUNDED);

	/* One that blocks makes the inbox busy: EBUSY at once, no change. */
	mbx_op_begin(box);
	set.cfg.capacity = MBX_CAP_ZERO;
	mbx_test_set_start(setter, &set);
	KUNIT_EXPECT_TRUE(test, mbx_test_settling(box));
	recv.box = box;
	start = jiffies;
	mbx_test_op_start(r, &recv);
	mbx_test_expect_busy(test, &set, box, start, false);
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, &v, sizeof(v)), 0);
	KUNIT_EXPECT_EQ(test, mbx_test_op_wait(&recv), 0);
	KUNIT_EXPECT_EQ(test, recv.val, 5);
	put_pid(recv.peer);

	/*
	 * A send that queues a message while another operation is still in
	 * flight: EBUSY when that send ends, not when the other one does.
	 */
	mbx_test_set_start(setter, &set);
	KUNIT_EXPECT_TRUE(test, mbx_test_settling(box));
	start = jiffies;
	KUNIT_EXPECT_EQ(test, mbx_test_send(box, user, &v, sizeof(v)), 0);
	mbx_test_expect_busy(test, &set, box, start, false);
	KUNIT_EXPECT_EQ(test, mbx_test_recv_from(box, NULL, &v, NULL), 0);

	/* One that never ends (stalled in a fault): EBUSY after a while. */
	start = jiffies;
	mbx_test_set_start(setter, &set);
	mbx_test_expect_busy(test, &set, box, start, true);
	mbx_op_end(box);
	mbx_test_set_start(setter, &set);
	kthread_flush_work(&set.work);
	KUNIT_EXPECT_EQ(test, set.ret, 0);
	KUNIT_EXPECT_EQ(test, box->capacity, MBX_CAP_ZERO);

	kthread_destroy_worker(setter);
	kthread_destroy_worker(r);
	mbx_user_put(user);
	mbx_inbox_close(inbox);
}

static void mbx_inbox_config_is_checked(struct kunit *test)
{
	struct mbx_inbox_config c = { .size = sizeof(c) };

	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), -EINVAL);
	c.flags = MBX_INBOX_SET_POLICY;
	c.policy = MBX_POLICY_ANYONE;
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), 0);
	c.allow_uid = 5;	/* only meaningful with ONE_UID */
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), -EINVAL);
	c.policy = MBX_POLICY_ONE_UID;
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), 0);
	c.policy = MBX_POLICY_ANYONE + 1;
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), -EINVAL);
	c.policy = 0;
	c.allow_uid = 0;
	c.flags = MBX_INBOX_SET_CAPACITY;
	c.capacity = MBX_CAP_ZERO;
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), 0);
	c.limit = 3;		/* zero capacity has no limit */
	KUNIT_EXPECT_EQ(test, mbx_inbox_config_check(&c), -EINVAL);
}

static struct kunit_case mbx_args_cases[] = {
	KUNIT_CASE_PARAM(mbx_open_args_are_checked, mbx_open_gen_params),
	KUNIT_CASE(mbx_send_recv_args_are_checked),
	KUNIT_CASE(mbx_set_args_are_checked),
	KUNIT_CASE(mbx_mode_bits_decide_access),
	KUNIT_CASE(mbx_inbox_config_is_checked),
	{}
};

static struct kunit_suite mbx_args_suite = {
	.name = "mbx_args",
	.test_cases = mbx_args_cases,
};

static struct kunit_case mbx_queue_cases[] = {
	KUNIT_CASE(mbx_user_quota_is_enforced),
	KUNIT_CASE(mbx_bounded_queue_is_fifo),
	KUNIT_CASE(mbx_small_buffer_keeps_message),
	KUNIT_CASE(mbx_oversized_send_fails),
	KUNIT_CASE(mbx_unbounded_stops_at_quota),
	KUNIT_CASE(mbx_killed_box_is_eidrm),
	KUNIT_CASE(mbx_zero_capacity_needs_partner),
	KUNIT_CASE(mbx_receive_filter_matches_sender),
	KUNIT_CASE(mbx_spare_is_reused_while_queued),
	KUNIT_CASE(mbx_spare_freed_when_sync_send_empties_queue),
	{}
};

static struct kunit_suite mbx_queue_suite = {
	.name = "mbx_queue",
	.test_cases = mbx_queue_cases,
};

static struct kunit_case mbx_link_cases[] = {
	KUNIT_CASE(mbx_handoff_skips_receiver_for_other_sender),
	KUNIT_CASE(mbx_link_is_fifo_with_interleaved_senders),
	KUNIT_CASE(mbx_zero_capacity_receive_matches_sender),
	KUNIT_CASE(mbx_zero_capacity_waiting_receiver_matches_sender),
	KUNIT_CASE(mbx_receive_from_exited_sender),
	{}
};

static struct kunit_suite mbx_link_suite = {
	.name = "mbx_link",
	.test_cases = mbx_link_cases,
};

static struct kunit_case mbx_inbox_cases[] = {
	KUNIT_CASE(mbx_inbox_is_found_by_struct_pid),
	KUNIT_CASE_PARAM(mbx_inbox_policy_decides_send, mbx_policy_gen_params),
	KUNIT_CASE(mbx_inbox_capacity_waits_for_op_in_flight),
	{}
};

static struct kunit_suite mbx_inbox_suite = {
	.name = "mbx_inbox",
	.test_cases = mbx_inbox_cases,
};

static struct kunit_case mbx_uarg_cases[] = {
	KUNIT_CASE_PARAM(mbx_uarg_size_is_checked, mbx_size_gen_params),
	{}
};

static struct kunit_suite mbx_uarg_suite = {
	.name = "mbx_uarg",
	.test_cases = mbx_uarg_cases,
};

static struct kunit_case mbx_rw_cases[] = {
	KUNIT_CASE(mbx_iter_takes_one_user_buffer),
	KUNIT_CASE(mbx_next_len_is_what_receive_takes),
	{}
};

static struct kunit_suite mbx_rw_suite = {
	.name = "mbx_rw",
	.test_cases = mbx_rw_cases,
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

kunit_test_suites(&mbx_uarg_suite, &mbx_rw_suite, &mbx_info_suite,
		  &mbx_args_suite, &mbx_queue_suite, &mbx_link_suite,
		  &mbx_inbox_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for /dev/mailbox");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
