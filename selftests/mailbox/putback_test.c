// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of what a receive that fails leaves behind.  A receive whose
 * buffer cannot be written fails with EFAULT and takes nothing: the
 * message it had (or the zero-capacity sender it had claimed) goes back
 * to its place in line, behind what came before it, even when receive(Q)
 * took it from the middle of the line; and what it puts back stays
 * charged to its sender, so that receives failed on purpose cannot queue
 * messages that no quota holds.  (mailbox_test's
 * failed_receive_from_keeps_the_order covers the queued and handed-over
 * cases in each capacity mode.)
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
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"
#define HEADER		64	/* what a queued message costs besides its payload */

static int open_box(int dev, unsigned int capacity, unsigned int limit,
		    unsigned int mode, unsigned int *id)
{
	struct msg_box_attr attr = {
		.capacity = capacity,
		.limit = limit,
		.max_msg_size = 64 * 1024,
		.mode = mode,
	};

	return msg_box_open(dev, NULL, 0,
			    MBX_O_PRIVATE | MBX_O_SEND | MBX_O_RECV, &attr, id);
}

FIXTURE(putback) {
	int dev;
	char *ro;	/* a receive buffer that cannot be written */
};

FIXTURE_SETUP(putback)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, self->ro);
}

FIXTURE_TEARDOWN(putback)
{
	munmap(self->ro, 4096);
	close(self->dev);
}

/*
 * Zero capacity: A blocks first; then Q sends while a receive(Q) waits,
 * so Q is claimed as it arrives, never on the senders' list.  The
 * receiver's buffer faults: Q goes back behind A, which waited longer.
 */
TEST_F(putback, zero_sender_claimed_as_it_arrives_goes_back_behind_older)
{
	int fd = open_box(self->dev, MBX_CAP_ZERO, 0, 0600, NULL);
	int go[2];
	pid_t a, q, rx;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(go));
	a = spawn_send(fd, "older", 5, 0);
	ASSERT_EQ(0, wait_blocked(fd, 1, -1));
	q = spawn_send_then_wait(fd, "from-q", go[0]);
	ASSERT_LE(0, q);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0)
		child_exit(msg_recv_from(fd, q, self->ro, 64, 0, NULL));
	ASSERT_EQ(0, wait_blocked(fd, 1, 1));
	ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(EFAULT, reap(rx));
	ASSERT_EQ(0, wait_blocked(fd, 2, 0));
	EXPECT_EQ(0, next_is(fd, "older"));
	EXPECT_EQ(0, next_is(fd, "from-q"));
	EXPECT_EQ(0, reap(a));
	kill(q, SIGKILL);
	reap(q);
	close(go[0]);
	close(go[1]);
	msg_box_destroy(fd);
	close(fd);
}

/*
 * Bounded and full, A then Q blocked for room: a receive(Q) would take
 * Q's message from Q itself, which completes Q's send.  With a buffer it
 * cannot write (read-only memory; NULL, a user pointer like any other)
 * it fails first: both still blocked, the queue as it was, and A's
 * message still goes before Q's.
 */
TEST_F(putback, receive_from_a_blocked_sender_changes_nothing)
{
	char *bufs[] = { self->ro, NULL };
	struct mbx_stat st;
	unsigned int i;
	pid_t a, q;
	int fd;

	for (i = 0; i < 2; i++) {
		fd = open_box(self->dev, MBX_CAP_BOUNDED, 2, 0600, NULL);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, msg_send(fd, "m0", 2, 0));
		ASSERT_EQ(0, msg_send(fd, "m1", 2, 0));
		a = spawn_send(fd, "older", 5, 0);
		ASSERT_EQ(0, wait_blocked(fd, 1, -1));
		q = spawn_send_then_wait(fd, "from-q", -1);
		ASSERT_EQ(0, wait_blocked(fd, 2, -1));
		EXPECT_EQ(-EFAULT, msg_recv_from(fd, q, bufs[i], 64,
						 MBX_F_NONBLOCK, NULL));
		EXPECT_EQ(-EFAULT, msg_recv_from(fd, q, bufs[i], 64, 0, NULL));
		ASSERT_EQ(0, msg_stat(fd, &st));
		EXPECT_EQ(2u, st.senders_waiting) TH_LOG("buffer %p", bufs[i]);
		EXPECT_EQ(2u, st.msg_count);
		EXPECT_EQ(0, next_is(fd, "m0"));
		EXPECT_EQ(0, next_is(fd, "m1"));
		EXPECT_EQ(0, wait_queued(fd, 2));
		EXPECT_EQ(0, next_is(fd, "older"));
		EXPECT_EQ(0, next_is(fd, "from-q"));
		EXPECT_EQ(0, reap(a));
		kill(q, SIGKILL);
		reap(q);
		msg_box_destroy(fd);
		close(fd);
	}
}

/* ---- a zero-capacity sender that pages its message in ------------------ */

#define UFFD_LEN	(3 * 4096 + 100)	/* copied by the receiver */

struct pager {
	int uffd;
	char *area;
	const char *src;
	int hold;	/* a byte on it lets one page in (5 s at most) */
};

/* Whether userfaultfd is there for us (CONFIG_USERFAULTFD, root). */
static bool have_userfaultfd(void)
{
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return false;
	close(uffd);
	return true;
}

/* A userfaultfd serving missing pages of @len bytes at @area, or -1. */
static int uffd_register_missing(char *area, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
		.range = { .start = (unsigned long)area, .len = len },
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (uffd >= 0 && (ioctl(uffd, UFFDIO_API, &api) ||
			  ioctl(uffd, UFFDIO_REGISTER, &reg))) {
		close(uffd);
		uffd = -1;
	}
	return uffd;
}

static void *page_on_fault(void *arg)
{
	struct pager *f = arg;
	struct uffd_msg msg;
	struct pollfd p;
	char c;

	while (read(f->uffd, &msg, sizeof(msg)) == sizeof(msg)) {
		char *page = (char *)(msg.arg.pagefault.address & ~4095UL);
		struct uffdio_copy copy = {
			.dst = (unsigned long)page,
			.src = (unsigned long)(f->src + (page - f->area)),
			.len = 4096,
		};

		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		p = (struct pollfd){ .fd = f->hold, .events = POLLIN };
		if (poll(&p, 1, 5000) == 1 && read(f->hold, &c, 1) != 1)
			break;
		if (ioctl(f->uffd, UFFDIO_COPY, &copy))
			break;
	}
	return NULL;
}

/*
 * A child that sends UFFD_LEN bytes of @src, once a byte arrives on @go,
 * from pages a userfaultfd handler fills only as bytes arrive on @hold.
 */
static pid_t spawn_paged_sender(int fd, const char *src, int hold, int go)
{
	struct pager f = { .src = src, .hold = hold };
	size_t size = (UFFD_LEN + 4095) & ~4095UL;
	pthread_t thread;
	pid_t pid = fork();
	char c;

	if (pid)
		return pid;
	f.area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f.area == MAP_FAILED)
		_exit(202);
	f.uffd = uffd_register_missing(f.area, size);
	if (f.uffd < 0)
		_exit(203);
	if (pthread_create(&thread, NULL, page_on_fault, &f))
		_exit(204);
	if (read(go, &c, 1) != 1)
		_exit(205);
	child_exit(msg_send(fd, f.area, UFFD_LEN, 0));
	return -1;
}

/*
 * Zero capacity: A blocks first; a timed receive(Q) waits; Q's message is
 * not resident, so Q, claimed as it arrives, is released to page it in,
 * and the receiver times out meanwhile.  Q then waits again in its place:
 * behind A.
 */
TEST_F(putback, zero_sender_back_from_paging_in_waits_behind_older)
{
	int fd = open_box(self->dev, MBX_CAP_ZERO, 0, 0600, NULL);
	char *src = aligned_alloc(4096, 5 * 4096);
	int hold[2], go[2];
	char buf[64];
	pid_t a, q, rx;
	ssize_t n;

	if (!have_userfaultfd())
		SKIP(return, "no userfaultfd");
	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, src);
	memset(src, 'q', 5 * 4096);
	ASSERT_EQ(0, pipe(hold));
	ASSERT_EQ(0, pipe(go));
	a = spawn_send(fd, "older", 5, 0);
	ASSERT_EQ(0, wait_blocked(fd, 1, -1));
	q = spawn_paged_sender(fd, src, hold[0], go[0]);
	ASSERT_LE(0, q);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		char *rbuf = calloc(1, UFFD_LEN);

		child_exit(rbuf ? msg_recv_from_timed(fd, q, rbuf, UFFD_LEN, 0,
						      500 * MS, NULL) :
				  -ENOMEM);
	}
	ASSERT_EQ(0, wait_blocked(fd, 1, 1));
	ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(ETIMEDOUT, reap(rx));
	/* Let the handler fill the pages: Q offers its message again. */
	ASSERT_EQ(5, write(hold[1], "ggggg", 5));
	ASSERT_EQ(0, wait_blocked(fd, 2, 0));
	/* 64 bytes: "older" if A is first, EMSGSIZE if Q is. */
	n = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
	EXPECT_EQ(5, n) TH_LOG("first in line: %zd (-EMSGSIZE: Q's %d bytes)",
			       n, UFFD_LEN);
	kill(q, SIGKILL);
	reap(q);
	kill(a, SIGKILL);
	reap(a);
	close(hold[0]);
	close(hold[1]);
	close(go[0]);
	close(go[1]);
	msg_box_destroy(fd);
	close(fd);
	free(src);
}

/* ---- the sender checked for is not the one taken ------------------------ */

struct gate {
	int uffd;
	int faulted;	/* a byte when the fault arrives */
	int hold;	/* a byte lets it be resolved */
};

static void *zero_on_fault(void *arg)
{
	struct gate *g = arg;
	struct uffd_msg msg;
	char c = 0;

	while (read(g->uffd, &msg, sizeof(msg)) == sizeof(msg)) {
		struct uffdio_zeropage z = {
			.range.start = msg.arg.pagefault.address & ~4095UL,
			.range.len = 4096,
		};

		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (write(g->faulted, &c, 1) != 1 || read(g->hold, &c, 1) != 1)
			break;
		if (ioctl(g->uffd, UFFDIO_ZEROPAGE, &z))
			break;
	}
	return NULL;
}

/*
 * Bounded and full, A then Q blocked for room, Q's message 100 bytes.  A
 * receive(Q) into the last 100 bytes of a page (behind userfaultfd) that
 * is followed by an unwritable page checks those 100 bytes, and stalls in
 * the check.  Meanwhile Q's send times out and Q sends 200 bytes instead.
 * The receive goes on: it must not take that message, which its check
 * did not cover (and which faults).
 */
TEST_F(putback, receive_from_a_blocked_sender_checks_what_it_takes)
{
	int fd = open_box(self->dev, MBX_CAP_BOUNDED, 2, 0600, NULL);
	int faulted[2], hold[2], phase[2];
	char buf[512], c = 0;
	struct mbx_stat st;
	pid_t a, q, rx;
	ssize_t n;

	if (!have_userfaultfd())
		SKIP(return, "no userfaultfd");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(faulted));
	ASSERT_EQ(0, pipe(hold));
	ASSERT_EQ(0, pipe(phase));
	ASSERT_EQ(0, msg_send(fd, "m0", 2, 0));
	ASSERT_EQ(0, msg_send(fd, "m1", 2, 0));
	a = spawn_send(fd, "older", 5, 0);
	ASSERT_EQ(0, wait_blocked(fd, 1, -1));
	q = fork();
	ASSERT_LE(0, q);
	if (q == 0) {
		char m[200];

		memset(m, 'q', sizeof(m));
		if (msg_send_timed(fd, m, 100, 0, 2000 * MS) != -ETIMEDOUT)
			_exit(110);
		if (write(phase[1], &c, 1) != 1)
			_exit(111);
		if (msg_send(fd, m, 200, 0))
			_exit(112);
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, wait_blocked(fd, 2, -1));
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		struct gate g = { .faulted = faulted[1], .hold = hold[0] };
		pthread_t thread;
		char *area;

		area = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED || mprotect(area + 4096, 4096, PROT_READ))
			_exit(120);
		g.uffd = uffd_register_missing(area, 4096);
		if (g.uffd < 0 ||
		    pthread_create(&thread, NULL, zero_on_fault, &g))
			_exit(122);
		child_exit(msg_recv_from(fd, q, area + 4096 - 100, 4096, 0,
					 NULL));
	}
	/* The receive stalls in its check of Q's 100 bytes. */
	ASSERT_EQ(1, read(faulted[0], &c, 1));
	/* Q's 100 bytes time out; Q blocks again with 200. */
	ASSERT_EQ(1, read(phase[0], &c, 1));
	ASSERT_EQ(0, wait_blocked(fd, 2, -1));
	ASSERT_EQ(1, write(hold[1], &c, 1));
	EXPECT_EQ(EFAULT, reap(rx));
	ASSERT_EQ(0, msg_stat(fd, &st));
	EXPECT_EQ(2u, st.senders_waiting);
	EXPECT_EQ(2u, st.msg_count);
	EXPECT_EQ(0, next_is(fd, "m0"));
	EXPECT_EQ(0, next_is(fd, "m1"));
	EXPECT_EQ(0, wait_queued(fd, 2));
	/* A's message before Q's, which waited less. */
	n = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
	EXPECT_EQ(5, n);
	n = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
	EXPECT_EQ(200, n);
	EXPECT_EQ(0, reap(a));
	kill(q, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, reap(q));
	close(faulted[0]);
	close(faulted[1]);
	close(hold[0]);
	close(hold[1]);
	close(phase[0]);
	close(phase[1]);
	msg_box_destroy(fd);
	close(fd);
}

/* ---- what is put back is charged to its sender -------------------------- */

#define ROUNDS	40

/*
 * One round on @fd: a fresh sender Y, and a receiver blocked in
 * receive(Y) with a buffer it cannot write; Y sends @len bytes, straight
 * to that receiver, which fails.  Returns Y's errno (0: sent).
 */
static int failed_round(int fd, size_t len, void *ro)
{
	char msg[256] = { 0 }, c = 0;
	int go[2], ret, yret;
	pid_t y, z;

	if (pipe(go))
		return 1000;
	y = fork();
	if (y == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(99);
		child_exit(msg_send(fd, msg, len, 0));
	}
	z = fork();
	if (z == 0)
		child_exit(msg_recv_from(fd, y, ro, sizeof(msg), 0, NULL));
	ret = wait_blocked(fd, -1, 1) ? 1001 : 0;
	if (!ret && write(go[1], &c, 1) != 1)
		ret = 1002;
	if (ret)
		kill(y, SIGKILL);
	yret = reap(y);
	if (!ret)
		ret = yret;
	/* The receiver fails, or still waits if nothing was sent. */
	if (ret)
		kill(z, SIGKILL);
	reap(z);
	close(go[0]);
	close(go[1]);
	return ret;
}

/*
 * Another user (nobody) with the right to send and receive on root's
 * bounded mailbox fails its own receives of what it sends, round after
 * round, small messages (through the receiver's stack) and not: each
 * message goes back to the queue, past the mailbox's limit, but charged
 * to nobody's byte quota, so it stops there with ENOBUFS, and root's
 * quota is untouched (its own sends still go).
 */
TEST_F_TIMEOUT(putback, failed_receives_queue_nothing_past_the_senders_quota,
	       300)
{
	static const size_t lens[] = { 100, 200 };
	const long quota_bytes = 4096;
	int *shared, fd, other;
	char quota[32];
	unsigned int i, id;
	long long q;
	pid_t pid;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	other = open_box(self->dev, MBX_CAP_UNBOUNDED, 0, 0600, NULL);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "4096"));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fd = open_box(self->dev, MBX_CAP_BOUNDED, 1, 0666, &id);
		if (fd < 0)
			break;
		shared[0] = shared[1] = 0;
		pid = fork();
		if (pid == 0) {
			int dev, box, k, ret;

			if (setgid(NOBODY) || setuid(NOBODY))
				_exit(90);
			dev = msg_dev_open(0);
			box = dev < 0 ? dev :
			      msg_box_open_id(dev, id, MBX_O_SEND | MBX_O_RECV);
			if (box < 0)
				_exit(91);
			for (k = 0; k < ROUNDS; k++) {
				ret = failed_round(box, lens[i], self->ro);
				if (ret && !shared[1])
					shared[1] = ret;
				if (!ret)
					shared[0]++;
			}
			_exit(0);
		}
		EXPECT_EQ(0, reap(pid));
		q = queued(fd);
		TH_LOG("%zu bytes: %d sent, first error %s, %lld queued",
		       lens[i], shared[0], strerror(shared[1]), q);
		EXPECT_EQ(ENOBUFS, shared[1]) TH_LOG("%zu bytes", lens[i]);
		EXPECT_GE(quota_bytes / (long)(HEADER + lens[i]), q);
		EXPECT_EQ(q, shared[0]);
		/* Root's quota: nothing of nobody's is on it. */
		EXPECT_EQ(0, msg_send(other, "root", 4, MBX_F_NONBLOCK));
		EXPECT_EQ(0, next_is(other, "root"));
		msg_box_destroy(fd);
		close(fd);
	}
	EXPECT_EQ(0, write_str(QUOTA_PARAM, quota));
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	msg_box_destroy(other);
	close(other);
	munmap(shared, 4096);
}

TEST_HARNESS_MAIN
