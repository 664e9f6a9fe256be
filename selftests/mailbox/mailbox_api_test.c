// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of the mailbox API around the messages: naming and the
 * create/open flags, permissions as a second user, the per-user quota,
 * and one test per documented errno of bad input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"
#define BOXES_PARAM	"/sys/module/mbx/parameters/user_mailboxes_max"

static const struct msg_box_attr bounded8 = {
	.capacity = MBX_CAP_BOUNDED, .limit = 8, .mode = 0600,
};

FIXTURE(api) {
	int dev;
	char name[32];
};

FIXTURE_SETUP(api)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	/* A name of its own per test, so tests never see each other. */
	snprintf(self->name, sizeof(self->name), "/t%d", getpid());
}

FIXTURE_TEARDOWN(api)
{
	int fd = msg_box_open(self->dev, self->name, 0, RW, NULL, NULL);

	if (fd >= 0) {
		msg_box_destroy(fd);
		close(fd);
	}
	close(self->dev);
}

/* Run @fn as uid/gid NOBODY in a child; returns its exit code. */
static int as_nobody(int (*fn)(int dev, const char *name), int dev,
		     const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		child_exit(fn(dev, name));
	}
	return reap(pid);
}

TEST_F(api, create_then_open_by_name)
{
	unsigned int id1, id2;
	int a, b;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 &id1);
	ASSERT_LE(0, a);
	b = msg_box_open(self->dev, self->name, 0, RW, NULL, &id2);
	ASSERT_LE(0, b);
	EXPECT_EQ(id1, id2);
	ASSERT_EQ(0, msg_send(a, "x", 1, 0));
	EXPECT_EQ(1, msg_recv(b, &id2, sizeof(id2), 0, NULL));
	close(a);
	close(b);
}

TEST_F(api, open_missing_is_enoent)
{
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, self->name, 0, RW, NULL,
					NULL));
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, NULL, 0x7fff1234, RW, NULL,
					NULL));
	EXPECT_EQ(-ENOENT, msg_box_open_id(self->dev, 0x7ffffff0, RW));
}

TEST_F(api, create_exclusive_is_eexist)
{
	unsigned int id_a, id_b;
	int a, b;

	a = msg_box_open(self->dev, self->name, 0,
			 RW | MBX_O_CREAT | MBX_O_EXCL, &bounded8, &id_a);
	ASSERT_LE(0, a);
	EXPECT_EQ(-EEXIST, msg_box_open(self->dev, self->name, 0,
					RW | MBX_O_CREAT | MBX_O_EXCL,
					&bounded8, NULL));
	/* Without EXCL, CREAT opens the existing one. */
	b = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT,
			 &bounded8, &id_b);
	ASSERT_LE(0, b);
	EXPECT_EQ(id_a, id_b);
	close(b);
	close(a);
}

TEST_F(api, keys_and_ids)
{
	unsigned int key = 0x51000000 | (getpid() & 0xffff), id, id2;
	int a, b, c;

	a = msg_box_open(self->dev, NULL, key, RW | MBX_O_CREAT, &bounded8,
			 &id);
	ASSERT_LE(0, a);
	b = msg_box_open(self->dev, NULL, key, RW, NULL, &id2);
	ASSERT_LE(0, b);
	EXPECT_EQ(id, id2);
	c = msg_box_open_id(self->dev, id, RW);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, msg_send(c, "k", 1, 0));
	EXPECT_EQ(1, msg_recv(a, &id2, sizeof(id2), 0, NULL));
	/* A name and a key that name different mailboxes. */
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, self->name, key, RW, NULL,
					NULL));
	ASSERT_EQ(0, msg_box_destroy(a));
	/* Destroyed: its key and id find nothing any more. */
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, NULL, key, RW, NULL, NULL));
	EXPECT_EQ(-ENOENT, msg_box_open_id(self->dev, id, RW));
	close(a);
	close(b);
	close(c);
}

TEST_F(api, private_mailboxes_are_distinct)
{
	unsigned int id1, id2;
	int a, b;

	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &bounded8,
			 &id1);
	b = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &bounded8,
			 &id2);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_NE(id1, id2);
	ASSERT_EQ(0, msg_send(a, "p", 1, 0));
	EXPECT_EQ(-EAGAIN, msg_recv(b, &id1, sizeof(id1), MBX_F_NONBLOCK,
				    NULL));
	msg_box_destroy(a);
	msg_box_destroy(b);
	close(a);
	close(b);
}

/* A mailbox outlives its handles until destroyed, messages included. */
TEST_F(api, mailbox_persists_after_close)
{
	char buf[8];
	int a;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, msg_send(a, "kept", 4, 0));
	close(a);
	a = msg_box_open(self->dev, self->name, 0, RW, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(4, msg_recv(a, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	close(a);
}

static int open_send(int dev, const char *name)
{
	return msg_box_open(dev, name, 0, MBX_O_SEND, NULL, NULL);
}

static int open_recv(int dev, const char *name)
{
	return msg_box_open(dev, name, 0, MBX_O_RECV, NULL, NULL);
}

static int destroy_it(int dev, const char *name)
{
	int fd = open_send(dev, name);

	return fd < 0 ? fd : msg_box_destroy(fd);
}

static int chmod_it(int dev, const char *name)
{
	struct mbx_set set = { .flags = MBX_SET_MODE, .mode = 0666 };
	int fd = open_send(dev, name);

	return fd < 0 ? fd : msg_set(fd, &set);
}

/* Mode bits as ipc_perm: r = receive, w = send, for "other" here. */
TEST_F(api, permission_denied_to_other_uid)
{
	struct msg_box_attr attr = bounded8;
	struct mbx_set set = { .flags = MBX_SET_MODE };
	int a;

	attr.mode = 0600;
	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &attr,
			 NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(EACCES, as_nobody(open_send, self->dev, self->name));
	EXPECT_EQ(EACCES, as_nobody(open_recv, self->dev, self->name));

	set.mode = 0602;	/* others may send, not receive */
	ASSERT_EQ(0, msg_set(a, &set));
	EXPECT_EQ(0, as_nobody(open_send, self->dev, self->name));
	EXPECT_EQ(EACCES, as_nobody(open_recv, self->dev, self->name));
	/* Able to send is not able to destroy or change it. */
	EXPECT_EQ(EPERM, as_nobody(destroy_it, self->dev, self->name));
	EXPECT_EQ(EPERM, as_nobody(chmod_it, self->dev, self->name));
	close(a);
}

/* A handle opened for one direction cannot be used for the other. */
TEST_F(api, handle_access_is_checked)
{
	char buf[4];
	int a, s;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	s = msg_box_open(self->dev, self->name, 0, MBX_O_SEND, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBADF, msg_recv(s, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	close(s);
	s = msg_box_open(self->dev, self->name, 0, MBX_O_RECV, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EBADF, msg_send(s, buf, 1, MBX_F_NONBLOCK));
	close(s);
	close(a);
}

static int read_param_file(const char *path, unsigned long *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%lu", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int write_param_file(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%lu\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int read_param(unsigned long *v)
{
	return read_param_file(QUOTA_PARAM, v);
}

static int write_param(unsigned long v)
{
	return write_param_file(QUOTA_PARAM, v);
}

/* Create and destroy three mailboxes in turn; 0 or the first errno. */
static int create_three(int dev, const char *name)
{
	int i, fd = 0;

	(void)name;
	for (i = 0; i < 3; i++) {
		fd = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE, &bounded8,
				  NULL);
		if (fd < 0)
			return fd;
		msg_box_destroy(fd);
	}
	return 0;
}

/*
 * The per-user mailbox limit: past it, creating fails with ENOSPC; a
 * destroyed mailbox no longer counts.
 */
TEST_F(api, user_mailbox_limit_spares_destroyed_and_root)
{
	unsigned long saved;
	int fd, i, boxes[2];

	ASSERT_EQ(0, read_param_file(BOXES_PARAM, &saved))
		TH_LOG("%s: the module always has it", BOXES_PARAM);
	ASSERT_EQ(0, write_param_file(BOXES_PARAM, 2));
	/* Destroyed ones do not count: three in a row, one at a time. */
	EXPECT_EQ(0, as_nobody(create_three, self->dev, NULL));
	for (i = 0; i < 2; i++) {
		boxes[i] = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE,
					&bounded8, NULL);
		ASSERT_LE(0, boxes[i]);
	}
	/* root has CAP_SYS_RESOURCE: over the limit is allowed. */
	fd = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &bounded8,
			  NULL);
	EXPECT_LE(0, fd);
	msg_box_destroy(fd);
	close(fd);
	for (i = 0; i < 2; i++) {
		msg_box_destroy(boxes[i]);
		close(boxes[i]);
	}
	EXPECT_EQ(0, write_param_file(BOXES_PARAM, saved));
}

/* As nobody, the third live mailbox is refused. */
static int hold_three(int dev, const char *name)
{
	int i, fd[3], ret = 0;

	(void)name;
	for (i = 0; i < 3; i++) {
		fd[i] = msg_box_open(dev, NULL, 0, RW | MBX_O_PRIVATE,
				     &bounded8, NULL);
		if (fd[i] < 0) {
			ret = i == 2 ? fd[i] : -100;
			break;
		}
	}
	while (i-- > 0)
		msg_box_destroy(fd[i]);
	return ret;
}

TEST_F(api, unprivileged_mailbox_limit)
{
	unsigned long saved;

	ASSERT_EQ(0, read_param_file(BOXES_PARAM, &saved))
		TH_LOG("%s: the module always has it", BOXES_PARAM);
	ASSERT_EQ(0, write_param_file(BOXES_PARAM, 2));
	EXPECT_EQ(ENOSPC, as_nobody(hold_three, self->dev, NULL));
	EXPECT_EQ(0, write_param_file(BOXES_PARAM, saved));
}

/*
 * Mailboxes persist until destroyed or until the module is unloaded: this
 * leaves one behind, with messages, so the test VM's rmmod and leak scan
 * check that unloading frees them.
 */
TEST_F(api, left_for_module_unload)
{
	int fd, i;

	fd = msg_box_open(self->dev, "/left-for-unload", 0, RW | MBX_O_CREAT,
			  &bounded8, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, msg_send(fd, &i, sizeof(i), MBX_F_NONBLOCK));
	close(fd);
}

/*
 * Unbounded: sends succeed until the user's quota of queued bytes, then
 * fail with ENOBUFS; nothing queued is lost, and receiving frees quota.
 */
TEST_F(api, unbounded_until_quota)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_UNBOUNDED, .max_msg_size = 65536,
		.mode = 0600,
	};
	unsigned long saved;
	static char buf[65536];
	int a, i, sent = 0, ret;

	ASSERT_EQ(0, read_param(&saved))
		TH_LOG("%s: the module always has it", QUOTA_PARAM);
	ASSERT_EQ(0, write_param(1 << 20));
	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &attr, NULL);
	ASSERT_LE(0, a);
	for (i = 0; i < 64; i++) {
		fill(buf, sizeof(buf), i);
		ret = msg_send(a, buf, sizeof(buf), 0);
		if (ret == -ENOBUFS)
			break;
		ASSERT_EQ(0, ret);
		sent++;
	}
	EXPECT_EQ(-ENOBUFS, ret);
	EXPECT_LE(14, sent) TH_LOG("1 MiB holds about 15 64-KiB messages");
	EXPECT_GE(16, sent);
	/* Receiving one makes room for one. */
	ASSERT_EQ((ssize_t)sizeof(buf),
		  msg_recv(a, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, check_fill(buf, sizeof(buf), 0));
	fill(buf, sizeof(buf), sent);
	EXPECT_EQ(0, msg_send(a, buf, sizeof(buf), 0));
	for (i = 1; i <= sent; i++) {
		ASSERT_EQ((ssize_t)sizeof(buf),
			  msg_recv(a, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
		EXPECT_EQ(0, check_fill(buf, sizeof(buf), i)) TH_LOG("msg %d", i);
	}
	EXPECT_EQ(0, write_param(saved));
	msg_box_destroy(a);
	close(a);
}

/*
 * A control handle (neither SEND nor RECV) is for stat, set and destroy:
 * its owner gets one, a stranger without read permission does not, and
 * it cannot send or receive.
 */
static int open_control(int dev, const char *name)
{
	int fd = msg_box_open(dev, name, 0, 0, NULL, NULL);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

TEST_F(api, control_handle)
{
	struct mbx_stat st;
	char buf[4];
	int a, c;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	c = msg_box_open(self->dev, self->name, 0, 0, NULL, NULL);
	ASSERT_LE(0, c);
	EXPECT_EQ(0, msg_stat(c, &st));
	EXPECT_EQ(-EBADF, msg_send(c, "x", 1, MBX_F_NONBLOCK));
	EXPECT_EQ(-EBADF, msg_recv(c, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(EACCES, as_nobody(open_control, self->dev, self->name));
	EXPECT_EQ(0, msg_box_destroy(c));
	EXPECT_EQ(-EIDRM, msg_send(a, "x", 1, MBX_F_NONBLOCK));
	/* Stat too: stale figures would not show that it is gone. */
	EXPECT_EQ(-EIDRM, msg_stat(a, &st));
	EXPECT_EQ(-EIDRM, msg_stat(c, &st));
	close(c);
	close(a);
}

/*
 * Once a mailbox is destroyed every call on its handles is EIDRM, whoever
 * makes it: destroy and set by a user who could not have done either
 * said EPERM, which reads as "not yours" of a mailbox that is gone.
 */
TEST_F(api, destroyed_mailbox_is_eidrm_to_everyone)
{
	static const struct msg_box_attr shared = {
		.capacity = MBX_CAP_BOUNDED, .limit = 8, .mode = 0666,
	};
	struct mbx_set set = { .flags = MBX_SET_MODE, .mode = 0600 };
	int a, opened[2], destroyed[2];
	char c;
	pid_t pid;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &shared,
			 NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, pipe(opened));
	ASSERT_EQ(0, pipe(destroyed));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int h, ret[3];

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		h = msg_box_open(self->dev, self->name, 0, MBX_O_SEND, NULL,
				 NULL);
		if (h < 0 || msg_box_destroy(h) != -EPERM ||
		    msg_set(h, &set) != -EPERM)
			_exit(201);	/* not ours while it exists */
		if (write(opened[1], "o", 1) != 1 ||
		    read(destroyed[0], &c, 1) != 1)
			_exit(202);
		ret[0] = msg_send(h, "x", 1, MBX_F_NONBLOCK);
		ret[1] = msg_box_destroy(h);
		ret[2] = msg_set(h, &set);
		printf("# as nobody after the destroy: send %d, destroy %d, set %d\n",
		       ret[0], ret[1], ret[2]);
		_exit(ret[0] == -EIDRM && ret[1] == -EIDRM &&
		      ret[2] == -EIDRM ? 0 : 1);
	}
	ASSERT_EQ(1, read(opened[0], &c, 1));
	EXPECT_EQ(0, msg_box_destroy(a));
	ASSERT_EQ(1, write(destroyed[1], "d", 1));
	EXPECT_EQ(0, reap(pid));
	/* The owner's handle says the same. */
	EXPECT_EQ(-EIDRM, msg_box_destroy(a));
	EXPECT_EQ(-EIDRM, msg_set(a, &set));
	/* Even of a limit, which the mailbox, bounded, would take... */
	set = (struct mbx_set){ .flags = MBX_SET_LIMIT, .limit = 4 };
	EXPECT_EQ(-EIDRM, msg_set(a, &set));
	close(a);
	/* ...or, unbounded, would not (EINVAL while it exists). */
	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE,
			 &(struct msg_box_attr){ .capacity = MBX_CAP_UNBOUNDED,
						 .mode = 0600 }, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(-EINVAL, msg_set(a, &set));
	EXPECT_EQ(0, msg_box_destroy(a));
	EXPECT_EQ(-EIDRM, msg_set(a, &set));
	close(opened[0]);
	close(opened[1]);
	close(destroyed[0]);
	close(destroyed[1]);
	close(a);
}

/*
 * Creating needs attributes: with none the library refuses (-EINVAL) and
 * nothing is made.  The structures the library fills in itself must be
 * there: -EFAULT, as the kernel gives for a bad pointer.
 */
TEST_F(api, library_checks_its_pointers)
{
	struct mbx_send s = { 0 };
	int sent = -1;

	EXPECT_EQ(-EINVAL, msg_box_open(self->dev, self->name, 0,
					RW | MBX_O_CREAT, NULL, NULL));
	EXPECT_EQ(-EINVAL, msg_box_open(self->dev, NULL, 0,
					RW | MBX_O_PRIVATE, NULL, NULL));
	EXPECT_EQ(-ENOENT, msg_box_open(self->dev, self->name, 0, RW, NULL,
					NULL));
	EXPECT_EQ(-EFAULT, msg_stat(self->dev, NULL));
	EXPECT_EQ(-EFAULT, msg_info(self->dev, NULL));
	EXPECT_EQ(-EFAULT, msg_set(self->dev, NULL));
	EXPECT_EQ(-EFAULT, msg_inbox_set(self->dev, NULL));
	EXPECT_EQ(-EFAULT, msg_call(self->dev, &s, self->dev, NULL, &sent));
	EXPECT_EQ(0, sent);
}

static int proc_lists(const char *path, const char *needle)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			found = 1;
	fclose(f);
	return found;
}

static int nobody_sees(int dev, const char *name)
{
	char needle[64];

	(void)dev;
	snprintf(needle, sizeof(needle), " %s ", name);
	return proc_lists("/proc/mbx/mailboxes", needle) == 1 ? -EEXIST : 0;
}

/* /proc/mbx lists mailboxes as ipcs would: only to those who may read. */
TEST_F(api, proc_lists_what_the_reader_may_see)
{
	struct msg_box_attr attr = bounded8;
	char needle[64], pid[32];
	int a;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &attr,
			 NULL);
	ASSERT_LE(0, a);
	snprintf(needle, sizeof(needle), " %s ", self->name);
	EXPECT_EQ(1, proc_lists("/proc/mbx/mailboxes", needle));
	EXPECT_EQ(0, as_nobody(nobody_sees, self->dev, self->name))
		TH_LOG("a 0600 mailbox is hidden from others");
	snprintf(pid, sizeof(pid), "%7d ", getpid());
	EXPECT_EQ(1, proc_lists("/proc/mbx/inboxes", pid));
	close(a);
}

/* Rows of a /proc/mbx listing, read a page (one seq_file pass) at a time. */
#define LISTED		160
#define LISTING_SIZE	(1 << 20)

/*
 * Read @fd a page at a time until a row holds one of @needles (but the
 * last): returns its index, or -1 at the end or on an error.
 */
static int read_until_listed(int fd, char *text, size_t *len,
			     char needles[][64])
{
	ssize_t n;
	int i;

	for (;;) {
		n = read(fd, text + *len, 4096);
		if (n <= 0 || *len + n + 4096 >= LISTING_SIZE)
			return -1;
		*len += n;
		text[*len] = '\0';
		for (i = 0; i < LISTED - 1; i++)
			if (strstr(text, needles[i]))
				return i;
	}
}

/* Read the rest; then how many of @needles, but @gone, are not listed once. */
static int listed_other_than_once(int fd, char *text, size_t len,
				  char needles[][64], int gone)
{
	int i, wrong = 0;
	ssize_t n;
	char *at;

	while ((n = read(fd, text + len, LISTING_SIZE - 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	for (i = 0; i < LISTED; i++) {
		if (i == gone)
			continue;
		at = strstr(text, needles[i]);
		if (!at || strstr(at + 1, needles[i]))
			wrong++;
	}
	return n < 0 ? -1 : wrong;
}

/*
 * A listing longer than a page is read in several passes, and mailboxes
 * can be destroyed between two: every one there for the whole read is
 * listed, once.  (Passes used to resume at a count of rows, so the row
 * after a destroyed one was skipped.)
 */
TEST_F(api, proc_listing_resumes_where_it_stopped)
{
	const struct msg_box_attr attr = bounded8;
	static char needles[LISTED][64], text[LISTING_SIZE];
	int fd[LISTED], pf, i, gone;
	size_t len = 0;

	for (i = 0; i < LISTED; i++) {
		char name[48];

		snprintf(name, sizeof(name), "%s-%03d", self->name, i);
		snprintf(needles[i], sizeof(needles[i]), " %s ", name);
		fd[i] = msg_box_open(self->dev, name, 0, RW | MBX_O_CREAT |
				     MBX_O_EXCL, &attr, NULL);
		ASSERT_LE(0, fd[i]);
	}
	pf = open("/proc/mbx/mailboxes", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pf);
	gone = read_until_listed(pf, text, &len, needles);
	ASSERT_LE(0, gone);
	ASSERT_EQ(0, msg_box_destroy(fd[gone]));
	EXPECT_EQ(0, listed_other_than_once(pf, text, len, needles, gone));
	close(pf);
	for (i = 0; i < LISTED; i++) {
		msg_box_destroy(fd[i]);
		close(fd[i]);
	}
}

/* The same for /proc/mbx/inboxes, as processes exit between passes. */
TEST_F(api, proc_inbox_listing_resumes_where_it_stopped)
{
	static char needles[LISTED][64], text[LISTING_SIZE];
	int go[2], pf, i, gone;
	pid_t pid[LISTED];
	size_t len = 0;
	char c;

	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	for (i = 0; i < LISTED; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {	/* an inbox until the pipe closes */
			close(go[1]);
			if (msg_dev_open(0) < 0)
				_exit(1);
			_exit(read(go[0], &c, 1) == 0 ? 0 : 2);
		}
		snprintf(needles[i], sizeof(needles[i]), "\n%7d ", pid[i]);
	}
	close(go[0]);
	/* Every child has its inbox: each is listed (a fresh read). */
	for (i = 0; i < LISTED; i++) {
		while (proc_lists("/proc/mbx/inboxes", needles[i] + 1) != 1)
			usleep(10000);
	}
	pf = open("/proc/mbx/inboxes", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pf);
	gone = read_until_listed(pf, text, &len, needles);
	ASSERT_LE(0, gone);
	kill(pid[gone], SIGKILL);
	reap(pid[gone]);
	while (proc_lists("/proc/mbx/inboxes", needles[gone] + 1) == 1)
		usleep(10000);	/* its inbox goes with its last descriptor */
	EXPECT_EQ(0, listed_other_than_once(pf, text, len, needles, gone));
	close(pf);
	close(go[1]);
	for (i = 0; i < LISTED; i++)
		if (i != gone)
			EXPECT_EQ(0, reap(pid[i]));
}

/*
 * Many processes race to create the same name: exactly one creates it,
 * every other opens that same mailbox.  Each racer runs as a uid of its
 * own, so the mailbox's creator uid (cuid) names the one that created it
 * whatever flags it used; a racer that asked for MBX_O_EXCL knows it
 * created exactly when its call succeeded, so an exclusive create that
 * succeeds on an existing mailbox, or two mailboxes, would show.
 */
#define RACERS		16
#define RACER_UID	20000

struct racer {
	unsigned int id;	/* the mailbox it got */
	int created;		/* it says it created it */
};

TEST_F(api, racing_creators_share_one_mailbox)
{
	const struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 8, .mode = 0666,
	};
	int pfd[2], go[2], i, created = 0, creator = -1;
	struct racer r[RACERS];
	pid_t pid[RACERS];
	struct mbx_stat st;
	char c = 0;
	int fd;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < RACERS; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			struct racer me = { 0, 0 };
			int excl = i % 2 ? MBX_O_EXCL : 0;

			close(go[1]);
			if (setuid(RACER_UID + i))
				_exit(200);
			/* All start together. */
			if (read(go[0], &c, 1) != 0)
				_exit(201);
			/* Half ask for exclusive creation, half not. */
			fd = msg_box_open(self->dev, self->name, 0, RW |
					  MBX_O_CREAT | excl, &attr, &me.id);
			if (fd >= 0 && excl)
				me.created = 1;
			if (fd >= 0 && !excl && !msg_stat(fd, &st))
				me.created = st.cuid == (unsigned int)getuid();
			if (fd == -EEXIST && excl)
				fd = msg_box_open(self->dev, self->name, 0, RW,
						  NULL, &me.id);
			if (fd < 0 || write(pfd[1], &me, sizeof(me)) != sizeof(me))
				_exit(1);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);		/* go */
	for (i = 0; i < RACERS; i++)
		EXPECT_EQ(0, reap(pid[i])) TH_LOG("racer %d", i);
	for (i = 0; i < RACERS; i++) {
		ASSERT_EQ((ssize_t)sizeof(r[i]), read(pfd[0], &r[i],
						      sizeof(r[i])));
		EXPECT_EQ(r[0].id, r[i].id) TH_LOG("two mailboxes of one name");
		created += r[i].created;
	}
	EXPECT_EQ(1, created) TH_LOG("%d racers say they created it", created);
	/* The kernel's word on who did. */
	fd = msg_box_open(self->dev, self->name, 0, RW, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, msg_stat(fd, &st));
	EXPECT_EQ(r[0].id, st.id);
	creator = (int)st.cuid - RACER_UID;
	ASSERT_TRUE(creator >= 0 && creator < RACERS) TH_LOG("cuid %u", st.cuid);
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
}

struct close_job {
	int victim;	/* the handle to close */
	int watch;	/* another handle on the same mailbox */
	int done;	/* write end of a pipe: one byte once closed */
	int ret;	/* 0, or which step failed */
};

/*
 * Close the handle once the main thread is blocked on it, check that the
 * close did not end the wait, then let the sender go.
 */
static void *close_later(void *arg)
{
	struct close_job *job = arg;

	if (wait_blocked(job->watch, -1, 1))
		job->ret = 1;		/* never blocked */
	else if (close(job->victim))
		job->ret = 2;
	else if (wait_blocked(job->watch, -1, 1))
		job->ret = 3;		/* the close ended the wait */
	/* In any case, so that a failure fails rather than hangs. */
	if (write(job->done, "c", 1) != 1)
		job->ret = 4;
	return NULL;
}

/*
 * Closing a handle while another thread is blocked on it: the blocked
 * call holds its own reference and goes on; the mailbox still works, and
 * the wait ends normally when a message comes.  The order is forced, not
 * slept for: the close waits until the mailbox's status shows the
 * receiver blocked, and the sender waits until the close has happened.
 */
TEST_F(api, close_while_blocked)
{
	struct close_job job;
	struct msg_meta meta;
	int a, b, done[2];
	pthread_t t;
	char buf[8];
	pid_t tx;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	b = msg_box_open(self->dev, self->name, 0, RW, NULL, NULL);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, pipe(done));
	job.victim = a;
	job.watch = b;
	job.done = done[1];
	job.ret = 0;
	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {
		char c;

		/* Send only after the receiver's handle was closed. */
		close(done[1]);
		if (read(done[0], &c, 1) != 1)
			_exit(100);
		child_exit(msg_send(b, "late", 4, 0));
	}
	close(done[0]);
	ASSERT_EQ(0, pthread_create(&t, NULL, close_later, &job));
	/* Blocks on a, which the other thread closes meanwhile. */
	EXPECT_EQ(4, msg_recv(a, buf, sizeof(buf), 0, &meta));
	EXPECT_EQ(tx, meta.sender_pid);
	pthread_join(t, NULL);
	EXPECT_EQ(0, job.ret) TH_LOG("step %d of the close failed", job.ret);
	EXPECT_EQ(-1, fcntl(a, F_GETFD)) TH_LOG("the handle was not closed");
	close(done[1]);
	EXPECT_EQ(0, reap(tx));
	close(b);
}

/* ---- bad input: each errno, and nothing changes ---------------------- */

static int raw_open(int dev, struct mbx_open *args)
{
	args->size = sizeof(*args);
	return ioctl(dev, MBX_IOC_OPEN, args) < 0 ? -errno : 0;
}

TEST_F(api, open_bad_flags_are_einval)
{
	struct mbx_open o;

	memset(&o, 0, sizeof(o));
	o.flags = RW | MBX_O_PRIVATE | (1u << 20);
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("unknown flag");
	memset(&o, 0, sizeof(o));
	o.flags = MBX_O_PRIVATE;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("private, no access");
	memset(&o, 0, sizeof(o));
	o.flags = RW | MBX_O_PRIVATE;
	o.key = 5;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("private with key");
	memset(&o, 0, sizeof(o));
	o.flags = RW;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("no name at all");
	memset(&o, 0, sizeof(o));
	o.flags = RW | MBX_O_PRIVATE;
	o.capacity = 7;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("capacity 7");
	o.capacity = MBX_CAP_BOUNDED;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("bounded, limit 0");
	o.limit = MBX_LIMIT_MAX + 1;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("limit too big");
	o.limit = 1;
	o.mode = 01777;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("mode 01777");
	o.mode = 0600;
	o.max_msg_size = 0xffffffff;
	EXPECT_EQ(-EINVAL, raw_open(self->dev, &o)) TH_LOG("max size > cap");
}

TEST_F(api, open_name_errors)
{
	char longname[MBX_NAME_MAX + 2];
	struct mbx_open o;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	EXPECT_EQ(-ENAMETOOLONG, msg_box_open(self->dev, longname, 0,
					      RW | MBX_O_CREAT, &bounded8,
					      NULL));
	longname[MBX_NAME_MAX] = 0;	/* exactly MBX_NAME_MAX: fine */
	memcpy(longname, self->name, strlen(self->name));
	EXPECT_LE(0, msg_box_open(self->dev, longname, 0, RW | MBX_O_CREAT,
				  &bounded8, NULL));
	EXPECT_EQ(0, msg_box_destroy(msg_box_open(self->dev, longname, 0, RW,
						  NULL, NULL)));
	EXPECT_EQ(-EINVAL, msg_box_open(self->dev, "", 0, RW | MBX_O_CREAT,
					&bounded8, NULL));
	memset(&o, 0, sizeof(o));
	o.flags = RW | MBX_O_CREAT;
	o.name = 8;	/* unmapped */
	EXPECT_EQ(-EFAULT, raw_open(self->dev, &o));
}

TEST_F(api, send_recv_bad_input)
{
	struct mbx_send s;
	struct mbx_recv r;
	char buf[16];
	int a;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = 1u << 30;
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_SEND, &s));
	EXPECT_EQ(EINVAL, errno) TH_LOG("unknown send flag");
	s.flags = 0;
	s.__reserved = 1;
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_SEND, &s));
	EXPECT_EQ(EINVAL, errno) TH_LOG("reserved field");
	s.__reserved = 0;
	s.flags = MBX_F_TIMEOUT;
	s.timeout_ns = -1;
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_SEND, &s));
	EXPECT_EQ(EINVAL, errno) TH_LOG("negative timeout");
	EXPECT_EQ(-EFAULT, msg_send(a, (void *)8, 4, 0)) TH_LOG("bad buffer");
	EXPECT_EQ(-EMSGSIZE, msg_send(a, buf, 8193, 0)) TH_LOG("too long");
	EXPECT_EQ(-EFAULT, (int)ioctl(a, MBX_IOC_SEND, NULL) ? -errno : 0);

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.flags = MBX_F_SYNC;	/* a send flag */
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_RECV, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("send flag on receive");
	r.flags = MBX_F_NONBLOCK | MBX_F_TIMEOUT;
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_RECV, &r));
	EXPECT_EQ(EINVAL, errno) TH_LOG("nonblock and timeout");
	EXPECT_EQ(-1, ioctl(a, _IO(MBX_IOC_MAGIC, 0x7e), 0));
	EXPECT_EQ(ENOTTY, errno);

	/* A receive into a bad buffer fails and leaves the message queued. */
	ASSERT_EQ(0, msg_send(a, "keep", 4, 0));
	EXPECT_EQ(-EFAULT, msg_recv(a, (void *)8, sizeof(buf), 0, NULL));
	EXPECT_EQ(4, msg_recv(a, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(0, memcmp(buf, "keep", 4));

	/* Nothing was queued by the failed sends. */
	EXPECT_EQ(-EAGAIN, msg_recv(a, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	close(a);
}

/* A zero-capacity receive into a bad buffer: the sender keeps waiting. */
TEST_F(api, rendezvous_bad_receive_buffer_keeps_sender)
{
	const struct msg_box_attr zero = { .capacity = MBX_CAP_ZERO,
					   .mode = 0600 };
	char buf[16];
	pid_t tx;
	int a;

	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &zero, NULL);
	ASSERT_LE(0, a);
	tx = spawn_send(a, "still here", 10, 0);
	ASSERT_EQ(0, wait_blocked(a, 1, -1));
	EXPECT_EQ(-EFAULT, msg_recv(a, (void *)8, sizeof(buf), 0, NULL));
	EXPECT_EQ(10, msg_recv(a, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, memcmp(buf, "still here", 10));
	EXPECT_EQ(0, reap(tx));
	msg_box_destroy(a);
	close(a);
}

/*
 * A zero-capacity sender with a bad buffer fails at once, and a receiver
 * waiting meanwhile goes on waiting.  A message of up to 256 bytes is
 * copied in as the send starts; a longer one, which its receiver reads,
 * is checked first to lie in memory the sender may read.
 */
TEST_F(api, rendezvous_bad_send_buffer_fails_sender)
{
	const struct msg_box_attr zero = { .capacity = MBX_CAP_ZERO,
					   .mode = 0600 };
	char buf[4096];
	pid_t rx;
	int a;

	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &zero, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(-EFAULT, msg_send(a, (void *)8, 10, 0));
	EXPECT_EQ(-EFAULT, msg_send(a, (void *)8, sizeof(buf), 0));
	rx = spawn_recv(a, sizeof(buf), 0);
	ASSERT_EQ(0, wait_blocked(a, 0, 1));
	EXPECT_EQ(-EFAULT, msg_send(a, (void *)8, 10, 0));
	EXPECT_EQ(-EFAULT, msg_send(a, (void *)8, sizeof(buf), 0));
	EXPECT_EQ(0, wait_blocked(a, 0, 1));
	memset(buf, 7, sizeof(buf));
	EXPECT_LE(0, msg_send(a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, reap(rx));
	msg_box_destroy(a);
	close(a);
}

TEST_F(api, set_bad_input)
{
	struct mbx_set set;
	int a;

	a = msg_box_open(self->dev, self->name, 0, RW | MBX_O_CREAT, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	memset(&set, 0, sizeof(set));
	EXPECT_EQ(-EINVAL, msg_set(a, &set)) TH_LOG("no flags");
	set.flags = MBX_SET_MODE;
	set.mode = 010000;
	EXPECT_EQ(-EINVAL, msg_set(a, &set)) TH_LOG("bad mode");
	memset(&set, 0, sizeof(set));
	set.flags = MBX_SET_LIMIT;
	EXPECT_EQ(-EINVAL, msg_set(a, &set)) TH_LOG("limit 0");
	memset(&set, 0, sizeof(set));
	set.flags = MBX_SET_OWNER;
	set.uid = (unsigned int)-1;
	EXPECT_EQ(-EINVAL, msg_set(a, &set)) TH_LOG("uid -1");
	close(a);
}

/*
 * Send arguments that cannot be written back fail with EFAULT before the
 * message is sent, so a caller retrying after the error cannot send it
 * twice.
 */
TEST_F(api, send_readonly_args_is_efault)
{
	struct mbx_send *s;
	struct mbx_stat st;
	int a;

	a = msg_box_open(self->dev, NULL, 0, RW | MBX_O_PRIVATE, &bounded8,
			 NULL);
	ASSERT_LE(0, a);
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s);
	s->size = sizeof(*s);
	s->buf = (uintptr_t)"once";
	s->len = 4;
	ASSERT_EQ(0, mprotect(s, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(a, MBX_IOC_SEND, s));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, msg_stat(a, &st));
	EXPECT_EQ(0ull, st.msg_count);
	munmap(s, 4096);
	msg_box_destroy(a);
	close(a);
}

TEST_HARNESS_MAIN
