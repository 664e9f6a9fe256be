// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of read(2) and write(2) on handles beyond plain blocking
 * calls: RWF_NOWAIT (preadv2/pwritev2), io_uring and Linux AIO.
 *
 * The handles and /dev/mailbox are FMODE_NOWAIT: RWF_NOWAIT gives EAGAIN
 * where the call would wait, and io_uring tries a read or write in the
 * submitting task and, when it would wait, waits for poll readiness (no
 * worker thread sits blocked in the mailbox meanwhile).  io_uring and AIO
 * are driven through their raw system calls, so the test needs no
 * liburing or libaio; a kernel without them skips those cases.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define RW		(MBX_O_SEND | MBX_O_RECV)
#define MAX_MSG		4096
#define LIMIT		4

static const struct msg_box_attr bounded = {
	.capacity = MBX_CAP_BOUNDED, .limit = LIMIT,
	.max_msg_size = MAX_MSG, .mode = 0600,
};

static const struct msg_box_attr zero = {
	.capacity = MBX_CAP_ZERO, .max_msg_size = MAX_MSG, .mode = 0600,
};

/* The smallest io_uring: one submission at a time, completions peeked. */
struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* 0, or -errno of io_uring_setup (-ENOSYS: the kernel has no io_uring). */
static int ring_init(struct ring *r)
{
	struct io_uring_params p = {};
	size_t sq_size, cq_size;
	char *sq, *cq;

	r->fd = syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return -errno;
	sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -ENOMEM;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit @sqe. */
static int ring_submit_sqe(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned int tail = *r->sq_tail, i = tail & *r->sq_mask;

	r->sqes[i] = *sqe;
	r->sq_array[i] = i;
	atomic_store_explicit((_Atomic unsigned int *)r->sq_tail, tail + 1,
			      memory_order_release);
	return syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) == 1 ?
	       0 : -errno;
}

/* Submit one read or write of @fd (offset 0: a handle has none). */
static int ring_submit(struct ring *r, int op, int fd, void *buf,
		       unsigned int len, __u64 tag)
{
	struct io_uring_sqe sqe = {
		.opcode = op, .fd = fd, .addr = (uintptr_t)buf, .len = len,
		.user_data = tag,
	};

	return ring_submit_sqe(r, &sqe);
}

/*
 * Take the next completion, waiting for it if @wait: 1 with *@cqe filled,
 * 0 when there is none (only without @wait), -errno.
 */
static int ring_reap(struct ring *r, bool wait, struct io_uring_cqe *cqe)
{
	unsigned int head = *r->cq_head;

	if (wait && syscall(__NR_io_uring_enter, r->fd, 0, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	if (head == atomic_load_explicit((_Atomic unsigned int *)r->cq_tail,
					 memory_order_acquire))
		return 0;
	*cqe = r->cqes[head & *r->cq_mask];
	atomic_store_explicit((_Atomic unsigned int *)r->cq_head, head + 1,
			      memory_order_release);
	return 1;
}

/*
 * Within about @ms milliseconds, the next completion: 1 with *@cqe
 * filled, or 0 if none came.  The task work that posts a poll's
 * completion runs on our way back from a system call.
 */
static int ring_reap_within(struct ring *r, int ms, struct io_uring_cqe *cqe)
{
	int ret;

	for (;; ms -= 10) {
		syscall(__NR_io_uring_enter, r->fd, 0, 0,
			IORING_ENTER_GETEVENTS, NULL, 0);
		ret = ring_reap(r, false, cqe);
		if (ret || ms <= 0)
			return ret;
		usleep(10000);
	}
}

/*
 * For about @ms milliseconds: no completion arrives and no task is
 * blocked in the mailbox (an io_uring request waiting for readiness is
 * armed on poll; a worker thread blocked in a read or write would count
 * in the mailbox's receivers_waiting or senders_waiting).
 */
static int still_pending(struct ring *r, int box, int ms)
{
	struct io_uring_cqe cqe;
	struct mbx_stat st;

	for (; ms > 0; ms -= 10) {
		if (ring_reap(r, false, &cqe) != 0)
			return -1;
		if (msg_stat(box, &st) || st.receivers_waiting ||
		    st.senders_waiting)
			return -2;
		usleep(10000);
	}
	return 0;
}

/*
 * io_uring's worker threads in this process ("iou-wrk-PID"): a request on
 * a file that cannot be tried without blocking is handed to one, which
 * then blocks in the call; a handle's requests need none.
 */
static int io_workers(void)
{
	char path[300], comm[32];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		if (read_str(path, comm, sizeof(comm)) == 0 &&
		    !strncmp(comm, "iou-wrk", 7))
			n++;
	}
	closedir(dir);
	return n;
}

FIXTURE(async) {
	int dev;
	int box;
	char buf[MAX_MSG];
};

FIXTURE_SETUP(async)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	self->box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW,
				 &bounded, NULL);
	ASSERT_LE(0, self->box);
}

FIXTURE_TEARDOWN(async)
{
	msg_box_destroy(self->box);
	close(self->box);
	close(self->dev);
}

/*
 * RWF_NOWAIT makes one call non-blocking on a blocking descriptor:
 * EAGAIN where it would wait, nothing taken or queued; a call that need
 * not wait goes through.
 */
TEST_F(async, rwf_nowait_is_eagain)
{
	struct iovec iov = { .iov_base = self->buf, .iov_len = MAX_MSG };
	struct iovec one = { .iov_base = "m", .iov_len = 1 };
	int i, box;
	pid_t pid;

	EXPECT_EQ(-1, preadv2(self->box, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < LIMIT; i++)
		ASSERT_EQ(1, pwritev2(self->box, &one, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(-1, pwritev2(self->box, &one, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(LIMIT, queued(self->box));
	ASSERT_EQ(1, preadv2(self->box, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(LIMIT - 1, queued(self->box));
	/* The descriptor itself stays blocking. */
	EXPECT_EQ(0, fcntl(self->box, F_GETFL) & O_NONBLOCK);

	/* The inbox on /dev/mailbox. */
	EXPECT_EQ(-1, preadv2(self->dev, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);

	/* Zero capacity: only a receiver already waiting takes it. */
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, box);
	EXPECT_EQ(-1, pwritev2(box, &one, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, preadv2(box, &iov, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ssize_t n = read(box, self->buf, sizeof(self->buf));

		_exit(n == 1 && self->buf[0] == 'z' ? 0 : n < 0 ? errno : 100);
	}
	ASSERT_EQ(0, wait_blocked(box, 0, 1));
	one.iov_base = "z";
	EXPECT_EQ(1, pwritev2(box, &one, 1, -1, RWF_NOWAIT));
	EXPECT_EQ(0, reap(pid));
	msg_box_destroy(box);
	close(box);
}

/*
 * An io_uring read of an empty mailbox completes when a message comes,
 * with that message; meanwhile it waits on poll, not in the mailbox.
 */
TEST_F(async, io_uring_read_waits_for_a_message)
{
	struct io_uring_cqe cqe;
	struct ring r;
	int ret;

	ret = ring_init(&r);
	if (ret == -ENOSYS)
		SKIP(return, "no io_uring in this kernel");
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, ring_submit(&r, IORING_OP_READ, self->box, self->buf,
				 sizeof(self->buf), 1));
	EXPECT_EQ(0, still_pending(&r, self->box, 200));
	ASSERT_EQ(5, write(self->box, "hello", 5));
	ASSERT_EQ(1, ring_reap(&r, true, &cqe));
	EXPECT_EQ(1ULL, cqe.user_data);
	EXPECT_EQ(5, cqe.res);
	EXPECT_EQ(0, memcmp(self->buf, "hello", 5));
	EXPECT_EQ(0, queued(self->box));
	/* Tried again in this task when the mailbox became readable. */
	EXPECT_EQ(0, io_workers());

	/* A message already there completes at once. */
	ASSERT_EQ(3, write(self->box, "abc", 3));
	ASSERT_EQ(0, ring_submit(&r, IORING_OP_READ, self->box, self->buf,
				 sizeof(self->buf), 2));
	ASSERT_EQ(1, ring_reap(&r, true, &cqe));
	EXPECT_EQ(3, cqe.res);
	EXPECT_EQ(0, memcmp(self->buf, "abc", 3));
	close(r.fd);
}

/*
 * An io_uring write to a full mailbox completes when a read makes room,
 * and its message goes in behind the others (FIFO kept).
 */
TEST_F(async, io_uring_write_waits_for_room)
{
	struct io_uring_cqe cqe;
	char last[] = "ring";
	struct ring r;
	int i, ret;

	ret = ring_init(&r);
	if (ret == -ENOSYS)
		SKIP(return, "no io_uring in this kernel");
	ASSERT_EQ(0, ret);

	for (i = 0; i < LIMIT; i++) {
		self->buf[0] = '0' + i;
		ASSERT_EQ(1, write(self->box, self->buf, 1));
	}
	ASSERT_EQ(0, ring_submit(&r, IORING_OP_WRITE, self->box, last, 4, 7));
	EXPECT_EQ(0, still_pending(&r, self->box, 200));
	EXPECT_EQ(LIMIT, queued(self->box));

	ASSERT_EQ(1, read(self->box, self->buf, sizeof(self->buf)));
	EXPECT_EQ('0', self->buf[0]);
	ASSERT_EQ(1, ring_reap(&r, true, &cqe));
	EXPECT_EQ(7ULL, cqe.user_data);
	EXPECT_EQ(4, cqe.res);
	EXPECT_EQ(0, io_workers());
	for (i = 1; i < LIMIT; i++) {
		ASSERT_EQ(1, read(self->box, self->buf, sizeof(self->buf)));
		EXPECT_EQ('0' + i, self->buf[0]);
	}
	ASSERT_EQ(4, read(self->box, self->buf, sizeof(self->buf)));
	EXPECT_EQ(0, memcmp(self->buf, "ring", 4));
	EXPECT_EQ(0, queued(self->box));
	close(r.fd);
}

/*
 * io_uring on the rendezvous and the inbox: a read takes a blocked
 * zero-capacity writer's message, and one on /dev/mailbox a direct send.
 */
TEST_F(async, io_uring_rendezvous_and_inbox)
{
	pid_t parent = getpid(), pid;
	struct io_uring_cqe cqe;
	struct ring r;
	int box, ret;

	ret = ring_init(&r);
	if (ret == -ENOSYS)
		SKIP(return, "no io_uring in this kernel");
	ASSERT_EQ(0, ret);

	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, box);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fill(self->buf, sizeof(self->buf), 5);
		_exit(write(box, self->buf, sizeof(self->buf)) ==
		      sizeof(self->buf) ? 0 : errno);
	}
	ASSERT_EQ(0, wait_blocked(box, 1, 0));
	memset(self->buf, 0, sizeof(self->buf));
	ASSERT_EQ(0, ring_submit(&r, IORING_OP_READ, box, self->buf,
				 sizeof(self->buf), 3));
	ASSERT_EQ(1, ring_reap(&r, true, &cqe));
	EXPECT_EQ(MAX_MSG, cqe.res);
	EXPECT_EQ(0, check_fill(self->buf, MAX_MSG, 5));
	EXPECT_EQ(0, reap(pid));
	msg_box_destroy(box);
	close(box);

	ASSERT_EQ(0, ring_submit(&r, IORING_OP_READ, self->dev, self->buf,
				 sizeof(self->buf), 4));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev = msg_dev_open(0);

		_exit(dev < 0 || msg_send_to(dev, parent, "direct", 6, 0) < 0);
	}
	EXPECT_EQ(0, reap(pid));
	ASSERT_EQ(1, ring_reap(&r, true, &cqe));
	EXPECT_EQ(6, cqe.res);
	EXPECT_EQ(0, memcmp(self->buf, "direct", 6));
	close(r.fd);
}

/*
 * io_uring's and AIO's poll for POLLOUT on a zero-capacity mailbox
 * complete for a receiver that would take our message, not for one in
 * receive(Q) for another process Q: the wake-up of such a receiver carries
 * no events, so that they ask the module again (mbx_box_poll()), where
 * with EPOLLOUT they took it as the answer and a send was then EAGAIN.
 */
TEST_F(async, poll_pollout_only_for_a_receiver_that_takes_it)
{
	struct io_uring_sqe sqe = {
		.opcode = IORING_OP_POLL_ADD, .poll32_events = POLLOUT,
		.user_data = 9,
	};
	struct iocb cb = { .aio_lio_opcode = IOCB_CMD_POLL, .aio_buf = POLLOUT };
	struct timespec ts = { 0, 300 * MS };
	struct iocb *cbs[1] = { &cb };
	struct io_uring_cqe cqe = {};
	aio_context_t ctx = 0;
	struct io_event ev;
	pid_t q, rx, any;
	struct ring r;
	int box, ret;

	ret = ring_init(&r);
	if (ret == -ENOSYS)
		SKIP(return, "no io_uring in this kernel");
	ASSERT_EQ(0, ret);
	if (syscall(__NR_io_setup, 4, &ctx) && errno == ENOSYS)
		SKIP(return, "no AIO in this kernel");
	ASSERT_NE(0UL, ctx);
	box = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE | RW, &zero,
			   NULL);
	ASSERT_LE(0, box);
	sqe.fd = box;
	cb.aio_fildes = box;
	ASSERT_EQ(0, ring_submit_sqe(&r, &sqe));
	ASSERT_EQ(1, syscall(__NR_io_submit, ctx, 1, cbs));

	q = spawn_idle();		/* Q: alive, never sends */
	ASSERT_LE(0, q);
	rx = spawn_recv_from(box, q, sizeof(self->buf));
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, wait_blocked(box, 0, 1));
	EXPECT_EQ(0, ring_reap_within(&r, 300, &cqe))
		TH_LOG("io_uring: %#x for a receive(Q)", cqe.res);
	EXPECT_EQ(0, syscall(__NR_io_getevents, ctx, 1, 1, &ev, &ts))
		TH_LOG("AIO: %#llx for a receive(Q)", (long long)ev.res);
	EXPECT_EQ(-EAGAIN, msg_send(box, "x", 1, MBX_F_NONBLOCK));

	any = spawn_recv(box, 8, 0);
	ASSERT_LE(0, any);
	ASSERT_EQ(0, wait_blocked(box, 0, 2));
	ts.tv_sec = 10;
	EXPECT_EQ(1, ring_reap_within(&r, 10000, &cqe));
	EXPECT_EQ(POLLOUT, cqe.res & (POLLIN | POLLOUT | POLLERR));
	EXPECT_EQ(1, syscall(__NR_io_getevents, ctx, 1, 1, &ev, &ts));
	EXPECT_EQ(POLLOUT, ev.res & (POLLIN | POLLOUT | POLLERR));
	EXPECT_EQ(any, msg_send(box, "y", 1, MBX_F_NONBLOCK));
	EXPECT_EQ(0, reap(any));

	kill(rx, SIGKILL);
	kill(q, SIGKILL);
	reap(rx);
	reap(q);
	syscall(__NR_io_destroy, ctx);
	close(r.fd);
	msg_box_destroy(box);
	close(box);
}

/* One Linux AIO read or write, waited for: its result. */
static long aio_one(aio_context_t ctx, int op, int fd, void *buf,
		    size_t len, int rw_flags)
{
	struct iocb cb = {
		.aio_lio_opcode = op, .aio_fildes = fd,
		.aio_buf = (uintptr_t)buf, .aio_nbytes = len,
		.aio_rw_flags = rw_flags,
	};
	struct iocb *cbs[1] = { &cb };
	struct io_event ev;

	if (syscall(__NR_io_submit, ctx, 1, cbs) != 1)
		return -1000 - errno;
	if (syscall(__NR_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return -2000 - errno;
	return ev.res;
}

/* Linux AIO reads and writes whole messages; RWF_NOWAIT works there too. */
TEST_F(async, aio)
{
	aio_context_t ctx = 0;

	if (syscall(__NR_io_setup, 4, &ctx) && errno == ENOSYS)
		SKIP(return, "no AIO in this kernel");
	ASSERT_NE(0UL, ctx);

	EXPECT_EQ(-EAGAIN, aio_one(ctx, IOCB_CMD_PREAD, self->box, self->buf,
				   sizeof(self->buf), RWF_NOWAIT));
	EXPECT_EQ(4, aio_one(ctx, IOCB_CMD_PWRITE, self->box, "aio!", 4, 0));
	EXPECT_EQ(2, aio_one(ctx, IOCB_CMD_PWRITE, self->box, "ok", 2, 0));
	EXPECT_EQ(-EMSGSIZE, aio_one(ctx, IOCB_CMD_PREAD, self->box,
				     self->buf, 3, 0));
	EXPECT_EQ(4, aio_one(ctx, IOCB_CMD_PREAD, self->box, self->buf,
			     sizeof(self->buf), 0));
	EXPECT_EQ(0, memcmp(self->buf, "aio!", 4));
	EXPECT_EQ(2, aio_one(ctx, IOCB_CMD_PREAD, self->box, self->buf,
			     sizeof(self->buf), RWF_NOWAIT));
	EXPECT_EQ(0, memcmp(self->buf, "ok", 2));
	EXPECT_EQ(0, queued(self->box));
	syscall(__NR_io_destroy, ctx);
}

TEST_HARNESS_MAIN
