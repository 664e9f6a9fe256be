// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of mailboxes: every test runs once per capacity mode (zero,
 * bounded with 4 slots, unbounded) where it applies, with real processes
 * on both ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define BOUNDED_LIMIT	4
#define QUOTA_PARAM	"/sys/module/mbx/parameters/user_bytes_max"

FIXTURE(box) {
	int dev;
	int fd;
	unsigned int id;
};

FIXTURE_VARIANT(box) {
	unsigned int capacity;
	unsigned int limit;
};

FIXTURE_VARIANT_ADD(box, zero) {
	.capacity = MBX_CAP_ZERO,
};

FIXTURE_VARIANT_ADD(box, bounded) {
	.capacity = MBX_CAP_BOUNDED,
	.limit = BOUNDED_LIMIT,
};

FIXTURE_VARIANT_ADD(box, unbounded) {
	.capacity = MBX_CAP_UNBOUNDED,
};

static int open_private(int dev, const FIXTURE_VARIANT(box) *variant,
			unsigned int max_msg_size, unsigned int *id)
{
	struct msg_box_attr attr = {
		.capacity = variant->capacity,
		.limit = variant->limit,
		.max_msg_size = max_msg_size,
		.mode = 0600,
	};

	return msg_box_open(dev, NULL, 0,
			    MBX_O_PRIVATE | MBX_O_SEND | MBX_O_RECV, &attr, id);
}

FIXTURE_SETUP(box)
{
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev) TH_LOG("open /dev/mailbox: %s",
				       strerror(-self->dev));
	self->fd = open_private(self->dev, variant, 0, &self->id);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(-self->fd));
	interrupt_on_sigusr1();
}

FIXTURE_TEARDOWN(box)
{
	msg_box_destroy(self->fd);
	close(self->fd);
	close(self->dev);
}

static bool buffered(const FIXTURE_VARIANT(box) *variant)
{
	return variant->capacity != MBX_CAP_ZERO;
}

/* Nothing to receive: a non-blocking receive is the "null message". */
TEST_F(box, recv_nonblock_empty_is_eagain)
{
	char buf[8];

	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
}

/*
 * A non-blocking send: zero capacity needs a waiting receiver, bounded
 * takes `limit` messages, unbounded takes them all.
 */
TEST_F(box, send_nonblock)
{
	int i, ret;

	for (i = 0; i < 2 * BOUNDED_LIMIT; i++) {
		ret = msg_send(self->fd, &i, sizeof(i), MBX_F_NONBLOCK);
		if (variant->capacity == MBX_CAP_ZERO ||
		    (variant->capacity == MBX_CAP_BOUNDED &&
		     i >= BOUNDED_LIMIT)) {
			EXPECT_EQ(-EAGAIN, ret) TH_LOG("send %d", i);
		} else {
			EXPECT_EQ(0, ret) TH_LOG("send %d", i);
		}
	}
}

/* O_NONBLOCK on the handle (fcntl) works like MBX_F_NONBLOCK. */
TEST_F(box, handle_o_nonblock)
{
	char buf[8];

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
}

/* A zero-capacity non-blocking send succeeds when a receiver waits. */
TEST_F(box, send_nonblock_with_waiting_receiver)
{
	pid_t rx;
	int ret;

	rx = spawn_recv(self->fd, 64, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	ret = msg_send(self->fd, "hi", 2, MBX_F_NONBLOCK);
	EXPECT_LE(0, ret);
	if (variant->capacity == MBX_CAP_ZERO) {
		EXPECT_EQ(rx, ret) TH_LOG("the sender learns who received");
	}
	EXPECT_EQ(0, reap(rx));
}

/*
 * The same with a receive buffer never touched (fresh anonymous memory):
 * the receiver faults it in before it waits, so the sender's copy into
 * it, which never faults, finds it resident.  Before, the receiver had to
 * let the sender go to fault its buffer in, and a non-blocking sender
 * failed with EAGAIN in about half of these rounds.
 */
TEST_F(box, send_nonblock_to_receiver_with_fresh_buffer)
{
	static const size_t sizes[] = { 100, 6000, 65536 };
	unsigned int i, round;
	char *out;
	pid_t rx;
	int fd, ret;

	fd = open_private(self->dev, variant, 65536, NULL);
	ASSERT_LE(0, fd);
	out = calloc(1, 65536);
	ASSERT_NE(NULL, out);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		for (round = 0; round < 8; round++) {
			rx = fork();
			ASSERT_LE(0, rx);
			if (rx == 0) {
				char *buf = mmap(NULL, 65536,
						 PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS,
						 -1, 0);
				ssize_t n;

				if (buf == MAP_FAILED)
					_exit(ENOMEM);
				n = msg_recv(fd, buf, 65536, 0, NULL);
				_exit(n == (ssize_t)sizes[i] ? 0 :
				      n < 0 ? (int)-n : 100);
			}
			ASSERT_EQ(0, wait_blocked(fd, -1, 1));
			ret = msg_send(fd, out, sizes[i], MBX_F_NONBLOCK);
			EXPECT_LE(0, ret)
				TH_LOG("%zu bytes, round %u", sizes[i], round);
			if (ret < 0)	/* the receiver still waits */
				msg_send(fd, out, sizes[i], 0);
			EXPECT_EQ(0, reap(rx));
		}
	free(out);
	msg_box_destroy(fd);
	close(fd);
}

TEST_F(box, recv_timeout)
{
	long long start = now_ns();
	char buf[8];

	EXPECT_EQ(-ETIMEDOUT, msg_recv_timed(self->fd, buf, sizeof(buf), 0,
					     50 * MS, NULL));
	EXPECT_LE(50 * MS, now_ns() - start);
	/* A zero timeout only looks. */
	EXPECT_EQ(-ETIMEDOUT, msg_recv_timed(self->fd, buf, sizeof(buf), 0,
					     0, NULL));
}

TEST_F(box, send_timeout)
{
	long long start;
	int i, ret;

	if (variant->capacity == MBX_CAP_BOUNDED)
		for (i = 0; i < BOUNDED_LIMIT; i++)
			ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
	start = now_ns();
	ret = msg_send_timed(self->fd, "x", 1, 0, 50 * MS);
	if (variant->capacity == MBX_CAP_UNBOUNDED) {
		EXPECT_EQ(0, ret) TH_LOG("unbounded sends never wait");
		return;
	}
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(50 * MS, now_ns() - start);
	/* Nothing was left behind by the failed send. */
	if (variant->capacity == MBX_CAP_BOUNDED) {
		struct mbx_stat st;

		ASSERT_EQ(0, msg_stat(self->fd, &st));
		EXPECT_EQ((uint64_t)BOUNDED_LIMIT, st.msg_count);
	}
}

/* A signal ends a blocked receive with EINTR and takes nothing. */
TEST_F(box, signal_interrupts_recv)
{
	pid_t rx;

	rx = spawn_recv(self->fd, 64, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	ASSERT_EQ(0, kill(rx, SIGUSR1));
	EXPECT_EQ(EINTR, reap(rx));
	EXPECT_EQ(0, wait_blocked(self->fd, -1, 0));
}

static int handled_fd = -1;

static void note_handled(int sig)
{
	char c = (char)sig;

	(void)!write(handled_fd, &c, 1);
}

/*
 * A timed receive whose handler has SA_RESTART still ends with EINTR, not
 * restarted (its timeout is relative), however large the timeout: one
 * past the largest deadline (INT64_MAX ns from now) was taken for no
 * timeout at all, and restarted.  The message sent after the handler ran
 * must not be received by a restarted call.
 */
TEST_F(box, timed_receive_is_not_restarted_whatever_its_timeout)
{
	const int64_t timeouts[] = { 10000 * MS, INT64_MAX,
				     INT64_MAX - 1000000000LL };
	struct pollfd p = { .events = POLLIN };
	unsigned int i;
	int handled[2];
	char c, buf[16];
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		ASSERT_EQ(0, pipe(handled));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct sigaction sa = {
				.sa_handler = note_handled,
				.sa_flags = SA_RESTART,
			};
			ssize_t n;

			handled_fd = handled[1];
			sigaction(SIGUSR1, &sa, NULL);
			n = msg_recv_timed(self->fd, buf, sizeof(buf), 0,
					   timeouts[i], NULL);
			_exit(n == -EINTR ? 0 : n >= 0 ? 100 : 101);
		}
		ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		p.fd = handled[0];
		EXPECT_EQ(1, poll(&p, 1, 10000));
		EXPECT_EQ(1, read(handled[0], &c, 1));
		usleep(200 * 1000);	/* time for a restarted call to wait */
		/* Queued, or (zero capacity) EAGAIN: unless it restarted. */
		msg_send(self->fd, "late", 4, MBX_F_NONBLOCK);
		EXPECT_EQ(0, reap(pid)) TH_LOG("timeout %lld: 100 = restarted",
					       (long long)timeouts[i]);
		while (msg_recv(self->fd, buf, sizeof(buf), MBX_F_NONBLOCK,
				NULL) >= 0)
			;
		close(handled[0]);
		close(handled[1]);
	}
}

/* A signal ends a blocked send with EINTR and nothing is sent. */
TEST_F(box, signal_interrupts_send)
{
	struct mbx_stat st;
	char buf[8];
	pid_t tx;
	int i;

	if (variant->capacity == MBX_CAP_UNBOUNDED)
		SKIP(return, "unbounded sends never block");
	if (variant->capacity == MBX_CAP_BOUNDED)
		for (i = 0; i < BOUNDED_LIMIT; i++)
			ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
	tx = spawn_send(self->fd, "lost?", 5, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	ASSERT_EQ(0, kill(tx, SIGUSR1));
	EXPECT_EQ(EINTR, reap(tx));

	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0u, st.senders_waiting);
	for (i = 0; i < (int)st.msg_count; i++)
		EXPECT_EQ((ssize_t)sizeof(int),
			  msg_recv(self->fd, buf, sizeof(buf), MBX_F_NONBLOCK,
				   NULL));
	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
}

/* SIGKILL ends a blocked receive; the mailbox goes on working. */
TEST_F(box, sigkill_blocked_receiver)
{
	char buf[8];
	pid_t rx, tx;

	rx = spawn_recv(self->fd, 64, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	ASSERT_EQ(0, kill(rx, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, reap(rx));
	EXPECT_EQ(0, wait_blocked(self->fd, -1, 0));

	tx = spawn_send(self->fd, "ok", 2, 0);
	EXPECT_EQ(2, msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, reap(tx));
}

/* Messages come out in the order they went in, payload intact. */
TEST_F(box, fifo_order_across_processes)
{
	const int n = 20;
	struct msg_meta meta;
	int i, v;
	pid_t tx;

	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {
		for (i = 0; i < n; i++)
			if (msg_send(self->fd, &i, sizeof(i), 0) < 0)
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ((ssize_t)sizeof(v),
			  msg_recv(self->fd, &v, sizeof(v), 0, &meta));
		EXPECT_EQ(i, v);
		EXPECT_EQ(tx, meta.sender_pid);
	}
	EXPECT_EQ(0, reap(tx));
}

/* The kernel stamps sender pid and uid, length and mailbox id. */
TEST_F(box, receive_metadata)
{
	struct msg_meta meta;
	char buf[32];
	pid_t tx;

	tx = spawn_send(self->fd, "metadata", 8, 0);
	ASSERT_EQ(8, msg_recv(self->fd, buf, sizeof(buf), 0, &meta));
	EXPECT_EQ(0, memcmp(buf, "metadata", 8));
	EXPECT_EQ(8u, meta.len);
	EXPECT_EQ(tx, meta.sender_pid);
	EXPECT_EQ(geteuid(), meta.sender_uid);
	EXPECT_EQ(self->id, meta.mailbox_id);
	EXPECT_EQ(0, reap(tx));
}

/*
 * A small message sent to a receiver already waiting goes through the
 * receiver's kernel stack (no message allocated), with the same metadata
 * as any other, and charged to its sender's byte quota as a queued one
 * until the receiver has it (with a quota of 0: ENOBUFS, the receiver
 * still waiting); a receiver whose buffer then faults (read-only memory,
 * through msg_recv() and read()) fails with EFAULT and the message is
 * back first in line, for the next receive, neither lost nor delivered
 * twice.
 */
TEST_F(box, small_message_to_a_waiting_receiver)
{
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	struct msg_meta meta;
	char buf[32], quota[32];
	unsigned int i;
	pid_t rx;
	int ret;

	if (variant->capacity == MBX_CAP_ZERO)
		SKIP(return, "zero capacity copies from the sender");
	ASSERT_NE(MAP_FAILED, ro);
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		ssize_t n = msg_recv(self->fd, buf, sizeof(buf), 0, &meta);

		_exit(n == 5 && !memcmp(buf, "small", 5) &&
		      meta.sender_pid == getppid() && meta.len == 5 ? 0 : 100);
	}
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	ASSERT_EQ(0, read_str(QUOTA_PARAM, quota, sizeof(quota)));
	ASSERT_EQ(0, write_str(QUOTA_PARAM, "0"));
	ret = msg_send(self->fd, "small", 5, 0);
	EXPECT_EQ(0, write_str(QUOTA_PARAM, quota));
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(0, wait_blocked(self->fd, -1, 1));
	ret = msg_send(self->fd, "small", 5, 0);
	EXPECT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	if (ret)
		kill(rx, SIGKILL);
	EXPECT_EQ(0, reap(rx));
	EXPECT_EQ(0, queued(self->fd));

	for (i = 0; i < 2; i++) {
		rx = fork();
		ASSERT_LE(0, rx);
		if (rx == 0) {
			ssize_t n = i ? read(self->fd, ro, 64) :
				    msg_recv(self->fd, ro, 64, 0, NULL);

			_exit(n == -EFAULT || (n == -1 && errno == EFAULT) ?
			      0 : 100);
		}
		ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
		ASSERT_EQ(0, msg_send(self->fd, i ? "second" : "first",
				      i ? 6 : 5, 0));
		EXPECT_EQ(0, reap(rx)) TH_LOG("%s", i ? "read()" : "msg_recv()");
		EXPECT_EQ(1, queued(self->fd));
		ASSERT_EQ(i ? 6 : 5, msg_recv(self->fd, buf, sizeof(buf),
					      MBX_F_NONBLOCK, &meta));
		EXPECT_EQ(0, memcmp(buf, i ? "second" : "first", i ? 6 : 5));
		EXPECT_EQ(getpid(), meta.sender_pid);
		EXPECT_EQ(0, queued(self->fd));
	}
	munmap(ro, 4096);
}

/*
 * A receive whose buffer faults (read-only memory) fails with EFAULT and
 * changes nothing, not even the order: a message that receive(Q) took
 * from behind an older one goes back behind it, whether it was queued,
 * or sent to the receiver while it waited (small or not), and on a
 * zero-capacity mailbox Q's blocked sender goes back behind the sender
 * that waited longer.  A receive from anyone then takes the older first.
 */
TEST_F(box, failed_receive_from_keeps_the_order)
{
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	char big[1000];
	unsigned int i;
	int go[2];
	pid_t a, q, rx;

	ASSERT_NE(MAP_FAILED, ro);
	if (!buffered(variant)) {
		a = spawn_send(self->fd, "older", 5, 0);
		ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
		q = spawn_send(self->fd, "from-q", 6, 0);
		ASSERT_EQ(0, wait_blocked(self->fd, 2, -1));
		EXPECT_EQ(-EFAULT, msg_recv_from(self->fd, q, ro, 64,
						 MBX_F_NONBLOCK, NULL));
		EXPECT_EQ(0, wait_blocked(self->fd, 2, -1));
		EXPECT_EQ(0, next_is(self->fd, "older"));
		EXPECT_EQ(0, reap(a));
		EXPECT_EQ(0, next_is(self->fd, "from-q"));
		EXPECT_EQ(0, reap(q));
		munmap(ro, 4096);
		return;
	}

	/* Queued: taken from behind "older", put back there. */
	ASSERT_EQ(0, msg_send(self->fd, "older", 5, 0));
	q = spawn_send_then_wait(self->fd, "from-q", -1);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, wait_queued(self->fd, 2));
	EXPECT_EQ(-EFAULT, msg_recv_from(self->fd, q, ro, 64, MBX_F_NONBLOCK,
					 NULL));
	EXPECT_EQ(2, queued(self->fd));
	EXPECT_EQ(0, next_is(self->fd, "older"));
	EXPECT_EQ(0, next_is(self->fd, "from-q"));
	kill(q, SIGKILL);
	reap(q);

	/*
	 * Sent to a receive(Q) already waiting, through its stack (small)
	 * or not, while an older message it does not want is queued.
	 */
	memset(big, 'b', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		const char *msg = i ? big : "from-q";

		ASSERT_EQ(0, pipe(go));
		q = spawn_send_then_wait(self->fd, msg, go[0]);
		ASSERT_LE(0, q);
		rx = fork();
		ASSERT_LE(0, rx);
		if (rx == 0)
			child_exit(msg_recv_from(self->fd, q, ro, 4096, 0,
						 NULL));
		ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
		ASSERT_EQ(0, msg_send(self->fd, "older", 5, 0));
		ASSERT_EQ(1, write(go[1], "x", 1));
		EXPECT_EQ(EFAULT, reap(rx)) TH_LOG("%zu bytes", strlen(msg));
		EXPECT_EQ(0, wait_queued(self->fd, 2));
		EXPECT_EQ(0, next_is(self->fd, "older")) TH_LOG("%zu bytes",
								strlen(msg));
		if (i) {
			char buf[sizeof(big)];

			EXPECT_EQ((ssize_t)strlen(big),
				  msg_recv(self->fd, buf, sizeof(buf),
					   MBX_F_NONBLOCK, NULL));
		} else {
			EXPECT_EQ(0, next_is(self->fd, "from-q"));
		}
		kill(q, SIGKILL);
		reap(q);
		close(go[0]);
		close(go[1]);
	}
	munmap(ro, 4096);
}

/* Zero-byte messages are messages. */
TEST_F(box, zero_byte_message)
{
	struct msg_meta meta;
	char buf[4];
	pid_t tx;

	tx = spawn_send(self->fd, NULL, 0, 0);
	EXPECT_EQ(0, msg_recv(self->fd, buf, sizeof(buf), 0, &meta));
	EXPECT_EQ(0u, meta.len);
	EXPECT_EQ(tx, meta.sender_pid);
	EXPECT_EQ(0, reap(tx));
	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
}

/* A 4 MiB message on a mailbox made for it, intact; one byte more fails. */
TEST_F(box, max_size_message)
{
	const size_t max = 4u << 20;
	char *out, *in;
	int fd, ret;
	pid_t tx;

	fd = open_private(self->dev, variant, max, NULL);
	ASSERT_LE(0, fd);
	out = malloc(max + 1);
	in = malloc(max);
	ASSERT_TRUE(out && in);
	fill(out, max, 42);

	EXPECT_EQ(-EMSGSIZE, msg_send(fd, out, max + 1, MBX_F_NONBLOCK));
	tx = spawn_send(fd, out, max, 0);
	ret = msg_recv(fd, in, max, 0, NULL);
	EXPECT_EQ((ssize_t)max, ret);
	EXPECT_EQ(0, check_fill(in, max, 42));
	EXPECT_EQ(0, reap(tx));
	free(out);
	free(in);
	msg_box_destroy(fd);
	close(fd);
}

/*
 * A buffer too small: EMSGSIZE with the size needed, and the message
 * stays first in line for a receive with a buffer that fits.
 */
TEST_F(box, small_buffer_is_emsgsize_and_keeps_message)
{
	struct msg_meta meta;
	char big[100], small[10];
	pid_t tx;

	fill(big, sizeof(big), 1);
	tx = spawn_send(self->fd, big, sizeof(big), 0);
	if (variant->capacity == MBX_CAP_ZERO) {
		ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	} else {
		ASSERT_EQ(0, reap(tx));
	}

	memset(&meta, 0, sizeof(meta));
	EXPECT_EQ(-EMSGSIZE, msg_recv(self->fd, small, sizeof(small), 0,
				      &meta));
	EXPECT_EQ(sizeof(big), meta.len);
	memset(big, 0, sizeof(big));
	EXPECT_EQ((ssize_t)sizeof(big),
		  msg_recv(self->fd, big, sizeof(big), 0, NULL));
	EXPECT_EQ(0, check_fill(big, sizeof(big), 1));
	if (variant->capacity == MBX_CAP_ZERO)
		EXPECT_EQ(0, reap(tx));
}

/* A receiver already blocked with a small buffer gets EMSGSIZE too. */
TEST_F(box, blocked_small_receiver_is_emsgsize)
{
	char big[100];
	pid_t rx;

	rx = spawn_recv(self->fd, 10, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	fill(big, sizeof(big), 2);
	/* Zero capacity: no receiver fits, so a non-blocking send fails. */
	EXPECT_EQ(buffered(variant) ? 0 : -EAGAIN,
		  msg_send(self->fd, big, sizeof(big), MBX_F_NONBLOCK));
	EXPECT_EQ(EMSGSIZE, reap(rx));
	if (buffered(variant)) {
		memset(big, 0, sizeof(big));
		EXPECT_EQ((ssize_t)sizeof(big),
			  msg_recv(self->fd, big, sizeof(big), MBX_F_NONBLOCK,
				   NULL));
		EXPECT_EQ(0, check_fill(big, sizeof(big), 2));
	}
}

/*
 * A receiver too small, blocked ahead of one that fits, is told EMSGSIZE
 * when the message goes to the other, at any size: also when the message
 * is large enough to be copied straight into the waiting receiver.
 */
TEST_F(box, small_receiver_ahead_of_a_large_one)
{
	static const size_t lens[] = { 1000, 32768 };
	unsigned int i;
	pid_t small, large;
	char *msg;
	int fd;

	fd = open_private(self->dev, variant, 65536, NULL);
	ASSERT_LE(0, fd);
	msg = malloc(65536);
	ASSERT_NE(NULL, msg);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		small = spawn_recv(fd, 100, 0);
		ASSERT_LE(0, small);
		ASSERT_EQ(0, wait_blocked(fd, -1, 1));
		large = fork();
		ASSERT_LE(0, large);
		if (large == 0) {	/* the whole message, intact */
			ssize_t n = msg_recv(fd, msg, 65536, 0, NULL);

			_exit(n == (ssize_t)lens[i] &&
			      !check_fill(msg, lens[i], i) ? 0 : 100);
		}
		ASSERT_EQ(0, wait_blocked(fd, -1, 2));
		fill(msg, lens[i], i);
		/* A rendezvous send reports its receiver. */
		EXPECT_EQ(buffered(variant) ? 0 : large,
			  msg_send(fd, msg, lens[i], 0));
		EXPECT_EQ(EMSGSIZE, reap(small)) TH_LOG("%zu bytes", lens[i]);
		EXPECT_EQ(0, reap(large)) TH_LOG("%zu bytes", lens[i]);
	}
	free(msg);
	msg_box_destroy(fd);
	close(fd);
}

/* Blocked receivers of @fd, or -1. */
static int receivers_blocked(int fd)
{
	struct mbx_stat st;

	return msg_stat(fd, &st) ? -1 : (int)st.receivers_waiting;
}

/*
 * A send that fails (here EFAULT: its buffer is unreadable) has sent
 * nothing, so it tells a waiting receiver nothing either, not even that
 * its buffer is too small, below and above the single-copy threshold
 * alike.  (A zero-capacity sender is there to be taken, so a receiver
 * too small for it does get EMSGSIZE: the test above.)
 */
TEST_F(box, failed_send_tells_no_receiver)
{
	static const size_t lens[] = { 100, 20000 };
	unsigned int i;
	char *bad;
	pid_t rx;
	int fd;

	if (!buffered(variant))
		SKIP(return, "a rendezvous sender is there to be taken");
	fd = open_private(self->dev, variant, 65536, NULL);
	ASSERT_LE(0, fd);
	bad = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		rx = spawn_recv(fd, 10, 0);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, wait_blocked(fd, -1, 1));
		EXPECT_EQ(-EFAULT, msg_send(fd, bad, lens[i], MBX_F_NONBLOCK));
		EXPECT_EQ(1, receivers_blocked(fd)) TH_LOG("%zu bytes", lens[i]);
		EXPECT_EQ(0, msg_send(fd, "ok", 2, 0));
		EXPECT_EQ(0, reap(rx)) TH_LOG("%zu bytes", lens[i]);
	}
	munmap(bad, 65536);
	msg_box_destroy(fd);
	close(fd);
}

/* MBX_F_TRUNC: the first bytes, the real length, and the message is gone. */
TEST_F(box, truncating_receive)
{
	struct msg_meta meta;
	char big[100], small[10];
	pid_t tx;

	fill(big, sizeof(big), 3);
	tx = spawn_send(self->fd, big, sizeof(big), 0);
	EXPECT_EQ((ssize_t)sizeof(small),
		  msg_recv(self->fd, small, sizeof(small), MBX_F_TRUNC, &meta));
	EXPECT_EQ(sizeof(big), meta.len);
	EXPECT_EQ(0, check_fill(small, sizeof(small), 3));
	EXPECT_EQ(0, reap(tx));
	EXPECT_EQ(-EAGAIN, msg_recv(self->fd, big, sizeof(big),
				    MBX_F_NONBLOCK, NULL));
}

/* Destroy wakes every blocked receiver with EIDRM. */
TEST_F(box, destroy_wakes_receivers)
{
	pid_t rx1, rx2;
	char buf[4];

	rx1 = spawn_recv(self->fd, 64, 0);
	rx2 = spawn_recv(self->fd, 64, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 2));
	ASSERT_EQ(0, msg_box_destroy(self->fd));
	EXPECT_EQ(EIDRM, reap(rx1));
	EXPECT_EQ(EIDRM, reap(rx2));
	/* The old handle now fails everything with EIDRM. */
	EXPECT_EQ(-EIDRM, msg_recv(self->fd, buf, sizeof(buf),
				   MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(-EIDRM, msg_send(self->fd, buf, 1, MBX_F_NONBLOCK));
	EXPECT_EQ(-EIDRM, msg_box_destroy(self->fd));
}

/* Destroy wakes blocked senders with EIDRM and frees queued messages. */
TEST_F(box, destroy_wakes_senders)
{
	struct pollfd pfd;
	pid_t tx1, tx2;
	int i;

	if (variant->capacity == MBX_CAP_UNBOUNDED)
		SKIP(return, "unbounded sends never block");
	if (variant->capacity == MBX_CAP_BOUNDED)
		for (i = 0; i < BOUNDED_LIMIT; i++)
			ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
	tx1 = spawn_send(self->fd, "a", 1, 0);
	tx2 = spawn_send(self->fd, "b", 1, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, 2, -1));
	ASSERT_EQ(0, msg_box_destroy(self->fd));
	EXPECT_EQ(EIDRM, reap(tx1));
	EXPECT_EQ(EIDRM, reap(tx2));
	pfd.fd = self->fd;
	pfd.events = POLLIN | POLLOUT;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_NE(0, pfd.revents & POLLERR);
	EXPECT_NE(0, pfd.revents & POLLHUP);
}

/*
 * The receiver that has waited longest gets the next message: R1 blocks,
 * then R2; "first" goes to R1 and "second" to R2.
 */
TEST_F(box, longest_waiting_receiver_first)
{
	int p1[2], p2[2];
	pid_t rx[2] = { -1, -1 };
	char buf[16];
	int i;

	ASSERT_EQ(0, pipe(p1));
	ASSERT_EQ(0, pipe(p2));
	for (i = 0; i < 2; i++) {
		int *p = i ? p2 : p1;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			ssize_t n = msg_recv(self->fd, buf, sizeof(buf), 0,
					     NULL);

			if (n < 0 || write(p[1], buf, n) != n)
				_exit(1);
			_exit(0);
		}
		rx[i] = pid;
		ASSERT_EQ(0, wait_blocked(self->fd, -1, i + 1));
	}
	ASSERT_LE(0, msg_send(self->fd, "first", 6, 0));
	ASSERT_LE(0, msg_send(self->fd, "second", 7, 0));
	EXPECT_EQ(0, reap(rx[0]));
	EXPECT_EQ(0, reap(rx[1]));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, read(p1[0], buf, sizeof(buf)));
	EXPECT_STREQ("first", buf);
	EXPECT_EQ(7, read(p2[0], buf, sizeof(buf)));
	EXPECT_STREQ("second", buf);
}

/*
 * The textbook's shared mailbox: P1 sends, P2 and P3 receive.  Every
 * message arrives exactly once, and each receiver sees its share in
 * the order sent.
 */
TEST_F(box, one_sender_two_receivers_exactly_once)
{
	const int n = 200;
	int seen[200] = {};
	int pipes[2][2];
	pid_t rx[2], tx;
	int i, r, v, last;

	for (r = 0; r < 2; r++) {
		ASSERT_EQ(0, pipe(pipes[r]));
		rx[r] = fork();
		ASSERT_LE(0, rx[r]);
		if (rx[r] == 0) {
			close(pipes[r][0]);
			for (;;) {
				if (msg_recv(self->fd, &v, sizeof(v), 0,
					     NULL) != sizeof(v))
					_exit(1);
				if (v < 0)
					_exit(0);
				if (write(pipes[r][1], &v, sizeof(v)) !=
				    sizeof(v))
					_exit(1);
			}
		}
		close(pipes[r][1]);
	}
	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {
		for (i = 0; i < n; i++)
			if (msg_send(self->fd, &i, sizeof(i), 0) < 0)
				_exit(1);
		v = -1;
		for (r = 0; r < 2; r++)
			if (msg_send(self->fd, &v, sizeof(v), 0) < 0)
				_exit(1);
		_exit(0);
	}
	EXPECT_EQ(0, reap(tx));
	for (r = 0; r < 2; r++) {
		EXPECT_EQ(0, reap(rx[r]));
		last = -1;
		while (read(pipes[r][0], &v, sizeof(v)) == sizeof(v)) {
			ASSERT_TRUE(v >= 0 && v < n);
			EXPECT_LT(last, v) TH_LOG("receiver %d out of order", r);
			last = v;
			seen[v]++;
		}
		close(pipes[r][0]);
	}
	for (i = 0; i < n; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("message %d seen %d times", i,
					     seen[i]);
}

/* poll over several mailboxes: only the one with a message is readable. */
TEST_F(box, poll_several_mailboxes)
{
	struct pollfd pfd[3];
	pid_t tx;
	int i;

	for (i = 0; i < 3; i++) {
		pfd[i].fd = i ? open_private(self->dev, variant, 0, NULL) :
				self->fd;
		ASSERT_LE(0, pfd[i].fd);
		pfd[i].events = POLLIN;
	}
	EXPECT_EQ(0, poll(pfd, 3, 0));

	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {	/* once the parent sleeps in poll() */
		if (wait_in_syscall(getppid(), SYS_poll, SYS_ppoll, -1))
			_exit(99);
		child_exit(msg_send(pfd[1].fd, "x", 1, 0));
	}
	ASSERT_EQ(1, poll(pfd, 3, 10000));
	EXPECT_EQ(0, pfd[0].revents);
	EXPECT_EQ(POLLIN, pfd[1].revents);
	EXPECT_EQ(0, pfd[2].revents);

	/* POLLOUT: a send would not block. */
	pfd[2].events = POLLOUT;
	EXPECT_EQ(buffered(variant) ? 1 : 0, poll(&pfd[2], 1, 0));

	EXPECT_EQ(1, msg_recv(pfd[1].fd, &i, sizeof(i), 0, NULL));
	EXPECT_EQ(0, reap(tx));
	for (i = 1; i < 3; i++) {
		msg_box_destroy(pfd[i].fd);
		close(pfd[i].fd);
	}
}

/* POLLOUT on a zero-capacity mailbox means a receiver is waiting. */
TEST_F(box, pollout_tracks_room)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLOUT };
	pid_t rx;
	int i;

	if (variant->capacity == MBX_CAP_BOUNDED) {
		for (i = 0; i < BOUNDED_LIMIT; i++) {
			EXPECT_EQ(1, poll(&pfd, 1, 0));
			ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
		}
		EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("full: no POLLOUT");
		EXPECT_EQ((ssize_t)sizeof(i),
			  msg_recv(self->fd, &i, sizeof(i), 0, NULL));
		EXPECT_EQ(1, poll(&pfd, 1, 0));
		return;
	}
	if (variant->capacity == MBX_CAP_UNBOUNDED) {
		EXPECT_EQ(1, poll(&pfd, 1, 0));
		return;
	}
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {	/* blocks once the parent sleeps in poll() */
		char c[8];

		if (wait_in_syscall(getppid(), SYS_poll, SYS_ppoll, -1))
			_exit(99);
		child_exit(msg_recv(self->fd, c, sizeof(c), 0, NULL));
	}
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(rx, msg_send(self->fd, "z", 1, 0));
	EXPECT_EQ(0, reap(rx));
}

/*
 * POLLOUT on a zero-capacity mailbox means a receiver is waiting that
 * would take the poller's message: not one blocked in receive(Q) for
 * another process Q, which left a non-blocking send after POLLOUT to
 * fail with EAGAIN, and an event loop trusting poll spinning.
 */
TEST_F(box, pollout_only_for_a_receiver_that_takes_it)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLOUT };
	pid_t q, rx, any;
	char c[8];

	if (variant->capacity != MBX_CAP_ZERO)
		SKIP(return, "POLLOUT with room is pollout_tracks_room");
	q = spawn_idle();		/* Q: alive, never sends */
	ASSERT_LE(0, q);
	rx = spawn_recv_from(self->fd, q, sizeof(c));
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, wait_blocked(self->fd, 0, 1));
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("revents %#x", pfd.revents);
	EXPECT_EQ(-EAGAIN, msg_send(self->fd, "x", 1, MBX_F_NONBLOCK));

	any = spawn_recv(self->fd, sizeof(c), 0);
	ASSERT_LE(0, any);
	ASSERT_EQ(0, wait_blocked(self->fd, 0, 2));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(any, msg_send(self->fd, "y", 1, MBX_F_NONBLOCK));
	EXPECT_EQ(0, reap(any));
	kill(rx, SIGKILL);
	kill(q, SIGKILL);
	reap(rx);
	reap(q);
}

/* epoll wakes when a message arrives. */
TEST_F(box, epoll_wakes_on_message)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep;
	pid_t tx;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u32 = 7;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {	/* once the parent sleeps in epoll_wait() */
		if (wait_in_syscall(getppid(), SYS_epoll_wait,
				    SYS_epoll_pwait, SYS_epoll_pwait2))
			_exit(99);
		child_exit(msg_send(self->fd, "e", 1, 0));
	}
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000));
	EXPECT_EQ(7u, out.data.u32);
	EXPECT_NE(0u, out.events & EPOLLIN);
	EXPECT_EQ(1, msg_recv(self->fd, &ev, sizeof(ev), 0, NULL));
	EXPECT_EQ(0, reap(tx));
	close(ep);
}

/* Events ready on @ep now, without waiting; -1 on error. */
static int events_now(int ep, uint32_t *events)
{
	struct epoll_event out = { 0 };
	int n = epoll_wait(ep, &out, 1, 0);

	*events = out.events;
	return n;
}

/*
 * Edge-triggered epoll, as with a pipe: an EPOLLIN edge for every message
 * that arrives (also while others are unread), an EPOLLOUT edge when a
 * full bounded mailbox gets room (not for more room after that); none
 * while nothing changes.
 */
TEST_F(box, epoll_edge_triggered_per_message)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	uint32_t events;
	char buf[8];
	int ep, i;

	if (variant->capacity == MBX_CAP_ZERO)
		SKIP(return, "nothing is queued on a zero-capacity mailbox");
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(0, events_now(ep, &events));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, msg_send(self->fd, "e", 1, MBX_F_NONBLOCK));
		EXPECT_EQ(1, events_now(ep, &events)) TH_LOG("message %d", i);
		EXPECT_EQ((uint32_t)EPOLLIN, events & (EPOLLIN | EPOLLOUT));
		EXPECT_EQ(0, events_now(ep, &events)) TH_LOG("message %d", i);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(1, msg_recv(self->fd, buf, sizeof(buf),
				      MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(0, events_now(ep, &events));

	if (variant->capacity == MBX_CAP_BOUNDED) {
		for (i = 0; i < BOUNDED_LIMIT; i++)
			ASSERT_EQ(0, msg_send(self->fd, "f", 1,
					      MBX_F_NONBLOCK));
		ev.events = EPOLLOUT | EPOLLET;
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, self->fd, &ev));
		EXPECT_EQ(0, events_now(ep, &events)) TH_LOG("full");
		for (i = 0; i < 2; i++) {	/* full twice */
			EXPECT_EQ(1, msg_recv(self->fd, buf, sizeof(buf),
					      MBX_F_NONBLOCK, NULL));
			EXPECT_EQ(1, events_now(ep, &events))
				TH_LOG("room, round %d", i);
			EXPECT_EQ((uint32_t)EPOLLOUT, events & (EPOLLIN | EPOLLOUT));
			EXPECT_EQ(1, msg_recv(self->fd, buf, sizeof(buf),
					      MBX_F_NONBLOCK, NULL));
			EXPECT_EQ(0, events_now(ep, &events))
				TH_LOG("more room, round %d", i);
			ASSERT_EQ(0, msg_send(self->fd, "g", 1, MBX_F_NONBLOCK));
			ASSERT_EQ(0, msg_send(self->fd, "g", 1, MBX_F_NONBLOCK));
		}
	}
	close(ep);
}

/* Rendezvous with a receiver that arrives late: the sender waits for it. */
TEST_F(box, sender_waits_for_late_receiver)
{
	pid_t rx;
	int ret;

	if (variant->capacity != MBX_CAP_ZERO)
		SKIP(return, "only a rendezvous makes the sender wait");
	rx = fork();
	ASSERT_LE(0, rx);
	if (rx == 0) {
		char buf[8];

		if (wait_blocked(self->fd, 1, -1))
			_exit(100);
		child_exit(msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
	}
	ret = msg_send(self->fd, "late", 4, 0);
	EXPECT_EQ(rx, ret) TH_LOG("send returns the receiver's pid");
	EXPECT_EQ(0, reap(rx));
}

/*
 * MBX_F_SYNC on a buffered mailbox: the send returns once a receiver has
 * taken the message, and names it.
 */
TEST_F(box, sync_send_waits_for_receiver)
{
	struct mbx_stat st;
	char buf[8];
	int pfd[2];
	pid_t tx;
	int ret;

	ASSERT_EQ(0, pipe(pfd));
	tx = fork();
	ASSERT_LE(0, tx);
	if (tx == 0) {
		ret = msg_send(self->fd, "sync", 4, MBX_F_SYNC);
		if (write(pfd[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(buffered(variant) ? 1u : 0u, st.msg_count);
	EXPECT_EQ(4, msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, reap(tx));
	ASSERT_EQ((ssize_t)sizeof(ret), read(pfd[0], &ret, sizeof(ret)));
	EXPECT_EQ(getpid(), ret);
}

/* A sync sender interrupted before delivery takes its message back. */
TEST_F(box, sync_send_interrupted_withdraws)
{
	struct mbx_stat st;
	pid_t tx;

	if (!buffered(variant))
		SKIP(return, "covered by signal_interrupts_send");
	tx = spawn_send(self->fd, "w", 1, MBX_F_SYNC);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	ASSERT_EQ(0, kill(tx, SIGUSR1));
	EXPECT_EQ(EINTR, reap(tx));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0u, st.msg_count) TH_LOG("the withdrawn message is gone");
}

/* A sync send to a receiver already blocked: both complete. */
TEST_F(box, sync_send_to_blocked_receiver)
{
	pid_t rx;

	rx = spawn_recv(self->fd, 16, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, -1, 1));
	EXPECT_EQ(rx, msg_send(self->fd, "to you", 6, MBX_F_SYNC));
	EXPECT_EQ(0, reap(rx));
}

/*
 * A withdrawn sync message frees its slot for a blocked sender: the queue
 * is full again and nobody is left waiting.
 */
TEST_F(box, withdrawn_sync_message_makes_room)
{
	struct mbx_stat st;
	pid_t s1, s2;
	int i;

	if (variant->capacity != MBX_CAP_BOUNDED)
		SKIP(return, "bounded only");
	for (i = 0; i < BOUNDED_LIMIT - 1; i++)
		ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
	s1 = spawn_send(self->fd, "sync", 4, MBX_F_SYNC);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	s2 = spawn_send(self->fd, "next", 4, 0);
	ASSERT_EQ(0, wait_blocked(self->fd, 2, -1));
	ASSERT_EQ(0, kill(s1, SIGUSR1));
	EXPECT_EQ(EINTR, reap(s1));
	EXPECT_EQ(0, reap(s2));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ((uint64_t)BOUNDED_LIMIT, st.msg_count);
	EXPECT_EQ(0u, st.senders_waiting);
}

/* Bounded: a full mailbox blocks the sender until a receive makes room. */
TEST_F(box, bounded_blocks_until_room)
{
	struct mbx_stat st;
	pid_t tx;
	int i, v;

	if (variant->capacity != MBX_CAP_BOUNDED)
		SKIP(return, "bounded only");
	for (i = 0; i < BOUNDED_LIMIT; i++)
		ASSERT_EQ(0, msg_send(self->fd, &i, sizeof(i), 0));
	tx = spawn_send(self->fd, &i, sizeof(i), 0);
	ASSERT_EQ(0, wait_blocked(self->fd, 1, -1));
	ASSERT_EQ((ssize_t)sizeof(v), msg_recv(self->fd, &v, sizeof(v), 0,
					       NULL));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, reap(tx));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ((uint64_t)BOUNDED_LIMIT, st.msg_count);
	for (i = 1; i <= BOUNDED_LIMIT; i++) {
		ASSERT_EQ((ssize_t)sizeof(v),
			  msg_recv(self->fd, &v, sizeof(v), 0, NULL));
		EXPECT_EQ(i, v);
	}
}

/* stat reflects what happened. */
TEST_F(box, stat_reports_status)
{
	struct mbx_stat st;
	char buf[16];
	pid_t tx;

	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(self->id, st.id);
	EXPECT_EQ(variant->capacity, st.capacity);
	EXPECT_EQ(variant->limit, st.limit);
	EXPECT_EQ(0600u, st.mode);
	EXPECT_EQ(geteuid(), st.uid);
	EXPECT_EQ(geteuid(), st.cuid);
	EXPECT_EQ(0u, st.msg_count);
	EXPECT_EQ(0, st.last_send_pid);
	EXPECT_LT(0, st.change_time);
	EXPECT_EQ(0, st.send_time);

	if (buffered(variant)) {
		ASSERT_EQ(0, msg_send(self->fd, "hello", 5, 0));
		ASSERT_EQ(0, msg_stat(self->fd, &st));
		EXPECT_EQ(1u, st.msg_count);
		EXPECT_EQ(5u, st.msg_bytes);
		EXPECT_EQ(getpid(), st.last_send_pid);
		EXPECT_LT(0, st.send_time);
		ASSERT_EQ(5, msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
	} else {
		tx = spawn_send(self->fd, "hello", 5, 0);
		ASSERT_EQ(5, msg_recv(self->fd, buf, sizeof(buf), 0, NULL));
		EXPECT_EQ(0, reap(tx));
		ASSERT_EQ(0, msg_stat(self->fd, &st));
		EXPECT_EQ(tx, st.last_send_pid);
	}
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0u, st.msg_count);
	EXPECT_EQ(0u, st.msg_bytes);
	EXPECT_EQ(getpid(), st.last_recv_pid);
	EXPECT_LT(0, st.recv_time);
}

/* set changes mode and limits; a limit only applies to bounded mailboxes. */
TEST_F(box, set_mode_and_limits)
{
	struct mbx_set set = { .flags = MBX_SET_MODE, .mode = 0640 };
	struct mbx_stat st;

	ASSERT_EQ(0, msg_set(self->fd, &set));
	memset(&set, 0, sizeof(set));
	set.flags = MBX_SET_LIMIT;
	set.limit = 2;
	EXPECT_EQ(variant->capacity == MBX_CAP_BOUNDED ? 0 : -EINVAL,
		  msg_set(self->fd, &set));
	memset(&set, 0, sizeof(set));
	set.flags = MBX_SET_MSGSIZE;
	set.max_msg_size = 16;
	ASSERT_EQ(0, msg_set(self->fd, &set));
	ASSERT_EQ(0, msg_stat(self->fd, &st));
	EXPECT_EQ(0640u, st.mode);
	EXPECT_EQ(16u, st.max_msg_size);
	if (variant->capacity == MBX_CAP_BOUNDED)
		EXPECT_EQ(2u, st.limit);
	EXPECT_EQ(-EMSGSIZE, msg_send(self->fd, &st, 17, MBX_F_NONBLOCK));
}

TEST_HARNESS_MAIN
