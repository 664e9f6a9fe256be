// SPDX-License-Identifier: GPL-2.0
/*
 * A wait between CPUs spins before it sleeps (module parameter spin_ns,
 * mbx_wait_spin()), while the thread it waits for runs on the other CPU:
 * for a sender, the thread that received from the mailbox last; for a
 * receiver, the one that sent last.  A rendezvous's senders and receivers
 * spin, and so does a buffered receiver that no sender could copy a
 * message into directly (its buffer, or its mailbox's largest message,
 * under 16 KiB).  The spin may only change when a waiter sleeps: every
 * message still arrives once and in order, a deadline and a signal still
 * end a wait that nobody finishes, and the parameter refuses what it
 * cannot honour.  Which waiters spin is seen in their context switches.
 * Each test runs with spinning off, at its default and at its longest,
 * with the two sides pinned to different CPUs (skipped on one CPU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define SPIN_PARAM	"/sys/module/mbx/parameters/spin_ns"
#define SPIN_MAX	1000000
#define BIG		(64 * 1024 + 3)
#define SMALL_MAX	4096

/*
 * The sizes a stream cycles through.  Rendezvous: copied in, pinned,
 * copied directly.  Buffered, to a receiver that spins: through its
 * stack (at most 192 bytes), handed over as a block.
 */
static const size_t sizes[] = { 8, 300, 20 * 1024, BIG };
static const size_t small_sizes[] = { 8, 192, 193, SMALL_MAX };

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

/* Message @i of a stream of @set's sizes: a pattern only it has. */
static size_t fill_msg(unsigned char *buf, unsigned int i,
		       const size_t *set)
{
	size_t len = set[i % 4], k;

	for (k = 0; k < len; k++)
		buf[k] = (unsigned char)(i * 131 + k * 7);
	return len;
}

static int check_msg(const unsigned char *buf, ssize_t n, unsigned int i,
		     const size_t *set)
{
	size_t len = set[i % 4], k;

	if (n != (ssize_t)len)
		return -1;
	for (k = 0; k < len; k++)
		if (buf[k] != (unsigned char)(i * 131 + k * 7))
			return -1;
	return 0;
}

FIXTURE(spin) {
	int dev;
	int fd[2];	/* zero capacity */
	int small;	/* bounded, messages of at most SMALL_MAX bytes */
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
	}, small = {
		.capacity = MBX_CAP_BOUNDED,
		.limit = 4,
		.max_msg_size = SMALL_MAX,
		.mode = 0600,
	};
	int i;

	self->dev = -1;
	self->fd[0] = -1;
	self->fd[1] = -1;
	self->small = -1;
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
	self->small = msg_box_open(self->dev, NULL, 0, MBX_O_PRIVATE |
				   MBX_O_SEND | MBX_O_RECV, &small, NULL);
	ASSERT_LE(0, self->small);
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
	if (self->small >= 0) {
		msg_box_destroy(self->small);
		close(self->small);
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
				      i, sizes))
				_exit(100);
		_exit(msg_recv(self->fd[0], buf, BIG, MBX_F_NONBLOCK, NULL) ==
		      -EAGAIN ? 0 : 101);
	}
	for (i = 0; i < N; i++) {
		/* A rendezvous send returns its receiver's pid. */
		ASSERT_EQ(rx, msg_send_timed(self->fd[0], buf,
					     fill_msg(buf, i, sizes), 0,
					     STUCK_NS));
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
			if (check_msg(buf, n, i, sizes))
				_exit(100);
			if (msg_send_timed(self->fd[1], buf,
					   fill_msg(buf, i + 1, sizes), 0,
					   STUCK_NS) != getppid())
				_exit(101);
		}
		_exit(0);
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(peer, msg_send_timed(self->fd[0], buf,
					       fill_msg(buf, i, sizes), 0,
					       STUCK_NS));
		n = msg_recv_timed(self->fd[1], buf, BIG, 0, STUCK_NS, NULL);
		ASSERT_EQ(0, check_msg(buf, n, i + 1, sizes))
			TH_LOG("reply %u", i);
	}
	EXPECT_EQ(0, reap(peer));
	free(buf);
}

/*
 * A buffered stream of small messages from CPU 0 to CPU 1, to a receiver
 * that spins (its mailbox's messages are at most SMALL_MAX bytes): each
 * is left on its stack or handed over as a block, and all arrive whole,
 * once and in order.
 */
TEST_F_TIMEOUT(spin, buffered_stream_to_a_spinning_receiver_arrives_whole,
	       120)
{
	enum { N = 1200 };
	unsigned char buf[SMALL_MAX];
	unsigned int i;
	pid_t rx;

	rx = fork_pinned(_metadata);
	if (rx == 0) {
		for (i = 0; i < N; i++)
			if (check_msg(buf, msg_recv_timed(self->small, buf,
							  sizeof(buf), 0,
							  STUCK_NS, NULL),
				      i, small_sizes))
				_exit(100);
		_exit(msg_recv(self->small, buf, sizeof(buf), MBX_F_NONBLOCK,
			       NULL) == -EAGAIN ? 0 : 101);
	}
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, msg_send_timed(self->small, buf,
					    fill_msg(buf, i, small_sizes), 0,
					    STUCK_NS));
	EXPECT_EQ(0, reap(rx));
}

/*
 * Which waiters spin.  A buffered receiver that no sender could copy a
 * message into directly (mbx_send_direct(): 16 KiB or more, and room for
 * it) spins; one that could be sent such a message sleeps, so that its
 * sender can queue more while it wakes.  A rendezvous spins whatever the
 * size.  The peer spun for is a thread: a worker thread of a process, or
 * another thread of the caller's own.  Seen from the measuring thread's
 * side of round trips between CPUs: a receive that sleeps is a voluntary
 * context switch, one that spins while the reply comes is none.
 */
enum rt_peer {
	PEER_PROCESS,	/* a child process */
	PEER_WORKER,	/* a child process's second thread; the first waits */
	PEER_THREAD,	/* a thread of ours */
};

struct rt_case {
	const char *what;
	unsigned int max_msg_size;	/* 0: between inboxes (8 KiB) */
	size_t buf_len;
	unsigned int flags;		/* of the receives */
	bool spins;
	bool zero;			/* zero capacity, else bounded */
	enum rt_peer peer;
};

static const struct rt_case rt_cases[] = {
	{ "a small mailbox", SMALL_MAX, SMALL_MAX, 0, true, false,
	  PEER_PROCESS },
	{ "a small mailbox, a large buffer", SMALL_MAX, BIG, 0, true, false,
	  PEER_PROCESS },
	{ "a small mailbox, truncating", SMALL_MAX, SMALL_MAX, MBX_F_TRUNC,
	  true, false, PEER_PROCESS },
	{ "a small buffer", BIG, SMALL_MAX, 0, true, false, PEER_PROCESS },
	{ "a buffer of 16 KiB - 1", BIG, 16 * 1024 - 1, 0, true, false,
	  PEER_PROCESS },
	{ "a buffer of 16 KiB", BIG, 16 * 1024, 0, false, false,
	  PEER_PROCESS },
	{ "inboxes", 0, 8192, 0, true, false, PEER_PROCESS },
	{ "a large buffer", BIG, BIG, 0, false, false, PEER_PROCESS },
	{ "a truncating receive", BIG, SMALL_MAX, MBX_F_TRUNC, false, false,
	  PEER_PROCESS },
	{ "a worker thread", SMALL_MAX, SMALL_MAX, 0, true, false,
	  PEER_WORKER },
	{ "threads of one process", SMALL_MAX, SMALL_MAX, 0, true, false,
	  PEER_THREAD },
	{ "rendezvous", BIG, BIG, 0, true, true, PEER_PROCESS },
	{ "rendezvous, a worker thread", BIG, BIG, 0, true, true,
	  PEER_WORKER },
	{ "rendezvous, threads of one process", BIG, BIG, 0, true, true,
	  PEER_THREAD },
};

#define RT_COUNT	300U
#define RT_LEN		64

/* The calling thread's: the echo side may be another thread of ours. */
static long voluntary_switches(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_nvcsw;
}

/*
 * A round trip's send.  A rendezvous waits for its receiver, so it is
 * timed, in case the other side failed; a buffered send never waits here
 * (a reply at a time, in four slots) and is not: reading the clock for a
 * deadline takes microseconds in TCG, time in which the reply could come
 * before the sender waits for it, and a receive that sleeps every time
 * without spinning would then not be seen to.
 */
static int rt_send(const struct rt_case *c, int fd, const void *buf)
{
	return c->zero ? msg_send_timed(fd, buf, RT_LEN, 0, STUCK_NS) :
			 msg_send(fd, buf, RT_LEN, 0);
}

struct echo_args {
	const struct rt_case *c;
	int rx, tx;		/* rx < 0: through inboxes */
	pid_t parent;
	unsigned char *buf;
};

/*
 * The echo side: RT_COUNT round trips through @a->rx and @a->tx (or
 * through its own inbox and its parent's).  Returns 0, or where it
 * failed.
 */
static int echo_loop(const struct echo_args *a)
{
	const struct rt_case *c = a->c;
	unsigned int i;
	int dev = -1;

	if (a->rx < 0) {
		dev = msg_dev_open(0);
		/* Our inbox exists: say so. */
		if (dev < 0 || msg_send_to(dev, a->parent, "r", 1, 0) < 0)
			return 99;
	}
	for (i = 0; i < RT_COUNT; i++) {
		if (msg_recv_timed(a->rx < 0 ? dev : a->rx, a->buf, c->buf_len,
				   c->flags, STUCK_NS, NULL) != RT_LEN)
			return 100;
		if ((a->rx < 0 ? msg_send_to(dev, a->parent, a->buf, RT_LEN, 0) :
				 rt_send(c, a->tx, a->buf)) < 0)
			return 101;
	}
	return 0;
}

static void *echo_thread(void *arg)
{
	struct echo_args *a = arg;

	/* Ours runs on CPU 1; a worker inherits its process's CPU. */
	if (a->c->peer == PEER_THREAD && pin(1))
		return (void *)(intptr_t)98;
	return (void *)(intptr_t)echo_loop(a);
}

/* Start the echo side of @a as @a->c says; a pid to reap, or 0. */
static pid_t start_echo(struct __test_metadata *_metadata,
			struct echo_args *a, pthread_t *thread)
{
	void *ret;
	pid_t pid;

	if (a->c->peer == PEER_THREAD) {
		ASSERT_EQ(0, pin(0));
		ASSERT_EQ(0, pthread_create(thread, NULL, echo_thread, a));
		return 0;
	}
	pid = fork_pinned(_metadata);
	if (pid)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(96);
	if (a->c->peer == PEER_PROCESS)
		_exit(echo_loop(a));
	if (pthread_create(thread, NULL, echo_thread, a) ||
	    pthread_join(*thread, &ret))
		_exit(97);
	_exit((int)(intptr_t)ret);
}

/* The measuring thread's voluntary context switches per round trip. */
static double switches_per_round_trip(struct __test_metadata *_metadata,
				      int dev, const struct rt_case *c)
{
	struct msg_box_attr attr = {
		.capacity = c->zero ? MBX_CAP_ZERO : MBX_CAP_BOUNDED,
		.limit = c->zero ? 0 : 4,
		.max_msg_size = c->max_msg_size, .mode = 0600,
	};
	struct echo_args a = { .c = c, .parent = getpid() };
	unsigned char *buf = malloc(BIG);
	int fd[2] = { -1, -1 }, i, to;
	long before, after;
	pthread_t thread;
	unsigned int n;
	void *ret;
	pid_t peer;

	ASSERT_NE(NULL, buf);
	memset(buf, 'q', BIG);
	for (i = 0; c->max_msg_size && i < 2; i++) {
		fd[i] = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND |
				     MBX_O_RECV, &attr, NULL);
		ASSERT_LE(0, fd[i]);
	}
	a.rx = fd[0];
	a.tx = fd[1];
	a.buf = malloc(BIG);
	ASSERT_NE(NULL, a.buf);
	peer = start_echo(_metadata, &a, &thread);
	/* Where replies come: our inbox (the device), or the second box. */
	to = c->max_msg_size ? fd[1] : dev;
	if (!c->max_msg_size)
		EXPECT_EQ(1, msg_recv_timed(dev, buf, c->buf_len, 0, STUCK_NS,
					    NULL));
	before = voluntary_switches();
	for (n = 0; n < RT_COUNT; n++) {
		if ((c->max_msg_size ? rt_send(c, fd[0], buf) :
				       msg_send_to(dev, peer, buf, RT_LEN, 0)) < 0 ||
		    msg_recv_timed(to, buf, c->buf_len, c->flags, STUCK_NS,
				   NULL) != RT_LEN)
			break;
	}
	after = voluntary_switches();
	EXPECT_EQ(RT_COUNT, n) TH_LOG("%s: round trip %u failed", c->what, n);
	/* Gone first: an echo side still waiting fails (EIDRM) and ends. */
	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0) {
			msg_box_destroy(fd[i]);
			close(fd[i]);
		}
	}
	if (peer) {
		EXPECT_EQ(0, reap(peer)) TH_LOG("%s", c->what);
	} else {
		EXPECT_EQ(0, pthread_join(thread, &ret));
		EXPECT_EQ(0, (int)(intptr_t)ret) TH_LOG("%s", c->what);
	}
	free(a.buf);
	free(buf);
	return (double)(after - before) / RT_COUNT;
}

/*
 * Waiters that must not spin sleep in every variant.  Those that may
 * must spin through most round trips at the longest spin (1 ms: far more
 * than a round trip takes between CPUs, on a debug kernel too), and
 * sleep through them with spinning off; at the default the figures are
 * only logged: on the debug kernel a round trip can take longer than
 * 100 µs.  A host that deschedules a vCPU for longer than the spin makes
 * a spinner sleep too, so a case that should spin is measured up to
 * three times, and its best run counts.
 */
TEST_F_TIMEOUT(spin, which_waiters_spin, 240)
{
	bool off = !strcmp(variant->spin_ns, "0");
	bool longest = atoi(variant->spin_ns) == SPIN_MAX;
	unsigned int i, tries;
	double csw, best;

	for (i = 0; i < ARRAY_SIZE(rt_cases); i++) {
		const struct rt_case *c = &rt_cases[i];

		best = -1;
		for (tries = 0; tries < (c->spins && !off ? 3 : 1); tries++) {
			csw = switches_per_round_trip(_metadata, self->dev, c);
			TH_LOG("%s: %.2f switches per round trip", c->what,
			       csw);
			if (best < 0 || csw < best)
				best = csw;
			if (best < 0.5)
				break;
		}
		csw = best;
		if (!c->spins || off) {
			EXPECT_LE(0.5, csw) TH_LOG("%s slept too little",
						   c->what);
		} else if (longest) {
			EXPECT_GT(0.5, csw) TH_LOG("%s did not spin", c->what);
		}
	}
}

/*
 * The peer the waiter spins for, busy in user space on the other CPU,
 * never comes back: a rendezvous's last receiver (for a sender) or a
 * buffered mailbox's last sender (for a receiver).  The waiter's deadline
 * and a signal must still end the wait on time, spin or not: at the
 * longest spin (1 ms) a wait that spun past them would take a millisecond
 * every time, so of five tries the quickest must be well under one.
 * Afterwards nothing is queued: no send went through.
 */
static pid_t spawn_busy_peer(struct __test_metadata *_metadata, int fd,
			     bool sender, int go[2])
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
		    (sender ? msg_send(fd, "x", 1, 0) < 0 :
			      msg_recv(fd, buf, sizeof(buf), 0, NULL) != 1))
			_exit(99);
		/* Busy in user space (and system calls) until told. */
		do {
			n = read(go[0], &c, 1);
		} while (n < 0 && errno == EAGAIN);
		_exit(n == 1 ? 0 : 98);	/* 98: the test went away */
	}
	close(go[0]);
	/* The other end of its call: it is now the one watched. */
	if (sender) {
		ASSERT_EQ(1, msg_recv_timed(fd, buf, sizeof(buf), 0, STUCK_NS,
					    NULL));
	} else {
		ASSERT_EQ(pid, msg_send_timed(fd, "x", 1, 0, STUCK_NS));
	}
	return pid;
}

/* A wait for the busy peer, timed (@ns) or not (0): 0 if not a wait. */
typedef int (*wait_op)(int fd, long long ns);

static int send_late(int fd, long long ns)
{
	return ns ? msg_send_timed(fd, "late", 4, 0, ns) :
		    msg_send(fd, "late", 4, 0);
}

static int recv_none(int fd, long long ns)
{
	char buf[8];

	return ns ? msg_recv_timed(fd, buf, sizeof(buf), 0, ns, NULL) :
		    msg_recv(fd, buf, sizeof(buf), 0, NULL);
}

#define TRIES		5
#define SHORT_NS	100000		/* a deadline well inside the spin */
#define LATE_NS		800000		/* what a 1 ms spin cannot beat */

/* The quickest of TRIES waits that time out after SHORT_NS. */
static long long quickest_timed_out(struct __test_metadata *_metadata,
				    int fd, wait_op op)
{
	long long start, took, quickest = -1;
	int i;

	for (i = 0; i < TRIES; i++) {
		start = now_ns();
		EXPECT_EQ(-ETIMEDOUT, op(fd, SHORT_NS));
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

/* The quickest of TRIES waits that a repeating SIGALRM interrupts. */
static long long quickest_interrupted(struct __test_metadata *_metadata,
				      int fd, wait_op op)
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
		EXPECT_EQ(-EINTR, op(fd, 0));
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
		took = now_ns() - start;
		if (quickest < 0 || took < quickest)
			quickest = took;
	}
	return quickest;
}

typedef long long (*quickest_fn)(struct __test_metadata *, int, wait_op);

/*
 * @quickest_of the waits on @fd for a busy peer (a sender if @op
 * receives), first not spinning, then with @spin_ns.  Then nothing is
 * queued (no send went through), no waiter was left behind on the
 * mailbox, and a message sent now is the one received.
 */
static void against_busy_peer(struct __test_metadata *_metadata, int fd,
			      const char *spin_ns, quickest_fn quickest_of,
			      wait_op op)
{
	long long unspun, quickest;
	unsigned char buf[8];
	int go[2];
	pid_t peer;

	peer = spawn_busy_peer(_metadata, fd, op == recv_none, go);
	ASSERT_EQ(0, write_param("0"));
	unspun = quickest_of(_metadata, fd, op);
	ASSERT_EQ(0, write_param(spin_ns));
	quickest = quickest_of(_metadata, fd, op);
	check_quick(_metadata, unspun, quickest);
	EXPECT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, reap(peer));
	close(go[1]);
	EXPECT_EQ(-EAGAIN, msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK,
				    NULL));
	EXPECT_EQ(0, wait_blocked(fd, 0, 0));
	if (op == recv_none) {
		EXPECT_EQ(0, msg_send(fd, "after", 5, 0));
		EXPECT_EQ(0, next_is(fd, "after"));
	}
}

TEST_F(spin, deadline_ends_a_wait_for_a_busy_peer)
{
	against_busy_peer(_metadata, self->fd[0], variant->spin_ns,
			  quickest_timed_out, send_late);
	against_busy_peer(_metadata, self->small, variant->spin_ns,
			  quickest_timed_out, recv_none);
}

TEST_F(spin, signal_ends_a_wait_for_a_busy_peer)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	against_busy_peer(_metadata, self->fd[0], variant->spin_ns,
			  quickest_interrupted, send_late);
	against_busy_peer(_metadata, self->small, variant->spin_ns,
			  quickest_interrupted, recv_none);
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
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
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
