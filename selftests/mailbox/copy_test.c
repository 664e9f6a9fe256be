// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of the single copy between a sender's and a receiver's
 * buffers (module/mbx_copy.c), in every capacity mode.  A sender that finds
 * a receiver already waiting copies straight into the receiver's pages,
 * but only if both buffers are resident; otherwise it must fall back to
 * the ordinary path.  These tests make a receiver wait first (observed
 * through MBX_IOC_STAT, not slept for) and then vary what is resident,
 * checking every byte and that each message arrives exactly once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define BIG		(1024 * 1024 + 123)	/* several pin batches, unaligned */
/* Large enough for the sender to copy into a waiting receiver. */
#define DIRECT		(20 * 1024)
/*
 * The longest zero-capacity message its sender copies in as the send
 * starts (the receiver copies it from there, pinning nothing).
 */
#define COPIED_IN	256

FIXTURE(copy) {
	int dev;
	int fd;
};

FIXTURE_VARIANT(copy) {
	unsigned int capacity;
	unsigned int limit;
};

FIXTURE_VARIANT_ADD(copy, zero) {
	.capacity = MBX_CAP_ZERO,
};

FIXTURE_VARIANT_ADD(copy, bounded) {
	.capacity = MBX_CAP_BOUNDED,
	.limit = 4,
};

FIXTURE_VARIANT_ADD(copy, unbounded) {
	.capacity = MBX_CAP_UNBOUNDED,
};

FIXTURE_SETUP(copy)
{
	struct msg_box_attr attr = {
		.capacity = variant->capacity,
		.limit = variant->limit,
		.max_msg_size = 2 * BIG,
		.mode = 0600,
	};

	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->fd = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE |
				MBX_O_SEND | MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(copy)
{
	msg_box_destroy(self->fd);
	close(self->fd);
	close(self->dev);
}

/* A fresh anonymous mapping: nothing of it is resident until touched. */
static void *untouched(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A child that receives one message of @len bytes into @buf (which it
 * does not touch first) and exits 0 if it is the pattern of @seed, else
 * with the errno or 100 for wrong content.
 */
static pid_t spawn_check_recv(int fd, void *buf, size_t cap, size_t len,
			      unsigned int seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		ssize_t n = msg_recv(fd, buf, cap, 0, NULL);

		if (n < 0)
			_exit((int)-n);
		_exit((size_t)n == len && !check_fill(buf, len, seed) ? 0 :
		      100);
	}
	return pid;
}

/* The receiver's buffer is not resident: the sender falls back. */
TEST_F(copy, receiver_buffer_not_resident)
{
	char *rbuf = untouched(BIG, PROT_READ | PROT_WRITE);
	char *sbuf = malloc(BIG);
	pid_t rx;

	ASSERT_NE(NULL, rbuf);
	ASSERT_NE(NULL, sbuf);
	fill(sbuf, BIG, 1);
	rx = spawn_check_recv(self->fd, rbuf, BIG, BIG, 1);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	EXPECT_LE(0, msg_send(self->fd, sbuf, BIG, 0));
	EXPECT_EQ(0, reap(rx));
	free(sbuf);
	munmap(rbuf, BIG);
}

#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"

/*
 * Both resident: the sender copies into the receiver, every byte.  With
 * the byte quota lowered below the message's size, so that the copy must
 * be the single one: a message that went the ordinary way (allocated,
 * charged, queued) would fail with ENOBUFS.
 */
TEST_F(copy, resident_large_message)
{
	char *rbuf = malloc(2 * BIG);
	char *sbuf = malloc(BIG);
	char quota[32];
	int sent;
	pid_t rx;

	ASSERT_NE(NULL, rbuf);
	ASSERT_NE(NULL, sbuf);
	memset(rbuf, 0, 2 * BIG);	/* resident, and private after fork */
	fill(sbuf, BIG, 2);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		ssize_t n;

		memset(rbuf, 0, 2 * BIG);	/* break copy-on-write */
		n = msg_recv(self->fd, rbuf + 1, 2 * BIG - 1, 0, NULL);
		_exit(n == BIG && !check_fill(rbuf + 1, BIG, 2) &&
		      rbuf[BIG + 1] == 0 ? 0 : 100);
	}
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "65536"));
	sent = msg_send(self->fd, sbuf, BIG, 0);
	ASSERT_EQ(0, write_str(QUOTA_PARAM, quota));
	EXPECT_LE(0, sent) TH_LOG("not the single copy: %s", strerror(-sent));
	if (sent < 0)
		kill(rx, SIGKILL);
	EXPECT_EQ(0, reap(rx));
	free(sbuf);
	free(rbuf);
}

/* The sender's buffer is not resident (reads as zeros): it falls back. */
TEST_F(copy, sender_buffer_not_resident)
{
	char *sbuf = untouched(BIG, PROT_READ);
	char *rbuf = malloc(BIG);
	pid_t rx;

	ASSERT_NE(NULL, sbuf);
	ASSERT_NE(NULL, rbuf);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		ssize_t n;
		size_t i;

		memset(rbuf, 0xa5, BIG);
		n = msg_recv(self->fd, rbuf, BIG, 0, NULL);
		for (i = 0; n == BIG && i < BIG; i++)
			if (rbuf[i])
				_exit(100);
		_exit(n == BIG ? 0 : 101);
	}
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	EXPECT_LE(0, msg_send(self->fd, sbuf, BIG, 0));
	EXPECT_EQ(0, reap(rx));
	munmap(sbuf, BIG);
	free(rbuf);
}

/*
 * A waiting receiver whose buffer cannot be written fails with EFAULT,
 * and the message is neither lost nor delivered twice: the next receiver
 * gets it.
 */
TEST_F(copy, receiver_buffer_read_only)
{
	char *rbuf = untouched(2 * DIRECT, PROT_READ);
	char *sbuf = malloc(DIRECT), *good = malloc(DIRECT);
	pid_t rx, tx;

	ASSERT_NE(NULL, rbuf);
	ASSERT_NE(NULL, sbuf);
	ASSERT_NE(NULL, good);
	fill(sbuf, DIRECT, 3);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0)
		child_exit(msg_recv(self->fd, rbuf, 2 * DIRECT, 0, NULL));
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	/* A rendezvous sender waits for a receiver that can take it. */
	tx = spawn_send(self->fd, sbuf, DIRECT, 0);
	EXPECT_EQ(EFAULT, reap(rx));
	EXPECT_EQ(DIRECT, msg_recv(self->fd, good, DIRECT, 0, NULL));
	EXPECT_EQ(0, check_fill(good, DIRECT, 3));
	EXPECT_EQ(0, reap(tx));
	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, good, DIRECT, MBX_F_NONBLOCK,
				    NULL));
	munmap(rbuf, 2 * DIRECT);
	free(sbuf);
	free(good);
}

/*
 * A stream of messages to a receiver that is usually waiting, small ones
 * (allocated and copied twice) and large ones (copied once, into the
 * receiver): order and content hold whichever path each message takes.
 */
TEST_F(copy, stream_keeps_order)
{
	enum { N = 400 };
	unsigned int *buf = malloc(DIRECT);
	unsigned int i;
	pid_t rx;

	ASSERT_NE(NULL, buf);
	memset(buf, 0, DIRECT);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		unsigned int want;
		ssize_t n;

		memset(buf, 0, DIRECT);
		for (want = 0; want < N; want++) {
			n = msg_recv(self->fd, buf, DIRECT, 0, NULL);
			if (n != (want % 2 ? DIRECT : 4) || buf[0] != want ||
			    (n == DIRECT && buf[DIRECT / 4 - 1] != ~want))
				_exit(100);
		}
		_exit(0);
	}
	for (i = 0; i < N; i++) {
		buf[0] = i;
		buf[DIRECT / 4 - 1] = ~i;
		ASSERT_LE(0, msg_send(self->fd, buf, i % 2 ? DIRECT : 4, 0));
	}
	EXPECT_EQ(0, reap(rx));
	free(buf);
}

/*
 * A message of up to COPIED_IN bytes is read as the send starts, in every
 * capacity mode: a buffer that cannot be read fails at once with EFAULT,
 * blocking or not, and sends nothing; a receiver waiting meanwhile gets
 * the next message.  (A zero-capacity send used to wait for a receiver
 * before its buffer was read: EAGAIN, or a blocking send's timeout.)
 */
TEST_F(copy, small_message_from_bad_buffer_fails_at_once)
{
	char *bad = untouched(4096, PROT_NONE);
	char good[COPIED_IN], rbuf[COPIED_IN];
	struct mbx_stat st;
	pid_t rx;

	ASSERT_NE(NULL, bad);
	EXPECT_EQ(-EFAULT, msg_send(self->fd, bad, COPIED_IN, MBX_F_NONBLOCK));
	EXPECT_EQ(-EFAULT, msg_send_timed(self->fd, bad, COPIED_IN, 0,
					  2000 * MS));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0ULL, st.msg_count);
	EXPECT_EQ(0U, st.senders_waiting);

	fill(good, sizeof(good), 3);
	rx = spawn_check_recv(self->fd, rbuf, sizeof(rbuf), sizeof(good), 3);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	EXPECT_EQ(-EFAULT, msg_send(self->fd, bad, 1, MBX_F_NONBLOCK));
	EXPECT_EQ(-EFAULT, msg_send(self->fd, bad, COPIED_IN, 0));
	EXPECT_LE(0, msg_send(self->fd, good, sizeof(good), 0));
	EXPECT_EQ(0, reap(rx));
	EXPECT_EQ(0, queued(self->fd));
	munmap(bad, 4096);
}

/* The start of the vDSO's data page ("[vvar]"), or NULL. */
static const void *vvar_page(void)
{
	unsigned long start = 0;
	char line[256];
	FILE *maps;

	maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return NULL;
	while (!start && fgets(line, sizeof(line), maps))
		if (strstr(line, "[vvar]"))
			start = strtoul(line, NULL, 16);
	fclose(maps);
	return (const void *)start;
}

/*
 * Memory that page pinning cannot take (the vDSO's data page: VM_IO,
 * VM_PFNMAP) but the sender can read: a message of up to COPIED_IN bytes
 * from it is sent in every capacity mode, since its sender copies it in;
 * a longer one only where it is queued (copy_from_user()), a
 * zero-capacity one fails with EFAULT, as process_vm_readv() would.  The
 * page's content (clock data) changes, so only lengths are checked.
 */
TEST_F(copy, message_from_memory_that_cannot_be_pinned)
{
	const size_t longer = 2 * COPIED_IN;
	const void *vvar = vvar_page();
	pid_t rx;

	if (!vvar)
		SKIP(return, "no [vvar] mapping");
	rx = spawn_recv(self->fd, COPIED_IN, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	EXPECT_LE(0, msg_send(self->fd, vvar, COPIED_IN, 0));
	EXPECT_EQ(0, reap(rx));

	rx = spawn_recv(self->fd, longer, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	if (variant->capacity == MBX_CAP_ZERO) {
		EXPECT_EQ(-EFAULT, msg_send(self->fd, vvar, longer, 0));
		kill(rx, SIGKILL);
		EXPECT_EQ(1000 + SIGKILL, reap(rx));
	} else {
		EXPECT_LE(0, msg_send(self->fd, vvar, longer, 0));
		EXPECT_EQ(0, reap(rx));
	}
}

TEST_HARNESS_MAIN
