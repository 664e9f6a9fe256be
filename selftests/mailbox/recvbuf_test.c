// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of what a receive does to its buffer: it writes only the
 * message it receives.  One that receives nothing (EAGAIN, or EIDRM on a
 * destroyed mailbox, which comes before a bad buffer) touches no page of
 * its buffer, so it populates nothing, waits for no userfaultfd handler
 * (RWF_NOWAIT, as io_uring's first try) and makes no write-protect fault;
 * and a short message needs only its own bytes mapped, whatever length
 * the caller gave.  A receive that probed its buffer before taking a
 * message (tried and reverted, README "What was tried") broke each of
 * these.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

static int open_box(int dev, unsigned int capacity, unsigned int limit)
{
	struct msg_box_attr attr = {
		.capacity = capacity,
		.limit = limit,
		.max_msg_size = 64 * 1024,
		.mode = 0600,
	};

	return msg_box_open(dev, NULL, 0,
			    MBX_O_PRIVATE | MBX_O_SEND | MBX_O_RECV, &attr, NULL);
}

FIXTURE(recvbuf) {
	int dev;
};

FIXTURE_SETUP(recvbuf)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(recvbuf)
{
	close(self->dev);
}

/* A non-blocking receive with nothing to receive leaves its buffer alone. */
TEST_F(recvbuf, empty_nonblocking_receive_does_not_populate_buffer)
{
	unsigned int caps[] = { MBX_CAP_UNBOUNDED, MBX_CAP_ZERO };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int fd = open_box(self->dev, caps[i], 0);
		char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char vec = 0xff;
		struct iovec iov = { .iov_base = buf, .iov_len = 64 };

		ASSERT_LE(0, fd);
		ASSERT_NE(MAP_FAILED, buf);
		ASSERT_EQ(0, mincore(buf, 4096, &vec));
		ASSERT_EQ(0, vec & 1);
		EXPECT_EQ(-EAGAIN, msg_recv(fd, buf, 64, MBX_F_NONBLOCK, NULL));
		ASSERT_EQ(0, mincore(buf, 4096, &vec));
		EXPECT_EQ(0, vec & 1) TH_LOG("cap %u: msg_recv EAGAIN populated "
					     "the buffer's page", caps[i]);
		munmap(buf, 4096);
		buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		iov.iov_base = buf;
		EXPECT_EQ(-1, preadv2(fd, &iov, 1, -1, RWF_NOWAIT));
		EXPECT_EQ(EAGAIN, errno);
		ASSERT_EQ(0, mincore(buf, 4096, &vec));
		EXPECT_EQ(0, vec & 1) TH_LOG("cap %u: RWF_NOWAIT EAGAIN "
					     "populated the buffer's page",
					     caps[i]);
		munmap(buf, 4096);
		close(fd);
	}
}

/* A userfaultfd handler thread: counts faults, holds each @hold_ms. */
struct handler {
	int uffd;
	char *area;
	int hold_ms;
	int faults, wp_faults;
};

static void *handle(void *p)
{
	struct handler *h = p;
	struct uffd_msg msg;

	while (read(h->uffd, &msg, sizeof(msg)) == sizeof(msg)) {
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		__atomic_fetch_add(&h->faults, 1, __ATOMIC_SEQ_CST);
		usleep(h->hold_ms * 1000);
		if (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
			struct uffdio_writeprotect wp = {
				.range = { .start = (unsigned long)h->area,
					   .len = 4096 },
				.mode = 0,
			};

			__atomic_fetch_add(&h->wp_faults, 1, __ATOMIC_SEQ_CST);
			if (ioctl(h->uffd, UFFDIO_WRITEPROTECT, &wp))
				break;
		} else {
			struct uffdio_zeropage z = {
				.range = { .start = (unsigned long)h->area,
					   .len = 4096 },
			};

			if (ioctl(h->uffd, UFFDIO_ZEROPAGE, &z))
				break;
		}
	}
	return NULL;
}

/* 0, or -1 (no userfaultfd, or no WP): @wp registers write-protect mode. */
static int start_handler(struct handler *h, bool wp)
{
	struct uffdio_api api = { .api = UFFD_API,
		.features = wp ? UFFD_FEATURE_PAGEFAULT_FLAG_WP : 0 };
	struct uffdio_register reg = {
		.mode = wp ? UFFDIO_REGISTER_MODE_WP :
			     UFFDIO_REGISTER_MODE_MISSING,
	};
	pthread_t t;

	h->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0 || ioctl(h->uffd, UFFDIO_API, &api))
		return -1;
	h->area = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->area == MAP_FAILED)
		return -1;
	if (wp)
		memset(h->area, 'x', 4096);
	reg.range.start = (unsigned long)h->area;
	reg.range.len = 4096;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	if (wp) {
		struct uffdio_writeprotect w = {
			.range = reg.range,
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		if (ioctl(h->uffd, UFFDIO_WRITEPROTECT, &w))
			return -1;
	}
	return pthread_create(&t, NULL, handle, h) ? -1 : 0;
}

/*
 * RWF_NOWAIT (as io_uring's first try) with nothing to receive: EAGAIN at
 * once, no fault for the buffer's userfaultfd handler to serve.
 */
TEST_F(recvbuf, nowait_receive_with_nothing_waits_for_no_userfault)
{
	struct handler h = { .hold_ms = 1000 };
	int fd = open_box(self->dev, MBX_CAP_UNBOUNDED, 0);
	struct iovec iov;
	long long t0, ms;

	ASSERT_LE(0, fd);
	if (start_handler(&h, false))
		SKIP(return, "no userfaultfd");
	iov.iov_base = h.area;
	iov.iov_len = 64;
	t0 = now_ns();
	EXPECT_EQ(-1, preadv2(fd, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ms = (now_ns() - t0) / MS;
	TH_LOG("RWF_NOWAIT read, nothing queued: %lld ms, %d faults", ms,
	       h.faults);
	EXPECT_EQ(0, h.faults);
	EXPECT_GT(500, ms);
	close(fd);
}

/*
 * A write-protected (UFFDIO_REGISTER_MODE_WP) buffer: a receive that
 * receives nothing writes nothing, so its handler sees no write fault.
 */
TEST_F(recvbuf, empty_receive_makes_no_wp_fault)
{
	struct handler h = { .hold_ms = 0 };
	int fd = open_box(self->dev, MBX_CAP_UNBOUNDED, 0);

	ASSERT_LE(0, fd);
	if (start_handler(&h, true))
		SKIP(return, "no userfaultfd WP");
	EXPECT_EQ(-EAGAIN, msg_recv(fd, h.area, 64, MBX_F_NONBLOCK, NULL));
	usleep(100 * 1000);
	TH_LOG("EAGAIN receive: %d faults, %d write-protect faults", h.faults,
	       h.wp_faults);
	EXPECT_EQ(0, h.wp_faults);
	close(fd);
}

/*
 * README: every call on a destroyed mailbox's handle fails with EIDRM
 * "but for errors in the call's own arguments, which come first: EINVAL,
 * ... EMSGSIZE, or a send buffer that cannot be read, EFAULT".  A receive
 * buffer is not in that list.
 */
TEST_F(recvbuf, destroyed_mailbox_read_only_buffer)
{
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open_box(self->dev, MBX_CAP_UNBOUNDED, 0);

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + 4096, 4096, PROT_READ));
	ASSERT_EQ(0, msg_box_destroy(fd));
	/* Read-only from its first byte. */
	EXPECT_EQ(-EIDRM, msg_recv(fd, two + 4096, 64, MBX_F_NONBLOCK, NULL));
	/* Read-only from byte 256 on: the same buffer problem, other errno. */
	EXPECT_EQ(-EIDRM, msg_recv(fd, two + 4096 - 256, 1024,
				   MBX_F_NONBLOCK, NULL));
	close(fd);
}

/*
 * A buffer whose length overstates what is mapped by less than 256 bytes,
 * receiving a 10-byte message: the receive writes 10 bytes, all mapped.
 * It gets the message, queued or handed to it waiting.
 */
TEST_F(recvbuf, short_message_into_buffer_with_unmapped_tail)
{
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open_box(self->dev, MBX_CAP_UNBOUNDED, 0);
	char *buf;
	pid_t rx;

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, munmap(two + 4096, 4096));
	buf = two + 4096 - 64;		/* 64 bytes mapped, 1024 claimed */
	/* Queued first. */
	ASSERT_EQ(0, msg_send(fd, "0123456789", 10, 0));
	EXPECT_EQ(10, msg_recv(fd, buf, 1024, MBX_F_NONBLOCK, NULL));
	ASSERT_EQ(0, msg_send(fd, "0123456789", 10, 0));
	EXPECT_EQ(10, read(fd, buf, 1024)) TH_LOG("read: %s", strerror(errno));
	if (queued(fd) > 0)	/* it failed: drain */
		msg_recv(fd, two, 64, MBX_F_NONBLOCK, NULL);
	/* Waiting receiver, small hand-off. */
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0)
		child_exit(msg_recv(fd, buf, 1024, 0, NULL) == 10 ? 0 : -EIO);
	if (wait_blocked(fd, -1, 1) == 0) {
		EXPECT_EQ(0, msg_send(fd, "0123456789", 10, 0));
	} else {
		kill(rx, SIGKILL);
	}
	EXPECT_EQ(0, reap(rx));
	EXPECT_EQ(0, queued(fd));
	close(fd);
}

TEST_HARNESS_MAIN
