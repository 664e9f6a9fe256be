/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mailbox kselftests: child processes that send or
 * receive once and exit with the errno they got, and waiting until a
 * mailbox shows a number of blocked tasks (synchronisation through the
 * kernel's own status, not through sleeps).
 */
#ifndef MBX_UTIL_H
#define MBX_UTIL_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libmsg.h"

#define NOBODY		65534
#define MS		1000000LL

/* Exit status of a child that did one call: 0 or the positive errno. */
static inline int child_exit(long ret)
{
	_exit(ret < 0 ? (int)-ret : 0);
}

static inline pid_t spawn_send(int fd, const void *buf, size_t len,
			       unsigned int flags)
{
	pid_t pid = fork();

	if (pid == 0)
		child_exit(msg_send(fd, buf, len, flags));
	return pid;
}

static inline pid_t spawn_recv(int fd, size_t len, unsigned int flags)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *buf = malloc(len ? len : 1);

		child_exit(buf ? msg_recv(fd, buf, len, flags, NULL) : -ENOMEM);
	}
	return pid;
}

/* A child that waits until it is killed: a live pid that never sends. */
static inline pid_t spawn_idle(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

/* A child blocked in receive(@from) of up to @len bytes, as spawn_recv(). */
static inline pid_t spawn_recv_from(int fd, pid_t from, size_t len)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *buf = malloc(len ? len : 1);

		child_exit(buf ? msg_recv_from(fd, from, buf, len, 0, NULL) :
			   -ENOMEM);
	}
	return pid;
}

/* The child's exit code (0 or an errno), or 1000 + signal if killed. */
static inline int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 1000 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Wait (10 s at most) until @fd's mailbox has @senders blocked senders and
 * @receivers blocked receivers (-1: don't care).  Returns 0 or -1.
 */
static inline int wait_blocked(int fd, int senders, int receivers)
{
	long long deadline = now_ns() + 10000 * MS;
	struct mbx_stat st;

	while (now_ns() < deadline) {
		if (msg_stat(fd, &st))
			return -1;
		if ((senders < 0 || st.senders_waiting == (unsigned int)senders) &&
		    (receivers < 0 ||
		     st.receivers_waiting == (unsigned int)receivers))
			return 0;
		usleep(1000);
	}
	return -1;
}

/* Messages queued on @fd's mailbox or inbox, -1 if it cannot be told. */
static inline long long queued(int fd)
{
	struct mbx_stat st;

	if (msg_stat(fd, &st))
		return -1;
	return (long long)st.msg_count;
}

/* Wait (10 s at most) until @n messages are queued on @fd: 0 or -1. */
static inline int wait_queued(int fd, long long n)
{
	long long deadline = now_ns() + 10000 * MS;

	while (now_ns() < deadline) {
		if (queued(fd) == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * A child that sends the string @msg once a byte arrives on @go (or at
 * once, @go -1), then lives on until killed, so that receive(Q) names a
 * live process.
 */
static inline pid_t spawn_send_then_wait(int fd, const char *msg, int go)
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		if (go >= 0 && read(go, &c, 1) != 1)
			_exit(100);
		if (msg_send(fd, msg, strlen(msg), 0))
			_exit(101);
		pause();
		_exit(0);
	}
	return pid;
}

/* The next message (non-blocking) is the string @want: 0, else -1. */
static inline int next_is(int fd, const char *want)
{
	char buf[64];
	ssize_t n = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);

	if (n == (ssize_t)strlen(want) && !memcmp(buf, want, n))
		return 0;
	fprintf(stderr, "# wanted \"%s\", got %zd \"%.*s\"\n", want, n,
		n > 0 ? (int)n : 0, n > 0 ? buf : "");
	return -1;
}

/* Fill @buf with a pattern that depends on @seed and the offset. */
static inline void fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

static inline int check_fill(const void *buf, size_t len, unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 12)))
			return -1;
	return 0;
}

/*
 * Zero @buf by writing to every byte, so that all of it is resident.  A
 * plain memset(0) right after malloc() is not enough: gcc turns the two
 * into calloc(), which knows fresh memory reads as zeros and touches
 * none of it.  Hiding where @buf came from keeps the writes.
 */
static inline void *touch(void *buf, size_t len)
{
	__asm__ __volatile__("" : "+r" (buf));
	return memset(buf, 0, len);
}

static inline void noop_handler(int sig)
{
	(void)sig;
}

/* SIGUSR1 interrupts system calls (no SA_RESTART). */
static inline void interrupt_on_sigusr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sigaction(SIGUSR1, &sa, NULL);
}

/* A small text file (a module parameter, a fault knob) into @buf. */
static inline int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* Write @val to a small text file; 0 only if all of it was taken. */
static inline int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Wait (10 s at most) until process @pid sleeps in one of the system calls
 * @nr1, @nr2, @nr3 (as /proc/PID/syscall and /proc/PID/stat tell), so
 * that what the caller does next must wake it, rather than find it not
 * there yet.  For a child waking its parent in poll() or epoll_wait().
 * Returns 0 or -1.
 */
static inline int wait_in_syscall(pid_t pid, long nr1, long nr2, long nr3)
{
	long long deadline = now_ns() + 10000 * MS;
	char path[64], buf[256], *state;
	long nr;

	while (now_ns() < deadline) {
		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
		if (read_str(path, buf, sizeof(buf)) || !isdigit((unsigned char)buf[0]))
			goto again;
		nr = strtol(buf, NULL, 10);
		if (nr != nr1 && nr != nr2 && nr != nr3)
			goto again;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		state = read_str(path, buf, sizeof(buf)) ? NULL :
			strrchr(buf, ')');
		if (state && state[1] == ' ' && state[2] == 'S')
			return 0;
again:
		usleep(1000);
	}
	return -1;
}

/* A raw ioctl: 0 or -errno. */
static inline int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/*
 * The start of the vDSO's data page ("[vvar]"), or NULL: memory a process
 * can read but page pinning cannot take (VM_IO, VM_PFNMAP).  Its content
 * (clock data) changes.
 */
static inline const void *vvar_page(void)
{
	unsigned long start = 0;
	char line[256];
	FILE *maps;

	maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return NULL;
	while (!start && fgets(line, sizeof(line), maps))
		if (strstr(line, "[vvar]"))
			start = strtoul(line, NULL, 16);
	fclose(maps);
	return (const void *)start;
}

#endif /* MBX_UTIL_H */
