// SPDX-License-Identifier: GPL-2.0
/*
 * A structured, seeded fuzzer of the /dev/mailbox uapi.
 *
 * Random commands (known ones and random numbers), random structure sizes
 * (0 to past a page), random flags and field values (zero, small, huge,
 * negative, all ones), and pointers that are valid, NULL, unmapped,
 * read-only, kernel addresses, or point into the argument structure
 * itself; over device descriptors, mailbox handles of every capacity, and
 * descriptors that are neither; and read/write/readv/writev with such
 * buffers.  All descriptors are non-blocking, so no
 * call waits; a watchdog turns a hang into a failure.  The kernel log is
 * checked by the test VM: any report fails the run.
 *
 *   fuzz_test [-s SEED] [-n ITERATIONS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mbx_util.h"

#define NFDS	8
#define ARGSZ	8192

static uint64_t st;
static uint8_t *args;		/* two pages, then a PROT_NONE page */
static uint8_t *ro;		/* a read-only page */
static uint8_t *unmapped;

static uint32_t rnd(void)
{
	st = st * 6364136223846793005ULL + 1442695040888963407ULL;
	return st >> 33;
}

static uint64_t value(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return rnd() % 4;
	case 2: return rnd() % 70000;
	case 3: return ~0ULL;
	case 4: return 1ULL << (rnd() % 64);
	case 5: return (uint64_t)(int64_t)-(int)(rnd() % 4);
	case 6: return ((uint64_t)rnd() << 32) | rnd();
	default: return 4u << 20;
	}
}

static uint64_t pointer(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return (uintptr_t)unmapped + rnd() % 4096;
	case 2: return (uintptr_t)ro;
	case 3: return 0xffff888000000000ULL + rnd();
	case 4: return (uintptr_t)args + rnd() % 64;	/* overlapping */
	case 5: return (uintptr_t)args + ARGSZ - rnd() % 64;
	default: return (uintptr_t)args + 4096 + rnd() % 1024;
	}
}

static unsigned long command(void)
{
	static const unsigned long known[] = {
		MBX_IOC_INFO, MBX_IOC_OPEN, MBX_IOC_INBOX_SET, MBX_IOC_SEND,
		MBX_IOC_RECV, MBX_IOC_STAT, MBX_IOC_SET, MBX_IOC_DESTROY,
		MBX_IOC_CALL, FIONREAD,
	};
	const unsigned int nknown = sizeof(known) / sizeof(known[0]);

	if (rnd() % 8)
		return known[rnd() % nknown];
	return _IOC(rnd() % 4, MBX_IOC_MAGIC, rnd() % 32, rnd() % 512);
}

/* Fill the argument area: a plausible structure, then mutated. */
static void *arguments(void)
{
	uint32_t *w = (uint32_t *)args;
	unsigned int i, n;

	memset(args, 0, ARGSZ);
	w[0] = rnd() % 4 ? 24 + 8 * (rnd() % 22) : (uint32_t)value();
	for (i = 1; i < 48; i++)
		if (rnd() % 3 == 0)
			w[i] = (uint32_t)value();
	/* Buffers and names are pointers, at offsets 8 of most structs. */
	if (rnd() % 2)
		*(uint64_t *)(args + 8) = pointer();
	if (rnd() % 4 == 0)
		*(uint64_t *)(args + 16) = value();
	/* Sometimes a sane name, so lookups succeed. */
	if (rnd() % 4 == 0) {
		n = rnd() % 70;
		memset(args + 4096, 'a' + rnd() % 3, n);
		args[4096 + n] = 0;
	}
	switch (rnd() % 16) {
	case 0: return NULL;
	case 1: return unmapped;
	case 2: return ro;
	case 3: return args + ARGSZ - rnd() % 64;	/* runs into PROT_NONE */
	default: return args;
	}
}

/*
 * read(2)/write(2) and their vector forms, a message per call: random
 * lengths, and buffers that are valid, NULL, unmapped, read-only or run
 * into the PROT_NONE page.
 */
static void read_write(int fd)
{
	struct iovec iov[2];
	uint8_t *p;
	size_t len;
	int n;

	switch (rnd() % 4) {
	case 0: p = NULL; break;
	case 1: p = ro; break;
	case 2: p = unmapped; break;
	default: p = args + rnd() % ARGSZ; break;
	}
	len = rnd() % 3 ? rnd() % 128 : rnd() % (ARGSZ + 8192);
	n = 1 + rnd() % 2;
	iov[0].iov_base = p;
	iov[0].iov_len = len;
	iov[1] = iov[0];
	switch (rnd() % 4) {
	case 0: (void)!read(fd, p, len); break;
	case 1: (void)!write(fd, p, len); break;
	case 2: (void)!readv(fd, iov, n); break;
	default: (void)!writev(fd, iov, n); break;
	}
}

static void fuzz(uint64_t seed, long iterations)
{
	int fds[NFDS], i, fd, dev;
	long it;

	st = seed;
	args = mmap(NULL, ARGSZ + 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (args == MAP_FAILED || ro == MAP_FAILED || unmapped == MAP_FAILED)
		_exit(2);
	mprotect(args + ARGSZ, 4096, PROT_NONE);
	munmap(unmapped, 4096);

	dev = msg_dev_open(O_NONBLOCK);
	if (dev < 0)
		_exit(3);
	for (i = 0; i < NFDS; i++)
		fds[i] = dev;
	for (it = 0; it < iterations; it++) {
		i = rnd() % NFDS;
		switch (rnd() % 32) {
		case 0: {
			/* A fresh mailbox of some capacity. */
			struct msg_box_attr attr = {
				.capacity = rnd() % 3, .mode = 0600,
				.max_msg_size = rnd() % 2 ? 0 : rnd() % 65536,
			};

			attr.limit = attr.capacity == MBX_CAP_BOUNDED ?
				     1 + rnd() % 8 : 0;
			fd = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE |
					  MBX_O_SEND | MBX_O_RECV |
					  MBX_O_NONBLOCK, &attr, NULL);
			if (fd >= 0) {
				if (fds[i] != dev)
					close(fds[i]);
				fds[i] = fd;
			}
			continue;
		}
		case 1:
			if (fds[i] != dev)
				close(fds[i]);
			fds[i] = rnd() % 2 ? dev : open("/dev/null", O_RDWR);
			continue;
		case 2:
			fd = fds[rnd() % NFDS];
			if (fd != dev && rnd() % 4 == 0)
				msg_box_destroy(fd);
			continue;
		case 3:
			read_write(fds[i]);
			continue;
		}
		fd = fds[i];
		/* The returned descriptor of a random MBX_IOC_OPEN: keep it. */
		fd = ioctl(fd, command(), arguments());
		if (fd > 2 && fd != dev && rnd() % 2) {
			fcntl(fd, F_SETFL, O_NONBLOCK);
			if (fds[i] != dev)
				close(fds[i]);
			fds[i] = fd;
		} else if (fd > 2 && fd != dev) {
			close(fd);
		}
	}
	_exit(0);
}

/*
 * The ids /proc/mbx/mailboxes lists, in a malloc()ed array (every one:
 * the fuzzer leaves thousands in a long run); the count, or -1.
 */
static long list_ids(unsigned int **ids)
{
	FILE *f = fopen("/proc/mbx/mailboxes", "r");
	size_t cap = 0, size = 0;
	char *line = NULL;
	unsigned int *more;
	long n = 0;

	*ids = NULL;
	if (!f)
		return -1;
	if (getline(&line, &size, f) < 0)	/* the header */
		n = -1;
	while (n >= 0 && getline(&line, &size, f) >= 0) {
		if ((size_t)n == cap) {
			cap = cap ? 2 * cap : 1024;
			more = realloc(*ids, cap * sizeof(**ids));
			if (!more) {
				n = -1;
				break;
			}
			*ids = more;
		}
		if (sscanf(line, "%u", &(*ids)[n]) == 1)
			n++;
	}
	free(line);
	fclose(f);
	return n;
}

/*
 * Destroy what the fuzzer created and left: mailboxes outlive their
 * handles, and their queued messages would hold root's byte quota for
 * every test after this one.  Ids are not reused, so a listed id that
 * was not listed @before is the fuzzer's.  Returns how many, or -1.
 */
static long clean_up(const unsigned int *before, long nbefore)
{
	unsigned int *now;
	long i, j, n, gone = 0;
	int dev, fd;

	n = list_ids(&now);
	dev = msg_dev_open(0);
	if (n < 0 || dev < 0) {
		free(now);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nbefore && before[j] != now[i]; j++)
			;
		if (j < nbefore)
			continue;
		fd = msg_box_open_id(dev, now[i], 0);
		if (fd < 0 || msg_box_destroy(fd))
			gone = -1;
		else if (gone >= 0)
			gone++;
		if (fd >= 0)
			close(fd);
	}
	close(dev);
	free(now);
	return gone;
}

int main(int argc, char **argv)
{
	unsigned int *before;
	long nbefore, gone;
	uint64_t seed = (uint64_t)time(NULL);
	long iterations = 50000;
	int opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': iterations = atol(optarg); break;
		default: return 2;
		}
	}
	printf("TAP version 13\n1..1\n# seed %llu, %ld iterations\n",
	       (unsigned long long)seed, iterations);
	fflush(stdout);
	nbefore = list_ids(&before);
	pid = fork();
	if (pid == 0) {
		alarm(600);	/* nothing may wait: a hang is a failure */
		fuzz(seed, iterations);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	gone = nbefore < 0 ? -1 : clean_up(before, nbefore);
	free(before);
	printf("# destroyed %ld mailboxes the fuzzer left\n", gone);
	if (gone < 0) {
		printf("not ok 1 cannot remove what the fuzzer left\n");
		return 1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok 1 fuzzing ran to the end (see the kernel log check)\n");
		return 0;
	}
	printf("not ok 1 fuzzer status %#x (signal %d)\n", status,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 1;
}
