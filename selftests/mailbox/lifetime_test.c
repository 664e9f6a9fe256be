// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of an inbox's lifetime: a process is addressable while it
 * has /dev/mailbox open.  The inbox lives as long as the owner's file of
 * the device: a dup, a second open or a forked child's copy keeps it, a
 * blocked receive keeps it; and exec closes the close-on-exec descriptor,
 * so the new program starts with an inbox of its own, not its
 * predecessor's queue and settings, even if a child still holds the
 * file; a descriptor kept across exec (FD_CLOEXEC cleared) keeps it.
 *
 * The exec cases re-run this binary with MBX_LIFETIME_AFTER_EXEC in the
 * environment: a constructor checks the inbox before the harness starts
 * and exits with the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mbx_util.h"

#define AFTER_EXEC	"MBX_LIFETIME_AFTER_EXEC"

/* The message a process sends itself before its inbox should end. */
#define STALE		"stale"

/*
 * After exec, with AFTER_EXEC=-1: a new open must find an empty inbox
 * with the default settings (exit 0).  With AFTER_EXEC=FD: the inherited
 * descriptor FD must still hold the old inbox, message and all (exit 0).
 */
__attribute__((constructor)) static void after_exec(void)
{
	const char *arg = getenv(AFTER_EXEC);
	struct mbx_stat st;
	char buf[16];
	int fd;

	if (!arg)
		return;
	fd = atoi(arg);
	if (fd < 0) {
		fd = msg_dev_open(0);
		if (fd < 0)
			_exit(10);
		if (msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK,
			     NULL) != -EAGAIN)
			_exit(11);	/* the predecessor's message */
		if (msg_stat(fd, &st) || st.capacity != MBX_CAP_BOUNDED)
			_exit(12);	/* the predecessor's settings */
		_exit(0);
	}
	if (msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL) !=
	    (ssize_t)strlen(STALE) || memcmp(buf, STALE, strlen(STALE)))
		_exit(13);
	_exit(0);
}

/* Send to @pid from a new process with an inbox of its own: 0 or errno. */
static int send_from_outside(pid_t pid)
{
	pid_t s = fork();

	if (s < 0)
		return -1;
	if (s == 0) {
		int dev = msg_dev_open(0);

		if (dev < 0)
			_exit(100);
		child_exit(msg_send_to(dev, pid, "x", 1, MBX_F_NONBLOCK));
	}
	return reap(s);
}

/* A child that holds what it inherited until @hold's write end closes. */
static pid_t fork_holder(int hold[2])
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		close(hold[1]);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 100);
	}
	close(hold[0]);
	return pid;
}

/*
 * The inbox lives as long as the file: a forked child's copy keeps it
 * after the owner's close (the child cannot receive from it), and the
 * child's close ends it: sends get ESRCH, what was queued is gone, and a
 * new open starts afresh.
 */
TEST(the_last_copy_of_the_file_ends_the_inbox)
{
	int dev, hold[2];
	char buf[16];
	pid_t child;

	dev = msg_dev_open(0);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, msg_send_to(dev, getpid(), STALE, strlen(STALE), 0));
	ASSERT_EQ(0, pipe(hold));
	child = fork_holder(hold);
	ASSERT_LE(0, child);

	ASSERT_EQ(0, close(dev));
	EXPECT_EQ(0, send_from_outside(getpid()));
	close(hold[1]);
	EXPECT_EQ(0, reap(child));
	EXPECT_EQ(ESRCH, send_from_outside(getpid()));

	dev = msg_dev_open(0);
	ASSERT_LE(0, dev);
	EXPECT_EQ(-EAGAIN, msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK,
				    NULL));
	EXPECT_EQ(0, send_from_outside(getpid()));
	EXPECT_EQ(1, msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	close(dev);
}

/* Another descriptor of the process keeps it: a dup, or a second open. */
TEST(another_descriptor_keeps_the_inbox)
{
	int dev, other;
	char buf[16];

	dev = msg_dev_open(0);
	ASSERT_LE(0, dev);
	other = dup(dev);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, close(dev));
	EXPECT_EQ(0, send_from_outside(getpid()));

	dev = msg_dev_open(0);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, close(other));
	EXPECT_EQ(0, send_from_outside(getpid()));
	EXPECT_EQ(1, msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	EXPECT_EQ(1, msg_recv(dev, buf, sizeof(buf), MBX_F_NONBLOCK, NULL));
	close(dev);
}

struct blocked_recv {
	int dev;
	ssize_t ret;
	char buf[16];
};

static void *recv_blocking(void *arg)
{
	struct blocked_recv *r = arg;

	r->ret = msg_recv(r->dev, r->buf, sizeof(r->buf), 0, NULL);
	return NULL;
}

/*
 * A receive blocked in another thread keeps the inbox, as a call keeps
 * any file it runs on, even when its descriptor is closed meanwhile: the
 * message sent after the close reaches it; then the inbox is gone.
 */
TEST(a_blocked_receive_keeps_the_inbox)
{
	struct blocked_recv r = { .ret = -1 };
	pthread_t t;

	r.dev = msg_dev_open(0);
	ASSERT_LE(0, r.dev);
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_blocking, &r));
	ASSERT_EQ(0, wait_blocked(r.dev, -1, 1));

	ASSERT_EQ(0, close(r.dev));
	EXPECT_EQ(0, send_from_outside(getpid()));
	pthread_join(t, NULL);
	EXPECT_EQ(1, r.ret);
	EXPECT_EQ('x', r.buf[0]);
	EXPECT_EQ(ESRCH, send_from_outside(getpid()));
}

/*
 * Exec this binary again in a child that set up its inbox (unbounded, a
 * message queued) and forked a holder of the descriptor; @keep clears
 * FD_CLOEXEC first.  The child's exit code is after_exec()'s verdict.
 */
static int exec_with_inbox(bool keep)
{
	int hold[2], status = -1;
	pid_t pid;

	if (pipe(hold))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct mbx_inbox_config cfg = {
			.flags = MBX_INBOX_SET_CAPACITY,
			.capacity = MBX_CAP_UNBOUNDED,
		};
		char *argv[] = { "lifetime_test", NULL };
		char env[64], *envp[] = { env, NULL };
		int dev = msg_dev_open(0);

		if (dev < 0 || msg_inbox_set(dev, &cfg) ||
		    msg_send_to(dev, getpid(), STALE, strlen(STALE), 0))
			_exit(101);
		if (fork_holder(hold) < 0)
			_exit(102);
		if (keep && fcntl(dev, F_SETFD, 0))
			_exit(103);
		snprintf(env, sizeof(env), "%s=%d", AFTER_EXEC,
			 keep ? dev : -1);
		execve("/proc/self/exe", argv, envp);
		_exit(104);
	}
	close(hold[0]);
	if (pid > 0)
		status = reap(pid);
	close(hold[1]);	/* the holder, now orphaned, exits */
	return status;
}

TEST(exec_starts_with_a_new_inbox)
{
	EXPECT_EQ(0, exec_with_inbox(false));
}

TEST(exec_keeps_a_descriptor_kept_open)
{
	EXPECT_EQ(0, exec_with_inbox(true));
}

TEST_HARNESS_MAIN
