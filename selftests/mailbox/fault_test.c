// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: each operation is run again and again with its n-th
 * slab allocation made to fail (failslab through /proc/thread-self/
 * fail-nth), n = 1, 2, ... until the operation no longer allocates that
 * many times.  Every run must either succeed or fail with ENOMEM and
 * change nothing: no message lost or added, no mailbox half created.
 * Leaks are caught by the VM's kmemleak scan afterwards.
 *
 * Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug
 * test kernel); skips elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define MAX_NTH		200

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* The 6.1 harness runs the test body after a SKIP in the setup. */
#define NEED_FAILSLAB() do {						\
	if (self->nth < 0)						\
		SKIP(return, "no failslab fault injection in this kernel"); \
} while (0)

FIXTURE(fault) {
	int nth;	/* /proc/thread-self/fail-nth */
	int dev;
	int injected;
};

FIXTURE_SETUP(fault)
{
	self->dev = -1;
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (self->nth < 0 || access(FAILSLAB "ignore-gfp-wait", W_OK)) {
		if (self->nth >= 0)
			close(self->nth);
		self->nth = -1;
		SKIP(return, "no failslab fault injection in this kernel");
	}
	/* Sleeping (GFP_KERNEL) allocations too, and quietly. */
	ASSERT_EQ(0, write_file(FAILSLAB "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_file(FAILSLAB "verbose", "0"));
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(fault)
{
	if (self->nth < 0)
		return;
	write_file(FAILSLAB "ignore-gfp-wait", "Y");
	TH_LOG("%d faults injected", self->injected);
	close(self->dev);
	close(self->nth);
}

/* Make the n-th allocation of this thread fail from now on. */
static void arm(int nth, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

/* Was the fault injected?  Disarm in any case. */
static int fired(int nth)
{
	char buf[16] = {};

	if (pread(nth, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	if (pwrite(nth, "0", 1, 0) != 1)
		abort();
	return atoi(buf) == 0;
}

static unsigned long long queued(int fd)
{
	struct mbx_stat st;

	return msg_stat(fd, &st) ? ~0ULL : st.msg_count;
}

TEST_F(fault, open_device)
{
	int n, fd;

	NEED_FAILSLAB();
	/* With no descriptor of ours open, each open creates our inbox. */
	close(self->dev);
	for (n = 1; n < MAX_NTH; n++) {
		arm(self->nth, n);
		fd = open(MBX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (!fired(self->nth)) {
			ASSERT_LE(0, fd);
			close(fd);
			break;
		}
		self->injected++;
		if (fd >= 0)
			close(fd);
		else
			EXPECT_EQ(ENOMEM, errno) TH_LOG("allocation %d", n);
	}
	EXPECT_LT(1, n) TH_LOG("opening allocates nothing?");
	self->dev = msg_dev_open(0);
}

TEST_F(fault, create_mailbox)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_BOUNDED,
					   .limit = 4, .mode = 0600 };
	char name[32];
	int n, fd;

	NEED_FAILSLAB();
	snprintf(name, sizeof(name), "/fault-%d", getpid());
	for (n = 1; n < MAX_NTH; n++) {
		arm(self->nth, n);
		fd = msg_box_open(self->dev, name, 77, MBX_O_SEND | MBX_O_RECV |
				  MBX_O_CREAT | MBX_O_EXCL, &attr, NULL);
		if (!fired(self->nth)) {
			ASSERT_LE(0, fd);
			msg_box_destroy(fd);
			close(fd);
			break;
		}
		self->injected++;
		if (fd >= 0) {
			msg_box_destroy(fd);
			close(fd);
			continue;
		}
		EXPECT_EQ(-ENOMEM, fd) TH_LOG("allocation %d", n);
		/* Nothing half made: neither the name nor the key exists. */
		EXPECT_EQ(-ENOENT, msg_box_open(self->dev, name, 0, MBX_O_SEND,
						NULL, NULL));
		EXPECT_EQ(-ENOENT, msg_box_open(self->dev, NULL, 77, MBX_O_SEND,
						NULL, NULL));
	}
	EXPECT_LT(1, n);
}

static void sweep_send(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fault) *self, unsigned int capacity,
		       int direct)
{
	const struct msg_box_attr attr = { .capacity = capacity,
					   .limit = capacity == MBX_CAP_BOUNDED ?
						    MAX_NTH : 0,
					   .mode = 0600 };
	unsigned long long before, after;
	char msg[100], buf[100];
	int n, box, ret;

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	memset(msg, 'm', sizeof(msg));
	for (n = 1; n < MAX_NTH; n++) {
		before = queued(direct ? self->dev : box);
		arm(self->nth, n);
		ret = direct ? msg_send_to(self->dev, getpid(), msg, sizeof(msg),
					   MBX_F_NONBLOCK) :
			       msg_send(box, msg, sizeof(msg), MBX_F_NONBLOCK);
		if (!fired(self->nth)) {
			ASSERT_EQ(0, ret);
			break;
		}
		self->injected++;
		after = queued(direct ? self->dev : box);
		if (ret == 0) {
			EXPECT_EQ(before + 1, after);
		} else {
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("allocation %d", n);
			EXPECT_EQ(before, after) TH_LOG("a failed send queued");
		}
	}
	/* Every message queued is whole. */
	while ((ret = msg_recv(direct ? self->dev : box, buf, sizeof(buf),
			       MBX_F_NONBLOCK, NULL)) >= 0) {
		ASSERT_EQ((int)sizeof(msg), ret);
		ASSERT_EQ(0, memcmp(buf, msg, sizeof(msg)));
	}
	EXPECT_EQ(-EAGAIN, ret);
	msg_box_destroy(box);
	close(box);
}

TEST_F(fault, send_bounded)
{
	NEED_FAILSLAB();
	sweep_send(_metadata, self, MBX_CAP_BOUNDED, 0);
}

TEST_F(fault, send_unbounded)
{
	NEED_FAILSLAB();
	sweep_send(_metadata, self, MBX_CAP_UNBOUNDED, 0);
}

TEST_F(fault, send_direct)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY,
		.capacity = MBX_CAP_UNBOUNDED,
	};

	NEED_FAILSLAB();
	ASSERT_EQ(0, msg_inbox_set(self->dev, &cfg));
	sweep_send(_metadata, self, MBX_CAP_UNBOUNDED, 1);
}

TEST_F(fault, receive_takes_exactly_one)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_UNBOUNDED,
					   .mode = 0600 };
	char buf[16];
	int n, box, ret, got = 0;

	NEED_FAILSLAB();
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
			   MBX_O_RECV, &attr, NULL);
	ASSERT_LE(0, box);
	for (n = 0; n < 8; n++)
		ASSERT_EQ(0, msg_send(box, &n, sizeof(n), 0));
	for (n = 1; n <= 8; n++) {
		arm(self->nth, n);
		ret = msg_recv(box, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
		if (fired(self->nth))
			self->injected++;
		if (ret >= 0)
			got++;
		else
			EXPECT_EQ(-ENOMEM, ret);
		EXPECT_EQ((unsigned long long)(8 - got), queued(box));
	}
	msg_box_destroy(box);
	close(box);
}

TEST_HARNESS_MAIN
