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
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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

#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"

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

/*
 * Send @len bytes from @buf to the receiver @rx, waiting, with the byte
 * quota below the message's size, so that the copy must be the single
 * one: a message that went the ordinary way (allocated, charged, queued)
 * would fail with ENOBUFS; then reap @rx, which must have got it.
 */
static void send_single_copy(struct __test_metadata *_metadata, int fd,
			     const char *buf, size_t len, pid_t rx)
{
	char quota[32];
	int sent;

	ASSERT_EQ(0, wait_blocked(fd, -1, 1));
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "65536"));
	sent = msg_send(fd, buf, len, 0);
	ASSERT_EQ(0, write_str(QUOTA_PARAM, quota));
	EXPECT_LE(0, sent) TH_LOG("not the single copy: %s", strerror(-sent));
	if (sent < 0)
		kill(rx, SIGKILL);
	EXPECT_EQ(0, reap(rx));
}

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
	pid_t rx;

	ASSERT_NE(NULL, rbuf);
	ASSERT_NE(NULL, sbuf);
	touch(rbuf, 2 * BIG);	/* resident, and private after fork */
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
	send_single_copy(_metadata, self->fd, sbuf, BIG, rx);
	free(sbuf);
	free(rbuf);
}

/*
 * The sender's buffer is not resident (fresh memory, reads as zeros): the
 * sender faults it in itself and still copies straight into the waiting
 * receiver.  With the byte quota below the message's size, so that a
 * message that went the ordinary way (queued, charged) would fail with
 * ENOBUFS although a receiver was waiting.
 */
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
	send_single_copy(_metadata, self->fd, sbuf, BIG, rx);
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
	touch(buf, DIRECT);
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
 * A send from a buffer that cannot be read fails at once with EFAULT, in
 * every capacity mode, blocking or not, and sends nothing: a message of
 * up to COPIED_IN bytes because the send reads it as it starts, a longer
 * zero-capacity one because its sender first checks that it lies in
 * mappings it may read, before any receiver hears of it.  So receivers
 * waiting meanwhile hear nothing, not even one too small for it (which
 * would be told the size of a message never sent), and get the next.
 * (A zero-capacity send used to wait for a receiver before its buffer
 * was read: EAGAIN, or a wait, and then a too-small receiver was told.)
 */
TEST_F(copy, message_from_bad_buffer_fails_at_once)
{
	const size_t P = 4096;
	/* Pages 0-3 and 5 and 7 readable, 4 PROT_NONE, 6 a hole. */
	char *buf = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const struct {
		size_t at, len;
	} bad[] = {
		{ 4 * P, 1 },			/* not readable at all */
		{ 4 * P, COPIED_IN },
		{ 4 * P - 100, COPIED_IN },	/* its tail */
		{ 3 * P, 2 * P },
		{ 4 * P - DIRECT / 2, DIRECT },	/* its middle */
		{ 5 * P, 2 * P },		/* its tail, in a hole */
		{ 6 * P, P },
	};
	char good[4096], *rbuf = malloc(2 * DIRECT);
	struct mbx_stat st;
	pid_t small, big;
	unsigned int i;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_NE(NULL, rbuf);
	touch(buf, 8 * P);
	ASSERT_EQ(0, mprotect(buf + 4 * P, P, PROT_NONE));
	ASSERT_EQ(0, munmap(buf + 6 * P, P));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EFAULT, msg_send(self->fd, buf + bad[i].at,
					    bad[i].len, MBX_F_NONBLOCK))
			TH_LOG("case %u", i);
		EXPECT_EQ(-EFAULT, msg_send_timed(self->fd, buf + bad[i].at,
						  bad[i].len, 0, 2000 * MS))
			TH_LOG("case %u", i);
	}
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0ULL, st.msg_count);
	EXPECT_EQ(0U, st.senders_waiting);

	/* Receivers waiting: one too small for all but the first, one not. */
	small = spawn_recv(self->fd, 1, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	fill(good, sizeof(good), 3);
	big = spawn_check_recv(self->fd, rbuf, 2 * DIRECT, sizeof(good), 3);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 2));
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EFAULT, msg_send(self->fd, buf + bad[i].at,
					    bad[i].len, 0)) TH_LOG("case %u", i);
		EXPECT_EQ(0, wait_blocked(self->fd, 0, 2)) TH_LOG("case %u", i);
	}
	/* A good one: the small receiver is told its size, the other gets it. */
	EXPECT_LE(0, msg_send(self->fd, good, sizeof(good), 0));
	EXPECT_EQ(EMSGSIZE, reap(small));
	EXPECT_EQ(0, reap(big));
	EXPECT_EQ(0, queued(self->fd));
	munmap(buf, 8 * P);
	free(rbuf);
}

/*
 * Memory that page pinning cannot take (the vDSO's data page: VM_IO,
 * VM_PFNMAP) but the sender can read: a message from it is sent in every
 * capacity mode, a receiver waiting first or not.  A small one its send
 * copies in as it starts; a zero-capacity sender of a longer one, which
 * its receiver finds it cannot pin, copies the whole message into a
 * buffer of its own and offers that (before, EFAULT, as
 * process_vm_readv() gives).  The page's content (clock data) changes,
 * so only lengths are checked.
 */
TEST_F(copy, message_from_memory_that_cannot_be_pinned)
{
	const size_t sizes[] = { COPIED_IN, 2 * COPIED_IN, 4096 };
	const void *vvar = vvar_page();
	char *buf = malloc(4096);
	unsigned int i;
	ssize_t n;
	pid_t pid;

	if (!vvar)
		SKIP(return, "no [vvar] mapping");
	ASSERT_NE(NULL, buf);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* The receiver waits first. */
		pid = spawn_recv(self->fd, sizes[i], 0);
		ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
		EXPECT_LE(0, msg_send(self->fd, vvar, sizes[i], 0))
			TH_LOG("%zu bytes", sizes[i]);
		EXPECT_EQ(0, reap(pid));

		/* The sender comes first. */
		pid = spawn_send(self->fd, vvar, sizes[i], 0);
		if (variant->capacity == MBX_CAP_ZERO)
			ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
		n = msg_recv_timed(self->fd, buf, 4096, 0, 10000 * MS, NULL);
		EXPECT_EQ((ssize_t)sizes[i], n) TH_LOG("%zu bytes: %s",
						       sizes[i], strerror(-n));
		EXPECT_EQ(0, reap(pid));
	}
	free(buf);
}

/* QEMU's standard VGA: its BAR 0 is video memory, plain RAM to write. */
#define QEMU_VGA	"/sys/bus/pci/devices/0000:00:02.0/"

static bool is_qemu_vga(void)
{
	char vendor[16], device[16];

	return !read_str(QEMU_VGA "vendor", vendor, sizeof(vendor)) &&
	       !read_str(QEMU_VGA "device", device, sizeof(device)) &&
	       !strncmp(vendor, "0x1234", 6) && !strncmp(device, "0x1111", 6);
}

/*
 * Three pages: an ordinary one, a page of the VGA's video memory mapped
 * through sysfs (io_remap_pfn_range(): VM_IO, VM_PFNMAP, which page
 * pinning refuses, and writable, so that a pattern can be checked), and
 * an ordinary one.  NULL, or the start.
 */
static char *span_unpinnable_page(void)
{
	char *base, *vram;
	int fd;

	if (!is_qemu_vga())
		return NULL;
	fd = open(QEMU_VGA "resource0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base != MAP_FAILED) {
		vram = mmap(base + 4096, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, fd, 0);
		if (vram != base + 4096) {
			munmap(base, 3 * 4096);
			base = MAP_FAILED;
		}
	}
	close(fd);
	return base == MAP_FAILED ? NULL : base;
}

/* A zero-capacity sender of @len bytes at @msg, waiting: its pid. */
static pid_t spawn_waiting_sender(struct __test_metadata *_metadata, int fd,
				  unsigned int capacity, const char *msg,
				  size_t len)
{
	pid_t pid = spawn_send(fd, msg, len, 0);

	if (capacity == MBX_CAP_ZERO)
		EXPECT_EQ(0, wait_blocked(fd, 1, -1));
	return pid;
}

/*
 * A message that spans half an ordinary page, a page that cannot be
 * pinned and half an ordinary page, checked byte for byte, in every way
 * it can be received.  On a zero-capacity mailbox the sender sees, as
 * it starts, that part of its message cannot be pinned, and offers a
 * copy of its own from the start (the copy made later, once a receiver
 * could not pin it, is message_from_secret_memory's); a sender killed
 * while it holds its copy frees it (KASAN, kmemleak).
 */
static void spanning_rounds(struct __test_metadata *_metadata,
			    FIXTURE_DATA(copy) *self,
			    const FIXTURE_VARIANT(copy) *variant, char *base)
{
	const size_t len = 6144;
	char *msg, *rbuf = malloc(8192);
	unsigned int seed;
	long long end;
	int i;
	ssize_t n;
	pid_t pid;

	ASSERT_NE(NULL, rbuf);
	msg = base + 2048;
	for (i = 0; i < 5; i++) {
		seed = 10 + i;
		fill(msg, len, seed);
		memset(rbuf, 0, 8192);
		switch (i) {
		case 0:		/* the sender first, a blocking receiver */
			pid = spawn_waiting_sender(_metadata, self->fd,
						   variant->capacity, msg, len);
			n = msg_recv_timed(self->fd, rbuf, 8192, 0,
					   10000 * MS, NULL);
			EXPECT_EQ((ssize_t)len, n) TH_LOG("round %d: %zd", i, n);
			EXPECT_EQ(0, check_fill(rbuf, len, seed));
			EXPECT_EQ(0, reap(pid));
			break;
		case 1:		/* the receiver first */
			pid = spawn_check_recv(self->fd, rbuf, 8192, len, seed);
			ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
			EXPECT_LE(0, msg_send(self->fd, msg, len, 0));
			EXPECT_EQ(0, reap(pid)) TH_LOG("round %d", i);
			break;
		case 2:		/* the sender first, non-blocking receives */
			pid = spawn_waiting_sender(_metadata, self->fd,
						   variant->capacity, msg, len);
			end = now_ns() + 10000 * MS;
			do {
				n = msg_recv(self->fd, rbuf, 8192,
					     MBX_F_NONBLOCK, NULL);
				if (n == -EAGAIN)
					usleep(1000);
			} while (n == -EAGAIN && now_ns() < end);
			EXPECT_EQ((ssize_t)len, n) TH_LOG("round %d: %zd", i, n);
			EXPECT_EQ(0, check_fill(rbuf, len, seed));
			EXPECT_EQ(0, reap(pid));
			break;
		case 3:		/* the sender first, a truncating receiver */
			pid = spawn_waiting_sender(_metadata, self->fd,
						   variant->capacity, msg, len);
			n = msg_recv_timed(self->fd, rbuf, 3000, MBX_F_TRUNC,
					   10000 * MS, NULL);
			EXPECT_EQ(3000, n) TH_LOG("round %d: %zd", i, n);
			EXPECT_EQ(0, check_fill(rbuf, 3000, seed));
			EXPECT_EQ(0, reap(pid));
			break;
		case 4:		/* killed while it waits (with its copy) */
			if (variant->capacity != MBX_CAP_ZERO)
				break;
			pid = spawn_waiting_sender(_metadata, self->fd,
						   variant->capacity, msg, len);
			kill(pid, SIGKILL);
			EXPECT_EQ(1000 + SIGKILL, reap(pid));
			EXPECT_EQ(0, wait_blocked(self->fd, 0, 0));
			break;
		}
	}
	free(rbuf);
}

TEST_F(copy, message_spanning_memory_that_cannot_be_pinned)
{
	char *base = span_unpinnable_page();

	if (!base)
		SKIP(return, "no QEMU VGA video memory to map");
	spanning_rounds(_metadata, self, variant, base);
	munmap(base, 3 * 4096);
}

#ifndef SYS_memfd_secret
#define SYS_memfd_secret	447
#endif

/*
 * As above, with a page of memfd_secret() memory in the middle, which
 * page pinning refuses too (the test VM boots with secretmem.enable=1;
 * 6.1 has it off by default): the send sees it by its file system.
 */
TEST_F(copy, message_spanning_secret_memory)
{
	char *base, *mid;
	int fd;

	fd = syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		SKIP(return, "memfd_secret: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, 4096));
	base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	mid = mmap(base + 4096, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, fd, 0);
	close(fd);
	ASSERT_EQ(base + 4096, mid);
	spanning_rounds(_metadata, self, variant, base);
	munmap(base, 3 * 4096);
}

/*
 * The copy a zero-capacity sender makes of memory that cannot be pinned
 * is kernel memory held for as long as its send waits: it is charged to
 * the byte quota, as a queued message is.  The send sees such memory as
 * it starts, so past the quota it fails with ENOBUFS at once, and a
 * receiver waiting meanwhile, too small for the message, hears nothing;
 * a send that made a copy gives the charge back when it ends.  A
 * non-blocking one that no waiting receiver would take fails with EAGAIN
 * before it makes any.
 */
TEST_F_TIMEOUT(copy, copy_of_memory_that_cannot_be_pinned_is_charged, 120)
{
	const size_t len = 256 * 1024;
	char quota[32], *vram, *rbuf = malloc(len);
	pid_t pid, small, idle, other;
	unsigned int i;
	int fd, ret, sent;
	ssize_t n;

	if (variant->capacity != MBX_CAP_ZERO)
		SKIP(return, "only a zero-capacity send copies it");
	if (!is_qemu_vga())
		SKIP(return, "no QEMU VGA video memory to map");
	fd = open(QEMU_VGA "resource0", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vram = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, vram);
	ASSERT_NE(NULL, rbuf);
	touch(rbuf, len);
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "65536"));
	fill(vram, len, 4);
	/* Non-blocking, nobody waiting: EAGAIN, no copy made to say ENOBUFS. */
	sent = msg_send(self->fd, vram, len, MBX_F_NONBLOCK);
	EXPECT_EQ(-EAGAIN, sent);
	/* The same with only a receive(Q) for another process waiting. */
	idle = spawn_idle();
	other = spawn_recv_from(self->fd, idle, len);
	ret = wait_blocked(self->fd, -1, 1);
	sent = msg_send(self->fd, vram, len, MBX_F_NONBLOCK);
	kill(other, SIGKILL);
	kill(idle, SIGKILL);
	reap(other);
	reap(idle);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(-EAGAIN, sent) TH_LOG("%s", strerror(-sent));
	EXPECT_EQ(0, wait_blocked(self->fd, -1, 0));
	small = spawn_recv(self->fd, 1, 0);
	ret = wait_blocked(self->fd, -1, 1);
	if (ret)
		EXPECT_EQ(0, write_str(QUOTA_PARAM, quota));
	ASSERT_EQ(0, ret);

	/* Less than the message: no copy, the send fails, no one hears. */
	sent = msg_send_timed(self->fd, vram, len, 0, 2000 * MS);
	ret = wait_blocked(self->fd, 0, 1);
	EXPECT_EQ(0, write_str(QUOTA_PARAM, "300000"));
	EXPECT_EQ(-ENOBUFS, sent);
	EXPECT_EQ(0, ret) TH_LOG("the small receiver was told");
	kill(small, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, reap(small));

	/* Room for one copy: each send gives its charge back. */
	for (i = 0; i < 3; i++) {
		fill(vram, len, 5 + i);
		pid = spawn_send(self->fd, vram, len, 0);
		ret = wait_blocked(self->fd, 1, -1);
		n = msg_recv_timed(self->fd, rbuf, len, 0, 10000 * MS, NULL);
		EXPECT_EQ(0, ret);
		EXPECT_EQ((ssize_t)len, n) TH_LOG("send %u: %s", i,
						  strerror(n < 0 ? -n : 0));
		EXPECT_EQ(0, check_fill(rbuf, len, 5 + i));
		EXPECT_EQ(0, reap(pid));
	}
	ASSERT_EQ(0, write_str(QUOTA_PARAM, quota));
	munmap(vram, len);
	free(rbuf);
}

/*
 * @len bytes from @msg, of pattern @seed, sent to a receiver waiting
 * first, then of pattern @seed + 1 by a sender waiting first, each
 * received whole into @rbuf (@cap bytes).
 */
static void send_both_ways(struct __test_metadata *_metadata, int fd,
			   unsigned int capacity, char *msg, size_t len,
			   unsigned int seed, char *rbuf, size_t cap)
{
	ssize_t n;
	int sent;
	pid_t pid;

	fill(msg, len, seed);
	pid = spawn_check_recv(fd, rbuf, cap, len, seed);
	ASSERT_EQ(0, wait_blocked(fd, -1, 1));
	sent = msg_send(fd, msg, len, 0);
	EXPECT_LE(0, sent) TH_LOG("%zu bytes: %s", len,
				  strerror(sent < 0 ? -sent : 0));
	if (sent < 0)
		kill(pid, SIGKILL);
	EXPECT_EQ(0, reap(pid)) TH_LOG("%zu bytes", len);

	fill(msg, len, seed + 1);
	pid = spawn_waiting_sender(_metadata, fd, capacity, msg, len);
	n = msg_recv_timed(fd, rbuf, cap, 0, 10000 * MS, NULL);
	EXPECT_EQ((ssize_t)len, n) TH_LOG("%zu bytes", len);
	EXPECT_EQ(0, check_fill(rbuf, len, seed + 1));
	EXPECT_EQ(0, reap(pid));
}

/*
 * Memory mapped without PROT_READ that the process can read all the same
 * (on x86, PROT_WRITE alone) is sent in every capacity mode, whatever the
 * size, the receiver waiting first or not: page pinning refuses it, so a
 * zero-capacity sender offers a copy (and its check of the buffer must
 * not take "no VM_READ" for "not readable").
 */
TEST_F(copy, message_from_memory_mapped_write_only)
{
	const size_t sizes[] = { 100, 1000, DIRECT };
	char *w = mmap(NULL, DIRECT, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	char *rbuf = malloc(DIRECT);
	unsigned int i;

	ASSERT_NE(MAP_FAILED, w);
	ASSERT_NE(NULL, rbuf);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		send_both_ways(_metadata, self->fd, variant->capacity, w,
			       sizes[i], 20 + 2 * i, rbuf, DIRECT);
	munmap(w, DIRECT);
	free(rbuf);
}

/*
 * A shared file mapped past its end: the send's check of the mappings
 * passes, and the part past the end cannot be read (SIGBUS for a read of
 * the process's own).  A zero-capacity sender learns it when its
 * receiver cannot pin that part and it tries to page it in: EFAULT, also
 * with the byte quota too small for the copy it would have offered of
 * memory that cannot be pinned, which is not what this is.  Its receiver
 * goes on waiting.
 */
TEST_F(copy, message_from_file_mapped_past_its_end)
{
	const size_t len = 64 * 1024;
	char quota[32], *map, *rbuf = malloc(len);
	int mfd, sent;
	ssize_t n;
	pid_t pid;

	mfd = memfd_create("past-end", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4096));
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(NULL, rbuf);
	touch(rbuf, len);
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	if (variant->capacity == MBX_CAP_ZERO) {
		ASSERT_EQ(0, write_str(QUOTA_PARAM, "16384"));
		pid = spawn_send(self->fd, map, len, 0);
		sent = wait_blocked(self->fd, 1, -1);
		n = msg_recv_timed(self->fd, rbuf, len, 0, 500 * MS, NULL);
		EXPECT_EQ(0, write_str(QUOTA_PARAM, quota));
		EXPECT_EQ(-ETIMEDOUT, n);
		sent = sent ? sent : -reap(pid);
	} else {
		sent = msg_send(self->fd, map, len, MBX_F_NONBLOCK);
	}
	EXPECT_EQ(-EFAULT, sent);
	EXPECT_EQ(0, wait_blocked(self->fd, 0, 0));
	EXPECT_EQ(0, queued(self->fd));
	munmap(map, len);
	close(mfd);
	free(rbuf);
}

/*
 * memfd_secret() memory: its owner reads it, page pinning refuses it, and
 * the send's check sees it by its file system, so a zero-capacity send
 * copies it in as it starts: sent in every capacity mode, and past the
 * quota ENOBUFS at once, before a too-small receiver hears anything.
 */
TEST_F(copy, message_from_secret_memory)
{
	const size_t len = 3 * 4096;
	char quota[32], *msg, *rbuf = malloc(len);
	int fd, sent, ret;
	pid_t small;

	fd = syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		SKIP(return, "memfd_secret: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, len));
	msg = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, msg);
	ASSERT_NE(NULL, rbuf);
	touch(rbuf, len);

	send_both_ways(_metadata, self->fd, variant->capacity, msg, len, 40,
		       rbuf, len);

	if (variant->capacity == MBX_CAP_ZERO) {
		small = spawn_recv(self->fd, 1, 0);
		ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
		ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
		ASSERT_EQ(0, write_str(QUOTA_PARAM, "4096"));
		sent = msg_send_timed(self->fd, msg, len, 0, 1000 * MS);
		ret = wait_blocked(self->fd, 0, 1);
		ASSERT_EQ(0, write_str(QUOTA_PARAM, quota));
		EXPECT_EQ(-ENOBUFS, sent);
		EXPECT_EQ(0, ret) TH_LOG("the small receiver was told");
		kill(small, SIGKILL);
		EXPECT_EQ(1000 + SIGKILL, reap(small));
	}
	munmap(msg, len);
	close(fd);
	free(rbuf);
}

struct remapping_send {
	int box;
	const char *msg;
	size_t len;
	int ret;
};

static void *remapping_send_thread(void *arg)
{
	struct remapping_send *rs = arg;

	rs->ret = msg_send(rs->box, rs->msg, rs->len, 0);
	return NULL;
}

/*
 * A child whose thread sends @len bytes from @base + 2048 (three pages,
 * ordinary memory, pattern @seed), blocking; once the parent writes to
 * @ctl[1] (the sender is blocked), the child's main thread maps a page of
 * memfd_secret() memory over the middle page, writes the same pattern
 * into it and answers on @ack[1].  It exits with the send's errno, 0.
 */
static pid_t spawn_remapping_sender(int box, size_t len, unsigned int seed,
				    int ctl[2], int ack[2])
{
	pid_t pid = fork();

	if (pid == 0) {
		struct remapping_send rs = { .box = box, .len = len };
		char *base, c;
		pthread_t t;
		int fd;

		/* EOF, not a hang, if the parent goes. */
		close(ctl[1]);
		close(ack[0]);
		fd = syscall(SYS_memfd_secret, 0);
		base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fd < 0 || ftruncate(fd, 4096) || base == MAP_FAILED)
			_exit(100);
		rs.msg = base + 2048;
		fill(base + 2048, len, seed);
		if (pthread_create(&t, NULL, remapping_send_thread, &rs))
			_exit(101);
		if (read(ctl[0], &c, 1) != 1)
			_exit(102);
		if (mmap(base + 4096, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0) != base + 4096)
			_exit(103);
		fill(base + 2048, len, seed);
		if (write(ack[1], "r", 1) != 1)
			_exit(104);
		pthread_join(t, NULL);
		child_exit(rs.ret);
	}
	return pid;
}

/*
 * The one change the send's check cannot foresee: its memory remapped,
 * from another thread, while it waits.  Here a page of it becomes
 * memfd_secret() memory, which page pinning refuses: the receiver copies
 * the first 2048 bytes from the pinned page, stops, and the sender, once
 * it finds it cannot pin the rest either, offers a copy of its own, made
 * and charged then: a blocking receiver resumes at 2048 from that copy;
 * past the quota the sender fails with ENOBUFS (and its receiver goes on
 * waiting); a sender killed while it holds its copy frees it (KASAN,
 * kmemleak).
 */
TEST_F_TIMEOUT(copy, message_remapped_while_its_sender_waits, 60)
{
	const size_t len = 6144;
	int ctl[2], ack[2], fd, round;
	char c, quota[32], *rbuf = malloc(8192);
	ssize_t n;
	pid_t pid;

	if (variant->capacity != MBX_CAP_ZERO)
		SKIP(return, "a buffered send copies its message as it starts");
	fd = syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		SKIP(return, "memfd_secret: %s", strerror(errno));
	close(fd);
	ASSERT_NE(NULL, rbuf);
	touch(rbuf, 8192);
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, pipe(ctl));
		ASSERT_EQ(0, pipe(ack));
		pid = spawn_remapping_sender(self->fd, len, 50 + round, ctl,
					     ack);
		ASSERT_LE(0, pid);
		/* EOF, not a hang, if the child goes. */
		close(ctl[0]);
		close(ack[1]);
		if (wait_blocked(self->fd, 1, -1) ||
		    write(ctl[1], "g", 1) != 1 || read(ack[0], &c, 1) != 1) {
			kill(pid, SIGKILL);
			reap(pid);
			ASSERT_TRUE(0) TH_LOG("round %d: no remapped sender", round);
		}
		close(ctl[1]);
		close(ack[0]);
		switch (round) {
		case 0:		/* a blocking receiver: resumes at 2048 */
			memset(rbuf, 0, 8192);
			n = msg_recv_timed(self->fd, rbuf, 8192, 0, 10000 * MS,
					   NULL);
			EXPECT_EQ((ssize_t)len, n) TH_LOG("%zd", n);
			EXPECT_EQ(0, check_fill(rbuf, len, 50));
			EXPECT_EQ(0, reap(pid));
			break;
		case 1:		/* past the quota: ENOBUFS, late */
			ASSERT_EQ(0, write_str(QUOTA_PARAM, "4096"));
			n = msg_recv_timed(self->fd, rbuf, 8192, 0, 500 * MS,
					   NULL);
			ASSERT_EQ(0, write_str(QUOTA_PARAM, quota));
			EXPECT_EQ(ENOBUFS, reap(pid));
			EXPECT_EQ(-ETIMEDOUT, n);
			break;
		case 2:		/* killed while it holds its copy */
			/* It is released to deal with its message... */
			EXPECT_EQ(-EAGAIN, msg_recv(self->fd, rbuf, 8192,
						    MBX_F_NONBLOCK, NULL));
			/* ...copies it and waits again. */
			EXPECT_EQ(0, wait_blocked(self->fd, 1, -1));
			kill(pid, SIGKILL);
			EXPECT_EQ(1000 + SIGKILL, reap(pid));
			break;
		}
		EXPECT_EQ(0, wait_blocked(self->fd, 0, 0));
	}
	free(rbuf);
}

TEST_HARNESS_MAIN
