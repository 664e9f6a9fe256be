// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of direct communication: send(P) and receive(Q) between
 * processes through their inboxes, in each capacity mode of the
 * receiving inbox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

FIXTURE(direct) {
	int dev;
};

FIXTURE_VARIANT(direct) {
	unsigned int capacity;
	unsigned int limit;
};

FIXTURE_VARIANT_ADD(direct, zero) {
	.capacity = MBX_CAP_ZERO,
};

FIXTURE_VARIANT_ADD(direct, bounded) {
	.capacity = MBX_CAP_BOUNDED,
	.limit = 4,
};

FIXTURE_VARIANT_ADD(direct, unbounded) {
	.capacity = MBX_CAP_UNBOUNDED,
};

/* Open /dev/mailbox (our inbox) and give it the variant's capacity. */
static int open_inbox(const FIXTURE_VARIANT(direct) *variant)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY,
		.capacity = variant->capacity,
		.limit = variant->limit,
	};
	int dev = msg_dev_open(0);

	if (dev < 0)
		return dev;
	if (msg_inbox_set(dev, &cfg) < 0) {
		close(dev);
		return -1;
	}
	return dev;
}

FIXTURE_SETUP(direct)
{
	self->dev = open_inbox(variant);
	ASSERT_LE(0, self->dev);
	interrupt_on_sigusr1();
}

FIXTURE_TEARDOWN(direct)
{
	close(self->dev);
}

/*
 * Fork a child that opens its own inbox, tells the parent through @ready,
 * and runs @fn.  Its exit code is @fn's result (0 or an errno).
 */
static pid_t spawn_peer(const FIXTURE_VARIANT(direct) *variant,
			int (*fn)(int dev, void *arg), void *arg)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		int dev = open_inbox(variant);

		close(ready[0]);
		if (dev < 0 || write(ready[1], "r", 1) != 1)
			_exit(200);
		close(ready[1]);
		_exit(fn(dev, arg));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

static int echo_once(int dev, void *arg)
{
	struct msg_meta meta;
	char buf[64];
	ssize_t n;
	int ret;

	(void)arg;
	n = msg_recv(dev, buf, sizeof(buf), 0, &meta);
	if (n < 0)
		return -n;
	ret = msg_send_to(dev, meta.sender_pid, buf, n, 0);
	return ret < 0 ? -ret : 0;
}

/* Request and response between parent and child. */
TEST_F(direct, request_response)
{
	struct msg_meta meta;
	char buf[64];
	pid_t child;
	int ret;

	child = spawn_peer(variant, echo_once, NULL);
	ASSERT_LT(0, child);
	ret = msg_send_to(self->dev, child, "ping", 4, 0);
	ASSERT_LE(0, ret) TH_LOG("send: %s", strerror(-ret));
	if (variant->capacity == MBX_CAP_ZERO) {
		EXPECT_EQ(child, ret);
	}
	ASSERT_EQ(4, msg_recv_from(self->dev, child, buf, sizeof(buf), 0,
				   &meta));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	EXPECT_EQ(child, meta.sender_pid);
	EXPECT_EQ(geteuid(), meta.sender_uid);
	EXPECT_EQ(0u, meta.mailbox_id);
	EXPECT_EQ(0, reap(child));
}

static int send_tag(int dev, void *arg)
{
	const char *tag = arg;
	int ret = msg_send_to(dev, getppid(), tag, strlen(tag), 0);

	return ret < 0 ? -ret : 0;
}

/*
 * receive(Q) takes Q's message and leaves the others queued; receive(any)
 * then takes the rest and reports who sent it.
 */
TEST_F(direct, receive_from_chooses_sender)
{
	struct msg_meta meta;
	pid_t a, b;
	char buf[8];

	a = spawn_peer(variant, send_tag, "A");
	ASSERT_LT(0, a);
	b = spawn_peer(variant, send_tag, "B");
	ASSERT_LT(0, b);
	if (variant->capacity == MBX_CAP_ZERO) {
		ASSERT_EQ(0, wait_blocked(self->dev, 2, -1));
	} else {
		ASSERT_EQ(0, reap(a));
	}

	ASSERT_EQ(1, msg_recv_from(self->dev, b, buf, sizeof(buf), 0, &meta));
	EXPECT_EQ('B', buf[0]);
	EXPECT_EQ(b, meta.sender_pid);
	ASSERT_EQ(1, msg_recv_from(self->dev, 0, buf, sizeof(buf), 0, &meta));
	EXPECT_EQ('A', buf[0]);
	EXPECT_EQ(a, meta.sender_pid);
	EXPECT_EQ(-EAGAIN, msg_recv(self->dev, buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
	if (variant->capacity == MBX_CAP_ZERO)
		EXPECT_EQ(0, reap(a));
	EXPECT_EQ(0, reap(b));
}

/* A receive(Q) does not take another sender's message, even if it waits. */
TEST_F(direct, receive_from_waits_for_its_sender)
{
	char buf[8];
	int hold[2];
	pid_t a, b;

	a = spawn_peer(variant, send_tag, "A");
	ASSERT_LT(0, a);
	if (variant->capacity == MBX_CAP_ZERO) {
		ASSERT_EQ(0, wait_blocked(self->dev, 1, -1));
	} else {
		ASSERT_EQ(0, reap(a));
	}
	ASSERT_EQ(0, pipe(hold));
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		/* Stay alive, a sender that sends nothing, until released. */
		close(hold[1]);
		_exit(read(hold[0], buf, 1) < 0);
	}
	close(hold[0]);
	EXPECT_EQ(-ETIMEDOUT, msg_recv_from_timed(self->dev, b, buf,
						  sizeof(buf), 0, 50 * MS,
						  NULL));
	EXPECT_EQ(1, msg_recv_from(self->dev, a, buf, sizeof(buf), 0, NULL));
	close(hold[1]);
	EXPECT_EQ(0, reap(b));
	if (variant->capacity == MBX_CAP_ZERO)
		EXPECT_EQ(0, reap(a));
	/* A has exited: nothing more from it. */
	EXPECT_EQ(-ESRCH, msg_recv_from(self->dev, a, buf, sizeof(buf), 0,
					NULL));
}

static int fill_inbox(int dev, void *arg)
{
	const FIXTURE_VARIANT(direct) *variant = arg;
	unsigned int i;
	int ret;

	for (i = 0; i < variant->limit; i++) {
		ret = msg_send_to(dev, getppid(), "A", 1, 0);
		if (ret < 0)
			return -ret;
	}
	return 0;
}

/*
 * receive(Q) when the bounded inbox is full of others' messages and Q is
 * blocked waiting for room: Q's message is taken from Q directly.
 */
TEST_F(direct, receive_from_blocked_sender_of_full_inbox)
{
	struct msg_meta meta;
	char buf[8];
	pid_t a, b;

	if (variant->capacity != MBX_CAP_BOUNDED)
		SKIP(return, "bounded only");
	a = spawn_peer(variant, fill_inbox, (void *)variant);
	ASSERT_LT(0, a);
	ASSERT_EQ(0, reap(a));
	b = spawn_peer(variant, send_tag, "B");
	ASSERT_LT(0, b);
	ASSERT_EQ(0, wait_blocked(self->dev, 1, -1));
	ASSERT_EQ(1, msg_recv_from_timed(self->dev, b, buf, sizeof(buf), 0,
					 5000 * MS, &meta));
	EXPECT_EQ('B', buf[0]);
	EXPECT_EQ(b, meta.sender_pid);
	EXPECT_EQ(0, reap(b));
}

/* Exit once the parent sleeps in its receive (an ioctl). */
static int exit_soon(int dev, void *arg)
{
	(void)dev;
	(void)arg;
	return wait_in_syscall(getppid(), SYS_ioctl, -1, -1) ? 100 : 0;
}

/* A receive(Q) waiting for Q ends with ESRCH when Q exits. */
TEST_F(direct, receive_from_ends_when_sender_exits)
{
	char buf[8];
	pid_t q;

	q = spawn_peer(variant, exit_soon, NULL);
	ASSERT_LT(0, q);
	EXPECT_EQ(-ESRCH, msg_recv_from(self->dev, q, buf, sizeof(buf), 0,
					NULL));
	EXPECT_EQ(0, reap(q));
}

static int recv_late(int dev, void *arg)
{
	char buf[16];
	ssize_t n;

	(void)arg;
	/* Arrive only once the sender is blocked. */
	if (wait_blocked(dev, 1, -1))
		return 100;
	n = msg_recv(dev, buf, sizeof(buf), 0, NULL);
	return n == 4 ? 0 : (n < 0 ? -n : 101);
}

/* Zero capacity: the sender waits for a receiver that comes late. */
TEST_F(direct, rendezvous_with_late_receiver)
{
	pid_t child;

	if (variant->capacity != MBX_CAP_ZERO)
		SKIP(return, "only a rendezvous makes the sender wait");
	child = spawn_peer(variant, recv_late, NULL);
	ASSERT_LT(0, child);
	EXPECT_EQ(child, msg_send_to(self->dev, child, "late", 4, 0));
	EXPECT_EQ(0, reap(child));
}

static int exit_now(int dev, void *arg)
{
	(void)dev;
	(void)arg;
	return 0;
}

/* Sending to a process that exited, or that has no inbox: ESRCH. */
TEST_F(direct, send_to_exited_or_inboxless_is_esrch)
{
	pid_t gone, plain;

	gone = spawn_peer(variant, exit_now, NULL);
	ASSERT_LT(0, gone);
	ASSERT_EQ(0, reap(gone));
	EXPECT_EQ(-ESRCH, msg_send_to(self->dev, gone, "x", 1,
				      MBX_F_NONBLOCK));

	/* Alive until we have sent: the case is "no inbox", not "gone". */
	plain = fork();
	ASSERT_LE(0, plain);
	if (plain == 0) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(-ESRCH, msg_send_to(self->dev, plain, "x", 1,
				      MBX_F_NONBLOCK));
	EXPECT_EQ(0, kill(plain, 0));
	kill(plain, SIGKILL);
	EXPECT_EQ(1000 + SIGKILL, reap(plain));
	EXPECT_EQ(-ESRCH, msg_send_to(self->dev, 0x3fffffff, "x", 1, 0));
}

/*
 * Pid 0, what a receive reports for a sender not visible in the caller's
 * pid namespace, is no such process, through the library and the raw
 * ioctl alike; a negative pid is bad input.
 */
TEST_F(direct, send_to_pid_0_is_esrch_negative_einval)
{
	struct mbx_send s = {
		.size = sizeof(s), .flags = MBX_F_NONBLOCK,
		.buf = (uintptr_t)"x", .len = 1,
	};

	EXPECT_EQ(-ESRCH, msg_send_to(self->dev, 0, "x", 1, 0));
	EXPECT_EQ(-ESRCH, msg_send_to_timed(self->dev, 0, "x", 1, 0, MS));
	EXPECT_EQ(-EINVAL, msg_send_to(self->dev, -1, "x", 1, 0));
	EXPECT_EQ(-EINVAL, msg_send_to_timed(self->dev, -getpid(), "x", 1, 0,
					     MS));
	s.to_pid = 0;
	EXPECT_EQ(-ESRCH, ioctl_errno(self->dev, MBX_IOC_SEND, &s));
	s.to_pid = -1;
	EXPECT_EQ(-EINVAL, ioctl_errno(self->dev, MBX_IOC_SEND, &s));
	/* Nothing arrived anywhere: our own inbox is empty. */
	EXPECT_EQ(-EAGAIN, msg_recv(self->dev, &s, sizeof(s), MBX_F_NONBLOCK,
				    NULL));
}

/*
 * receive(Q) from a Q that has exited but is not reaped yet, with nothing
 * of Q's queued: ESRCH, non-blocking too (not EAGAIN: Q sends no more),
 * before and after it is reaped.
 */
TEST_F(direct, receive_from_exited_unreaped_is_esrch)
{
	siginfo_t si;
	char buf[8];
	pid_t q;

	q = fork();
	ASSERT_LE(0, q);
	if (q == 0)
		_exit(0);
	ASSERT_EQ(0, waitid(P_PID, q, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, msg_recv_from(self->dev, q, buf, sizeof(buf),
					MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(-ESRCH, msg_recv_from(self->dev, q, buf, sizeof(buf), 0,
					NULL));
	EXPECT_EQ(0, reap(q));
	EXPECT_EQ(-ESRCH, msg_recv_from(self->dev, q, buf, sizeof(buf),
					MBX_F_NONBLOCK, NULL));
}

/* Tell the parent through @arg once a sender is blocked on us, then wait. */
static int report_blocked_sender(int dev, void *arg)
{
	int *blocked = arg;

	close(blocked[0]);
	if (wait_blocked(dev, 1, -1) || write(blocked[1], "b", 1) != 1)
		return 100;
	pause();
	return 0;
}

/* A sender blocked on a receiver that exits wakes with ESRCH. */
TEST_F(direct, blocked_sender_woken_by_receiver_exit)
{
	pid_t receiver, sender;
	int i, blocked[2];
	char c;

	if (variant->capacity == MBX_CAP_UNBOUNDED)
		SKIP(return, "unbounded sends never block");
	ASSERT_EQ(0, pipe(blocked));
	receiver = spawn_peer(variant, report_blocked_sender, blocked);
	ASSERT_LT(0, receiver);
	/* Only the receiver may hold the write end: EOF if it fails. */
	close(blocked[1]);
	sender = fork();
	ASSERT_LE(0, sender);
	if (sender == 0) {
		int dev = msg_dev_open(0), ret = 0;

		for (i = 0; i <= (int)variant->limit && ret >= 0; i++)
			ret = msg_send_to(dev, receiver, &i, sizeof(i), 0);
		_exit(ret < 0 ? -ret : 0);
	}
	/* The receiver sees the sender blocked on its inbox (MBX_IOC_STAT). */
	ASSERT_EQ(1, read(blocked[0], &c, 1));
	close(blocked[0]);
	ASSERT_EQ(0, kill(receiver, SIGKILL));
	EXPECT_EQ(1000 + SIGKILL, reap(receiver));
	EXPECT_EQ(ESRCH, reap(sender));
}

/* Run SCHED_FIFO on CPU 0 only, or back to SCHED_OTHER on any CPU. */
/*
 * Run SCHED_FIFO on CPU 0 (@on), or as before.  RT throttling is off
 * meanwhile: by default a second's RT tasks yield 50 ms of it to the
 * others, and in a slow VM (the debug kernel, a busy host) the window
 * below lasted long enough for the kworker to run in that slice.
 */
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"
static char rt_runtime[32];

static int pin_fifo_cpu0(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };
	cpu_set_t cpus;
	int i;

	if (on && !read_str(RT_RUNTIME, rt_runtime, sizeof(rt_runtime)))
		write_str(RT_RUNTIME, "-1");
	else if (!on && rt_runtime[0])
		write_str(RT_RUNTIME, rt_runtime);

	CPU_ZERO(&cpus);
	for (i = 0; i < (on ? 1 : CPU_SETSIZE); i++)
		CPU_SET(i, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) && on)
		return -errno;
	if (sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp))
		return -errno;
	return 0;
}

/*
 * The new holder of a reused pid: a fresh inbox with nothing in it (0,
 * else 1), reported through @report; then the one message the parent
 * sends to the pid now, and nothing else (0, else 2 or 3).
 */
static int reused_pid_child(const FIXTURE_VARIANT(direct) *variant,
			    int report)
{
	struct msg_meta meta;
	int dev, fresh;
	char buf[8];
	ssize_t n;

	dev = open_inbox(variant);
	fresh = dev < 0 ? 200 :
		msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK, NULL) ==
		-EAGAIN ? 0 : 1;
	if (write(report, &fresh, sizeof(fresh)) != sizeof(fresh) || fresh)
		return fresh ?: 201;
	n = msg_recv_timed(dev, buf, sizeof(buf), 0, 5000 * MS, &meta);
	if (n != 3 || memcmp(buf, "new", 3) || meta.sender_pid != getppid())
		return 2;
	return msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK, NULL) ==
	       -EAGAIN ? 0 : 3;
}

/*
 * Pid reuse: what was addressed to process P never reaches the process
 * that gets P's number after it, not even while P's inbox is still being
 * torn down, and a sender blocked on P fails with ESRCH.
 *
 * P (pid N) exits with mail queued and, unless its inbox is unbounded, a
 * sender S blocked on it; N is given at once to P' (clone3 with set_tid),
 * which opens its inbox; then we send to N.  An inbox registry keyed on
 * pid numbers fails while P's inbox is still registered: P' would be
 * given P's inbox, with P's mail and S's message, and our send to N
 * would go there too.  Keyed on struct pid, P' gets a new, empty inbox,
 * our send reaches it, and S gets ESRCH when P's inbox is torn down.
 *
 * The window is made, not hoped for.  Last close does not tear P's inbox
 * down at P's exit, since we hold a duplicate of P's descriptor
 * (pidfd_getfd), so only P's exit does, through a work item that P's exit
 * queues on P's CPU for a SCHED_OTHER kworker.  Every process here runs
 * SCHED_FIFO on CPU 0 and, from P's exit until P' has seen its inbox and
 * our send, one of them is always runnable, so the work item cannot run
 * before.  (The old form of this test, sending to P and checking P' after
 * P was reaped, let teardown finish first and passed with a pid-keyed
 * registry too.)  That the window was open is checked on P's inbox
 * itself: its mail and blocked sender last until its teardown.
 */
TEST_F(direct, pid_reuse_gets_nothing_of_old_process)
{
	int go[2], report[2], pidfd, old_inbox, p_dev, fresh = -1, ret;
	int clone_err;
	bool blocks = variant->capacity != MBX_CAP_UNBOUNDED;
	struct clone_args args;
	pid_t p, s = 0, again;
	struct mbx_stat st;
	unsigned int i, n;
	bool open_window = false;
	char c;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(report));
	ret = pin_fifo_cpu0(true);
	if (ret)
		SKIP(return, "SCHED_FIFO on CPU 0: %s", strerror(-ret));
	p = fork();
	ASSERT_LE(0, p);
	if (p == 0) {
		int dev = open_inbox(variant);

		if (dev < 0 || write(report[1], &dev, sizeof(dev)) != sizeof(dev))
			_exit(200);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 201);
	}
	ASSERT_EQ((ssize_t)sizeof(p_dev), read(report[0], &p_dev, sizeof(p_dev)));
	pidfd = syscall(SYS_pidfd_open, p, 0);
	ASSERT_LE(0, pidfd);
	old_inbox = syscall(SYS_pidfd_getfd, pidfd, p_dev, 0);
	ASSERT_LE(0, old_inbox) TH_LOG("pidfd_getfd: %s", strerror(errno));
	close(pidfd);

	/* P's inbox: full if bounded, one message if unbounded. */
	n = variant->capacity == MBX_CAP_ZERO ? 0 : variant->limit ?: 1;
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, msg_send_to(self->dev, p, "old", 3,
					 MBX_F_NONBLOCK));
	if (blocks) {
		s = fork();
		ASSERT_LE(0, s);
		if (s == 0) {
			int dev = msg_dev_open(0);

			child_exit(dev < 0 ? dev :
				   msg_send_to(dev, p, "blk", 3, 0));
		}
		ASSERT_EQ(0, wait_blocked(old_inbox, 1, -1));
	}

	/* From P's exit until P' is done, CPU 0 is never idle. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(0, reap(p));
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uintptr_t)&p;
	args.set_tid_size = 1;
	again = syscall(SYS_clone3, &args, sizeof(args));
	if (again == 0)
		_exit(reused_pid_child(variant, report[1]));
	clone_err = again < 0 ? errno : 0;
	if (again > 0) {
		ASSERT_EQ((ssize_t)sizeof(fresh),
			  read(report[0], &fresh, sizeof(fresh)));
		/* ESRCH: torn down already, the window closed. */
		ret = msg_stat(old_inbox, &st);
		ASSERT_TRUE(ret == 0 || ret == -ESRCH) TH_LOG("stat %d", ret);
		open_window = !ret && (st.msg_count || st.senders_waiting);
		ret = msg_send_to_timed(self->dev, again, "new", 3, 0,
					5000 * MS);
		EXPECT_EQ(0, reap(again)) TH_LOG("P' did not get just ours");
	}
	ASSERT_EQ(0, pin_fifo_cpu0(false));
	if (again < 0) {
		if (s)
			reap(s);
		close(old_inbox);
		if (clone_err == EPERM || clone_err == EEXIST)
			SKIP(return, "clone3 set_tid: %s", strerror(clone_err));
		ASSERT_LE(0, again) TH_LOG("clone3: %s", strerror(clone_err));
	}
	EXPECT_EQ(p, again);
	EXPECT_EQ(0, fresh) TH_LOG("P' got P's inbox or mail");
	EXPECT_LE(0, ret) TH_LOG("send to the reused pid: %s", strerror(-ret));
	/* Otherwise nothing above tested the registry's key. */
	EXPECT_TRUE(open_window)
		TH_LOG("P's inbox was gone before P' opened: no window");
	if (blocks)
		EXPECT_EQ(ESRCH, reap(s)) TH_LOG("blocked sender: not ESRCH");
	close(old_inbox);
}

static int send_to_parent(int dev, void *arg)
{
	int ret = msg_send_to(dev, getppid(), "n", 1, MBX_F_NONBLOCK);

	(void)arg;
	return ret < 0 ? -ret : 0;
}

/*
 * By default only the owner's uid (or CAP_IPC_OWNER) may send; the
 * receiver may refuse everyone, or accept exactly one uid.
 */
TEST_F(direct, permission_across_uids)
{
	struct mbx_inbox_config cfg;
	int tries, ret;
	pid_t pid;
	char buf[4];

	/* A process of another uid may not send to us by default. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		dev = msg_dev_open(0);
		child_exit(dev < 0 ? dev :
			   msg_send_to(dev, getppid(), "n", 1, MBX_F_NONBLOCK));
	}
	EXPECT_EQ(EPERM, reap(pid));

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = MBX_INBOX_SET_POLICY;
	cfg.policy = MBX_POLICY_ONE_UID;
	cfg.allow_uid = NOBODY;
	ASSERT_EQ(0, msg_inbox_set(self->dev, &cfg));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		dev = msg_dev_open(0);
		child_exit(dev < 0 ? dev :
			   msg_send_to(dev, getppid(), "n", 1, 0));
	}
	if (variant->capacity == MBX_CAP_ZERO) {
		ASSERT_EQ(1, msg_recv(self->dev, buf, sizeof(buf), 0, NULL));
		EXPECT_EQ(0, reap(pid));
	} else {
		EXPECT_EQ(0, reap(pid));
		EXPECT_EQ(1, msg_recv(self->dev, buf, sizeof(buf),
				      MBX_F_NONBLOCK, NULL));
	}
	/* ONE_UID binds root (our own uid) too. */
	pid = spawn_peer(variant, send_to_parent, NULL);
	EXPECT_EQ(EPERM, reap(pid));

	cfg.policy = MBX_POLICY_REFUSE;
	cfg.allow_uid = 0;
	ASSERT_EQ(0, msg_inbox_set(self->dev, &cfg));
	pid = spawn_peer(variant, send_to_parent, NULL);
	EXPECT_EQ(EPERM, reap(pid));

	/* Root may send to another uid's inbox (CAP_IPC_OWNER). */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int dev;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(200);
		dev = msg_dev_open(0);
		if (dev < 0)
			_exit(201);
		_exit(msg_recv(dev, buf, sizeof(buf), 0, NULL) == 1 ? 0 : 202);
	}
	/* Retry until the child has opened its inbox. */
	ret = -ESRCH;
	for (tries = 0; tries < 500 && ret == -ESRCH; tries++) {
		ret = msg_send_to(self->dev, pid, "r", 1, 0);
		if (ret == -ESRCH)
			usleep(10000);
	}
	EXPECT_LE(0, ret);
	EXPECT_EQ(0, reap(pid));
}

/* Only the process that opened the device receives from its inbox. */
TEST_F(direct, inherited_descriptor_cannot_receive)
{
	pid_t pid;
	char buf[4];

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		child_exit(msg_recv(self->dev, buf, sizeof(buf),
				    MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(EPERM, reap(pid));
}

static int producer(int dev, void *arg)
{
	int i, ret;

	(void)arg;
	for (i = 0; i < 100; i++) {
		ret = msg_send_to(dev, getppid(), &i, sizeof(i), 0);
		if (ret < 0)
			return -ret;
	}
	return 0;
}

/* The textbook producer/consumer, with blocking send and receive. */
TEST_F(direct, producer_consumer)
{
	struct msg_meta meta;
	pid_t prod;
	int i, v;

	prod = spawn_peer(variant, producer, NULL);
	ASSERT_LT(0, prod);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ((ssize_t)sizeof(v),
			  msg_recv_from(self->dev, prod, &v, sizeof(v), 0,
					&meta));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(0, reap(prod));
}

/* Send to the parent once it sleeps in poll(). */
static int send_to_parent_blocking(int dev, void *arg)
{
	int ret;

	(void)arg;
	if (wait_in_syscall(getppid(), SYS_poll, SYS_ppoll, -1))
		return 100;
	ret = msg_send_to(dev, getppid(), "b", 1, 0);
	return ret < 0 ? -ret : 0;
}

/* poll on the inbox together with a mailbox. */
TEST_F(direct, poll_inbox_with_mailbox)
{
	const struct msg_box_attr attr = { .capacity = MBX_CAP_UNBOUNDED,
					   .mode = 0600 };
	struct pollfd pfd[2];
	char buf[4];
	pid_t pid;
	int box;

	box = msg_box_open(self->dev, NULL, 0,
			   MBX_O_PRIVATE | MBX_O_SEND | MBX_O_RECV, &attr,
			   NULL);
	ASSERT_LE(0, box);
	pfd[0].fd = self->dev;
	pfd[0].events = POLLIN;
	pfd[1].fd = box;
	pfd[1].events = POLLIN;
	EXPECT_EQ(0, poll(pfd, 2, 0));
	pid = spawn_peer(variant, send_to_parent_blocking, NULL);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, poll(pfd, 2, 10000));
	EXPECT_EQ(POLLIN, pfd[0].revents);
	EXPECT_EQ(0, pfd[1].revents);
	EXPECT_EQ(1, msg_recv(self->dev, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, reap(pid));
	msg_box_destroy(box);
	close(box);
}

/* Inbox configuration errors. */
#define RECONFIG_ROUNDS	200

/*
 * A server that reconfigures its inbox after each request.  The client's
 * synchronous send ends when the server has received its message, so the
 * client is woken then; the server, SCHED_FIFO on the client's CPU, runs
 * on and reconfigures while the client's send has not returned: no
 * reason for EBUSY (nothing is queued and nobody is blocked), nor for a
 * status that counts the client as a blocked sender.  Returns how many
 * rounds went wrong, or 250 + a failed call.
 */
static int reconfigure_and_reply(int dev, void *arg)
{
	const FIXTURE_VARIANT(direct) *variant = arg;
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY,
		.capacity = variant->capacity,
	};
	struct msg_meta meta;
	struct mbx_stat st;
	int i, failed = 0;
	char buf[16];

	if (pin_fifo_cpu0(true))
		return 250;
	for (i = 0; i < RECONFIG_ROUNDS; i++) {
		if (msg_recv(dev, buf, sizeof(buf), 0, &meta) < 0)
			return 251;
		if (msg_stat(dev, &st))
			return 253;
		if (st.senders_waiting || st.receivers_waiting || st.msg_count)
			failed++;
		/* Bounded: a limit of 4 or 5, so that something changes. */
		cfg.limit = variant->limit ? variant->limit + (i & 1) : 0;
		if (msg_inbox_set(dev, &cfg) < 0)
			failed++;
		if (msg_send_to(dev, meta.sender_pid, "pong", 4, 0) < 0)
			return 252;
	}
	return failed > 200 ? 200 : failed;
}

/* Both ends on CPU 0, or back on every CPU. */
static int pin_cpu0(bool on)
{
	cpu_set_t cpus;
	int i;

	CPU_ZERO(&cpus);
	for (i = 0; i < (on ? 1 : CPU_SETSIZE); i++)
		CPU_SET(i, &cpus);
	return sched_setaffinity(0, sizeof(cpus), &cpus) ? -errno : 0;
}

TEST_F(direct, capacity_change_right_after_an_exchange)
{
	char buf[16];
	pid_t server;
	int i;

	ASSERT_EQ(0, pin_cpu0(true));
	server = spawn_peer(variant, reconfigure_and_reply, (void *)variant);
	ASSERT_LT(0, server);
	for (i = 0; i < RECONFIG_ROUNDS; i++) {
		/* The server's pid: a synchronous send says who received. */
		ASSERT_EQ(server, msg_send_to(self->dev, server, "ping", 4,
					      MBX_F_SYNC));
		ASSERT_EQ(4, msg_recv_from(self->dev, server, buf, sizeof(buf),
					   0, NULL));
	}
	EXPECT_EQ(0, reap(server)) TH_LOG("rounds with EBUSY or a stale stat");
	EXPECT_EQ(0, pin_cpu0(false));
}

static int go_fd = -1;

/* Q: on the parent's word, send it a message too long for its buffer. */
static int send_long_on_go(int dev, void *arg)
{
	char big[100] = { 0 }, c;
	int ret;

	(void)arg;
	if (read(go_fd, &c, 1) != 1)
		return 201;
	ret = msg_send_to(dev, getppid(), big, sizeof(big), 0);
	return ret < 0 ? -ret : 0;
}

/* Once the parent's receive is blocked, tell Q to send. */
static void *go_when_receiving(void *arg)
{
	int *fds = arg;

	if (wait_blocked(fds[0], 0, 1) == 0)
		(void)!write(fds[1], "g", 1);
	return NULL;
}

/*
 * receive(Q) into a buffer too small, on a full inbox: Q's message cannot
 * be taken and cannot be queued, so Q waits for room, and the receive
 * fails with EMSGSIZE and the size at once; it used to stay asleep until
 * Q got its room, which here only the receiver itself could make.
 */
TEST_F(direct, receive_from_too_small_while_sender_waits_for_room)
{
	struct msg_meta meta;
	int go[2], fds[2], i;
	pthread_t thread;
	long long start;
	char buf[128];
	pid_t p, q;

	if (variant->capacity != MBX_CAP_BOUNDED)
		SKIP(return, "only a full bounded inbox makes Q wait for room");
	/* Others fill the inbox. */
	for (i = 0; i < (int)variant->limit; i++) {
		p = spawn_peer(variant, send_to_parent, NULL);
		ASSERT_EQ(0, reap(p));
	}

	ASSERT_EQ(0, pipe(go));
	go_fd = go[0];
	q = spawn_peer(variant, send_long_on_go, NULL);
	ASSERT_LT(0, q);
	fds[0] = self->dev;
	fds[1] = go[1];
	ASSERT_EQ(0, pthread_create(&thread, NULL, go_when_receiving, fds));
	start = now_ns();
	memset(&meta, 0, sizeof(meta));
	EXPECT_EQ(-EMSGSIZE, msg_recv_from_timed(self->dev, q, buf, 8, 0,
						 5000 * MS, &meta));
	EXPECT_EQ(100U, meta.len);
	EXPECT_GT(3000 * MS, now_ns() - start) TH_LOG("woken late");
	ASSERT_EQ(0, pthread_join(thread, NULL));

	/* Everything still arrives: the others' messages, then Q's. */
	for (i = 0; i < (int)variant->limit; i++)
		EXPECT_LE(0, msg_recv(self->dev, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(100, msg_recv_from(self->dev, q, buf, sizeof(buf), 0, NULL));
	EXPECT_EQ(0, reap(q));
	close(go[0]);
	close(go[1]);
}

/*
 * A capacity change is refused (EBUSY) while a task is blocked on the
 * inbox, here a thread of the owner itself in a receive.
 */
static void *receive_one(void *arg)
{
	char buf[16];

	return (void *)(long)msg_recv(*(int *)arg, buf, sizeof(buf), 0, NULL);
}

TEST_F(direct, capacity_change_refused_while_receiver_blocked)
{
	struct mbx_inbox_config cfg = {
		.flags = MBX_INBOX_SET_CAPACITY,
		.capacity = MBX_CAP_UNBOUNDED,
	};
	pthread_t thread;
	void *ret;

	ASSERT_EQ(0, pthread_create(&thread, NULL, receive_one, &self->dev));
	ASSERT_EQ(0, wait_blocked(self->dev, 0, 1));
	EXPECT_EQ(-EBUSY, msg_inbox_set(self->dev, &cfg));
	/* Nothing changed: the receiver gets the next message. */
	ASSERT_LE(0, msg_send_to(self->dev, getpid(), "x", 1,
				 MBX_F_NONBLOCK));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	EXPECT_EQ(1, (long)ret);
	EXPECT_EQ(0, msg_inbox_set(self->dev, &cfg));
}

TEST_F(direct, inbox_config_errors)
{
	struct mbx_inbox_config cfg;
	pid_t pid;

	memset(&cfg, 0, sizeof(cfg));
	EXPECT_EQ(-EINVAL, msg_inbox_set(self->dev, &cfg)) TH_LOG("no flags");
	cfg.flags = MBX_INBOX_SET_POLICY;
	cfg.policy = 99;
	EXPECT_EQ(-EINVAL, msg_inbox_set(self->dev, &cfg));
	cfg.flags = MBX_INBOX_SET_CAPACITY;
	cfg.policy = 0;
	cfg.capacity = MBX_CAP_BOUNDED;
	EXPECT_EQ(-EINVAL, msg_inbox_set(self->dev, &cfg)) TH_LOG("limit 0");

	if (variant->capacity != MBX_CAP_ZERO) {
		/* Not while something is queued. */
		pid = spawn_peer(variant, send_to_parent, NULL);
		EXPECT_EQ(0, reap(pid));
		cfg.limit = 8;
		EXPECT_EQ(-EBUSY, msg_inbox_set(self->dev, &cfg));
	}
	/* Not someone else's inbox. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		cfg.flags = MBX_INBOX_SET_POLICY;
		cfg.capacity = 0;
		cfg.limit = 0;
		child_exit(msg_inbox_set(self->dev, &cfg));
	}
	EXPECT_EQ(EPERM, reap(pid));
	EXPECT_EQ(-EINVAL, msg_send_to(self->dev, 1, "x", 1,
				       MBX_F_TIMEOUT)) TH_LOG("use _timed");
}

/*
 * Pid namespaces: a process in a child namespace sees sender pids in its
 * own namespace (0 for one it cannot see) and cannot address a process
 * outside it.
 */
TEST(pid_namespace_translation)
{
	int dev, ready[2], report[2], res[3];
	pid_t child, me = getpid();
	char c;

	dev = msg_dev_open(0);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(report));
	if (unshare(CLONE_NEWPID))
		SKIP(return, "unshare(CLONE_NEWPID): %s", strerror(errno));
	child = fork();		/* pid 1 of a new pid namespace */
	ASSERT_LE(0, child);
	if (child == 0) {
		struct msg_meta meta;
		char buf[8];
		pid_t g;
		int inbox = msg_dev_open(0);

		if (inbox < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		/* The parent's message: its sender is not visible here. */
		res[0] = msg_recv(inbox, buf, sizeof(buf), 0, &meta) == 1 ?
			 meta.sender_pid : -1;
		/* The parent's pid means nothing here. */
		res[1] = msg_send_to(inbox, me, "x", 1, MBX_F_NONBLOCK);
		/* A process of our namespace is seen by its pid here. */
		g = fork();
		if (g == 0) {
			int d = msg_dev_open(0);

			_exit(d < 0 || msg_send_to(d, 1, "g", 1, 0) < 0);
		}
		res[2] = msg_recv(inbox, buf, sizeof(buf), 0, &meta) == 1 &&
			 meta.sender_pid == g ? 0 : -1;
		waitpid(g, NULL, 0);
		_exit(write(report[1], res, sizeof(res)) != sizeof(res));
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ(0, msg_send_to(dev, child, "p", 1, 0));
	ASSERT_EQ((ssize_t)sizeof(res), read(report[0], res, sizeof(res)));
	EXPECT_EQ(0, res[0]) TH_LOG("the parent's pid leaked into the child namespace");
	EXPECT_EQ(-ESRCH, res[1]) TH_LOG("a process outside the namespace was addressable");
	EXPECT_EQ(0, res[2]) TH_LOG("a sender inside the namespace was not seen by its pid");
	EXPECT_EQ(0, reap(child));
	close(dev);
}

TEST_HARNESS_MAIN
