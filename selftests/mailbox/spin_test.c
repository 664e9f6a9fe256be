// SPDX-License-Identifier: GPL-2.0
/*
 * A rendezvous between CPUs spins before it sleeps, while its peer runs on
 * the other CPU (module parameter spin_ns, mbx_wait_spin()).  The spin may
 * only change when a waiter sleeps: every message still arrives once and
 * in order, a deadline and a signal still end a wait that nobody
 * finishes, and the parameter refuses what it cannot honour.  Each test
 * runs with spinning off, at its default and at its longest, with the two
 * sides pinned to different CPUs (skipped on one CPU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define SPIN_PARAM	"/sys/module/mbx/parameters/spin_ns"
#define SPIN_MAX	1000000
#define BIG		(64 * 1024 + 3)

/* The sizes a stream cycles through: copied in, pinned, copied directly. */
static const size_t sizes[] = { 8, 300, 20 * 1024, BIG };

static int read_param(unsigned int *val)
{
	FILE *f = fopen(SPIN_PARAM, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%u", val) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Write @text to the parameter: 0 or the errno the write failed with. */
static int write_param(const char *text)
{
	ssize_t n;
	int fd = open(SPIN_PARAM, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/*
 * The parameter as the tests found it, restored by the harness's own
 * process when it exits, whatever happened to the tests (a failed setup
 * or a timeout skips the fixture's teardown): later tests in the same
 * boot must not run with a value one of these left.
 */
static unsigned int spin_ns_before;
static bool have_param;

static void __attribute__((constructor)) save_param(void)
{
	have_param = !geteuid() && !read_param(&spin_ns_before);
}

static void restore_param(void)
{
	char text[16];

	if (have_param) {
		snprintf(text, sizeof(text), "%u", spin_ns_before);
		write_param(text);
	}
}

static void __attribute__((destructor)) restore_at_exit(void)
{
	restore_param();
}

/* The two CPUs the test runs on: the first two it may run on. */
static int cpus[2] = { -1, -1 };

static int find_cpus(void)
{
	cpu_set_t set;
	int cpu, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	return n == 2 ? 0 : -1;
}

/* Run on the test's CPU 0 or 1. */
static int pin(int which)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpus[which], &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * fork(), the child on the test's CPU 1 (exit 99 if it cannot be), the
 * caller on its CPU 0.
 */
static pid_t fork_pinned(struct __test_metadata *_metadata)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0 && pin(1))
		_exit(99);
	if (pid > 0)
		ASSERT_EQ(0, pin(0));
	return pid;
}

/* Long enough for TCG, short enough to fail before the harness does. */
#define STUCK_NS	(10000 * MS)

/* Message @i of a stream: its length and a pattern only it has. */
static size_t fill_msg(unsigned char *buf, unsigned int i)
{
	size_t len = sizes[i % 4], k;

	for (k = 0; k < len; k++)
		buf[k] = (unsigned char)(i * 131 + k * 7);
	return len;
}

static int check_msg(const unsigned char *buf, ssize_t n, unsigned int i)
{
	size_t len = sizes[i % 4], k;

	if (n != (ssize_t)len)
		return -1;
	for (k = 0; k < len; k++)
		if (buf[k] != (unsigned char)(i * 131 + k * 7))
			return -1;
	return 0;
}

FIXTURE(spin) {
	int dev;
	int fd[2];
};

FIXTURE_VARIANT(spin) {
	const char *spin_ns;
};

FIXTURE_VARIANT_ADD(spin, off) {
	.spin_ns = "0",
};

FIXTURE_VARIANT_ADD(spin, default) {
	.spin_ns = "100000",
};

FIXTURE_VARIANT_ADD(spin, longest) {
	.spin_ns = "1000000",
};

FIXTURE_SETUP(spin)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_ZERO,
		.max_msg_size = BIG,
		.mode = 0600,
	};
	int i;

	self->dev = -1;
	self->fd[0] = self->fd[1] = -1;
	if (find_cpus())
		SKIP(return, "one CPU: nothing spins");
	if (!have_param)
		SKIP(return, "spin_ns not writable here");
	ASSERT_EQ(0, write_param(variant->spin_ns));
	self->dev = msg_dev_open(0);
	ASSERT_LE(0, self->dev);
	for (i = 0; i < 2; i++) {
		self->fd[i] = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE |
					   MBX_O_SEND | MBX_O_RECV, &attr,
					   NULL);
		ASSERT_LE(0, self->fd[i]);
	}
}

FIXTURE_TEARDOWN(spin)
{
	int i;

	if (self->dev < 0)
		return;
	for (i = 0; i < 2; i++) {
		msg_box_destroy(self->fd[i]);
		close(self->fd[i]);
	}
	close(self->dev);
	restore_param();
}

/*
 * A stream from CPU 0 to CPU 1, sizes mixed so that every copy path
 * runs (and a spinning sender is claimed, copied from and finished),
 * arrives whole, once and in order.
 */
TEST_F_TIMEOUT(spin, stream_between_cpus_arrives_whole_and_in_order, 120)
{
	enum { N = 800 };
	unsigned char *buf = malloc(BIG);
	unsigned int i;
	pid_t rx;

	ASSERT_NE(NULL, buf);
	rx = fork_pinned(_metadata);
	if (rx == 0) {
		for (i = 0; i < N; i++)
			if (check_msg(buf, msg_recv_timed(self->fd[0], buf, BIG,
							  0, STUCK_NS, NULL),
				      i))
				_exit(100);
		_exit(msg_recv(self->fd[0], buf, BIG, MBX_F_NONBLOCK, NULL) ==
		      -EAGAIN ? 0 : 101);
	}
	for (i = 0; i < N; i++) {
		/* A rendezvous send returns its receiver's pid. */
		ASSERT_EQ(rx, msg_send_timed(self->fd[0], buf, fill_msg(buf, i),
					     0, STUCK_NS));
	}
	EXPECT_EQ(0, reap(rx));
	free(buf);
}

/*
 * Round trips between CPUs: each side waits as a receiver, then sends;
 * every request gets its own reply.
 */
TEST_F_TIMEOUT(spin, round_trips_between_cpus_pair_up, 120)
{
	enum { N = 600 };
	unsigned char *buf = malloc(BIG);
	unsigned int i;
	ssize_t n;
	pid_t peer;

	ASSERT_NE(NULL, buf);
	peer = fork_pinned(_metadata);
	if (peer == 0) {
		for (i = 0; i < N; i++) {
			n = msg_recv_timed(self->fd[0], buf, BIG, 0, STUCK_NS,
					   NULL);
			if (check_msg(buf, n, i))
				_exit(100);
			if (msg_send_timed(self->fd[1], buf, fill_msg(buf, i + 1),
					   0, STUCK_NS) != getppid())
				_exit(101);
		}
		_exit(0);
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(peer, msg_send_timed(self->fd[0], buf,
					       fill_msg(buf, i), 0, STUCK_NS));
		n = msg_recv_timed(self->fd[1], buf, BIG, 0, STUCK_NS, NULL);
		ASSERT_EQ(0, check_msg(buf, n, i + 1)) TH_LOG("reply %u", i);
	}
	EXPECT_EQ(0, reap(peer));
	free(buf);
}

/*
 * The mailbox's last receiver, busy in user space on the other CPU, is
 * what a sender spins for; it never comes back for the message.  Its
 * sender's deadline and a signal must still end the wait on time, spin
 * or not: at the longest spin (1 ms) a wait that spun past them would
 * take a millisecond every time, so of five tries the quickest must be
 * well under one.  Afterwards the receiver finds nothing: the message
 * did not go.
 */
static pid_t spawn_busy_receiver(struct __test_metadata *_metadata,
				 int fd, int go[2])
{
	unsigned char buf[8];
	ssize_t n;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(go));
	pid = fork_pinned(_metadata);
	if (pid == 0) {
		close(go[1]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) ||
		    fcntl(go[0], F_SETFL, O_NONBLOCK) ||
		    msg_recv(fd, buf, sizeof(buf), 0, NULL) != 1)
			_exit(99);
		/* Busy in user space (and system calls) until told. */
		do {
			n = read(go[0], &c, 1);
		} while (n < 0 && errno == EAGAIN);
		if (n != 1)
			_exit(98);	/* the test went away */
		_exit(msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL) ==
		      -EAGAIN ? 0 : 100);
	}
	close(go[0]);
	/* Become its last receive's sender: it is now the one watched. */
	ASSERT_EQ(pid, msg_send_timed(fd, "x", 1, 0, STUCK_NS));
	return pid;
}

#define TRIES		5
#define SHORT_NS	100000		/* a deadline well inside the spin */
#define LATE_NS		800000		/* what a 1 ms spin cannot beat */

/* The quickest of TRIES sends that time out after SHORT_NS. */
static long long quickest_timed_out(struct __test_metadata *_metadata,
				    int fd)
{
	long long start, took, quickest = -1;
	int i;

	for (i = 0; i < TRIES; i++) {
		start = now_ns();
		EXPECT_EQ(-ETIMEDOUT, msg_send_timed(fd, "late", 4, 0,
						     SHORT_NS));
		took = now_ns() - start;
		EXPECT_LE(SHORT_NS, took);
		if (quickest < 0 || took < quickest)
			quickest = took;
	}
	return quickest;
}

/*
 * The time is checked only where the same calls, not spinning, are
 * quick: on a debug kernel (KASAN, lockdep) or a busy host a call and a
 * signal's delivery can take as long as the longest spin by themselves.
 */
static void check_quick(struct __test_metadata *_metadata,
			long long unspun, long long quickest)
{
	if (unspun < 3 * SHORT_NS) {
		EXPECT_GT(LATE_NS, quickest)
			TH_LOG("%lld ns without spinning", unspun);
	} else {
		TH_LOG("not timed: %lld ns without spinning", unspun);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * The quickest of TRIES sends that a repeating SIGALRM interrupts: each
 * must fail with EINTR, having sent nothing.
 */
static long long quickest_interrupted(struct __test_metadata *_metadata,
				      int fd)
{
	/* Again and again: one may come before the call waits. */
	struct itimerval it = {
		.it_value = { .tv_usec = SHORT_NS / 1000 },
		.it_interval = { .tv_usec = SHORT_NS / 1000 },
	}, off = {};
	long long start, took, quickest = -1;
	int i;

	for (i = 0; i < TRIES; i++) {
		start = now_ns();
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		EXPECT_EQ(-EINTR, msg_send(fd, "late", 4, 0));
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
		took = now_ns() - start;
		if (quickest < 0 || took < quickest)
			quickest = took;
	}
	return quickest;
}

/*
 * @quickest_of the sends to the busy receiver's mailbox, first not
 * spinning, then with @spin_ns; then the receiver must find nothing.
 */
static void against_busy_peer(struct __test_metadata *_metadata, int fd,
			      const char *spin_ns,
			      long long (*quickest_of)(struct __test_metadata *,
						       int))
{
	long long unspun, quickest;
	int go[2];
	pid_t rx;

	rx = spawn_busy_receiver(_metadata, fd, go);
	ASSERT_EQ(0, write_param("0"));
	unspun = quickest_of(_metadata, fd);
	ASSERT_EQ(0, write_param(spin_ns));
	quickest = quickest_of(_metadata, fd);
	check_quick(_metadata, unspun, quickest);
	EXPECT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, reap(rx));
	close(go[1]);
}

TEST_F(spin, deadline_ends_a_wait_for_a_busy_peer)
{
	against_busy_peer(_metadata, self->fd[0], variant->spin_ns,
			  quickest_timed_out);
}

TEST_F(spin, signal_ends_a_wait_for_a_busy_peer)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	against_busy_peer(_metadata, self->fd[0], variant->spin_ns,
			  quickest_interrupted);
	signal(SIGALRM, SIG_DFL);
}

/*
 * spin_ns takes 0 to 1000000 (1 ms); anything else fails (EINVAL, or
 * ERANGE for a number past 32 bits, as every unsigned parameter) and
 * leaves the value as it was.
 */
TEST_F(spin, parameter_refuses_what_it_cannot_honour)
{
	static const char *const bad[] = {
		"1000001", "-1", "4294967296", "abc", "\n",
	};
	int err;
	unsigned int before, after, i;

	ASSERT_EQ(0, read_param(&before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = write_param(bad[i]);
		EXPECT_EQ(i == 2 ? -ERANGE : -EINVAL, err) TH_LOG("'%s'", bad[i]);
		ASSERT_EQ(0, read_param(&after));
		EXPECT_EQ(before, after) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(0, write_param("1000000"));
	ASSERT_EQ(0, read_param(&after));
	EXPECT_EQ(SPIN_MAX, (int)after);
	EXPECT_EQ(0, write_param("0"));
	ASSERT_EQ(0, read_param(&after));
	EXPECT_EQ(0, (int)after);
}

TEST_HARNESS_MAIN
