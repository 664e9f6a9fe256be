// SPDX-License-Identifier: GPL-2.0
/*
 * Single-process workloads:
 *  W4	the cost of operations with 1, 100 and 10,000 mailboxes in
 *	existence: create + destroy of one more, open by name of a random
 *	one, non-blocking send + receive on a random one (ns per operation);
 *	for reference, the same write + read on a random one of as many
 *	pipes and eventfds: with many descriptors, part of what the ratio
 *	measures is the descriptor table and the struct files run cold;
 *  MEM	kernel memory per empty mailbox and per queued message (payload
 *	included; the report subtracts it), in bytes: what a memory cgroup
 *	of the benchmark's own is charged (the module allocates with
 *	GFP_KERNEL_ACCOUNT), else MemFree before and after, which slab
 *	caches blur;
 *  W5	the non-blocking EAGAIN path (receive on an empty mailbox, an
 *	empty inbox, an empty pipe) against a null system call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libmsg.h"
#include "run.h"

#define SCALE_MAX	10000
#define SCALE_MSG	64

/* What W4's objects are: mailboxes, or a baseline's descriptors. */
enum { SCALE_MBX, SCALE_PIPE, SCALE_EVENTFD };

static const char *const scale_mechs[] = {
	[SCALE_MBX] = "mbx_bounded",
	[SCALE_PIPE] = "pipe",
	[SCALE_EVENTFD] = "eventfd",
};

struct scale {
	int dev;
	int mech;
	int count;
	int *fds;	/* mailbox handles, pipe read ends, eventfds */
	int *wfds;	/* pipe write ends */
	unsigned int seed;
	int op;
};

enum { OP_CREATE_DESTROY, OP_OPEN, OP_SENDRECV, OP_NULL, OP_EAGAIN_BOX,
       OP_EAGAIN_INBOX, OP_EAGAIN_PIPE };

/* The baselines' send + receive: 64 bytes through a pipe, 1 an eventfd. */
static int scale_baseline_op(struct scale *s)
{
	int k = rand_r(&s->seed) % s->count;
	char buf[SCALE_MSG] = { 0 };
	uint64_t one = 1;

	if (s->mech == SCALE_PIPE) {
		if (write(s->wfds[k], buf, sizeof(buf)) != sizeof(buf) ||
		    read(s->fds[k], buf, sizeof(buf)) != sizeof(buf))
			return -errno;
		return 0;
	}
	if (write(s->fds[k], &one, sizeof(one)) != sizeof(one) ||
	    read(s->fds[k], &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

static const char *const scale_ops[] = {
	[OP_CREATE_DESTROY] = "create_destroy_ns",
	[OP_OPEN] = "open_close_ns",
	[OP_SENDRECV] = "send_recv_ns",
};

static void box_name(char *buf, size_t len, const char *prefix, int i)
{
	snprintf(buf, len, "/%s-%d", prefix, i);
}

static int scale_op(struct scale *s)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1,
		.max_msg_size = SCALE_MSG, .mode = 0600,
	};
	char name[32], buf[SCALE_MSG] = { 0 };
	int fd, ret;

	if (s->mech != SCALE_MBX)
		return s->op == OP_SENDRECV ? scale_baseline_op(s) : -EINVAL;
	switch (s->op) {
	case OP_CREATE_DESTROY:
		fd = msg_box_open(s->dev, "/w4-extra", 0, MBX_O_CREAT |
				  MBX_O_EXCL | MBX_O_SEND | MBX_O_RECV, &attr,
				  NULL);
		if (fd < 0)
			return fd;
		ret = msg_box_destroy(fd);
		close(fd);
		return ret;
	case OP_OPEN:
		box_name(name, sizeof(name), "w4",
			 rand_r(&s->seed) % s->count);
		fd = msg_box_open(s->dev, name, 0, MBX_O_SEND, NULL, NULL);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	case OP_SENDRECV:
		fd = s->fds[rand_r(&s->seed) % s->count];
		ret = msg_send(fd, buf, sizeof(buf), MBX_F_NONBLOCK);
		if (ret < 0)
			return ret;
		ret = msg_recv(fd, buf, sizeof(buf), MBX_F_NONBLOCK, NULL);
		return ret < 0 ? ret : 0;
	}
	return -EINVAL;
}

static int64_t scale_batch(long n, void *arg)
{
	int64_t start = now_ns();
	long i;
	int err;

	for (i = 0; i < n; i++) {
		err = scale_op(arg);
		if (err)
			return err;
	}
	return now_ns() - start;
}

static void scale_free(struct scale *s)
{
	int i;

	for (i = 0; i < s->count; i++) {
		if (s->mech == SCALE_MBX)
			msg_box_destroy(s->fds[i]);
		if (s->mech == SCALE_PIPE)
			close(s->wfds[i]);
		close(s->fds[i]);
	}
	s->count = 0;
}

/* @count pipes or eventfds, non-blocking. */
static int scale_fill_baseline(struct scale *s, int count)
{
	int p[2];

	for (s->count = 0; s->count < count; s->count++) {
		if (s->mech == SCALE_PIPE) {
			if (pipe2(p, O_NONBLOCK))
				break;
			s->fds[s->count] = p[0];
			s->wfds[s->count] = p[1];
		} else {
			p[0] = eventfd(0, EFD_NONBLOCK);
			if (p[0] < 0)
				break;
			s->fds[s->count] = p[0];
		}
	}
	if (s->count == count)
		return 0;
	count = -errno;
	scale_free(s);
	return count;
}

/* @count named mailboxes, each with an open handle. */
static int scale_fill(struct scale *s, int count)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 1,
		.max_msg_size = SCALE_MSG, .mode = 0600,
	};
	char name[32];
	int fd;

	for (s->count = 0; s->count < count; s->count++) {
		box_name(name, sizeof(name), "w4", s->count);
		fd = msg_box_open(s->dev, name, 0, MBX_O_CREAT | MBX_O_EXCL |
				  MBX_O_SEND | MBX_O_RECV, &attr, NULL);
		if (fd < 0) {
			scale_free(s);
			return fd;
		}
		s->fds[s->count] = fd;
	}
	return 0;
}

static void measure_op(struct scale *s, struct figure *f)
{
	int64_t t;
	unsigned int b;
	long n;
	int err = 0;

	n = calibrate(scale_batch, s, 10 * 1000 * 1000);
	if (n < 0)
		err = n;
	for (b = 0; !err && b < cfg.batches; b++) {
		t = scale_batch(n, s);
		if (t < 0)
			err = t;
		else
			figure_add(f, (double)t / n);
	}
	record(f, err);
}

int run_scale(void)
{
	static const int full[] = { 1, 100, SCALE_MAX };
	static const int quick[] = { 1, 100 };
	const int *counts = cfg.quick ? quick : full;
	unsigned int nc = cfg.quick ? ARRAY_SIZE(quick) : ARRAY_SIZE(full);
	/* One descriptor per mailbox, two per pipe: raise the limit (root). */
	struct rlimit rl = { 2 * SCALE_MAX + 256, 2 * SCALE_MAX + 256 };
	struct scale s = { .seed = cfg.seed };
	unsigned int c, op;
	int err;

	setrlimit(RLIMIT_NOFILE, &rl);
	s.fds = calloc(SCALE_MAX, sizeof(*s.fds));
	s.wfds = calloc(SCALE_MAX, sizeof(*s.wfds));
	s.dev = msg_dev_open(0);
	if (!s.fds || !s.wfds || s.dev < 0)
		return -ENOMEM;
	for (c = 0; c < nc; c++) {
		for (s.mech = 0; s.mech < (int)ARRAY_SIZE(scale_mechs);
		     s.mech++) {
			err = s.mech == SCALE_MBX ?
				scale_fill(&s, counts[c]) :
				scale_fill_baseline(&s, counts[c]);
			for (op = 0; op < ARRAY_SIZE(scale_ops); op++) {
				struct figure f = {
					.workload = "W4", .variant = "-",
					.mech = scale_mechs[s.mech],
					.size = counts[c], .depth = 1,
					.metric = scale_ops[op],
				};

				if (s.mech != SCALE_MBX && op != OP_SENDRECV)
					continue;
				s.op = op;
				if (err)
					record(&f, err);
				else
					measure_op(&s, &f);
			}
			scale_free(&s);
		}
	}
	close(s.dev);
	free(s.fds);
	free(s.wfds);
	return 0;
}

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/mbxbench"

static bool use_memcg;

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * Move into a memory cgroup of our own: its memory.current counts every
 * byte the module allocates for us, object by object, whatever the slab
 * allocator keeps cached.  Returns 0, or -errno when the kernel has no
 * memory controller (then MemFree it is).
 */
static int memcg_enter(void)
{
	char pid[32];
	int err;

	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CG_ROOT, "cgroup2", 0, NULL))
		return -errno;
	err = write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (err)
		return err;
	if (mkdir(CG_DIR, 0755) && errno != EEXIST)
		return -errno;
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(CG_DIR "/cgroup.procs", pid);
}

static void memcg_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	write_file(CG_ROOT "/cgroup.procs", pid);
	rmdir(CG_DIR);
}

/* Kernel memory in use, in bytes, or -1: memcg's charge, else -MemFree. */
static long long mem_used(void)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen(use_memcg ? CG_DIR "/memory.current" :
			"/proc/meminfo", "r");

	if (!f)
		return -1;
	if (use_memcg) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
	} else {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemFree: %lld kB", &v) == 1)
				break;
		/* Used memory grows as free memory shrinks. */
		v = v < 0 ? -1 : -v * 1024;
	}
	fclose(f);
	return v;
}

/* Kernel memory of @count empty named mailboxes, no handle left open. */
static double mem_per_mailbox(int dev, int count)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 64, .mode = 0600,
	};
	long long before, after;
	char name[32];
	int i, fd, made = 0;

	before = mem_used();
	for (i = 0; i < count; i++, made++) {
		box_name(name, sizeof(name), "mem", i);
		fd = msg_box_open(dev, name, 0, MBX_O_CREAT | MBX_O_EXCL |
				  MBX_O_SEND, &attr, NULL);
		if (fd < 0)
			break;
		close(fd);
	}
	after = mem_used();
	for (i = 0; i < made; i++) {
		box_name(name, sizeof(name), "mem", i);
		fd = msg_box_open(dev, name, 0, 0, NULL, NULL);
		if (fd >= 0) {
			msg_box_destroy(fd);
			close(fd);
		}
	}
	if (made < count || before == -1 || after == -1)
		return -1;
	return (double)(after - before) / count;
}

/* Kernel memory per queued message of @size bytes, payload included. */
static double mem_per_msg(int dev, size_t size, int count)
{
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_UNBOUNDED, .max_msg_size = size,
		.mode = 0600,
	};
	long long before, after;
	int i, box, sent = 0;
	char *buf = calloc(1, size);

	box = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE | MBX_O_SEND, &attr,
			   NULL);
	if (box < 0 || !buf) {
		free(buf);
		return -1;
	}
	before = mem_used();
	for (i = 0; i < count; i++, sent++)
		if (msg_send(box, buf, size, MBX_F_NONBLOCK) < 0)
			break;
	after = mem_used();
	msg_box_destroy(box);
	close(box);
	free(buf);
	if (sent < count || before == -1 || after == -1)
		return -1;
	return (double)(after - before) / count;
}

int run_memory(void)
{
	static const size_t sizes[] = { 64, 4096, 65536 };
	int dev = msg_dev_open(0);
	unsigned int i, b;
	double v;

	if (dev < 0)
		return dev;
	/* One vCPU: the memory controller's per-CPU charge caches stay put. */
	pin_to(0, 0);
	use_memcg = !memcg_enter();
	printf("info,mem_source,%s\n", use_memcg ? "memcg" : "MemFree");
	for (i = 0; i <= ARRAY_SIZE(sizes); i++) {
		struct figure f = {
			.workload = "MEM", .variant = "-", .mech = "mbx",
			.depth = -1,
		};
		int err = 0;

		if (i == 0) {
			f.metric = "bytes_per_mailbox";
			f.size = 0;
		} else {
			f.metric = "bytes_per_msg";
			f.size = sizes[i - 1];
		}
		for (b = 0; b < (cfg.quick ? 1 : 3); b++) {
			if (i == 0)
				v = mem_per_mailbox(dev, cfg.quick ? 1000 :
						    SCALE_MAX);
			else
				/* Enough that memcg's per-CPU charge
				 * batches (256 KiB) blur by little.
				 */
				v = mem_per_msg(dev, f.size,
						(cfg.quick ? 4 : 96) * 1024 *
						1024 / (f.size + 64));
			if (v <= 0) {
				err = v < 0 ? -EIO : -ERANGE;
				break;
			}
			figure_add(&f, v);
		}
		record(&f, err);
	}
	if (use_memcg)
		memcg_leave();
	unpin();
	close(dev);
	return 0;
}

struct eagain {
	int op;
	int fd;
};

static int64_t eagain_batch(long n, void *arg)
{
	struct eagain *e = arg;
	int64_t start = now_ns();
	char buf[64];
	long i;

	for (i = 0; i < n; i++) {
		long r;

		switch (e->op) {
		case OP_NULL:
			r = syscall(SYS_getppid) > 0 ? -EAGAIN : -EIO;
			break;
		case OP_EAGAIN_PIPE:
			r = read(e->fd, buf, sizeof(buf)) < 0 ? -errno : 0;
			break;
		default:
			r = msg_recv(e->fd, buf, sizeof(buf), MBX_F_NONBLOCK,
				     NULL);
			break;
		}
		if (r != -EAGAIN)
			return r < 0 ? r : -EIO;
	}
	return now_ns() - start;
}

int run_eagain(void)
{
	static const struct { int op; const char *mech; } ops[] = {
		{ OP_NULL, "null_syscall" },
		{ OP_EAGAIN_BOX, "mbx_bounded" },
		{ OP_EAGAIN_INBOX, "mbx_direct" },
		{ OP_EAGAIN_PIPE, "pipe" },
	};
	struct msg_box_attr attr = {
		.capacity = MBX_CAP_BOUNDED, .limit = 64, .mode = 0600,
	};
	int dev, box, p[2];
	unsigned int i, b;

	dev = msg_dev_open(0);
	if (dev < 0)
		return dev;
	box = msg_box_open(dev, NULL, 0, MBX_O_PRIVATE | MBX_O_RECV, &attr,
			   NULL);
	if (box < 0 || pipe2(p, O_NONBLOCK)) {
		close(dev);
		return -EIO;
	}
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		struct figure f = {
			.workload = "W5", .variant = "-", .mech = ops[i].mech,
			.size = 64, .depth = -1, .metric = "ns_per_op",
		};
		struct eagain e = { .op = ops[i].op };
		int64_t t;
		long n;
		int err = 0;

		e.fd = ops[i].op == OP_EAGAIN_BOX ? box :
		       ops[i].op == OP_EAGAIN_INBOX ? dev : p[0];
		n = calibrate(eagain_batch, &e, 100 * 1000 * 1000);
		if (n < 0)
			err = n;
		for (b = 0; !err && b < cfg.batches; b++) {
			t = eagain_batch(n, &e);
			if (t < 0)
				err = t;
			else
				figure_add(&f, (double)t / n);
		}
		record(&f, err);
	}
	close(p[0]);
	close(p[1]);
	msg_box_destroy(box);
	close(box);
	close(dev);
	return 0;
}
