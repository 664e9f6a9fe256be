// SPDX-License-Identifier: GPL-2.0
/*
 * Errno and security kselftests: a name and a key naming two mailboxes;
 * no stale kernel bytes in what the ioctls copy out (every structure is
 * filled with 0xff before the call, then each field the kernel owns is
 * checked); no kernel pointers in /proc/mbx; the per-user byte quota and
 * mailbox limit as a second uid, without one user's use blocking
 * another; and /proc/mbx filtered by the credentials of whoever opened
 * the file, not of whoever reads it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define PARAMS		"/sys/module/mbx/parameters/"
#define OTHER_UID	65533	/* a third user, next to root and nobody */

/* ---- copy-out: every capacity mode ------------------------------------ */

FIXTURE(cap) {
	int dev;
	int box;
	unsigned int id;
	char name[32];
};

FIXTURE_VARIANT(cap) {
	unsigned int capacity;
	unsigned int limit;
};

FIXTURE_VARIANT_ADD(cap, zero) {
	.capacity = MBX_CAP_ZERO,
};

FIXTURE_VARIANT_ADD(cap, bounded) {
	.capacity = MBX_CAP_BOUNDED, .limit = 4,
};

FIXTURE_VARIANT_ADD(cap, unbounded) {
	.capacity = MBX_CAP_UNBOUNDED,
};

FIXTURE_SETUP(cap)
{
	struct msg_box_attr attr = {
		.capacity = variant->capacity, .limit = variant->limit,
		.mode = 0600,
	};

	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	/* Short, so that most of stat's name[] is tail to check. */
	snprintf(self->name, sizeof(self->name), "/c%d", getpid());
	self->box = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT |
				 MBX_O_EXCL, &attr, &self->id);
	ASSERT_LE(0, self->box);
}

FIXTURE_TEARDOWN(cap)
{
	msg_box_destroy(self->box);
	close(self->box);
	close(self->dev);
}

/* Bytes @from..@to of @p are all zero. */
static int zero_bytes(const void *p, size_t from, size_t to)
{
	const unsigned char *b = p;

	for (; from < to; from++)
		if (b[from])
			return -1;
	return 0;
}

TEST_F(cap, stat_writes_every_field)
{
	struct mbx_stat st;

	memset(&st, 0xff, sizeof(st));
	st.size = sizeof(st);
	st.flags = 0;
	ASSERT_EQ(0, ioctl_errno(self->box, MBX_IOC_STAT, &st));
	EXPECT_EQ(self->id, st.id);
	EXPECT_EQ(0U, st.key);
	EXPECT_STREQ(self->name, st.name);
	EXPECT_EQ(0, zero_bytes(st.name, strlen(self->name), sizeof(st.name)))
		TH_LOG("the unused tail of name[] is not zeroed");
	EXPECT_EQ(0U, st.uid);
	EXPECT_EQ(0U, st.gid);
	EXPECT_EQ(0U, st.cuid);
	EXPECT_EQ(0U, st.cgid);
	EXPECT_EQ(0600U, st.mode);
	EXPECT_EQ(variant->capacity, st.capacity);
	EXPECT_EQ(variant->limit, st.limit);
	EXPECT_NE(0xffffffffU, st.max_msg_size);
	EXPECT_NE(0U, st.max_msg_size);
	EXPECT_EQ(0ULL, st.msg_count);
	EXPECT_EQ(0ULL, st.msg_bytes);
	EXPECT_EQ(0U, st.senders_waiting);
	EXPECT_EQ(0U, st.receivers_waiting);
	EXPECT_EQ(0, st.last_send_pid);
	EXPECT_EQ(0, st.last_recv_pid);
	EXPECT_EQ(0, st.send_time);
	EXPECT_EQ(0, st.recv_time);
	EXPECT_LT(0, st.change_time);
}

/* The inbox has no name, key or id: all of them zero, not left over. */
TEST_F(cap, inbox_stat_writes_every_field)
{
	struct mbx_stat st;

	memset(&st, 0xff, sizeof(st));
	st.size = sizeof(st);
	st.flags = 0;
	ASSERT_EQ(0, ioctl_errno(self->dev, MBX_IOC_STAT, &st));
	EXPECT_EQ(0U, st.key);
	EXPECT_EQ(0, zero_bytes(st.name, 0, sizeof(st.name)));
	EXPECT_EQ(0U, st.uid);
	EXPECT_NE(0xffffffffU, st.id);
	EXPECT_NE(0xffffffffU, st.capacity);
	EXPECT_NE(0xffffffffU, st.limit);
	EXPECT_NE(~0ULL, st.msg_count);
	EXPECT_NE(-1, st.last_send_pid);
	EXPECT_NE(-1, st.last_recv_pid);
	EXPECT_NE(-1, st.send_time);
	EXPECT_NE(-1, st.recv_time);
}

/*
 * A message to receive right now: queued on a buffered mailbox, or from
 * a sender blocked on a zero-capacity one (returned, to reap).
 */
static pid_t offer(struct __test_metadata *_metadata, int box,
		   unsigned int capacity)
{
	pid_t tx = 0;

	if (capacity != MBX_CAP_ZERO) {
		EXPECT_EQ(0, msg_send(box, "hello", 5, 0));
		return 0;
	}
	tx = spawn_send(box, "hello", 5, 0);
	EXPECT_LT(0, tx);
	EXPECT_EQ(0, wait_blocked(box, 1, 0));
	return tx;
}

TEST_F(cap, recv_writes_every_field)
{
	struct mbx_recv r;
	char buf[16];
	pid_t tx;

	tx = offer(_metadata, self->box, variant->capacity);
	memset(&r, 0xff, sizeof(r));
	r.size = sizeof(r);
	r.flags = MBX_F_NONBLOCK;
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	r.timeout_ns = 0;
	r.from_pid = 0;
	r.__reserved = 0;
	r.__reserved2 = 0;
	ASSERT_EQ(0, ioctl_errno(self->box, MBX_IOC_RECV, &r));
	EXPECT_EQ(5ULL, r.msg_len);
	EXPECT_EQ(tx ? tx : getpid(), r.sender_pid);
	EXPECT_EQ(0U, r.sender_uid);
	EXPECT_EQ(self->id, r.mailbox_id);
	EXPECT_EQ(0U, r.__reserved);
	EXPECT_EQ(0U, r.__reserved2);
	if (tx)
		EXPECT_EQ(0, reap(tx));
}

/* receiver_pid is written in every mode: the receiver, or 0. */
TEST_F(cap, send_writes_every_field)
{
	struct mbx_send s;
	pid_t rx = 0;

	if (variant->capacity == MBX_CAP_ZERO) {
		rx = spawn_recv(self->box, 16, 0);
		ASSERT_LT(0, rx);
		ASSERT_EQ(0, wait_blocked(self->box, 0, 1));
	}
	memset(&s, 0xff, sizeof(s));
	s.size = sizeof(s);
	s.flags = 0;
	s.buf = (uintptr_t)"hello";
	s.len = 5;
	s.timeout_ns = 0;
	s.__reserved = 0;
	s.to_pid = 0;
	s.__reserved2 = 0;
	ASSERT_EQ(0, ioctl_errno(self->box, MBX_IOC_SEND, &s));
	EXPECT_EQ(rx, s.receiver_pid);
	EXPECT_EQ(0U, s.__reserved);
	EXPECT_EQ(0U, s.__reserved2);
	if (rx)
		EXPECT_EQ(0, reap(rx));
}

/*
 * A failed open changes nothing in its structure: id, its output, keeps
 * what the caller had there (it used to be zeroed before the lookup).
 */
TEST_F(cap, failed_open_leaves_its_structure)
{
	struct mbx_open o, before;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = MBX_O_SEND;
	o.name = (uintptr_t)"/no-such-mailbox";
	o.id = 1234;
	before = o;
	EXPECT_EQ(-ENOENT, ioctl_errno(self->dev, MBX_IOC_OPEN, &o));
	EXPECT_EQ(0, memcmp(&before, &o, sizeof(o)));

	o.flags = MBX_O_SEND | MBX_O_CREAT | MBX_O_EXCL;
	o.name = (uintptr_t)self->name;
	o.capacity = variant->capacity;
	o.limit = variant->capacity == MBX_CAP_BOUNDED ? 4 : 0;
	o.mode = 0600;
	before = o;
	EXPECT_EQ(-EEXIST, ioctl_errno(self->dev, MBX_IOC_OPEN, &o));
	EXPECT_EQ(0, memcmp(&before, &o, sizeof(o)));

	/* A successful one writes the id, and only the id. */
	o.flags = MBX_O_SEND;
	o.capacity = 0;
	o.limit = 0;
	o.mode = 0;
	before = o;
	ASSERT_LE(0, ioctl(self->dev, MBX_IOC_OPEN, &o));
	EXPECT_EQ(self->id, o.id);
	before.id = o.id;
	EXPECT_EQ(0, memcmp(&before, &o, sizeof(o)));
}

/* A direct message: mailbox_id is 0, written, not left as it was. */
TEST_F(cap, recv_direct_writes_every_field)
{
	struct mbx_recv r;
	char buf[16];

	ASSERT_EQ(0, msg_send_to(self->dev, getpid(), "hi", 2, 0));
	memset(&r, 0xff, sizeof(r));
	r.size = sizeof(r);
	r.flags = MBX_F_NONBLOCK;
	r.buf = (uintptr_t)buf;
	r.len = sizeof(buf);
	r.timeout_ns = 0;
	r.from_pid = 0;
	r.__reserved = 0;
	r.__reserved2 = 0;
	ASSERT_EQ(0, ioctl_errno(self->dev, MBX_IOC_RECV, &r));
	EXPECT_EQ(2ULL, r.msg_len);
	EXPECT_EQ(getpid(), r.sender_pid);
	EXPECT_EQ(0U, r.sender_uid);
	EXPECT_EQ(0U, r.mailbox_id);
	EXPECT_EQ(0U, r.__reserved);
	EXPECT_EQ(0U, r.__reserved2);
}

TEST_F(cap, info_writes_every_field)
{
	struct mbx_info info;

	memset(&info, 0xff, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	info.__reserved = 0;
	ASSERT_EQ(0, ioctl_errno(self->dev, MBX_IOC_INFO, &info));
	EXPECT_EQ((unsigned int)MBX_ABI_VERSION, info.abi_version);
	EXPECT_EQ(0U, info.__reserved);
	EXPECT_EQ(0ULL, info.features & ~(MBX_FEATURE_MAILBOXES |
					  MBX_FEATURE_DIRECT |
					  MBX_FEATURE_CALL |
					  MBX_FEATURE_READ_WRITE));
	EXPECT_NE(0xffffffffU, info.max_msg_size);
	EXPECT_NE(0xffffffffU, info.max_msg_size_cap);
	EXPECT_LE(info.max_msg_size, info.max_msg_size_cap);
}

/* ---- everything else ---------------------------------------------------- */

FIXTURE(sec) {
	int dev;
	char name[32];
	char bytes_max[32];	/* the module parameters, to restore */
	char boxes_max[32];
	int have_params;
};

FIXTURE_SETUP(sec)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "/sec-%d", getpid());
	self->have_params =
		!read_str(PARAMS "user_bytes_max", self->bytes_max,
			  sizeof(self->bytes_max)) &&
		!read_str(PARAMS "user_mailboxes_max", self->boxes_max,
			  sizeof(self->boxes_max));
}

/* Runs after a failed ASSERT too: the limits are always put back. */
FIXTURE_TEARDOWN(sec)
{
	if (self->have_params) {
		EXPECT_EQ(0, write_str(PARAMS "user_bytes_max",
				       self->bytes_max));
		EXPECT_EQ(0, write_str(PARAMS "user_mailboxes_max",
				       self->boxes_max));
	}
	close(self->dev);
}

static void set_param(struct __test_metadata *_metadata, const char *name,
		      unsigned long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(val, sizeof(val), "%lu\n", v);
	ASSERT_EQ(0, write_str(path, val));
}

static unsigned int stat_id(int fd)
{
	struct mbx_stat st;

	return msg_stat(fd, &st) ? 0 : st.id;
}

/*
 * With MBX_O_CREAT, a name and a key that belong to two different
 * mailboxes are EEXIST (nothing can be created under both), exclusive
 * or not; without it, ENOENT.  Neither mailbox changes.
 */
TEST_F(sec, name_and_key_of_two_mailboxes)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 2, .mode = 0600,
	};
	unsigned int key = 0x5ec00000 + getpid(), idn, idk;
	struct mbx_stat st;
	int byname, bykey, fd;

	byname = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT |
			      MBX_O_EXCL, &attr, &idn);
	ASSERT_LE(0, byname);
	bykey = msg_box_open(self->dev, NULL, key, RW | MBX_O_CREAT |
			     MBX_O_EXCL, &attr, &idk);
	ASSERT_LE(0, bykey);
	EXPECT_EQ(-EEXIST, msg_box_open(self->dev, self->name, key,
					RW | MBX_O_CREAT, &attr, NULL));
	EXPECT_EQ(-EEXIST, msg_box_open(self->dev, self->name, key,
					RW | MBX_O_CREAT | MBX_O_EXCL, &attr,
					NULL));
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, self->name, key, RW, NULL,
					NULL));
	/* Each still names its own, unchanged. */
	fd = msg_box_open(self->dev, self->name, 0, RW, NULL, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(idn, stat_id(fd));
	ASSERT_EQ(0, msg_stat(fd, &st));
	EXPECT_EQ(0U, st.key);
	close(fd);
	fd = msg_box_open(self->dev, NULL, key, RW, NULL, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(idk, stat_id(fd));
	ASSERT_EQ(0, msg_stat(fd, &st));
	EXPECT_STREQ("", st.name);
	close(fd);
	msg_box_destroy(byname);
	msg_box_destroy(bykey);
	close(byname);
	close(bykey);
}

/*
 * A kernel address in text: 16 hex digits in a row (a %px or %lx of a
 * pointer), or "ffff" followed by 8 or more (a kernel address with its
 * leading part cut).  0x prefixes are part of neither rule.
 */
static int has_pointer(const char *line)
{
	size_t i, run = 0;

	for (i = 0; line[i]; i++) {
		if (!isxdigit((unsigned char)line[i])) {
			run = 0;
			continue;
		}
		run++;
		if (run >= 16)
			return 1;
		if (run >= 12 && !strncasecmp(line + i + 1 - run, "ffff", 4))
			return 1;
	}
	return 0;
}

/* All of @fd (closed) into @buf, NUL-terminated; its length or -1. */
static ssize_t slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return len < size - 1 ? (ssize_t)len : -1;
}

/*
 * How many lines of @text contain @needle (start with it, for "^..."); @ptrs
 * counts those that look as if they held a kernel pointer.
 */
static int scan(const char *text, const char *needle, int *ptrs)
{
	char line[1024];
	int found = 0;
	size_t n;

	while (*text) {
		n = strcspn(text, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, text);
		text += n + (text[n] == '\n');
		if (needle && (needle[0] == '^' ?
			       !strncmp(line, needle + 1, strlen(needle + 1)) :
			       !!strstr(line, needle)))
			found++;
		if (ptrs && has_pointer(line))
			(*ptrs)++;
	}
	return found;
}

/*
 * Whole /proc/mbx files: earlier tests (the fuzzer) may leave thousands
 * of mailboxes behind for the unload path to free.
 */
static char text[1 << 23];

static int scan_path(const char *path, const char *needle, int *ptrs)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || slurp(fd, text, sizeof(text)) < 0)
		return -1;
	return scan(text, needle, ptrs);
}

/* /proc/mbx, read as root with mailboxes of every kind about. */
TEST_F(sec, proc_shows_no_kernel_pointers)
{
	static const unsigned int caps[] = {
		MBX_CAP_ZERO, MBX_CAP_BOUNDED, MBX_CAP_UNBOUNDED,
	};
	char name[48], mine[16];
	int fd[3], i, ptrs = 0;

	ASSERT_EQ(0, has_pointer("ffffffff")) TH_LOG("the matcher is too eager");
	ASSERT_EQ(1, has_pointer("0xffff888004d1c000"));
	ASSERT_EQ(1, has_pointer("ffff888004d1"));
	for (i = 0; i < 3; i++) {
		struct msg_box_attr attr = {
			.capacity = caps[i], .mode = 0600,
			.limit = caps[i] == MBX_CAP_BOUNDED ? 4 : 0,
		};

		snprintf(name, sizeof(name), "%s-%d", self->name, i);
		fd[i] = msg_box_open(self->dev, name, 0x5ec10000 + i,
				     RW | MBX_O_CREAT, &attr, NULL);
		ASSERT_LE(0, fd[i]);
		if (caps[i] != MBX_CAP_ZERO)
			EXPECT_EQ(0, msg_send(fd[i], name, strlen(name), 0));
	}
	EXPECT_EQ(3, scan_path("/proc/mbx/mailboxes", self->name, &ptrs));
	snprintf(mine, sizeof(mine), "^%7d ", getpid());
	EXPECT_EQ(1, scan_path("/proc/mbx/inboxes", mine, &ptrs));
	EXPECT_EQ(0, ptrs) TH_LOG("%d lines look like kernel pointers", ptrs);
	for (i = 0; i < 3; i++) {
		msg_box_destroy(fd[i]);
		close(fd[i]);
	}
}

/* In a child: become @uid (group nobody).  0 or -1. */
static int become(uid_t uid)
{
	return setgid(NOBODY) || setuid(uid) ? -1 : 0;
}

/*
 * As @uid, through a handle of its own (quota is charged to the user who
 * opened the handle), send 4 KiB messages to @name until the quota says
 * no.  Exits with how many went through, 250 + ... on other errors.
 */
static pid_t spawn_filler(int dev, const char *name, uid_t uid, int max)
{
	static char msg[4096];
	pid_t pid = fork();
	int fd, n, ret = 0;

	if (pid)
		return pid;
	if (become(uid))
		_exit(250);
	fd = msg_box_open(dev, name, 0, MBX_O_SEND, NULL, NULL);
	if (fd < 0)
		_exit(251);
	for (n = 0; n < max; n++) {
		ret = msg_send(fd, msg, sizeof(msg), MBX_F_NONBLOCK);
		if (ret)
			break;
	}
	if (n < max && ret != -ENOBUFS)
		_exit(252);
	_exit(n);
}

/*
 * user_bytes_max, for a user who is not root: 64 KiB hold at most 15
 * messages of 4 KiB (each also pays for its header); past that ENOBUFS,
 * while another user still sends to the same mailbox; and a receive
 * gives the quota back.
 */
TEST_F(sec, byte_quota_of_second_uid)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_UNBOUNDED, .mode = 0666,
	};
	struct mbx_stat st;
	static char buf[4096];
	int box, sent;

	ASSERT_TRUE(self->have_params)
		TH_LOG("%suser_bytes_max: the module always has it", PARAMS);
	set_param(_metadata, "user_bytes_max", 64 << 10);
	box = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &attr,
			   NULL);
	ASSERT_LE(0, box);
	sent = reap(spawn_filler(self->dev, self->name, NOBODY, 100));
	EXPECT_LE(14, sent) TH_LOG("nobody sent only %d", sent);
	EXPECT_GE(15, sent) TH_LOG("nobody sent %d: over its quota", sent);
	ASSERT_EQ(0, msg_stat(box, &st));
	EXPECT_EQ((unsigned long long)sent, st.msg_count);
	EXPECT_GE(64ULL << 10, st.msg_bytes);
	/* Another user is not held back by nobody's use, nor is root. */
	EXPECT_EQ(1, reap(spawn_filler(self->dev, self->name, OTHER_UID, 1)));
	EXPECT_EQ(0, msg_send(box, buf, sizeof(buf), MBX_F_NONBLOCK));
	/* Nobody is still full; one received message gives room for one. */
	EXPECT_EQ(0, reap(spawn_filler(self->dev, self->name, NOBODY, 1)));
	EXPECT_EQ((ssize_t)sizeof(buf),
		  msg_recv(box, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(1, reap(spawn_filler(self->dev, self->name, NOBODY, 100)));
	msg_box_destroy(box);
	close(box);
}

/*
 * As @uid: create private mailboxes until the limit refuses one (ENOSPC),
 * report how many on @out, wait for a byte on @in, destroy them.  Exits
 * 0, or 1 when the refusal was not ENOSPC.
 */
static pid_t spawn_creator(int dev, uid_t uid, int out, int in)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0600,
	};
	pid_t pid = fork();
	int fd[16], n, ret = 0;
	char c;

	if (pid)
		return pid;
	if (become(uid))
		_exit(250);
	for (n = 0; n < 16; n++) {
		fd[n] = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &attr,
				     NULL);
		if (fd[n] < 0) {
			ret = fd[n];
			break;
		}
	}
	if (write(out, &n, sizeof(n)) != sizeof(n) || read(in, &c, 1) != 1)
		ret = -EIO;
	while (n-- > 0)
		msg_box_destroy(fd[n]);
	_exit(ret == -ENOSPC ? 0 : 1);
}

/*
 * user_mailboxes_max, for a user who is not root: nobody gets exactly 3
 * live mailboxes, then ENOSPC; meanwhile another user still gets its own
 * 3, and root is not limited at all (CAP_SYS_RESOURCE).
 */
TEST_F(sec, mailbox_limit_of_second_uid)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0600,
	};
	int out[2], in[2], n1 = -1, n2 = -1, fd;
	pid_t a, b;

	ASSERT_TRUE(self->have_params)
		TH_LOG("%suser_mailboxes_max: the module always has it", PARAMS);
	ASSERT_EQ(0, pipe(out));
	ASSERT_EQ(0, pipe(in));
	set_param(_metadata, "user_mailboxes_max", 3);
	a = spawn_creator(self->dev, NOBODY, out[1], in[0]);
	ASSERT_LT(0, a);
	ASSERT_EQ((ssize_t)sizeof(n1), read(out[0], &n1, sizeof(n1)));
	/* nobody holds its 3: another user is not affected. */
	b = spawn_creator(self->dev, OTHER_UID, out[1], in[0]);
	ASSERT_LT(0, b);
	ASSERT_EQ((ssize_t)sizeof(n2), read(out[0], &n2, sizeof(n2)));
	fd = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	EXPECT_LE(0, fd) TH_LOG("root was limited");
	msg_box_destroy(fd);
	close(fd);
	ASSERT_EQ(2, write(in[1], "gg", 2));
	EXPECT_EQ(0, reap(a)) TH_LOG("nobody's refusal was not ENOSPC");
	EXPECT_EQ(0, reap(b));
	EXPECT_EQ(3, n1);
	EXPECT_EQ(3, n2);
	close(out[0]);
	close(out[1]);
	close(in[0]);
	close(in[1]);
}

static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = {};
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = {}, c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/*
 * /proc/mbx files opened by nobody and read by root show what nobody may
 * see, not what root may: the filter is the opener's credentials (the
 * file's f_cred), as for any file whose contents depend on who opened it.
 * nobody opens them (after opening /dev/mailbox, so it has an inbox of
 * its own) and passes them over a unix socket to its root parent.
 */
TEST_F(sec, proc_filters_by_opener_not_reader)
{
	const struct msg_box_attr hidden_attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0600,
	};
	const struct msg_box_attr shown_attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0604,
	};
	char hname[48], sname[48], hidden[64], shown[64];
	char rootrow[16], childrow[16], c;
	int sv[2], fds[2], h, s;
	pid_t child;

	snprintf(hname, sizeof(hname), "%s-hidden", self->name);
	snprintf(sname, sizeof(sname), "%s-shown", self->name);
	snprintf(hidden, sizeof(hidden), " %s ", hname);
	snprintf(shown, sizeof(shown), " %s ", sname);
	h = msg_box_open(self->dev, hname, 0, RW | MBX_O_CREAT, &hidden_attr,
			 NULL);
	ASSERT_LE(0, h);
	s = msg_box_open(self->dev, sname, 0, RW | MBX_O_CREAT, &shown_attr,
			 NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int dev;

		close(sv[0]);
		if (become(NOBODY))
			_exit(250);
		dev = msg_dev_open(0);
		fds[0] = open("/proc/mbx/mailboxes", O_RDONLY);
		fds[1] = open("/proc/mbx/inboxes", O_RDONLY);
		if (dev < 0 || fds[0] < 0 || fds[1] < 0)
			_exit(251);
		if (send_fds(sv[1], fds, 2))
			_exit(252);
		/* Keep the inbox until the parent has read. */
		_exit(read(sv[1], &c, 1) == 1 ? 0 : 253);
	}
	close(sv[1]);
	ASSERT_EQ(0, recv_fds(sv[0], fds, 2));
	snprintf(rootrow, sizeof(rootrow), "^%7d ", getpid());
	snprintf(childrow, sizeof(childrow), "^%7d ", child);

	/* Root reads nobody's files: nobody's view. */
	ASSERT_LE(0, slurp(fds[0], text, sizeof(text)));
	EXPECT_EQ(1, scan(text, shown, NULL)) TH_LOG("%s", text);
	EXPECT_EQ(0, scan(text, hidden, NULL)) TH_LOG("root's 0600 mailbox shown");
	ASSERT_LE(0, slurp(fds[1], text, sizeof(text)));
	EXPECT_EQ(1, scan(text, childrow, NULL)) TH_LOG("%s", text);
	EXPECT_EQ(0, scan(text, rootrow, NULL)) TH_LOG("root's inbox shown");
	/* Root's own opens: root's view, both. */
	EXPECT_EQ(1, scan_path("/proc/mbx/mailboxes", hidden, NULL));
	EXPECT_EQ(1, scan_path("/proc/mbx/mailboxes", shown, NULL));
	EXPECT_EQ(1, scan_path("/proc/mbx/inboxes", rootrow, NULL));
	EXPECT_EQ(1, scan_path("/proc/mbx/inboxes", childrow, NULL));

	ASSERT_EQ(1, write(sv[0], "d", 1));
	EXPECT_EQ(0, reap(child));
	close(sv[0]);
	msg_box_destroy(h);
	msg_box_destroy(s);
	close(h);
	close(s);
}

/*
 * In a new user and pid namespace, read the mailbox row named @needle
 * from @fd (/proc/mbx/mailboxes, opened outside): 0 when it shows @uid
 * and last sender @pid as seen where the file was opened, 99 when
 * namespaces cannot be made here, else the failing check.
 */
static int read_row_in_new_namespaces(int fd, const char *needle,
				      unsigned int uid, pid_t pid)
{
	unsigned int id, key, ruid, gid, cuid, cgid, mode, limit, maxsize;
	unsigned int wsend, wrecv;
	unsigned long long msgs, bytes;
	char name[64], cap[16];
	int lspid, lrpid;
	const char *row;
	pid_t reader;

	if (unshare(CLONE_NEWUSER | CLONE_NEWPID))
		return 99;
	reader = fork();	/* the first task of the new pid namespace */
	if (reader < 0)
		return 98;
	if (reader)
		return reap(reader);
	if (slurp(fd, text, sizeof(text)) < 0)
		_exit(97);
	row = strstr(text, needle);
	if (!row)
		_exit(96);
	while (row > text && row[-1] != '\n')
		row--;
	if (sscanf(row, "%u %u %63s %u %u %u %u %o %15s %u %u %llu %llu %u %u %d %d",
		   &id, &key, name, &ruid, &gid, &cuid, &cgid, &mode, cap,
		   &limit, &maxsize, &msgs, &bytes, &wsend, &wrecv, &lspid,
		   &lrpid) != 17)
		_exit(95);
	if (ruid != uid || cuid != uid)
		_exit(100);	/* the reader's user namespace was used */
	if (lspid != pid)
		_exit(101);	/* the reader's pid namespace was used */
	_exit(0);
}

/*
 * Ids in /proc/mbx are those of the namespaces the file was opened in,
 * as /proc/sysvipc's: a descriptor read from a new user and pid namespace
 * (where this uid is unmapped and this pid invisible) shows the same.
 */
TEST_F(sec, proc_ids_in_opener_namespaces)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1, .mode = 0600,
	};
	char name[48], needle[64];
	pid_t child;
	int box, fd, ret;

	snprintf(name, sizeof(name), "%s-ns", self->name);
	snprintf(needle, sizeof(needle), " %s ", name);
	box = msg_box_open(self->dev, name, 0, RW | MBX_O_CREAT, &attr, NULL);
	ASSERT_LE(0, box);
	ASSERT_EQ(0, msg_send(box, "x", 1, 0));
	fd = open("/proc/mbx/mailboxes", O_RDONLY);
	ASSERT_LE(0, fd);

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(read_row_in_new_namespaces(fd, needle, getuid(),
						 getppid()));
	ret = reap(child);
	close(fd);
	msg_box_destroy(box);
	close(box);
	if (ret == 99)
		SKIP(return, "no user and pid namespaces here");
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
