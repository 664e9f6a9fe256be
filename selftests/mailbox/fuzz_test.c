// SPDX-License-Identifier: GPL-2.0
/*
 * A structured, seeded fuzzer of the /dev/mailbox uapi.
 *
 * Most calls are a valid call for the descriptor at hand (a command the
 * device or a handle takes, its structure filled in as a program would,
 * with real buffers, names and keys from a small set so that opens meet
 * each other, pids that have an inbox or not), of which half then get
 * one or two fields mutated; the rest are random commands (known ones and
 * random numbers) with random structure sizes (0 to past a page), flags
 * and field values (zero, small, huge, negative, all ones), and pointers
 * that are valid, NULL, unmapped, read-only, kernel addresses, or point
 * into the argument structure itself.  Descriptors are devices, mailbox
 * handles of every capacity, and descriptors that are neither; and
 * read/write/readv/writev with such buffers.  All descriptors are
 * non-blocking, so no call waits; a watchdog turns a hang into a failure.
 * The kernel log is checked by the test VM: any report fails the run.
 *
 * A fuzzer whose calls all fail argument checking tests only that; so
 * the outcomes are counted per command, printed, and the run fails if
 * too few sends, receives, calls and opens got past it (DEPTH_MIN).
 *
 *   fuzz_test [-s SEED] [-n ITERATIONS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
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
/* Per mille of a command's calls that must get past argument checking. */
#define DEPTH_MIN	50

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

static const unsigned long known[] = {
	MBX_IOC_INFO, MBX_IOC_OPEN, MBX_IOC_INBOX_SET, MBX_IOC_SEND,
	MBX_IOC_RECV, MBX_IOC_STAT, MBX_IOC_SET, MBX_IOC_DESTROY,
	MBX_IOC_CALL, FIONREAD,
};
static const char *const known_names[] = {
	"INFO", "OPEN", "INBOX_SET", "SEND", "RECV", "STAT", "SET",
	"DESTROY", "CALL", "FIONREAD",
};
#define NKNOWN	(sizeof(known) / sizeof(known[0]))

/* Outcomes per known command: shared with the parent, which reports. */
struct outcomes {
	long calls, ok, refused, other;
};
static struct outcomes *outcomes;

static unsigned long command(void)
{
	if (rnd() % 8)
		return known[rnd() % NKNOWN];
	return _IOC(rnd() % 4, MBX_IOC_MAGIC, rnd() % 32, rnd() % 512);
}

/*
 * Ids of mailboxes this run created, for opens by id: never one another
 * test left (one is left on purpose, for the module's unload to free).
 */
static uint32_t our_ids[8];

static void note_id(uint32_t id)
{
	our_ids[rnd() % 8] = id;
}

/* What a descriptor in the table is. */
enum kind { DEVICE, HANDLE, FOREIGN };

/*
 * A command a descriptor of @kind takes: the device takes the direct
 * ones and open, a handle those of its mailbox.
 */
static unsigned long command_for(enum kind kind)
{
	static const unsigned long dev_cmds[] = {
		MBX_IOC_INFO, MBX_IOC_OPEN, MBX_IOC_OPEN, MBX_IOC_INBOX_SET,
		MBX_IOC_SEND, MBX_IOC_RECV, MBX_IOC_CALL, MBX_IOC_STAT,
		FIONREAD,
	};
	static const unsigned long box_cmds[] = {
		MBX_IOC_SEND, MBX_IOC_SEND, MBX_IOC_RECV, MBX_IOC_RECV,
		MBX_IOC_CALL, MBX_IOC_STAT, MBX_IOC_SET, FIONREAD,
	};

	if (kind == DEVICE)
		return dev_cmds[rnd() % (sizeof(dev_cmds) / sizeof(dev_cmds[0]))];
	if (rnd() % 64 == 0)
		return MBX_IOC_DESTROY;
	return box_cmds[rnd() % (sizeof(box_cmds) / sizeof(box_cmds[0]))];
}

/* A pid to send to or receive from: ours (an inbox), our parent's, 0. */
static int32_t some_pid(void)
{
	switch (rnd() % 4) {
	case 0: return 0;
	case 1: return getppid();
	default: return getpid();
	}
}

/* The flags of a send or receive: never one that would wait. */
static uint32_t msg_flags(uint32_t extra)
{
	return MBX_F_NONBLOCK | (rnd() % 4 ? 0 : extra);
}

static void fill_send(struct mbx_send *s, bool direct)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = msg_flags(MBX_F_SYNC);
	s->buf = (uintptr_t)args + 4096;
	s->len = rnd() % 4 ? rnd() % 300 : rnd() % 4096;
	if (direct)
		s->to_pid = some_pid();
}

static void fill_recv(struct mbx_recv *r, bool direct)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = msg_flags(MBX_F_TRUNC);
	r->buf = (uintptr_t)args + 4096;
	r->len = rnd() % 4 ? 4096 : rnd() % 64;
	if (direct && rnd() % 2)
		r->from_pid = some_pid();
}

/*
 * A valid structure for @cmd on a descriptor of @kind, as a program would
 * fill it in (the payload buffer is the second page of args), with one or
 * two of its fields mutated half the time.  @fds: the table, for the
 * descriptor a call receives on.
 */
static void *structured(unsigned long cmd, enum kind kind, const int *fds)
{
	union {
		struct mbx_info info;
		struct mbx_open open;
		struct mbx_inbox_config cfg;
		struct mbx_stat stat;
		struct mbx_set set;
		struct mbx_call call;
	} *u = (void *)args;
	uint32_t *w = (uint32_t *)args;
	unsigned int i, words = 0;
	char *name = (char *)args + 6144;

	memset(args, 0, 4096);
	switch (cmd) {
	case MBX_IOC_INFO:
		u->info.size = sizeof(u->info);
		words = sizeof(u->info) / 4;
		break;
	case MBX_IOC_OPEN:
		u->open.size = sizeof(u->open);
		u->open.flags = MBX_O_SEND | MBX_O_RECV | MBX_O_NONBLOCK;
		u->open.mode = 0600;
		u->open.capacity = rnd() % 3;
		u->open.limit = u->open.capacity == MBX_CAP_BOUNDED ?
				1 + rnd() % 8 : 0;
		switch (rnd() % 4) {
		case 0:
			u->open.flags |= MBX_O_PRIVATE;
			break;
		case 1:	/* by name, one of a few: opens meet each other */
			snprintf(name, 32, "/fuzz-%u", rnd() % 6);
			u->open.name = (uintptr_t)name;
			u->open.flags |= MBX_O_CREAT |
					 (rnd() % 4 ? 0 : MBX_O_EXCL);
			break;
		case 2:
			u->open.key = 0x5a000 + rnd() % 6;
			u->open.flags |= rnd() % 2 ? MBX_O_CREAT : 0;
			break;
		default:
			u->open.id = our_ids[rnd() % 8];
			u->open.flags |= MBX_O_BY_ID;
			u->open.capacity = 0;
			u->open.limit = 0;
			u->open.mode = 0;
			break;
		}
		words = sizeof(u->open) / 4;
		break;
	case MBX_IOC_INBOX_SET:
		/* Only the values whose flags are given (else EINVAL). */
		u->cfg.size = sizeof(u->cfg);
		u->cfg.flags = 1 + rnd() % 7;
		if (u->cfg.flags & MBX_INBOX_SET_CAPACITY) {
			u->cfg.capacity = rnd() % 3;
			u->cfg.limit = u->cfg.capacity == MBX_CAP_BOUNDED ?
				       1 + rnd() % 64 : 0;
		}
		if (u->cfg.flags & MBX_INBOX_SET_MSGSIZE)
			u->cfg.max_msg_size = 1 + rnd() % 65536;
		if (u->cfg.flags & MBX_INBOX_SET_POLICY) {
			u->cfg.policy = rnd() % 4;
			u->cfg.allow_uid = u->cfg.policy ==
					   MBX_POLICY_ONE_UID ? rnd() % 2 : 0;
		}
		words = sizeof(u->cfg) / 4;
		break;
	case MBX_IOC_SEND:
		fill_send((struct mbx_send *)args, kind == DEVICE);
		words = sizeof(struct mbx_send) / 4;
		break;
	case MBX_IOC_RECV:
		fill_recv((struct mbx_recv *)args, kind == DEVICE);
		words = sizeof(struct mbx_recv) / 4;
		break;
	case MBX_IOC_STAT:
		u->stat.size = sizeof(u->stat);
		words = 2;
		break;
	case MBX_IOC_SET:
		u->set.size = sizeof(u->set);
		u->set.flags = 1 + rnd() % 15;
		if (u->set.flags & MBX_SET_MODE)
			u->set.mode = 0600;
		if (u->set.flags & MBX_SET_LIMIT)
			u->set.limit = 1 + rnd() % 8;
		if (u->set.flags & MBX_SET_MSGSIZE)
			u->set.max_msg_size = 1 + rnd() % 65536;
		words = sizeof(u->set) / 4;
		break;
	case MBX_IOC_CALL:
		fill_send((struct mbx_send *)(args + 256), kind == DEVICE);
		fill_recv((struct mbx_recv *)(args + 512), false);
		u->call.size = sizeof(u->call);
		u->call.send = (uintptr_t)args + 256;
		u->call.recv = (uintptr_t)args + 512;
		u->call.recv_fd = fds[rnd() % NFDS];
		words = sizeof(u->call) / 4;
		break;
	case FIONREAD:
		return args;
	default:
		return NULL;
	}
	if (rnd() % 2)
		return args;
	for (i = 1 + rnd() % 2; i && words; i--) {
		switch (rnd() % 4) {
		case 0:
			w[0] = (uint32_t)value();	/* the size */
			break;
		case 1:	/* a pointer field, where the structure has one */
			*(uint64_t *)(args + 8) = pointer();
			break;
		default:
			w[rnd() % words] = (uint32_t)value();
			break;
		}
	}
	return args;
}

/* Count the outcome of a known command. */
static void count(unsigned long cmd, long ret)
{
	unsigned int i;

	for (i = 0; i < NKNOWN && known[i] != cmd; i++)
		;
	if (i == NKNOWN)
		return;
	outcomes[i].calls++;
	if (ret >= 0)
		outcomes[i].ok++;
	else if (errno == EINVAL || errno == E2BIG || errno == EFAULT ||
		 errno == ENOTTY || errno == EBADF)
		outcomes[i].refused++;
	else
		outcomes[i].other++;
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
	enum kind kinds[NFDS];
	unsigned long cmd;
	unsigned int id;
	long it, ret;

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
	for (i = 0; i < NFDS; i++) {
		fds[i] = dev;
		kinds[i] = DEVICE;
	}
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
					  MBX_O_NONBLOCK, &attr, &id);
			if (fd >= 0) {
				note_id(id);
				if (fds[i] != dev)
					close(fds[i]);
				fds[i] = fd;
				kinds[i] = HANDLE;
			}
			continue;
		}
		case 1:
			if (fds[i] != dev)
				close(fds[i]);
			if (rnd() % 2) {
				fds[i] = dev;
				kinds[i] = DEVICE;
			} else {
				fds[i] = open("/dev/null", O_RDWR);
				kinds[i] = FOREIGN;
			}
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
		if (rnd() % 4) {
			cmd = command_for(kinds[i] == HANDLE ? HANDLE : DEVICE);
			ret = ioctl(fds[i], cmd, structured(cmd, kinds[i], fds));
			if (cmd == MBX_IOC_OPEN && ret >= 0)
				note_id(((struct mbx_open *)args)->id);
		} else {
			cmd = command();
			ret = ioctl(fds[i], cmd, arguments());
		}
		count(cmd, ret);
		/* The returned descriptor of an MBX_IOC_OPEN: keep it. */
		fd = cmd == MBX_IOC_OPEN ? (int)ret : -1;
		if (fd > 2 && fd != dev && rnd() % 2) {
			fcntl(fd, F_SETFL, O_NONBLOCK);
			if (fds[i] != dev)
				close(fds[i]);
			fds[i] = fd;
			kinds[i] = HANDLE;
		} else if (fd > 2 && fd != dev) {
			close(fd);
		}
	}
	_exit(0);
}

/*
 * Print what the calls came to; the commands that carry messages and
 * create mailboxes must get past argument checking often enough.
 * Returns how many of those did not.
 */
static int report_outcomes(void)
{
	static const unsigned long deep[] = {
		MBX_IOC_OPEN, MBX_IOC_SEND, MBX_IOC_RECV, MBX_IOC_CALL,
	};
	unsigned int i, j;
	int shallow = 0;
	long past;

	printf("# %-10s %8s %8s %8s %8s\n", "command", "calls", "ok",
	       "refused", "other");
	for (i = 0; i < NKNOWN; i++) {
		struct outcomes *o = &outcomes[i];

		printf("# %-10s %8ld %8ld %8ld %8ld\n", known_names[i],
		       o->calls, o->ok, o->refused, o->other);
		for (j = 0; j < sizeof(deep) / sizeof(deep[0]); j++) {
			if (deep[j] != known[i])
				continue;
			past = o->ok + o->other;
			if (!o->calls || past * 1000 < o->calls * DEPTH_MIN) {
				printf("# %s: only %ld of %ld calls got past argument checking\n",
				       known_names[i], past, o->calls);
				shallow++;
			}
		}
	}
	return shallow;
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
	outcomes = mmap(NULL, NKNOWN * sizeof(*outcomes),
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (outcomes == MAP_FAILED)
		return 1;
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
		if (report_outcomes()) {
			printf("not ok 1 too few calls reached the mailboxes\n");
			return 1;
		}
		printf("ok 1 fuzzing ran to the end (see the kernel log check)\n");
		return 0;
	}
	printf("not ok 1 fuzzer status %#x (signal %d)\n", status,
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 1;
}
